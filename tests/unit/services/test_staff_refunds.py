"""list_refunds, export_refunds_csv and reconcile_refunds on the twins: finance's records of a time range, paged
across the ledger's days, as CSV, and checked against the quotes and the provider's refunds; each with the shop's
own ids and the shop, for a finance (or admin) key only, and each on the audit trail."""

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
from chalicelib.ports.errors import Forbidden, ProviderUnavailable
from chalicelib.services.dispatch_refund import dispatch_refund
from chalicelib.services.list_refunds import RefundRange, export_refunds_csv, list_refunds, reconcile_refunds
from chalicelib.services.quote_return import quote_return
from chalicelib.services.verify_return import verify_return
from tests.unit.services.given import NOW, a_return, an_order, inspected, staff, twins

ENTRIES = [{"code": "item", "line_id": "L1", "amount": "10.00", "reason": "1 of 1 units accepted"}]
# Finance asks for [from, to): two whole days here.
RANGE = RefundRange(datetime(2026, 11, 21, tzinfo=timezone.utc), datetime(2026, 11, 23, tzinfo=timezone.utc))
TIMES = ["2026-11-20T23:59:59Z", "2026-11-21T00:00:00Z", "2026-11-21T10:00:00Z", "2026-11-22T08:00:00Z",
         "2026-11-23T00:00:00Z"]
FINANCE = staff("finance", key_id="fin-1", address="198.51.100.4")


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
        items, cursor = list_refunds(query, limit, cursor, FINANCE, ports, NOW)
        pages.append(items)
        if cursor is None:
            return pages
        assert len(pages) < 1000, "the pages never ended"


def ids(records: list[dict]) -> list[str]:
    return [record["refund_id"] for record in records]


# Listing.

def test_the_records_of_a_range_come_oldest_first_from_inclusive_to_exclusive(ports):
    items, cursor = list_refunds(RANGE, 100, None, FINANCE, ports, NOW)

    assert ids(items) == ["RF-RT-1", "RF-RT-2", "RF-RT-3"] and cursor is None


def test_a_listed_record_is_the_finance_record_of_the_contract(ports):
    [first, *_] = list_refunds(RANGE, 100, None, FINANCE, ports, NOW)[0]

    assert set(first) == set(FINANCE_FIELDS)
    assert (first["return_id"], first["total"], first["total_minor"], first["entries"], first["issued_at"]) == (
        "RT-1", "10.00", 1000, ENTRIES, "2026-11-21T00:00:00Z"
    )
    assert first["shop"] is None  # ids not qualified by a shop: none is named


@pytest.mark.parametrize("limit", [1, 2, 3, 4])
def test_pages_follow_the_cursor_across_days_until_it_is_none(ports, limit):
    pages = every_page(RANGE, limit, ports)

    assert ids([record for page in pages for record in page]) == ["RF-RT-1", "RF-RT-2", "RF-RT-3"]
    assert all(len(page) <= limit for page in pages)


def test_a_page_ends_at_the_limit_with_a_cursor_to_the_rest(ports):
    items, cursor = list_refunds(RANGE, 2, None, FINANCE, ports, NOW)

    assert ids(items) == ["RF-RT-1", "RF-RT-2"] and cursor is not None
    assert ids(list_refunds(RANGE, 2, cursor, FINANCE, ports, NOW)[0]) == ["RF-RT-3"]


def test_the_cursor_names_a_day_and_a_position_in_plain_strings(ports):
    _, cursor = list_refunds(RANGE, 1, None, FINANCE, ports, NOW)

    assert set(cursor) == {"day", "key"} and json.loads(json.dumps(cursor)) == cursor


def test_a_marketplace_filter_lists_only_its_records(ports):
    query = RefundRange(RANGE.since, RANGE.until, "jd")

    assert ids(list_refunds(query, 100, None, FINANCE, ports, NOW)[0]) == ["RF-RT-2"]


def test_a_marketplace_filter_pages_over_the_records_it_leaves_out(ports):
    query = RefundRange(RANGE.since, RANGE.until, "tmall")

    pages = every_page(query, 1, ports)

    assert ids([record for page in pages for record in page]) == ["RF-RT-1", "RF-RT-3"]


def test_a_range_within_one_day_lists_that_part_of_the_day(ports):
    query = RefundRange(datetime(2026, 11, 21, 5, tzinfo=timezone.utc), datetime(2026, 11, 21, 12, tzinfo=timezone.utc))

    assert ids(list_refunds(query, 100, None, FINANCE, ports, NOW)[0]) == ["RF-RT-2"]


def test_a_range_with_no_records_is_an_empty_page_with_no_cursor(ports):
    query = RefundRange(datetime(2026, 12, 1, tzinfo=timezone.utc), datetime(2026, 12, 5, tzinfo=timezone.utc))

    assert list_refunds(query, 100, None, FINANCE, ports, NOW) == ([], None)


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
    header = next(csv.reader(io.StringIO(export_refunds_csv(RANGE, FINANCE, ports, NOW))))

    assert header == list(FINANCE_FIELDS)
    assert header[:12] == ["refund_id", "return_id", "order_id", "marketplace", "customer_id", "currency", "total",
                           "total_minor", "entries", "policy_version", "issued_at", "idempotency_key"]
    # The columns added since, each at the end (CONTRACTS.md allows optional fields): the payment, the shop, then who
    # paid and the marketplace's own refund id.
    assert header[12:] == [
        "payment_ref", "payment_status", "provider_refund_id", "confirmed_at", "shop", "paid_by", "marketplace_refund_id",
    ]


def test_the_export_has_one_row_per_record_of_the_range(ports):
    assert [row["refund_id"] for row in rows(export_refunds_csv(RANGE, FINANCE, ports, NOW))] == [
        "RF-RT-1", "RF-RT-2", "RF-RT-3"
    ]


def test_the_export_writes_amounts_as_decimal_strings_and_the_entries_as_json(ports):
    first = rows(export_refunds_csv(RANGE, FINANCE, ports, NOW))[0]

    assert (first["currency"], first["total"], first["total_minor"]) == ("CNY", "10.00", "1000")
    assert json.loads(first["entries"]) == ENTRIES


def test_the_export_of_a_marketplace_has_only_its_rows(ports):
    text = export_refunds_csv(RefundRange(RANGE.since, RANGE.until, "tmall"), FINANCE, ports, NOW)

    assert [row["refund_id"] for row in rows(text)] == ["RF-RT-1", "RF-RT-3"]


def test_the_export_of_an_empty_range_is_the_header_alone(ports):
    query = RefundRange(datetime(2026, 12, 1, tzinfo=timezone.utc), datetime(2026, 12, 2, tzinfo=timezone.utc))

    assert export_refunds_csv(query, FINANCE, ports, NOW) == ",".join(FINANCE_FIELDS) + "\n"


def test_the_export_reads_past_the_first_page_of_the_ledger():
    ports = twins()
    an_order(ports, "TM-BUSY")
    start = datetime(2026, 11, 21, tzinfo=timezone.utc)
    for n in range(501):  # one order refunded again and again: its account moves one version each time
        at = (start + timedelta(minutes=n)).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert ports.ledger.issue(ledger_record(n, at, order_id="TM-BUSY"), RefundAccount(), n)

    assert len(rows(export_refunds_csv(RANGE, FINANCE, ports, NOW))) == 501


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

    report = reconcile_refunds(RECONCILED, FINANCE, shop, LATER)

    assert report == {"from": "2026-11-22T00:00:00Z", "to": "2026-11-23T00:00:00Z", "checked": 1, "mismatches": [],
                      "open": []}


def test_a_record_whose_total_differs_from_its_returns_quote_is_a_mismatch(shop):
    refunded(shop)
    quote = shop.returns.get("RT-1").quote
    shop.returns.update("RT-1", {"quote": {**quote, "total": "9.00", "total_minor": 900}})

    [mismatch] = reconcile_refunds(RECONCILED, FINANCE, shop, LATER)["mismatches"]

    assert mismatch == {"refund_id": "RF-RT-1", "return_id": "RT-1", "kind": "total_differs_from_quote",
                        "ledger": [quote["total"], "CNY"], "expected": ["9.00", "CNY"]}


def test_a_provider_refund_with_no_ledger_record_is_a_mismatch(shop):
    refunded(shop)
    stray = shop.payments.refund("TM-9", "CNY", "5.00", "RF-RT-STRAY")

    [mismatch] = reconcile_refunds(RECONCILED, FINANCE, shop, LATER)["mismatches"]

    assert mismatch == {"refund_id": None, "return_id": None, "kind": "provider_refund_without_record", "ledger": None,
                        "expected": stray}


def test_a_payment_the_provider_declined_is_open_not_a_mismatch(shop):
    shop.payments.decline = ("card_expired", "the buyer's card has expired")
    assert refunded(shop)["payment"] == "retry"

    report = reconcile_refunds(RECONCILED, FINANCE, shop, LATER)

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

    report = reconcile_refunds(RECONCILED, FINANCE, ports, datetime(2026, 11, 23, 1, tzinfo=timezone.utc))

    assert (report["checked"], report["mismatches"], report["open"]) == (1, [], [])


def test_a_provider_refund_in_the_range_for_a_record_issued_before_it_is_not_unrecorded():
    ports = twins(payments=MemoryPayments(clock="2026-11-22T00:00:05Z"))
    an_order(ports)
    refunded(ports, at=datetime(2026, 11, 21, 23, 59, tzinfo=timezone.utc))

    report = reconcile_refunds(RECONCILED, FINANCE, ports, LATER)

    assert (report["checked"], report["mismatches"]) == (0, [])


def test_a_record_whose_return_is_not_stored_is_a_mismatch(ports):
    report = reconcile_refunds(RANGE, FINANCE, ports, LATER)

    assert sorted((m["refund_id"], m["kind"]) for m in report["mismatches"]) == [
        ("RF-RT-1", "no_such_return"), ("RF-RT-2", "no_such_return"), ("RF-RT-3", "no_such_return"),
    ]


def test_a_provider_report_that_cannot_be_read_is_provider_unavailable(shop):
    class Down(MemoryPayments):
        def refunds_between(self, since: str, until: str) -> list[dict]:
            raise ProviderUnavailable("the provider's refunds could not be read")

    refunded(shop)

    with pytest.raises(ProviderUnavailable):
        reconcile_refunds(RECONCILED, FINANCE, shop.replacing(payments=Down()), LATER)


# Tenants: behind the edge a record's ids are qualified by its shop; finance sees the shop's own ids and the shop.

def the_shops_record(n: int, issued_at: str, shop: str = "tmall") -> LedgerRecord:
    """A ledger record as the dispatch writes it for a return of `shop` (ids "shop/own id")."""
    return LedgerRecord(
        refund_id=f"RF-{shop}.RT-{n}", return_id=f"{shop}/RT-{n}", order_id=f"{shop}/TM-{n}", marketplace=shop,
        customer_id=f"{shop}/C-1", currency="CNY", total="10.00", total_minor=1000, entries=ENTRIES,
        policy_version="default-2026-11", issued_at=issued_at, issued_day=issued_at[:10],
        idempotency_key=f"RF-{shop}.RT-{n}", payment_ref=f"TM-{n}",
    )


@pytest.fixture
def shops():
    ports = twins()
    for n, (shop, at) in enumerate([("tmall", "2026-11-21T10:00:00Z"), ("jd", "2026-11-22T10:00:00Z")]):
        an_order(ports, f"{shop}/TM-{n}", customer_id=f"{shop}/C-1")
        assert ports.ledger.issue(the_shops_record(n, at, shop), RefundAccount(refunded_total=1000), 0)
    return ports


def test_a_listed_record_of_a_shop_names_the_shops_own_ids_and_the_shop(shops):
    [tmall, jd] = list_refunds(RANGE, 100, None, FINANCE, shops, NOW)[0]

    keys = ("refund_id", "return_id", "order_id", "customer_id", "idempotency_key", "payment_ref", "shop")
    assert {key: tmall[key] for key in keys} == {
        "refund_id": "RF-tmall.RT-0", "return_id": "RT-0", "order_id": "TM-0", "customer_id": "C-1",
        "idempotency_key": "RF-tmall.RT-0", "payment_ref": "TM-0", "shop": "tmall",
    }
    assert (jd["return_id"], jd["order_id"], jd["shop"]) == ("RT-1", "TM-1", "jd")
    assert set(tmall) == set(FINANCE_FIELDS)


def test_the_export_of_shops_records_ends_each_row_with_its_shop_and_who_paid(shops):
    text = export_refunds_csv(RANGE, FINANCE, shops, NOW)

    assert [(row["return_id"], row["order_id"], row["customer_id"], row["shop"]) for row in rows(text)] == [
        ("RT-0", "TM-0", "C-1", "tmall"), ("RT-1", "TM-1", "C-1", "jd"),
    ]
    assert [line.split(",")[-3:] for line in text.splitlines()] == [
        ["shop", "paid_by", "marketplace_refund_id"], ["tmall", "payment_provider", ""], ["jd", "payment_provider", ""],
    ]


def test_a_records_row_without_a_shop_leaves_the_shop_column_empty(ports):
    [first, *_] = rows(export_refunds_csv(RANGE, FINANCE, ports, NOW))

    assert (first["return_id"], first["shop"]) == ("RT-1", "")


def test_a_shops_refund_through_the_workflow_is_keyed_by_shop_and_own_id_and_reconciles():
    ports = twins()
    an_order(ports, "tmall/TM-1001", customer_id="tmall/C-1")
    refunded(ports, "tmall/RT-1", "tmall/TM-1001")

    [record] = list_refunds(RECONCILED, 100, None, FINANCE, ports, NOW)[0]
    report = reconcile_refunds(RECONCILED, FINANCE, ports, LATER)

    assert ports.ledger.get("RF-tmall.RT-1") is not None
    assert (record["refund_id"], record["return_id"], record["order_id"], record["payment_ref"], record["shop"]) == (
        "RF-tmall.RT-1", "RT-1", "TM-1001", "TM-1001", "tmall"
    )
    assert (report["checked"], report["mismatches"], report["open"]) == (1, [], [])


# Roles: the refund records are finance's.

def test_an_after_sales_key_may_not_list_export_or_reconcile_refunds_and_nothing_is_audited(ports):
    clerk = staff("after_sales", key_id="clerk-1")
    calls = [lambda: list_refunds(RANGE, 100, None, clerk, ports, NOW),
             lambda: export_refunds_csv(RANGE, clerk, ports, NOW),
             lambda: reconcile_refunds(RANGE, clerk, ports, LATER)]

    for call in calls:
        with pytest.raises(Forbidden) as refused:
            call()
        assert (refused.value.code, refused.value.message) == (
            "role_required", "key 'clerk-1' does not have the finance role"
        )

    assert ports.audit.entries == []


def test_a_refused_reconciliation_does_not_ask_the_provider(shop):
    refunded(shop)

    class Watched(MemoryPayments):
        asked = False

        def refunds_between(self, since: str, until: str) -> list[dict]:
            Watched.asked = True
            return []

    with pytest.raises(Forbidden):
        reconcile_refunds(RECONCILED, staff("after_sales"), shop.replacing(payments=Watched()), LATER)

    assert Watched.asked is False


@pytest.mark.parametrize("roles", [("finance",), ("admin",), ("after_sales", "finance")])
def test_a_key_with_the_finance_role_or_admin_may_list_export_and_reconcile(ports, roles):
    who = staff(*roles)

    assert ids(list_refunds(RANGE, 100, None, who, ports, NOW)[0]) == ["RF-RT-1", "RF-RT-2", "RF-RT-3"]
    assert len(rows(export_refunds_csv(RANGE, who, ports, NOW))) == 3
    assert reconcile_refunds(RANGE, who, ports, LATER)["checked"] == 3


# The audit trail: finance records that leave the system say who read which range, when, from where.

AUDITED = {"subject", "entry", "action", "by", "from", "at", "since", "until", "records"}


@pytest.mark.parametrize(
    "call, action, records",
    [(lambda ports: list_refunds(RANGE, 2, None, FINANCE, ports, NOW), "refunds.list", 2),
     (lambda ports: export_refunds_csv(RANGE, FINANCE, ports, NOW), "refunds.export_csv", 3),
     (lambda ports: reconcile_refunds(RANGE, FINANCE, ports, NOW), "refunds.reconciliation", 3)],
    ids=["list", "export", "reconciliation"],
)
def test_each_read_of_refund_records_leaves_one_audit_entry(ports, call, action, records):
    call(ports)

    [entry] = ports.audit.entries
    assert set(entry) == AUDITED  # no marketplace: none was asked for
    assert {key: entry[key] for key in AUDITED - {"entry"}} == {
        "subject": "refunds", "action": action, "by": "fin-1", "from": "198.51.100.4", "at": "2026-11-22T08:00:00Z",
        "since": "2026-11-21T00:00:00Z", "until": "2026-11-23T00:00:00Z", "records": records,
    }
    assert entry["entry"].startswith("2026-11-22T08:00:00Z#")


def test_an_audit_entry_names_the_marketplace_asked_for(ports):
    export_refunds_csv(RefundRange(RANGE.since, RANGE.until, "jd"), FINANCE, ports, NOW)

    [entry] = ports.audit.entries
    assert (entry["marketplace"], entry["records"]) == ("jd", 1)


def test_every_page_listed_is_an_entry_of_its_own(ports):
    pages = every_page(RANGE, 1, ports)

    assert [entry["action"] for entry in ports.audit.entries] == ["refunds.list"] * len(pages)
    assert len({entry["entry"] for entry in ports.audit.entries}) == len(pages)  # none overwrites another


def test_a_key_without_an_address_is_audited_from_nowhere(ports):
    export_refunds_csv(RANGE, staff("finance", address=None), ports, NOW)

    [entry] = ports.audit.entries
    assert (entry["by"], entry["from"]) == ("ana", None)
