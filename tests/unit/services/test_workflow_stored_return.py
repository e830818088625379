"""load_return, the read every workflow step starts with: a return never requested is not there, whatever the
step, and the step fails (to RecordFailure) instead of acting on it."""

import pytest

from chalicelib.ports.errors import ReturnNotFound
from chalicelib.services.dispatch_refund import dispatch_refund
from chalicelib.services.hold_shipment import hold_shipment
from chalicelib.services.notify_outcome import notify_outcome
from chalicelib.services.quote_return import quote_return
from chalicelib.services.report_refund_failure import report_refund_failure
from chalicelib.services.stored_return import load_return
from chalicelib.services.verify_return import verify_return
from chalicelib.services.wait_for_event import wait_for_event
from tests.unit.services.given import NOW, RETRY, a_return, an_order, ingested, tracking_updated, twins

DECLINED = {"error": {"type": "PaymentDeclined", "message": "x: y"}}


def test_a_stored_return_is_loaded():
    # Given a requested return
    ports = twins()
    an_order(ports)
    a_return(ports)
    # When loaded
    record = load_return("RT-1", ports)
    # Then it is the stored request
    assert (record.return_id, record.order_id, record.kind) == ("RT-1", "TM-1001", "return")


def test_an_unknown_return_is_not_found():
    # Given nothing stored under RT-404
    ports = twins()
    # When loaded
    with pytest.raises(ReturnNotFound):
        load_return("RT-404", ports)
    # Then nothing was created by looking
    assert ports.returns.get("RT-404") is None


def test_a_return_known_only_from_tracking_is_not_found():
    # Given a carrier scan naming RT-9 before its request arrived (tracking creates the item)
    ports = twins()
    ingested(ports, tracking_updated("RT-9", status="in_transit"), source="sf")
    assert ports.returns.get("RT-9") is not None
    # When loaded by a step
    with pytest.raises(ReturnNotFound):
        load_return("RT-9", ports)


@pytest.mark.parametrize(
    "step",
    [
        lambda ports: verify_return("RT-404", ports),
        lambda ports: hold_shipment("RT-404", ports, NOW),
        lambda ports: quote_return("RT-404", ports),
        lambda ports: dispatch_refund("RT-404", ports, NOW, RETRY),
        lambda ports: report_refund_failure("RT-404", DECLINED, ports, NOW),
        lambda ports: notify_outcome("RT-404", {"return_id": "RT-404"}, ports, NOW),
        lambda ports: wait_for_event("RT-404", "review", "tok-1", ports, NOW),
        lambda ports: wait_for_event("RT-404", "parcel", "tok-1", ports, NOW),
    ],
    ids=["verify", "hold", "quote", "dispatch", "refund_failed", "notify", "await_review", "await_parcel"],
)
def test_every_step_on_an_unknown_return_fails_with_return_not_found_and_publishes_nothing(step):
    # Given nothing stored under RT-404
    ports = twins()
    # When a workflow step runs for it
    with pytest.raises(ReturnNotFound):
        step(ports)
    # Then it told nobody and parked nothing
    assert ports.bus.events == []
    assert ports.returns.get("RT-404") is None
