"""A Shopify shop end to end: the simulated Shopify sends its webhooks (signed, retried) to our API, the consumer
hydrates them through the Admin API, the real state machine decides and answers in Shopify, and the refund is
made in Shopify once, under duplicated deliveries and a timeout after acting."""

import subprocess
import sys
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from chalicelib.connectors.shopify.webhook import number_of
from chalicelib.domain.tenancy import qualified
from localcloud.webhook_client import post_webhook
from tests.e2e.conftest import SECRET
from tests.webhook_events import encode

pytestmark = pytest.mark.e2e

ACME, TRIAL = "acme.myshopify.com", "trial.myshopify.com"
SHOP = {ACME: "shopify-acme", TRIAL: "shopify-trial"}


def now() -> datetime:
    return datetime.now(timezone.utc)


def iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def bought(cloud, domain=ACME, quantity=1):
    shopify = cloud.cloud.shopify
    order = shopify.create_order(domain, [
        {"sku": "SHOE-42", "quantity": quantity, "price": "25.00", "product_type": "footwear"},
        {"sku": "SOCK-3P", "quantity": 1, "price": "12.50", "product_type": "apparel"},
    ])
    shopify.fulfill(domain, order["order"], number=f"1Z{number_of(order['order'], 'Order')[-10:]}",
                    delivered_at=now() - timedelta(days=1))
    return order


def returned(cloud, order, domain=ACME, reason="size_too_small"):
    return cloud.cloud.shopify.request_return(domain, order["order"], [(order["lines"][0], 1, reason)])


def record(cloud, domain, return_gid) -> dict:
    key = {"return_id": qualified(SHOP[domain], number_of(return_gid, "Return"))}
    return cloud.cloud.dynamodb.Table("aftersales-returns").get_item(Key=key).get("Item") or {}


def wait_for(cloud, domain, return_gid, *statuses, timeout=30) -> dict:
    cloud.cloud.wait_until(lambda: record(cloud, domain, return_gid).get("status") in statuses, timeout)
    return record(cloud, domain, return_gid)


def shopify_return(cloud, domain, return_gid) -> dict:
    return next(r for r in cloud.cloud.shopify.returns(domain) if r["id"] == return_gid)


def ledger(cloud) -> list[dict]:
    return cloud.cloud.dynamodb.Table("aftersales-refund-ledger").scan()["Items"]


def warehouse_inspects(cloud, domain, return_gid, order):
    body = {"event_id": f"ins-{number_of(return_gid, 'Return')}", "type": "InspectionCompleted", "shop": SHOP[domain],
            "occurred_at": iso(now()), "data": {"return_id": number_of(return_gid, "Return"),
                                                "items": [{"line_id": number_of(order["lines"][0], "LineItem"), "accepted": 1}]}}
    status, answer = post_webhook(cloud.cloud.api_url, SECRET.decode(), encode(body), "shopify-warehouse")
    assert status == 202, answer


def parcel_delivered(cloud, number):
    body = {"event_id": f"trk-{number}", "type": "TrackingUpdated", "occurred_at": iso(now()),
            "data": {"carrier": "ups", "tracking_number": number, "status": "delivered"}}
    status, answer = post_webhook(cloud.cloud.api_url, SECRET.decode(), encode(body), "generic")
    assert status == 202, answer


def redeliver(cloud, topic):
    """Every delivery of `topic` sent again exactly as Shopify sent it (its retry: the same webhook id)."""
    for delivery in [d for d in cloud.cloud.shopify.deliveries if d["topic"] == topic]:
        request = urllib.request.Request(f"{cloud.cloud.api_url}/v1/webhooks/shopify", data=delivery["body"],
                                         headers=delivery["headers"], method="POST")
        with urllib.request.urlopen(request, timeout=5) as answer:
            assert answer.status == 202


def test_a_shopify_return_is_approved_in_shopify_and_refunded_there_once(cloud):
    shopify = cloud.cloud.shopify
    order = bought(cloud)
    return_gid = returned(cloud, order)

    wait_for(cloud, ACME, return_gid, "awaiting_parcel")
    assert shopify_return(cloud, ACME, return_gid)["status"] == "OPEN"  # approved in Shopify, by us
    redeliver(cloud, "returns/request")  # Shopify retries the request: the same return, one execution
    shopify.attach_return_tracking(ACME, return_gid, "UPS", f"1ZRET{number_of(return_gid, 'Return')[-8:]}")
    shopify.wait_for_deliveries(10)
    parcel_delivered(cloud, f"1ZRET{number_of(return_gid, 'Return')[-8:]}")
    wait_for(cloud, ACME, return_gid, "awaiting_inspection")
    shopify.time_out_next("AftersalesReturnProcess")  # the first refund call acts, and its answer comes too late
    warehouse_inspects(cloud, ACME, return_gid, order)

    closed = wait_for(cloud, ACME, return_gid, "refunded", timeout=45)
    [refund] = [r for r in shopify.refunds(ACME) if r["return_id"] == return_gid]
    ours = [item for item in ledger(cloud) if item.get("return_id") == closed["return_id"]]
    assert len(ours) == 1
    assert (ours[0]["paid_by"], ours[0]["payment_status"], ours[0]["total"]) == ("marketplace", "confirmed", "25.00")
    assert ours[0]["marketplace_refund_id"] == number_of(refund["id"], "Refund")
    assert shopify.calls["AftersalesReturnProcess"] == 1
    assert shopify_return(cloud, ACME, return_gid)["status"] == "CLOSED"
    redeliver(cloud, "refunds/create")
    cloud.cloud.wait_until(cloud.cloud.queue_idle, 20)
    assert len([item for item in ledger(cloud) if item.get("return_id") == closed["return_id"]]) == 1


def test_a_refund_the_merchant_made_in_the_admin_is_never_paid_again(cloud):
    shopify = cloud.cloud.shopify
    order = bought(cloud)
    shopify.merchant_refund(ACME, order["order"], [(order["lines"][0], 1)], "25.00")
    order_id = qualified(SHOP[ACME], number_of(order["order"], "Order"))
    cloud.cloud.wait_until(lambda: [i for i in ledger(cloud) if i["order_id"] == order_id], 30)

    return_gid = returned(cloud, order)  # the buyer asks to return the line already refunded

    closed = wait_for(cloud, ACME, return_gid, "rejected")
    assert closed["decision"]["code"] == "QUANTITY_EXCEEDED"
    # declined in Shopify, by us (the workflow's step after Verify)
    cloud.cloud.wait_until(lambda: shopify_return(cloud, ACME, return_gid)["status"] == "DECLINED", 20)
    assert shopify_return(cloud, ACME, return_gid)["decline"]["reason"] == "OTHER"
    [merchants] = [i for i in ledger(cloud) if i["order_id"] == order_id]
    assert (merchants["paid_by"], merchants["total"], merchants["policy_version"]) == ("marketplace", "25.00", "marketplace")
    assert len([r for r in shopify.refunds(ACME) if r["order_id"] == order["order"]]) == 1


def test_a_dry_run_shop_is_decided_and_refunded_on_paper_and_nothing_is_sent_to_shopify(cloud):
    shopify = cloud.cloud.shopify
    order = bought(cloud, TRIAL)
    return_gid = returned(cloud, order, TRIAL)
    wait_for(cloud, TRIAL, return_gid, "awaiting_parcel")
    assert shopify_return(cloud, TRIAL, return_gid)["status"] == "REQUESTED"  # the approval was only recorded
    number = f"1ZTRY{number_of(return_gid, 'Return')[-8:]}"  # no label in Shopify: staff link the parcel
    linked = cloud.staff("PUT", f"/v1/returns/{SHOP[TRIAL]}/{number_of(return_gid, 'Return')}/tracking",
                         {"carrier": "ups", "tracking_number": number})
    assert linked[0] == 200, linked
    parcel_delivered(cloud, number)
    wait_for(cloud, TRIAL, return_gid, "awaiting_inspection")
    warehouse_inspects(cloud, TRIAL, return_gid, order)

    closed = wait_for(cloud, TRIAL, return_gid, "dry_run_refunded", timeout=45)
    [paper] = [i for i in ledger(cloud) if i.get("return_id") == closed["return_id"]]
    assert (paper["paid_by"], paper["payment_status"]) == ("marketplace", "dry_run")
    assert [r for r in shopify.refunds(TRIAL)] == []
    trial_writes = [entry for entry in cloud.cloud.dynamodb.Table("aftersales-audit").scan()["Items"]
                    if entry["action"] == "shopify.dry_run" and entry.get("shop") == TRIAL]
    assert sorted(entry["operation"] for entry in trial_writes) == ["returnApproveRequest", "returnProcess"]
    process = next(entry for entry in trial_writes if entry["operation"] == "returnProcess")
    assert process["variables"]["input"]["returnId"] == return_gid
    assert process["variables"]["idempotencyKey"] == paper["refund_id"]
    assert shopify_return(cloud, TRIAL, return_gid)["status"] == "REQUESTED"


def test_an_exchange_asked_in_shopify_is_processed_there_with_the_difference_refunded(cloud):
    shopify = cloud.cloud.shopify
    order = bought(cloud)
    return_gid = shopify.request_return(ACME, order["order"], [(order["lines"][0], 1, "size_too_small")],
                                        exchange=[{"sku": "SHOE-43", "price": "20.00", "quantity": 1}])
    wait_for(cloud, ACME, return_gid, "awaiting_parcel")
    number = f"1ZEXC{number_of(return_gid, 'Return')[-8:]}"
    shopify.attach_return_tracking(ACME, return_gid, "UPS", number)
    shopify.wait_for_deliveries(10)
    parcel_delivered(cloud, number)
    wait_for(cloud, ACME, return_gid, "awaiting_inspection")
    warehouse_inspects(cloud, ACME, return_gid, order)

    closed = wait_for(cloud, ACME, return_gid, "exchanged", timeout=45)
    assert closed["exchange"]["replacement"]["sku"] == "SHOE-43"
    [refund] = [r for r in shopify.refunds(ACME) if r["return_id"] == return_gid]
    assert str(refund["total"]) == "5.00"  # 25.00 came back, the replacement costs 20.00
    found = shopify_return(cloud, ACME, return_gid)
    assert found["status"] == "CLOSED" and [line["processed_quantity"] for line in found["exchange_line_items"]] == [1]


def test_a_captured_shopify_webhook_replays_into_the_local_cloud_with_its_captured_answers(cloud, tmp_path):
    fixtures = Path(__file__).parents[1] / "fixtures" / "shopify"
    script = Path(__file__).parents[2] / "scripts" / "replay_shopify_webhook.py"
    replayed = subprocess.run(
        [sys.executable, str(script), cloud.cloud.api_url, str(fixtures / "webhook_returns_request.json"),
         "--topic", "returns/request", "--domain", TRIAL, "--shopify", cloud.cloud.shopify.url,
         "--answer", str(fixtures / "graphql_order.json"), "--answer", str(fixtures / "graphql_return.json")],
        capture_output=True, text=True, timeout=30,
    )
    assert replayed.returncode == 0 and "202" in replayed.stdout, replayed.stdout + replayed.stderr

    stored = wait_for(cloud, TRIAL, "gid://shopify/Return/9007199254740993", "awaiting_parcel")
    assert (stored["reason"], stored["order_id"]) == ("wrong_size", f"{SHOP[TRIAL]}/9007199254741001")
