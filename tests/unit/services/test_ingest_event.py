"""The consumer's ingest service on the in-memory twins: each canonical event type applied exactly once."""

from datetime import timedelta

from chalicelib.adapters.memory import MemoryPolicies
from chalicelib.domain.policy import parse_policy
from chalicelib.domain.returns import ReturnStatus
from chalicelib.services.hold_shipment import hold_shipment
from chalicelib.services.ingest_event import ingest_event, return_record
from chalicelib.services.verify_return import verify_return
from chalicelib.services.wait_for_event import wait_for_event
from tests.unit.services.given import NOW, a_return, an_order, event, ingested, inspected, twins
from tests.webhook_events import order_upserted, return_requested


def cancel_requested(return_id="RT-1", order_id="TM-1001", event_id=None) -> dict:
    return {
        "event_id": event_id or f"evt-cancel-{return_id}", "type": "CancelRequested",
        "occurred_at": "2026-11-20T09:30:00Z",
        "data": {"return_id": return_id, "order_id": order_id, "reason": "no_longer_needed",
                 "items": [{"line_id": "L1", "quantity": 1}]},
    }


def evidence_added(urls: list[str], return_id="RT-1", event_id="evt-evidence-1") -> dict:
    return {
        "event_id": event_id, "type": "EvidenceAdded", "occurred_at": "2026-11-21T09:00:00Z",
        "data": {"return_id": return_id, "evidence_urls": urls},
    }


def hold_answered(outcome: str, return_id="RT-1", event_id=None) -> dict:
    return {
        "event_id": event_id or f"evt-hold-{outcome}", "type": "HoldShipmentAnswered",
        "occurred_at": "2026-11-20T11:00:00Z", "data": {"return_id": return_id, "outcome": outcome},
    }


def checkpoint(status: str, at: str, return_id: str | None = None, number: str = "SF100") -> dict:
    data = {"carrier": "sf-express", "tracking_number": number, "status": status}
    if return_id:
        data["return_id"] = return_id
    return {"event_id": f"cp-{number}-{status}-{at}", "type": "TrackingUpdated", "occurred_at": at, "data": data}


# Dedupe.

def test_an_event_id_seen_before_is_a_duplicate_and_has_no_second_effect():
    # Given an order applied once
    ports = twins()
    an_order(ports)
    # When an event with the same id comes again, saying something newer
    again = order_upserted(status="cancelled")
    again["occurred_at"] = "2026-11-21T08:00:00Z"
    outcome = ingested(ports, again)
    # Then it is a duplicate and the order is as the first delivery left it
    assert outcome == ["duplicate"]
    assert ports.orders.get("TM-1001").status == "delivered"


def test_an_applied_event_is_remembered_by_its_id():
    # Given no event applied yet
    ports = twins()
    # When an order event is applied
    ingested(ports, order_upserted())
    # Then its id is known to the event log
    assert ports.event_log.seen("evt-order-TM-1001")


# OrderUpserted.

def test_an_order_is_stored_with_its_marketplace_and_paid_total():
    # Given nothing stored
    ports = twins()
    # When an order arrives from tmall
    outcome = ingested(ports, order_upserted())
    # Then it is stored with what the buyer paid (29900 + 9000 - 3000 + 1200) and the source's time
    assert outcome == ["order_stored, customer normal"]
    order = ports.orders.get("TM-1001")
    assert (order.customer_id, order.marketplace, order.status) == ("C-1", "tmall", "delivered")
    assert (order.paid_total_minor, order.updated_at) == (37100, "2026-11-20T08:00:00Z")


def test_an_order_ranks_its_customer_with_the_rfm_facts_and_the_policy_version():
    # Given a policy of version p-7
    ports = twins(policies=MemoryPolicies(parse_policy({"version": "p-7"})))
    # When the customer's first order arrives
    ingested(ports, order_upserted())
    # Then the customer is ranked from it, as of the event's arrival, under that version
    customer = ports.customers.get("C-1")
    assert customer.tier == "normal"
    assert customer.rfm == {
        "orders": 1, "days_since_last_order": 7, "spent_minor": {"CNY": 37100},
        "scores": {"recency": 5, "frequency": 1, "monetary": 2, "total": 8},
    }
    assert (customer.tier_computed_at, customer.policy_version) == ("2026-11-22T08:00:00Z", "p-7")


def test_a_customer_is_ranked_on_the_whole_order_history():
    # Given three large orders of customer C-1
    ports = twins()
    for n in range(3):
        an_order(ports, f"TM-{n}", shipping_fee="10000.00")
    # When a fourth arrives
    outcome = ingested(ports, order_upserted("TM-3", shipping_fee="10000.00"))
    # Then recency 5, frequency 3 (4 orders), monetary 5 make 13: vip
    assert outcome == ["order_stored, customer vip"]
    assert ports.customers.get("C-1").rfm["scores"] == {"recency": 5, "frequency": 3, "monetary": 5, "total": 13}


def test_a_late_older_version_of_an_order_is_stale_and_changes_nothing():
    # Given an order stored as of 2026-11-20
    ports = twins()
    an_order(ports)
    customer = ports.customers.get("C-1")
    # When an older version (a day before, still unpaid) arrives a day later
    older = order_upserted(event_id="evt-order-old", status="pending_payment")
    older["occurred_at"] = "2026-11-19T08:00:00Z"
    outcome = ingest_event(event(older, received_at=NOW + timedelta(days=1)), ports)
    # Then it is stale: the order and the customer's rank are as they were
    assert outcome == "order_stale"
    order = ports.orders.get("TM-1001")
    assert (order.status, order.updated_at) == ("delivered", "2026-11-20T08:00:00Z")
    assert ports.customers.get("C-1") == customer


def test_a_newer_version_of_an_order_replaces_the_stored_one():
    # Given an order stored while paid
    ports = twins()
    an_order(ports, status="paid", shipped_at=None, delivered_at=None)
    # When a newer version says it shipped
    newer = order_upserted(event_id="evt-order-new", status="shipped", delivered_at=None)
    newer["occurred_at"] = "2026-11-21T08:00:00Z"
    outcome = ingested(ports, newer)
    # Then it is stored
    assert outcome == ["order_stored, customer normal"]
    order = ports.orders.get("TM-1001")
    assert (order.status, order.shipped_at, order.updated_at) == ("shipped", "2026-11-16T08:00:00Z", "2026-11-21T08:00:00Z")


# ReturnRequested and CancelRequested.

def test_a_return_request_is_stored_requested_with_its_kind_marketplace_time_and_customer():
    # Given the order of customer C-1
    ports = twins()
    an_order(ports)
    # When its return request arrives from tmall
    outcome = ingested(ports, return_requested())
    # Then the return is stored as requested, with the customer of its order
    assert outcome == ["workflow_started"]
    record = ports.returns.get("RT-1")
    assert (record.order_id, record.kind, record.marketplace, record.customer_id) == ("TM-1001", "return", "tmall", "C-1")
    assert (record.requested_at, record.status) == ("2026-11-20T09:00:00Z", ReturnStatus.REQUESTED)
    assert (record.reason, record.items) == ("changed_mind", [{"line_id": "L1", "quantity": 1}])


def test_a_request_for_an_order_not_known_yet_is_stored_without_a_customer():
    # Given no order
    ports = twins()
    # When a return request arrives
    ingested(ports, return_requested())
    # Then it is stored, its customer not known yet
    record = ports.returns.get("RT-1")
    assert (record.status, record.customer_id) == (ReturnStatus.REQUESTED, None)


def test_a_request_starts_the_workflow_named_by_the_return_once():
    # Given an order
    ports = twins()
    an_order(ports)
    # When its return request is delivered twice under two event ids
    ingested(ports, return_requested(), return_requested(event_id="evt-return-RT-1-resent"))
    # Then one execution runs, named by the return id
    assert ports.workflows.started == {"RT-1": {"return_id": "RT-1"}}


def test_a_second_request_for_the_same_return_keeps_the_first():
    # Given a stored return request
    ports = twins()
    an_order(ports)
    a_return(ports)
    # When another request for the same return id arrives with another reason
    ingested(ports, return_requested(event_id="evt-return-other", reason="wrong_size"))
    # Then the first request stands
    assert ports.returns.get("RT-1").reason == "changed_mind"


def test_a_request_naming_its_shipment_links_the_parcel_and_hands_over_earlier_tracking():
    # Given an order and tracking of a parcel nobody has linked yet
    ports = twins()
    an_order(ports)
    assert ingested(ports, checkpoint("in_transit", "2026-11-20T10:00:00Z")) == ["tracking_unlinked"]
    # When the return request names that parcel
    ingested(ports, return_requested(shipment={"carrier": "sf-express", "tracking_number": "SF100"}))
    # Then the parcel is the return's and what was known of it is on the return
    assert ports.shipments.get("sf-express", "SF100").return_id == "RT-1"
    record = ports.returns.get("RT-1")
    assert (record.parcel["status"], record.parcel["tracking_number"], record.parcel_at) == (
        "in_transit", "SF100", "2026-11-20T10:00:00Z")


def test_a_cancellation_is_stored_as_kind_cancel():
    # Given an order
    ports = twins()
    an_order(ports)
    # When a cancellation arrives
    outcome = ingested(ports, cancel_requested())
    # Then it is stored as a requested cancel and its workflow started
    assert outcome == ["workflow_started"]
    record = ports.returns.get("RT-1")
    assert (record.kind, record.status, record.requested_at) == ("cancel", ReturnStatus.REQUESTED, "2026-11-20T09:30:00Z")
    assert ports.workflows.started == {"RT-1": {"return_id": "RT-1"}}


# return_record.

def test_the_record_of_a_request_carries_the_request_and_the_customer_of_its_order():
    # Given a stored order and an exchange request
    ports = twins()
    an_order(ports)
    request = event(return_requested(resolution="exchange", replacement={"sku": "SHOE-43", "unit_price": "299.00"},
                                     evidence_urls=["https://img/1.jpg"]), source="jd")
    # When its record is made
    record = return_record(request, ports.orders.get("TM-1001"))
    # Then it is the request as the source said, requested, by the order's customer
    assert (record.kind, record.marketplace, record.customer_id, record.status) == (
        "return", "jd", "C-1", ReturnStatus.REQUESTED)
    assert (record.resolution, record.replacement) == ("exchange", {"sku": "SHOE-43", "unit_price": "299.00", "quantity": 1})
    assert (record.evidence_urls, record.requested_at) == (["https://img/1.jpg"], "2026-11-20T09:00:00Z")


def test_the_record_of_a_cancellation_without_its_order_has_no_customer():
    # Given a cancellation whose order is not known
    request = event(cancel_requested())
    # When its record is made
    record = return_record(request)
    # Then it is a cancel with no customer
    assert (record.kind, record.customer_id, record.order_id) == ("cancel", None, "TM-1001")


# EvidenceAdded.

def test_evidence_is_added_to_the_return_once_per_url():
    # Given a return sent with one photo
    ports = twins()
    an_order(ports)
    a_return(ports, evidence_urls=["https://img/0.jpg"])
    # When two evidence events add photos, one of them twice
    ingested(ports, evidence_added(["https://img/1.jpg", "https://img/2.jpg"]),
             evidence_added(["https://img/2.jpg"], event_id="evt-evidence-2"))
    # Then the return's evidence is the photo of the request and each added one once
    assert sorted(ports.returns.get("RT-1").evidence) == ["https://img/0.jpg", "https://img/1.jpg", "https://img/2.jpg"]


def waiting_for_review(ports, **request) -> str:
    """RT-1 verified and parked in review; the decision code it was parked with."""
    an_order(ports, **request.pop("order", {}))
    a_return(ports, **request)
    code = verify_return("RT-1", ports)["code"]
    wait_for_event("RT-1", "review", "token-review", ports, NOW)
    return code


def test_evidence_resumes_a_return_waiting_for_evidence_with_reverify():
    # Given a quality claim without photos, waiting for evidence
    ports = twins()
    assert waiting_for_review(ports, reason="quality_issue") == "EVIDENCE_REQUIRED"
    # When a photo is added
    outcome = ingested(ports, evidence_added(["https://img/1.jpg"]))
    # Then the workflow is resumed to verify the return again
    assert outcome == ["evidence_stored, workflow resumed"]
    assert ports.workflows.resumed == [("token-review", {"decision": "reverify"})]


def test_evidence_does_not_resume_a_review_for_another_reason():
    # Given a high-value return waiting for a reviewer
    ports = twins()
    expensive = {"lines": [{"line_id": "L1", "category": "footwear", "unit_price": "2999.00", "quantity": 1}]}
    assert waiting_for_review(ports, order={**expensive}) == "HIGH_VALUE"
    # When a photo is added
    outcome = ingested(ports, evidence_added(["https://img/1.jpg"]))
    # Then it is kept and the return still waits for its reviewer
    assert outcome == ["evidence_stored"]
    assert ports.workflows.resumed == []


# HoldShipmentAnswered.

def waiting_for_hold(ports) -> None:
    """RT-1, a cancellation of an order not shipped yet, whose workflow waits for the warehouse's hold answer."""
    an_order(ports, status="paid", shipped_at=None, delivered_at=None)
    ingested(ports, cancel_requested())
    assert verify_return("RT-1", ports)["code"] == "CANCEL_BEFORE_SHIPMENT"
    hold_shipment("RT-1", ports, NOW)
    wait_for_event("RT-1", "hold", "token-hold", ports, NOW)


def test_a_hold_answer_resumes_a_return_waiting_for_the_hold():
    # Given a cancellation waiting for the hold answer
    ports = twins()
    waiting_for_hold(ports)
    # When the warehouse says the lines are held
    outcome = ingested(ports, hold_answered("held"), source="warehouse")
    # Then the answer is kept and the workflow resumed with it
    assert outcome == ["hold_held, workflow resumed"]
    assert ports.returns.get("RT-1").hold_answer == {"return_id": "RT-1", "outcome": "held"}
    assert ports.workflows.resumed == [("token-hold", {"outcome": "held"})]


def test_the_first_hold_answer_is_kept():
    # Given a cancellation whose lines the warehouse said are held
    ports = twins()
    waiting_for_hold(ports)
    ingested(ports, hold_answered("held"), source="warehouse")
    # When a contradicting answer arrives later
    ingested(ports, hold_answered("already_shipped"), source="warehouse")
    # Then the first answer stands, and the workflow was resumed only once
    record = ports.returns.get("RT-1")
    assert (record.hold_answer["outcome"], record.hold_answered_at) == ("held", "2026-11-20T11:00:00Z")
    assert ports.workflows.resumed == [("token-hold", {"outcome": "held"})]


def test_a_hold_answer_before_the_wait_resumes_nothing():
    # Given a requested cancellation whose workflow does not wait for the hold yet
    ports = twins()
    an_order(ports, status="paid", shipped_at=None, delivered_at=None)
    ingested(ports, cancel_requested())
    # When the answer arrives
    outcome = ingested(ports, hold_answered("already_shipped"), source="warehouse")
    # Then it is kept for the wait to find
    assert outcome == ["hold_already_shipped"]
    assert ports.returns.get("RT-1").hold_answer["outcome"] == "already_shipped"
    assert ports.workflows.resumed == []


# InspectionCompleted.

def test_an_inspection_resumes_a_return_waiting_for_inspection():
    # Given a return waiting for its inspection
    ports = twins()
    an_order(ports)
    a_return(ports)
    wait_for_event("RT-1", "inspection", "token-inspection", ports, NOW)
    # When the warehouse reports it
    inspected(ports)
    # Then it is kept and the workflow resumed with its time
    record = ports.returns.get("RT-1")
    assert (record.inspection["items"], record.inspection_event_id) == (
        [{"line_id": "L1", "accepted": 1, "deductions": []}], "ins-RT-1")
    assert ports.workflows.resumed == [("token-inspection", {"inspected_at": "2026-11-21T12:00:00Z"})]


def test_the_first_inspection_is_kept():
    # Given an inspected return
    ports = twins()
    an_order(ports)
    a_return(ports)
    inspected(ports)
    # When a second inspection of it arrives, accepting nothing
    inspected(ports, items=[{"line_id": "L1", "accepted": 0}], event_id="ins-second")
    # Then the first one stands
    record = ports.returns.get("RT-1")
    assert (record.inspection["items"][0]["accepted"], record.inspection_event_id) == (1, "ins-RT-1")


def test_an_inspection_of_a_return_not_waiting_for_it_resumes_nothing():
    # Given a requested return whose workflow does not wait yet
    ports = twins()
    an_order(ports)
    a_return(ports)
    # When its inspection arrives
    outcome = ingested(ports, {
        "event_id": "ins-early", "type": "InspectionCompleted", "occurred_at": "2026-11-21T12:00:00Z",
        "data": {"return_id": "RT-1", "items": [{"line_id": "L1", "accepted": 1}]},
    }, source="warehouse")
    # Then it is stored and nothing is resumed
    assert outcome == ["inspection_stored"]
    assert ports.workflows.resumed == []
