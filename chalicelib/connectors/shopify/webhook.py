"""Shopify's webhook deliveries (CONNECTORS.md, "Shopify"): whether Shopify signed it, and what it is about.

Payloads are thin hints and Shopify waits only 5 s, so a delivery is only verified and turned into a
MarketplaceNotified naming its resource; the consumer reads the resource from the Admin API (hydrate.py). Each
delivery's id is `wh-<X-Shopify-Webhook-Id>`: a retried delivery is the same event; another delivery of one
merchant action gets its own id, and its effects are deduped by what hydration makes of them.
"""

import base64
import hashlib
import hmac
from datetime import datetime

from pydantic import ValidationError

from chalicelib.domain.errors import InvalidInput, from_validation_error
from chalicelib.domain.events import MarketplaceNotified

# Each topic, and the type of the resource it is read through.
TOPICS = {
    "orders/create": "Order", "orders/updated": "Order", "orders/paid": "Order", "orders/cancelled": "Order",
    "fulfillments/create": "Order", "fulfillments/update": "Order",
    "returns/request": "Return", "returns/approve": "Return", "returns/decline": "Return", "returns/cancel": "Return",
    "returns/close": "Return", "returns/update": "Return",
    "reverse_deliveries/attach_deliverable": "ReverseDelivery",
    "refunds/create": "Refund",
    "app/uninstalled": None,
}


# What Shopify's EventBridge partner event sources are named: "aws.partner/shopify.com/<app id>/<name>".
PARTNER_SOURCE = "aws.partner/shopify.com"


def signed_by(secrets: tuple[bytes, ...], header: str | None, raw_body: bytes) -> bool:
    """Whether the base64 HMAC-SHA256 of the raw body under one of the secrets (current, previous) is the header."""
    if not header:
        return False
    try:
        sent = base64.b64decode(header.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError):
        return False
    valid = False
    for secret in secrets:
        valid |= hmac.compare_digest(hmac.new(secret, raw_body, hashlib.sha256).digest(), sent)
    return valid


def gid(kind: str, number: str) -> str:
    return f"gid://shopify/{kind}/{number}"


def number_of(value: object, kind: str) -> str | None:
    """The number of a GID of this kind, or of a REST id (a JSON integer, exact however large), as text."""
    if isinstance(value, str):
        prefix = f"gid://shopify/{kind}/"
        number = value.removeprefix(prefix) if value.startswith(prefix) else value
        return number if number.isascii() and number.isdigit() and 0 < len(number) <= 20 and number[0] != "0" else None
    if type(value) is int and 0 < value < 10**20:
        return str(value)
    return None


def resource_of(topic: str, payload: dict) -> str | None:
    """The GID the delivery is about; InvalidInput naming the payload field when it names none."""
    kind = TOPICS[topic]
    if kind is None:
        return None
    if topic.startswith("fulfillments/"):
        field, number = "order_id", number_of(payload.get("order_id"), kind)
    else:
        field = "admin_graphql_api_id"
        number = number_of(payload.get(field), kind) or number_of(payload.get("id"), kind)
    if number is None:
        raise InvalidInput(field, f"must name the {kind} ({gid(kind, '<id>')}) of a {topic} delivery", "missing_field")
    return gid(kind, number)


def notification(
    topic: str, payload: object, webhook_id: str | None, event_id: str | None, triggered_at: str | None, shop: str,
    now: datetime, context: dict,
) -> MarketplaceNotified:
    if not isinstance(payload, dict):
        raise InvalidInput("", "the body must be a JSON object", "invalid_body")
    if not webhook_id:
        raise InvalidInput("X-Shopify-Webhook-Id", "is missing", "missing_field")
    fields = {
        "event_id": f"wh-{webhook_id}", "source": shop, "occurred_at": triggered_at or now, "received_at": now,
        "data": {"platform": "shopify", "topic": topic, "resource": resource_of(topic, payload),
                 "platform_event_id": event_id},
    }
    try:
        return MarketplaceNotified.model_validate(fields, context=context)
    except ValidationError as error:
        invalid = from_validation_error(error)
        invalid.field = _HEADERS.get(invalid.field, invalid.field)
        raise invalid from None


_HEADERS = {
    "event_id": "X-Shopify-Webhook-Id", "occurred_at": "X-Shopify-Triggered-At",
    "data.platform_event_id": "X-Shopify-Event-Id",
}
