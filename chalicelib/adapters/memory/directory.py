"""The twin of a registry read from SSM: the entries it was given, by name."""

from typing import Generic, TypeVar

from chalicelib.ports.errors import Unavailable

Entry = TypeVar("Entry")


class MemoryDirectory(Generic[Entry]):
    def __init__(self, entries: dict[str, Entry] | None = None, available: bool = True) -> None:
        self.registered = dict(entries or {})
        self.available = available

    def get(self, name: str) -> Entry | None:
        if not self.available:
            raise Unavailable("the registry could not be read; try again", "registry_unavailable")
        return self.registered.get(name)

    def entries(self) -> dict[str, Entry]:
        if not self.available:
            raise Unavailable("the registry could not be read; try again", "registry_unavailable")
        return dict(self.registered)
