"""Finance's view of the ledger: the refund records issued in a time range, paged, as a CSV export, and
reconciled against the quotes of their returns and the payment provider's refunds."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from chalicelib.bootstrap import Ports
from chalicelib.domain.audit import audit_entry
from chalicelib.domain.clock import iso_utc
from chalicelib.domain.finance_export import refunds_csv
from chalicelib.domain.ledger import LedgerRecord
from chalicelib.domain.reconciliation import reconcile
from chalicelib.domain.staff_keys import Role, Staff
from chalicelib.domain.tenancy import unqualified
from chalicelib.ports.paging import every_page
from chalicelib.services.authenticate_staff import require

MAX_PAGE = 500


@dataclass(frozen=True)
class RefundRange:
    """Records issued in [since, until), optionally of one marketplace; at most a month (checked by the API)."""

    since: datetime
    until: datetime
    marketplace: str | None = None


def list_refunds(
    query: RefundRange, limit: int, cursor: dict | None, staff: Staff, ports: Ports, now: datetime
) -> tuple[list[dict], dict | None]:
    """A page of finance records in time order from `cursor` ({"day", "key"}), and the cursor after it."""
    require(staff, Role.FINANCE)
    records, next_cursor = _page(query, ports, limit, cursor)
    _audit("refunds.list", query, staff, ports, now, records=len(records))
    return [record.finance_record() for record in records], next_cursor


def export_refunds_csv(query: RefundRange, staff: Staff, ports: Ports, now: datetime) -> str:
    require(staff, Role.FINANCE)
    records = _every_record(query, ports)
    _audit("refunds.export_csv", query, staff, ports, now, records=len(records))
    return refunds_csv([record.finance_record() for record in records])


def reconcile_refunds(query: RefundRange, staff: Staff, ports: Ports, now: datetime) -> dict:
    """The ledger records of a range against the quotes of their returns and the provider's refunds (made from
    the range's start until now: a refund is paid after it is issued, sometimes days later)."""
    require(staff, Role.FINANCE)
    records = _every_record(query, ports)
    _audit("refunds.reconciliation", query, staff, ports, now, records=len(records))
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
    return {
        "from": since, "to": until, "checked": len(records), "mismatches": [unqualified(m) for m in mismatches],
        "open": [unqualified(item) for item in still_open],
    }


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


def _audit(action: str, query: RefundRange, staff: Staff, ports: Ports, now: datetime, **details) -> None:
    """Finance records that leave the system are on the audit trail: who read which range, when, from where."""
    ports.audit.append(audit_entry(
        "refunds", action, staff, now, since=iso_utc(query.since), until=iso_utc(query.until),
        marketplace=query.marketplace, **details,
    ))
