"""The stale-shipment poller on the in-memory twins: quiet parcels asked about in batches, only what is new queued as
TrackingUpdated, backing off when nothing moves, a return whose parcel stopped moving queued for logistics once, and
a parcel whose carrier API call fails counted and backed off while the run goes on with the others."""

import json
import socket
import urllib.error
from datetime import datetime, timedelta

import pytest

from chalicelib.adapters.memory import MemoryCarrierApi, MemoryPolicies
from chalicelib.domain.events import TrackingUpdated, canonical_events
from chalicelib.domain.policy import parse_policy
from chalicelib.services.ingest_event import ingest_event
from chalicelib.services.poll_carriers import poll_carriers
from tests.unit.services.given import NOW, a_return, an_order, ingested, inspected, twins

QUIET = timedelta(hours=72)  # the default stale_tracking_hours
DUE = NOW + QUIET  # when a parcel whose last checkpoint arrived at NOW is due


def checkpoint(status: str, at: str, return_id: str | None = None, number: str = "SF100") -> dict:
    data = {"carrier": "sf-express", "tracking_number": number, "status": status}
    if return_id:
        data["return_id"] = return_id
    return {"event_id": f"cp-{number}-{status}-{at}", "type": "TrackingUpdated", "occurred_at": at, "data": data}


def moving(ports, *numbers: str, return_id: str | None = None) -> None:
    """Parcels last seen in transit, their checkpoint received at NOW."""
    ingested(ports, *(checkpoint("in_transit", "2026-11-20T10:00:00Z", return_id, n) for n in numbers), source="sf-express")


def queued(ports) -> list[TrackingUpdated]:
    return [canonical_events.validate_json(body) for body, _ in ports.queue.messages]


def test_a_parcel_is_not_asked_about_before_it_is_quiet_for_the_stale_hours():
    # Given a parcel seen moving at NOW
    ports = twins()
    moving(ports, "SF1")
    # When the poller runs a minute before it is due
    result = poll_carriers(ports, DUE - timedelta(minutes=1))
    # Then nobody is asked
    assert result == {"polled": 0, "moved": 0, "no_movement": [], "failed": 0, "errors": []}
    assert ports.carrier_api.asked == []


def test_a_quiet_parcel_is_asked_about_once_it_is_due():
    # Given a parcel seen moving at NOW
    ports = twins()
    moving(ports, "SF1")
    # When the poller runs when it is due
    result = poll_carriers(ports, DUE)
    # Then its carrier is asked
    assert result["polled"] == 1
    assert ports.carrier_api.asked == [("sf-express", "SF1")]


def test_a_delivered_parcel_is_never_asked_about():
    # Given a delivered parcel and a moving one
    ports = twins()
    moving(ports, "SF1")
    ingested(ports, checkpoint("delivered", "2026-11-21T06:30:00Z", number="SF-DONE"), source="sf-express")
    # When the poller runs long after
    poll_carriers(ports, NOW + timedelta(days=60))
    # Then only the moving parcel was asked about
    assert ports.carrier_api.asked == [("sf-express", "SF1")]


def test_due_parcels_are_asked_about_a_batch_per_run():
    # Given five quiet parcels
    ports = twins()
    moving(ports, *(f"SF{n}" for n in range(5)))
    # When the poller runs three times with batches of two
    polled = [poll_carriers(ports, DUE, batch=2)["polled"] for _ in range(3)]
    # Then each run asks at most two, and every parcel is asked once
    assert polled == [2, 2, 1]
    assert sorted(number for _, number in ports.carrier_api.asked) == [f"SF{n}" for n in range(5)]


def test_only_checkpoints_newer_than_the_parcel_s_status_are_queued():
    # Given a parcel in transit since 2026-11-20T10:00, whose carrier knows that checkpoint and two after it
    api = MemoryCarrierApi({("sf-express", "SF1"): [
        {"status": "in_transit", "at": "2026-11-20T10:00:00Z"},
        {"status": "out_for_delivery", "at": "2026-11-24T07:00:00Z", "location": "Shenzhen"},
        {"status": "delivered", "at": "2026-11-24T09:00:00Z"},
    ]})
    ports = twins(carrier_api=api)
    moving(ports, "SF1")
    # When it is polled
    result = poll_carriers(ports, DUE)
    # Then the two new checkpoints are queued as TrackingUpdated events from the carrier API
    assert (result["polled"], result["moved"]) == (1, 1)
    events = queued(ports)
    assert [(e.data.status, e.occurred_at.isoformat()) for e in events] == [
        ("out_for_delivery", "2026-11-24T07:00:00+00:00"), ("delivered", "2026-11-24T09:00:00+00:00")]
    assert {(e.source, e.data.carrier, e.data.tracking_number, e.received_at) for e in events} == {
        ("carrier-api", "sf-express", "SF1", DUE)}
    assert events[0].data.location == "Shenzhen"


def test_a_queued_checkpoint_is_labelled_with_its_type_source_and_event_id():
    # Given a parcel whose carrier knows a newer checkpoint
    api = MemoryCarrierApi({("sf-express", "SF1"): [{"status": "delivered", "at": "2026-11-24T09:00:00Z"}]})
    ports = twins(carrier_api=api)
    moving(ports, "SF1")
    # When it is polled
    poll_carriers(ports, DUE)
    # Then the message's attributes name its type, source and event id
    [(body, attributes)] = ports.queue.messages
    assert attributes == {"type": "TrackingUpdated", "source": "carrier-api", "event_id": json.loads(body)["event_id"]}


def test_a_queued_checkpoint_applied_by_the_consumer_moves_the_parcel_and_ends_its_polls():
    # Given a polled parcel whose delivery was queued
    api = MemoryCarrierApi({("sf-express", "SF1"): [{"status": "delivered", "at": "2026-11-24T09:00:00Z"}]})
    ports = twins(carrier_api=api)
    moving(ports, "SF1")
    poll_carriers(ports, DUE)
    # When the consumer applies it (twice, as the queue may deliver it)
    outcomes = [ingest_event(e, ports) for e in queued(ports) * 2]
    # Then the parcel is delivered once and never polled again
    assert outcomes == ["tracking_unlinked", "duplicate"]
    shipment = ports.shipments.get("sf-express", "SF1")
    assert (shipment.status, shipment.next_poll_at) == ("delivered", None)


def test_polling_the_same_news_twice_queues_events_with_the_same_ids():
    # Given a parcel whose carrier knows a newer checkpoint, polled once
    api = MemoryCarrierApi({("sf-express", "SF1"): [{"status": "out_for_delivery", "at": "2026-11-24T07:00:00Z"}]})
    ports = twins(carrier_api=api)
    moving(ports, "SF1")
    poll_carriers(ports, DUE)
    # When it is polled again before the consumer applied the news
    poll_carriers(ports, DUE + QUIET)
    # Then the same checkpoint is queued under the same event id (the consumer dedupes it)
    ids = [attributes["event_id"] for _, attributes in ports.queue.messages]
    assert len(ids) == 2 and len(set(ids)) == 1


def test_a_parcel_that_moved_is_asked_again_after_the_stale_hours_with_no_backoff():
    # Given a parcel that had backed off once
    api = MemoryCarrierApi()
    ports = twins(carrier_api=api)
    moving(ports, "SF1")
    poll_carriers(ports, DUE)
    assert ports.shipments.get("sf-express", "SF1").poll_attempts == 1
    # When the carrier knows something new at the next poll
    api.known[("sf-express", "SF1")] = [{"status": "out_for_delivery", "at": "2026-11-28T07:00:00Z"}]
    poll_carriers(ports, DUE + 2 * QUIET)  # due again 144 h after the first poll: 2026-12-01T08:00
    # Then it is asked again 72 h later, its attempts reset
    shipment = ports.shipments.get("sf-express", "SF1")
    assert (shipment.next_poll_at, shipment.poll_attempts) == ("2026-12-04T08:00:00Z", 0)


def test_a_parcel_with_nothing_new_backs_off_doubling_up_to_seven_days():
    # Given a 24-hour stale policy and a quiet parcel whose carrier knows nothing new
    ports = twins(policies=MemoryPolicies(parse_policy({"version": "v", "defaults": {"stale_tracking_hours": 24}})))
    moving(ports, "SF1")
    # When it is polled each time it is due
    waits = []
    at = NOW + timedelta(hours=24)
    for _ in range(5):
        poll_carriers(ports, at)
        shipment = ports.shipments.get("sf-express", "SF1")
        due = shipment.next_poll_at
        waits.append((shipment.poll_attempts, (datetime.fromisoformat(due) - at) / timedelta(hours=1)))
        at = datetime.fromisoformat(due)
    # Then each wait doubles (48 h, 96 h) until it is capped at 7 days
    assert waits == [(1, 48), (2, 96), (3, 168), (4, 168), (5, 168)]


def test_no_movement_of_a_linked_parcel_queues_its_return_for_logistics():
    # Given a requested return whose parcel went quiet
    ports = twins()
    an_order(ports)
    a_return(ports)
    moving(ports, "SF1", return_id="RT-1")
    # When the poller finds nothing new
    result = poll_carriers(ports, DUE)
    # Then the return waits in the logistics queue with the SLA of the policy in force (8 h)
    assert result == {"polled": 1, "moved": 0, "no_movement": ["RT-1"], "failed": 0, "errors": []}
    record = ports.returns.get("RT-1")
    assert record.parcel_problem == {"status": "no_movement", "at": "2026-11-20T10:00:00Z"}
    assert (record.review_queue, record.review_since, record.sla_deadline) == (
        "logistics", "2026-11-25T08:00:00Z", "2026-11-25T16:00:00Z")


def test_no_movement_is_flagged_once():
    # Given a return flagged for no movement of its parcel
    ports = twins()
    an_order(ports)
    a_return(ports)
    moving(ports, "SF1", return_id="RT-1")
    poll_carriers(ports, DUE)
    # When the parcel is polled again and is still quiet
    result = poll_carriers(ports, NOW + timedelta(days=30))
    # Then it is not flagged again and its place in the queue is unchanged
    assert (result["polled"], result["no_movement"]) == (1, [])
    assert ports.returns.get("RT-1").review_since == "2026-11-25T08:00:00Z"


def test_no_movement_of_a_parcel_without_a_return_flags_nothing():
    # Given a quiet parcel nobody linked
    ports = twins()
    moving(ports, "SF1")
    # When the poller finds nothing new
    result = poll_carriers(ports, DUE)
    # Then nothing is flagged
    assert result["no_movement"] == []


def test_no_movement_of_the_parcel_of_an_inspected_return_flags_nothing():
    # Given a return the warehouse inspected, whose parcel's tracking stopped in transit
    ports = twins()
    an_order(ports)
    a_return(ports)
    moving(ports, "SF1", return_id="RT-1")
    inspected(ports)
    # When the poller finds nothing new
    result = poll_carriers(ports, DUE)
    # Then nobody is asked to look at a parcel the warehouse already has
    assert result["no_movement"] == []
    assert ports.returns.get("RT-1").review_queue is None


def test_a_newer_checkpoint_given_with_a_time_zone_offset_is_queued():
    # Given a parcel in transit since 2026-11-20T10:00Z whose carrier reports a delivery at 11:00Z as 06:00-05:00
    api = MemoryCarrierApi({("sf-express", "SF1"): [{"status": "delivered", "at": "2026-11-20T06:00:00-05:00"}]})
    ports = twins(carrier_api=api)
    moving(ports, "SF1")
    # When it is polled
    poll_carriers(ports, DUE)
    # Then the delivery is queued
    assert [e.data.status for e in queued(ports)] == ["delivered"]


# One bad parcel among good ones.

def among_good_ones(bad: dict[str, list] | None = None, errors: dict[str, Exception] | None = None):
    """Parcels SF1..SF4 seen moving at NOW, whose carrier knows a delivery of each; SF2's answer is `bad` or raises."""
    known = {("sf-express", f"SF{n}"): [{"status": "delivered", "at": "2026-11-24T09:00:00Z"}] for n in range(1, 5)}
    known.update({("sf-express", number): answer for number, answer in (bad or {}).items()})
    api = MemoryCarrierApi(known, {("sf-express", number): error for number, error in (errors or {}).items()})
    ports = twins(carrier_api=api)
    moving(ports, "SF1", "SF2", "SF3", "SF4")
    return ports


@pytest.mark.parametrize("error", [
    urllib.error.HTTPError("https://track.example/trackings/sf-express/SF2", 502, "Bad Gateway", None, None),
    socket.timeout("timed out"),
    urllib.error.URLError(ConnectionRefusedError(111, "Connection refused")),
    json.JSONDecodeError("Expecting value", "<html>", 0),
    KeyError("checkpoints"),
], ids=["http-502", "timeout", "refused", "not-json", "no-checkpoints"])
def test_a_carrier_api_error_on_one_parcel_is_counted_and_the_others_are_polled(error):
    # Given four quiet parcels whose carrier knows news of each, and the API failing for SF2
    ports = among_good_ones(errors={"SF2": error})
    # When the poller runs
    result = poll_carriers(ports, DUE)
    # Then every parcel was asked about, the three others' news is queued, and the run says one failed and why
    assert ports.carrier_api.asked == [("sf-express", f"SF{n}") for n in range(1, 5)]
    assert sorted(e.data.tracking_number for e in queued(ports)) == ["SF1", "SF3", "SF4"]
    assert (result["polled"], result["moved"], result["failed"]) == (4, 3, 1)
    [failure] = result["errors"]
    assert (failure["carrier"], failure["tracking_number"], failure["error"]) == (
        "sf-express", "SF2", type(error).__name__)


@pytest.mark.parametrize("answer", [
    {"checkpoints": []},  # the whole answer instead of its list
    "<html>502</html>",
    [{"status": "delivered"}],  # no time
    [{"status": "delivered", "at": "yesterday"}],
    [{"status": "teleported", "at": "2026-11-24T09:00:00Z"}],  # not a status of the vocabulary
    [{"status": "out_for_delivery", "at": "2026-11-24T07:00:00Z"}, "delivered"],  # a good one, then a bad one
    [None],
], ids=["dict", "text", "no-at", "bad-at", "bad-status", "half-good", "null"])
def test_a_malformed_answer_for_one_parcel_queues_nothing_of_it_and_the_others_are_polled(answer):
    # Given four quiet parcels and a malformed answer for SF2
    ports = among_good_ones(bad={"SF2": answer})
    # When the poller runs
    result = poll_carriers(ports, DUE)
    # Then nothing of SF2's answer is queued (not even a good checkpoint before the bad one), the others' news is
    assert sorted(e.data.tracking_number for e in queued(ports)) == ["SF1", "SF3", "SF4"]
    assert (result["polled"], result["moved"], result["failed"]) == (4, 3, 1)
    assert result["errors"][0]["tracking_number"] == "SF2"


def test_a_parcel_whose_call_fails_backs_off_and_is_not_asked_again_at_once():
    # Given a parcel the API keeps failing for, among good ones
    ports = among_good_ones(errors={"SF2": TimeoutError("read timed out")})
    # When the poller runs, and again right after
    poll_carriers(ports, DUE)
    again = poll_carriers(ports, DUE + timedelta(minutes=30))
    # Then the failing parcel waits two quiet periods like one with nothing new, and is not asked in the next run
    shipment = ports.shipments.get("sf-express", "SF2")
    assert (shipment.poll_attempts, shipment.next_poll_at) == (1, "2026-12-01T08:00:00Z")  # DUE + 2 x 72 h
    assert again == {"polled": 0, "moved": 0, "no_movement": [], "failed": 0, "errors": []}
    # And when it is due again and still failing, it backs off further
    poll_carriers(ports, datetime.fromisoformat(shipment.next_poll_at))
    assert ports.shipments.get("sf-express", "SF2").poll_attempts == 2


def test_a_parcel_whose_call_fails_is_not_flagged_for_no_movement():
    # Given a requested return whose parcel went quiet, and the carrier API failing for it
    ports = twins(carrier_api=MemoryCarrierApi(errors={("sf-express", "SF1"): TimeoutError("read timed out")}))
    an_order(ports)
    a_return(ports)
    moving(ports, "SF1", return_id="RT-1")
    # When the poller runs
    result = poll_carriers(ports, DUE)
    # Then the failure is counted, and nobody is told the parcel stopped moving: nobody knows
    assert (result["failed"], result["no_movement"]) == (1, [])
    assert ports.returns.get("RT-1").review_queue is None


def test_a_queue_that_is_down_still_stops_the_run():
    # Given a parcel with news and a queue that refuses messages
    from chalicelib.adapters.memory import MemoryQueue
    from chalicelib.ports.errors import QueueUnavailable

    api = MemoryCarrierApi({("sf-express", "SF1"): [{"status": "delivered", "at": "2026-11-24T09:00:00Z"}]})
    ports = twins(carrier_api=api)
    moving(ports, "SF1")
    ports = ports.replacing(queue=MemoryQueue(available=False))
    # When the poller runs, then the run fails (not a parcel's fault: every send would fail) and the parcel stays due
    with pytest.raises(QueueUnavailable):
        poll_carriers(ports, DUE)
    assert ports.shipments.get("sf-express", "SF1").poll_attempts == 0
