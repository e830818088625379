"""The workflow's HoldShipment step: ask the warehouse not to ship the cancelled lines; AwaitHold waits for its answer
(HoldShipmentAnswered) before any refund."""

from chalicelib.services.workflow_ports import WorkflowPorts, load_return


def hold_shipment(return_id: str, ports: WorkflowPorts) -> dict:
    record = load_return(return_id, ports)
    ports.bus.publish(
        "HoldShipmentRequested",
        {"return_id": return_id, "order_id": record["order_id"], "items": record["items"]},
    )
    ports.returns.update(return_id, {"status": "hold_requested"})
    return {"requested": True}
