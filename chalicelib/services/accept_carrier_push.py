"""Accept a carrier's tracking push: verify its own signature, turn its checkpoints into canonical
TrackingUpdated events, archive the raw body, queue the events; only then acknowledge."""

from datetime import datetime

from pydantic import ValidationError

from chalicelib.bootstrap import Ports
from chalicelib.connectors.carriers import CARRIER_STYLES
from chalicelib.connectors.carriers.checkpoints import CarrierSignatureError
from chalicelib.domain.errors import from_validation_error, load_json
from chalicelib.ports.errors import NotAuthenticated, UnknownSubject
from chalicelib.services.accept_webhook import archive_key, check_size, enqueue


def accept_carrier_push(carrier: str, headers: dict, raw_body: bytes, ports: Ports, now: datetime) -> int:
    """Returns how many checkpoints were queued."""
    check_size(raw_body)
    style = CARRIER_STYLES.get(carrier)
    secret = ports.carrier_secrets.secret(carrier) if style else None
    if secret is None:
        raise UnknownSubject(f"no carrier named {carrier!r} is configured", "unknown_carrier")
    try:
        style.verify({key.lower(): value for key, value in headers.items()}, raw_body, secret)
    except CarrierSignatureError as error:
        raise NotAuthenticated(str(error), "invalid_signature") from None
    payload = load_json(raw_body)
    try:
        events = style.parse(payload, carrier, now)
    except ValidationError as error:
        raise from_validation_error(error) from None
    if events:
        ports.archive.put(archive_key(events[0], raw_body), raw_body)
    for event in events:
        enqueue(ports.queue, event.model_dump_json(), event, carrier)
    return len(events)
