"""A return's case view for staff (GET /v1/returns/{shop}/{return_id}): everything known of it in one answer, so a
person working an exception reads the case instead of asking the tables. Ids are as the shop knows them."""

from chalicelib.bootstrap import Ports
from chalicelib.domain.execution_names import execution_name
from chalicelib.domain.lake_rows import PERSON_DECISIONS
from chalicelib.domain.returns import Return
from chalicelib.domain.staff_keys import Role, Staff
from chalicelib.domain.tenancy import own_id, shop_of, unqualified
from chalicelib.services.authenticate_staff import require_any
from chalicelib.services.record_in_lake import platform_of
from chalicelib.services.stored_return import load_staff_return
from chalicelib.services.verify_return import customer_tier

_REQUEST = ("kind", "resolution", "reason", "items", "replacement", "note", "return_shipping_paid", "requested_at")
_STANDING = ("status", "waiting_for", "review_queue", "review_since", "sla_deadline", "sla_breached_at", "closed_at",
             "failure", "parcel_problem", "expiry_reason", "marketplace_status", "marketplace_deadline",
             "marketplace_answer", "interception", "hold_answer")


def show_return(return_id: str, staff: Staff, ports: Ports) -> dict:
    """`return_id` is tenant-qualified."""
    require_any(staff, Role.AFTER_SALES, Role.FINANCE)
    record = load_staff_return(return_id, ports)
    shop = shop_of(return_id)
    order = ports.orders.get(record.order_id) if record.order_id else None
    refund = ports.ledger.get(record.refund_id) if record.refund_id else None
    return {
        "shop": shop, "return_id": own_id(return_id), "platform": platform_of(shop, ports),
        "request": {name: getattr(record, name) for name in _REQUEST} | {"evidence_urls": record.evidence},
        "standing": {name: getattr(record, name) for name in _STANDING if getattr(record, name) is not None},
        "order": _order(order) if order else None,
        "customer": {"customer_id": own_id(record.customer_id), "tier": customer_tier(record.customer_id, ports)}
        if record.customer_id else None,
        "decisions": decisions_of(record),
        "tracking": _tracking(record, ports),
        "inspection": {**record.inspection, "inspected_at": record.inspected_at} if record.inspection else None,
        "quote": record.quote, "exchange": record.exchange, "replacement_shipment": record.replacement_shipment,
        "refund": unqualified(refund.finance_record()) if refund else None,
        "workflow": ports.workflows.steps(execution_name(return_id)),
    }


def decisions_of(record: Return) -> list[dict]:
    """The rules' decision (its code, facts and policy version), then each person's, in time order."""
    made = [{"by": "rules", **decided} for decided in [*record.earlier_decisions, *([record.decision] if record.decision else [])]]
    people = [{"by": decided.get("by"), "kind": key, **{k: v for k, v in decided.items() if k != "by"}}
              for key in PERSON_DECISIONS if (decided := getattr(record, key))]
    return made + sorted(people, key=lambda decided: decided.get("at") or "")


def _order(order) -> dict:
    return {**unqualified({"order_id": order.order_id, "customer_id": order.customer_id}), **{
        name: value for name, value in order.order_data().items() if name not in ("order_id", "customer_id")}}


def _tracking(record: Return, ports: Ports) -> dict | None:
    """The parcel the return follows, with every checkpoint in time order."""
    parcel = record.parcel or record.shipment
    if not parcel:
        return None
    shipment = ports.shipments.get(parcel["carrier"], parcel["tracking_number"])
    checkpoints = sorted(shipment.checkpoints.values(), key=lambda c: c["at"]) if shipment else []
    return {"carrier": parcel["carrier"], "tracking_number": parcel["tracking_number"],
            "status": shipment.status if shipment else None, "checkpoints": checkpoints}
