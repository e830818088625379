"""The event log table: every applied event under its id, kept forever, and why queued messages failed."""

from chalicelib.adapters.dynamodb.items import get_item


def failure_key(message_key: str) -> str:
    """Failures share the event log under their own prefix, which no source's event id can take (ids are alnum first)."""
    return f"#failure:{message_key}"


class DynamoEventLog:
    def __init__(self, table) -> None:
        self._table = table

    def seen(self, event_id: str) -> bool:
        return "Item" in self._table.get_item(Key={"event_id": event_id}, ConsistentRead=True)

    def record(self, event: dict) -> None:
        self._table.put_item(Item=event)

    def record_failure(self, message_key: str, error_type: str, error: str, at: str) -> None:
        self._table.update_item(
            Key={"event_id": failure_key(message_key)},
            UpdateExpression="SET error_type = :type, #error = :error, last_failed_at = :at ADD failures :one",
            ExpressionAttributeNames={"#error": "error"},
            ExpressionAttributeValues={":type": error_type, ":error": error, ":at": at, ":one": 1},
        )

    def failure(self, message_key: str) -> dict | None:
        return get_item(self._table, {"event_id": failure_key(message_key)})
