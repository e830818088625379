"""The waiting tasks (AwaitParcel, AwaitInspection, AwaitReview, AwaitHold, AwaitFailureReview, AwaitFinanceReview)
on the twins: the token parked with the status of what is awaited, a review put in its queue with its tier's SLA
deadline, a parcel-less return watched, and the workflow resumed at once when the awaited thing is already there."""

import pytest

from chalicelib.domain.returns import ReturnStatus, Waiting
from chalicelib.services.dispatch_refund import dispatch_refund
from chalicelib.services.hold_shipment import hold_shipment
from chalicelib.services.record_failure import record_failure
from chalicelib.services.report_refund_failure import report_refund_failure
from chalicelib.services.verify_return import verify_return
from chalicelib.services.wait_for_event import resume_if_ready, wait_for_event
from tests.unit.services.given import (
    NOW,
    RETRY,
    a_return,
    a_tier,
    an_order,
    cancel_requested,
    evidence_added,
    hold_answered,
    ingested,
    inspected,
    quoted,
    tracking_updated,
    twins,
    unshipped,
    verified,
)


def parked(ports, return_id: str = "RT-1"):
    return ports.returns.get(return_id)


@pytest.mark.parametrize(
    "tier, deadline",
    [("vip", "2026-11-22T10:00:00Z"), ("potential", "2026-11-22T12:00:00Z"), ("normal", "2026-11-22T16:00:00Z")],
)
def test_a_return_waiting_for_a_person_enters_its_queue_with_its_tiers_sla_deadline(tier, deadline):
    # Given a quality claim without evidence of a customer of this tier (vip 2 h, potential 4 h, normal 8 h)
    ports = twins()
    an_order(ports)
    a_tier(ports, tier)
    assert verified(ports, reason="quality_issue")["code"] == "EVIDENCE_REQUIRED"
    # When AwaitReview parks its token at 08:00
    result = wait_for_event("RT-1", "review", "tok-review", ports, NOW)
    # Then the return waits in the product_quality queue until its tier's deadline
    assert result == {
        "waiting_for": Waiting.REVIEW, "resumed": False,
        "review_queue": "product_quality", "review_since": "2026-11-22T08:00:00Z", "sla_deadline": deadline,
    }
    record = parked(ports)
    assert (record.waiting_for, record.task_token, record.status) == (Waiting.REVIEW, "tok-review", ReturnStatus.IN_REVIEW)
    assert (record.review_queue, record.sla_deadline) == ("product_quality", deadline)
    assert ports.workflows.resumed == []


@pytest.mark.parametrize(
    "reason, queue",
    [("quality_issue", "product_quality"), ("wrong_item", "product_quality"), ("damaged_in_transit", "logistics")],
)
def test_a_review_is_routed_to_the_queue_of_its_problem_type(reason, queue):
    # Given a seller-fault claim parked for evidence
    ports = twins()
    an_order(ports)
    verified(ports, reason=reason)
    # When AwaitReview runs
    wait_for_event("RT-1", "review", "tok-review", ports, NOW)
    # Then the return is in the queue of its problem type
    [waiting], _ = ports.returns.waiting_for_review(queue, 10, None)
    assert waiting.return_id == "RT-1"


def test_a_high_value_buyer_fault_return_is_reviewed_in_the_service_queue():
    # Given a buyer-fault return above the manual review threshold (2470.00 > 2000.00)
    ports = twins()
    an_order(ports, lines=[{"line_id": "L1", "sku": "TV-65", "category": "electronics", "unit_price": "2500.00",
                            "quantity": 1}])
    assert verified(ports)["code"] == "HIGH_VALUE"
    # When AwaitReview runs
    result = wait_for_event("RT-1", "review", "tok-review", ports, NOW)
    # Then it waits in the service queue
    assert result["review_queue"] == "service"


def test_a_failed_return_waits_in_the_failures_queue():
    # Given a return whose Verify failed and was recorded
    ports = twins()
    an_order(ports)
    verified(ports)
    record_failure("RT-1", {"return_id": "RT-1", "failure": {"Error": "Lambda.Unknown", "Cause": ""}}, ports, NOW)
    # When AwaitFailureReview runs
    result = wait_for_event("RT-1", "failure_review", "tok-failure", ports, NOW)
    # Then the return waits for a person in the failures queue, with its policy's SLA (normal: 8 h)
    assert (result["review_queue"], result["sla_deadline"], result["resumed"]) == ("failures", "2026-11-22T16:00:00Z", False)
    assert parked(ports).status == ReturnStatus.FAILED


def test_a_refund_finance_must_look_at_waits_in_the_finance_queue():
    # Given a refund whose round of attempts was declined and reported
    ports = twins()
    an_order(ports)
    quoted(ports)
    ports.payments.decline = ("account_frozen", "frozen")
    last = [dispatch_refund("RT-1", ports, NOW, RETRY) for _ in range(len(RETRY) + 1)][-1]
    report_refund_failure("RT-1", last, ports, NOW)
    # When AwaitFinanceReview runs
    result = wait_for_event("RT-1", "finance_review", "tok-finance", ports, NOW)
    # Then it waits in finance's queue
    assert (result["review_queue"], result["resumed"]) == ("finance", False)
    assert parked(ports).status == ReturnStatus.REFUND_FAILED


def test_an_approved_return_with_no_tracking_is_watched_until_the_policys_days_are_up():
    # Given an approved return whose parcel nobody has tracked yet
    ports = twins()
    an_order(ports)
    verified(ports)
    # When AwaitParcel parks its token
    result = wait_for_event("RT-1", "parcel", "tok-parcel", ports, NOW)
    # Then the return is watched for tracking for the policy's 7 days
    assert result == {
        "waiting_for": Waiting.PARCEL, "resumed": False,
        "parcel_watch": "waiting", "tracking_due_at": "2026-11-29T08:00:00Z",
    }
    assert parked(ports).status == ReturnStatus.AWAITING_PARCEL
    assert ports.returns.parcels_overdue("2026-11-29T08:00:00Z") == []
    assert ports.returns.parcels_overdue("2026-11-29T08:00:01Z") == ["RT-1"]


def test_a_return_whose_parcel_is_already_tracked_is_not_watched():
    # Given an approved return whose parcel the carrier has scanned in transit
    ports = twins()
    an_order(ports)
    verified(ports)
    ingested(ports, tracking_updated(status="in_transit"), source="sf")
    # When AwaitParcel runs
    result = wait_for_event("RT-1", "parcel", "tok-parcel", ports, NOW)
    # Then it just waits: no watch, not resumed (in transit is not arrived)
    assert result == {"waiting_for": Waiting.PARCEL, "resumed": False}
    assert parked(ports).parcel_watch is None


@pytest.mark.parametrize(
    "before, waiting_for, output",
    [
        (lambda ports: ingested(ports, tracking_updated(status="delivered"), source="sf"),
         "parcel", {"decision": "arrived", "arrived": "delivered"}),
        (lambda ports: inspected(ports), "parcel", {"decision": "arrived", "arrived": "inspected"}),
        (lambda ports: inspected(ports), "inspection", {"inspected_at": "2026-11-21T12:00:00Z"}),
    ],
    ids=["delivered-before-parcel-wait", "inspected-before-parcel-wait", "inspected-before-inspection-wait"],
)
def test_a_wait_for_what_already_arrived_resumes_at_once(before, waiting_for, output):
    # Given an approved return whose parcel news came before the wait
    ports = twins()
    an_order(ports)
    verified(ports)
    before(ports)
    # When the task parks its token
    result = wait_for_event("RT-1", waiting_for, "tok-1", ports, NOW)
    # Then the workflow is resumed at once with what arrived
    assert result["resumed"] is True
    assert ports.workflows.resumed == [("tok-1", output)]


def test_an_inspection_arriving_after_the_wait_resumes_the_parked_task():
    # Given a return parked for its inspection
    ports = twins()
    an_order(ports)
    verified(ports)
    wait_for_event("RT-1", "inspection", "tok-inspection", ports, NOW)
    assert parked(ports).status == ReturnStatus.AWAITING_INSPECTION
    # When the warehouse's inspection arrives
    inspected(ports)
    # Then the consumer resumes the task the wait parked
    assert ports.workflows.resumed == [("tok-inspection", {"inspected_at": "2026-11-21T12:00:00Z"})]


@pytest.mark.parametrize("outcome", ["held", "already_shipped"])
def test_a_hold_answered_before_the_wait_resumes_it_at_once(outcome):
    # Given a cancellation whose hold the warehouse answered before AwaitHold ran
    ports = twins()
    an_order(ports, **unshipped())
    ingested(ports, cancel_requested())
    verify_return("RT-1", ports)
    hold_shipment("RT-1", ports, NOW)
    ingested(ports, hold_answered(outcome=outcome), source="warehouse")
    # When AwaitHold parks its token
    result = wait_for_event("RT-1", "hold", "tok-hold", ports, NOW)
    # Then it resumes with the answer
    assert result == {"waiting_for": Waiting.HOLD, "resumed": True}
    assert ports.workflows.resumed == [("tok-hold", {"outcome": outcome})]


def test_a_cancellation_waiting_for_its_hold_is_awaiting_hold():
    # Given a cancellation whose hold was asked for, not answered yet
    ports = twins()
    an_order(ports, **unshipped())
    ingested(ports, cancel_requested())
    verify_return("RT-1", ports)
    hold_shipment("RT-1", ports, NOW)
    # When AwaitHold runs
    result = wait_for_event("RT-1", "hold", "tok-hold", ports, NOW)
    # Then it waits
    assert result == {"waiting_for": Waiting.HOLD, "resumed": False}
    assert parked(ports).status == ReturnStatus.AWAITING_HOLD


def test_evidence_added_before_the_review_wait_sends_the_claim_to_be_verified_again():
    # Given a quality claim parked for evidence whose photo arrived before AwaitReview ran
    ports = twins()
    an_order(ports)
    verified(ports, reason="quality_issue")
    ingested(ports, evidence_added())
    # When AwaitReview parks its token
    result = wait_for_event("RT-1", "review", "tok-review", ports, NOW)
    # Then the workflow is resumed at once to verify it again
    assert result["resumed"] is True
    assert ports.workflows.resumed == [("tok-review", {"decision": "reverify"})]


def test_resume_if_ready_is_false_for_no_record():
    assert resume_if_ready(None, twins().workflows) is False


def test_resume_if_ready_is_false_for_a_return_no_task_waits_on():
    # Given a return inspected before any task was parked on it
    ports = twins()
    an_order(ports)
    a_return(ports)
    inspected(ports)
    record = parked(ports)
    assert record.task_token is None
    # When asked to resume
    resumed = resume_if_ready(record, ports.workflows)
    # Then nothing is resumed
    assert resumed is False
    assert ports.workflows.resumed == []


def test_resume_if_ready_is_false_for_a_task_that_timed_out():
    # Given a task parked for the inspection whose wait timed out
    ports = twins()
    an_order(ports)
    verified(ports)
    wait_for_event("RT-1", "inspection", "tok-inspection", ports, NOW)
    ports.workflows.time_out("tok-inspection")
    # When the inspection arrives late and the record is asked to resume its task
    inspected(ports)
    # Then nothing is resumed
    assert resume_if_ready(parked(ports), ports.workflows) is False
    assert ports.workflows.resumed == []


def test_resuming_twice_resumes_the_task_once():
    # Given a parked task resumed once by the inspection's arrival
    ports = twins()
    an_order(ports)
    verified(ports)
    wait_for_event("RT-1", "inspection", "tok-inspection", ports, NOW)
    inspected(ports)
    # When the record is asked to resume again (a redelivered event, a retried wait)
    again = resume_if_ready(parked(ports), ports.workflows)
    # Then the second is a harmless duplicate
    assert again is False
    assert len(ports.workflows.resumed) == 1

