"""The shops table: what happened to a marketplace shop's connection that the registry cannot say (the merchant
uninstalled our app) and how far its marketplace has been read (the pollers' cursors), one item per shop."""

from chalicelib.adapters.dynamodb.items import get_item


class DynamoShops:
    def __init__(self, table) -> None:
        self._table = table

    def uninstalled_at(self, shop: str) -> str | None:
        item = get_item(self._table, {"shop": shop})
        return item.get("uninstalled_at") if item else None

    def mark_uninstalled(self, shop: str, at: str) -> None:
        self._table.update_item(
            Key={"shop": shop}, UpdateExpression="SET uninstalled_at = :at", ExpressionAttributeValues={":at": at},
        )

    def cursor(self, shop: str, name: str) -> str | None:
        item = get_item(self._table, {"shop": shop})
        return ((item or {}).get("cursors") or {}).get(name)

    def move_cursor(self, shop: str, name: str, value: str) -> None:
        """Only forward: a run that read less (an overlapping or older one) never takes the cursor back."""
        from botocore.exceptions import ClientError

        try:
            self._table.update_item(
                Key={"shop": shop},
                UpdateExpression="SET cursors = if_not_exists(cursors, :none)",
                ExpressionAttributeValues={":none": {}},
            )
            self._table.update_item(
                Key={"shop": shop}, UpdateExpression="SET cursors.#name = :value",
                ConditionExpression="attribute_not_exists(cursors.#name) OR cursors.#name < :value",
                ExpressionAttributeNames={"#name": name}, ExpressionAttributeValues={":value": value},
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
