"""`make chaos`: the local cloud under duplicated, reordered webhooks and injected faults, and the proof that
money still moves exactly once.

Faults, each at `fault_rate` of the handler calls (Lambda tasks and queue
batches), chosen by a seeded generator:
- crash after a write: the handler's first successful DynamoDB write (the
  ledger record, the event log, ...) is followed by the runtime dying, before
  the task returns or the batch is acknowledged; Step Functions retries the
  task, SQS delivers the batch again;
- DynamoDB throttling: the handler's first DynamoDB call answers
  ProvisionedThroughputExceededException (what the SDK raises once its own
  retries are used up);
at `fault_rate` of the webhook API calls:
- crash after the enqueue: the event is on the ingest queue but the function
  dies before answering, so API Gateway answers 502 and the sender, not
  knowing, sends it again;
- queue unavailable: SQS answers 503 to the enqueue, the API answers 5xx and
  the sender sends it again;
and the simulated provider answers `fault_rate` of the refund calls after the
client stopped waiting (it made the refund: the case that must not pay twice).

A Shopify shop runs beside it (localcloud/shopify_traffic.py): Shopify delivers
`duplicate_rate` of its webhooks twice, and at `fault_rate` of its orders it
answers a refund (returnProcess) after the client stopped waiting, an approval
with a 503, and a read of a return with a 503.
"""

import random
import threading
import time
from collections import Counter, defaultdict

from chalicelib.domain.ledger import DECIDED_IN_MARKETPLACE
from chalicelib.domain.money import CURRENCY_EXPONENTS, format_minor
from chalicelib.domain.returns import CLOSED
from chalicelib.domain.tenancy import own_id
from localcloud import jd_traffic
from localcloud.cloud import LocalCloud, clear_caches
from localcloud.sample_traffic import deliveries, sample_cases
from localcloud.shopify_traffic import shop_traffic, shopify_cases, shopify_refunds
from localcloud.sqs_event_source import queue_depth
from localcloud.taobao_traffic import store_traffic, taobao_cases, taobao_refunds
from localcloud.traffic import (
    WAITING_ON_A_PERSON,
    ledger_items,
    provider_refunds,
    reconcile_with_provider,
    scan,
    send_traffic,
    wait_until_settled,
)

# The reconciliation's findings that a provider refund has no single, equal, confirmed ledger record.
PROVIDER_SIDE = frozenset({
    "paid_more_than_once", "provider_amount_differs", "provider_refund_differs", "paid_but_not_confirmed",
    "provider_refund_without_record", "confirmed_but_not_in_marketplace", "marketplace_amount_differs",
    "marketplace_refund_without_record", "marketplace_refund_recorded_twice",
})
WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem", "SendMessage"})


class SimulatedCrash(BaseException):
    """The runtime dies: a BaseException, so no `except Exception` in the code under test can handle it."""


class RuntimeExited(Exception):
    """What the platform reports for a handler whose runtime died (Lambda's errorType for it)."""

    lambda_error_type = "Runtime.ExitError"


class FaultInjector:
    def __init__(self, rate: float, seed: int) -> None:
        self._rate = rate
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._armed = threading.local()
        self.calls = 0  # Lambda tasks and queue batches
        self.webhook_calls = 0
        self.injected: Counter = Counter()

    def install(self) -> None:
        """Hook every DynamoDB and SQS client created from now on in this process (the handlers' clients)."""
        import boto3

        if boto3.DEFAULT_SESSION is None:
            boto3.setup_default_session()
        for service in ("dynamodb", "sqs"):
            boto3.DEFAULT_SESSION.events.register(f"before-call.{service}", self._before_call)
            boto3.DEFAULT_SESSION.events.register(f"after-call.{service}", self._after_call)

    def wrap(self, name: str, handler):
        def faulty(event, context):
            self._arm(("crash_after_write", "throttle"))
            with self._lock:
                self.calls += 1
            try:
                return handler(event, context)
            except SimulatedCrash:
                raise RuntimeExited(f"{name}: the runtime exited after a write (injected)") from None
            finally:
                self._armed.fault = None

        return faulty

    def api_middleware(self, event, get_response):
        """A Chalice middleware for the HTTP API: the webhook function dies after the enqueue (API Gateway answers
        502) or finds the queue unavailable."""
        from chalice import Response

        if "/webhooks/" not in event.path:
            return get_response(event)
        self._arm(("api_crash_after_enqueue", "queue_unavailable"))
        with self._lock:
            self.webhook_calls += 1
        try:
            return get_response(event)
        except SimulatedCrash:
            return Response(body={"message": "Internal server error"}, status_code=502)
        finally:
            self._armed.fault = None

    def _arm(self, kinds: tuple[str, ...]) -> None:
        with self._lock:
            self._armed.fault = self._rng.choice(kinds) if self._rng.random() < self._rate else None

    def _before_call(self, model, **kwargs):
        fault = getattr(self._armed, "fault", None)
        service = model.service_model.service_name
        if fault == "throttle" and service == "dynamodb":
            code, message, status = "ProvisionedThroughputExceededException", "Rate of requests exceeds the allowed throughput", 400
        elif fault == "queue_unavailable" and model.name == "SendMessage":
            code, message, status = "ServiceUnavailable", "The service is unavailable", 503
        else:
            return None
        from botocore.awsrequest import AWSResponse

        self._armed.fault = None
        self._count(fault)
        error = {"Code": code, "Message": f"{message} (injected)"}
        return AWSResponse(f"https://{service}.local", status, {}, None), {"Error": error, "ResponseMetadata": {"HTTPStatusCode": status}}

    def _after_call(self, http_response, model, **kwargs):
        fault = getattr(self._armed, "fault", None)
        crash = model.name in WRITES if fault == "crash_after_write" else fault == "api_crash_after_enqueue" and model.name == "SendMessage"
        if crash and http_response.status_code < 300:
            self._armed.fault = None
            self._count(fault)
            raise SimulatedCrash(model.name)

    def _count(self, kind: str) -> None:
        with self._lock:
            self.injected[kind] += 1


def chaos(returns: int, seed: int, fault_rate: float, duplicate_rate: float, timeout: float) -> int:
    """Runs the replay and prints the figures, the last line being the verdict; 0 when every check holds."""
    started = time.monotonic()
    cases = sample_cases(returns, seed)
    stream = deliveries(cases, seed, duplicate_rate=duplicate_rate, window=16, max_copies=3)
    extra = len(stream) - sum(len(case.events) for case in cases)
    faults = FaultInjector(fault_rate, seed)
    shopify_plan = shopify_cases(max(1, returns // 4), seed)
    taobao_plan = taobao_cases(max(1, returns // 4), seed)
    jd_plan = jd_traffic.jd_cases(max(1, returns // 4), seed)
    with LocalCloud(
        payment_time_out_rate=fault_rate, wrap_handler=faults.wrap, api_middleware=faults.api_middleware,
        schedule_interval=None, shopify_duplicate_rate=duplicate_rate,
    ) as cloud:
        faults.install()  # after moto started: it replaces boto3's default session
        clear_caches()
        print(f"chaos: {returns} returns, {len(cases) + len(stream)} webhooks ({extra} extra copies, shuffled in "
              f"windows of 16), faults at {fault_rate:.0%} of handler calls, webhook calls and provider calls", flush=True)
        statuses, _ = send_traffic(cloud, cases, stream, timeout)
        refused = Counter(status for status in statuses if status != 202)
        return_ids = [case.return_id for case in cases]
        shopify_faults = max(1, round(len(shopify_plan) * fault_rate))
        for operation, inject in (("AftersalesReturnProcess", cloud.shopify.time_out_next),
                                  ("AftersalesReturnApprove", cloud.shopify.fail_next),
                                  ("AftersalesReturn", cloud.shopify.fail_next)):
            inject(operation, times=shopify_faults)
        [domain] = list(cloud.shopify_shops)[:1]
        try:
            return_ids += shop_traffic(cloud, domain, shopify_plan, timeout)
        except TimeoutError as error:
            print(f"  Shopify traffic: {error}", flush=True)
            return_ids += [case.return_id for case in shopify_plan if case.return_gid]
        taobao_faults = max(1, round(len(taobao_plan) * fault_rate))
        for method, inject in (("taobao.rp.refunds.agree", cloud.taobao.time_out_next),
                               ("taobao.rp.returngoods.agree", cloud.taobao.fail_next),
                               ("taobao.tmc.messages.confirm", cloud.taobao.fail_next),
                               ("taobao.refund.get", cloud.taobao.flow_control_next)):
            inject(method, times=taobao_faults)
        [store] = list(cloud.taobao_shops)[:1]
        try:
            return_ids += store_traffic(cloud, store, taobao_plan, timeout)
        except TimeoutError as error:
            print(f"  Tmall traffic: {error}", flush=True)
            return_ids += [case.refund_id for case in taobao_plan if case.refund_id and case.kind != "fast_refund"]
        for method, inject in (("jingdong.pop.afs.soa.refundapply.replyRefund", cloud.jd.time_out_next),
                               ("jingdong.asc.audit.send", cloud.jd.fail_next),
                               ("jingdong.asc.sync.list", cloud.jd.flow_control_next)):
            inject(method, times=max(1, round(len(jd_plan) * fault_rate)))
        [jd_store] = list(cloud.jd_shops)[:1]
        try:
            return_ids += jd_traffic.store_traffic(cloud, jd_store, jd_plan, timeout)
        except TimeoutError as error:
            print(f"  JD traffic: {error}", flush=True)
            return_ids += [case.return_id for case in jd_plan if case.return_id and case.kind != "repair"]
        try:
            _, records = wait_until_settled(cloud, return_ids, timeout)
        except TimeoutError as error:
            print(f"  {error}", flush=True)
            records = {own_id(item["return_id"]): item for item in scan(cloud.dynamodb.Table("aftersales-returns"))}
        ledger = ledger_items(cloud)
        paid = provider_refunds(cloud)
        in_marketplaces = shopify_refunds(cloud) + taobao_refunds(cloud) + jd_traffic.jd_refunds(cloud)
        in_shopify = [refund for refund in in_marketplaces if "return_gid" in refund]
        shopify_calls = cloud.shopify.calls
        taobao_calls = cloud.taobao.calls
        dead = queue_depth(cloud.sqs, cloud.env["AFTERSALES_INGEST_DLQ_URL"])
        orders = {item["order_id"]: item for item in scan(cloud.dynamodb.Table("aftersales-orders"))}
        provider_calls = sum(cloud.payment_service.calls.values())
        timed_out = cloud.payment_service.calls["timed_out"]
    figures = check(return_ids, records, ledger, paid, orders, dead, in_marketplaces)
    print(f"handler calls {faults.calls}, faults injected: crash after a write {faults.injected['crash_after_write']}, "
          f"DynamoDB throttling {faults.injected['throttle']}; webhook calls {faults.webhook_calls}, crash after the "
          f"enqueue {faults.injected['api_crash_after_enqueue']}, queue unavailable {faults.injected['queue_unavailable']}"
          f"; provider calls {provider_calls}, timed out {timed_out}; Shopify: {len(shopify_plan)} orders, "
          f"{sum(shopify_calls[op] for op in ('AftersalesReturnApprove', 'AftersalesReturnProcess'))} writes, timed out "
          f"{shopify_calls['timed_out']}, failed {shopify_calls['failed']}, refunds {len(in_shopify)}; Tmall: "
          f"{len(taobao_plan)} requests, {taobao_calls['taobao.rp.refunds.agree']} agree calls, "
          f"{taobao_calls['taobao.tmc.messages.consume']} TMC consumes; JD: {len(jd_plan)} requests, "
          f"{cloud.jd.calls['jingdong.pop.afs.soa.refundapply.replyRefund']} refund approvals; marketplace refunds "
          f"{len(in_marketplaces) - len(in_shopify)}"
          f"; webhooks refused {sum(refused.values())}; "
          f"{time.monotonic() - started:.0f} s")
    for problem in figures["problems"][:20]:
        print(f"  {problem}")
    totals = ", ".join(f"{c} {format_minor(t, CURRENCY_EXPONENTS[c])}" for c, t in sorted(figures["ledger_totals"].items()))
    print(f"chaos result: refunds issued twice {figures['twice']}, returns lost {figures['lost']}, "
          f"ledger total = sum of quotes per currency: {'yes' if figures['totals_match'] else 'NO'} ({totals}), "
          f"provider refunds without exactly one ledger record {figures['unmatched']}, "
          f"reconciliation mismatches {figures['mismatches']}")
    ok = not (figures["twice"] or figures["lost"] or figures["unmatched"] or figures["mismatches"] or refused)
    return 0 if ok and figures["totals_match"] else 1


def check(
    return_ids: list[str], records: dict, ledger: list[dict], paid: list[dict], orders: dict, dead: int,
    in_shopify: list[dict] | None = None,
) -> dict:
    """The four promises, from what the tables, the DLQ, the provider and the Shopify shop hold at the end."""
    from chalicelib.adapters.dynamodb.items import plain

    ledger = [plain(item) for item in ledger]
    records = {key: plain(value) for key, value in records.items()}
    problems = []
    # Issued twice: a second provider refund under a key, a second ledger record for a return, or an order's
    # refund account moved by more than its ledger records.
    twice = [key for key, n in Counter(refund["idempotency_key"] for refund in paid).items() if n > 1]
    twice += [return_id for return_id, n in Counter(item.get("return_id") for item in ledger).items() if return_id and n > 1]
    twice += [gid for gid, n in Counter(r.get("return_gid") for r in in_shopify or [] if r.get("return_gid")).items() if n > 1]
    per_order: dict[str, int] = defaultdict(int)
    for item in ledger:
        per_order[item["order_id"]] += item["total_minor"]
    for order_id, order in orders.items():
        if int(order.get("refunded_total", 0)) != per_order.get(order_id, 0):
            twice.append(order_id)
            problems.append(f"order {order_id}: account {order.get('refunded_total')} != ledger {per_order.get(order_id, 0)}")
    problems += [f"issued twice: {key}" for key in twice]
    # Lost: a return that is neither closed nor waiting in a named queue with a reason; or a message in the DLQ.
    lost = []
    for return_id in return_ids:
        record = records.get(return_id)
        status = (record or {}).get("status")
        reason = (record or {}).get("failure") or ((record or {}).get("decision") or {}).get("code")
        if status in CLOSED or (status in WAITING_ON_A_PERSON and record.get("review_queue") and reason):
            continue
        lost.append(return_id)
        problems.append(f"return {return_id}: status {status}, queue {(record or {}).get('review_queue')}")
    if dead:
        problems.append(f"{dead} messages in the DLQ")
    # Money: the ledger against the quotes of the returns that were refunded.
    ledger_totals: dict[str, int] = defaultdict(int)
    quote_totals: dict[str, int] = defaultdict(int)
    for item in ledger:
        if item["policy_version"] != DECIDED_IN_MARKETPLACE:  # the merchant's own refunds have no quote of ours
            ledger_totals[item["currency"]] += item["total_minor"]
    for record in records.values():
        if record.get("refund_id"):
            quote_totals[record["quote"]["currency"]] += record["quote"]["total_minor"]
    # Every provider refund matches exactly one confirmed ledger record with its amount (the reconciliation's
    # findings about provider refunds), and the whole reconciliation finds nothing.
    mismatches, _ = reconcile_with_provider(ledger, records, paid, in_shopify)
    unmatched = [m for m in mismatches if m["kind"] in PROVIDER_SIDE]
    problems += [f"reconciliation: {m['kind']} {m['refund_id']}" for m in mismatches]
    return {
        "twice": len(twice), "lost": len(lost) + dead, "ledger_totals": dict(ledger_totals),
        "totals_match": dict(ledger_totals) == dict(quote_totals), "unmatched": len(unmatched),
        "mismatches": len(mismatches), "problems": problems,
    }
