"""Accept a signed webhook: verify, validate, archive the raw body, enqueue; only then acknowledge."""

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

from chalicelib.adapters.marketplaces.generic import parse_generic_event
from chalicelib.adapters.ports import Archive, EventQueue, QueueUnavailable, ReturnStore, SecretStore
from chalicelib.adapters.warehouse import SOURCE as WAREHOUSE
from chalicelib.adapters.warehouse import parse_warehouse_receipt
from chalicelib.domain.errors import InvalidInput, InvalidJson, load_json
from chalicelib.domain.events import CanonicalEvent, InspectionCompleted
from chalicelib.domain.return_progress import CLOSED
from chalicelib.domain.signatures import SignatureError, verify_signature

MAX_BODY_BYTES = 256 * 1024
# Sources with a format of their own; every other source speaks the generic one.
_FORMATS = {WAREHOUSE: parse_warehouse_receipt}
_SOURCE = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


@dataclass(frozen=True)
class WebhookPorts:
    secrets: SecretStore
    archive: Archive
    queue: EventQueue
    carrier_secrets: SecretStore
    returns: ReturnStore


class WebhookRejected(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field


def accept_webhook(
    source: str, timestamp: str | None, signature: str | None, raw_body: bytes, ports: WebhookPorts, now: datetime
) -> CanonicalEvent:
    check_size(raw_body)
    secret = ports.secrets.secret(source) if _SOURCE.fullmatch(source) else None
    if secret is None:
        raise WebhookRejected(404, "unknown_source", f"no webhook source named {source!r} is configured")
    try:
        verify_signature(secret, timestamp, signature, raw_body, now.timestamp())
    except SignatureError as error:
        raise WebhookRejected(401, "invalid_signature", str(error)) from None
    payload = read_json(raw_body)
    try:
        event = _FORMATS.get(source, parse_generic_event)(payload, source, now)
    except InvalidInput as error:
        raise WebhookRejected(422, error.code, error.message, error.field or None) from None
    if source == WAREHOUSE and isinstance(event, InspectionCompleted):
        _refuse_a_second_inspection(event, ports.returns)
    message = event.model_dump_json()
    if len(message.encode()) > MAX_BODY_BYTES:
        raise WebhookRejected(413, "body_too_large", "the event is too large to queue")
    ports.archive.put(archive_key(event, raw_body), raw_body)
    enqueue(ports.queue, message, event, source)
    return event


def enqueue(queue: EventQueue, message: str, event: CanonicalEvent, source: str) -> None:
    """A queue that does not take the event is a 503: nothing was accepted, and the sender sends it again."""
    try:
        queue.send(message, {"type": event.type, "source": source, "event_id": event.event_id})
    except QueueUnavailable:
        raise WebhookRejected(503, "queue_unavailable", "the event could not be queued; send it again") from None


def check_size(raw_body: bytes) -> None:
    if len(raw_body) > MAX_BODY_BYTES:
        raise WebhookRejected(413, "body_too_large", f"the body is {len(raw_body)} bytes; the limit is {MAX_BODY_BYTES}")


def read_json(raw_body: bytes) -> object:
    try:
        return load_json(raw_body)
    except InvalidJson as error:
        raise WebhookRejected(400, "invalid_json", str(error)) from None


def _refuse_a_second_inspection(event: InspectionCompleted, returns: ReturnStore) -> None:
    """The warehouse hears at once that only the first inspection counts: another one for an inspected or a
    finished return is a conflict, not a message to drop later. Its same receipt again, while the return is
    open, is a duplicate and accepted."""
    record = returns.get(event.data.return_id) or {}
    first = record.get("inspection_event_id")
    if first is not None and first != event.event_id:
        raise WebhookRejected(409, "already_inspected", f"return {event.data.return_id} was inspected already ({first})")
    if record.get("status") in CLOSED:
        raise WebhookRejected(409, "return_closed", f"return {event.data.return_id} is closed ({record['status']})")


def archive_key(event: CanonicalEvent, raw_body: bytes) -> str:
    """Date-partitioned for replay by day; the body hash keeps every distinct delivery of one event id."""
    day = event.received_at.strftime("%Y/%m/%d")
    digest = hashlib.sha256(raw_body).hexdigest()[:16]
    return f"webhooks/{event.source}/{day}/{event.event_id}-{digest}.json"
