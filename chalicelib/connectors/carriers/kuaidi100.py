"""Kuaidi100's poll callback (快递100 订阅推送): a form whose `param` is the JSON of the parcel's whole timeline so far
(newest first), signed with `sign` = UPPER(hex(MD5(param + salt))), the salt given when the number was subscribed
(the carrier source's secret). Kuaidi100 relays many carriers: `lastResult.com` names the one, mapped to our id
where we have one (shunfeng -> sf-express, zhongtong -> zto, as the marketplaces' carriers are), else kept. Its
pushes carry no return id: the parcel is linked by its number, from the return's shipment or by staff.

A checkpoint's status is its own `statusCode` (or its state's name in `status`), sent when the number was
subscribed with resultv2; without them only the parcel's state (`lastResult.state`) is known, and it belongs to the
newest checkpoint: the older ones are in transit.

Kuaidi100 takes {"result": true, "returnCode": "200", "message": "成功"} as received; anything else is a failure,
which it pushes again later."""

import hashlib
from datetime import datetime
from typing import Annotated

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, StringConstraints

from chalicelib.connectors.carriers.checkpoints import (
    ChinaTime,
    check_signature,
    error_text,
    json_field,
    read_form,
    required_field,
    tracking_event,
)
from chalicelib.connectors.china import carrier_of
from chalicelib.domain.events import Id, TrackingUpdated

SIGNED_FIELD, SIGNATURE_FIELD = "param", "sign"
# The normalized status of each of Kuaidi100's states (its state table, resultv2), where it is not its parent's.
STATES = {
    "0": "in_transit",  # 在途
    "1": "in_transit",  # 揽收: collected, in the carrier's hands
    "101": "info_received", "102": "info_received",  # 已下单, 待揽收: booked, not collected yet
    "2": "exception",  # 疑难 (201-210: not signed or updated for long, refused, cannot reach, damaged...)
    "3": "delivered",  # 签收
    "4": "returned_to_sender",  # 退签 (401 已销单: the waybill was cancelled)
    "14": "returned_to_sender",  # 拒签: refused by the recipient, signed back by the sender (listed under 退签)
    "5": "out_for_delivery",  # 派件
    "501": "available_for_pickup",  # 投柜或驿站: in a parcel locker or a pickup station
    # 退回: on its way back to the sender, not back yet (an intercepted parcel is refunded once it is: 4)
    "6": "in_transit",
    "7": "in_transit",  # 转投: handed to another carrier
    "8": "in_transit",  # 清关 (10-12: waiting for, in, through customs)
    "13": "exception",  # 清关异常
}
# A checkpoint's state by name, as it carries it in `status` when subscribed with resultv2=1.
STATE_NAMES = {"在途": "0", "揽收": "1", "疑难": "2", "签收": "3", "退签": "4", "派件": "5", "退回": "6", "转投": "7",
               "清关": "8", "拒签": "14"}
Code = Annotated[str, StringConstraints(max_length=16)]


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True, coerce_numbers_to_str=True)


class Checkpoint(_Lenient):
    at: ChinaTime = Field(validation_alias=AliasChoices("ftime", "time"))  # ftime: the time formatted
    context: str | None = None
    areaName: str | None = None  # noqa: N815 (the carrier's field names)
    status: str | None = None
    statusCode: Code | None = None  # noqa: N815


class LastResult(_Lenient):
    nu: Id
    com: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    state: Code | None = None
    data: list[Checkpoint] = Field(default=[], max_length=500)


class Param(_Lenient):
    lastResult: LastResult  # noqa: N815


def sign(secret: bytes, param: bytes) -> str:
    return hashlib.md5(param + secret).hexdigest().upper()


def verify(headers: dict, raw_body: bytes, secrets: tuple[bytes, ...]) -> None:
    fields = read_form(raw_body)
    param = required_field(fields, SIGNED_FIELD).encode()
    expected = [sign(secret, param) for secret in secrets]
    check_signature(fields, SIGNATURE_FIELD, expected, lambda value: value.strip().upper(), where="field")


def decode(raw_body: bytes) -> dict:
    return json_field(SIGNED_FIELD, required_field(read_form(raw_body), SIGNED_FIELD))


def parse(payload: object, source: str, received_at: datetime, context: dict | None = None) -> list[TrackingUpdated]:
    result = Param.model_validate(payload, context=context).lastResult
    carrier = carrier_of(result.com)
    newest = max(result.data, key=lambda checkpoint: checkpoint.at, default=None)
    return [
        tracking_event(
            source, carrier, result.nu, _status(checkpoint, result.state if checkpoint is newest else None),
            checkpoint.at, received_at, None, checkpoint.areaName, checkpoint.context, context,
        )
        for checkpoint in result.data
    ]


def status_of(code: str) -> str:
    """A state in the normalized vocabulary: its own entry, else its documented parent's (1001-1003 are 在途's,
    10-12 清关's, 1xx-5xx their first digit's), else in transit."""
    if code in STATES:
        return STATES[code]
    if len(code) == 4 and code.startswith("100"):
        return STATES["0"]
    if code in ("10", "11", "12"):
        return STATES["8"]
    if len(code) == 3 and code[0] in "12345":
        return STATES[code[0]]
    return "in_transit"


def _status(checkpoint: Checkpoint, parcel_state: str | None) -> str:
    """The checkpoint's own state if it carries one, else the parcel's (given for the newest checkpoint only)."""
    own = checkpoint.statusCode or STATE_NAMES.get(checkpoint.status or "")
    return status_of(own or parcel_state or "0")


def reply(queued: int) -> tuple[int, dict]:
    return 200, {"result": True, "returnCode": "200", "message": "成功"}


def refusal(status: int, error: dict) -> dict:
    """Kuaidi100's failure answer (returnCode: our HTTP status, as its documentation leaves other codes to us), with
    our error for whoever reads its push log."""
    return {"result": False, "returnCode": str(status), "message": error_text(error), "error": error}
