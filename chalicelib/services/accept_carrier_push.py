"""Accept a carrier's tracking push: verify its own signature, turn its checkpoints into canonical
TrackingUpdated events, archive the raw body, queue the events; only then acknowledge."""

from datetime import datetime

from pydantic import ValidationError

from chalicelib.adapters.carriers import CARRIER_STYLES
from chalicelib.adapters.carriers.checkpoints import CarrierSignatureError
from chalicelib.domain.errors import from_validation_error
from chalicelib.services.accept_webhook import (
    WebhookPorts,
    WebhookRejected,
    archive_key,
    check_size,
    enqueue,
    read_json,
)


def accept_carrier_push(carrier: str, headers: dict, raw_body: bytes, ports: WebhookPorts, now: datetime) -> int:
    """Returns how many checkpoints were queued."""
    check_size(raw_body)
    style = CARRIER_STYLES.get(carrier)
    secret = ports.carrier_secrets.secret(carrier) if style else None
    if secret is None:
        raise WebhookRejected(404, "unknown_carrier", f"no carrier named {carrier!r} is configured")
    try:
        style.verify({key.lower(): value for key, value in headers.items()}, raw_body, secret)
    except CarrierSignatureError as error:
        raise WebhookRejected(401, "invalid_signature", str(error)) from None
    payload = read_json(raw_body)
    try:
        events = style.parse(payload, carrier, now)
    except ValidationError as error:
        invalid = from_validation_error(error)
        raise WebhookRejected(422, invalid.code, invalid.message, invalid.field or None) from None
    if events:
        ports.archive.put(archive_key(events[0], raw_body), raw_body)
    for event in events:
        enqueue(ports.queue, event.model_dump_json(), event, carrier)
    return len(events)
