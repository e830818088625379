"""POLICY.md section 4: every rule of the decision table at its boundary, in order, under policy overrides."""

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain.events import OrderData, ReturnLine
from chalicelib.domain.policy import DEFAULT_POLICY, Policy, parse_policy
from chalicelib.domain.tracking import Shipment
from chalicelib.domain.verification import Request, verify_request

DELIVERED = datetime(2026, 11, 18, 8, 0, tzinfo=timezone.utc)


def order(**changes) -> OrderData:
    data = {
        "order_id": "TM-1", "customer_id": "C-1", "currency": "CNY", "status": "delivered",
        "paid_at": "2026-11-15T08:00:00Z", "shipped_at": "2026-11-16T08:00:00Z", "delivered_at": DELIVERED,
        "shipping_fee": "12.00",
        "lines": [
            {"line_id": "L1", "unit_price": "10.00", "quantity": 3, "category": "apparel"},
            {"line_id": "L2", "unit_price": "5.00", "quantity": 1, "category": "perishable"},
        ],
    }
    return OrderData.model_validate({**data, **changes})


def decide(
    the_order=None, units=1, line="L1", reason="changed_mind", evidence=0, returned_before=None,
    after=timedelta(days=2), policy: Policy | None = None, estimate=1000, returns_30d=0, carrier_delivered_at=None,
):
    asked = []

    def estimate_minor():
        asked.append("estimate")
        return estimate

    def recent_returns():
        asked.append("returns_30d")
        return returns_30d

    decision = verify_request(
        order() if the_order is None else the_order,
        Request(reason=reason, items=[ReturnLine(line_id=line, quantity=units)], requested_at=DELIVERED + after,
                evidence=evidence),
        returned_before or {},
        policy or DEFAULT_POLICY.resolve("generic", "normal"),
        estimate_minor,
        recent_returns,
        carrier_delivered_at,
    )
    decision.facts["asked"] = asked
    return decision


@pytest.mark.parametrize("status", ["pending_payment", "cancelled"])
def test_rule_1_unpaid_order_is_rejected(status):
    decision = decide(order(status=status, paid_at=None))
    assert (decision.outcome, decision.code, decision.facts["order_status"]) == ("reject", "ORDER_NOT_ELIGIBLE", status)


def test_rule_1_unknown_order_is_rejected():
    decision = verify_request(
        None, Request(reason="other", items=[ReturnLine(line_id="L1", quantity=1)], requested_at=DELIVERED),
        {}, DEFAULT_POLICY.resolve(None, "normal"), lambda: 0, lambda: 0,
    )
    assert (decision.code, decision.facts["order_status"]) == ("ORDER_NOT_ELIGIBLE", None)


def test_rule_2_more_units_than_left_to_return_is_rejected():
    assert decide(units=3, returned_before={"L1": 0}).code == "APPROVED"
    decision = decide(units=3, returned_before={"L1": 1})
    assert (decision.outcome, decision.code) == ("reject", "QUANTITY_EXCEEDED")
    assert (decision.facts["line_id"], decision.facts["requested"], decision.facts["left"]) == ("L1", 3, 2)


def test_rule_2_a_line_not_in_the_order_is_rejected():
    assert decide(line="L9").code == "QUANTITY_EXCEEDED"


def test_rule_3_paid_but_not_shipped_is_a_cancellation():
    decision = decide(order(status="paid", shipped_at=None, delivered_at=None))
    assert (decision.outcome, decision.code) == ("cancel", "CANCEL_BEFORE_SHIPMENT")


def test_rule_4_window_is_exact_elapsed_time_day_7_in_day_7_plus_a_second_out():
    assert decide(after=timedelta(days=7)).code == "APPROVED"
    late = decide(after=timedelta(days=7, seconds=1))
    assert (late.outcome, late.code, late.facts["line_id"]) == ("reject", "WINDOW_EXPIRED", "L1")
    assert late.facts["delivered_at"] == "2026-11-18T08:00:00Z"
    assert late.facts["requested_at"] == "2026-11-25T08:00:01Z"
    assert late.facts["window_days"] == {"L1": 7}
    assert decide(after=timedelta(days=8)).code == "WINDOW_EXPIRED"


def test_rule_5_non_returnable_category_is_rejected_for_a_buyer_fault_reason_only():
    decision = decide(line="L2", reason="changed_mind")
    assert (decision.outcome, decision.code, decision.facts["categories"]) == (
        "reject", "NON_RETURNABLE", {"L2": "perishable"}
    )
    assert decide(line="L2", reason="quality_issue", evidence=1).code == "APPROVED"


def test_rule_6_seller_fault_without_evidence_waits_for_evidence():
    decision = decide(reason="not_as_described", evidence=0)
    assert (decision.outcome, decision.code, decision.facts["evidence"]) == ("manual", "EVIDENCE_REQUIRED", 0)
    assert decide(reason="not_as_described", evidence=2).code == "APPROVED"
    assert decide(reason="wrong_size", evidence=0).code == "APPROVED"


@pytest.mark.parametrize("currency, exponent", [("CNY", 2), ("JPY", 0)])
def test_rule_7_estimate_above_the_threshold_goes_to_review_at_the_threshold_does_not(currency, exponent):
    the_order = order(currency=currency, shipping_fee="12" + (".00" if exponent else ""), lines=[
        {"line_id": "L1", "unit_price": "10" + (".00" if exponent else ""), "quantity": 3, "category": "apparel"}
    ])
    threshold = 2000 * 10**exponent
    assert decide(the_order, estimate=threshold).code == "APPROVED"
    decision = decide(the_order, estimate=threshold + 1)
    assert (decision.outcome, decision.code) == ("manual", "HIGH_VALUE")
    assert decision.facts["manual_review_above"] == ("2000.00" if exponent else "2000")
    assert decision.facts["asked"] == ["estimate"]  # the return count was not needed


def test_rule_8_four_returns_in_30_days_pass_five_go_to_review():
    assert decide(returns_30d=4).code == "APPROVED"
    decision = decide(returns_30d=5)
    assert (decision.outcome, decision.code, decision.facts["returns_30d"]) == ("manual", "RETURN_ABUSE_SIGNAL", 5)


def test_rule_9_shipped_not_delivered_is_approved_in_transit_after_rules_5_to_8():
    in_transit = order(status="shipped", delivered_at=None)
    decision = decide(in_transit)
    assert (decision.outcome, decision.code, decision.facts["delivered_at"]) == ("return", "APPROVED_IN_TRANSIT", None)
    assert decide(in_transit, returns_30d=5).code == "RETURN_ABUSE_SIGNAL"
    assert decide(in_transit, after=timedelta(days=30)).code == "APPROVED_IN_TRANSIT"  # no window before delivery


def test_rule_10_otherwise_approved_with_every_fact_and_the_policy_version():
    decision = decide()
    assert (decision.outcome, decision.code, decision.policy_version) == ("return", "APPROVED", "default-2026-11")
    assert decision.facts == {
        "marketplace": "generic", "tier": "normal", "categories": {"L1": "apparel"},
        "delivered_at": "2026-11-18T08:00:00Z", "delivered_by": "order", "requested_at": "2026-11-20T08:00:00Z",
        "window_days": {"L1": 7}, "reason": "changed_mind", "evidence": 0, "estimate": "10.00", "returns_30d": 0,
        "asked": ["estimate", "returns_30d"],
    }


def test_rules_are_evaluated_in_order():
    unshipped = order(status="paid", shipped_at=None, delivered_at=None)
    assert decide(unshipped, units=4).code == "QUANTITY_EXCEEDED"  # rule 2 before rule 3
    assert decide(line="L2", after=timedelta(days=9)).code == "WINDOW_EXPIRED"  # rule 4 before rule 5
    assert decide(reason="quality_issue", estimate=10**9).code == "EVIDENCE_REQUIRED"  # rule 6 before rule 7
    assert decide(estimate=10**9, returns_30d=50).code == "HIGH_VALUE"  # rule 7 before rule 8


OVERRIDES = parse_policy(
    {
        "version": "2026-12-01.1",
        "defaults": {"return_window_days": 10, "manual_review_above": "500.00"},
        "tiers": {"vip": {"return_window_days": 30, "abuse_returns_30d": 10}},
        "categories": {"apparel": {"return_window_days": 15}, "perishable": {"non_returnable": False}},
        "marketplaces": {
            "tmall": {
                "defaults": {"return_window_days": 7, "abuse_returns_30d": 3},
                "categories": {"apparel": {"return_window_days": 3}, "books": {"non_returnable": True}},
            }
        },
    }
)


def test_category_override_beats_the_window_and_marketplace_category_beats_both():
    general = OVERRIDES.resolve("generic", "normal")
    assert decide(after=timedelta(days=15), policy=general).code == "APPROVED"
    assert decide(after=timedelta(days=15, seconds=1), policy=general).facts["window_days"] == {"L1": 15}
    tmall = OVERRIDES.resolve("tmall", "normal")
    assert decide(after=timedelta(days=3, seconds=1), policy=tmall).code == "WINDOW_EXPIRED"


def test_marketplace_and_tier_overrides():
    assert decide(returns_30d=3, policy=OVERRIDES.resolve("tmall", "normal")).code == "RETURN_ABUSE_SIGNAL"
    assert decide(returns_30d=3, policy=OVERRIDES.resolve("generic", "normal")).code == "APPROVED"
    vip = OVERRIDES.resolve("generic", "vip")
    assert (vip.abuse_returns_30d, vip.review_sla_hours, vip.version) == (10, 2, "2026-12-01.1")
    assert decide(estimate=50001, policy=vip).code == "HIGH_VALUE"  # the document's defaults apply to every tier


def test_a_category_can_be_made_returnable_or_not():
    books = order(lines=[{"line_id": "L1", "unit_price": "10.00", "quantity": 1, "category": "books"}])
    assert decide(line="L2", policy=OVERRIDES.resolve("generic", "normal")).code == "APPROVED"
    assert decide(books, policy=OVERRIDES.resolve("tmall", "normal")).code == "NON_RETURNABLE"
    assert decide(books, policy=OVERRIDES.resolve("generic", "normal")).code == "APPROVED"


def test_rule_4_measures_the_window_from_the_carrier_s_delivered_scan_when_there_is_one():
    late_scan = DELIVERED + timedelta(days=1)
    assert decide(after=timedelta(days=7, hours=12)).code == "WINDOW_EXPIRED"  # 7.5 days after the order's date
    by_carrier = decide(after=timedelta(days=7, hours=12), carrier_delivered_at=late_scan)
    assert (by_carrier.code, by_carrier.facts["delivered_by"]) == ("APPROVED", "carrier")
    assert by_carrier.facts["delivered_at"] == "2026-11-19T08:00:00Z"
    in_transit = order(status="shipped", delivered_at=None)
    assert decide(in_transit, carrier_delivered_at=late_scan, after=timedelta(days=9)).code == "WINDOW_EXPIRED"


def delivered_at(shipment: dict) -> str | None:
    return Shipment(carrier="sf", tracking_number="SF1", **shipment).delivered_at


def test_the_first_delivered_checkpoint_is_the_delivery():
    assert delivered_at({}) is None
    assert delivered_at({"checkpoints": {"a": {"status": "in_transit", "at": "2026-11-17T08:00:00Z"}}}) is None
    shipment = {"checkpoints": {
        "b": {"status": "delivered", "at": "2026-11-19T09:00:00Z"},
        "a": {"status": "delivered", "at": "2026-11-18T10:00:00Z"},
        "c": {"status": "in_transit", "at": "2026-11-17T08:00:00Z"},
    }}
    assert delivered_at(shipment) == "2026-11-18T10:00:00Z"
