"""The interfaces services depend on; AWS adapters and test fakes both implement them."""

from typing import Protocol


class SecretStore(Protocol):
    def webhook_secret(self, source: str) -> bytes | None:
        """The signing secret of a source, or None when the source is unknown."""


class Archive(Protocol):
    def put_raw(self, key: str, body: bytes) -> None: ...


class EventQueue(Protocol):
    def send(self, body: str, attributes: dict[str, str]) -> None: ...
