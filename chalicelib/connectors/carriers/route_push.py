"""Chinese express route-push style (like SF Express), as JSON: a waybill number and its route nodes with
operation codes and China Standard Time; signed with base64(MD5(body + check word)) in the `msgDigest` header. Our
return id travels as the pickup booking's `orderId`.

SF's own open-platform form (sf_open_platform.py) arrives on the same carrier name; this JSON shape stays accepted
for the integrations built on it."""

import base64
import hashlib
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.connectors.carriers.checkpoints import ChinaTime, accepted, check_signature, refused, tracking_event
from chalicelib.domain.errors import load_json
from chalicelib.domain.events import Id, TrackingUpdated

SIGNATURE_HEADER = "msgDigest"
# The push is its JSON body, answered the project's way.
decode, reply, refusal = load_json, accepted, refused
# SF's operation codes; any other scan is the parcel moving on.
OP_CODES = {
    "50": "in_transit", "30": "in_transit", "31": "in_transit", "36": "in_transit",
    "44": "out_for_delivery", "204": "out_for_delivery", "33": "attempt_fail", "70": "exception",
    "80": "delivered", "8000": "delivered", "99": "returned_to_sender", "648": "returned_to_sender",
}


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)


class Route(_Lenient):
    acceptTime: ChinaTime  # noqa: N815 (the carrier's field names)
    acceptAddress: str | None = None  # noqa: N815
    remark: str | None = None
    opCode: str  # noqa: N815


class Push(_Lenient):
    waybillNo: Id  # noqa: N815
    orderId: str | None = None  # noqa: N815
    routes: list[Route] = Field(default=[], max_length=500)


def sign(secret: bytes, raw_body: bytes) -> str:
    return base64.b64encode(hashlib.md5(raw_body + secret).digest()).decode()


def verify(headers: dict, raw_body: bytes, secrets: tuple[bytes, ...]) -> None:
    check_signature(headers, SIGNATURE_HEADER, [sign(secret, raw_body) for secret in secrets])


def parse(payload: object, source: str, received_at: datetime, context: dict | None = None) -> list[TrackingUpdated]:
    push = Push.model_validate(payload)
    return [
        tracking_event(
            source, "sf-express", push.waybillNo, OP_CODES.get(route.opCode, "in_transit"),
            route.acceptTime, received_at, push.orderId or None, route.acceptAddress, route.remark, context,
        )
        for route in push.routes
    ]
