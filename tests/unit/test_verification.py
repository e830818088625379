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
    refund_only=False,
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
                evidence=evidence, refund_only=refund_only),
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


# POLICY.md section 8: refund-only requests. Rules 1, 2, 4, 5 and 8 first, then section 8's own table.

IN_TRANSIT = {"status": "shipped", "delivered_at": None}
UNSHIPPED = {"status": "paid", "shipped_at": None, "delivered_at": None}


def refund_only(the_order=None, **changes):
    return decide(the_order, refund_only=True, **changes)


def returnless_below(amount: str, marketplace: str = "generic") -> Policy:
    market = {marketplace: {"defaults": {"returnless_refund_below": amount}}}
    return parse_policy({"version": "v-returnless", "marketplaces": market}).resolve(marketplace, "normal")


def test_refund_only_rule_1_and_2_an_unpaid_order_or_too_many_units_are_rejected():
    assert refund_only(order(status="pending_payment", paid_at=None)).code == "ORDER_NOT_ELIGIBLE"
    assert refund_only(units=4).code == "QUANTITY_EXCEEDED"


def test_refund_only_rule_4_the_window_still_runs_from_delivery():
    late = refund_only(after=timedelta(days=7, seconds=1))
    assert (late.outcome, late.code, late.facts["resolution"]) == ("reject", "WINDOW_EXPIRED", "refund_only")


def test_refund_only_rule_5_a_non_returnable_item_is_not_refunded_for_a_buyer_fault_reason():
    assert refund_only(line="L2").code == "NON_RETURNABLE"


def test_refund_only_rule_8_the_abuse_signal_comes_before_the_shipment_s_state():
    decision = refund_only(order(**UNSHIPPED), returns_30d=5)
    assert (decision.outcome, decision.code, decision.facts["returns_30d"]) == ("manual", "RETURN_ABUSE_SIGNAL", 5)


def test_refund_only_rules_6_and_7_do_not_apply_no_evidence_asked_no_high_value_review():
    decision = refund_only(order(**IN_TRANSIT), reason="quality_issue", estimate=10**9)
    assert decision.code == "INTERCEPT_IN_TRANSIT"
    assert "evidence" not in decision.facts and "manual_review_above" not in decision.facts


def test_refund_only_not_shipped_is_cancelled_before_shipment():
    decision = refund_only(order(**UNSHIPPED))
    assert (decision.outcome, decision.code) == ("cancel", "CANCEL_BEFORE_SHIPMENT")
    assert (decision.facts["order_status"], decision.facts["resolution"]) == ("paid", "refund_only")
    assert decision.facts["asked"] == ["returns_30d"]  # no estimate: it is a cancellation's quote


def test_refund_only_shipped_not_delivered_is_intercepted():
    decision = refund_only(order(**IN_TRANSIT))
    assert (decision.outcome, decision.code, decision.policy_version) == (
        "intercept", "INTERCEPT_IN_TRANSIT", "default-2026-11")
    assert decision.facts == {
        "marketplace": "generic", "tier": "normal", "resolution": "refund_only", "categories": {"L1": "apparel"},
        "delivered_at": None, "requested_at": "2026-11-20T08:00:00Z", "reason": "changed_mind", "returns_30d": 0,
        "shipped_at": "2026-11-16T08:00:00Z", "asked": ["returns_30d"],
    }


def test_refund_only_delivered_goes_to_review_by_default_the_returnless_threshold_being_off():
    decision = refund_only(estimate=1)
    assert (decision.outcome, decision.code) == ("manual", "REFUND_ONLY_DELIVERED")
    assert (decision.facts["estimate"], decision.facts["returnless_refund_below"]) == ("0.01", "0.00")
    assert decision.facts["asked"] == ["returns_30d", "estimate"]


def test_refund_only_delivered_at_most_the_threshold_is_refunded_without_return_above_it_reviewed():
    policy = returnless_below("20.00")
    at = refund_only(estimate=2000, policy=policy)
    assert (at.outcome, at.code, at.facts["estimate"], at.facts["returnless_refund_below"]) == (
        "refund", "RETURNLESS_REFUND", "20.00", "20.00")
    assert refund_only(estimate=2001, policy=policy).code == "REFUND_ONLY_DELIVERED"


def test_refund_only_threshold_scales_with_a_zero_decimal_currency():
    the_order = order(currency="JPY", shipping_fee="500", lines=[
        {"line_id": "L1", "unit_price": "1000", "quantity": 3, "category": "apparel"}])
    policy = returnless_below("20")
    assert refund_only(the_order, estimate=20, policy=policy).code == "RETURNLESS_REFUND"
    decision = refund_only(the_order, estimate=21, policy=policy)
    assert (decision.code, decision.facts["returnless_refund_below"]) == ("REFUND_ONLY_DELIVERED", "20")


def test_refund_only_threshold_is_set_per_marketplace_and_tier():
    document = parse_policy({
        "version": "v2", "defaults": {"returnless_refund_below": "10.00"},
        "tiers": {"vip": {"returnless_refund_below": "50.00"}},
        "marketplaces": {"tmall": {"defaults": {"returnless_refund_below": "0"}}},
    })
    assert refund_only(estimate=1000, policy=document.resolve("generic", "normal")).code == "RETURNLESS_REFUND"
    assert refund_only(estimate=5000, policy=document.resolve("generic", "vip")).code == "RETURNLESS_REFUND"
    assert refund_only(estimate=5000, policy=document.resolve("generic", "normal")).code == "REFUND_ONLY_DELIVERED"
    assert refund_only(estimate=1, policy=document.resolve("tmall", "vip")).code == "REFUND_ONLY_DELIVERED"
