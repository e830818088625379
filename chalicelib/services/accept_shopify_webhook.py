"""Accept a Shopify webhook delivery: the shop from X-Shopify-Shop-Domain, Shopify's HMAC, the topic; then archive
the raw body and queue the notification for the consumer to hydrate. Nothing else: Shopify waits 5 s."""

import re
from datetime import datetime

from chalicelib.bootstrap import Ports
from chalicelib.connectors.shopify.webhook import PARTNER_SOURCE, TOPICS, notification, signed_by
from chalicelib.domain.connections import SHOPIFY_DOMAIN, shopify_shop_name
from chalicelib.domain.errors import InvalidInput, load_json
from chalicelib.domain.events import MarketplaceNotified, edge_context
from chalicelib.domain.sources import Source, SourceKind
from chalicelib.domain.tenancy import qualify
from chalicelib.ports.errors import NotAuthenticated
from chalicelib.services.accept_webhook import archive_key, check_size, enqueue, registered

_DOMAIN = re.compile(SHOPIFY_DOMAIN)


def accept_shopify_webhook(headers, raw_body: bytes, ports: Ports, now: datetime) -> MarketplaceNotified:
    """`headers`: the request's (names case-insensitive, as Chalice gives them)."""
    check_size(raw_body)
    source = connected_shop(headers.get("x-shopify-shop-domain") or "", ports)
    if not signed_by(source.secrets if source else (), headers.get("x-shopify-hmac-sha256"), raw_body):
        raise NotAuthenticated("the shop is not registered, or X-Shopify-Hmac-Sha256 is not Shopify's signature", "invalid_signature")
    event = delivered(headers, load_json(raw_body), source, ports, now)
    ports.archive.put(archive_key(event, raw_body), raw_body)
    enqueue(ports.queue, event.model_dump_json(), event, source.name)
    return event


def partner_notification(event: dict, ports: Ports, now: datetime) -> MarketplaceNotified:
    """A delivery through Shopify's EventBridge partner source: {"detail": {"metadata": {<the webhook's headers>},
    "payload": {...}}}. No HMAC there (EventBridge vouches for the source, which names the app); the shop must be
    registered and connected all the same, and anything else fails with the message (to the DLQ, with why)."""
    detail = event.get("detail") if isinstance(event, dict) else None
    metadata = {str(k).lower(): v for k, v in ((detail or {}).get("metadata") or {}).items()}
    domain = metadata.get("x-shopify-shop-domain") or ""
    source = connected_shop(domain, ports)
    if not str(event.get("source", "")).startswith(PARTNER_SOURCE) or source is None:
        raise NotAuthenticated(f"no connected Shopify shop {domain!r} for partner event {event.get('id')}", "unknown_shop")
    return delivered(metadata, detail.get("payload"), source, ports, now)


def delivered(headers, payload: object, source: Source, ports: Ports, now: datetime) -> MarketplaceNotified:
    """The notification a delivery to a connected shop makes, by its headers (names lower-case) and payload,
    qualified by the shop."""
    topic = headers.get("x-shopify-topic")
    if topic not in TOPICS:
        raise InvalidInput("X-Shopify-Topic", f"{topic!r} is not a topic this API takes: {', '.join(TOPICS)}",
                           "missing_field" if topic is None else "invalid_value")
    context = edge_context(now, ports.config.past_days, ports.config.future_hours)
    notice = notification(
        topic, payload, headers.get("x-shopify-webhook-id"), headers.get("x-shopify-event-id"),
        headers.get("x-shopify-triggered-at"), source.name, now, context,
    )
    return qualify(notice, source.name)


def connected_shop(domain: str, ports: Ports) -> Source | None:
    """The registered shop connected to that Shopify domain; None is answered like a bad signature."""
    if not _DOMAIN.fullmatch(domain):
        return None
    source = registered(shopify_shop_name(domain), ports, SourceKind.SHOP)
    connection = ports.connections.get(source.name) if source else None
    return source if connection is not None and connection.domain == domain else None
