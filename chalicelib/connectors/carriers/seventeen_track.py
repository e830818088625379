"""Main status + sub status style (like 17TRACK); signed with the hex SHA-256 of "{body}/{key}" in the `sign`
header. Our return id travels in the tracking's `tag`, set when the number was registered."""

import hashlib
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.connectors.carriers.checkpoints import accepted, check_signature, refused, tracking_event
from chalicelib.domain.errors import load_json
from chalicelib.domain.events import Id, TrackingUpdated, UtcTime

SIGNATURE_HEADER = "sign"
STAGES = {
    "NotFound": "pending", "InfoReceived": "info_received", "InTransit": "in_transit",
    "AvailableForPickup": "available_for_pickup", "OutForDelivery": "out_for_delivery",
    "DeliveryFailure": "attempt_fail", "Delivered": "delivered", "Exception": "exception", "Expired": "expired",
}
RETURNED_TO_SENDER = ("Exception_Returning", "Exception_Returned")
# The push is its JSON body, answered the project's way.
decode, reply, refusal = load_json, accepted, refused


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)


class Event(_Lenient):
    time_utc: UtcTime
    stage: str
    sub_status: str | None = None
    description: str | None = None
    location: str | None = None


class Provider(_Lenient):
    events: list[Event] = Field(default=[], max_length=500)


class Progress(_Lenient):
    providers: list[Provider] = Field(default=[], max_length=10)


class TrackInfo(_Lenient):
    tracking: Progress


class Data(_Lenient):
    number: Id
    carrier: int
    tag: str | None = None
    track_info: TrackInfo


class Push(_Lenient):
    data: Data


def sign(secret: bytes, raw_body: bytes) -> str:
    return hashlib.sha256(raw_body + b"/" + secret).hexdigest()


def verify(headers: dict, raw_body: bytes, secrets: tuple[bytes, ...]) -> None:
    check_signature(headers, SIGNATURE_HEADER, [sign(secret, raw_body) for secret in secrets], lambda value: value.strip().lower())


def parse(payload: object, source: str, received_at: datetime, context: dict | None = None) -> list[TrackingUpdated]:
    data = Push.model_validate(payload).data
    events = []
    for provider in data.track_info.tracking.providers:
        for event in provider.events:
            status = STAGES.get(event.stage)
            if status is None:
                continue
            if event.sub_status in RETURNED_TO_SENDER:
                status = "returned_to_sender"
            events.append(tracking_event(
                source, str(data.carrier), data.number, status, event.time_utc, received_at,
                data.tag or None, event.location, event.description, context,
            ))
    return events
