"""POST /v1/verification-previews on moto: what the verifier would decide, for staff, with no side effects."""

import json

import pytest
from chalice.test import Client

from app import app
from chalicelib.bootstrap import bootstrap
from tests.integration.conftest import STAFF_HEADERS
from tests.webhook_events import order_upserted

ORDER = order_upserted()["data"]
REQUEST = {
    "order": ORDER, "reason": "wrong_size", "items": [{"line_id": "L2", "quantity": 1}],
    "requested_at": "2026-11-20T09:00:00Z",
}


@pytest.fixture
def client(aws):
    with Client(app) as client:
        yield client


def preview(client, body, headers=STAFF_HEADERS):
    return client.http.post(
        "/v1/verification-previews", headers=headers, body=body if isinstance(body, str) else json.dumps(body)
    )


def test_preview_answers_the_decision_with_its_facts_and_policy(client):
    response = preview(client, REQUEST)
    assert response.status_code == 200
    body = response.json_body
    assert (body["outcome"], body["code"], body["policy_version"], body["dry_run"]) == (
        "return", "APPROVED", "default-2026-11", True
    )
    assert body["facts"]["window_days"] == {"L2": 7}
    assert body["facts"]["estimate"] == "27.69"  # 1 of 3 units of L2: (99.99 - 9.99 - 6.94 of the coupon) / 3
    assert body["policy"]["manual_review_above"] == "2000.00"


@pytest.mark.parametrize(
    "changes, code",
    [
        ({"reason": "quality_issue"}, "EVIDENCE_REQUIRED"),
        ({"reason": "quality_issue", "evidence_urls": ["https://img.example.com/1.jpg"]}, "APPROVED"),
        ({"requested_at": "2026-11-25T08:00:01Z"}, "WINDOW_EXPIRED"),
        ({"returns_30d": 5}, "RETURN_ABUSE_SIGNAL"),
        ({"items": [{"line_id": "L2", "quantity": 4}]}, "QUANTITY_EXCEEDED"),
        ({"order": {**ORDER, "lines": [{**ORDER["lines"][0], "unit_price": "2100.00"}]},
          "items": [{"line_id": "L1", "quantity": 1}]}, "HIGH_VALUE"),
    ],
)
def test_preview_walks_the_decision_table(client, changes, code):
    assert preview(client, {**REQUEST, **changes}).json_body["code"] == code


def test_preview_of_a_stored_order_by_id_and_of_an_unknown_one(aws, client):
    bootstrap().orders.upsert({**ORDER, "marketplace": "tmall"}, "2026-11-20T08:00:00Z")
    request = {key: value for key, value in REQUEST.items() if key != "order"}
    stored = preview(client, {**request, "order_id": "TM-1001"}).json_body
    assert (stored["code"], stored["facts"]["marketplace"]) == ("APPROVED", "tmall")
    assert preview(client, {**request, "order_id": "TM-NOPE"}).json_body["code"] == "ORDER_NOT_ELIGIBLE"


def test_preview_uses_the_published_policy_for_the_marketplace(aws, client):
    aws["session"].client("ssm").put_parameter(
        Name="/aftersales/policy", Type="String",
        Value=json.dumps({"version": "v7", "marketplaces": {"jd": {"categories": {"apparel": {"return_window_days": 1}}}}}),
    )
    body = preview(client, {**REQUEST, "marketplace": "jd"}).json_body
    assert (body["code"], body["policy_version"], body["facts"]["window_days"]) == ("WINDOW_EXPIRED", "v7", {"L2": 1})


def test_a_preview_writes_nothing(aws, client):
    preview(client, REQUEST)
    preview(client, {**REQUEST, "reason": "quality_issue"})
    for table in ("aftersales-returns", "aftersales-orders", "aftersales-event-log", "aftersales-refund-ledger"):
        assert aws["dynamodb"].Table(table).scan()["Items"] == []


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Type": "application/json"},
        {**STAFF_HEADERS, "X-Api-Key": "ana.wrong-secret"},
        {**STAFF_HEADERS, "X-Api-Key": "bob.ana-secret"},
        {**STAFF_HEADERS, "X-Api-Key": "ana"},
        {**STAFF_HEADERS, "X-Api-Key": "../../aftersales/webhook-secrets/generic.generic-secret"},
    ],
)
def test_preview_needs_a_valid_staff_key(client, headers):
    response = preview(client, REQUEST, headers)
    assert response.status_code == 401
    assert response.json_body["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"reason": "bored"}, "reason"),
        ({"items": []}, "items"),
        ({"items": [{"line_id": "L1", "quantity": 0}]}, "items[0].quantity"),
        ({"order": None}, ""),
        ({"order": {**ORDER, "shipping_fee": "12.5"}}, "order.shipping_fee"),
        ({"return_shipping_paid": "18.5"}, "return_shipping_paid"),
        ({"requested_at": "2026-11-20T09:00:00"}, "requested_at"),
        ({"tier": "gold"}, "tier"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_invalid_previews_answer_422_naming_the_field(client, changes, field):
    response = preview(client, {**REQUEST, **changes})
    assert response.status_code == 422, response.json_body
    assert response.json_body["error"]["field"] == (field or None)


def test_a_body_that_is_not_json_answers_400(client):
    response = preview(client, "{nope")
    assert (response.status_code, response.json_body["error"]["code"]) == (400, "invalid_json")
