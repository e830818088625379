"""The orders table: each order as its newest OrderUpserted said, and its refund account on the same item."""

from datetime import datetime

from chalicelib.adapters.dynamodb.items import conditional, from_item, get_item, query_all, set_fields
from chalicelib.domain.events import OrderLine
from chalicelib.domain.orders import NOT_PAID, Order, OrderStatus, RefundAccount
from chalicelib.domain.tenancy import own_id
from chalicelib.domain.tiers import PaidOrder

# The index of infra/template.json: a customer's orders by payment time (for RFM).
CUSTOMER_INDEX = "by-customer"
REFERENCE_INDEX, REFERENCE = "by-reference", "reference"


class DynamoOrders:
    def __init__(self, table) -> None:
        self._table = table

    def get(self, order_id: str) -> Order | None:
        item = get_item(self._table, {"order_id": order_id})
        return order_of(item) if item else None

    def upsert(self, order: dict, occurred_at: str) -> bool:
        """Conditional on the source's time, so a late, older version never overwrites a newer one.

        An update, not a put: the refund account kept on the same item must survive new order versions.
        """
        fields = {key: value for key, value in order.items() if key != "order_id"}
        # The shop's own id, which search finds in every shop.
        request = set_fields({**fields, "updated_at": occurred_at, REFERENCE: own_id(order["order_id"])})
        request["ExpressionAttributeValues"][":at"] = occurred_at
        return conditional(
            self._table, "update_item", Key={"order_id": order["order_id"]},
            ConditionExpression="attribute_not_exists(updated_at) OR updated_at <= :at", **request,
        ) is not None

    def with_reference(self, reference: str) -> list[str]:
        items = query_all(self._table, IndexName=REFERENCE_INDEX, KeyConditionExpression="#reference = :reference",
                          ExpressionAttributeNames={"#reference": REFERENCE},
                          ExpressionAttributeValues={":reference": reference})
        return [item["order_id"] for item in items]

    def paid_orders(self, customer_id: str) -> list[PaidOrder]:
        items = query_all(
            self._table, IndexName=CUSTOMER_INDEX, KeyConditionExpression="customer_id = :customer",
            ExpressionAttributeValues={":customer": customer_id},
        )
        return paid_orders_of(items)

    def account_update(self, order_id: str, account: RefundAccount, expected_version: int) -> dict:
        """The transaction item that moves the order's refund account, on condition that it is still at
        `expected_version` (nobody refunded on the order since the quote)."""
        update = set_fields({**account.as_fields(), "refund_version": expected_version + 1})
        return {
            "Update": {
                "TableName": self._table.name,
                "Key": {"order_id": order_id},
                "ConditionExpression": "(attribute_not_exists(refund_version) AND :expected = :zero)"
                " OR refund_version = :expected",
                "UpdateExpression": update["UpdateExpression"],
                "ExpressionAttributeNames": update["ExpressionAttributeNames"],
                "ExpressionAttributeValues": {**update["ExpressionAttributeValues"], ":expected": expected_version, ":zero": 0},
            }
        }


def paid_orders_of(items: list[dict]) -> list[PaidOrder]:
    """What RFM reads of a customer's order items: the paid (not cancelled) ones with their paid total."""
    return [
        PaidOrder(order_id=item["order_id"], paid_at=datetime.fromisoformat(item["paid_at"]),
                  currency=item["currency"], paid_total_minor=item["paid_total_minor"])
        for item in items if item.get("status") not in NOT_PAID and "paid_total_minor" in item
    ]


def order_of(item: dict) -> Order:
    account = RefundAccount(
        refunded_total=item.get("refunded_total", 0), refunded_units=item.get("refunded_units", {}),
        shipping_refunded=item.get("shipping_refunded", False),
    )
    lines = tuple(OrderLine.model_validate(line) for line in item["lines"])
    return from_item(Order, item, status=OrderStatus(item["status"]), account=account, lines=lines)
