"""Finance's view of the ledger: the refund records issued in a time range, paged, as a CSV export, and
reconciled against the quotes of their returns and the payment provider's refunds."""

import base64
import binascii
import json
from datetime import date, datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from chalicelib.domain.errors import InvalidInput, from_validation_error
from chalicelib.domain.events import Id, UtcTime, iso_utc
from chalicelib.domain.finance_export import finance_record, refunds_csv
from chalicelib.domain.reconciliation import reconcile
from chalicelib.services.staff_ports import StaffPorts

MAX_DAYS = 31
MAX_PAGE = 500


class RefundQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    from_: UtcTime = Field(alias="from")
    to: UtcTime
    marketplace: Id | None = None
    limit: int = Field(100, ge=1, le=MAX_PAGE)
    cursor: str | None = None

    @model_validator(mode="after")
    def _a_range_of_at_most_a_month(self) -> "RefundQuery":
        if self.to <= self.from_:
            raise ValueError("`to` must be after `from`")
        if self.to - self.from_ > timedelta(days=MAX_DAYS):
            raise ValueError(f"a range spans at most {MAX_DAYS} days; the daily exports in S3 cover longer periods")
        return self


def list_refunds(params: dict, ports: StaffPorts) -> dict:
    query = _query(params)
    items, cursor = _page(query, ports, query.limit, _decode(query.cursor) if query.cursor else None)
    return {"items": items, "next_cursor": _encode(cursor) if cursor else None}


def export_refunds_csv(params: dict, ports: StaffPorts) -> str:
    query = _query({key: value for key, value in params.items() if key not in ("limit", "cursor")})
    records, cursor = [], None
    while True:
        items, cursor = _page(query, ports, MAX_PAGE, cursor)
        records += items
        if cursor is None:
            return refunds_csv(records)


def reconcile_refunds(params: dict, ports: StaffPorts, now: datetime) -> dict:
    """The ledger records of a range against the quotes of their returns and the provider's refunds (made from
    the range's start until now: a refund is paid after it is issued, sometimes days later)."""
    query = _query({key: value for key, value in params.items() if key not in ("limit", "cursor")})
    records, cursor = [], None
    while True:
        items, cursor = _page(query, ports, MAX_PAGE, cursor, raw=True)
        records += items
        if cursor is None:
            break
    returns = {record["return_id"]: ports.returns.get(record["return_id"]) for record in records}
    since, until = iso_utc(query.from_), iso_utc(query.to)
    provider_refunds = ports.payments.refunds_between(since, iso_utc(max(now, query.to)))
    keys = {record["idempotency_key"] for record in records}
    unrecorded = [
        refund for refund in provider_refunds
        if since <= refund["created_at"] < until and refund["idempotency_key"] not in keys
        and ports.ledger.get(refund["idempotency_key"]) is None
    ]
    mismatches, still_open = reconcile(records, returns, provider_refunds, unrecorded)
    return {"from": since, "to": until, "checked": len(records), "mismatches": mismatches, "open": still_open}


def _query(params: dict) -> RefundQuery:
    try:
        return RefundQuery.model_validate(params)
    except ValidationError as error:
        raise from_validation_error(error) from None


def _page(
    query: RefundQuery, ports: StaffPorts, limit: int, cursor: dict | None, raw: bool = False
) -> tuple[list[dict], dict | None]:
    """Up to `limit` records in time order from `cursor` ({"day", "key"}), and the cursor after them; `raw`: the
    ledger items as stored, else the finance records."""
    since, until = iso_utc(query.from_), iso_utc(query.to)
    day = date.fromisoformat(cursor["day"]) if cursor else query.from_.date()
    start = cursor.get("key") if cursor else None
    records: list[dict] = []
    while day <= query.to.date():
        items, start = ports.ledger.issued_on(day.isoformat(), since, until, limit - len(records), start)
        records += [
            item if raw else finance_record(item) for item in items
            if item["issued_at"] < until and query.marketplace in (None, item["marketplace"])
        ]
        if start is None:
            day += timedelta(days=1)
        if len(records) >= limit:
            return records, ({"day": day.isoformat(), "key": start} if day <= query.to.date() else None)
    return records, None


def _encode(cursor: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(cursor, sort_keys=True).encode()).decode()


def _decode(text: str) -> dict:
    try:
        cursor = json.loads(base64.urlsafe_b64decode(text.encode()))
        date.fromisoformat(cursor["day"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise InvalidInput("cursor", "is not a cursor this endpoint gave") from None
    return cursor
