"""What every carrier style shares: a checkpoint as a canonical TrackingUpdated event."""

import hmac
from datetime import datetime

from chalicelib.domain.clock import iso_utc
from chalicelib.domain.events import TrackingUpdated
from chalicelib.domain.tracking import checkpoint_key


class CarrierSignatureError(ValueError):
    """The push is not signed by the carrier's key; the webhook answers 401 with this text."""


def check_signature(headers: dict, header: str, expected: list[str], normalize=str.strip) -> None:
    """Compare the signature header (names lower-case) with the expected ones (one per secret of a rotation), in
    constant time and as bytes: a header of any characters is a mismatch, not an error."""
    signature = headers.get(header.lower())
    if not signature:
        raise CarrierSignatureError(f"missing {header} header")
    given = normalize(signature).encode("utf-8", "surrogatepass")
    if not any(hmac.compare_digest(value.encode(), given) for value in expected):
        raise CarrierSignatureError(f"{header} does not match the body")


def tracking_event(
    source: str, carrier: str, tracking_number: str, status: str, at: datetime, received_at: datetime,
    return_id: str | None = None, location: str | None = None, description: str | None = None,
    context: dict | None = None,
) -> TrackingUpdated:
    """`context`: the edge's (events.edge_context), so that the checkpoint's time is within its window. Validated
    before its id is derived from its time, which only then is known to be in range."""
    description = (description or None) and description[:512]
    event = TrackingUpdated.model_validate({
        "event_id": "trk-0",
        "source": source,
        "occurred_at": at,
        "received_at": received_at,
        "data": {
            "carrier": carrier, "tracking_number": tracking_number, "status": status, "return_id": return_id,
            "location": (location or None) and location[:512], "description": description,
        },
    }, context=context)
    key = checkpoint_key(carrier, tracking_number, iso_utc(event.occurred_at), status, description)
    return event.model_copy(update={"event_id": key})
