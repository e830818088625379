"""Shopify's side of `make run` and `make chaos`: buyers and the merchant acting in the simulated Shopify (orders,
deliveries, return requests, refunds made in the admin), the carrier scanning the return parcel and the warehouse
inspecting it. Everything between is ours: the webhooks hydrated, the decision made and told to Shopify, the refund
made there, the merchant's own refunds kept in the ledger."""

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from chalicelib.connectors.shopify.webhook import number_of
from chalicelib.domain.connections import shopify_shop_name
from chalicelib.domain.tenancy import qualified
from localcloud.cloud import DEFAULT_SECRETS, LocalCloud
from localcloud.traffic import scan, until_answered
from localcloud.webhook_client import post_webhook

# Shopify's reasons as buyers pick them (a "defective" claim has no photos in Shopify: it waits for evidence).
REASONS = ["size_too_small"] * 4 + ["size_too_large", "unwanted"] * 3 + ["style", "color", "wrong_item", "defective"]
# Where a return stands once its decision is made (and told to Shopify) or it waits on a person.
DECIDED = frozenset({"awaiting_parcel", "rejected", "in_review", "failed", "expired"})


@dataclass
class ShopifyCase:
    lines: list[dict]
    reason: str
    refunded_first: bool  # the merchant refunds the first line in the admin before the buyer asks to return it
    returned: bool
    order: dict | None = None
    return_gid: str | None = None

    @property
    def return_id(self) -> str:
        return number_of(self.return_gid, "Return")


def shopify_cases(count: int, seed: int = 20261202) -> list[ShopifyCase]:
    rng = random.Random(seed)
    return [
        ShopifyCase(
            lines=[{"sku": f"SH-{rng.randint(1000, 9999)}", "quantity": rng.choice([1, 1, 2]),
                    "price": f"{rng.randint(8, 180)}.{rng.choice(['00', '50', '99'])}",
                    "product_type": rng.choice(["apparel", "footwear", "home"])} for _ in range(rng.choice([1, 2]))],
            reason=rng.choice(REASONS), refunded_first=rng.random() < 0.1, returned=rng.random() < 0.9,
        )
        for _ in range(count)
    ]


def shop_traffic(cloud: LocalCloud, domain: str, cases: list[ShopifyCase], timeout: float) -> list[str]:
    """Play the cases in the shop; the own ids of the returns asked for, to wait for as the others."""
    shopify, now = cloud.shopify, datetime.now(timezone.utc)
    shop = shopify_shop_name(domain)
    for n, case in enumerate(cases):
        case.order = shopify.create_order(domain, case.lines)
        shopify.fulfill(domain, case.order["order"], number=f"1ZOUT{n:06d}", delivered_at=now - timedelta(days=1 + n % 3))
        if case.refunded_first:
            line = case.lines[0]
            shopify.merchant_refund(domain, case.order["order"], [(case.order["lines"][0], 1)], line["price"])
    _settle(cloud, timeout)
    asked = [case for case in cases if case.returned]
    for case in asked:
        case.return_gid = shopify.request_return(domain, case.order["order"], [(case.order["lines"][0], 1, case.reason)])
    _settle(cloud, timeout)
    returns = cloud.dynamodb.Table("aftersales-returns")

    def statuses() -> dict:
        items = scan(returns, "return_id, #s", {"#s": "status"})
        return {item["return_id"]: item.get("status") for item in items}

    cloud.wait_until(lambda: all(statuses().get(qualified(shop, c.return_id)) in DECIDED for c in asked), timeout, 0.5)
    approved = [c for c in asked if statuses()[qualified(shop, c.return_id)] == "awaiting_parcel"]
    for case in approved:
        number = f"1ZRET{case.return_id[-10:]}"
        shopify.attach_return_tracking(domain, case.return_gid, "UPS", number)
        _send(cloud, "generic", {"event_id": f"scan-{number}", "type": "TrackingUpdated", "occurred_at": _iso(now),
                                 "data": {"carrier": "ups", "tracking_number": number, "status": "delivered"}})
    _settle(cloud, timeout)
    for case in approved:
        _send(cloud, "warehouse", {
            "event_id": f"receipt-{case.return_id}", "type": "InspectionCompleted", "shop": shop, "occurred_at": _iso(now),
            "data": {"return_id": case.return_id, "items": [{"line_id": number_of(case.order["lines"][0], "LineItem"),
                                                             "accepted": 1}]},
        })
    return [case.return_id for case in asked]


def shopify_refunds(cloud: LocalCloud) -> list[dict]:
    """Every refund the simulated shops hold, as the reconciliation compares them with the ledger."""
    refunds = []
    for domain in cloud.shopify_shops:
        for refund in cloud.shopify.refunds(domain):
            refunds.append({
                "shop": shopify_shop_name(domain), "marketplace_refund_id": number_of(refund["id"], "Refund"), "currency": "USD",
                "amount": str(Decimal(refund["total"]).quantize(Decimal("0.01"))), "return_gid": refund["return_id"],
            })
    return refunds


def _send(cloud: LocalCloud, source: str, body: dict) -> None:
    status, answer = until_answered(
        lambda: post_webhook(cloud.api_url, DEFAULT_SECRETS[source], json.dumps(body).encode(), source)
    )
    if status != 202:
        raise RuntimeError(f"{source} webhook refused: {status} {answer}")


def _settle(cloud: LocalCloud, timeout: float) -> None:
    cloud.shopify.wait_for_deliveries(timeout)
    cloud.wait_until(cloud.queue_idle, timeout, interval=0.2)


def _iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")
