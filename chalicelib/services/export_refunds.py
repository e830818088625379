"""The scheduled daily export: the previous day's finance records to the archive bucket as CSV and JSON Lines,
under a key per day, so finance can collect them without calling the API. Writing a day again writes the same
files (the records of a past day do not change)."""

from datetime import date, datetime, time, timedelta, timezone

from chalicelib.bootstrap import Ports
from chalicelib.domain.clock import iso_utc
from chalicelib.domain.finance_export import refunds_csv, refunds_jsonl
from chalicelib.ports.paging import every_page

PAGE = 500


def export_day(day: date, ports: Ports) -> dict:
    since = iso_utc(datetime.combine(day, time(), timezone.utc))
    until = iso_utc(datetime.combine(day + timedelta(days=1), time(), timezone.utc))
    issued = every_page(lambda start: ports.ledger.issued_on(day.isoformat(), since, until, PAGE, start))
    records = [record.finance_record() for record in issued]
    prefix = f"finance-exports/{day:%Y/%m/%d}/refunds-{day.isoformat()}"
    ports.archive.put(f"{prefix}.csv", refunds_csv(records).encode(), "text/csv")
    ports.archive.put(f"{prefix}.jsonl", refunds_jsonl(records).encode(), "application/x-ndjson")
    return {"day": day.isoformat(), "records": len(records), "keys": [f"{prefix}.csv", f"{prefix}.jsonl"]}
