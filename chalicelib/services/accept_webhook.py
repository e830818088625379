"""Accept a signed webhook: authenticate the source, validate, authorize, archive the raw body, enqueue; only then
acknowledge. What is queued is tenant-qualified (domain/tenancy.py): the consumer cannot be told to touch a record
of a shop the sender does not act for."""

import hashlib
from datetime import datetime

from chalicelib.bootstrap import Ports
from chalicelib.connectors.generic import parse_generic_event
from chalicelib.connectors.warehouse import parse_warehouse_message
from chalicelib.domain.errors import InvalidInput, load_json
from chalicelib.domain.events import CanonicalEvent, InspectionCompleted, edge_context
from chalicelib.domain.signatures import SignatureError, verify_signature
from chalicelib.domain.sources import SOURCE_NAME, Source, SourceKind
from chalicelib.domain.tenancy import own_id, qualify
from chalicelib.ports import EventQueue
from chalicelib.ports.errors import Conflict, Forbidden, NotAuthenticated, QueueUnavailable, TooLarge

MAX_BODY_BYTES = 256 * 1024
# SQS counts the message's attributes (type, source, event id: under 1 KB) within its 256 KB.
MAX_MESSAGE_BYTES = MAX_BODY_BYTES - 1024
_FORMATS = {SourceKind.SHOP: parse_generic_event, SourceKind.WAREHOUSE: parse_warehouse_message}


def accept_webhook(
    name: str, timestamp: str | None, signature: str | None, raw_body: bytes, ports: Ports, now: datetime
) -> CanonicalEvent:
    check_size(raw_body)
    source = registered(name, ports, SourceKind.SHOP, SourceKind.WAREHOUSE)
    try:
        verify_signature(source.secrets if source else (), timestamp, signature, raw_body, now.timestamp())
    except SignatureError as error:
        raise NotAuthenticated(str(error), "invalid_signature") from None
    context = edge_context(now, ports.config.past_days, ports.config.future_hours)
    event, named = _FORMATS[source.kind](load_json(raw_body), name, now, context)
    event = qualify(event, shop_for(source, event.type, named))
    if source.kind is SourceKind.WAREHOUSE and isinstance(event, InspectionCompleted):
        _refuse_a_second_inspection(event, ports)
    message = event.model_dump_json()
    if len(message.encode()) > MAX_MESSAGE_BYTES:
        raise TooLarge("the event is too large to queue")
    ports.archive.put(archive_key(event, raw_body), raw_body)
    enqueue(ports.queue, message, event, name)
    return event


def registered(name: str, ports: Ports, *kinds: SourceKind) -> Source | None:
    """The source of that name and kind; None otherwise, which the caller answers exactly like a bad signature
    (an unknown name must not be told from a known one). A name that cannot be one never reaches the registry."""
    source = ports.sources.get(name) if SOURCE_NAME.fullmatch(name) else None
    return source if source is not None and source.kind in kinds else None


def shop_for(source: Source, event_type: str, named: str | None) -> str:
    """The shop an event is about, if the source may send this type of event about it."""
    if event_type not in source.event_types:
        raise Forbidden(f"source {source.name!r} is not granted {event_type} events", "event_type_not_granted")
    shop = named or source.only_shop()
    if shop is None:
        raise InvalidInput("shop", f"name the shop this event is about: {source.name!r} serves several", "missing_field")
    if not source.acts_for(shop):
        raise Forbidden(f"source {source.name!r} does not act for shop {shop!r}", "shop_not_granted")
    return shop


def enqueue(queue: EventQueue, message: str, event: CanonicalEvent, source: str) -> None:
    """A queue that does not take the event is unavailable: nothing was accepted, and the sender sends it again."""
    try:
        queue.send(message, {"type": event.type, "source": source, "event_id": event.event_id})
    except QueueUnavailable:
        raise QueueUnavailable("the event could not be queued; send it again") from None


def check_size(raw_body: bytes) -> None:
    if len(raw_body) > MAX_BODY_BYTES:
        raise TooLarge(f"the body is {len(raw_body)} bytes; the limit is {MAX_BODY_BYTES}")


def _refuse_a_second_inspection(event: InspectionCompleted, ports: Ports) -> None:
    """The warehouse hears at once that only the first inspection counts: another one for an inspected or a
    finished return is a conflict, not a message to drop later. Its same receipt again, while the return is
    open, is a duplicate and accepted."""
    record = ports.returns.get(event.data.return_id)
    if record is None:
        return
    first = record.inspection_event_id
    if first is not None and first != event.event_id:
        raise Conflict(f"return {own_id(record.return_id)} was inspected already ({own_id(first)})", "already_inspected")
    if record.closed:
        raise Conflict(f"return {own_id(record.return_id)} is closed ({record.status})", "return_closed")


def archive_key(event: CanonicalEvent, raw_body: bytes) -> str:
    """Date-partitioned for replay by day; the body hash keeps every distinct delivery of one event id."""
    day = event.received_at.strftime("%Y/%m/%d")
    digest = hashlib.sha256(raw_body).hexdigest()[:16]
    return f"webhooks/{event.source}/{day}/{own_id(event.event_id)}-{digest}.json"
