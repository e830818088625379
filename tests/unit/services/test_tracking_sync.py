"""Tracking sync on the in-memory twins: checkpoints on their shipment, the shipment's status handed to its return,
parcels in trouble queued for logistics, and the three ways a parcel is linked to its return (staff linking one
need the after_sales role, are answered the shop's own ids, and are audited)."""

import random
from datetime import timedelta

import pytest

from chalicelib.adapters.memory import MemoryPolicies
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.policy import parse_policy
from chalicelib.domain.tracking import Shipment
from chalicelib.ports.errors import Conflict, Forbidden, UnknownSubject
from chalicelib.services.ingest_event import ingest_event
from chalicelib.services.sync_tracking import apply_to_return, link_tracking, put_return_tracking, record_checkpoint
from chalicelib.services.verify_return import verify_return
from chalicelib.services.wait_for_event import wait_for_event
from tests.unit.services.given import NOW, a_return, an_order, event, ingested, inspected, staff, twins
from tests.webhook_events import TIMELINE, checkpoint

CLERK = staff("after_sales", key_id="ana", address="203.0.113.7")

def tracked(ports, *payloads: dict) -> list[str]:
    return ingested(ports, *payloads, source="sf-express")


def requested(ports, return_id: str = "RT-1") -> None:
    an_order(ports)
    a_return(ports, return_id, event_id=f"evt-return-{return_id}")


def the_shops_request(ports, return_id: str = "RT-1", shop: str = "tmall") -> None:
    """A requested return as the edge stores it: its ids qualified by its shop ("tmall/RT-1")."""
    if ports.orders.get(f"{shop}/TM-1001") is None:
        an_order(ports, f"{shop}/TM-1001", customer_id=f"{shop}/C-1")
    a_return(ports, f"{shop}/{return_id}", f"{shop}/TM-1001")


# The shipment's timeline and status.

def test_shuffled_and_repeated_checkpoints_keep_one_timeline_ending_delivered():
    # Given every checkpoint of a parcel three times, in a random order (seeded)
    ports = twins()
    deliveries = [checkpoint(status, at) for status, at in TIMELINE] * 3
    random.Random(7).shuffle(deliveries)
    # When they are applied
    tracked(ports, *deliveries)
    # Then the parcel has each checkpoint once and its status is the last one
    shipment = ports.shipments.get("sf-express", "SF100")
    assert sorted((c["at"], c["status"]) for c in shipment.checkpoints.values()) == [(at, s) for s, at in TIMELINE]
    assert (shipment.status, shipment.status_at) == ("delivered", "2026-11-21T06:30:00Z")


def test_a_late_in_transit_scan_never_undoes_delivered():
    # Given a delivered parcel
    ports = twins()
    tracked(ports, checkpoint("delivered", "2026-11-21T06:30:00Z"))
    # When an in-transit scan with a later carrier time arrives
    tracked(ports, checkpoint("in_transit", "2026-11-21T09:00:00Z"))
    # Then it joins the timeline and the parcel stays delivered
    shipment = ports.shipments.get("sf-express", "SF100")
    assert (shipment.status, shipment.status_at, len(shipment.checkpoints)) == ("delivered", "2026-11-21T06:30:00Z", 2)


def test_a_checkpoint_keeps_its_location_and_description():
    # Given a parcel
    ports = twins()
    payload = checkpoint("in_transit", "2026-11-20T10:00:00Z")
    payload["data"].update(location="Shenzhen hub", description="departed")
    # When a checkpoint with a place and a text arrives
    tracked(ports, payload)
    # Then the parcel's current status carries them
    detail = ports.shipments.get("sf-express", "SF100").status_detail
    assert detail == {"status": "in_transit", "at": "2026-11-20T10:00:00Z", "location": "Shenzhen hub", "description": "departed"}


def test_tracking_of_a_parcel_no_return_has_is_kept_on_the_shipment():
    # Given nothing linked
    ports = twins()
    # When a checkpoint arrives naming no return
    outcome = record_checkpoint(event(checkpoint("in_transit", "2026-11-20T10:00:00Z"), "sf-express"), ports)
    # Then it waits on the shipment for its return
    assert outcome == "tracking_unlinked"
    assert ports.shipments.get("sf-express", "SF100").return_id is None


# Linking by the checkpoint.

def test_a_checkpoint_naming_its_return_links_the_parcel_for_those_after_it():
    # Given a requested return and a checkpoint naming it
    ports = twins()
    requested(ports)
    tracked(ports, checkpoint("in_transit", "2026-11-20T10:00:00Z", return_id="RT-1"))
    # When a later checkpoint of the parcel names no return
    outcome = tracked(ports, checkpoint("delivered", "2026-11-21T06:30:00Z"))
    # Then it still reaches the return
    assert outcome == ["tracking_stored"]
    assert ports.shipments.get("sf-express", "SF100").return_id == "RT-1"
    parcel = ports.returns.get("RT-1").parcel
    assert parcel == {"carrier": "sf-express", "tracking_number": "SF100", "status": "delivered", "return_id": "RT-1"}


def test_a_checkpoint_cannot_move_a_parcel_to_another_return():
    # Given a parcel linked to RT-1
    ports = twins()
    requested(ports)
    requested(ports, "RT-2")
    tracked(ports, checkpoint("in_transit", "2026-11-20T10:00:00Z", return_id="RT-1"))
    # When a checkpoint of it names RT-2
    tracked(ports, checkpoint("delivered", "2026-11-21T06:30:00Z", return_id="RT-2"))
    # Then the parcel stays RT-1's
    assert ports.shipments.get("sf-express", "SF100").return_id == "RT-1"
    assert ports.returns.get("RT-1").parcel["status"] == "delivered"
    assert ports.returns.get("RT-2").parcel is None


# Resuming the workflow waiting for the parcel.

def waiting_for_parcel(ports) -> None:
    requested(ports)
    wait_for_event("RT-1", "parcel", "token-parcel", ports, NOW)


def test_a_delivered_parcel_resumes_the_return_waiting_for_it():
    # Given a return waiting for its parcel
    ports = twins()
    waiting_for_parcel(ports)
    # When the parcel is delivered
    outcome = tracked(ports, checkpoint("delivered", "2026-11-21T06:30:00Z", return_id="RT-1"))
    # Then the workflow is resumed: the parcel arrived
    assert outcome == ["tracking_stored, workflow resumed"]
    assert ports.workflows.resumed == [("token-parcel", {"decision": "arrived", "arrived": "delivered"})]


def test_a_parcel_still_moving_resumes_nothing():
    # Given a return waiting for its parcel
    ports = twins()
    waiting_for_parcel(ports)
    # When the parcel is in transit
    outcome = tracked(ports, checkpoint("in_transit", "2026-11-20T10:00:00Z", return_id="RT-1"))
    # Then the return knows and keeps waiting
    assert outcome == ["tracking_stored"]
    assert ports.returns.get("RT-1").parcel["status"] == "in_transit"
    assert ports.workflows.resumed == []


def test_tracking_ends_the_watch_for_a_parcel_never_seen():
    # Given a return waiting for a parcel with no tracking yet (watched)
    ports = twins()
    waiting_for_parcel(ports)
    assert ports.returns.get("RT-1").parcel_watch == "waiting"
    # When its first checkpoint arrives
    tracked(ports, checkpoint("in_transit", "2026-11-20T10:00:00Z", return_id="RT-1"))
    # Then the return is no longer watched
    assert ports.returns.get("RT-1").parcel_watch is None


# Parcels in trouble.

@pytest.mark.parametrize("status", ["exception", "returned_to_sender", "expired"])
def test_a_parcel_in_trouble_puts_its_return_in_the_logistics_queue(status):
    # Given a requested return (not verified: the policy in force, 8 h)
    ports = twins()
    requested(ports)
    # When its parcel is in trouble
    outcome = tracked(ports, checkpoint(status, "2026-11-21T10:00:00Z", return_id="RT-1"))
    # Then the return waits in the logistics queue, with the problem and the SLA deadline
    assert outcome == ["tracking_stored, parcel in trouble: logistics review"]
    record = ports.returns.get("RT-1")
    assert (record.review_queue, record.review_since, record.sla_deadline) == (
        "logistics", "2026-11-22T08:00:00Z", "2026-11-22T16:00:00Z")
    assert record.parcel_problem == {"status": status, "at": "2026-11-21T10:00:00Z"}


def test_a_parcel_in_trouble_is_queued_once():
    # Given a return queued for a parcel exception
    ports = twins()
    requested(ports)
    tracked(ports, checkpoint("exception", "2026-11-21T10:00:00Z", return_id="RT-1"))
    # When another exception scan arrives an hour later
    later = checkpoint("exception", "2026-11-21T12:00:00Z", return_id="RT-1")
    later["event_id"] = "cp-again"
    ingest_event(event(later, "sf-express", received_at=NOW + timedelta(hours=1)), ports)
    # Then the return's place in the queue is unchanged
    record = ports.returns.get("RT-1")
    assert (record.review_since, record.sla_deadline, record.parcel_problem["at"]) == (
        "2026-11-22T08:00:00Z", "2026-11-22T16:00:00Z", "2026-11-21T10:00:00Z")


def test_a_verified_vip_return_in_trouble_gets_the_two_hour_sla():
    # Given a vip customer (4 large orders) whose return was verified under the vip policy
    ports = twins()
    for n in range(4):
        an_order(ports, f"TM-{n}", shipping_fee="10000.00")
    a_return(ports, order_id="TM-0")
    verify_return("RT-1", ports)
    # When its parcel has an exception
    tracked(ports, checkpoint("exception", "2026-11-21T10:00:00Z", return_id="RT-1"))
    # Then the deadline is 2 h after the arrival of the scan
    assert ports.returns.get("RT-1").sla_deadline == "2026-11-22T10:00:00Z"


def test_a_return_not_verified_gets_the_sla_of_its_marketplace():
    # Given a policy with a 1-hour SLA on tmall and a requested tmall return
    policy = parse_policy({"version": "fast", "marketplaces": {"tmall": {"defaults": {"review_sla_hours": 1}}}})
    ports = twins(policies=MemoryPolicies(policy))
    requested(ports)
    # When its parcel has an exception
    tracked(ports, checkpoint("exception", "2026-11-21T10:00:00Z", return_id="RT-1"))
    # Then the deadline is an hour later
    assert ports.returns.get("RT-1").sla_deadline == "2026-11-22T09:00:00Z"


def test_an_inspected_return_is_not_queued_for_a_parcel_in_trouble():
    # Given a return the warehouse has inspected
    ports = twins()
    requested(ports)
    inspected(ports)
    # When the carrier reports the parcel returned to sender
    outcome = tracked(ports, checkpoint("returned_to_sender", "2026-11-21T10:00:00Z", return_id="RT-1"))
    # Then nobody is asked to look at it
    assert outcome == ["tracking_stored"]
    assert ports.returns.get("RT-1").review_queue is None


def test_a_closed_return_is_not_queued_for_a_parcel_in_trouble():
    # Given a return rejected by verification (its order unknown: closed)
    ports = twins()
    a_return(ports)
    assert verify_return("RT-1", ports)["code"] == "ORDER_NOT_ELIGIBLE"
    # When its parcel has an exception
    outcome = tracked(ports, checkpoint("exception", "2026-11-21T10:00:00Z", return_id="RT-1"))
    # Then it is not queued
    assert outcome == ["tracking_stored"]
    assert ports.returns.get("RT-1").review_queue is None


def test_trouble_of_a_parcel_whose_return_is_not_requested_yet_is_not_queued():
    # Given no request for RT-1
    ports = twins()
    # When a checkpoint naming RT-1 says the parcel is in trouble
    outcome = tracked(ports, checkpoint("exception", "2026-11-21T10:00:00Z", return_id="RT-1"))
    # Then the parcel is kept for RT-1 and nothing is queued
    assert outcome == ["tracking_stored"]
    assert ports.returns.get("RT-1").review_queue is None
    assert ports.returns.get("RT-1").parcel["status"] == "exception"


# When the carrier is asked next.

def test_a_parcel_still_moving_is_asked_about_after_the_stale_tracking_hours():
    # Given a policy that calls a parcel stale after 24 h
    ports = twins(policies=MemoryPolicies(parse_policy({"version": "v", "defaults": {"stale_tracking_hours": 24}})))
    # When an in-transit checkpoint arrives
    tracked(ports, checkpoint("in_transit", "2026-11-20T10:00:00Z"))
    # Then the parcel is due for a poll 24 h after its arrival, with no attempt yet
    shipment = ports.shipments.get("sf-express", "SF100")
    assert (shipment.poll_state, shipment.next_poll_at, shipment.poll_attempts) == ("active", "2026-11-23T08:00:00Z", 0)


def test_a_final_parcel_is_never_polled_again():
    # Given a parcel due for a poll
    ports = twins()
    tracked(ports, checkpoint("in_transit", "2026-11-20T10:00:00Z"))
    # When it is delivered, and a late in-transit scan follows
    tracked(ports, checkpoint("delivered", "2026-11-21T06:30:00Z"), checkpoint("in_transit", "2026-11-21T07:00:00Z"))
    # Then it is not due any more, ever
    shipment = ports.shipments.get("sf-express", "SF100")
    assert (shipment.poll_state, shipment.next_poll_at) == (None, None)
    assert ports.shipments.due_for_poll("2099-01-01T00:00:00Z", 50) == []


# apply_to_return.

def test_a_linked_parcel_with_no_status_yet_hands_nothing_over():
    # Given a requested return and a parcel with no checkpoint
    ports = twins()
    requested(ports)
    # When the parcel is applied to the return
    outcome = apply_to_return(Shipment(carrier="sf-express", tracking_number="SF1", return_id="RT-1"), ports, NOW)
    # Then only the link is known
    assert outcome == "tracking_linked"
    assert ports.returns.get("RT-1").parcel is None


def test_an_older_status_of_a_second_parcel_does_not_replace_the_newer_one():
    # Given a return whose parcel SF1 was delivered on 2026-11-21
    ports = twins()
    requested(ports)
    tracked(ports, checkpoint("delivered", "2026-11-21T06:30:00Z", return_id="RT-1", number="SF1"))
    # When a second parcel of the return reports an older status
    outcome = tracked(ports, checkpoint("in_transit", "2026-11-20T10:00:00Z", return_id="RT-1", number="SF2"))
    # Then it is stale and the return keeps the newer parcel
    assert outcome == ["tracking_stale"]
    parcel = ports.returns.get("RT-1").parcel
    assert (parcel["tracking_number"], parcel["status"]) == ("SF1", "delivered")


# link_tracking.

def test_linking_a_parcel_hands_over_what_is_known_of_it():
    # Given a requested return and a delivered parcel nobody linked
    ports = twins()
    requested(ports)
    tracked(ports, *(checkpoint(status, at) for status, at in TIMELINE))
    # When the parcel is linked to the return
    linked = link_tracking("RT-1", "sf-express", "SF100", ports, NOW)
    # Then the link is answered with the parcel's status, which the return now has
    assert linked == {"carrier": "sf-express", "tracking_number": "SF100", "return_id": "RT-1", "status": "delivered",
                      "status_at": "2026-11-21T06:30:00Z"}
    assert (ports.returns.get("RT-1").parcel["status"], ports.returns.get("RT-1").parcel_at) == (
        "delivered", "2026-11-21T06:30:00Z")


def test_a_parcel_of_another_return_is_not_linked():
    # Given a parcel linked to RT-1
    ports = twins()
    requested(ports)
    requested(ports, "RT-2")
    link_tracking("RT-1", "sf-express", "SF100", ports, NOW)
    # When RT-2 asks for it
    linked = link_tracking("RT-2", "sf-express", "SF100", ports, NOW)
    # Then nothing is linked
    assert linked is None
    assert ports.shipments.get("sf-express", "SF100").return_id == "RT-1"


# put_return_tracking (staff).

def test_staff_link_a_parcel_and_the_waiting_return_is_resumed():
    # Given a return waiting for its parcel, which was delivered without naming it
    ports = twins()
    waiting_for_parcel(ports)
    tracked(ports, checkpoint("delivered", "2026-11-21T06:30:00Z"))
    # When staff link the parcel
    answer = put_return_tracking("RT-1", {"carrier": "sf-express", "tracking_number": "SF100"}, CLERK, ports, NOW)
    # Then the answer is the link and the workflow is resumed
    assert (answer["return_id"], answer["status"]) == ("RT-1", "delivered")
    assert "shop" not in answer  # an id no shop qualifies names none
    assert ports.workflows.resumed == [("token-parcel", {"decision": "arrived", "arrived": "delivered"})]


def test_staff_linking_the_same_parcel_again_get_the_same_answer():
    # Given a parcel staff linked to RT-1
    ports = twins()
    requested(ports)
    tracked(ports, checkpoint("in_transit", "2026-11-20T10:00:00Z"))
    body = {"carrier": "sf-express", "tracking_number": "SF100"}
    first = put_return_tracking("RT-1", body, CLERK, ports, NOW)
    # When they link it again
    again = put_return_tracking("RT-1", body, CLERK, ports, NOW)
    # Then the answer is the same
    assert again == first


def test_staff_cannot_link_the_parcel_of_another_return():
    # Given a parcel linked to tmall's RT-1 (behind the edge, "tmall/RT-1")
    ports = twins()
    the_shops_request(ports, "RT-1")
    the_shops_request(ports, "RT-2")
    tracked(ports, checkpoint("in_transit", "2026-11-20T10:00:00Z", return_id="tmall/RT-1"))
    # When staff link it to RT-2
    with pytest.raises(Conflict) as refused:
        put_return_tracking("tmall/RT-2", {"carrier": "sf-express", "tracking_number": "SF100"}, CLERK, ports, NOW)
    # Then it is refused, naming the return that has it as its shop knows it, and the shop
    assert refused.value.code == "tracking_taken"
    assert refused.value.message == "sf-express SF100 is the parcel of return RT-1 of shop tmall"
    assert ports.returns.get("tmall/RT-2").parcel is None
    assert ports.audit.entries == []


def test_staff_cannot_link_a_parcel_to_an_unknown_return():
    # Given no return RT-NOPE
    ports = twins()
    # When staff link a parcel to it
    with pytest.raises(UnknownSubject) as refused:
        put_return_tracking("RT-NOPE", {"carrier": "sf-express", "tracking_number": "SF1"}, CLERK, ports, NOW)
    # Then it is refused as unknown and nothing is linked
    assert refused.value.code == "unknown_return"
    assert ports.shipments.get("sf-express", "SF1") is None


def test_a_return_known_only_from_tracking_is_unknown_to_staff():
    # Given tracking naming RT-9, never requested
    ports = twins()
    tracked(ports, checkpoint("in_transit", "2026-11-20T10:00:00Z", return_id="RT-9", number="SF9"))
    # When staff link a parcel to RT-9
    with pytest.raises(UnknownSubject) as refused:
        put_return_tracking("RT-9", {"carrier": "sf-express", "tracking_number": "SF1"}, CLERK, ports, NOW)
    # Then it is refused as unknown
    assert refused.value.code == "unknown_return"


@pytest.mark.parametrize("body, field, code", [
    ({"carrier": "sf-express"}, "tracking_number", "missing_field"),
    ({"carrier": "sf express", "tracking_number": "SF1"}, "carrier", "invalid_value"),
    ({"carrier": "sf-express", "tracking_number": "SF1", "note": "x"}, "note", "unknown_field"),
])
def test_an_invalid_link_is_refused_naming_the_field(body, field, code):
    # Given a requested return
    ports = twins()
    requested(ports)
    # When staff send an invalid body
    with pytest.raises(InvalidInput) as refused:
        put_return_tracking("RT-1", body, CLERK, ports, NOW)
    # Then the field is named and nothing is linked
    assert (refused.value.field, refused.value.code) == (field, code)
    assert ports.shipments.items == {}


# put_return_tracking for a shop's return, roles and the audit trail.

LINK = {"carrier": "sf-express", "tracking_number": "SF100"}


def test_staff_linking_a_shops_parcel_are_answered_the_shops_own_return_id_and_the_shop():
    # Given tmall's RT-1 and a parcel nobody linked
    ports = twins()
    the_shops_request(ports)
    tracked(ports, checkpoint("in_transit", "2026-11-20T10:00:00Z"))
    # When staff link the parcel to it
    answer = put_return_tracking("tmall/RT-1", LINK, CLERK, ports, NOW)
    # Then the answer names the return as its shop does, and the parcel is the qualified return's
    assert answer == {"carrier": "sf-express", "tracking_number": "SF100", "return_id": "RT-1", "shop": "tmall",
                      "status": "in_transit", "status_at": "2026-11-20T10:00:00Z"}
    assert ports.shipments.get("sf-express", "SF100").return_id == "tmall/RT-1"
    assert ports.returns.get("tmall/RT-1").parcel["status"] == "in_transit"


def test_staff_cannot_link_the_parcel_of_another_shops_return_of_the_same_id():
    # Given jd's RT-1 has the parcel
    ports = twins()
    the_shops_request(ports, shop="tmall")
    the_shops_request(ports, shop="jd")
    link_tracking("jd/RT-1", "sf-express", "SF100", ports, NOW)
    # When staff link it to tmall's RT-1
    with pytest.raises(Conflict) as refused:
        put_return_tracking("tmall/RT-1", LINK, CLERK, ports, NOW)
    # Then it is refused naming jd's return
    assert refused.value.message == "sf-express SF100 is the parcel of return RT-1 of shop jd"
    assert ports.shipments.get("sf-express", "SF100").return_id == "jd/RT-1"


def test_a_shops_own_return_id_alone_is_unknown_to_staff():
    ports = twins()
    the_shops_request(ports)

    with pytest.raises(UnknownSubject):
        put_return_tracking("RT-1", LINK, CLERK, ports, NOW)

    assert ports.shipments.get("sf-express", "SF100") is None


def test_a_staff_link_leaves_one_audit_entry_saying_who_from_where_when_and_which_parcel():
    ports = twins()
    the_shops_request(ports)

    put_return_tracking("tmall/RT-1", LINK, CLERK, ports, NOW)

    [entry] = ports.audit.entries
    assert set(entry) == {"subject", "entry", "action", "by", "from", "at", "return_id", "carrier", "tracking_number"}
    assert {key: entry[key] for key in set(entry) - {"entry"}} == {
        "subject": "return#tmall/RT-1", "action": "tracking.link", "by": "ana", "from": "203.0.113.7",
        "at": "2026-11-22T08:00:00Z", "return_id": "tmall/RT-1", "carrier": "sf-express", "tracking_number": "SF100",
    }


def test_each_staff_link_is_an_audit_entry_of_its_own():
    ports = twins()
    the_shops_request(ports)

    put_return_tracking("tmall/RT-1", LINK, CLERK, ports, NOW)
    put_return_tracking("tmall/RT-1", LINK, staff("after_sales", key_id="bo"), ports, NOW + timedelta(minutes=1))

    assert [(entry["by"], entry["at"]) for entry in ports.audit.entries] == [
        ("ana", "2026-11-22T08:00:00Z"), ("bo", "2026-11-22T08:01:00Z"),
    ]
    assert len({entry["entry"] for entry in ports.audit.entries}) == 2


@pytest.mark.parametrize("body, return_id", [({"carrier": "sf-express"}, "tmall/RT-1"), (LINK, "tmall/RT-NOPE")],
                         ids=["invalid body", "unknown return"])
def test_a_refused_staff_link_is_not_audited(body, return_id):
    ports = twins()
    the_shops_request(ports)

    with pytest.raises((InvalidInput, UnknownSubject)):
        put_return_tracking(return_id, body, CLERK, ports, NOW)

    assert ports.audit.entries == []


def test_a_finance_key_cannot_link_a_parcel_and_nothing_is_linked_or_audited():
    # Given a return waiting for its parcel
    ports = twins()
    the_shops_request(ports)
    wait_for_event("tmall/RT-1", "parcel", "token-parcel", ports, NOW)
    tracked(ports, checkpoint("delivered", "2026-11-21T06:30:00Z"))
    # When a finance key links the parcel
    with pytest.raises(Forbidden) as refused:
        put_return_tracking("tmall/RT-1", LINK, staff("finance", key_id="fin-1"), ports, NOW)
    # Then it is refused for its role, and nothing moved
    assert (refused.value.code, refused.value.message) == (
        "role_required", "key 'fin-1' does not have the after_sales role"
    )
    assert ports.shipments.get("sf-express", "SF100").return_id is None
    assert ports.returns.get("tmall/RT-1").parcel is None
    assert ports.workflows.resumed == [] and ports.audit.entries == []


def test_the_role_is_checked_before_the_body():
    with pytest.raises(Forbidden):
        put_return_tracking("tmall/RT-1", {"note": "x"}, staff("finance"), twins(), NOW)


@pytest.mark.parametrize("roles", [("admin",), ("after_sales", "finance")])
def test_an_admin_or_after_sales_key_links_a_parcel(roles):
    ports = twins()
    the_shops_request(ports)

    assert put_return_tracking("tmall/RT-1", LINK, staff(*roles, key_id="root"), ports, NOW)["return_id"] == "RT-1"
    assert [(entry["action"], entry["by"]) for entry in ports.audit.entries] == [("tracking.link", "root")]
