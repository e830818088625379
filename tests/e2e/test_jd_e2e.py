"""A JD store end to end: its buyers act on the simulated JOS gateway, the scheduled poller finds the changes by
update time, the consumer hydrates them through JOS, the real state machine decides, and the audit, the receipt and
the refund approval are made in JD as the store's operator; only JD finance's payment (status 3) is money."""

from datetime import datetime, timezone

import pytest

from chalicelib.domain.tenancy import qualified
from chalicelib.domain.tracking import shipment_id
from localcloud.cloud import DEFAULT_JD_SHOPS
from localcloud.webhook_client import post_webhook
from tests.e2e.conftest import SECRET
from tests.webhook_events import encode

pytestmark = pytest.mark.e2e

SHOP = "jd-acme"
VENDER = DEFAULT_JD_SHOPS[SHOP]["vender_id"]


def iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def poll(cloud) -> None:
    """What the schedule does (the local cloud polls JD on every run)."""
    cloud.cloud.fire_schedule("poll_marketplaces")


def record(cloud, return_id: str) -> dict:
    key = {"return_id": qualified(SHOP, return_id)}
    return cloud.cloud.dynamodb.Table("aftersales-returns").get_item(Key=key).get("Item") or {}


def polled_until(cloud, return_id: str, *statuses: str, timeout: float = 45) -> dict:
    def reached() -> bool:
        poll(cloud)
        return record(cloud, return_id).get("status") in statuses

    cloud.cloud.wait_until(reached, timeout, interval=0.5)
    return record(cloud, return_id)


def ledger(cloud, return_id: str) -> list[dict]:
    items = cloud.cloud.dynamodb.Table("aftersales-refund-ledger").scan()["Items"]
    return [item for item in items if item.get("return_id") == qualified(SHOP, return_id)]


def from_the_warehouse(cloud, body: dict) -> None:
    status, answer = post_webhook(cloud.cloud.api_url, SECRET.decode(), encode({**body, "shop": SHOP}), "shopify-warehouse")
    assert status == 202, answer


def test_a_jd_return_is_audited_received_and_refunded_by_jd_finance_once(cloud):
    jd = cloud.cloud.jd
    order = jd.add_order(VENDER, [{"price": "59.90", "quantity": 1, "outer_sku_id": "SHOE-42"}], state="FINISHED_L")
    sku = jd.order(order)["itemInfoList"][0]["skuId"]
    service = jd.open_service(order, sku, question=("尺码问题", "尺码不合适"))
    return_id = f"service-{service}"

    polled_until(cloud, return_id, "awaiting_parcel")
    assert jd.service(service)["serviceStatus"] == 10005  # audited in JD, by us: the buyer sends it back
    waybill = f"SF8{service[-11:]}"
    jd.buyer_ships(service, "顺丰速运", waybill)
    table = cloud.cloud.dynamodb.Table("aftersales-shipments")
    cloud.cloud.wait_until(lambda: (poll(cloud), (table.get_item(Key={"shipment_id": shipment_id("sf-express", waybill)})
                                                  .get("Item") or {}).get("return_id"))[1] == qualified(SHOP, return_id),
                           30, interval=0.5)
    status, answer = post_webhook(cloud.cloud.api_url, SECRET.decode(), encode({
        "event_id": f"trk-{waybill}", "type": "TrackingUpdated", "occurred_at": iso(datetime.now(timezone.utc)),
        "data": {"carrier": "sf-express", "tracking_number": waybill, "status": "delivered"}}), "generic")
    assert status == 202, answer
    polled_until(cloud, return_id, "awaiting_inspection")
    from_the_warehouse(cloud, {"event_id": f"ins-{service}", "type": "InspectionCompleted",
                               "occurred_at": iso(datetime.now(timezone.utc)),
                               "data": {"return_id": return_id, "items": [{"line_id": sku, "accepted": 1}]}})

    polled_until(cloud, return_id, "refunded")
    [paid] = ledger(cloud, return_id)
    assert (paid["paid_by"], paid["payment_status"], paid["total"]) == ("marketplace", "confirmed", "59.90")
    assert jd.refund_application(paid["marketplace_refund_id"])["status"] == 3
    assert jd.calls["jingdong.pop.afs.soa.refundapply.replyRefund"] == 1
    assert jd.calls["jingdong.asc.receive.register"] == 1


def test_a_jd_refund_that_jd_finance_failed_waits_in_the_finance_queue(cloud):
    jd = cloud.cloud.jd
    order = jd.add_order(VENDER, [{"price": "35.00", "quantity": 1, "outer_sku_id": "SOCK-3"}])
    application = jd.open_refund_application(order)
    return_id = f"refund-{application}"
    polled_until(cloud, return_id, "awaiting_hold")
    jd.fail_refund_next()
    from_the_warehouse(cloud, {"event_id": f"hold-{application}", "type": "HoldShipmentAnswered",
                               "occurred_at": iso(datetime.now(timezone.utc)),
                               "data": {"return_id": return_id, "outcome": "held"}})

    polled_until(cloud, return_id, "refund_failed")
    cloud.cloud.wait_until(lambda: record(cloud, return_id).get("review_queue") == "finance", 20)
    assert jd.refund_application(application)["status"] == 4
    [failed] = ledger(cloud, return_id)
    assert (failed["payment_status"], failed["payment_error"]["code"]) == ("failed", "refund_failed")
