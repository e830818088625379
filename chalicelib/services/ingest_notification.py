"""Apply a marketplace's notification: read what it names from the marketplace (hydration), then apply each
canonical event that comes of it exactly as one sent to us (ingest_event, deduped on its own id) and each effect.

The notification's id is recorded last: a crash in between hydrates it again on redelivery, and every effect is
idempotent (events by their ids, links by parcel, refunds by their ledger key), so nothing is applied twice.
"""

import json
from datetime import datetime

from chalicelib.bootstrap import Ports
from chalicelib.connectors.marketplace import AppUninstalled, MarketplaceRefunded, ParcelLinked, ReturnStatusSeen
from chalicelib.domain.events import MarketplaceNotified, edge_context, queued_messages
from chalicelib.domain.tenancy import qualified, qualify, shop_of
from chalicelib.services.ingest_event import ingest_event
from chalicelib.services.record_marketplace_refund import record_marketplace_refund
from chalicelib.services.sync_tracking import link_tracking

# How every message the edge queues starts (the events' first field).
OUR_MESSAGES = '{"event_id":'


def queued_message(body: str, ports: Ports, now: datetime):
    """What the ingest queue carries: our queued events, or an event Shopify put on its EventBridge partner source
    (the rule of infra/ sends it to the same queue), turned into the notification its webhook would have been."""
    if not body.startswith(OUR_MESSAGES):
        payload = json.loads(body)
        if isinstance(payload, dict) and "detail-type" in payload:
            from chalicelib.services.accept_shopify_webhook import partner_notification

            return partner_notification(payload, ports, now)
    return queued_messages.validate_json(body)


def ingest_notification(notice: MarketplaceNotified, ports: Ports, now: datetime) -> str:
    if ports.event_log.seen(notice.event_id):
        return "duplicate"
    shop = shop_of(notice.event_id)
    context = edge_context(now, ports.config.past_days, ports.config.future_hours)
    outcomes = []
    for effect in ports.marketplaces.hydrate(notice, context):
        outcomes.append(_apply(effect, shop, ports, now))
    outcome = "; ".join(outcomes) or "nothing to do"
    ports.event_log.record({**notice.model_dump(mode="json"), "outcome": outcome})
    return outcome


def _apply(effect, shop: str, ports: Ports, now: datetime) -> str:
    if isinstance(effect, ParcelLinked):
        linked = link_tracking(qualified(shop, effect.return_id), effect.carrier, effect.tracking_number, ports, now)
        return f"parcel {effect.carrier} {effect.tracking_number} linked" if linked else "parcel linked to another return"
    if isinstance(effect, ReturnStatusSeen):
        return_id = qualified(shop, effect.return_id)
        if ports.returns.get(return_id) is None:
            return f"return {effect.return_id} is not ours"
        ports.returns.update(return_id, {"marketplace_status": effect.status})
        return f"return {effect.status} in the marketplace"
    if isinstance(effect, MarketplaceRefunded):
        return record_marketplace_refund(effect, shop, ports, now)
    if isinstance(effect, AppUninstalled):
        ports.shops.mark_uninstalled(shop, effect.at)
        return f"app uninstalled at {effect.at}: nothing more is sent to the shop"
    return f"{effect.type}: {ingest_event(qualify(effect, shop), ports)}"
