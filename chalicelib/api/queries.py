"""Query strings and cursors, read and checked in one place: each bad parameter is a 422 naming it.

A cursor is the position a paged read stopped at, as the API gave it out:
URL-safe base64 of its JSON. Only a cursor of the shape this endpoint gives
is taken back.
"""

import base64
import binascii
import json
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from chalicelib.config import Config
from chalicelib.domain.errors import InvalidInput, from_validation_error
from chalicelib.domain.events import SOURCE_ID_PATTERN, Id, UtcTime, edge_context
from chalicelib.domain.review import QUEUES
from chalicelib.domain.sources import SOURCE_NAME
from chalicelib.domain.tenancy import qualified
from chalicelib.services.list_refunds import MAX_PAGE as MAX_REFUND_PAGE
from chalicelib.services.list_refunds import RefundRange

MAX_REFUND_DAYS = 31
MAX_REVIEW_PAGE = 100


def encode_cursor(position: dict | None) -> str | None:
    return base64.urlsafe_b64encode(json.dumps(position, sort_keys=True).encode()).decode() if position else None


def decode_cursor(text: str | None, valid: Callable[[object], bool]) -> dict | None:
    if text is None:
        return None
    try:
        position = json.loads(base64.urlsafe_b64decode(text.encode()))
    except (ValueError, binascii.Error, RecursionError):
        position = None
    if not isinstance(position, dict) or not valid(position):
        raise InvalidInput("cursor", "is not a cursor this endpoint gave")
    return position


def _strings_named(position: object, names: set[str]) -> bool:
    """A position of an index: exactly its key attributes, each a string."""
    return isinstance(position, dict) and set(position) == names and all(isinstance(v, str) for v in position.values())


def _a_queue_position(position: dict) -> bool:
    return _strings_named(position, {"return_id", "review_queue", "sla_deadline"})


def _a_day_and_key(position: dict) -> bool:
    if set(position) != {"day", "key"} or not isinstance(position["day"], str):
        return False
    try:
        date.fromisoformat(position["day"])
    except ValueError:
        return False
    return position["key"] is None or _strings_named(position["key"], {"refund_id", "issued_day", "issued_at"})


def return_key(shop: str, return_id: str) -> str:
    """A return named in a staff path, as the records know it; a name that cannot be one is a 422 naming it."""
    if not SOURCE_NAME.fullmatch(shop):
        raise InvalidInput("shop", "is not a shop name (lower-case letters, digits, _ and -)")
    if not re.fullmatch(SOURCE_ID_PATTERN, return_id):
        raise InvalidInput("return_id", "is not a return id (letters, digits and . _ : -, at most 128)")
    return qualified(shop, return_id)


def search_query(params: dict) -> tuple[str, str | None]:
    """GET /v1/returns?q=&shop= -> (what to look for: a return id, an order id or a tracking number; the shop)."""
    unknown = sorted(set(params) - {"q", "shop"})
    if unknown:
        raise InvalidInput(unknown[0] or "query", "is not a search parameter (q, shop)", code="unknown_field")
    text, shop = params.get("q"), params.get("shop")
    if not text or not re.fullmatch(SOURCE_ID_PATTERN, text):
        raise InvalidInput("q", "must be a return id, an order id or a tracking number (letters, digits and . _ : -)")
    if shop is not None and not SOURCE_NAME.fullmatch(shop):
        raise InvalidInput("shop", "is not a shop name (lower-case letters, digits, _ and -)")
    return text, shop


def review_query(params: dict) -> tuple[str, int, dict | None]:
    """GET /v1/reviews?queue=&limit=&cursor= -> (queue, page size, position); a cursor continues its own queue."""
    queue, limit = params.get("queue"), params.get("limit")
    if queue not in QUEUES:
        raise InvalidInput("queue", f"must be one of {', '.join(QUEUES)}")
    if limit is None:
        size = 50
    elif re.fullmatch("[0-9]{1,3}", limit) and 1 <= int(limit) <= MAX_REVIEW_PAGE:
        size = int(limit)
    else:
        raise InvalidInput("limit", f"must be a whole number from 1 to {MAX_REVIEW_PAGE}")
    cursor = decode_cursor(params.get("cursor"), _a_queue_position)
    if cursor is not None and cursor["review_queue"] != queue:
        raise InvalidInput("cursor", f"continues the {cursor['review_queue']!r} queue, not {queue!r}")
    return queue, size, cursor


class _RefundQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    from_: UtcTime = Field(alias="from")
    to: UtcTime
    marketplace: Id | None = None
    limit: int = Field(100, ge=1, le=MAX_REFUND_PAGE)
    cursor: str | None = None

    @model_validator(mode="after")
    def _a_range_of_at_most_a_month(self) -> "_RefundQuery":
        if self.to <= self.from_:
            raise ValueError("`to` must be after `from`")
        if self.to - self.from_ > timedelta(days=MAX_REFUND_DAYS):
            raise ValueError(f"a range spans at most {MAX_REFUND_DAYS} days; the daily exports in S3 cover longer periods")
        return self


def refund_query(params: dict, now: datetime, config: Config, paged: bool = True) -> tuple[RefundRange, int, dict | None]:
    """GET /v1/refunds (and its export and reconciliation, which take no page): the range, page size, position.
    The range's ends are within the edge's window around now; a cursor continues within its range."""
    if not paged:
        params = {key: value for key, value in params.items() if key not in ("limit", "cursor")}
    try:
        query = _RefundQuery.model_validate(params, context=edge_context(now, config.past_days, config.future_hours))
    except ValidationError as error:
        raise from_validation_error(error) from None
    cursor = decode_cursor(query.cursor, _a_day_and_key)
    if cursor is not None and not query.from_.date() <= date.fromisoformat(cursor["day"]) <= query.to.date():
        raise InvalidInput("cursor", "continues another range")
    return RefundRange(query.from_, query.to, query.marketplace), query.limit, cursor
