"""The `generic` webhook format: one canonical event per delivery, as documented in the README.

    {"event_id": "...", "type": "ReturnRequested", "occurred_at": "2026-11-22T08:00:00Z", "data": {...}}

`shop` names the shop the event is about, when the sender serves several (the warehouse); a shop's own events
need none.
"""

from datetime import datetime

from pydantic import ValidationError

from chalicelib.domain.errors import InvalidInput, from_validation_error
from chalicelib.domain.events import EVENT_TYPES, CanonicalEvent, OrderUpserted, canonical_events, check_order_amounts
from chalicelib.domain.sources import SOURCE_NAME

_ENVELOPE = ("event_id", "type", "occurred_at", "shop", "data")


def parse_generic_event(
    payload: object, source: str, received_at: datetime, context: dict | None = None
) -> tuple[CanonicalEvent, str | None]:
    """The event and the shop it names (None: it names none). `context`: the edge's (events.edge_context)."""
    if not isinstance(payload, dict):
        raise InvalidInput("", "the body must be a JSON object", "invalid_body")
    for key in payload:
        if key not in _ENVELOPE:
            raise InvalidInput(key, "is not a known field", "unknown_field")
    if payload.get("type") not in EVENT_TYPES:
        raise InvalidInput(
            "type", f"{payload.get('type')!r} is not an event type; use one of {', '.join(EVENT_TYPES)}",
            "missing_field" if "type" not in payload else "invalid_value",
        )
    shop = payload.get("shop")
    payload = {key: value for key, value in payload.items() if key != "shop"}
    if shop is not None and not (isinstance(shop, str) and SOURCE_NAME.fullmatch(shop)):
        raise InvalidInput("shop", "must be a shop's name: lower-case letters, digits, _ and -")
    try:
        event = canonical_events.validate_python(
            {**payload, "source": source, "received_at": received_at}, context=context
        )
    except ValidationError as error:
        invalid = from_validation_error(error)
        # Drop the union tag pydantic puts after the envelope ("ReturnRequested.data..." -> "data...").
        invalid.field = invalid.field.removeprefix(f"{payload['type']}.")
        raise invalid from None
    if isinstance(event, OrderUpserted):
        check_order_amounts(event.data)
    return event, shop
