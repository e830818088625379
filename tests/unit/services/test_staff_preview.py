"""preview_verification on the twins: what the verifier would decide for a request, its order inline or stored
(named by its shop and the shop's order id), with the policy it was decided under, and nothing written anywhere
(not even the audit trail). Its times are within the edge's window around now; it needs the after_sales role."""

import copy

import pytest

from chalicelib.adapters.memory import MemoryPolicies
from chalicelib.config import Config
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.policy import PolicyDocument
from chalicelib.ports.errors import Forbidden
from chalicelib.services.preview_verification import preview_verification
from tests.unit.services.given import NOW, a_return, an_order, delivered_on, staff, twins
from tests.webhook_events import order_upserted

ORDER = order_upserted()["data"]
REQUEST = {"order": ORDER, "reason": "wrong_size", "items": [{"line_id": "L2", "quantity": 1}],
           "requested_at": "2026-11-20T09:00:00Z"}
# A stored order is named by its shop and the shop's own order id; behind the edge it is "tmall/TM-1001".
BY_ID = {**{key: value for key, value in REQUEST.items() if key != "order"}, "shop": "tmall", "order_id": "TM-1001"}
CLERK = staff("after_sales")


def the_shops_order(ports, order_id: str = "TM-1001", **data) -> None:
    """The order as the edge stores it: its ids qualified by the shop that sent it (tmall)."""
    an_order(ports, f"tmall/{order_id}", **{"customer_id": "tmall/C-1", **data})


def the_shops_return(ports, return_id: str, order_id: str = "TM-1001") -> None:
    a_return(ports, f"tmall/{return_id}", f"tmall/{order_id}")


def config(**window) -> Config:
    return Config.model_validate({"AFTERSALES_INGEST_QUEUE_URL": "q", **window})


@pytest.fixture
def ports():
    return twins()


def snapshot(ports) -> dict:
    """Everything the twins hold."""
    return copy.deepcopy({
        "event_log": ports.event_log.items, "orders": ports.orders.items, "customers": ports.customers.items,
        "returns": ports.returns.items, "audit": ports.audit.entries, "shipments": ports.shipments.items,
        "ledger": ports.ledger.items, "queue": ports.queue.messages, "archive": ports.archive.objects,
        "bus": ports.bus.events, "started": ports.workflows.started, "resumed": ports.workflows.resumed,
        "failed": ports.workflows.failed, "payments": ports.payments.refunds,
    })


def test_a_preview_of_an_inline_order_answers_the_decision_as_a_dry_run(ports):
    preview = preview_verification(REQUEST, CLERK, ports, NOW)

    assert (preview["outcome"], preview["code"], preview["policy_version"], preview["dry_run"]) == (
        "return", "APPROVED", "default-2026-11", True
    )


def test_a_preview_answers_the_facts_it_decided_on(ports):
    facts = preview_verification(REQUEST, CLERK, ports, NOW)["facts"]

    assert facts["window_days"] == {"L2": 7} and facts["categories"] == {"L2": "apparel"}
    assert facts["estimate"] == "27.69"  # 1 of 3 units of L2: (99.99 - 9.99 - 6.94 of the coupon) / 3
    assert (facts["requested_at"], facts["delivered_at"]) == ("2026-11-20T09:00:00Z", "2026-11-18T08:00:00Z")


def test_a_preview_answers_the_policy_it_resolved(ports):
    policy = preview_verification(REQUEST, CLERK, ports, NOW)["policy"]

    assert (policy["version"], policy["tier"], policy["manual_review_above"]) == (
        "default-2026-11", "normal", "2000.00"
    )


def test_a_preview_of_an_inline_order_writes_nothing(ports):
    an_order(ports, "TM-OTHER")
    a_return(ports, "RT-OTHER", "TM-OTHER")
    before = snapshot(ports)

    preview_verification(REQUEST, CLERK, ports, NOW)
    preview_verification({**REQUEST, "reason": "quality_issue"}, CLERK, ports, NOW)

    assert snapshot(ports) == before


def test_a_preview_of_a_stored_order_writes_nothing(ports):
    the_shops_order(ports)
    before = snapshot(ports)

    preview_verification(BY_ID, CLERK, ports, NOW)

    assert snapshot(ports) == before


def test_a_preview_of_a_stored_order_decides_with_its_marketplace(ports):
    the_shops_order(ports)

    preview = preview_verification(BY_ID, CLERK, ports, NOW)

    assert (preview["code"], preview["facts"]["marketplace"], preview["policy"]["marketplace"]) == (
        "APPROVED", "tmall", "tmall"
    )


def test_a_preview_of_an_order_that_is_not_stored_is_not_eligible(ports):
    preview = preview_verification({**BY_ID, "order_id": "TM-NOPE"}, CLERK, ports, NOW)

    assert (preview["outcome"], preview["code"]) == ("reject", "ORDER_NOT_ELIGIBLE")


@pytest.mark.parametrize(
    "changes, code",
    [({"reason": "quality_issue"}, "EVIDENCE_REQUIRED"),
     ({"reason": "quality_issue", "evidence_urls": ["https://img.example.com/1.jpg"]}, "APPROVED"),
     ({"order": {**ORDER, **delivered_on("2026-11-13T08:00:00Z")}, "requested_at": "2026-11-20T08:00:01Z"},
      "WINDOW_EXPIRED"),
     ({"returns_30d": 5}, "RETURN_ABUSE_SIGNAL"),
     ({"items": [{"line_id": "L2", "quantity": 4}]}, "QUANTITY_EXCEEDED"),
     ({"order": {**ORDER, "status": "paid"}}, "CANCEL_BEFORE_SHIPMENT"),
     ({"order": {**ORDER, "status": "cancelled"}}, "ORDER_NOT_ELIGIBLE"),
     ({"order": {**ORDER, "lines": [{**ORDER["lines"][0], "unit_price": "2100.00"}]},
       "items": [{"line_id": "L1", "quantity": 1}]}, "HIGH_VALUE")],
    ids=["no evidence", "evidence", "late", "abuse", "too many units", "not shipped", "cancelled", "high value"],
)
def test_a_preview_walks_the_decision_table(ports, changes, code):
    assert preview_verification({**REQUEST, **changes}, CLERK, ports, NOW)["code"] == code


def test_a_preview_without_a_request_time_is_decided_as_requested_now(ports):
    request = {key: value for key, value in REQUEST.items() if key != "requested_at"}

    assert preview_verification(request, CLERK, ports, NOW)["facts"]["requested_at"] == "2026-11-22T08:00:00Z"


def test_the_stored_returns_of_the_customer_count_toward_the_abuse_signal(ports):
    the_shops_order(ports)
    for n in range(5):
        the_shops_return(ports, f"RT-{n}")

    preview = preview_verification(BY_ID, CLERK, ports, NOW)

    assert (preview["code"], preview["facts"]["returns_30d"]) == ("RETURN_ABUSE_SIGNAL", 5)


def test_a_given_return_count_replaces_the_stored_one(ports):
    the_shops_order(ports)
    for n in range(5):
        the_shops_return(ports, f"RT-{n}")

    preview = preview_verification({**BY_ID, "returns_30d": 0}, CLERK, ports, NOW)

    assert (preview["code"], preview["facts"]["returns_30d"]) == ("APPROVED", 0)


def test_a_given_tier_is_the_tier_of_the_policy(ports):
    assert preview_verification({**REQUEST, "tier": "vip"}, CLERK, ports, NOW)["policy"]["review_sla_hours"] == 2


def test_the_customers_stored_tier_is_used_when_none_is_given(ports):
    ports.customers.set_tier("C-1", "potential", {}, "2026-11-22T00:00:00Z", "default-2026-11")

    assert preview_verification(REQUEST, CLERK, ports, NOW)["policy"]["tier"] == "potential"


def test_a_given_marketplace_picks_that_marketplaces_policy():
    document = PolicyDocument.model_validate(
        {"version": "v7", "marketplaces": {"jd": {"categories": {"apparel": {"return_window_days": 1}}}}}
    )
    ports = twins(policies=MemoryPolicies(document))

    preview = preview_verification({**REQUEST, "marketplace": "jd"}, CLERK, ports, NOW)

    assert (preview["code"], preview["policy_version"], preview["facts"]["window_days"]) == (
        "WINDOW_EXPIRED", "v7", {"L2": 1}
    )


@pytest.mark.parametrize("paid", ["18.5", "18.000"])
def test_return_shipping_paid_in_the_wrong_scale_for_an_inline_order_is_invalid_input_on_its_field(ports, paid):
    with pytest.raises(InvalidInput) as refused:
        preview_verification({**REQUEST, "return_shipping_paid": paid}, CLERK, ports, NOW)

    assert refused.value.field == "return_shipping_paid"


def test_return_shipping_paid_in_the_wrong_scale_for_a_stored_orders_currency_is_invalid_input_on_its_field(ports):
    the_shops_order(ports)

    with pytest.raises(InvalidInput) as refused:
        preview_verification({**BY_ID, "return_shipping_paid": "18.5"}, CLERK, ports, NOW)

    assert refused.value.field == "return_shipping_paid"


def test_return_shipping_paid_with_decimals_is_refused_for_a_currency_without_them(ports):
    yen = {**ORDER, "currency": "JPY", "shipping_fee": "500", "order_discount": "0",
           "lines": [{"line_id": "L2", "category": "apparel", "unit_price": "3000", "quantity": 1}]}
    request = {**REQUEST, "order": yen, "return_shipping_paid": "18.00"}

    with pytest.raises(InvalidInput) as refused:
        preview_verification(request, CLERK, ports, NOW)

    assert (refused.value.field, "JPY" in refused.value.message) == ("return_shipping_paid", True)


def test_return_shipping_paid_in_its_currencys_scale_is_accepted(ports):
    assert preview_verification({**REQUEST, "return_shipping_paid": "18.00"}, CLERK, ports, NOW)["dry_run"] is True


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
        preview_verification({**REQUEST, **changes}, CLERK, ports, NOW)

    assert (refused.value.field, refused.value.code) == (field, code)


def test_a_preview_with_no_order_at_all_is_invalid_input(ports):
    request = {key: value for key, value in REQUEST.items() if key != "order"}

    with pytest.raises(InvalidInput) as refused:
        preview_verification(request, CLERK, ports, NOW)

    assert "order_id" in refused.value.message


# A stored order is the shop's: named by the shop and the shop's own order id.

def test_a_preview_of_a_stored_order_reads_the_order_of_the_shop_it_names(ports):
    the_shops_order(ports)  # tmall's TM-1001
    an_order(ports, "jd/TM-1001", customer_id="jd/C-1", order_discount="0.00",  # jd's, of another price
             lines=[{"line_id": "L2", "category": "apparel", "unit_price": "50.00", "quantity": 3}])

    tmall = preview_verification(BY_ID, CLERK, ports, NOW)
    jd = preview_verification({**BY_ID, "shop": "jd"}, CLERK, ports, NOW)

    assert (tmall["code"], tmall["facts"]["estimate"]) == ("APPROVED", "27.69")
    assert (jd["code"], jd["facts"]["estimate"]) == ("APPROVED", "50.00")


def test_an_order_of_another_shop_is_not_stored_for_this_one(ports):
    the_shops_order(ports)  # tmall's TM-1001

    preview = preview_verification({**BY_ID, "shop": "jd"}, CLERK, ports, NOW)

    assert (preview["outcome"], preview["code"]) == ("reject", "ORDER_NOT_ELIGIBLE")


def test_a_stored_order_named_without_its_shop_is_invalid_input_asking_for_the_shop(ports):
    the_shops_order(ports)
    request = {key: value for key, value in BY_ID.items() if key != "shop"}

    with pytest.raises(InvalidInput) as refused:
        preview_verification(request, CLERK, ports, NOW)

    assert "shop" in refused.value.message


@pytest.mark.parametrize(
    "changes, field",
    [({"shop": "Tmall"}, "shop"), ({"shop": ""}, "shop"), ({"shop": "tm/all"}, "shop"), ({"shop": 7}, "shop"),
     ({"order_id": "tmall/TM-1001"}, "order_id")],
    ids=["upper case shop", "empty shop", "slash in shop", "shop a number", "order id already qualified"],
)
def test_a_bad_shop_or_order_id_is_invalid_input_naming_it(ports, changes, field):
    the_shops_order(ports)

    with pytest.raises(InvalidInput) as refused:
        preview_verification({**BY_ID, **changes}, CLERK, ports, NOW)

    assert refused.value.field == field


def test_an_inline_order_with_its_shop_uses_that_shops_customer(ports):
    ports.customers.set_tier("tmall/C-1", "vip", {}, "2026-11-22T00:00:00Z", "default-2026-11")
    ports.customers.set_tier("C-1", "potential", {}, "2026-11-22T00:00:00Z", "default-2026-11")

    assert preview_verification({**REQUEST, "shop": "tmall"}, CLERK, ports, NOW)["policy"]["tier"] == "vip"
    assert preview_verification({**REQUEST, "shop": "jd"}, CLERK, ports, NOW)["policy"]["tier"] == "normal"


def test_the_stored_returns_of_the_shops_customer_count_for_an_inline_order_of_that_shop(ports):
    the_shops_order(ports)
    for n in range(5):
        the_shops_return(ports, f"RT-{n}")

    assert preview_verification({**REQUEST, "shop": "tmall"}, CLERK, ports, NOW)["code"] == "RETURN_ABUSE_SIGNAL"
    assert preview_verification(REQUEST, CLERK, ports, NOW)["code"] == "APPROVED"  # "C-1" is nobody's customer


# The edge's window: what a person types is held to the same dates as what a source sends.

@pytest.mark.parametrize(
    "changes, field",
    [({"requested_at": "2026-11-25T08:00:01Z"}, "requested_at"),  # before the window: a late request (by design)
     ({"requested_at": "2026-11-23T08:00:01Z"}, "requested_at"),
     ({"requested_at": "2016-11-01T00:00:00Z"}, "requested_at"),
     ({"requested_at": "9999-12-31T23:59:59-01:00"}, "requested_at"),
     ({"order": {**ORDER, "delivered_at": "2026-12-01T00:00:00Z"}}, "order.delivered_at"),
     ({"order": {**ORDER, "paid_at": "1999-01-01T00:00:00Z"}}, "order.paid_at")],
    ids=["three days ahead", "a second past the window", "more than 3650 days ago", "overflowing UTC",
         "delivered in the future", "paid decades ago"],
)
def test_a_time_outside_the_edges_window_is_invalid_input_naming_it(ports, changes, field):
    with pytest.raises(InvalidInput) as refused:
        preview_verification({**REQUEST, **changes}, CLERK, ports, NOW)

    assert (refused.value.field, refused.value.code) == (field, "invalid_value")


@pytest.mark.parametrize("requested_at", ["2026-11-23T08:00:00Z", "2016-11-24T08:00:00Z"],
                         ids=["the window's future end", "the window's past end"])
def test_a_time_at_the_ends_of_the_window_is_taken(ports, requested_at):
    assert preview_verification({**REQUEST, "requested_at": requested_at}, CLERK, ports, NOW)["dry_run"] is True


def test_the_window_is_the_configured_one():
    ports = twins(config=config(AFTERSALES_TIME_WINDOW_FUTURE_HOURS=96, AFTERSALES_TIME_WINDOW_PAST_DAYS=30))

    late = preview_verification({**REQUEST, "requested_at": "2026-11-25T08:00:01Z"}, CLERK, ports, NOW)
    with pytest.raises(InvalidInput) as refused:
        preview_verification({**REQUEST, "order": {**ORDER, **delivered_on("2026-10-01T08:00:00Z")}}, CLERK, ports, NOW)

    assert late["code"] == "WINDOW_EXPIRED"
    assert refused.value.field == "order.paid_at"


# Roles.

@pytest.mark.parametrize("roles", [("after_sales",), ("admin",), ("after_sales", "finance")])
def test_a_key_with_the_after_sales_role_may_preview(ports, roles):
    assert preview_verification(REQUEST, staff(*roles), ports, NOW)["dry_run"] is True


def test_a_finance_key_may_not_preview_and_nothing_is_written(ports):
    the_shops_order(ports)
    before = snapshot(ports)

    with pytest.raises(Forbidden) as refused:
        preview_verification(BY_ID, staff("finance"), ports, NOW)

    assert refused.value.code == "role_required"
    assert snapshot(ports) == before


def test_the_role_is_checked_before_the_request():
    with pytest.raises(Forbidden):
        preview_verification({"surprise": 1}, staff("finance"), twins(), NOW)
