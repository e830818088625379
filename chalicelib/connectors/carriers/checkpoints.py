"""What every carrier style shares: a checkpoint as a canonical TrackingUpdated event, the signature check, the
form fields of the styles that post a form, and the project's own answer for the styles that take it."""

import hmac
from datetime import datetime, timezone
from typing import Annotated
from urllib.parse import parse_qsl

from pydantic import AfterValidator

from chalicelib.connectors.china import CHINA_STANDARD_TIME
from chalicelib.domain.clock import iso_utc
from chalicelib.domain.errors import InvalidInput, InvalidJson, load_json
from chalicelib.domain.events import TrackingUpdated
from chalicelib.domain.tracking import checkpoint_key

# A form push has a handful of fields; more is not a carrier's.
MAX_FORM_FIELDS = 20


class CarrierSignatureError(ValueError):
    """The push is not signed by the carrier's key; the webhook answers 401 with this text."""


def check_signature(values: dict, name: str, expected: list[str], normalize=str.strip, where: str = "header") -> None:
    """Compare the signature (header `name` of the lower-cased headers, or form field `name`) with the expected ones
    (one per secret of a rotation), in constant time and as bytes: a signature of any characters is a mismatch, not
    an error."""
    signature = values.get(name.lower() if where == "header" else name)
    if not signature:
        raise CarrierSignatureError(f"missing {name} {where}")
    given = normalize(signature).encode("utf-8", "surrogatepass")
    if not any(hmac.compare_digest(value.encode(), given) for value in expected):
        raise CarrierSignatureError(f"{name} does not match the body")


def read_form(raw_body: bytes) -> dict[str, str]:
    """The fields of an application/x-www-form-urlencoded body. A field sent twice is refused: the signed value
    and the parsed one must be the same one."""
    try:
        pairs = parse_qsl(raw_body.decode("utf-8"), keep_blank_values=True, errors="strict",
                          max_num_fields=MAX_FORM_FIELDS)
    except UnicodeDecodeError as error:
        raise InvalidInput("body", f"is not a UTF-8 form: {error.reason}") from None
    except ValueError:
        raise InvalidInput("body", f"is not a form of at most {MAX_FORM_FIELDS} fields") from None
    fields: dict[str, str] = {}
    for name, value in pairs:
        if name in fields:
            raise InvalidInput(name, "is sent more than once")
        fields[name] = value
    return fields


def required_field(fields: dict[str, str], name: str) -> str:
    if not fields.get(name):
        raise InvalidInput(name, "is missing from the form", "missing_field")
    return fields[name]


def json_field(name: str, text: str) -> dict:
    """A form field that holds a JSON object (Kuaidi100's param, SF's msgData), read like a JSON body; what is not
    one is invalid input on that field."""
    try:
        value = load_json(text.encode("utf-8"))
    except InvalidJson as error:
        raise InvalidInput(name, str(error).removeprefix("the body ")) from None
    if not isinstance(value, dict):
        raise InvalidInput(name, "must be a JSON object")
    return value


def error_text(error: dict) -> str:
    """A refusal ({"code", "message", "field"}) as the one line of text a carrier's own answer has room for."""
    return f"{error['field']}: {error['message']}" if error.get("field") else error["message"]


def accepted(queued: int) -> tuple[int, dict]:
    """Our own answer to a push, for the styles whose carrier expects none of its own."""
    return 202, {"checkpoints": queued, "status": "accepted"}


def refused(status: int, error: dict) -> dict:
    return {"error": error}


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


def _china_time_in_utc(at: datetime) -> datetime:
    try:
        return (at if at.tzinfo else at.replace(tzinfo=CHINA_STANDARD_TIME)).astimezone(timezone.utc)
    except OverflowError:
        raise ValueError("is out of range") from None


# A Chinese carrier's time ("2026-11-20 10:02:11"): without a zone it is China Standard Time; read as UTC, so that
# checkpoints compare whatever zone each was sent in.
ChinaTime = Annotated[datetime, AfterValidator(_china_time_in_utc)]
