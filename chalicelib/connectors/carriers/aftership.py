"""Aggregator style (like AfterShip): a status tag per checkpoint; signed with base64 HMAC-SHA256 of the body
in the `aftership-hmac-sha256` header. Our return id travels in the tracking's `custom_fields.return_id`."""

import base64
import hashlib
import hmac
from datetime import datetime, timezone

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from chalicelib.connectors.carriers.checkpoints import accepted, check_signature, refused, tracking_event
from chalicelib.domain.errors import InvalidInput, load_json
from chalicelib.domain.events import Id, TrackingUpdated

SIGNATURE_HEADER = "aftership-hmac-sha256"
TAGS = {
    "Pending": "pending", "InfoReceived": "info_received", "InTransit": "in_transit",
    "OutForDelivery": "out_for_delivery", "AttemptFail": "attempt_fail", "Delivered": "delivered",
    "AvailableForPickup": "available_for_pickup", "Exception": "exception", "Expired": "expired",
}
RETURNED_TO_SENDER = "Exception_011"
# The push is its JSON body, answered the project's way.
decode, reply, refusal = load_json, accepted, refused


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)


class Checkpoint(_Lenient):
    checkpoint_time: datetime
    tag: str
    subtag: str | None = None
    message: str | None = None
    location: str | None = None


class Tracking(_Lenient):
    tracking_number: Id
    slug: Id
    checkpoints: list[Checkpoint] = Field(default=[], max_length=500)
    custom_fields: dict = {}


class Push(_Lenient):
    msg: Tracking
    ts: StrictInt | None = None  # when AfterShip sent it, Unix seconds


def sign(secret: bytes, raw_body: bytes) -> str:
    return base64.b64encode(hmac.new(secret, raw_body, hashlib.sha256).digest()).decode()


def verify(headers: dict, raw_body: bytes, secrets: tuple[bytes, ...]) -> None:
    check_signature(headers, SIGNATURE_HEADER, [sign(secret, raw_body) for secret in secrets])


def parse(payload: object, source: str, received_at: datetime, context: dict | None = None) -> list[TrackingUpdated]:
    push = Push.model_validate(payload)
    if push.ts is not None:
        _check_sent_at(push.ts, context)
    tracking = push.msg
    return_id = tracking.custom_fields.get("return_id")
    events = []
    for checkpoint in tracking.checkpoints:
        status = TAGS.get(checkpoint.tag)
        if status is None:
            continue  # a tag this vocabulary does not know says nothing about where the parcel is
        if (checkpoint.subtag or "").startswith(RETURNED_TO_SENDER):
            status = "returned_to_sender"
        at = checkpoint.checkpoint_time
        events.append(tracking_event(
            source, tracking.slug, tracking.tracking_number, status,
            at if at.tzinfo else at.replace(tzinfo=timezone.utc), received_at,
            return_id if isinstance(return_id, str) else None, checkpoint.location, checkpoint.message, context,
        ))
    return events


def _check_sent_at(ts: int, context: dict | None) -> None:
    """A push dated outside the edge's window is refused like any such date (a redelivery keeps its `ts`, so the
    window, not the signature tolerance, is the bound)."""
    try:
        sent_at = datetime.fromtimestamp(ts, timezone.utc)
    except (OverflowError, OSError, ValueError):
        raise InvalidInput("ts", "must be Unix seconds") from None
    if context and not context["now"] - context["past"] <= sent_at <= context["now"] + context["future"]:
        raise InvalidInput("ts", "is outside the accepted window around now")
