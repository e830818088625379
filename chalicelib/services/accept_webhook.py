"""Accept a signed webhook: verify, validate, archive the raw body, enqueue; only then acknowledge."""

import hashlib
import re
from datetime import datetime

from chalicelib.bootstrap import Ports
from chalicelib.connectors.generic import parse_generic_event
from chalicelib.connectors.warehouse import SOURCE as WAREHOUSE
from chalicelib.connectors.warehouse import parse_warehouse_receipt
from chalicelib.domain.errors import load_json
from chalicelib.domain.events import CanonicalEvent, InspectionCompleted
from chalicelib.domain.signatures import SignatureError, verify_signature
from chalicelib.ports import EventQueue
from chalicelib.ports.errors import Conflict, NotAuthenticated, QueueUnavailable, TooLarge, UnknownSubject

MAX_BODY_BYTES = 256 * 1024
# Sources with a format of their own; every other source speaks the generic one.
_FORMATS = {WAREHOUSE: parse_warehouse_receipt}
_SOURCE = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


def accept_webhook(
    source: str, timestamp: str | None, signature: str | None, raw_body: bytes, ports: Ports, now: datetime
) -> CanonicalEvent:
    check_size(raw_body)
    secret = ports.webhook_secrets.secret(source) if _SOURCE.fullmatch(source) else None
    if secret is None:
        raise UnknownSubject(f"no webhook source named {source!r} is configured", "unknown_source")
    try:
        verify_signature(secret, timestamp, signature, raw_body, now.timestamp())
    except SignatureError as error:
        raise NotAuthenticated(str(error), "invalid_signature") from None
    event = _FORMATS.get(source, parse_generic_event)(load_json(raw_body), source, now)
    if source == WAREHOUSE and isinstance(event, InspectionCompleted):
        _refuse_a_second_inspection(event, ports)
    message = event.model_dump_json()
    if len(message.encode()) > MAX_BODY_BYTES:
        raise TooLarge("the event is too large to queue")
    ports.archive.put(archive_key(event, raw_body), raw_body)
    enqueue(ports.queue, message, event, source)
    return event


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
        raise Conflict(f"return {record.return_id} was inspected already ({first})", "already_inspected")
    if record.closed:
        raise Conflict(f"return {record.return_id} is closed ({record.status})", "return_closed")


def archive_key(event: CanonicalEvent, raw_body: bytes) -> str:
    """Date-partitioned for replay by day; the body hash keeps every distinct delivery of one event id."""
    day = event.received_at.strftime("%Y/%m/%d")
    digest = hashlib.sha256(raw_body).hexdigest()[:16]
    return f"webhooks/{event.source}/{day}/{event.event_id}-{digest}.json"
