"""The Verify step on the twins: the decision table of POLICY.md section 4 on stored orders and returns, and what
the step keeps on the return (the decision, the policy it was decided under, the customer)."""

import pytest

from chalicelib.domain.policy import DEFAULT_POLICY, Overrides, PolicyDocument, Settings
from chalicelib.domain.returns import ReturnStatus
from chalicelib.services.dispatch_refund import dispatch_refund
from chalicelib.services.verify_return import decide, verify_return
from tests.unit.services.given import (
    NOW,
    PHOTO,
    RETRY,
    a_return,
    a_tier,
    an_order,
    cancel_requested,
    delivered_on,
    ingested,
    inspected,
    quoted,
    seller_fault,
    twins,
    unshipped,
)
from tests.webhook_events import return_requested

# return_requested asks at 2026-11-20T09:00:00Z; the order says it was delivered at 2026-11-18T08:00:00Z.
REQUESTED_AT = "2026-11-20T09:00:00Z"
DAY = 24 * 3600


def test_a_return_in_its_window_is_approved_with_its_decision_and_policy_kept_on_it():
    # Given an order delivered two days before the return request
    ports = twins()
    an_order(ports)
    a_return(ports)
    # When the Verify step runs
    result = verify_return("RT-1", ports)
    # Then it approves, with the waits of the default policy (14 days for the parcel and a review, 24 h for a hold)
    assert result == {
        "decision": "return", "code": "APPROVED",
        "parcel_wait_seconds": 14 * DAY, "review_wait_seconds": 14 * DAY, "hold_wait_seconds": 24 * 3600,
    }
    # And the return keeps the decision with its facts, and the policy resolved for the marketplace and tier
    record = ports.returns.get("RT-1")
    assert record.status == ReturnStatus.VERIFIED
    assert {key: record.decision[key] for key in ("outcome", "code", "policy_version")} == {
        "outcome": "return", "code": "APPROVED", "policy_version": "default-2026-11",
    }
    facts = record.decision["facts"]
    # The estimate is L1's net line: 299.00 less its 23.06 share of the coupon = 275.94 (see test_workflow_given).
    assert (facts["delivered_at"], facts["delivered_by"], facts["requested_at"], facts["estimate"]) == (
        "2026-11-18T08:00:00Z", "order", REQUESTED_AT, "275.94",
    )
    assert record.policy == DEFAULT_POLICY.resolve("tmall", "normal").model_dump(mode="json")


def test_a_return_requested_before_its_order_arrived_is_named_for_the_orders_customer():
    # Given a return whose request came before its order (so it was stored with no customer)
    ports = twins()
    a_return(ports)
    assert ports.returns.get("RT-1").customer_id is None
    an_order(ports)
    # When it is verified
    verify_return("RT-1", ports)
    # Then it carries the order's customer
    assert ports.returns.get("RT-1").customer_id == "C-1"


@pytest.mark.parametrize(
    "delivered_at, code",
    [
        ("2026-11-13T09:00:00Z", "APPROVED"),  # exactly 7 days before the request: still in
        ("2026-11-13T08:59:59Z", "WINDOW_EXPIRED"),  # 7 days and one second: out
    ],
)
def test_the_return_window_is_seven_days_of_exact_elapsed_time(delivered_at, code):
    # Given an order delivered at the edge of the 7-day window
    ports = twins()
    an_order(ports, **delivered_on(delivered_at))
    a_return(ports)
    # When verified
    result = verify_return("RT-1", ports)
    # Then the window decides to the second
    assert result["code"] == code


def test_a_return_outside_its_window_is_rejected_and_stored_as_rejected():
    # Given an order delivered ten days before the request
    ports = twins()
    an_order(ports, **delivered_on("2026-11-10T09:00:00Z"))
    a_return(ports)
    # When verified
    result = verify_return("RT-1", ports)
    # Then it is rejected for the window, and the return says so
    assert (result["decision"], result["code"]) == ("reject", "WINDOW_EXPIRED")
    record = ports.returns.get("RT-1")
    assert record.status == ReturnStatus.REJECTED
    assert record.decision["facts"]["line_id"] == "L1"


def tracked_order(ports, order_delivered_at: str, carrier_delivered_at: str) -> None:
    """An order whose outbound parcel is tracked, the carrier's delivered scan recorded on its shipment."""
    an_order(ports, shipment={"carrier": "sf", "tracking_number": "SF-OUT-1"}, **delivered_on(order_delivered_at))
    ports.shipments.record("sf", "SF-OUT-1", "cp-delivered", {"status": "delivered", "at": carrier_delivered_at}, None)


def test_the_carriers_delivered_scan_opens_the_window_when_it_is_later_than_the_order_says():
    # Given an order that says it was delivered 10 days before the request, whose carrier scanned it 2 days before
    ports = twins()
    tracked_order(ports, "2026-11-10T09:00:00Z", "2026-11-18T08:00:00Z")
    a_return(ports)
    # When verified
    result = verify_return("RT-1", ports)
    # Then the carrier's scan counts: the return is in its window
    assert result["code"] == "APPROVED"
    facts = ports.returns.get("RT-1").decision["facts"]
    assert (facts["delivered_at"], facts["delivered_by"]) == ("2026-11-18T08:00:00Z", "carrier")


def test_the_carriers_delivered_scan_closes_the_window_when_it_is_earlier_than_the_order_says():
    # Given an order that says delivered 2 days before the request, but the carrier scanned it delivered 8 days before
    ports = twins()
    tracked_order(ports, "2026-11-18T08:00:00Z", "2026-11-12T08:00:00Z")
    a_return(ports)
    # When verified
    result = verify_return("RT-1", ports)
    # Then the return is out of its window
    assert result["code"] == "WINDOW_EXPIRED"
    assert ports.returns.get("RT-1").decision["facts"]["delivered_by"] == "carrier"


def test_a_tracked_order_with_no_delivered_scan_yet_falls_back_to_the_orders_delivered_at():
    # Given an order whose outbound parcel is tracked but only scanned in transit
    ports = twins()
    an_order(ports, shipment={"carrier": "sf", "tracking_number": "SF-OUT-1"})
    ports.shipments.record("sf", "SF-OUT-1", "cp-1", {"status": "in_transit", "at": "2026-11-17T08:00:00Z"}, None)
    a_return(ports)
    # When verified
    verify_return("RT-1", ports)
    # Then the window runs from the order's delivered_at
    facts = ports.returns.get("RT-1").decision["facts"]
    assert (facts["delivered_at"], facts["delivered_by"]) == ("2026-11-18T08:00:00Z", "order")


def test_a_quality_claim_without_evidence_waits_for_it():
    # Given a quality claim with no photo
    ports = twins()
    an_order(ports)
    a_return(ports, reason="quality_issue")
    # When verified
    result = verify_return("RT-1", ports)
    # Then it goes to a person, waiting for evidence; the return is verified (not rejected)
    assert (result["decision"], result["code"]) == ("manual", "EVIDENCE_REQUIRED")
    assert ports.returns.get("RT-1").status == ReturnStatus.VERIFIED


def test_a_quality_claim_with_a_photo_is_approved():
    # Given a quality claim sent with its photo
    ports = twins()
    an_order(ports)
    a_return(ports, **seller_fault())
    # When verified
    result = verify_return("RT-1", ports)
    # Then it is approved, the evidence counted
    assert result["code"] == "APPROVED"
    assert ports.returns.get("RT-1").decision["facts"]["evidence"] == 1


@pytest.mark.parametrize(
    "unit_price, code",
    [
        # one line of 2030.00 less the whole 30.00 coupon: an estimate of 2000.00, the threshold itself
        ("2030.00", "APPROVED"),
        # 2030.01 - 30.00 = 2000.01: one fen above the threshold
        ("2030.01", "HIGH_VALUE"),
    ],
)
def test_a_return_whose_estimate_is_above_the_threshold_goes_to_manual_review(unit_price, code):
    # Given an order of one dear line, returned whole by a buyer who changed their mind (no postage, no shipping)
    ports = twins()
    an_order(ports, lines=[{"line_id": "L1", "sku": "TV-65", "category": "electronics", "unit_price": unit_price,
                            "quantity": 1}])
    a_return(ports)
    # When verified
    result = verify_return("RT-1", ports)
    # Then only an estimate above 200000 fen goes to a person
    assert result["code"] == code


def other_returns(ports, count: int, order_id: str = "TM-1001", occurred_at: str = REQUESTED_AT) -> None:
    for n in range(count):
        ingested(ports, {**return_requested(f"RT-{order_id}-{occurred_at}-{n}", order_id), "occurred_at": occurred_at})


@pytest.mark.parametrize("others, code", [(4, "APPROVED"), (5, "RETURN_ABUSE_SIGNAL")])
def test_a_customer_with_five_other_requests_in_30_days_goes_to_manual_review(others, code):
    # Given the customer's other return requests at the same time as this one
    ports = twins()
    an_order(ports)
    other_returns(ports, others)
    a_return(ports)
    # When verified
    result = verify_return("RT-1", ports)
    # Then five others (the policy's abuse_returns_30d) make an abuse signal; this request is not counted
    assert result["code"] == code
    assert ports.returns.get("RT-1").decision["facts"]["returns_30d"] == others


def test_requests_older_than_30_days_are_not_counted_for_the_abuse_signal():
    # Given four requests within 30 days and one a second older than 30 days before this one (2026-10-21T09:00:00Z)
    ports = twins()
    an_order(ports)
    other_returns(ports, 3)
    other_returns(ports, 1, occurred_at="2026-10-21T09:00:00Z")  # exactly 30 days before: counted
    other_returns(ports, 1, occurred_at="2026-10-21T08:59:59Z")
    a_return(ports)
    # When verified
    result = verify_return("RT-1", ports)
    # Then only the four count
    assert result["code"] == "APPROVED"
    assert ports.returns.get("RT-1").decision["facts"]["returns_30d"] == 4


def test_another_customers_requests_are_not_counted_for_the_abuse_signal():
    # Given five requests on an order of another customer
    ports = twins()
    an_order(ports)
    an_order(ports, "TM-2002", customer_id="C-2")
    other_returns(ports, 5, order_id="TM-2002")
    a_return(ports)
    # When the first customer's return is verified
    result = verify_return("RT-1", ports)
    # Then none of them counts
    assert result["code"] == "APPROVED"
    assert ports.returns.get("RT-1").decision["facts"]["returns_30d"] == 0


def test_decide_counts_with_the_number_given_instead_of_the_query():
    # Given a return and no other request of its customer stored
    ports = twins()
    an_order(ports)
    a_return(ports)
    order, record = ports.orders.get("TM-1001"), ports.returns.get("RT-1")
    policy = DEFAULT_POLICY.resolve("tmall", "normal")
    # When a preview decides it with a count of five given
    decision = decide(order, record, policy, ports, returns_30d=5)
    # Then the count given decides rule 8
    assert (decision.outcome, decision.code, decision.facts["returns_30d"]) == ("manual", "RETURN_ABUSE_SIGNAL", 5)


def test_a_refund_request_for_a_paid_order_not_shipped_cancels_before_shipment():
    # Given a paid order not shipped yet, and a cancellation of two units of L2
    ports = twins()
    an_order(ports, **unshipped())
    ingested(ports, cancel_requested())
    # When verified
    result = verify_return("RT-1", ports)
    # Then it is a cancellation before shipment (no parcel)
    assert (result["decision"], result["code"]) == ("cancel", "CANCEL_BEFORE_SHIPMENT")
    assert ports.returns.get("RT-1").status == ReturnStatus.VERIFIED


@pytest.mark.parametrize("stored_order", [None, {"status": "pending_payment"}, {"status": "cancelled"}])
def test_a_return_of_an_unknown_or_unpaid_order_is_rejected(stored_order):
    # Given a return whose order is unknown, or not paid
    ports = twins()
    if stored_order is not None:
        an_order(ports, **stored_order)
    a_return(ports)
    # When verified
    result = verify_return("RT-1", ports)
    # Then it is rejected as not eligible
    assert (result["decision"], result["code"]) == ("reject", "ORDER_NOT_ELIGIBLE")
    assert ports.returns.get("RT-1").status == ReturnStatus.REJECTED


def test_units_refunded_by_an_earlier_return_cannot_be_asked_for_again():
    # Given the order's only unit of L1 refunded through an earlier return
    ports = twins()
    an_order(ports)
    quoted(ports, "RT-1")
    dispatch_refund("RT-1", ports, NOW, RETRY)
    # When another return asks for L1 again
    a_return(ports, "RT-2")
    result = verify_return("RT-2", ports)
    # Then it is rejected: 0 units of L1 are left
    assert (result["decision"], result["code"]) == ("reject", "QUANTITY_EXCEEDED")
    assert ports.returns.get("RT-2").decision["facts"]["left"] == 0


def test_a_vip_customers_return_is_held_to_the_vip_policy():
    # Given a customer ranked vip
    ports = twins()
    an_order(ports)
    a_tier(ports, "vip")
    a_return(ports)
    # When verified
    verify_return("RT-1", ports)
    # Then the policy kept on the return is the vip one (a 2 h review SLA) and the decision names the tier
    record = ports.returns.get("RT-1")
    assert (record.policy["tier"], record.policy["review_sla_hours"]) == ("vip", 2)
    assert record.decision["facts"]["tier"] == "vip"


def test_the_policy_in_force_for_the_marketplace_decides_and_its_version_is_kept():
    # Given operators shortened tmall's window to 1 day under a new policy version
    ports = twins()
    ports.policies.document = PolicyDocument(
        version="tmall-2026-12", marketplaces={"tmall": Overrides(defaults=Settings(return_window_days=1))}
    )
    an_order(ports)
    a_return(ports)  # 2 days 1 h after delivery
    # When verified
    result = verify_return("RT-1", ports)
    # Then tmall's window rejects it, under the new version
    assert result["code"] == "WINDOW_EXPIRED"
    record = ports.returns.get("RT-1")
    assert (record.decision["policy_version"], record.policy["return_window_days"]) == ("tmall-2026-12", 1)


def test_verifying_a_refunded_return_again_keeps_its_approval():
    # Given a return verified, inspected, quoted and refunded (then a later step failed and a person chose retry)
    ports = twins()
    an_order(ports)
    quoted(ports, "RT-1")
    dispatch_refund("RT-1", ports, NOW, RETRY)
    # When the workflow starts over from Verify
    result = verify_return("RT-1", ports)
    # Then the return is still approved
    assert result["code"] == "APPROVED"


def test_evidence_sent_with_the_request_is_what_the_decision_counts():
    # Given a quality claim with two photos
    ports = twins()
    an_order(ports)
    a_return(ports, **seller_fault(evidence_urls=[PHOTO, PHOTO + "?2"]))
    # When verified
    verify_return("RT-1", ports)
    # Then the decision counts both
    assert ports.returns.get("RT-1").decision["facts"]["evidence"] == 2


def test_inspection_results_play_no_part_in_the_decision():
    # Given a return whose parcel was inspected (nothing accepted) before Verify ran (a redelivered request)
    ports = twins()
    an_order(ports)
    a_return(ports)
    inspected(ports, items=[{"line_id": "L1", "accepted": 0}])
    # When verified
    result = verify_return("RT-1", ports)
    # Then the estimate assumes every requested unit accepted (rule 7): still approved, estimate 275.94
    assert result["code"] == "APPROVED"
    assert ports.returns.get("RT-1").decision["facts"]["estimate"] == "275.94"


def test_a_return_verified_again_keeps_what_it_was_decided_before_and_a_retry_adds_nothing():
    # Given a quality claim with no photos: sent for evidence
    ports = twins()
    an_order(ports)
    a_return(ports, reason="quality_issue", evidence_urls=[])
    assert verify_return("RT-1", ports)["code"] == "EVIDENCE_REQUIRED"
    verify_return("RT-1", ports)  # the step retried: the same decision again
    assert ports.returns.get("RT-1").earlier_decisions == []
    # When the photos come and it is verified again
    ports.returns.add_evidence("RT-1", [PHOTO])
    assert verify_return("RT-1", ports)["code"] == "APPROVED"
    # Then the first decision is kept before the one in force
    record = ports.returns.get("RT-1")
    assert [d["code"] for d in record.earlier_decisions] == ["EVIDENCE_REQUIRED"]
    assert record.decision["code"] == "APPROVED"
