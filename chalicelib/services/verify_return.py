"""The workflow's Verify step: decide the request by the policy in force and keep the decision on the return.

The resolved policy is kept on the return too, so the refund is calculated
under the version the return was decided under, whatever changes later.
"""

from datetime import datetime, timedelta

from chalicelib.adapters.ports import CustomerStore, ReturnStore, ShipmentStore
from chalicelib.domain.events import OrderData, ReturnLine, iso_utc
from chalicelib.domain.policy import DEFAULT_TIER, Policy
from chalicelib.domain.return_progress import evidence
from chalicelib.domain.tracking import delivered_at
from chalicelib.domain.verification import Decision, Request, verify_request
from chalicelib.refunds import quote
from chalicelib.services.quote_return import quote_request
from chalicelib.services.workflow_ports import WorkflowPorts, load_return

ABUSE_LOOKBACK = timedelta(days=30)


def verify_return(return_id: str, ports: WorkflowPorts) -> dict:
    record = load_return(return_id, ports)
    order = ports.orders.get(record["order_id"])
    tier = customer_tier(ports.customers, order["customer_id"]) if order else DEFAULT_TIER
    policy = ports.policies.current().resolve(record.get("marketplace"), tier)
    if order and record.get("customer_id") != order["customer_id"]:
        # Named before counting: of two requests verified at once, the later count sees the other.
        ports.returns.update(return_id, {"customer_id": order["customer_id"]})
    decision = decide(order, record, policy, ports.returns, ports.shipments)
    ports.returns.update(return_id, {
        "status": "rejected" if decision.outcome == "reject" else "verified",
        "decision": decision.model_dump(mode="json"),
        "policy": policy.model_dump(mode="json"),
    })
    return {
        "decision": decision.outcome,
        "code": decision.code,
        "parcel_wait_seconds": int(timedelta(days=policy.parcel_wait_days).total_seconds()),
        "review_wait_seconds": int(timedelta(days=policy.review_wait_days).total_seconds()),
        "hold_wait_seconds": int(timedelta(hours=policy.hold_wait_hours).total_seconds()),
    }


def decide(
    order: dict | None, record: dict, policy: Policy, returns: ReturnStore, shipments: ShipmentStore,
    returns_30d: int | None = None,
) -> Decision:
    """Verify a stored (or previewed) request against a stored order; `returns_30d` replaces the count query."""
    request = Request(
        reason=record["reason"],
        items=[ReturnLine(**item) for item in record["items"]],
        requested_at=datetime.fromisoformat(record["requested_at"]),
        evidence=len(evidence(record)),
    )

    def estimate_minor() -> int:
        """The refund if every requested unit is accepted with no deductions (rule 7)."""
        inspection = {"items": [{"line_id": item.line_id, "accepted": item.quantity} for item in request.items]}
        return quote(quote_request(order, {**record, "kind": "return", "inspection": inspection}, policy))["total_minor"]

    def recent_returns() -> int:
        if returns_30d is not None:
            return returns_30d
        since = iso_utc(request.requested_at - ABUSE_LOOKBACK)
        return returns.count_requested(order["customer_id"], since, iso_utc(request.requested_at), record["return_id"])

    return verify_request(
        stored_order_data(order) if order else None,
        request,
        order.get("refunded_units", {}) if order else {},
        policy,
        estimate_minor,
        recent_returns,
        _carrier_delivery(order, shipments) if order else None,
    )


def _carrier_delivery(order: dict, shipments: ShipmentStore) -> datetime | None:
    """The carrier's delivered scan of the order's outbound parcel, when its tracking is known."""
    shipment = order.get("shipment")
    at = delivered_at(shipments.get(shipment["carrier"], shipment["tracking_number"])) if shipment else None
    return datetime.fromisoformat(at) if at else None


def customer_tier(customers: CustomerStore, customer_id: str) -> str:
    return (customers.get(customer_id) or {}).get("tier", DEFAULT_TIER)


def stored_order_data(item: dict) -> OrderData:
    """The order as its last OrderUpserted said, without the bookkeeping stored next to it."""
    return OrderData.model_validate({key: item[key] for key in OrderData.model_fields if key in item})
