"""Apply a marketplace's notification: read what it names from the marketplace (hydration), then apply each
canonical event that comes of it exactly as one sent to us (ingest_event, deduped on its own id) and each effect.

The notification's id is recorded last: a crash in between hydrates it again on redelivery, and every effect is
idempotent (events by their ids, links by parcel, refunds by their ledger key), so nothing is applied twice.
"""

import json
from datetime import datetime

from chalicelib.bootstrap import Ports
from chalicelib.connectors.marketplace import (
    AppUninstalled,
    Disputed,
    LeftInMarketplace,
    MarketplaceRefunded,
    MarketplaceRefundFailed,
    ParcelLinked,
    ReturnStatusSeen,
)
from chalicelib.domain.clock import iso_utc
from chalicelib.domain.events import MarketplaceNotified, edge_context, queued_messages
from chalicelib.domain.ledger import PaymentStatus
from chalicelib.domain.policy import return_policy
from chalicelib.domain.review import queue_fields, sla_deadline
from chalicelib.domain.tenancy import own_id, qualified, qualify, shop_of
from chalicelib.services.ingest_event import ingest_event
from chalicelib.services.record_marketplace_refund import ledger_keys, record_marketplace_refund
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
        record = ports.returns.get(return_id)
        if record is None:
            return f"return {effect.return_id} is not ours"
        fields = {"marketplace_status": effect.status, "marketplace_deadline": effect.deadline}
        if effect.version:
            fields["marketplace_version"] = effect.version
        if effect.deadline and record.review_queue and record.sla_deadline and not record.closed:
            # Waiting on a person already: due before the marketplace acts by itself.
            fields["sla_deadline"] = sla_deadline(datetime.fromisoformat(record.sla_deadline), effect.deadline)
        # A deadline the marketplace no longer has (the request moved on) is forgotten.
        remove = () if effect.deadline else ("marketplace_deadline",)
        ports.returns.update(return_id, {k: v for k, v in fields.items() if v is not None}, remove=remove)
        return f"return {effect.status} in the marketplace"
    if isinstance(effect, MarketplaceRefunded):
        return record_marketplace_refund(effect, shop, ports, now)
    if isinstance(effect, MarketplaceRefundFailed):
        return _mark_refund_failed(effect, shop, ports)
    if isinstance(effect, Disputed):
        return _flag_dispute(qualified(shop, effect.return_id), effect.why, ports, now)
    if isinstance(effect, LeftInMarketplace):
        return f"{effect.record_id} left to the shop's people in the marketplace: {effect.why}"
    if isinstance(effect, AppUninstalled):
        ports.shops.mark_uninstalled(shop, effect.at)
        return f"app uninstalled at {effect.at}: nothing more is sent to the shop"
    return f"{effect.type}: {ingest_event(qualify(effect, shop), ports)}"


def _flag_dispute(return_id: str, why: str, ports: Ports, now: datetime) -> str:
    """Queue the return for a person of ours (the service queue, its tier's SLA), once per dispute."""
    record = ports.returns.get(return_id)
    if record is None or record.closed:
        return f"dispute about {own_id(return_id)}, which is not an open return of ours"
    sla_hours = return_policy(record, ports.policies.current).review_sla_hours
    problem = {"status": "marketplace_dispute", "why": why, "at": iso_utc(now)}
    if ports.returns.flag_parcel_problem(return_id, problem, queue_fields("service", sla_hours, now, record.marketplace_deadline)):
        return f"disputed in the marketplace ({why}): queued for a person"
    return "dispute already with a person"


def _mark_refund_failed(failed: MarketplaceRefundFailed, shop: str, ports: Ports) -> str:
    """The ledger record the marketplace failed to pay, marked failed with its reason (finance reads it there);
    nothing else moves: the refund's dispatch finds the same in the marketplace and hands it to finance."""
    error = {"code": "refund_failed", "message": failed.reason[:2000], "at": failed.at}
    for key in ledger_keys(failed, shop, qualified(shop, failed.return_id) if failed.return_id else None):
        record = ports.ledger.get(key)
        if record is None:
            continue
        if record.payment_error == error:
            return f"refund {failed.refund_ref} failed in the marketplace: {key} is marked so"
        if ports.ledger.update_payment(key, {"payment_status": PaymentStatus.FAILED, "payment_error": error}) is None:
            return f"refund {failed.refund_ref} failed in the marketplace; {key} is settled already, left as it is"
        return f"refund {failed.refund_ref} failed in the marketplace: {key} marked failed for finance"
    return f"refund {failed.refund_ref} failed in the marketplace; no ledger record of ours was to pay it"
