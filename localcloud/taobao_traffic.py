"""Tmall's side of `make run` and `make chaos`: buyers asking in the simulated TOP gateway (returns, exchanges,
refund-only requests before and after shipment, a refund large enough for the SMS-code step) and Tmall refunding
by itself (极速退款); the carrier scanning parcels and the warehouse holding, inspecting and sending replacements.
Everything between is ours: TMC relayed by the scheduled poller, refunds and exchanges hydrated through TOP, the
answers, refunds and replacement waybills made in Tmall."""

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from chalicelib.connectors.china import china_time
from chalicelib.domain.tenancy import qualified
from localcloud.cloud import DEFAULT_SECRETS, DEFAULT_STAFF_KEYS, LocalCloud
from localcloud.traffic import scan, until_answered
from localcloud.webhook_client import call_staff_api, post_webhook

# What buyers ask for, by share: returns, exchanges for another size, refund-only before shipment (a cancellation),
# refund-only in transit (the parcel intercepted), and refunds Tmall makes by itself before we hear of them.
KINDS = ["return"] * 5 + ["exchange"] + ["before_shipment"] * 2 + ["in_transit", "in_transit", "fast_refund"]
REASONS = ["尺码不合适", "7天无理由退换货", "不喜欢/效果不好", "拍错/多拍/不想要"]
# Where a request stands once the workflow needs the buyer, the carrier, the warehouse or a person.
WAITING = frozenset({"awaiting_parcel", "awaiting_hold", "refund_failed", "rejected", "in_review", "failed", "expired",
                     "refunded", "exchanged"})
GOODS_BACK = frozenset({"return", "exchange"})
_ids = iter(range(2**53 + 1_000_001, 2**62, 10))


@dataclass
class TaobaoCase:
    kind: str
    price: str
    reason: str
    tid: int | None = None
    oid: int | None = None
    refund_id: str | None = None
    waybill: str | None = None


def taobao_cases(count: int, seed: int = 20261203) -> list[TaobaoCase]:
    """`count` requests, plus an exchange and one refund above the SMS threshold (3,000 CNY)."""
    rng = random.Random(seed)
    cases = [TaobaoCase(kind=rng.choice(KINDS), price=f"{rng.randint(19, 399)}.{rng.choice(['00', '90', '99'])}",
                        reason=rng.choice(REASONS)) for _ in range(count)]
    return cases + [TaobaoCase(kind="exchange", price="129.00", reason="尺码不合适"),
                    TaobaoCase(kind="before_shipment", price="3200.00", reason="拍错/多拍/不想要")]


def store_traffic(cloud: LocalCloud, shop: str, cases: list[TaobaoCase], timeout: float) -> list[str]:
    """Play the cases in the store; the own ids of the requests that became returns, to wait for as the others."""
    taobao, seller, now = cloud.taobao, cloud.taobao_shops[shop]["seller_id"], datetime.now(timezone.utc)
    for case in cases:
        case.tid = next(_ids)
        case.oid = case.tid + 2
        shipped = case.kind not in ("before_shipment", "fast_refund")
        trade = {
            "tid": case.tid, "status": "TRADE_FINISHED" if case.kind in GOODS_BACK else (
                "WAIT_BUYER_CONFIRM_GOODS" if shipped else "WAIT_SELLER_SEND_GOODS"),
            "payment": case.price, "post_fee": "0.00", "discount_fee": "0.00",
            "created": china_time(now - timedelta(days=4)), "modified": china_time(now - timedelta(days=2)),
            "pay_time": china_time(now - timedelta(days=4)), "buyer_open_uid": f"AAH{case.tid}",
            "orders": [{"oid": case.oid, "num": 1, "price": case.price, "payment": case.price,
                        "outer_sku_id": f"TM-{case.tid % 9000 + 1000}"}],
        }
        if shipped:
            case.waybill = f"SF{case.tid % 10**12:012d}"
            trade.update(consign_time=china_time(now - timedelta(days=3)))
            trade["orders"][0].update(logistics_company="顺丰速运", invoice_no=case.waybill)
            if trade["status"] == "TRADE_FINISHED":
                trade["end_time"] = china_time(now - timedelta(days=1))
        taobao.add_trade(seller, trade)
        dispute = {"return": "REFUND_AND_RETURN", "exchange": "TMALL_EXCHANGE"}.get(case.kind, "REFUND")
        case.refund_id = taobao.open_refund(seller, case.tid, case.oid, dispute, case.price, reason=case.reason,
                                            exchange_sku=str(case.tid % 10**9) if case.kind == "exchange" else None)
        if case.kind == "fast_refund":
            taobao.fast_refund(case.refund_id)
    asked = [case for case in cases if case.kind != "fast_refund"]
    statuses = relayed_until(cloud, shop, [case.refund_id for case in asked], timeout)
    for case in asked:
        status = statuses[qualified(shop, case.refund_id)]
        if status == "awaiting_hold":
            send_event(cloud, "warehouse", {"event_id": f"hold-{case.refund_id}", "type": "HoldShipmentAnswered",
                                            "shop": shop, "occurred_at": utc_now(),
                                            "data": {"return_id": case.refund_id, "outcome": "held"}})
        elif status == "awaiting_parcel" and case.kind == "in_transit":
            scan_parcel(cloud, case.waybill, "returned_to_sender")  # intercepted: the carrier brings it back
        elif status == "awaiting_parcel":
            back = f"SF9{case.refund_id[-11:]}"
            taobao.buyer_returns_goods(case.refund_id, "顺丰速运", back)
            case.waybill = back
    returned = [c for c in asked if c.kind in GOODS_BACK and statuses[qualified(shop, c.refund_id)] == "awaiting_parcel"]
    relay_settled(cloud, timeout)
    for case in returned:
        scan_parcel(cloud, case.waybill, "delivered")
    relay_settled(cloud, timeout)
    for case in returned:
        send_event(cloud, "warehouse", {
            "event_id": f"receipt-{case.refund_id}", "type": "InspectionCompleted", "shop": shop, "occurred_at": utc_now(),
            "data": {"return_id": case.refund_id, "items": [{"line_id": str(case.oid), "accepted": 1}]},
        })
    statuses = relayed_until(cloud, shop, [case.refund_id for case in asked], timeout,
                             ("awaiting_hold", "awaiting_parcel", "awaiting_inspection"))
    for case in asked:
        if statuses[qualified(shop, case.refund_id)] == "refund_failed" and taobao.sms_code(seller):
            _give_sms_code(cloud, shop, case.refund_id, taobao.sms_code(seller))
    exchanged = [c for c in asked if statuses[qualified(shop, c.refund_id)] == "exchanged"]
    for case in exchanged:  # the warehouse sends the replacement, and the buyer gets it
        send_event(cloud, "warehouse", {
            "event_id": f"replacement-{case.refund_id}", "type": "ReplacementShipped", "shop": shop,
            "occurred_at": utc_now(), "data": {"return_id": case.refund_id, "shipment": {
                "carrier": "sf-express", "tracking_number": f"SF6{case.refund_id[-11:]}"}},
        })
    cloud.wait_until(cloud.queue_idle, timeout, 0.3)
    for case in exchanged:
        if taobao.exchange_status(case.refund_id) == "待买家收货":
            taobao.buyer_receives_replacement(case.refund_id)
    relay_settled(cloud, timeout)
    return [case.refund_id for case in asked]


def taobao_refunds(cloud: LocalCloud) -> list[dict]:
    """Every refund the simulated Tmall made (ours and its own), as the reconciliation compares them."""
    return [
        {"shop": shop, "marketplace_refund_id": str(refund["refund_id"]), "currency": "CNY",
         "amount": str(Decimal(refund["refund_fee"]).quantize(Decimal("0.01"))), "paid_by": refund["paid_by"]}
        for shop, store in cloud.taobao_shops.items() for refund in cloud.taobao.refunds(store["seller_id"])
        if refund["paid_by"]
    ]


def relayed_until(cloud: LocalCloud, shop: str, return_ids: list[str], timeout: float,
                  still: tuple[str, ...] = ()) -> dict:
    """Run the marketplace poller (the schedule's work) until every return stands where a party outside must act
    (and not in `still`); their statuses."""
    returns = cloud.dynamodb.Table("aftersales-returns")
    keys = {qualified(shop, return_id) for return_id in return_ids}
    found: dict = {}

    def settled() -> bool:
        cloud.fire_schedule("poll_marketplaces")
        found.update({item["return_id"]: item.get("status") for item in scan(returns, "return_id, #s", {"#s": "status"})
                      if item["return_id"] in keys})
        return all(found.get(key) in WAITING - set(still) for key in keys)

    cloud.wait_until(settled, timeout, 0.5)
    return found


def relay_settled(cloud: LocalCloud, timeout: float) -> None:
    """Run the marketplace poller and let the consumer apply what it queued, twice: what our answers in the
    marketplaces made happen there (Tmall's RefundSuccess) comes with the second run. (JD's poll reads its overlap
    again every run: waiting for a run that queues nothing would wait for ever.)"""
    for _ in range(2):
        cloud.fire_schedule("poll_marketplaces")
        cloud.wait_until(cloud.queue_idle, timeout, 0.3)


def scan_parcel(cloud: LocalCloud, waybill: str, status: str) -> None:
    """SF scans the parcel (through the generic shop, which relays its carriers' scans)."""
    send_event(cloud, "generic", {"event_id": f"scan-{waybill}-{status}", "type": "TrackingUpdated",
                                  "occurred_at": utc_now(),
                                  "data": {"carrier": "sf-express", "tracking_number": waybill, "status": status}})


def _give_sms_code(cloud: LocalCloud, shop: str, refund_id: str, code: str) -> None:
    secret, _ = DEFAULT_STAFF_KEYS["local-finance"]
    status, answer = call_staff_api(cloud.api_url, f"local-finance.{secret}", "POST",
                                    f"/v1/refunds/{shop}/{refund_id}/sms-code", {"code": code})
    if status != 200:
        raise RuntimeError(f"the SMS code for {refund_id} was refused: {status} {answer}")


def send_event(cloud: LocalCloud, source: str, body: dict) -> None:
    status, answer = until_answered(
        lambda: post_webhook(cloud.api_url, DEFAULT_SECRETS[source], json.dumps(body).encode(), source)
    )
    if status != 202:
        raise RuntimeError(f"{source} webhook refused: {status} {answer}")


def utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
