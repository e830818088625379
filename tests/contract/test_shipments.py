"""ShipmentStore: a parcel's checkpoints kept once each, its current status by carrier time and rank (a final
status never undone), its return linked once, and when to ask its carrier next."""

import pytest

from chalicelib.domain.tracking import MAX_TIMELINE
from tests.contract.records import a_checkpoint, at

CARRIER, NUMBER = "sf-express", "SF100"


def test_an_unknown_shipment_is_none(shipments):
    assert shipments.get(CARRIER, "SF-NONE") is None


def test_record_keeps_the_checkpoint_and_takes_its_status(shipments):
    checkpoint = a_checkpoint("in_transit", at(21, 9))

    shipment = shipments.record(CARRIER, NUMBER, "EV-1", checkpoint, None)

    assert (shipment.carrier, shipment.tracking_number) == (CARRIER, NUMBER)
    assert shipment.checkpoints == {"EV-1": checkpoint}
    assert (shipment.status, shipment.status_at, shipment.status_detail) == ("in_transit", at(21, 9), checkpoint)
    assert shipment.return_id is None
    assert shipments.get(CARRIER, NUMBER) == shipment


def test_a_checkpoint_applied_twice_is_kept_once(shipments):
    shipments.record(CARRIER, NUMBER, "EV-1", a_checkpoint("in_transit", at(21, 9)), None)

    shipment = shipments.record(CARRIER, NUMBER, "EV-1", a_checkpoint("in_transit", at(21, 9)), None)

    assert list(shipment.checkpoints) == ["EV-1"]


def test_the_newest_checkpoint_moves_the_status_and_an_older_one_does_not(shipments):
    shipments.record(CARRIER, NUMBER, "EV-1", a_checkpoint("info_received", at(20, 9)), None)
    newest = a_checkpoint("out_for_delivery", at(21, 7), "Shanghai")
    shipments.record(CARRIER, NUMBER, "EV-3", newest, None)

    # A checkpoint that arrives late, with an earlier carrier time
    shipment = shipments.record(CARRIER, NUMBER, "EV-2", a_checkpoint("in_transit", at(20, 18)), None)

    assert sorted(shipment.checkpoints) == ["EV-1", "EV-2", "EV-3"]  # kept in the timeline
    assert (shipment.status, shipment.status_at, shipment.status_detail) == ("out_for_delivery", at(21, 7), newest)


def test_at_the_same_carrier_time_the_higher_status_wins(shipments):
    shipments.record(CARRIER, NUMBER, "EV-2", a_checkpoint("delivered", at(21, 9)), None)

    shipment = shipments.record(CARRIER, NUMBER, "EV-1", a_checkpoint("out_for_delivery", at(21, 9)), None)

    assert shipment.status == "delivered"


def test_a_final_status_is_not_undone_by_a_later_non_final_one(shipments):
    shipments.record(CARRIER, NUMBER, "EV-1", a_checkpoint("delivered", at(21, 9)), None)

    # A mis-timed scan after delivery
    shipment = shipments.record(CARRIER, NUMBER, "EV-2", a_checkpoint("in_transit", at(21, 12)), None)

    assert (shipment.status, shipment.status_at) == ("delivered", at(21, 9))
    assert shipment.final


def test_a_later_final_status_replaces_a_final_one(shipments):
    shipments.record(CARRIER, NUMBER, "EV-1", a_checkpoint("expired", at(21, 9)), None)

    shipment = shipments.record(CARRIER, NUMBER, "EV-2", a_checkpoint("delivered", at(22, 9)), None)

    assert (shipment.status, shipment.status_at) == ("delivered", at(22, 9))


def test_the_return_a_checkpoint_names_is_linked_once(shipments):
    shipments.record(CARRIER, NUMBER, "EV-1", a_checkpoint("in_transit", at(21, 9)), None)
    first = shipments.record(CARRIER, NUMBER, "EV-2", a_checkpoint("in_transit", at(21, 10)), "RT-1")

    other = shipments.record(CARRIER, NUMBER, "EV-3", a_checkpoint("in_transit", at(21, 11)), "RT-2")
    none = shipments.record(CARRIER, NUMBER, "EV-4", a_checkpoint("in_transit", at(21, 12)), None)

    assert (first.return_id, other.return_id, none.return_id) == ("RT-1", "RT-1", "RT-1")


# link


def test_link_sets_the_return_and_gives_the_shipment(shipments):
    checkpoint = a_checkpoint("in_transit", at(21, 9))
    shipments.record(CARRIER, NUMBER, "EV-1", checkpoint, None)

    shipment = shipments.link(CARRIER, NUMBER, "RT-1")

    assert shipment.return_id == "RT-1"
    assert (shipment.status, shipment.checkpoints) == ("in_transit", {"EV-1": checkpoint})
    assert shipments.get(CARRIER, NUMBER) == shipment


def test_link_accepts_the_same_return_and_refuses_another(shipments):
    shipments.record(CARRIER, NUMBER, "EV-1", a_checkpoint("in_transit", at(21, 9)), "RT-1")

    same = shipments.link(CARRIER, NUMBER, "RT-1")
    other = shipments.link(CARRIER, NUMBER, "RT-2")

    assert same is not None and same.return_id == "RT-1"
    assert other is None
    assert shipments.get(CARRIER, NUMBER).return_id == "RT-1"


def test_link_before_any_checkpoint_makes_the_shipment(shipments):
    shipment = shipments.link(CARRIER, NUMBER, "RT-1")

    assert (shipment.carrier, shipment.tracking_number, shipment.return_id) == (CARRIER, NUMBER, "RT-1")
    assert (shipment.checkpoints, shipment.status) == ({}, None)
    # and a checkpoint that comes later finds it linked
    assert shipments.record(CARRIER, NUMBER, "EV-1", a_checkpoint("in_transit", at(21, 9)), None).return_id == "RT-1"


# schedule_poll / due_for_poll


def recorded(shipments, number: str, status: str = "in_transit", when: str = at(21, 9), return_id=None) -> None:
    shipments.record(CARRIER, number, f"EV-{number}", a_checkpoint(status, when), return_id)


def test_due_for_poll_gives_the_longest_overdue_first_within_the_limit(shipments):
    for number, next_poll_at in [("SF2", at(21, 12)), ("SF1", at(21, 6)), ("SF3", at(22)), ("SF4", at(23))]:
        recorded(shipments, number)
        shipments.schedule_poll(CARRIER, number, next_poll_at)

    # SF3 is due at now: due
    assert [shipment.tracking_number for shipment in shipments.due_for_poll(at(22), 10)] == ["SF1", "SF2", "SF3"]
    assert [shipment.tracking_number for shipment in shipments.due_for_poll(at(22), 2)] == ["SF1", "SF2"]
    assert shipments.due_for_poll(at(21, 5), 10) == []


def test_due_for_poll_carries_what_the_poller_reads_without_the_checkpoints(shipments):
    recorded(shipments, NUMBER, when=at(21, 9), return_id="RT-1")
    shipments.schedule_poll(CARRIER, NUMBER, at(21, 20), attempts=3)

    (due,) = shipments.due_for_poll(at(22), 10)

    assert (due.carrier, due.tracking_number, due.return_id, due.status_at) == (CARRIER, NUMBER, "RT-1", at(21, 9))
    assert (due.poll_state, due.next_poll_at, due.poll_attempts) == ("active", at(21, 20), 3)
    assert due.checkpoints == {}


def test_schedule_poll_again_moves_the_time_and_none_stops_polling(shipments):
    recorded(shipments, "SF1")
    recorded(shipments, "SF2")
    shipments.schedule_poll(CARRIER, "SF1", at(21, 10))
    shipments.schedule_poll(CARRIER, "SF2", at(21, 11))

    shipments.schedule_poll(CARRIER, "SF1", at(21, 12), attempts=1)
    shipments.schedule_poll(CARRIER, "SF2", None)

    assert [shipment.tracking_number for shipment in shipments.due_for_poll(at(22), 10)] == ["SF1"]
    stopped = shipments.get(CARRIER, "SF2")
    assert (stopped.poll_state, stopped.next_poll_at) == (None, None)
    assert stopped.checkpoints and stopped.status == "in_transit"  # the parcel itself stays
    assert shipments.get(CARRIER, "SF1").poll_attempts == 1


def test_schedule_poll_of_a_parcel_never_recorded_then_recorded(shipments):
    shipments.schedule_poll(CARRIER, NUMBER, at(21, 10))

    recorded(shipments, NUMBER)

    (due,) = shipments.due_for_poll(at(22), 10)
    assert (due.carrier, due.tracking_number, due.next_poll_at) == (CARRIER, NUMBER, at(21, 10))


def test_schedule_poll_of_a_parcel_never_recorded_leaves_an_item_without_carrier(shipments):
    """ADAPTER BEHAVIOUR (reported): schedule_poll is a plain update of the item by shipment id; it does not set
    carrier and tracking_number (record and link do), so before a checkpoint or a link arrives the item is no
    Shipment: reading it raises. The services schedule only parcels they recorded."""
    shipments.schedule_poll(CARRIER, NUMBER, at(21, 10))

    with pytest.raises(TypeError):
        shipments.get(CARRIER, NUMBER)
    with pytest.raises(TypeError):
        shipments.due_for_poll(at(22), 10)


# copies


def test_a_checkpoint_passed_in_and_a_shipment_given_back_are_copies(shipments):
    checkpoint = a_checkpoint("in_transit", at(21, 9))
    shipments.record(CARRIER, NUMBER, "EV-1", checkpoint, None)
    checkpoint["status"] = "delivered"

    shipments.get(CARRIER, NUMBER).checkpoints["EV-1"]["location"] = "nowhere"
    shipments.get(CARRIER, NUMBER).status_detail.clear()

    stored = shipments.get(CARRIER, NUMBER)
    assert stored.checkpoints["EV-1"] == a_checkpoint("in_transit", at(21, 9))
    assert stored.status_detail == a_checkpoint("in_transit", at(21, 9))


def test_a_full_timeline_keeps_its_checkpoints_and_the_status_still_moves(shipments):
    for n in range(MAX_TIMELINE):
        shipments.record(CARRIER, NUMBER, f"cp-{n}", a_checkpoint("in_transit", f"2026-11-20T{n // 60:02}:{n % 60:02}:00Z"), None)

    shipment = shipments.record(CARRIER, NUMBER, "cp-last", a_checkpoint("delivered", at(21, 6)), None)

    assert (shipment.status, len(shipment.checkpoints)) == ("delivered", MAX_TIMELINE)
    assert "cp-last" not in shipment.checkpoints
    again = shipments.record(CARRIER, NUMBER, "cp-0", a_checkpoint("in_transit", "2026-11-20T00:00:00Z"), None)
    assert len(again.checkpoints) == MAX_TIMELINE, "a checkpoint already kept is kept again, not added"


def test_parcels_are_found_by_their_tracking_number_whichever_carrier(shipments):
    shipments.record(CARRIER, NUMBER, "EV-1", a_checkpoint("in_transit", at(21, 9)), None)
    shipments.record("zto", NUMBER, "EV-2", a_checkpoint("in_transit", at(21, 9)), None)
    shipments.record(CARRIER, "SF200", "EV-3", a_checkpoint("in_transit", at(21, 9)), None)

    assert shipments.with_tracking_number(NUMBER) == [(CARRIER, NUMBER), ("zto", NUMBER)]
    assert shipments.with_tracking_number("SF300") == []
