"""list_refunds, export_refunds_csv and reconcile_refunds on the twins: finance's records of a time range, paged
across the ledger's days, as CSV, and checked against the quotes and the provider's refunds."""

import csv
import io
import json
import random
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.adapters.memory import MemoryPayments
from chalicelib.domain.finance_export import FINANCE_FIELDS
from chalicelib.domain.ledger import LedgerRecord
from chalicelib.domain.orders import RefundAccount
from chalicelib.ports.errors import ProviderUnavailable
from chalicelib.services.dispatch_refund import dispatch_refund
from chalicelib.services.list_refunds import RefundRange, export_refunds_csv, list_refunds, reconcile_refunds
from chalicelib.services.quote_return import quote_return
from chalicelib.services.verify_return import verify_return
from tests.unit.services.given import NOW, a_return, an_order, inspected, twins

ENTRIES = [{"code": "item", "line_id": "L1", "amount": "10.00", "reason": "1 of 1 units accepted"}]
# Finance asks for [from, to): two whole days here.
RANGE = RefundRange(datetime(2026, 11, 21, tzinfo=timezone.utc), datetime(2026, 11, 23, tzinfo=timezone.utc))
TIMES = ["2026-11-20T23:59:59Z", "2026-11-21T00:00:00Z", "2026-11-21T10:00:00Z", "2026-11-22T08:00:00Z",
         "2026-11-23T00:00:00Z"]


def ledger_record(n: int, issued_at: str, marketplace: str = "tmall", order_id: str | None = None) -> LedgerRecord:
    order_id = order_id or f"TM-{n}"
    return LedgerRecord(
        refund_id=f"RF-RT-{n}", return_id=f"RT-{n}", order_id=order_id, marketplace=marketplace, customer_id="C-1",
        currency="CNY", total="10.00", total_minor=1000, entries=ENTRIES, policy_version="default-2026-11",
        issued_at=issued_at, issued_day=issued_at[:10], idempotency_key=f"RF-RT-{n}", payment_ref=order_id,
    )


def issued(ports, n: int, issued_at: str, marketplace: str = "tmall") -> None:
    """A record in the ledger, written as the dispatch writes it: with its order's refund account."""
    an_order(ports, f"TM-{n}")
    assert ports.ledger.issue(ledger_record(n, issued_at, marketplace), RefundAccount(refunded_total=1000), 0)


@pytest.fixture
def ports():
    ports = twins()
    for n, at in enumerate(TIMES):
        issued(ports, n, at, "jd" if n == 2 else "tmall")
    return ports


def every_page(query: RefundRange, limit: int, ports) -> list[list[dict]]:
    pages, cursor = [], None
    while True:
        items, cursor = list_refunds(query, limit, cursor, ports)
        pages.append(items)
        if cursor is None:
            return pages
        assert len(pages) < 1000, "the pages never ended"


def ids(records: list[dict]) -> list[str]:
    return [record["refund_id"] for record in records]


# Listing.

def test_the_records_of_a_range_come_oldest_first_from_inclusive_to_exclusive(ports):
    items, cursor = list_refunds(RANGE, 100, None, ports)

    assert ids(items) == ["RF-RT-1", "RF-RT-2", "RF-RT-3"] and cursor is None


def test_a_listed_record_is_the_finance_record_of_the_contract(ports):
    [first, *_] = list_refunds(RANGE, 100, None, ports)[0]

    assert set(first) == set(FINANCE_FIELDS)
    assert (first["return_id"], first["total"], first["total_minor"], first["entries"], first["issued_at"]) == (
        "RT-1", "10.00", 1000, ENTRIES, "2026-11-21T00:00:00Z"
    )


@pytest.mark.parametrize("limit", [1, 2, 3, 4])
def test_pages_follow_the_cursor_across_days_until_it_is_none(ports, limit):
    pages = every_page(RANGE, limit, ports)

    assert ids([record for page in pages for record in page]) == ["RF-RT-1", "RF-RT-2", "RF-RT-3"]
    assert all(len(page) <= limit for page in pages)


def test_a_page_ends_at_the_limit_with_a_cursor_to_the_rest(ports):
    items, cursor = list_refunds(RANGE, 2, None, ports)

    assert ids(items) == ["RF-RT-1", "RF-RT-2"] and cursor is not None
    assert ids(list_refunds(RANGE, 2, cursor, ports)[0]) == ["RF-RT-3"]


def test_the_cursor_names_a_day_and_a_position_in_plain_strings(ports):
    _, cursor = list_refunds(RANGE, 1, None, ports)

    assert set(cursor) == {"day", "key"} and json.loads(json.dumps(cursor)) == cursor


def test_a_marketplace_filter_lists_only_its_records(ports):
    query = RefundRange(RANGE.since, RANGE.until, "jd")

    assert ids(list_refunds(query, 100, None, ports)[0]) == ["RF-RT-2"]


def test_a_marketplace_filter_pages_over_the_records_it_leaves_out(ports):
    query = RefundRange(RANGE.since, RANGE.until, "tmall")

    pages = every_page(query, 1, ports)

    assert ids([record for page in pages for record in page]) == ["RF-RT-1", "RF-RT-3"]


def test_a_range_within_one_day_lists_that_part_of_the_day(ports):
    query = RefundRange(datetime(2026, 11, 21, 5, tzinfo=timezone.utc), datetime(2026, 11, 21, 12, tzinfo=timezone.utc))

    assert ids(list_refunds(query, 100, None, ports)[0]) == ["RF-RT-2"]


def test_a_range_with_no_records_is_an_empty_page_with_no_cursor(ports):
    query = RefundRange(datetime(2026, 12, 1, tzinfo=timezone.utc), datetime(2026, 12, 5, tzinfo=timezone.utc))

    assert list_refunds(query, 100, None, ports) == ([], None)


@pytest.mark.parametrize("limit", [1, 2, 5, 7, 50])
@pytest.mark.parametrize("marketplace", [None, "tmall", "jd"])
def test_paging_a_busy_ledger_lists_each_record_of_the_range_once_in_time_order(limit, marketplace):
    rng = random.Random(1122)
    ports = twins()
    start = datetime(2026, 11, 20, tzinfo=timezone.utc)
    records = []
    for n in range(40):  # whole hours over four days, so some records share their time
        at = (start + timedelta(hours=rng.randrange(4 * 24))).strftime("%Y-%m-%dT%H:%M:%SZ")
        records.append((f"RF-RT-{n}", at, rng.choice(["tmall", "jd"])))
        issued(ports, n, at, records[-1][2])
    query = RefundRange(datetime(2026, 11, 20, 12, tzinfo=timezone.utc), datetime(2026, 11, 23, 6, tzinfo=timezone.utc),
                        marketplace)
    expected = {refund_id for refund_id, at, market in records
                if "2026-11-20T12:00:00Z" <= at < "2026-11-23T06:00:00Z" and marketplace in (None, market)}

    listed = [record for page in every_page(query, limit, ports) for record in page]

    assert sorted(ids(listed)) == sorted(expected)  # each once
    assert [record["issued_at"] for record in listed] == sorted(record["issued_at"] for record in listed)


# The CSV export.

def rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_the_export_starts_with_the_finance_columns_in_their_order(ports):
    header = next(csv.reader(io.StringIO(export_refunds_csv(RANGE, ports))))

    assert header == list(FINANCE_FIELDS)
    assert header[:12] == ["refund_id", "return_id", "order_id", "marketplace", "customer_id", "currency", "total",
                           "total_minor", "entries", "policy_version", "issued_at", "idempotency_key"]


def test_the_export_has_one_row_per_record_of_the_range(ports):
    assert [row["refund_id"] for row in rows(export_refunds_csv(RANGE, ports))] == ["RF-RT-1", "RF-RT-2", "RF-RT-3"]


def test_the_export_writes_amounts_as_decimal_strings_and_the_entries_as_json(ports):
    first = rows(export_refunds_csv(RANGE, ports))[0]

    assert (first["currency"], first["total"], first["total_minor"]) == ("CNY", "10.00", "1000")
    assert json.loads(first["entries"]) == ENTRIES


def test_the_export_of_a_marketplace_has_only_its_rows(ports):
    text = export_refunds_csv(RefundRange(RANGE.since, RANGE.until, "tmall"), ports)

    assert [row["refund_id"] for row in rows(text)] == ["RF-RT-1", "RF-RT-3"]


def test_the_export_of_an_empty_range_is_the_header_alone(ports):
    query = RefundRange(datetime(2026, 12, 1, tzinfo=timezone.utc), datetime(2026, 12, 2, tzinfo=timezone.utc))

    assert export_refunds_csv(query, ports) == ",".join(FINANCE_FIELDS) + "\n"


def test_the_export_reads_past_the_first_page_of_the_ledger():
    ports = twins()
    an_order(ports, "TM-BUSY")
    start = datetime(2026, 11, 21, tzinfo=timezone.utc)
    for n in range(501):  # one order refunded again and again: its account moves one version each time
        at = (start + timedelta(minutes=n)).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert ports.ledger.issue(ledger_record(n, at, order_id="TM-BUSY"), RefundAccount(), n)

    assert len(rows(export_refunds_csv(RANGE, ports))) == 501


# Reconciliation.

RECONCILED = RefundRange(datetime(2026, 11, 22, tzinfo=timezone.utc), datetime(2026, 11, 23, tzinfo=timezone.utc))
LATER = NOW + timedelta(hours=1)


def refunded(ports, return_id: str = "RT-1", order_id: str = "TM-1001", at: datetime = NOW) -> dict:
    """A return taken through the workflow's services to its refund: verified, inspected, quoted, dispatched."""
    a_return(ports, return_id, order_id)
    verify_return(return_id, ports)
    inspected(ports, return_id)
    quote_return(return_id, ports)
    return dispatch_refund(return_id, ports, at, (1, 2))


@pytest.fixture
def shop():
    ports = twins()
    an_order(ports)
    return ports


def test_a_refund_issued_as_quoted_and_paid_by_the_provider_reconciles(shop):
    assert refunded(shop)["payment"] == "confirmed"

    report = reconcile_refunds(RECONCILED, shop, LATER)

    assert report == {"from": "2026-11-22T00:00:00Z", "to": "2026-11-23T00:00:00Z", "checked": 1, "mismatches": [],
                      "open": []}


def test_a_record_whose_total_differs_from_its_returns_quote_is_a_mismatch(shop):
    refunded(shop)
    quote = shop.returns.get("RT-1").quote
    shop.returns.update("RT-1", {"quote": {**quote, "total": "9.00", "total_minor": 900}})

    [mismatch] = reconcile_refunds(RECONCILED, shop, LATER)["mismatches"]

    assert mismatch == {"refund_id": "RF-RT-1", "return_id": "RT-1", "kind": "total_differs_from_quote",
                        "ledger": [quote["total"], "CNY"], "expected": ["9.00", "CNY"]}


def test_a_provider_refund_with_no_ledger_record_is_a_mismatch(shop):
    refunded(shop)
    stray = shop.payments.refund("TM-9", "CNY", "5.00", "RF-RT-STRAY")

    [mismatch] = reconcile_refunds(RECONCILED, shop, LATER)["mismatches"]

    assert mismatch == {"refund_id": None, "return_id": None, "kind": "provider_refund_without_record", "ledger": None,
                        "expected": stray}


def test_a_payment_the_provider_declined_is_open_not_a_mismatch(shop):
    shop.payments.decline = ("card_expired", "the buyer's card has expired")
    assert refunded(shop)["payment"] == "retry"

    report = reconcile_refunds(RECONCILED, shop, LATER)

    assert report["mismatches"] == []
    [still_open] = report["open"]
    keys = ("refund_id", "return_id", "currency", "payment_status", "payment_attempts")
    assert {key: still_open[key] for key in keys} == {
        "refund_id": "RF-RT-1", "return_id": "RT-1", "currency": "CNY", "payment_status": "failed",
        "payment_attempts": 1,
    }
    assert still_open["payment_error"]["code"] == "card_expired"


def test_a_refund_the_provider_paid_after_the_range_ended_still_matches_its_record():
    ports = twins(payments=MemoryPayments(clock="2026-11-23T00:00:05Z"))
    an_order(ports)
    refunded(ports, at=datetime(2026, 11, 22, 23, 59, tzinfo=timezone.utc))

    report = reconcile_refunds(RECONCILED, ports, datetime(2026, 11, 23, 1, tzinfo=timezone.utc))

    assert (report["checked"], report["mismatches"], report["open"]) == (1, [], [])


def test_a_provider_refund_in_the_range_for_a_record_issued_before_it_is_not_unrecorded():
    ports = twins(payments=MemoryPayments(clock="2026-11-22T00:00:05Z"))
    an_order(ports)
    refunded(ports, at=datetime(2026, 11, 21, 23, 59, tzinfo=timezone.utc))

    report = reconcile_refunds(RECONCILED, ports, LATER)

    assert (report["checked"], report["mismatches"]) == (0, [])


def test_a_record_whose_return_is_not_stored_is_a_mismatch(ports):
    report = reconcile_refunds(RANGE, ports, LATER)

    assert sorted((m["refund_id"], m["kind"]) for m in report["mismatches"]) == [
        ("RF-RT-1", "no_such_return"), ("RF-RT-2", "no_such_return"), ("RF-RT-3", "no_such_return"),
    ]


def test_a_provider_report_that_cannot_be_read_is_provider_unavailable(shop):
    class Down(MemoryPayments):
        def refunds_between(self, since: str, until: str) -> list[dict]:
            raise ProviderUnavailable("the provider's refunds could not be read")

    refunded(shop)

    with pytest.raises(ProviderUnavailable):
        reconcile_refunds(RECONCILED, shop.replacing(payments=Down()), LATER)
