"""The audit table: who did what (a review decision, a tracking link, an export), when, from where; entries are
only ever added, never overwritten."""


class DynamoAudit:
    def __init__(self, table) -> None:
        self._table = table

    def entry_put(self, entry: dict) -> dict:
        """The transaction item that adds `entry`; it is written with the decision it records, or not at all."""
        return {"Put": {"TableName": self._table.name, "Item": entry, "ConditionExpression": "attribute_not_exists(entry)"}}

    def append(self, entry: dict) -> None:
        self._table.put_item(Item=entry, ConditionExpression="attribute_not_exists(entry)")
