"""Finance's view of the ledger: the refund records issued in a time range, paged, as a CSV export, and
reconciled against the quotes of their returns and the payment provider's refunds."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from chalicelib.bootstrap import Ports
from chalicelib.domain.clock import iso_utc
from chalicelib.domain.finance_export import refunds_csv
from chalicelib.domain.ledger import LedgerRecord
from chalicelib.domain.reconciliation import reconcile
from chalicelib.ports.paging import every_page

MAX_PAGE = 500


@dataclass(frozen=True)
class RefundRange:
    """Records issued in [since, until), optionally of one marketplace; at most a month (checked by the API)."""

    since: datetime
    until: datetime
    marketplace: str | None = None


def list_refunds(query: RefundRange, limit: int, cursor: dict | None, ports: Ports) -> tuple[list[dict], dict | None]:
    """A page of finance records in time order from `cursor` ({"day", "key"}), and the cursor after it."""
    records, cursor = _page(query, ports, limit, cursor)
    return [record.finance_record() for record in records], cursor


def export_refunds_csv(query: RefundRange, ports: Ports) -> str:
    return refunds_csv([record.finance_record() for record in _every_record(query, ports)])


def reconcile_refunds(query: RefundRange, ports: Ports, now: datetime) -> dict:
    """The ledger records of a range against the quotes of their returns and the provider's refunds (made from
    the range's start until now: a refund is paid after it is issued, sometimes days later)."""
    records = _every_record(query, ports)
    returns = {record.return_id: ports.returns.get(record.return_id) for record in records}
    since, until = iso_utc(query.since), iso_utc(query.until)
    provider_refunds = ports.payments.refunds_between(since, iso_utc(max(now, query.until)))
    keys = {record.idempotency_key for record in records}
    unrecorded = [
        refund for refund in provider_refunds
        if since <= refund["created_at"] < until and refund["idempotency_key"] not in keys
        and ports.ledger.get(refund["idempotency_key"]) is None
    ]
    mismatches, still_open = reconcile(records, returns, provider_refunds, unrecorded)
    return {"from": since, "to": until, "checked": len(records), "mismatches": mismatches, "open": still_open}


def _every_record(query: RefundRange, ports: Ports) -> list[LedgerRecord]:
    return every_page(lambda cursor: _page(query, ports, MAX_PAGE, cursor))


def _page(query: RefundRange, ports: Ports, limit: int, cursor: dict | None) -> tuple[list[LedgerRecord], dict | None]:
    """Up to `limit` records in time order from `cursor`, walking the ledger's index one day at a time."""
    since, until = iso_utc(query.since), iso_utc(query.until)
    day = date.fromisoformat(cursor["day"]) if cursor else query.since.date()
    start = cursor.get("key") if cursor else None
    records: list[LedgerRecord] = []
    while day <= query.until.date():
        items, start = ports.ledger.issued_on(day.isoformat(), since, until, limit - len(records), start)
        records += [
            item for item in items if item.issued_at < until and query.marketplace in (None, item.marketplace)
        ]
        if start is None:
            day += timedelta(days=1)
        if len(records) >= limit:
            return records, ({"day": day.isoformat(), "key": start} if day <= query.until.date() else None)
    return records, None
