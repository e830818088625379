"""The HoldShipment step on the twins: the warehouse is asked not to ship the cancelled lines."""

from chalicelib.domain.returns import ReturnStatus
from chalicelib.services.hold_shipment import hold_shipment
from chalicelib.services.verify_return import verify_return
from tests.unit.services.given import NOW, an_order, cancel_requested, ingested, twins, unshipped


def test_a_cancellation_before_shipment_asks_the_warehouse_to_hold_its_lines():
    # Given a paid order not shipped yet, and a verified cancellation of 2 units of L2
    ports = twins()
    an_order(ports, **unshipped())
    ingested(ports, cancel_requested(items=[{"line_id": "L2", "quantity": 2}]))
    assert verify_return("RT-1", ports)["decision"] == "cancel"
    # When HoldShipment runs
    result = hold_shipment("RT-1", ports, NOW)
    # Then the warehouse is asked to hold exactly the cancelled lines
    assert result == {"requested": True}
    assert ports.bus.of("HoldShipmentRequested") == [
        {"return_id": "RT-1", "order_id": "TM-1001", "items": [{"line_id": "L2", "quantity": 2}]},
    ]
    # And the return says the hold was asked for
    assert ports.returns.get("RT-1").status == ReturnStatus.HOLD_REQUESTED
