"""The workflow's HoldShipment step: ask the warehouse not to ship the cancelled lines; AwaitHold waits for its answer
(HoldShipmentAnswered) before any refund. A marketplace order that its marketplace ships (Shopify's fulfillment orders) is held there, which answers at
once: its answer is kept as the warehouse's would be, and AwaitHold goes on with it. One our warehouse ships (a
Taobao or JD order: their `hold` answers None) is held by the warehouse."""

from datetime import datetime

from chalicelib.bootstrap import Ports
from chalicelib.domain.clock import iso_utc
from chalicelib.domain.returns import ReturnStatus
from chalicelib.domain.tenancy import shop_of, unqualified
from chalicelib.services.stored_return import load_return


def hold_shipment(return_id: str, ports: Ports, now: datetime) -> dict:
    record = load_return(return_id, ports)
    actions = ports.marketplaces.actions(shop_of(return_id))
    outcome = actions.hold(record) if actions is not None else None
    if outcome is not None:
        ports.returns.update(return_id, {"status": ReturnStatus.HOLD_REQUESTED})
        ports.returns.record_hold_answer(return_id, {"return_id": return_id, "outcome": outcome}, iso_utc(now))
        return {"requested": True, "marketplace": outcome}
    ports.bus.publish(
        "HoldShipmentRequested", unqualified({"return_id": return_id, "order_id": record.order_id, "items": record.items})
    )
    ports.returns.update(return_id, {"status": ReturnStatus.HOLD_REQUESTED})
    return {"requested": True}
