"""The customers table: each customer's tier, recomputed from the order history whenever an order arrives."""

from chalicelib.adapters.dynamodb.items import from_item, get_item, set_fields
from chalicelib.domain.tiers import Customer


class DynamoCustomers:
    def __init__(self, table) -> None:
        self._table = table

    def get(self, customer_id: str) -> Customer | None:
        item = get_item(self._table, {"customer_id": customer_id})
        return from_item(Customer, item) if item else None

    def set_tier(self, customer_id: str, tier: str, facts: dict, at: str, policy_version: str) -> None:
        self._table.update_item(
            Key={"customer_id": customer_id},
            **set_fields({"tier": tier, "rfm": facts, "tier_computed_at": at, "policy_version": policy_version}),
        )
