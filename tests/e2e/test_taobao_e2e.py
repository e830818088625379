"""A Tmall store end to end: its buyers act on the simulated TOP gateway, the scheduled relay brings TMC's messages
to the ingest queue (and confirms them only then), the consumer hydrates them through TOP, the real state machine
decides, and the seller's answers and the refund are made in Tmall through TOP, once."""

import json
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.connectors.china import china_time
from chalicelib.domain.tenancy import qualified
from chalicelib.domain.tracking import shipment_id
from localcloud.cloud import DEFAULT_TAOBAO_SHOPS
from localcloud.webhook_client import post_webhook
from tests.e2e.conftest import SECRET
from tests.webhook_events import encode

pytestmark = pytest.mark.e2e

SHOP = "tmall-acme"
SELLER = DEFAULT_TAOBAO_SHOPS[SHOP]["seller_id"]
_ids = iter(range(2**53 + 10_001, 2**60, 1_000))


def now() -> datetime:
    return datetime.now(timezone.utc)


def iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def trade(cloud, status: str, shipped: bool, price: str = "59.90") -> dict:
    tid = next(_ids)
    found = {
        "tid": tid, "status": status, "payment": price, "post_fee": "0.00", "discount_fee": "0.00",
        "created": china_time(now() - timedelta(days=4)), "modified": china_time(now() - timedelta(days=2)),
        "pay_time": china_time(now() - timedelta(days=4)), "buyer_open_uid": f"AAH{tid}",
        "orders": [{"oid": tid + 2, "num": 1, "price": price, "payment": price, "outer_sku_id": "SHIRT-M"}],
    }
    if shipped:
        found.update(consign_time=china_time(now() - timedelta(days=3)), end_time=china_time(now() - timedelta(days=1)))
        found["orders"][0].update(logistics_company="顺丰速运", invoice_no=f"SF{tid % 10**12}")
    cloud.cloud.taobao.add_trade(SELLER, found)
    return found


def relay(cloud) -> None:
    """What the schedule does every minute: TMC's messages to the ingest queue."""
    cloud.cloud.fire_schedule("poll_marketplaces")


def record(cloud, refund_id: str) -> dict:
    key = {"return_id": qualified(SHOP, refund_id)}
    return cloud.cloud.dynamodb.Table("aftersales-returns").get_item(Key=key).get("Item") or {}


def relayed_until(cloud, refund_id: str, *statuses: str, timeout: float = 45) -> dict:
    def reached() -> bool:
        relay(cloud)
        return record(cloud, refund_id).get("status") in statuses

    cloud.cloud.wait_until(reached, timeout, interval=0.5)
    return record(cloud, refund_id)


def linked(cloud, carrier: str, waybill: str) -> str | None:
    """The return the parcel is linked to (RefundBuyerReturnGoods names it)."""
    table = cloud.cloud.dynamodb.Table("aftersales-shipments")
    return (table.get_item(Key={"shipment_id": shipment_id(carrier, waybill)}).get("Item") or {}).get("return_id")


def tmall_refund(cloud, refund_id: str) -> dict:
    return next(r for r in cloud.cloud.taobao.refunds(SELLER) if str(r["refund_id"]) == refund_id)


def ledger(cloud, refund_id: str) -> list[dict]:
    items = cloud.cloud.dynamodb.Table("aftersales-refund-ledger").scan()["Items"]
    return [item for item in items if item.get("return_id") == qualified(SHOP, refund_id)]


def from_the_warehouse(cloud, body: dict) -> None:
    status, answer = post_webhook(cloud.cloud.api_url, SECRET.decode(), encode({**body, "shop": SHOP}), "shopify-warehouse")
    assert status == 202, answer


def goods_back_and_inspected(cloud, refund_id: str, oid, waybill: str) -> None:
    """The buyer sends the goods back (linked through TMC), SF delivers them and the warehouse accepts them."""
    cloud.cloud.taobao.buyer_returns_goods(refund_id, "顺丰速运", waybill)
    cloud.cloud.wait_until(lambda: (relay(cloud), linked(cloud, "sf-express", waybill))[1] == qualified(SHOP, refund_id),
                           30, interval=0.5)
    status, answer = post_webhook(cloud.cloud.api_url, SECRET.decode(), encode({
        "event_id": f"trk-{waybill}", "type": "TrackingUpdated", "occurred_at": iso(now()),
        "data": {"carrier": "sf-express", "tracking_number": waybill, "status": "delivered"}}), "generic")
    assert status == 202, answer
    relayed_until(cloud, refund_id, "awaiting_inspection")
    from_the_warehouse(cloud, {"event_id": f"ins-{refund_id}", "type": "InspectionCompleted", "occurred_at": iso(now()),
                               "data": {"return_id": refund_id, "items": [{"line_id": str(oid), "accepted": 1}]}})


def test_a_tmall_return_is_agreed_in_tmall_and_refunded_there_once(cloud):
    taobao = cloud.cloud.taobao
    bought = trade(cloud, "TRADE_FINISHED", shipped=True)
    refund_id = taobao.open_refund(SELLER, bought["tid"], bought["orders"][0]["oid"], "REFUND_AND_RETURN", "59.90",
                                   reason="尺码不合适")

    relayed_until(cloud, refund_id, "awaiting_parcel")
    assert tmall_refund(cloud, refund_id)["status"] == "WAIT_BUYER_RETURN_GOODS"  # agreed in Tmall, by us
    assert tmall_refund(cloud, refund_id)["seller_address_id"] == "1001"
    goods_back_and_inspected(cloud, refund_id, bought["orders"][0]["oid"], f"SF9{refund_id[-11:]}")

    closed = relayed_until(cloud, refund_id, "refunded")
    assert tmall_refund(cloud, refund_id)["status"] == "SUCCESS"
    assert tmall_refund(cloud, refund_id)["paid_by"] == "seller"
    [paid] = ledger(cloud, refund_id)
    assert (paid["paid_by"], paid["payment_status"], paid["total"], paid["marketplace_refund_id"]) == (
        "marketplace", "confirmed", "59.90", refund_id)
    assert closed["marketplace_version"]
    assert taobao.calls["taobao.rp.refunds.agree"] == 1 and taobao.calls["taobao.rp.refund.review"] == 1
    relay(cloud)  # RefundSuccess comes back through TMC: it is our refund, already in the ledger
    cloud.cloud.wait_until(cloud.cloud.queue_idle, 20)
    assert len(ledger(cloud, refund_id)) == 1
    # And the lake has it: the return, its line, its decision, its parcel's scans and its refund, each once or more.
    [row] = {json.dumps(r, sort_keys=True): r for r in lake(cloud, "returns") if r["return_id"] == refund_id}.values()
    assert (row["shop"], row["platform"], row["outcome"], row["zero_touch"], row["reason"]) == (
        SHOP, "tmall", "refunded", True, "wrong_size")
    assert row["requested_at"] <= row["decided_at"] <= row["delivered_at"] <= row["inspected_at"] <= row["closed_at"]
    assert row["refund_minor"] == 5990 and row["currency"] == "CNY" and row["carrier"] == "sf-express"
    assert {r["units_requested"] for r in lake(cloud, "return_lines") if r["return_id"] == refund_id} == {1}
    assert {r["rule_code"] for r in lake(cloud, "decisions") if r["return_id"] == refund_id} == {"APPROVED"}
    assert "delivered" in {r["status"] for r in lake(cloud, "checkpoints") if r["return_id"] == refund_id}
    assert {(r["amount_minor"], r["paid_by"]) for r in lake(cloud, "refunds") if r["return_id"] == refund_id} == {
        (5990, "marketplace")}
    assert any(r["order_id"] == str(bought["tid"]) for r in lake(cloud, "order_lines"))


def lake(cloud, table: str) -> list[dict]:
    """The rows of one lake table the local cloud's delivery wrote to S3 so far."""
    from chalicelib import resources

    cloud.cloud.lake.flush()
    s3 = cloud.cloud.session.client("s3")
    rows = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=resources.ANALYTICS_BUCKET, Prefix=f"analytics/{table}/"):
        for found in page.get("Contents", []):
            body = s3.get_object(Bucket=resources.ANALYTICS_BUCKET, Key=found["Key"])["Body"].read().decode()
            rows += [json.loads(line) for line in body.splitlines() if line]
    return rows


def test_a_tmall_refund_only_before_shipment_is_held_by_the_warehouse_and_refunded(cloud):
    taobao = cloud.cloud.taobao
    bought = trade(cloud, "WAIT_SELLER_SEND_GOODS", shipped=False, price="35.00")
    refund_id = taobao.open_refund(SELLER, bought["tid"], bought["orders"][0]["oid"], "REFUND", "35.00",
                                   reason="拍错/多拍/不想要")

    waiting = relayed_until(cloud, refund_id, "awaiting_hold")
    assert (waiting["resolution"], waiting["decision"]["code"]) == ("refund_only", "CANCEL_BEFORE_SHIPMENT")
    from_the_warehouse(cloud, {"event_id": f"hold-{refund_id}", "type": "HoldShipmentAnswered", "occurred_at": iso(now()),
                               "data": {"return_id": refund_id, "outcome": "held"}})

    relayed_until(cloud, refund_id, "refunded")
    assert tmall_refund(cloud, refund_id)["status"] == "SUCCESS"
    [paid] = ledger(cloud, refund_id)
    assert (paid["total"], paid["paid_by"]) == ("35.00", "marketplace")


def test_a_fast_refund_tmall_made_by_itself_is_recorded_and_never_paid_again(cloud):
    taobao = cloud.cloud.taobao
    bought = trade(cloud, "WAIT_SELLER_SEND_GOODS", shipped=False, price="12.00")
    refund_id = taobao.open_refund(SELLER, bought["tid"], bought["orders"][0]["oid"], "REFUND", "12.00")
    taobao.fast_refund(refund_id)  # 极速退款: before we heard of the request

    cloud.cloud.wait_until(lambda: (relay(cloud), ledger(cloud, refund_id))[1], 45, interval=0.5)
    relay(cloud)
    cloud.cloud.wait_until(cloud.cloud.queue_idle, 20)
    [paid] = ledger(cloud, refund_id)
    assert (paid["paid_by"], paid["policy_version"], paid["total"]) == ("marketplace", "marketplace", "12.00")
    assert tmall_refund(cloud, refund_id)["paid_by"] == "platform"
    assert not record(cloud, refund_id).get("order_id")  # nothing left to decide: no workflow, no second refund


def test_a_large_refund_waits_for_the_sellers_sms_code_given_through_the_staff_route(cloud):
    taobao = cloud.cloud.taobao
    bought = trade(cloud, "WAIT_SELLER_SEND_GOODS", shipped=False, price="3500.00")
    refund_id = taobao.open_refund(SELLER, bought["tid"], bought["orders"][0]["oid"], "REFUND", "3500.00")
    relayed_until(cloud, refund_id, "awaiting_hold")
    from_the_warehouse(cloud, {"event_id": f"hold-{refund_id}", "type": "HoldShipmentAnswered", "occurred_at": iso(now()),
                               "data": {"return_id": refund_id, "outcome": "held"}})

    relayed_until(cloud, refund_id, "refund_failed")  # in the finance queue: Taobao sent the seller a code
    [waiting] = ledger(cloud, refund_id)
    assert waiting["payment_error"]["code"] == "sms_code_required"
    path = f"/v1/refunds/{SHOP}/{refund_id}/sms-code"
    assert cloud.staff("POST", path, {"code": "000000"})[0] == 422  # not the code Taobao sent
    status, answer = cloud.staff("POST", path, {"code": taobao.sms_code(SELLER)})

    assert status == 200, answer
    relayed_until(cloud, refund_id, "refunded")
    assert tmall_refund(cloud, refund_id)["status"] == "SUCCESS"
    [paid] = ledger(cloud, refund_id)
    assert (paid["payment_status"], paid["total"]) == ("confirmed", "3500.00")
    assert cloud.staff("POST", path, {"code": taobao.sms_code(SELLER) or "123456"})[0] == 409


def tmall_exchange(cloud, refund_id: str) -> dict:
    return tmall_refund(cloud, refund_id)["exchange"]


def test_a_tmall_exchange_is_answered_in_tmall_and_its_replacement_waybill_told_there_once(cloud):
    taobao = cloud.cloud.taobao
    bought = trade(cloud, "TRADE_FINISHED", shipped=True)
    oid = bought["orders"][0]["oid"]
    refund_id = taobao.open_refund(SELLER, bought["tid"], oid, "TMALL_EXCHANGE", "59.90", reason="尺码不合适",
                                   exchange_sku="5230918800123")

    waiting = relayed_until(cloud, refund_id, "awaiting_parcel")
    assert waiting["resolution"] == "exchange"
    assert waiting["replacement"] == {"sku": "5230918800123", "unit_price": "59.90", "quantity": 1, "like_for_like": True}
    assert (tmall_exchange(cloud, refund_id)["status"], tmall_exchange(cloud, refund_id)["address_id"]) == (2, "1001")
    goods_back_and_inspected(cloud, refund_id, oid, f"SF8{refund_id[-11:]}")

    relayed_until(cloud, refund_id, "exchanged")
    assert tmall_exchange(cloud, refund_id)["status"] == 12  # the goods confirmed received in Tmall: send the new one
    replacement, consigned = f"SF7{refund_id[-11:]}", taobao.calls["tmall.exchange.consigngoods"]
    for attempt in ("a", "b"):  # the warehouse says it twice, under two ids
        from_the_warehouse(cloud, {"event_id": f"rep-{refund_id}-{attempt}", "type": "ReplacementShipped",
                                   "occurred_at": iso(now()), "data": {"return_id": refund_id, "shipment": {
                                       "carrier": "sf-express", "tracking_number": replacement}}})
    cloud.cloud.wait_until(lambda: tmall_exchange(cloud, refund_id)["status"] == 13, 30, interval=0.3)
    cloud.cloud.wait_until(cloud.cloud.queue_idle, 20)
    assert (tmall_exchange(cloud, refund_id)["seller_logistic_no"],
            tmall_exchange(cloud, refund_id)["seller_logistic_name"]) == (replacement, "顺丰速运")
    assert taobao.calls["tmall.exchange.consigngoods"] == consigned + 1
    assert record(cloud, refund_id)["replacement_shipment"]["tracking_number"] == replacement
    taobao.buyer_receives_replacement(refund_id)
    relay(cloud)
    cloud.cloud.wait_until(cloud.cloud.queue_idle, 20)
    assert ledger(cloud, refund_id) == []  # an exchange moves goods, never money
    assert tmall_refund(cloud, refund_id)["paid_by"] is None
