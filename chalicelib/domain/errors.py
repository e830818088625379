"""The errors for input a caller can fix; the API turns them into 4xx answers."""

import json
import re


class InvalidInput(ValueError):
    def __init__(self, field: str, message: str, code: str = "invalid_value") -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message
        self.code = code

    def to_dict(self) -> dict:
        return {"error": {"code": self.code, "message": self.message, "field": self.field}}


def field_path(loc: tuple) -> str:
    """('order', 'lines', 1, 'unit_price') -> 'order.lines[1].unit_price'."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


_PYDANTIC_CODES = {
    "missing": "missing_field",
    "extra_forbidden": "unknown_field",
}


def from_validation_error(error) -> InvalidInput:
    """The first problem of a pydantic ValidationError, named by its field path."""
    first = error.errors(include_url=False, include_context=False, include_input=False)[0]
    field = field_path(first["loc"])
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "is not a known field"
    return InvalidInput(field, message, _PYDANTIC_CODES.get(first["type"], "invalid_value"))


class InvalidJson(ValueError):
    """A body that is not JSON at all: 400, as opposed to JSON that breaks the contract (422)."""


# What no queue carries (SQS takes #x9 #xA #xD #x20-#xD7FF #xE000-#xFFFD #x10000-#x10FFFF): lone surrogates and
# the two non-characters. JSON text holds them only as escapes; written out raw, SQS would refuse the message.
_UNCARRIED = re.compile("[\ud800-\udfff\ufffe\uffff]")


def load_json(raw_body: bytes) -> object:
    """UTF-8 JSON only (json.loads alone would also take UTF-16 and UTF-32), and no text that cannot be written
    on: an escaped lone surrogate ("\\ud800") or non-character ("\\uffff") parses, but no queue takes it."""
    try:
        payload = json.loads(raw_body.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise InvalidJson(f"the body is not UTF-8: {error.reason} at byte {error.start}") from None
    except (ValueError, RecursionError) as error:
        raise InvalidJson(f"the body is not valid JSON: {error}") from None
    if b"\\u" in raw_body and _UNCARRIED.search(json.dumps(payload, ensure_ascii=False)):
        raise InvalidJson("the body escapes a lone surrogate (\\ud800-\\udfff) or \\ufffe / \\uffff; text must be "
                          "characters a queue carries")
    return payload
