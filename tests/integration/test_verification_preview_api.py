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


def store_generic_order(**data) -> None:
    """generic's TM-1001 as the edge stores it: its ids qualified by the shop."""
    order = {**ORDER, "order_id": "generic/TM-1001", "customer_id": "generic/C-1", **data}
    bootstrap().orders.upsert({**order, "marketplace": "tmall"}, "2026-11-20T08:00:00Z")


BY_ID = {**{key: value for key, value in REQUEST.items() if key != "order"}, "shop": "generic", "order_id": "TM-1001"}


def test_preview_of_a_stored_order_by_id_and_of_an_unknown_one(aws, client):
    store_generic_order()
    stored = preview(client, BY_ID).json_body
    assert (stored["code"], stored["facts"]["marketplace"]) == ("APPROVED", "tmall")
    assert preview(client, {**BY_ID, "order_id": "TM-NOPE"}).json_body["code"] == "ORDER_NOT_ELIGIBLE"
    # The order is the shop's: outlet has no TM-1001.
    assert preview(client, {**BY_ID, "shop": "outlet"}).json_body["code"] == "ORDER_NOT_ELIGIBLE"


def test_a_stored_order_is_named_by_its_shop_and_its_own_id(aws, client):
    store_generic_order()
    without_shop = preview(client, {key: value for key, value in BY_ID.items() if key != "shop"})
    assert without_shop.status_code == 422, without_shop.json_body
    assert "shop" in without_shop.json_body["error"]["message"]
    for changes, field in [({"shop": "Generic"}, "shop"), ({"shop": "gen/eric"}, "shop"), ({"shop": 7}, "shop"),
                           ({"order_id": "generic/TM-1001"}, "order_id")]:  # the edge qualifies, not the caller
        response = preview(client, {**BY_ID, **changes})
        assert (response.status_code, response.json_body["error"]["field"]) == (422, field), changes


def test_a_preview_reads_the_tier_of_the_shop_s_customer(aws, client):
    store_generic_order()
    bootstrap().customers.set_tier("generic/C-1", "vip", {}, "2026-11-20T00:00:00Z", "default-2026-11")
    bootstrap().customers.set_tier("C-1", "potential", {}, "2026-11-20T00:00:00Z", "default-2026-11")  # no shop's
    assert preview(client, BY_ID).json_body["facts"]["tier"] == "vip"
    inline = preview(client, {**REQUEST, "shop": "generic"}).json_body  # an inline order of generic's customer C-1
    assert inline["facts"]["tier"] == "vip"
    assert preview(client, {**REQUEST, "shop": "outlet"}).json_body["facts"]["tier"] == "normal"


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
