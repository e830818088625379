"""The daily finance export on the in-memory twins: a day's finance records to the archive as CSV and JSON Lines,
under the day's keys, read page by page; a day with no refund still gets its files."""

import csv
import io
import json
import random
from datetime import date, datetime, timedelta, timezone

from chalicelib.domain.clock import iso_utc
from chalicelib.domain.finance_export import FINANCE_FIELDS
from chalicelib.domain.ledger import LedgerRecord
from chalicelib.domain.orders import RefundAccount
from chalicelib.services.export_refunds import export_day
from tests.unit.services.given import an_order, twins

DAY = date(2026, 11, 21)
CSV_KEY = "finance-exports/2026/11/21/refunds-2026-11-21.csv"
JSONL_KEY = "finance-exports/2026/11/21/refunds-2026-11-21.jsonl"


class Refunds:
    """Issues ledger records on one order, as DispatchRefund writes them (each moves the order's refund account)."""

    def __init__(self, ports) -> None:
        self.ports = ports
        self.version = 0
        an_order(ports)

    def issue(self, n: int, issued_at: datetime) -> LedgerRecord:
        at = iso_utc(issued_at)
        record = LedgerRecord(
            refund_id=f"RF-RT-{n}", return_id=f"RT-{n}", order_id="TM-1001", marketplace="tmall", customer_id="C-1",
            currency="CNY", total="1.00", total_minor=100,
            entries=[{"code": "item", "line_id": "L1", "amount": "1.00", "reason": "returned, 1 of 1 units"}],
            policy_version="default-2026-11", issued_at=at, issued_day=at[:10], idempotency_key=f"RF-RT-{n}",
            payment_ref="TM-1001",
        )
        assert self.ports.ledger.issue(record, RefundAccount(), self.version)
        self.version += 1
        return record


def start_of(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), timezone.utc)


def csv_rows(ports) -> list[dict]:
    return list(csv.DictReader(io.StringIO(ports.archive.objects[CSV_KEY].decode())))


def jsonl_records(ports) -> list[dict]:
    return [json.loads(line) for line in ports.archive.objects[JSONL_KEY].decode().splitlines()]


def test_the_day_s_records_are_written_as_csv_and_jsonl_under_the_day_s_keys():
    # Given one refund issued on the day
    ports = twins()
    record = Refunds(ports).issue(1, start_of(DAY) + timedelta(hours=10))
    # When the day is exported
    result = export_day(DAY, ports)
    # Then both files hold its finance record
    assert result == {"day": "2026-11-21", "records": 1, "keys": [CSV_KEY, JSONL_KEY]}
    assert jsonl_records(ports) == [record.finance_record()]
    [row] = csv_rows(ports)
    assert list(row) == list(FINANCE_FIELDS)
    assert (row["refund_id"], row["total"], row["total_minor"], row["issued_at"]) == (
        "RF-RT-1", "1.00", "100", "2026-11-21T10:00:00Z")
    assert json.loads(row["entries"]) == record.entries


def test_only_records_issued_on_the_day_are_exported():
    # Given refunds issued just before, during, at the last second of, and just after the day
    ports = twins()
    refunds = Refunds(ports)
    refunds.issue(1, start_of(DAY) - timedelta(seconds=1))
    refunds.issue(2, start_of(DAY))
    refunds.issue(3, start_of(DAY) + timedelta(days=1, seconds=-1))
    refunds.issue(4, start_of(DAY) + timedelta(days=1))
    # When the day is exported
    export_day(DAY, ports)
    # Then the day's two are in the files
    assert sorted(r["refund_id"] for r in jsonl_records(ports)) == ["RF-RT-2", "RF-RT-3"]
    assert sorted(r["refund_id"] for r in csv_rows(ports)) == ["RF-RT-2", "RF-RT-3"]


def test_a_day_of_more_than_a_page_of_records_is_exported_whole():
    # Given 1001 refunds issued over the day in a shuffled order (three pages of 500)
    ports = twins()
    refunds = Refunds(ports)
    numbers = list(range(1001))
    random.Random(11).shuffle(numbers)
    for n in numbers:
        refunds.issue(n, start_of(DAY) + timedelta(seconds=60 * n + 1))
    # When the day is exported
    result = export_day(DAY, ports)
    # Then every record is in each file exactly once
    expected = sorted(f"RF-RT-{n}" for n in range(1001))
    assert result["records"] == 1001
    assert sorted(r["refund_id"] for r in jsonl_records(ports)) == expected
    assert sorted(r["refund_id"] for r in csv_rows(ports)) == expected


def test_a_day_of_exactly_one_page_of_records_is_exported_whole():
    # Given exactly 500 refunds on the day
    ports = twins()
    refunds = Refunds(ports)
    for n in range(500):
        refunds.issue(n, start_of(DAY) + timedelta(seconds=n))
    # When the day is exported
    result = export_day(DAY, ports)
    # Then all 500 are written
    assert result["records"] == 500
    assert len(jsonl_records(ports)) == 500


def test_a_day_without_refunds_still_gets_its_files():
    # Given no refund on the day
    ports = twins()
    # When the day is exported
    result = export_day(DAY, ports)
    # Then the CSV has its header only and the JSON Lines file is empty
    assert result == {"day": "2026-11-21", "records": 0, "keys": [CSV_KEY, JSONL_KEY]}
    assert ports.archive.objects[CSV_KEY].decode() == ",".join(FINANCE_FIELDS) + "\n"
    assert ports.archive.objects[JSONL_KEY] == b""


def test_exporting_a_day_again_writes_the_same_files():
    # Given a day exported once
    ports = twins()
    refunds = Refunds(ports)
    for n in range(3):
        refunds.issue(n, start_of(DAY) + timedelta(hours=n))
    export_day(DAY, ports)
    first = dict(ports.archive.objects)
    # When it is exported again
    export_day(DAY, ports)
    # Then the files are the same
    assert ports.archive.objects == first
