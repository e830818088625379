"""GET /v1/refunds and /v1/refunds/export.csv on moto: records by time range and marketplace, paged, as CSV."""

import csv
import io
import json

import pytest
from chalice.test import Client

from app import app
from chalicelib.adapters.http.payment_provider import HttpPaymentProvider
from chalicelib.domain.finance_export import FINANCE_FIELDS
from tests.integration.conftest import PAYMENT_KEY, STAFF_HEADERS


def issue(aws, n: int, issued_at: str, marketplace: str, paid: dict) -> None:
    """A confirmed record, as DispatchRefund leaves it once the provider paid it."""
    aws["dynamodb"].Table("aftersales-refund-ledger").put_item(Item={
        "refund_id": f"RF-RT-{n}", "return_id": f"RT-{n}", "order_id": f"TM-{n}", "marketplace": marketplace,
        "customer_id": "C-1", "currency": "CNY", "total": "10.00", "total_minor": 1000,
        "entries": [{"code": "item", "line_id": "L1", "amount": "10.00", "reason": "1 of 1 units accepted"}],
        "policy_version": "default-2026-11", "issued_at": issued_at, "issued_day": issued_at[:10],
        "idempotency_key": f"RF-RT-{n}", "published_at": issued_at, "payment_ref": f"TM-{n}",
        "payment_status": "confirmed", "provider_refund_id": paid["provider_refund_id"], "confirmed_at": paid["created_at"],
    })


@pytest.fixture
def provider(payment_service):
    """The provider's API as DispatchRefund calls it."""
    return HttpPaymentProvider(payment_service.url, lambda: PAYMENT_KEY.encode())


@pytest.fixture
def client(aws, provider):
    for n, at in enumerate(["2026-11-20T23:59:59Z", "2026-11-21T00:00:00Z", "2026-11-21T10:00:00Z",
                            "2026-11-22T08:00:00Z", "2026-11-23T00:00:00Z"]):
        issue(aws, n, at, "jd" if n == 2 else "tmall", provider.refund(f"TM-{n}", "CNY", "10.00", f"RF-RT-{n}"))
    with Client(app) as client:
        yield client


def get(client, path, headers=STAFF_HEADERS):
    return client.http.get(path, headers=headers)


RANGE = "from=2026-11-21T00:00:00Z&to=2026-11-23T00:00:00Z"


def test_records_in_a_range_oldest_first_to_exclusive(client):
    body = get(client, f"/v1/refunds?{RANGE}").json_body
    assert [r["refund_id"] for r in body["items"]] == ["RF-RT-1", "RF-RT-2", "RF-RT-3"]
    assert set(body["items"][0]) == set(FINANCE_FIELDS) and body["next_cursor"] is None


def test_paging_with_a_cursor_and_the_marketplace_filter(client):
    seen, cursor = [], None
    while True:
        body = get(client, f"/v1/refunds?{RANGE}&limit=1" + (f"&cursor={cursor}" if cursor else "")).json_body
        seen += [r["refund_id"] for r in body["items"]]
        if not (cursor := body["next_cursor"]):
            break
    assert seen == ["RF-RT-1", "RF-RT-2", "RF-RT-3"]
    assert [r["refund_id"] for r in get(client, f"/v1/refunds?{RANGE}&marketplace=jd").json_body["items"]] == ["RF-RT-2"]


def test_the_csv_export_has_one_row_per_record_in_the_documented_columns(client):
    response = get(client, f"/v1/refunds/export.csv?{RANGE}&marketplace=tmall")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.body.decode())))
    assert rows[0] == list(FINANCE_FIELDS)
    assert [row[0] for row in rows[1:]] == ["RF-RT-1", "RF-RT-3"]
    first = dict(zip(rows[0], rows[1]))
    assert (first["total"], first["total_minor"], json.loads(first["entries"])[0]["amount"]) == ("10.00", "1000", "10.00")


@pytest.mark.parametrize(
    "query, field",
    [("to=2026-11-23T00:00:00Z", "from"), ("from=2026-11-21T00:00:00Z", "to"), ("from=yesterday&to=2026-11-23T00:00:00Z", "from"),
     ("from=2026-11-23T00:00:00Z&to=2026-11-21T00:00:00Z", ""), ("from=2026-10-01T00:00:00Z&to=2026-11-23T00:00:00Z", ""),
     (f"{RANGE}&limit=0", "limit"), (f"{RANGE}&cursor=zzz", "cursor"), (f"{RANGE}&colour=red", "colour")],
)
def test_bad_queries_answer_422_naming_the_field(client, query, field):
    response = get(client, f"/v1/refunds?{query}")
    assert (response.status_code, response.json_body["error"]["field"]) == (422, field or None), response.json_body


def test_finance_endpoints_need_a_key(client):
    assert get(client, f"/v1/refunds?{RANGE}", {}).status_code == 401
    assert get(client, f"/v1/refunds/export.csv?{RANGE}", {}).status_code == 401


def test_the_daily_export_writes_the_previous_days_records_as_csv_and_jsonl(aws, client):
    from datetime import date

    from chalicelib.bootstrap import bootstrap
    from chalicelib.services.export_refunds import export_day

    result = export_day(date(2026, 11, 21), bootstrap())
    assert (result["records"], result["keys"]) == (2, [
        "finance-exports/2026/11/21/refunds-2026-11-21.csv", "finance-exports/2026/11/21/refunds-2026-11-21.jsonl",
    ])
    s3 = aws["s3"]
    lines = s3.get_object(Bucket="aftersales-archive", Key=result["keys"][1])["Body"].read().decode().splitlines()
    assert [json.loads(line)["refund_id"] for line in lines] == ["RF-RT-1", "RF-RT-2"]
    rows = list(csv.reader(io.StringIO(s3.get_object(Bucket="aftersales-archive", Key=result["keys"][0])["Body"].read().decode())))
    assert [row[0] for row in rows] == ["refund_id", "RF-RT-1", "RF-RT-2"]
    assert export_day(date(2026, 11, 19), bootstrap())["records"] == 0  # an empty day still gets its files


def test_reconciliation_lists_exactly_the_planted_mismatches(aws, client, provider):
    returns = aws["dynamodb"].Table("aftersales-returns")
    quote = {"currency": "CNY", "total": "10.00", "total_minor": 1000, "capped": False,
             "entries": [{"code": "item", "line_id": "L1", "amount": "10.00", "reason": "1 of 1 units accepted"}]}
    returns.put_item(Item={"return_id": "RT-1", "order_id": "TM-1", "refund_id": "RF-RT-1", "quote": quote})
    returns.put_item(Item={"return_id": "RT-2", "order_id": "TM-2", "refund_id": "RF-RT-2",
                           "quote": {**quote, "total": "9.00", "total_minor": 900}})  # planted: quote != ledger
    # RT-3 has no stored return at all (planted), and RF-RT-1 is made never published (planted):
    ledger = aws["dynamodb"].Table("aftersales-refund-ledger")
    ledger.update_item(Key={"refund_id": "RF-RT-1"}, UpdateExpression="REMOVE published_at")
    # The provider paid a key no record has (planted); RF-RT-2 is confirmed with another provider refund (planted).
    stray = provider.refund("TM-9", "CNY", "5.00", "RF-RT-STRAY")
    ledger.update_item(Key={"refund_id": "RF-RT-2"}, UpdateExpression="SET provider_refund_id = :id",
                       ExpressionAttributeValues={":id": "PR-OTHER"})
    body = get(client, f"/v1/refunds/reconciliation?{RANGE}").json_body
    assert body["checked"] == 3
    assert sorted((m["refund_id"] or "", m["kind"]) for m in body["mismatches"]) == [
        ("", "provider_refund_without_record"), ("RF-RT-1", "never_published"),
        ("RF-RT-2", "provider_refund_differs"), ("RF-RT-2", "total_differs_from_quote"), ("RF-RT-3", "no_such_return"),
    ]
    [unrecorded] = [m for m in body["mismatches"] if m["kind"] == "provider_refund_without_record"]
    assert unrecorded["expected"]["provider_refund_id"] == stray["provider_refund_id"]
    [differs] = [m for m in body["mismatches"] if m["kind"] == "total_differs_from_quote"]
    assert (differs["ledger"], differs["expected"]) == (["10.00", "CNY"], ["9.00", "CNY"])
    returns.put_item(Item={"return_id": "RT-2", "order_id": "TM-2", "refund_id": "RF-RT-2", "quote": quote})
    returns.put_item(Item={"return_id": "RT-3", "order_id": "TM-3", "refund_id": "RF-RT-3", "quote": quote})
    ledger.update_item(Key={"refund_id": "RF-RT-1"}, UpdateExpression="SET published_at = :at", ExpressionAttributeValues={":at": "x"})
    ledger.update_item(Key={"refund_id": "RF-RT-2"}, UpdateExpression="SET provider_refund_id = :id",
                       ExpressionAttributeValues={":id": provider.refund("TM-2", "CNY", "10.00", "RF-RT-2")["provider_refund_id"]})
    ledger.put_item(Item={**ledger.get_item(Key={"refund_id": "RF-RT-1"})["Item"], "refund_id": "RF-RT-STRAY",
                          "return_id": "RT-STRAY", "issued_at": "2026-11-24T00:00:00Z", "issued_day": "2026-11-24",
                          "idempotency_key": "RF-RT-STRAY"})  # its record is outside the range, not missing
    body = get(client, f"/v1/refunds/reconciliation?{RANGE}").json_body
    assert (body["mismatches"], body["open"]) == ([], [])


def test_reconciliation_lists_payments_under_way_as_open_and_a_provider_outage_as_503(aws, client, payment_service):
    ledger = aws["dynamodb"].Table("aftersales-refund-ledger")
    returns = aws["dynamodb"].Table("aftersales-returns")
    quote = {"currency": "CNY", "total": "10.00", "total_minor": 1000,
             "entries": [{"code": "item", "line_id": "L1", "amount": "10.00", "reason": "1 of 1 units accepted"}]}
    for n in (1, 2, 3):
        returns.put_item(Item={"return_id": f"RT-{n}", "order_id": f"TM-{n}", "refund_id": f"RF-RT-{n}", "quote": quote})
    ledger.put_item(Item={**ledger.get_item(Key={"refund_id": "RF-RT-1"})["Item"], "refund_id": "RF-RT-8",
                          "return_id": "RT-1", "idempotency_key": "RF-RT-8", "payment_status": "sent",
                          "provider_refund_id": None, "published_at": None})
    returns.put_item(Item={"return_id": "RT-1", "order_id": "TM-1", "quote": quote})
    body = get(client, f"/v1/refunds/reconciliation?{RANGE}").json_body
    assert body["mismatches"] == []
    assert [(o["refund_id"], o["payment_status"]) for o in body["open"]] == [("RF-RT-8", "sent")]
    payment_service.stop()
    response = get(client, f"/v1/refunds/reconciliation?{RANGE}")
    assert (response.status_code, response.json_body["error"]["code"]) == (503, "provider_unavailable")
