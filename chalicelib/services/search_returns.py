"""Finding a return by what a person has at hand (GET /v1/returns?q=): its id, its order's id or its parcel's
tracking number, in every shop, or in one (`shop`). A customer on the phone knows an order number, a carrier a
waybill; both lead to the return. Each is an index lookup (the shop's own ids are kept as `reference`)."""

from chalicelib.bootstrap import Ports
from chalicelib.domain.returns import Return
from chalicelib.domain.staff_keys import Role, Staff
from chalicelib.domain.tenancy import own_id, shop_of
from chalicelib.services.authenticate_staff import require_any

MOST = 20


def search_returns(text: str, shop: str | None, staff: Staff, ports: Ports) -> dict:
    require_any(staff, Role.AFTER_SALES, Role.FINANCE)
    found: dict[str, tuple[str, Return]] = {}

    def keep(return_id: str | None, matched: str, order_id: str | None = None) -> None:
        if return_id is None or len(found) >= MOST or return_id in found or shop not in (None, shop_of(return_id)):
            return
        record = ports.returns.get(return_id)
        if record is not None and record.requested and order_id in (None, record.order_id):
            found[return_id] = (matched, record)

    for return_id in ports.returns.with_reference(text):
        keep(return_id, "return_id")
    for order_id in ports.orders.with_reference(text):
        if shop in (None, shop_of(order_id)):
            order = ports.orders.get(order_id)
            for return_id in ports.returns.requested_by(order.customer_id) if order else []:
                keep(return_id, "order_id", order_id)
    for carrier, number in ports.shipments.with_tracking_number(text):
        shipment = ports.shipments.get(carrier, number)
        keep(shipment.return_id if shipment else None, "tracking_number")
    return {"q": text, "shop": shop, "items": [_summary(record, matched) for matched, record in found.values()]}


def _summary(record: Return, matched: str) -> dict:
    return {
        "shop": shop_of(record.return_id), "return_id": own_id(record.return_id),
        "order_id": own_id(record.order_id) if record.order_id else None, "matched": matched,
        "status": record.status, "kind": record.kind, "resolution": record.resolution, "reason": record.reason,
        "requested_at": record.requested_at, "queue": record.review_queue, "sla_deadline": record.sla_deadline,
        "tracking_number": (record.parcel or record.shipment or {}).get("tracking_number"),
    }
