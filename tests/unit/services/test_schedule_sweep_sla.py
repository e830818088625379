"""The SLA sweep on the in-memory twins: every item in a review queue past its deadline is announced once as
SlaBreached; items decided, or not due yet, are not."""

from datetime import timedelta

from chalicelib.services.ingest_event import ingest_event
from chalicelib.services.record_failure import record_failure
from chalicelib.services.review_return import review_return
from chalicelib.services.sweep_sla import sweep_sla
from chalicelib.services.verify_return import verify_return
from chalicelib.services.wait_for_event import wait_for_event
from tests.unit.services.given import NOW, a_return, an_order, event, staff, twins

DEADLINE = NOW + timedelta(hours=8)  # the SLA of a normal customer's review
REVIEWER = staff("after_sales", key_id="staff-1")


def waiting_for_evidence(ports, return_id: str = "RT-1") -> None:
    """A quality claim with no photo, verified and parked at NOW in the product-quality queue."""
    if ports.orders.get("TM-1001") is None:
        an_order(ports)
    a_return(ports, return_id, reason="quality_issue", event_id=f"evt-return-{return_id}")
    verify_return(return_id, ports)
    wait_for_event(return_id, "review", f"token-{return_id}", ports, NOW)


def parcel_trouble(ports, at: str, received_at, event_id: str) -> None:
    payload = {"event_id": event_id, "type": "TrackingUpdated", "occurred_at": at,
               "data": {"carrier": "sf-express", "tracking_number": "SF1", "status": "exception", "return_id": "RT-1"}}
    ingest_event(event(payload, "sf-express", received_at=received_at), ports)


def test_an_item_past_its_deadline_is_announced():
    # Given a return waiting in review since NOW
    ports = twins()
    waiting_for_evidence(ports)
    # When the sweep runs an hour after its deadline
    at = DEADLINE + timedelta(hours=1)
    result = sweep_sla(ports, at)
    # Then one SlaBreached names the return, its queue, customer, tier, rule and deadline
    assert result == {"breached": ["RT-1"]}
    assert ports.bus.of("SlaBreached") == [{
        "breach_id": "RT-1@2026-11-22T16:00:00Z", "return_id": "RT-1", "queue": "product_quality",
        "marketplace": "tmall", "customer_id": "C-1", "tier": "normal", "decision_code": "EVIDENCE_REQUIRED",
        "review_since": "2026-11-22T08:00:00Z", "sla_deadline": "2026-11-22T16:00:00Z",
        "detected_at": "2026-11-22T17:00:00Z",
    }]


def test_a_breach_is_announced_once():
    # Given a breach the sweep announced
    ports = twins()
    waiting_for_evidence(ports)
    sweep_sla(ports, DEADLINE + timedelta(hours=1))
    # When the sweep runs again
    result = sweep_sla(ports, DEADLINE + timedelta(hours=2))
    # Then nothing more is announced, and the breach is kept on the return
    assert result == {"breached": []}
    assert len(ports.bus.of("SlaBreached")) == 1
    assert ports.returns.get("RT-1").sla_breached_at == "2026-11-22T17:00:00Z"


def test_an_item_before_its_deadline_is_not_announced():
    # Given a return waiting in review
    ports = twins()
    waiting_for_evidence(ports)
    # When the sweep runs a minute before its deadline
    result = sweep_sla(ports, DEADLINE - timedelta(minutes=1))
    # Then nothing is announced
    assert result == {"breached": []}
    assert ports.bus.events == []


def test_a_decided_item_is_not_announced():
    # Given a return a reviewer decided before its deadline
    ports = twins()
    waiting_for_evidence(ports)
    review_return("RT-1", {"decision": "reject", "note": "no photo after a week"}, REVIEWER, ports, NOW + timedelta(hours=1))
    # When the sweep runs after the deadline
    result = sweep_sla(ports, DEADLINE + timedelta(hours=1))
    # Then nothing is announced
    assert result == {"breached": []}
    assert ports.bus.of("SlaBreached") == []


def test_every_overdue_item_of_every_queue_is_announced():
    # Given a return in product-quality review, one whose parcel is in trouble, and one whose workflow failed
    ports = twins()
    waiting_for_evidence(ports, "RT-1")
    a_return(ports, "RT-2", event_id="evt-return-RT-2")
    ingest_event(event({"event_id": "cp-2", "type": "TrackingUpdated", "occurred_at": "2026-11-21T10:00:00Z",
                        "data": {"carrier": "sf-express", "tracking_number": "SF2", "status": "exception",
                                 "return_id": "RT-2"}}, "sf-express"), ports)
    a_return(ports, "RT-3", event_id="evt-return-RT-3")
    record_failure("RT-3", {"failure": {"Error": "Boom", "Cause": "it broke"}}, ports, NOW)
    wait_for_event("RT-3", "failure_review", "token-RT-3", ports, NOW)
    # When the sweep runs after their deadlines
    result = sweep_sla(ports, NOW + timedelta(days=1))
    # Then each is announced once, with its queue
    assert sorted(result["breached"]) == ["RT-1", "RT-2", "RT-3"]
    assert sorted((d["return_id"], d["queue"]) for d in ports.bus.of("SlaBreached")) == [
        ("RT-1", "product_quality"), ("RT-2", "logistics"), ("RT-3", "failures")]


def test_a_return_back_in_a_queue_with_a_new_deadline_is_announced_again():
    # Given a return waiting for its parcel, queued for a parcel exception and breached, then kept waiting by a reviewer
    ports = twins()
    an_order(ports)
    a_return(ports)
    wait_for_event("RT-1", "parcel", "token-parcel", ports, NOW)
    parcel_trouble(ports, "2026-11-21T10:00:00Z", NOW, "cp-1")
    sweep_sla(ports, DEADLINE + timedelta(hours=1))
    review_return("RT-1", {"decision": "keep_waiting", "note": "carrier says it moves"}, REVIEWER, ports,
                  DEADLINE + timedelta(hours=2))
    # When the parcel is in trouble again and the new deadline passes
    parcel_trouble(ports, "2026-11-23T10:00:00Z", NOW + timedelta(days=1), "cp-2")
    assert (ports.returns.get("RT-1").review_queue, ports.returns.get("RT-1").sla_deadline) == (
        "logistics", "2026-11-23T16:00:00Z")
    result = sweep_sla(ports, NOW + timedelta(days=1, hours=9))
    # Then the second stay is announced under its own breach id
    assert result == {"breached": ["RT-1"]}
    assert [d["breach_id"] for d in ports.bus.of("SlaBreached")] == [
        "RT-1@2026-11-22T16:00:00Z", "RT-1@2026-11-23T16:00:00Z"]


def test_the_breach_of_a_shops_return_names_its_own_ids_and_the_shop():
    # Given tmall's RT-1 (behind the edge "tmall/RT-1") waiting in review since NOW
    ports = twins()
    an_order(ports, "tmall/TM-1001", customer_id="tmall/C-1")
    a_return(ports, "tmall/RT-1", "tmall/TM-1001", reason="quality_issue")
    verify_return("tmall/RT-1", ports)
    wait_for_event("tmall/RT-1", "review", "token-tmall-RT-1", ports, NOW)
    # When the sweep runs after its deadline
    result = sweep_sla(ports, DEADLINE + timedelta(hours=1))
    # Then SlaBreached names RT-1 and C-1 of tmall; the breach is kept on the qualified return
    assert result == {"breached": ["tmall/RT-1"]}
    assert ports.bus.of("SlaBreached") == [{
        "breach_id": "tmall/RT-1@2026-11-22T16:00:00Z", "return_id": "RT-1", "shop": "tmall", "queue": "product_quality",
        "marketplace": "tmall", "customer_id": "C-1", "tier": "normal", "decision_code": "EVIDENCE_REQUIRED",
        "review_since": "2026-11-22T08:00:00Z", "sla_deadline": "2026-11-22T16:00:00Z",
        "detected_at": "2026-11-22T17:00:00Z",
    }]
    assert ports.returns.get("tmall/RT-1").sla_breached_at == "2026-11-22T17:00:00Z"


def test_the_breaches_of_two_shops_returns_of_the_same_id_are_two_breaches():
    ports = twins()
    for shop in ("tmall", "jd"):
        an_order(ports, f"{shop}/TM-1001", customer_id=f"{shop}/C-1")
        a_return(ports, f"{shop}/RT-1", f"{shop}/TM-1001", reason="quality_issue")
        verify_return(f"{shop}/RT-1", ports)
        wait_for_event(f"{shop}/RT-1", "review", f"token-{shop}", ports, NOW)

    sweep_sla(ports, DEADLINE + timedelta(hours=1))

    breaches = ports.bus.of("SlaBreached")
    assert sorted((d["shop"], d["return_id"]) for d in breaches) == [("jd", "RT-1"), ("tmall", "RT-1")]
    assert len({d["breach_id"] for d in breaches}) == 2
