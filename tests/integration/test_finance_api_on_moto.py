"""GET /v1/refunds and /v1/refunds/export.csv on moto: records by time range and marketplace, paged, as CSV."""

import csv
import io
import json

import pytest
from chalice.test import Client

from app import app
from chalicelib.domain.finance_export import FINANCE_FIELDS
from tests.integration.conftest import STAFF_HEADERS


def issue(aws, n: int, issued_at: str, marketplace: str = "tmall") -> None:
    aws["dynamodb"].Table("aftersales-refund-ledger").put_item(Item={
        "refund_id": f"RF-RT-{n}", "return_id": f"RT-{n}", "order_id": f"TM-{n}", "marketplace": marketplace,
        "customer_id": "C-1", "currency": "CNY", "total": "10.00", "total_minor": 1000,
        "entries": [{"code": "item", "line_id": "L1", "amount": "10.00", "reason": "1 of 1 units accepted"}],
        "policy_version": "default-2026-11", "issued_at": issued_at, "issued_day": issued_at[:10],
        "idempotency_key": f"RF-RT-{n}", "published_at": issued_at,
    })


@pytest.fixture
def client(aws):
    for n, at in enumerate(["2026-11-20T23:59:59Z", "2026-11-21T00:00:00Z", "2026-11-21T10:00:00Z",
                            "2026-11-22T08:00:00Z", "2026-11-23T00:00:00Z"]):
        issue(aws, n, at, marketplace="jd" if n == 2 else "tmall")
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

    from chalicelib.bootstrap import export_ports
    from chalicelib.services.export_refunds import export_day

    result = export_day(date(2026, 11, 21), export_ports())
    assert (result["records"], result["keys"]) == (2, [
        "finance-exports/2026/11/21/refunds-2026-11-21.csv", "finance-exports/2026/11/21/refunds-2026-11-21.jsonl",
    ])
    s3 = aws["s3"]
    lines = s3.get_object(Bucket="aftersales-archive", Key=result["keys"][1])["Body"].read().decode().splitlines()
    assert [json.loads(line)["refund_id"] for line in lines] == ["RF-RT-1", "RF-RT-2"]
    rows = list(csv.reader(io.StringIO(s3.get_object(Bucket="aftersales-archive", Key=result["keys"][0])["Body"].read().decode())))
    assert [row[0] for row in rows] == ["refund_id", "RF-RT-1", "RF-RT-2"]
    assert export_day(date(2026, 11, 19), export_ports())["records"] == 0  # an empty day still gets its files


def test_reconciliation_lists_exactly_the_planted_mismatches(aws, client):
    returns = aws["dynamodb"].Table("aftersales-returns")
    quote = {"currency": "CNY", "total": "10.00", "total_minor": 1000, "capped": False,
             "entries": [{"code": "item", "line_id": "L1", "amount": "10.00", "reason": "1 of 1 units accepted"}]}
    returns.put_item(Item={"return_id": "RT-1", "order_id": "TM-1", "refund_id": "RF-RT-1", "quote": quote})
    returns.put_item(Item={"return_id": "RT-2", "order_id": "TM-2", "refund_id": "RF-RT-2",
                           "quote": {**quote, "total": "9.00", "total_minor": 900}})  # planted: quote != ledger
    # RT-3 has no stored return at all (planted), and RF-RT-1 is made never published (planted):
    aws["dynamodb"].Table("aftersales-refund-ledger").update_item(
        Key={"refund_id": "RF-RT-1"}, UpdateExpression="REMOVE published_at")
    body = get(client, f"/v1/refunds/reconciliation?{RANGE}").json_body
    assert body["checked"] == 3
    assert sorted((m["refund_id"], m["kind"]) for m in body["mismatches"]) == [
        ("RF-RT-1", "never_published"), ("RF-RT-2", "total_differs_from_quote"), ("RF-RT-3", "no_such_return"),
    ]
    [differs] = [m for m in body["mismatches"] if m["kind"] == "total_differs_from_quote"]
    assert (differs["ledger"], differs["expected"]) == (["10.00", "CNY"], ["9.00", "CNY"])
    returns.put_item(Item={"return_id": "RT-2", "order_id": "TM-2", "refund_id": "RF-RT-2", "quote": quote})
    returns.put_item(Item={"return_id": "RT-3", "order_id": "TM-3", "refund_id": "RF-RT-3", "quote": quote})
    aws["dynamodb"].Table("aftersales-refund-ledger").update_item(
        Key={"refund_id": "RF-RT-1"}, UpdateExpression="SET published_at = :at", ExpressionAttributeValues={":at": "x"})
    assert get(client, f"/v1/refunds/reconciliation?{RANGE}").json_body["mismatches"] == []
