"""The interfaces services depend on; AWS adapters and test fakes both implement them."""

from typing import Protocol


class SecretStore(Protocol):
    def webhook_secret(self, source: str) -> bytes | None:
        """The signing secret of a source, or None when the source is unknown."""


class Archive(Protocol):
    def put_raw(self, key: str, body: bytes) -> None: ...


class EventQueue(Protocol):
    def send(self, body: str, attributes: dict[str, str]) -> None: ...


class EventLog(Protocol):
    def seen(self, event_id: str) -> bool: ...

    def record(self, event: dict) -> None:
        """Keep the whole canonical event under its id: the audit trail, and the dedupe key."""


class OrderStore(Protocol):
    def upsert(self, order: dict, occurred_at: str) -> bool:
        """Store the order unless a newer version is already stored; True when stored."""


class ReturnStore(Protocol):
    def create(self, record: dict) -> bool:
        """Create the return once; False when it already exists."""

    def record_tracking(self, return_id: str, tracking: dict, at: str) -> bool:
        """Keep the parcel's latest status by carrier time; False when a newer one is stored."""

    def record_inspection(self, return_id: str, inspection: dict, at: str) -> None: ...


class Workflows(Protocol):
    def start(self, name: str, payload: dict) -> None:
        """Start the workflow execution `name` once; a duplicate start is not an error."""
