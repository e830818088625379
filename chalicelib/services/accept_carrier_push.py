"""Accept a carrier's tracking push in its style (a JSON body, or a form): verify its own signature, turn its
checkpoints into canonical TrackingUpdated events, archive the raw body, queue the events; only then acknowledge.

A parcel is the carrier's, so its checkpoints belong to no shop; the return id a carrier passes on links the
parcel only when the carrier is registered for exactly one shop (else the link comes from the return request's
shipment, or from staff)."""

from datetime import datetime

from pydantic import ValidationError

from chalicelib.bootstrap import Ports
from chalicelib.connectors.carriers import style_of
from chalicelib.connectors.carriers.checkpoints import CarrierSignatureError
from chalicelib.domain.errors import from_validation_error
from chalicelib.domain.events import edge_context
from chalicelib.domain.sources import SourceKind
from chalicelib.domain.tenancy import qualify
from chalicelib.ports.errors import Forbidden, NotAuthenticated
from chalicelib.services.accept_webhook import archive_key, check_size, enqueue, registered


def accept_carrier_push(carrier: str, headers: dict, raw_body: bytes, ports: Ports, now: datetime) -> int:
    """Returns how many checkpoints were queued."""
    check_size(raw_body)
    style = style_of(carrier, headers)
    if style is None:
        raise NotAuthenticated("the push is not signed by a registered carrier", "invalid_signature")
    source = registered(carrier, ports, SourceKind.CARRIER)
    try:
        style.verify({key.lower(): value for key, value in headers.items()}, raw_body, source.secrets if source else ())
    except CarrierSignatureError as error:
        raise NotAuthenticated(str(error), "invalid_signature") from None
    if "TrackingUpdated" not in source.event_types:
        raise Forbidden(f"source {carrier!r} is not granted TrackingUpdated events", "event_type_not_granted")
    payload = style.decode(raw_body)
    try:
        events = style.parse(payload, carrier, now, edge_context(now, ports.config.past_days, ports.config.future_hours))
    except ValidationError as error:
        raise from_validation_error(error) from None
    events = [qualify(event, source.only_shop() if event.data.return_id else None) for event in events]
    if events:
        ports.archive.put(archive_key(events[0], raw_body), raw_body)
    for event in events:
        enqueue(ports.queue, event.model_dump_json(), event, carrier)
    return len(events)
