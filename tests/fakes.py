"""In-memory stand-ins for the ports, for unit tests of services."""


class FakeSecrets:
    def __init__(self, secrets: dict[str, bytes]) -> None:
        self.secrets = secrets

    def secret(self, name: str) -> bytes | None:
        return self.secrets.get(name)


class FakeArchive:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def put(self, key: str, body: bytes, content_type: str = "application/json") -> None:
        self.objects[key] = body


class FakeQueue:
    def __init__(self) -> None:
        self.messages: list[tuple[str, dict]] = []

    def send(self, body: str, attributes: dict[str, str]) -> None:
        self.messages.append((body, attributes))


class FakeReturns:
    """The read the webhook makes of a return (to refuse a second inspection)."""

    def __init__(self, records: dict[str, dict] | None = None) -> None:
        self.records = records or {}

    def get(self, return_id: str) -> dict | None:
        return self.records.get(return_id)
