"""The workflow's Verify step: decide the request by the policy and keep the decision on the return."""

from datetime import datetime

from chalicelib.domain.events import OrderData, ReturnLine
from chalicelib.domain.verification import PARCEL_WAIT, verify_request
from chalicelib.services.workflow_ports import WorkflowPorts, load_return


def verify_return(return_id: str, ports: WorkflowPorts) -> dict:
    record = load_return(return_id, ports)
    stored_order = ports.orders.get(record["order_id"])
    order = stored_order_data(stored_order) if stored_order else None
    returned_before = stored_order.get("refunded_units", {}) if stored_order else {}
    decision = verify_request(
        order,
        [ReturnLine(**item) for item in record["items"]],
        returned_before,
        datetime.fromisoformat(record["requested_at"]),
    )
    ports.returns.update(
        return_id,
        {
            "status": "rejected" if decision.outcome == "reject" else "verified",
            "decision": decision.model_dump(mode="json"),
            "customer_id": order.customer_id if order else None,
        },
    )
    return {"decision": decision.outcome, "code": decision.code, "parcel_wait_seconds": int(PARCEL_WAIT.total_seconds())}


def stored_order_data(item: dict) -> OrderData:
    """The order as its last OrderUpserted said, without the bookkeeping stored next to it."""
    return OrderData.model_validate({key: item[key] for key in OrderData.model_fields if key in item})
