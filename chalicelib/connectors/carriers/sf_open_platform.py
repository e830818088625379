"""SF Express's route push in its open platform's (丰桥) envelope: a form of `partnerID`, `requestID`, `serviceCode`,
`timestamp`, `msgDigest` and `msgData`, the JSON of the route nodes (`WaybillRoute[]`, as SF's RoutePushService
sends them, alone or inside its `Body`). Our return id travels as the pickup booking's `orderid`.

`msgDigest` is base64(MD5(msgData + timestamp + check word)), the text URL-encoded first as SF signs its open
platform's messages (Java's URLEncoder, UTF-8); integrations that take SF's pushes also report it without the
URL-encoding, so both are taken: either needs the check word.

SF takes {"return_code": "0000", "return_msg": "成功"} as received; "1000" is a failure it sends again."""

import base64
import hashlib
from datetime import datetime
from typing import Annotated
from urllib.parse import quote_plus

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from chalicelib.connectors.carriers.checkpoints import (
    ChinaTime,
    check_signature,
    error_text,
    json_field,
    read_form,
    required_field,
    tracking_event,
)
from chalicelib.connectors.carriers.route_push import OP_CODES
from chalicelib.domain.events import Id, TrackingUpdated

SIGNATURE_FIELD = "msgDigest"
# An order id SF leaves empty is none.
OrderId = Annotated[Id | None, BeforeValidator(lambda value: value or None)]


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True, coerce_numbers_to_str=True)


class Route(_Lenient):
    mailno: Id  # the waybill
    orderid: OrderId = None
    acceptTime: ChinaTime  # noqa: N815 (the carrier's field names)
    acceptAddress: str | None = None  # noqa: N815
    remark: str | None = None
    opCode: str  # noqa: N815


class RoutePush(_Lenient):
    WaybillRoute: list[Route] = Field(max_length=500)  # noqa: N815 (SF sends at most 10)

    @model_validator(mode="before")
    @classmethod
    def _out_of_body(cls, data: object) -> object:
        """SF's JSON route push wraps the nodes in a `Body`; read them the same without it."""
        return data["Body"] if isinstance(data, dict) and isinstance(data.get("Body"), dict) else data


def digests(check_word: bytes, msg_data: str, timestamp: str) -> list[str]:
    """The msgDigest SF makes with this check word: of the URL-encoded text, and of the text as it is."""
    text = msg_data + timestamp + check_word.decode()
    encoded = quote_plus(text, safe="*").replace("~", "%7E")  # as Java's URLEncoder
    return [_md5_base64(encoded.encode()), _md5_base64(text.encode())]


def verify(headers: dict, raw_body: bytes, secrets: tuple[bytes, ...]) -> None:
    fields = read_form(raw_body)
    msg_data, timestamp = required_field(fields, "msgData"), required_field(fields, "timestamp")
    expected = [digest for secret in secrets for digest in digests(secret, msg_data, timestamp)]
    check_signature(fields, SIGNATURE_FIELD, expected, where="field")


def decode(raw_body: bytes) -> dict:
    return json_field("msgData", required_field(read_form(raw_body), "msgData"))


def parse(payload: object, source: str, received_at: datetime, context: dict | None = None) -> list[TrackingUpdated]:
    push = RoutePush.model_validate(payload, context=context)
    return [
        tracking_event(
            source, "sf-express", route.mailno, OP_CODES.get(route.opCode, "in_transit"), route.acceptTime,
            received_at, route.orderid, route.acceptAddress, route.remark, context,
        )
        for route in push.WaybillRoute
    ]


def reply(queued: int) -> tuple[int, dict]:
    return 200, {"return_code": "0000", "return_msg": "成功"}


def refusal(status: int, error: dict) -> dict:
    """SF's failure answer, with our error for whoever reads its push log."""
    return {"return_code": "1000", "return_msg": error_text(error), "error": error}


def _md5_base64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()
