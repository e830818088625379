"""What every carrier style shares: a checkpoint as a canonical TrackingUpdated event."""

import hashlib
import hmac
from datetime import datetime

from chalicelib.domain.clock import iso_utc
from chalicelib.domain.events import TrackingUpdated


class CarrierSignatureError(ValueError):
    """The push is not signed by the carrier's key; the webhook answers 401 with this text."""


def check_signature(headers: dict, header: str, expected: str, normalize=str.strip) -> None:
    """Compare the signature header (names lower-case) with the expected one, in constant time."""
    signature = headers.get(header.lower())
    if not signature:
        raise CarrierSignatureError(f"missing {header} header")
    if not hmac.compare_digest(expected, normalize(signature)):
        raise CarrierSignatureError(f"{header} does not match the body")


def tracking_event(
    source: str, carrier: str, tracking_number: str, status: str, at: datetime, received_at: datetime,
    return_id: str | None = None, location: str | None = None, description: str | None = None,
) -> TrackingUpdated:
    identity = f"{carrier}|{tracking_number}|{iso_utc(at)}|{status}|{description or ''}"
    return TrackingUpdated.model_validate({
        "event_id": f"trk-{hashlib.sha256(identity.encode()).hexdigest()[:32]}",
        "source": source,
        "occurred_at": at,
        "received_at": received_at,
        "data": {
            "carrier": carrier, "tracking_number": tracking_number, "status": status, "return_id": return_id,
            "location": (location or None) and location[:512], "description": (description or None) and description[:512],
        },
    })
