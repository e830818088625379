"""The warehouse sent an exchange's replacement (ReplacementShipped): kept on the return, and told to the
marketplace that waits for its waybill (a Tmall exchange ends when the buyer confirms the replacement arrived).

The marketplace is read before it is told, so a redelivered event tells it once. One that cannot be reached fails
the message, which the queue delivers again; one that refuses is kept on the return with its words and published
for the shop's people, who send the waybill in its back office: the replacement has left, nothing is undone.
"""

from datetime import datetime

from chalicelib.bootstrap import Ports
from chalicelib.domain.clock import iso_utc
from chalicelib.domain.events import ReplacementShipped
from chalicelib.domain.returns import ReturnStatus
from chalicelib.domain.tenancy import shop_of, unqualified
from chalicelib.ports.errors import MarketplaceRefused


def tell_replacement_shipped(event: ReplacementShipped, ports: Ports, now: datetime) -> str:
    return_id = event.data.return_id
    record = ports.returns.get(return_id)
    if record is None or record.status != ReturnStatus.EXCHANGED:
        return "not_an_exchanged_return"
    parcel = event.data.shipment.model_dump(mode="json")
    shipped = {**parcel, "shipped_at": iso_utc(event.occurred_at)}
    actions = ports.marketplaces.actions(shop_of(return_id))
    if actions is not None:
        try:
            shipped["marketplace"] = actions.replacement_shipped(record, parcel)
        except MarketplaceRefused as refused:
            shipped["marketplace_refused"] = str(refused)
            ports.bus.publish("ReplacementNotTold", unqualified({
                "return_id": return_id, "order_id": record.order_id, "marketplace": record.marketplace, **parcel,
                "why": str(refused), "at": iso_utc(now),
            }))
    ports.returns.update(return_id, {"replacement_shipment": shipped})
    return "replacement_refused_by_marketplace" if "marketplace_refused" in shipped else "replacement_shipped"
