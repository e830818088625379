"""ShopifyActions on a stand-in Admin API that answers what a real shop would: which fulfillment orders a
cancellation holds, and which refunds on a Return are ours."""

from datetime import datetime, timezone

import pytest

from chalicelib.adapters.memory import MemoryAudit
from chalicelib.connectors.shopify.actions import ShopifyActions
from chalicelib.domain.connections import ShopifyConnection
from chalicelib.domain.ledger import LedgerRecord
from chalicelib.domain.returns import Return

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=timezone.utc)
CONNECTION = ShopifyConnection(platform="shopify", domain="acme.myshopify.com", mode="live",
                               access_token_parameter="/aftersales/shopify/acme/access-token")


class Admin:
    """Answers each operation with what it was given; keeps every call."""

    connection = CONNECTION

    def __init__(self, **answers) -> None:
        self.answers = answers
        self.calls: list[tuple[str, dict]] = []

    def call(self, document: str, variables: dict) -> dict:
        operation = document.split("(", 1)[0].split()[-1]
        self.calls.append((operation, variables))
        return self.answers.get(operation, {})


def fulfillment_order(n: int, status: str, **lines: int) -> dict:
    return {"id": f"gid://shopify/FulfillmentOrder/{n}", "status": status, "lineItems": {"nodes": [
        {"lineItem": {"id": f"gid://shopify/LineItem/{line[1:]}"}, "remainingQuantity": left} for line, left in lines.items()
    ]}}


def cancellation(**units: int) -> Return:
    return Return(return_id="shopify-acme/C-1", order_id="shopify-acme/1", kind="cancel",
                  items=[{"line_id": line[1:], "quantity": count} for line, count in units.items()])


def holds(admin: Admin) -> list[str]:
    return [variables["id"] for operation, variables in admin.calls if operation == "AftersalesFulfillmentOrderHold"]


def test_a_cancellation_holds_only_the_fulfillment_orders_with_its_lines():
    admin = Admin(AftersalesOrder={"order": {"id": "gid://shopify/Order/1", "fulfillmentOrders": {"nodes": [
        fulfillment_order(1, "OPEN", L11=1), fulfillment_order(2, "OPEN", L12=2),
    ]}}})

    assert ShopifyActions(admin, MemoryAudit(), lambda: NOW).hold(cancellation(L12=2)) == "held"
    assert holds(admin) == ["gid://shopify/FulfillmentOrder/2"]


@pytest.mark.parametrize("orders, cancelled", [
    ([fulfillment_order(1, "CLOSED", L11=0), fulfillment_order(2, "OPEN", L12=1)], {"L11": 1}),  # the line left
    ([fulfillment_order(1, "IN_PROGRESS", L11=1)], {"L11": 1}),  # being picked: too late to hold
    ([fulfillment_order(1, "OPEN", L11=1)], {"L11": 2}),  # one of the two cancelled units has left
])
def test_a_cancellation_some_of_whose_units_left_is_already_shipped_and_holds_nothing(orders, cancelled):
    admin = Admin(AftersalesOrder={"order": {"id": "gid://shopify/Order/1", "fulfillmentOrders": {"nodes": orders}}})

    assert ShopifyActions(admin, MemoryAudit(), lambda: NOW).hold(cancellation(**cancelled)) == "already_shipped"
    assert holds(admin) == []


def test_a_refund_on_the_return_of_another_amount_is_not_taken_for_ours():
    refund = {"id": "gid://shopify/Refund/7", "createdAt": "2026-11-22T07:00:00Z",
              "totalRefundedSet": {"presentmentMoney": {"amount": "5.0", "currencyCode": "USD"}}}
    admin = Admin(
        AftersalesReturn={"return": {"id": "gid://shopify/Return/1", "status": "OPEN", "refunds": {"nodes": [refund]},
                                     "returnLineItems": {"nodes": [{"id": "gid://shopify/ReturnLineItem/3", "quantity": 1}]}}},
        AftersalesReturnProcess={"returnProcess": {"userErrors": [], "return": {"refunds": {"nodes": [
            refund, {**refund, "id": "gid://shopify/Refund/8", "createdAt": "2026-11-22T08:00:00Z",
                     "totalRefundedSet": {"presentmentMoney": {"amount": "22.5", "currencyCode": "USD"}}}]}}}},
    )
    issued = LedgerRecord(
        refund_id="RF-shopify-acme.1", return_id="shopify-acme/1", order_id="shopify-acme/9", currency="USD",
        total="22.50", total_minor=2250, entries=[], policy_version="v1", issued_at="2026-11-22T08:00:00Z",
        issued_day="2026-11-22", idempotency_key="RF-shopify-acme.1", payment_ref="5", paid_by="marketplace",
    )

    made = ShopifyActions(admin, MemoryAudit(), lambda: NOW).refund(Return(return_id="shopify-acme/1", kind="return"), issued)

    assert made["marketplace_refund_id"] == "8"  # ours, made now; the merchant's 5.00 stays the merchant's
    assert [operation for operation, _ in admin.calls] == ["AftersalesReturn", "AftersalesReturnProcess"]


def test_a_cancellation_has_no_return_in_shopify_to_decline():
    admin = Admin()

    assert "no return in Shopify" in ShopifyActions(admin, MemoryAudit(), lambda: NOW).decline(cancellation(L11=1), None)
    assert admin.calls == []
