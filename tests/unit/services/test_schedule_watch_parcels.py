"""The parcel watch on the in-memory twins: an approved return whose parcel never shows up in tracking within the
policy's days expires (its waiting task fails with NoTracking); one whose parcel did show up is let go."""

from datetime import timedelta

from chalicelib.services.ingest_event import ingest_event
from chalicelib.services.wait_for_event import wait_for_event
from chalicelib.services.watch_parcels import watch_parcels
from tests.unit.services.given import NOW, a_return, an_order, event, inspected, twins

DUE = NOW + timedelta(days=7)  # the default tracking_wait_days after the wait began


def waiting_for_parcel(ports, return_id: str = "RT-1") -> None:
    """A requested return whose workflow waits, from NOW, for a parcel with no tracking yet."""
    if ports.orders.get("TM-1001") is None:
        an_order(ports)
    a_return(ports, return_id, event_id=f"evt-return-{return_id}")
    wait_for_event(return_id, "parcel", f"token-{return_id}", ports, NOW)


def test_a_return_without_tracking_by_its_due_time_expires():
    # Given a return waiting for a parcel never tracked
    ports = twins()
    waiting_for_parcel(ports)
    # When the watch runs after its due time
    result = watch_parcels(ports, DUE + timedelta(minutes=1))
    # Then its waiting task fails with NoTracking and the reason is kept
    assert result == {"expired": ["RT-1"]}
    assert ports.workflows.failed == [("token-RT-1", "NoTracking", "no tracking by 2026-11-29T08:00:00Z")]
    record = ports.returns.get("RT-1")
    assert (record.expiry_reason, record.parcel_watch) == ("no tracking by 2026-11-29T08:00:00Z", None)


def test_a_return_is_not_expired_before_its_due_time():
    # Given a return waiting for a parcel never tracked
    ports = twins()
    waiting_for_parcel(ports)
    # When the watch runs a minute before the due time
    result = watch_parcels(ports, DUE - timedelta(minutes=1))
    # Then nothing happens
    assert result == {"expired": []}
    assert ports.workflows.failed == []
    assert ports.returns.get("RT-1").parcel_watch == "waiting"


def test_a_return_whose_parcel_was_tracked_is_not_expired():
    # Given two returns waiting for their parcels, one of which was then tracked
    ports = twins()
    waiting_for_parcel(ports, "RT-1")
    waiting_for_parcel(ports, "RT-2")
    checkpoint = {"event_id": "cp-1", "type": "TrackingUpdated", "occurred_at": "2026-11-23T10:00:00Z",
                  "data": {"carrier": "sf-express", "tracking_number": "SF2", "status": "in_transit", "return_id": "RT-2"}}
    ingest_event(event(checkpoint, "sf-express", received_at=NOW + timedelta(days=1)), ports)
    # When the watch runs after the due time
    result = watch_parcels(ports, DUE + timedelta(minutes=1))
    # Then only the untracked one expires
    assert result == {"expired": ["RT-1"]}
    assert [token for token, _, _ in ports.workflows.failed] == ["token-RT-1"]
    assert ports.returns.get("RT-2").expiry_reason is None


def test_the_watch_of_a_return_that_stopped_waiting_for_its_parcel_is_cleared():
    # Given a return watched for its parcel, which the warehouse inspected before any tracking came
    ports = twins()
    waiting_for_parcel(ports)
    inspected(ports)  # resumes the parcel wait: the parcel is there
    wait_for_event("RT-1", "inspection", "token-inspection", ports, NOW + timedelta(days=1))
    # When the watch runs after the due time
    result = watch_parcels(ports, DUE + timedelta(minutes=1))
    # Then nothing expires and the return is watched no more
    assert result == {"expired": []}
    assert ports.workflows.failed == []
    record = ports.returns.get("RT-1")
    assert (record.parcel_watch, record.expiry_reason) == (None, None)


def test_an_expired_return_is_not_expired_again():
    # Given a return the watch expired
    ports = twins()
    waiting_for_parcel(ports)
    watch_parcels(ports, DUE + timedelta(minutes=1))
    # When the watch runs again later
    result = watch_parcels(ports, DUE + timedelta(days=30))
    # Then nothing more happens
    assert result == {"expired": []}
    assert len(ports.workflows.failed) == 1


def test_every_overdue_return_expires_in_one_run_and_only_those():
    # Given three returns whose waits began a day apart
    ports = twins()
    an_order(ports)
    for offset, return_id in ((2, "RT-A"), (0, "RT-B"), (1, "RT-C")):
        a_return(ports, return_id, event_id=f"evt-{return_id}")
        wait_for_event(return_id, "parcel", f"token-{return_id}", ports, NOW + timedelta(days=offset))
    # When the watch runs after two of them are due
    result = watch_parcels(ports, DUE + timedelta(days=1, minutes=1))
    # Then those two expire
    assert sorted(result["expired"]) == ["RT-B", "RT-C"]
    assert ports.returns.get("RT-A").parcel_watch == "waiting"
