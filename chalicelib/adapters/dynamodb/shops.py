"""The shops table: what happened to a marketplace shop's connection that the registry cannot say (the merchant
uninstalled our app), one item per shop."""

from chalicelib.adapters.dynamodb.items import get_item


class DynamoShops:
    def __init__(self, table) -> None:
        self._table = table

    def uninstalled_at(self, shop: str) -> str | None:
        item = get_item(self._table, {"shop": shop})
        return item.get("uninstalled_at") if item else None

    def mark_uninstalled(self, shop: str, at: str) -> None:
        self._table.put_item(Item={"shop": shop, "uninstalled_at": at})
