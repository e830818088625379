"""EventLog: every applied event kept under its id (the dedupe key), and why queued messages failed."""

from tests.contract.records import at

EVENT = {
    "event_id": "tmall-EV-1", "type": "ReturnRequested", "source": "tmall", "occurred_at": at(20, 7),
    "received_at": at(20, 8), "data": {"return_id": "RT-1", "items": [{"line_id": "L1", "quantity": 1}]},
    "outcome": "workflow_started",
}


def test_an_event_not_recorded_is_not_seen(event_log):
    assert event_log.seen("tmall-EV-1") is False


def test_a_recorded_event_is_seen_and_kept_whole(side, event_log):
    event_log.record(EVENT)

    assert event_log.seen("tmall-EV-1") is True
    assert side.stored_event("tmall-EV-1") == EVENT
    assert event_log.seen("tmall-EV-2") is False


def test_recording_an_event_again_replaces_it_whole(side, event_log):
    event_log.record(EVENT)

    again = {"event_id": "tmall-EV-1", "type": "ReturnRequested", "outcome": "duplicate"}
    event_log.record(again)

    assert side.stored_event("tmall-EV-1") == again


def test_an_event_passed_in_is_copied(side, event_log):
    event = {**EVENT, "data": {"return_id": "RT-1", "items": [{"line_id": "L1", "quantity": 1}]}}
    event_log.record(event)

    event["data"]["items"].clear()
    event["outcome"] = "changed"

    assert side.stored_event("tmall-EV-1") == EVENT


def test_failures_are_counted_with_the_last_error(event_log):
    event_log.record_failure("msg-1", "ReturnNotFound", "no return RT-9", at(20, 8))

    event_log.record_failure("msg-1", "KeyError", "'status'", at(20, 9))

    assert event_log.failure("msg-1") == {
        "event_id": "#failure:msg-1", "failures": 2, "error_type": "KeyError", "error": "'status'",
        "last_failed_at": at(20, 9),
    }


def test_no_failure_is_none_and_a_failure_is_no_event(event_log):
    event_log.record_failure("msg-1", "ReturnNotFound", "no return RT-9", at(20, 8))

    assert event_log.failure("msg-2") is None
    assert event_log.seen("msg-1") is False


def test_a_failure_given_back_is_a_copy(event_log):
    event_log.record_failure("msg-1", "ReturnNotFound", "no return RT-9", at(20, 8))

    event_log.failure("msg-1")["failures"] = 99

    assert event_log.failure("msg-1")["failures"] == 1
