"""The audit table: who decided what about a return, when, with their note; entries are never overwritten."""


class DynamoAudit:
    def __init__(self, table) -> None:
        self._table = table

    def entry_put(self, entry: dict) -> dict:
        """The transaction item that adds `entry`; it is written with the decision it records, or not at all."""
        return {"Put": {"TableName": self._table.name, "Item": entry, "ConditionExpression": "attribute_not_exists(entry)"}}
