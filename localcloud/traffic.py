"""Driving the local cloud like its users do, and reading back what happened (make run, make chaos)."""

import json
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from chalicelib.adapters.dynamodb.ledger import record_of
from chalicelib.adapters.dynamodb.returns import return_of
from chalicelib.adapters.http.payment_provider import HttpPaymentProvider
from chalicelib.domain.reconciliation import reconcile
from chalicelib.domain.returns import CLOSED
from chalicelib.domain.tenancy import own_id
from localcloud.cloud import DEFAULT_PAYMENT_KEY, DEFAULT_SECRETS, LocalCloud
from localcloud.sample_traffic import Case
from localcloud.webhook_client import post_carrier_push, post_webhook

WAITING_ON_A_PERSON = ("failed", "in_review", "refund_failed")
# Webhooks are sent in slices of this many, the next once the queue is down to half a slice: moto's SQS walks
# every queued message on each call, so a queue thousands deep slows every handler (a sender that never paused
# took minutes longer for 2,000 orders than one that does).
PACE = 200
# A webhook answered with a 5xx is sent again, as marketplaces and carriers do, after 0.05 s, 0.1 s, ...
RESENDS = 6


def send_traffic(cloud: LocalCloud, cases: list[Case], stream: list[dict], timeout: float) -> tuple[list[int], dict]:
    """The orders first (and let them be applied), then the stream of return-side webhooks, eight at a time, each
    on its channel, paced by the queue's depth; the statuses answered, and when each event id was first sent."""
    secret = DEFAULT_SECRETS["generic"]
    orders = [{"event_id": f"ou-{c.order['order_id']}", "type": "OrderUpserted",
               "occurred_at": "2026-11-10T08:00:00Z", "data": c.order} for c in cases]
    sent_at: dict[str, float] = {}

    def send(item: dict) -> int:
        channel = item.get("channel", "generic")
        body = json.dumps(item.get("body", item)).encode()
        sent_at.setdefault(item["event_id"], time.monotonic())
        if channel == "warehouse":
            post = partial(post_webhook, cloud.api_url, DEFAULT_SECRETS["warehouse"], body, "warehouse")
        elif channel == "generic":
            post = partial(post_webhook, cloud.api_url, secret, body)
        else:
            post = partial(post_carrier_push, cloud.api_url, channel, DEFAULT_SECRETS[channel], body)
        status, answer = until_answered(post)
        if channel == "warehouse" and status == 409 and answer["error"]["code"] in ("already_inspected", "return_closed"):
            return 202  # a receipt sent again after its return was done: refused, as it should be
        return status

    def send_order(order: dict) -> int:
        return until_answered(partial(post_webhook, cloud.api_url, secret, json.dumps(order).encode()))[0]

    statuses: list[int] = []
    with ThreadPoolExecutor(8) as pool:
        for start in range(0, len(orders), PACE):
            statuses += pool.map(send_order, orders[start:start + PACE])
            cloud.wait_until(lambda: cloud.queue_depth() < PACE // 2, timeout, interval=0.2)
        cloud.wait_until(cloud.queue_idle, timeout, interval=0.2)
        for start in range(0, len(stream), PACE):
            statuses += pool.map(send, stream[start:start + PACE])
            cloud.wait_until(lambda: cloud.queue_depth() < PACE // 2, timeout, interval=0.2)
            if (start // PACE) % 10 == 9:
                print(f"  {len(statuses)}/{len(orders) + len(stream)} webhooks sent", flush=True)
    return statuses, sent_at


def until_answered(post) -> tuple[int, dict]:
    """Send until the API answers below 500 (or RESENDS times); the last answer."""
    for attempt in range(RESENDS):
        status, answer = post()
        if status < 500:
            break
        time.sleep(0.05 * 2**attempt)
    return status, answer


def wait_until_settled(cloud: LocalCloud, return_ids: list[str], timeout: float) -> tuple[dict, dict]:
    """Poll until every return is closed or waits on a person; notes when each refund record appeared. Ids are
    the sample shop's own (the traffic is all one shop's).

    The polls read only the status and the return id (moto serializes every attribute it answers, under the
    lock the handlers wait for too); the whole records are read once, at the end.
    """
    returns = cloud.dynamodb.Table("aftersales-returns")
    ledger = cloud.dynamodb.Table("aftersales-refund-ledger")
    seen_at: dict[str, float] = {}
    deadline = time.monotonic() + timeout
    last_print = 0.0
    while True:
        now = time.monotonic()
        for item in scan(ledger, "return_id"):
            if "return_id" in item:  # not a refund the merchant made on an order
                seen_at.setdefault(own_id(item["return_id"]), now)
        statuses = {
            own_id(item["return_id"]): item.get("status") for item in scan(returns, "return_id, #s", {"#s": "status"})
        }
        settled = sum(1 for r in return_ids if statuses.get(r) in CLOSED | set(WAITING_ON_A_PERSON))
        if now - last_print > 2 or settled == len(return_ids):
            print(f"  {settled}/{len(return_ids)} returns finished or waiting on a person", flush=True)
            last_print = now
        if settled == len(return_ids):
            return seen_at, {own_id(item["return_id"]): item for item in scan(returns)}
        if now > deadline:
            raise TimeoutError(f"only {settled} of {len(return_ids)} returns settled within {timeout:g} s")
        time.sleep(1.0)


def scan(table, projection: str | None = None, names: dict | None = None, **request) -> list[dict]:
    """Every item of the table (with only the `projection` attributes, when given; `request`: more of Scan's
    parameters, such as a FilterExpression)."""
    if projection:
        request["ProjectionExpression"] = projection
    if names:
        request["ExpressionAttributeNames"] = names
    response = table.scan(**request)
    items = response["Items"]
    while "LastEvaluatedKey" in response:
        response = table.scan(ExclusiveStartKey=response["LastEvaluatedKey"], **request)
        items += response["Items"]
    return items


def ledger_items(cloud: LocalCloud) -> list[dict]:
    return sorted(scan(cloud.dynamodb.Table("aftersales-refund-ledger")), key=lambda r: r["refund_id"])


def provider_refunds(cloud: LocalCloud) -> list[dict]:
    """Every refund the simulated provider made, read through the adapter from its settlement report."""
    provider = HttpPaymentProvider(cloud.payment_service.url, lambda: DEFAULT_PAYMENT_KEY.encode())
    return provider.refunds_between("2000-01-01T00:00:00Z", "9999-12-31T23:59:59Z")


def reconcile_with_provider(
    ledger: list[dict], records: dict, provider_refunds: list[dict], marketplace_refunds: list[dict] | None = None,
) -> tuple[list, list]:
    """The reconciliation of GET /v1/refunds/reconciliation over the whole ledger and everything the provider paid
    (and, given them, everything the marketplaces hold)."""
    keys = {item["idempotency_key"] for item in ledger}
    unrecorded = [refund for refund in provider_refunds if refund["idempotency_key"] not in keys]
    returns = {item.get("return_id"): records.get(own_id(item["return_id"])) for item in ledger if item.get("return_id")}
    return reconcile(
        [record_of(item) for item in ledger], {key: return_of(item) if item else None for key, item in returns.items()},
        provider_refunds, unrecorded, marketplace_refunds,
    )
