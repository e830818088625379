"""POLICY.md section 4, rules 1-4, 9 and 10, each at its boundary."""

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain.events import OrderData, ReturnLine
from chalicelib.domain.verification import POLICY_VERSION, verify_request

DELIVERED = datetime(2026, 11, 18, 8, 0, tzinfo=timezone.utc)


def order(**changes) -> OrderData:
    data = {
        "order_id": "TM-1", "customer_id": "C-1", "currency": "CNY", "status": "delivered",
        "paid_at": "2026-11-15T08:00:00Z", "shipped_at": "2026-11-16T08:00:00Z", "delivered_at": DELIVERED,
        "shipping_fee": "12.00", "lines": [{"line_id": "L1", "unit_price": "10.00", "quantity": 3}],
    }
    return OrderData.model_validate({**data, **changes})


def decide(the_order, units=1, returned_before=None, after=timedelta(days=2)):
    return verify_request(the_order, [ReturnLine(line_id="L1", quantity=units)], returned_before or {}, DELIVERED + after)


@pytest.mark.parametrize("the_order", [None, order(status="pending_payment", paid_at=None), order(status="cancelled")])
def test_rule_1_unknown_or_unpaid_order_is_rejected(the_order):
    assert decide(the_order).code == "ORDER_NOT_ELIGIBLE"


def test_rule_2_more_units_than_left_to_return_is_rejected():
    assert decide(order(), units=3, returned_before={"L1": 0}).code == "APPROVED"
    decision = decide(order(), units=3, returned_before={"L1": 1})
    assert (decision.outcome, decision.code, decision.facts) == (
        "reject", "QUANTITY_EXCEEDED", {"line_id": "L1", "requested": 3, "left": 2}
    )


def test_rule_2_a_line_not_in_the_order_is_rejected():
    decision = verify_request(order(), [ReturnLine(line_id="L9", quantity=1)], {}, DELIVERED)
    assert decision.code == "QUANTITY_EXCEEDED"


def test_rule_3_paid_but_not_shipped_is_a_cancellation():
    decision = decide(order(status="paid", shipped_at=None, delivered_at=None))
    assert (decision.outcome, decision.code) == ("cancel", "CANCEL_BEFORE_SHIPMENT")


def test_rule_4_window_is_exact_elapsed_time():
    assert decide(order(), after=timedelta(days=7)).code == "APPROVED"
    late = decide(order(), after=timedelta(days=7, seconds=1))
    assert (late.outcome, late.code) == ("reject", "WINDOW_EXPIRED")
    assert late.facts == {
        "delivered_at": "2026-11-18T08:00:00Z", "requested_at": "2026-11-25T08:00:01Z", "window_days": 7
    }


def test_rule_9_shipped_not_delivered_is_approved_in_transit():
    decision = decide(order(status="shipped", delivered_at=None))
    assert (decision.outcome, decision.code) == ("return", "APPROVED_IN_TRANSIT")


def test_rule_10_otherwise_approved_with_the_policy_version():
    decision = decide(order())
    assert (decision.outcome, decision.code, decision.policy_version) == ("return", "APPROVED", POLICY_VERSION)


def test_rules_are_evaluated_in_order():
    """An unshipped order with too many units is rejected by rule 2 before rule 3 could approve it."""
    assert decide(order(status="paid", shipped_at=None, delivered_at=None), units=4).code == "QUANTITY_EXCEEDED"
