"""preview_verification on the twins: what the verifier would decide for a request, its order inline or stored,
with the policy it was decided under, and nothing written anywhere."""

import copy

import pytest

from chalicelib.adapters.memory import MemoryPolicies
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.policy import PolicyDocument
from chalicelib.services.preview_verification import preview_verification
from tests.unit.services.given import NOW, a_return, an_order, twins
from tests.webhook_events import order_upserted

ORDER = order_upserted()["data"]
REQUEST = {"order": ORDER, "reason": "wrong_size", "items": [{"line_id": "L2", "quantity": 1}],
           "requested_at": "2026-11-20T09:00:00Z"}
BY_ID = {**{key: value for key, value in REQUEST.items() if key != "order"}, "order_id": "TM-1001"}


@pytest.fixture
def ports():
    return twins()


def snapshot(ports) -> dict:
    """Everything the twins hold."""
    return copy.deepcopy({
        "event_log": ports.event_log.items, "orders": ports.orders.items, "customers": ports.customers.items,
        "returns": ports.returns.items, "audit": ports.returns.audit, "shipments": ports.shipments.items,
        "ledger": ports.ledger.items, "queue": ports.queue.messages, "archive": ports.archive.objects,
        "bus": ports.bus.events, "started": ports.workflows.started, "resumed": ports.workflows.resumed,
        "failed": ports.workflows.failed, "payments": ports.payments.refunds,
    })


def test_a_preview_of_an_inline_order_answers_the_decision_as_a_dry_run(ports):
    preview = preview_verification(REQUEST, ports, NOW)

    assert (preview["outcome"], preview["code"], preview["policy_version"], preview["dry_run"]) == (
        "return", "APPROVED", "default-2026-11", True
    )


def test_a_preview_answers_the_facts_it_decided_on(ports):
    facts = preview_verification(REQUEST, ports, NOW)["facts"]

    assert facts["window_days"] == {"L2": 7} and facts["categories"] == {"L2": "apparel"}
    assert facts["estimate"] == "27.69"  # 1 of 3 units of L2: (99.99 - 9.99 - 6.94 of the coupon) / 3
    assert (facts["requested_at"], facts["delivered_at"]) == ("2026-11-20T09:00:00Z", "2026-11-18T08:00:00Z")


def test_a_preview_answers_the_policy_it_resolved(ports):
    policy = preview_verification(REQUEST, ports, NOW)["policy"]

    assert (policy["version"], policy["tier"], policy["manual_review_above"]) == (
        "default-2026-11", "normal", "2000.00"
    )


def test_a_preview_of_an_inline_order_writes_nothing(ports):
    an_order(ports, "TM-OTHER")
    a_return(ports, "RT-OTHER", "TM-OTHER")
    before = snapshot(ports)

    preview_verification(REQUEST, ports, NOW)
    preview_verification({**REQUEST, "reason": "quality_issue"}, ports, NOW)

    assert snapshot(ports) == before


def test_a_preview_of_a_stored_order_writes_nothing(ports):
    an_order(ports)
    before = snapshot(ports)

    preview_verification(BY_ID, ports, NOW)

    assert snapshot(ports) == before


def test_a_preview_of_a_stored_order_decides_with_its_marketplace(ports):
    an_order(ports)

    preview = preview_verification(BY_ID, ports, NOW)

    assert (preview["code"], preview["facts"]["marketplace"], preview["policy"]["marketplace"]) == (
        "APPROVED", "tmall", "tmall"
    )


def test_a_preview_of_an_order_that_is_not_stored_is_not_eligible(ports):
    preview = preview_verification({**BY_ID, "order_id": "TM-NOPE"}, ports, NOW)

    assert (preview["outcome"], preview["code"]) == ("reject", "ORDER_NOT_ELIGIBLE")


@pytest.mark.parametrize(
    "changes, code",
    [({"reason": "quality_issue"}, "EVIDENCE_REQUIRED"),
     ({"reason": "quality_issue", "evidence_urls": ["https://img.example.com/1.jpg"]}, "APPROVED"),
     ({"requested_at": "2026-11-25T08:00:01Z"}, "WINDOW_EXPIRED"),
     ({"returns_30d": 5}, "RETURN_ABUSE_SIGNAL"),
     ({"items": [{"line_id": "L2", "quantity": 4}]}, "QUANTITY_EXCEEDED"),
     ({"order": {**ORDER, "status": "paid"}}, "CANCEL_BEFORE_SHIPMENT"),
     ({"order": {**ORDER, "status": "cancelled"}}, "ORDER_NOT_ELIGIBLE"),
     ({"order": {**ORDER, "lines": [{**ORDER["lines"][0], "unit_price": "2100.00"}]},
       "items": [{"line_id": "L1", "quantity": 1}]}, "HIGH_VALUE")],
    ids=["no evidence", "evidence", "late", "abuse", "too many units", "not shipped", "cancelled", "high value"],
)
def test_a_preview_walks_the_decision_table(ports, changes, code):
    assert preview_verification({**REQUEST, **changes}, ports, NOW)["code"] == code


def test_a_preview_without_a_request_time_is_decided_as_requested_now(ports):
    request = {key: value for key, value in REQUEST.items() if key != "requested_at"}

    assert preview_verification(request, ports, NOW)["facts"]["requested_at"] == "2026-11-22T08:00:00Z"


def test_the_stored_returns_of_the_customer_count_toward_the_abuse_signal(ports):
    an_order(ports)
    for n in range(5):
        a_return(ports, f"RT-{n}")

    preview = preview_verification(BY_ID, ports, NOW)

    assert (preview["code"], preview["facts"]["returns_30d"]) == ("RETURN_ABUSE_SIGNAL", 5)


def test_a_given_return_count_replaces_the_stored_one(ports):
    an_order(ports)
    for n in range(5):
        a_return(ports, f"RT-{n}")

    preview = preview_verification({**BY_ID, "returns_30d": 0}, ports, NOW)

    assert (preview["code"], preview["facts"]["returns_30d"]) == ("APPROVED", 0)


def test_a_given_tier_is_the_tier_of_the_policy(ports):
    assert preview_verification({**REQUEST, "tier": "vip"}, ports, NOW)["policy"]["review_sla_hours"] == 2


def test_the_customers_stored_tier_is_used_when_none_is_given(ports):
    ports.customers.set_tier("C-1", "potential", {}, "2026-11-22T00:00:00Z", "default-2026-11")

    assert preview_verification(REQUEST, ports, NOW)["policy"]["tier"] == "potential"


def test_a_given_marketplace_picks_that_marketplaces_policy():
    document = PolicyDocument.model_validate(
        {"version": "v7", "marketplaces": {"jd": {"categories": {"apparel": {"return_window_days": 1}}}}}
    )
    ports = twins(policies=MemoryPolicies(document))

    preview = preview_verification({**REQUEST, "marketplace": "jd"}, ports, NOW)

    assert (preview["code"], preview["policy_version"], preview["facts"]["window_days"]) == (
        "WINDOW_EXPIRED", "v7", {"L2": 1}
    )


@pytest.mark.parametrize("paid", ["18.5", "18.000"])
def test_return_shipping_paid_in_the_wrong_scale_for_an_inline_order_is_invalid_input_on_its_field(ports, paid):
    with pytest.raises(InvalidInput) as refused:
        preview_verification({**REQUEST, "return_shipping_paid": paid}, ports, NOW)

    assert refused.value.field == "return_shipping_paid"


def test_return_shipping_paid_in_the_wrong_scale_for_a_stored_orders_currency_is_invalid_input_on_its_field(ports):
    an_order(ports)

    with pytest.raises(InvalidInput) as refused:
        preview_verification({**BY_ID, "return_shipping_paid": "18.5"}, ports, NOW)

    assert refused.value.field == "return_shipping_paid"


def test_return_shipping_paid_with_decimals_is_refused_for_a_currency_without_them(ports):
    yen = {**ORDER, "currency": "JPY", "shipping_fee": "500", "order_discount": "0",
           "lines": [{"line_id": "L2", "category": "apparel", "unit_price": "3000", "quantity": 1}]}
    request = {**REQUEST, "order": yen, "return_shipping_paid": "18.00"}

    with pytest.raises(InvalidInput) as refused:
        preview_verification(request, ports, NOW)

    assert (refused.value.field, "JPY" in refused.value.message) == ("return_shipping_paid", True)


def test_return_shipping_paid_in_its_currencys_scale_is_accepted(ports):
    assert preview_verification({**REQUEST, "return_shipping_paid": "18.00"}, ports, NOW)["dry_run"] is True


@pytest.mark.parametrize(
    "changes, field, code",
    [({"reason": "bored"}, "reason", "invalid_value"),
     ({"items": []}, "items", "invalid_value"),
     ({"items": [{"line_id": "L1", "quantity": 0}]}, "items[0].quantity", "invalid_value"),
     ({"order": {**ORDER, "shipping_fee": "12.5"}}, "order.shipping_fee", "invalid_value"),
     ({"order": {**ORDER, "lines": [{**ORDER["lines"][0], "unit_price": "299.0"}]}}, "order.lines[0].unit_price",
      "invalid_value"),
     ({"order": {**ORDER, "currency": "XXX"}}, "order.currency", "invalid_value"),
     ({"return_shipping_paid": "eighteen"}, "return_shipping_paid", "invalid_value"),
     ({"requested_at": "2026-11-20T09:00:00"}, "requested_at", "invalid_value"),
     ({"tier": "gold"}, "tier", "invalid_value"),
     ({"returns_30d": -1}, "returns_30d", "invalid_value"),
     ({"surprise": 1}, "surprise", "unknown_field")],
    ids=["reason", "no items", "zero units", "order amount scale", "line amount scale", "currency",
         "shipping not an amount", "naive time", "tier", "negative count", "extra field"],
)
def test_an_invalid_preview_is_invalid_input_naming_the_field(ports, changes, field, code):
    with pytest.raises(InvalidInput) as refused:
        preview_verification({**REQUEST, **changes}, ports, NOW)

    assert (refused.value.field, refused.value.code) == (field, code)


def test_a_preview_with_no_order_at_all_is_invalid_input(ports):
    request = {key: value for key, value in REQUEST.items() if key != "order"}

    with pytest.raises(InvalidInput) as refused:
        preview_verification(request, ports, NOW)

    assert "order_id" in refused.value.message
