"""A Shopify notification made into what it means: the resource it names, read from the Admin API, as
canonical events and effects (translate.py). Every topic of a return also (re)states the request, under an id
that is the same however often or late it comes, so a request whose own delivery was lost still arrives."""

from chalicelib.connectors.marketplace import AppUninstalled, ReturnStatusSeen
from chalicelib.connectors.shopify import admin_api, translate
from chalicelib.connectors.shopify.admin_api import ShopifyAdmin
from chalicelib.connectors.shopify.webhook import number_of
from chalicelib.domain.clock import iso_utc
from chalicelib.domain.events import MarketplaceNotified
from chalicelib.ports.errors import HydrationFailed

# Shopify's Return statuses in which the request stands (the others end it before we could act on it).
_STANDING = frozenset({"REQUESTED", "OPEN", "CLOSED"})


def hydrate(notice: MarketplaceNotified, admin: ShopifyAdmin, context: dict) -> list:
    shop, at = notice.source, notice.received_at
    resource = notice.data.resource
    if notice.data.topic == "app/uninstalled":
        return [AppUninstalled(iso_utc(notice.occurred_at))]
    kind = resource.split("/")[3]
    if kind == "Order":
        return [translate.order_event(_read(admin, admin_api.ORDER, "order", resource), shop, at, context)]
    if kind == "Return":
        found = _read(admin, admin_api.RETURN, "return", resource)
        order = _read(admin, admin_api.ORDER, "order", (found.get("order") or {}).get("id"))
        placed = translate.order_event(order, shop, at, context)
        effects: list = [placed]
        if found.get("status") in _STANDING:
            number = number_of(order["id"], "Order")
            effects.append(translate.return_event(found, number, placed.data.currency, shop, at, context))
        effects.append(ReturnStatusSeen(number_of(found["id"], "Return"), str(found.get("status")).lower()))
        return effects
    if kind == "ReverseDelivery":
        link = translate.parcel_link(_read(admin, admin_api.REVERSE_DELIVERY, "reverseDelivery", resource))
        return [link] if link else []
    refund = _read(admin, admin_api.REFUND, "refund", resource)
    order = _read(admin, admin_api.ORDER, "order", (refund.get("order") or {}).get("id"))
    event = translate.order_event(order, shop, at, context)
    return [event, translate.refund_effect(refund, event.data.currency)]


def _read(admin: ShopifyAdmin, document: str, field: str, resource: str | None) -> dict:
    if not resource:
        raise HydrationFailed(f"Shopify's {field} names no resource to read")
    found = admin.call(document, {"id": resource}).get(field)
    if not found:
        raise HydrationFailed(f"Shopify has no {resource} (yet)")
    return found
