"""The workflow's HoldShipment step: ask the warehouse not to ship the cancelled lines; AwaitHold waits for its answer
(HoldShipmentAnswered) before any refund."""

from chalicelib.bootstrap import Ports
from chalicelib.domain.returns import ReturnStatus
from chalicelib.domain.tenancy import unqualified
from chalicelib.services.stored_return import load_return


def hold_shipment(return_id: str, ports: Ports) -> dict:
    record = load_return(return_id, ports)
    ports.bus.publish(
        "HoldShipmentRequested", unqualified({"return_id": return_id, "order_id": record.order_id, "items": record.items})
    )
    ports.returns.update(return_id, {"status": ReturnStatus.HOLD_REQUESTED})
    return {"requested": True}
