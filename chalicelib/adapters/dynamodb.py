"""DynamoDB tables: the permanent event log (dedupe), orders and returns."""


def _conditional(table, write, **request) -> bool:
    """Run a conditional write; False when its condition did not hold (nothing was written)."""
    try:
        getattr(table, write)(**request)
    except table.meta.client.exceptions.ConditionalCheckFailedException:
        return False
    return True


class DynamoEventLog:
    """Event ids kept forever, so a duplicate redriven from the DLQ days later is still recognised."""

    def __init__(self, table) -> None:
        self._table = table

    def seen(self, event_id: str) -> bool:
        return "Item" in self._table.get_item(Key={"event_id": event_id}, ConsistentRead=True)

    def record(self, event: dict) -> None:
        self._table.put_item(Item=event)


class DynamoOrders:
    def __init__(self, table) -> None:
        self._table = table

    def upsert(self, order: dict, occurred_at: str) -> bool:
        """Conditional on the source's time, so a late, older version never overwrites a newer one."""
        return _conditional(
            self._table,
            "put_item",
            Item={**order, "updated_at": occurred_at},
            ConditionExpression="attribute_not_exists(order_id) OR updated_at <= :at",
            ExpressionAttributeValues={":at": occurred_at},
        )


class DynamoReturns:
    def __init__(self, table) -> None:
        self._table = table

    def create(self, record: dict) -> bool:
        """Sets the request's fields once; merges into an item that tracking created first."""
        fields = {key: value for key, value in record.items() if key != "return_id"}
        return _conditional(
            self._table,
            "update_item",
            Key={"return_id": record["return_id"]},
            UpdateExpression="SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(fields))),
            ConditionExpression="attribute_not_exists(order_id)",
            ExpressionAttributeNames={f"#f{i}": key for i, key in enumerate(fields)},
            ExpressionAttributeValues={f":v{i}": value for i, value in enumerate(fields.values())},
        )

    def record_tracking(self, return_id: str, tracking: dict, at: str) -> bool:
        return _conditional(
            self._table,
            "update_item",
            Key={"return_id": return_id},
            UpdateExpression="SET parcel = :parcel, parcel_at = :at",
            ConditionExpression="attribute_not_exists(parcel_at) OR parcel_at <= :at",
            ExpressionAttributeValues={":parcel": tracking, ":at": at},
        )

    def record_inspection(self, return_id: str, inspection: dict, at: str) -> None:
        self._table.update_item(
            Key={"return_id": return_id},
            UpdateExpression="SET inspection = if_not_exists(inspection, :inspection), inspected_at = if_not_exists(inspected_at, :at)",
            ExpressionAttributeValues={":inspection": inspection, ":at": at},
        )
