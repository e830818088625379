"""GET /v1/refunds and /v1/refunds/export.csv on moto: records by time range and marketplace, paged, as CSV.

The ledger is keyed by tenant (generic's "generic/RT-1" is refunded as "RF-generic.RT-1"); finance sees the
shop's own ids with the shop beside them, and every read of finance records is on the audit trail."""

import csv
import io
import json
from datetime import datetime, timedelta, timezone

import pytest
from chalice.test import Client

from app import app
from chalicelib.adapters.http.payment_provider import HttpPaymentProvider
from chalicelib.domain.finance_export import FINANCE_FIELDS
from chalicelib.domain.staff_keys import secret_hash
from localcloud.cloud import clear_caches
from tests.integration.conftest import PAYMENT_KEY, STAFF_HEADERS


def rf(n: int) -> str:
    """The refund id of generic's RT-n (refund_id_for("generic/RT-n"))."""
    return f"RF-generic.RT-{n}"


def issue(aws, n: int, issued_at: str, marketplace: str, paid: dict) -> None:
    """A confirmed record of generic's RT-n, as DispatchRefund leaves it once the provider paid it."""
    aws["dynamodb"].Table("aftersales-refund-ledger").put_item(Item={
        "refund_id": rf(n), "return_id": f"generic/RT-{n}", "order_id": f"generic/TM-{n}", "marketplace": marketplace,
        "customer_id": "generic/C-1", "currency": "CNY", "total": "10.00", "total_minor": 1000,
        "entries": [{"code": "item", "line_id": "L1", "amount": "10.00", "reason": "1 of 1 units accepted"}],
        "policy_version": "default-2026-11", "issued_at": issued_at, "issued_day": issued_at[:10],
        "idempotency_key": rf(n), "published_at": issued_at, "payment_ref": f"TM-{n}",
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
        issue(aws, n, at, "jd" if n == 2 else "tmall", provider.refund(f"TM-{n}", "CNY", "10.00", rf(n)))
    with Client(app) as client:
        yield client


def get(client, path, headers=STAFF_HEADERS):
    return client.http.get(path, headers=headers)


def audit_entries(aws) -> list[dict]:
    return aws["dynamodb"].Table("aftersales-audit").scan()["Items"]


RANGE = "from=2026-11-21T00:00:00Z&to=2026-11-23T00:00:00Z"


def test_records_in_a_range_oldest_first_to_exclusive(client):
    body = get(client, f"/v1/refunds?{RANGE}").json_body
    assert [r["refund_id"] for r in body["items"]] == [rf(1), rf(2), rf(3)]
    assert set(body["items"][0]) == set(FINANCE_FIELDS) and body["next_cursor"] is None
    first = body["items"][0]
    # The shop's own ids, and the shop beside them.
    assert (first["shop"], first["return_id"], first["order_id"], first["customer_id"], first["idempotency_key"]) == (
        "generic", "RT-1", "TM-1", "C-1", rf(1)
    )


def test_paging_with_a_cursor_and_the_marketplace_filter(client):
    seen, cursor = [], None
    while True:
        body = get(client, f"/v1/refunds?{RANGE}&limit=1" + (f"&cursor={cursor}" if cursor else "")).json_body
        seen += [r["refund_id"] for r in body["items"]]
        if not (cursor := body["next_cursor"]):
            break
    assert seen == [rf(1), rf(2), rf(3)]
    assert [r["refund_id"] for r in get(client, f"/v1/refunds?{RANGE}&marketplace=jd").json_body["items"]] == [rf(2)]


def test_a_cursor_continues_only_within_its_own_range(client):
    cursor = get(client, f"/v1/refunds?{RANGE}&limit=1").json_body["next_cursor"]
    assert cursor
    response = get(client, f"/v1/refunds?from=2026-11-22T00:00:00Z&to=2026-11-23T00:00:00Z&cursor={cursor}")
    assert (response.status_code, response.json_body["error"]["field"]) == (422, "cursor")
    assert [r["refund_id"] for r in get(client, f"/v1/refunds?{RANGE}&cursor={cursor}").json_body["items"]] == [
        rf(2), rf(3)]


def test_the_csv_export_has_one_row_per_record_in_the_documented_columns(client):
    response = get(client, f"/v1/refunds/export.csv?{RANGE}&marketplace=tmall")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.body.decode())))
    assert rows[0] == list(FINANCE_FIELDS) and rows[0][-3:] == ["shop", "paid_by", "marketplace_refund_id"]
    assert [row[0] for row in rows[1:]] == [rf(1), rf(3)]
    first = dict(zip(rows[0], rows[1]))
    assert (first["total"], first["total_minor"], json.loads(first["entries"])[0]["amount"]) == ("10.00", "1000", "10.00")
    assert (first["shop"], first["return_id"], first["order_id"]) == ("generic", "RT-1", "TM-1")


@pytest.mark.parametrize(
    "query, field",
    [("to=2026-11-23T00:00:00Z", "from"), ("from=2026-11-21T00:00:00Z", "to"), ("from=yesterday&to=2026-11-23T00:00:00Z", "from"),
     ("from=2026-11-23T00:00:00Z&to=2026-11-21T00:00:00Z", ""), ("from=2026-10-01T00:00:00Z&to=2026-11-23T00:00:00Z", ""),
     (f"{RANGE}&limit=0", "limit"), (f"{RANGE}&cursor=zzz", "cursor"), (f"{RANGE}&colour=red", "colour")],
)
def test_bad_queries_answer_422_naming_the_field(client, query, field):
    response = get(client, f"/v1/refunds?{query}")
    assert (response.status_code, response.json_body["error"]["field"]) == (422, field or None), response.json_body


def _z(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize("path", ["/v1/refunds", "/v1/refunds/export.csv", "/v1/refunds/reconciliation"])
def test_a_range_reaching_outside_the_time_window_answers_422_naming_the_end(client, path):
    """The ends lie within the edge's window around now: 3650 days back, 24 hours ahead."""
    now = datetime.now(timezone.utc).replace(microsecond=0)
    too_old = now - timedelta(days=3651)
    for query, field in [
        (f"from={_z(too_old)}&to={_z(too_old + timedelta(days=10))}", "from"),
        (f"from={_z(now)}&to={_z(now + timedelta(hours=25))}", "to"),
        ("from=9999-12-31T00:00:00Z&to=9999-12-31T23:00:00Z", "from"),
    ]:
        response = get(client, f"{path}?{query}")
        assert (response.status_code, response.json_body["error"]["field"]) == (422, field), (path, query)
    within = get(client, f"{path}?from={_z(now - timedelta(days=1))}&to={_z(now + timedelta(hours=23))}")
    assert within.status_code == 200, within.body


def test_finance_endpoints_need_a_key(client):
    assert get(client, f"/v1/refunds?{RANGE}", {}).status_code == 401
    assert get(client, f"/v1/refunds/export.csv?{RANGE}", {}).status_code == 401


def test_finance_endpoints_need_the_finance_role_and_every_read_is_audited(aws, client):
    ssm = aws["session"].client("ssm")
    for key_id, secret, roles in [("clerk", "clerk-secret-0001", ["after_sales"]), ("fin", "fin-secret-00001", ["finance"])]:
        document = json.dumps({"sha256": secret_hash(secret), "roles": roles})
        ssm.put_parameter(Name=f"/aftersales/staff-keys/{key_id}", Value=document, Type="SecureString")
    clear_caches(aws["session"])
    clerk = {**STAFF_HEADERS, "X-Api-Key": "clerk.clerk-secret-0001"}
    finance = {**STAFF_HEADERS, "X-Api-Key": "fin.fin-secret-00001"}
    paths = [f"/v1/refunds?{RANGE}", f"/v1/refunds/export.csv?{RANGE}&marketplace=tmall",
             f"/v1/refunds/reconciliation?{RANGE}"]
    for path in paths:
        refused = get(client, path, clerk)
        assert (refused.status_code, refused.json_body["error"]["code"]) == (403, "role_required"), path
    assert audit_entries(aws) == []  # a refused read shows nothing and reads nothing
    assert [get(client, path, finance).status_code for path in paths] == [200, 200, 200]
    assert get(client, f"/v1/refunds?{RANGE}").status_code == 200  # ana: admin
    entries = audit_entries(aws)  # within one second: in no particular order
    assert sorted((e["subject"], e["action"], e["by"], e["from"], e.get("marketplace", ""), e["records"])
                  for e in entries) == sorted([
        ("refunds", "refunds.list", "fin", "127.0.0.1", "", 3),
        ("refunds", "refunds.export_csv", "fin", "127.0.0.1", "tmall", 2),
        ("refunds", "refunds.reconciliation", "fin", "127.0.0.1", "", 3),
        ("refunds", "refunds.list", "ana", "127.0.0.1", "", 3),
    ])
    assert {(e["since"], e["until"]) for e in entries} == {("2026-11-21T00:00:00Z", "2026-11-23T00:00:00Z")}


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
    assert [json.loads(line)["refund_id"] for line in lines] == [rf(1), rf(2)]
    assert [(json.loads(line)["shop"], json.loads(line)["return_id"]) for line in lines] == [("generic", "RT-1"), ("generic", "RT-2")]
    rows = list(csv.reader(io.StringIO(s3.get_object(Bucket="aftersales-archive", Key=result["keys"][0])["Body"].read().decode())))
    assert [row[0] for row in rows] == ["refund_id", rf(1), rf(2)]
    assert [row[-3:-1] for row in rows] == [["shop", "paid_by"], ["generic", "payment_provider"], ["generic", "payment_provider"]]
    assert export_day(date(2026, 11, 19), bootstrap())["records"] == 0  # an empty day still gets its files


def test_reconciliation_lists_exactly_the_planted_mismatches(aws, client, provider):
    returns = aws["dynamodb"].Table("aftersales-returns")
    quote = {"currency": "CNY", "total": "10.00", "total_minor": 1000, "capped": False,
             "entries": [{"code": "item", "line_id": "L1", "amount": "10.00", "reason": "1 of 1 units accepted"}]}
    returns.put_item(Item={"return_id": "generic/RT-1", "order_id": "generic/TM-1", "refund_id": rf(1), "quote": quote})
    returns.put_item(Item={"return_id": "generic/RT-2", "order_id": "generic/TM-2", "refund_id": rf(2),
                           "quote": {**quote, "total": "9.00", "total_minor": 900}})  # planted: quote != ledger
    # generic's RT-3 has no stored return at all (planted): another shop's RT-3, or a bare RT-3, is not it.
    returns.put_item(Item={"return_id": "outlet/RT-3", "order_id": "outlet/TM-3", "refund_id": "RF-outlet.RT-3", "quote": quote})
    returns.put_item(Item={"return_id": "RT-3", "order_id": "TM-3", "refund_id": "RF-RT-3", "quote": quote})
    # RF-generic.RT-1 is made never published (planted):
    ledger = aws["dynamodb"].Table("aftersales-refund-ledger")
    ledger.update_item(Key={"refund_id": rf(1)}, UpdateExpression="REMOVE published_at")
    # The provider paid a key no record has (planted); RT-2's is confirmed with another provider refund (planted).
    stray = provider.refund("TM-9", "CNY", "5.00", "RF-generic.RT-STRAY")
    ledger.update_item(Key={"refund_id": rf(2)}, UpdateExpression="SET provider_refund_id = :id",
                       ExpressionAttributeValues={":id": "PR-OTHER"})
    body = get(client, f"/v1/refunds/reconciliation?{RANGE}").json_body
    assert body["checked"] == 3
    assert sorted((m["refund_id"] or "", m["kind"]) for m in body["mismatches"]) == [
        ("", "provider_refund_without_record"), (rf(1), "never_published"),
        (rf(2), "provider_refund_differs"), (rf(2), "total_differs_from_quote"), (rf(3), "no_such_return"),
    ]
    [unrecorded] = [m for m in body["mismatches"] if m["kind"] == "provider_refund_without_record"]
    assert unrecorded["expected"]["provider_refund_id"] == stray["provider_refund_id"]
    [differs] = [m for m in body["mismatches"] if m["kind"] == "total_differs_from_quote"]
    assert (differs["ledger"], differs["expected"]) == (["10.00", "CNY"], ["9.00", "CNY"])
    assert (differs["shop"], differs["return_id"]) == ("generic", "RT-2")  # the shop's own id, and the shop
    returns.put_item(Item={"return_id": "generic/RT-2", "order_id": "generic/TM-2", "refund_id": rf(2), "quote": quote})
    returns.put_item(Item={"return_id": "generic/RT-3", "order_id": "generic/TM-3", "refund_id": rf(3), "quote": quote})
    ledger.update_item(Key={"refund_id": rf(1)}, UpdateExpression="SET published_at = :at", ExpressionAttributeValues={":at": "x"})
    ledger.update_item(Key={"refund_id": rf(2)}, UpdateExpression="SET provider_refund_id = :id",
                       ExpressionAttributeValues={":id": provider.refund("TM-2", "CNY", "10.00", rf(2))["provider_refund_id"]})
    ledger.put_item(Item={**ledger.get_item(Key={"refund_id": rf(1)})["Item"], "refund_id": "RF-generic.RT-STRAY",
                          "return_id": "generic/RT-STRAY", "issued_at": "2026-11-24T00:00:00Z", "issued_day": "2026-11-24",
                          "idempotency_key": "RF-generic.RT-STRAY"})  # its record is outside the range, not missing
    body = get(client, f"/v1/refunds/reconciliation?{RANGE}").json_body
    assert (body["mismatches"], body["open"]) == ([], [])


def test_reconciliation_lists_payments_under_way_as_open_and_a_provider_outage_as_503(aws, client, payment_service):
    ledger = aws["dynamodb"].Table("aftersales-refund-ledger")
    returns = aws["dynamodb"].Table("aftersales-returns")
    quote = {"currency": "CNY", "total": "10.00", "total_minor": 1000,
             "entries": [{"code": "item", "line_id": "L1", "amount": "10.00", "reason": "1 of 1 units accepted"}]}
    for n in (1, 2, 3):
        returns.put_item(Item={"return_id": f"generic/RT-{n}", "order_id": f"generic/TM-{n}", "refund_id": rf(n),
                               "quote": quote})
    ledger.put_item(Item={**ledger.get_item(Key={"refund_id": rf(1)})["Item"], "refund_id": rf(8),
                          "return_id": "generic/RT-1", "idempotency_key": rf(8), "payment_status": "sent",
                          "provider_refund_id": None, "published_at": None})
    returns.put_item(Item={"return_id": "generic/RT-1", "order_id": "generic/TM-1", "quote": quote})
    body = get(client, f"/v1/refunds/reconciliation?{RANGE}").json_body
    assert body["mismatches"] == []
    assert [(o["refund_id"], o["payment_status"], o["shop"], o["return_id"]) for o in body["open"]] == [
        (rf(8), "sent", "generic", "RT-1")]
    payment_service.stop()
    response = get(client, f"/v1/refunds/reconciliation?{RANGE}")
    assert (response.status_code, response.json_body["error"]["code"]) == (503, "provider_unavailable")
