"""`python -m localcloud run|serve`: the whole system on this machine (see README, "Run it locally")."""

import argparse
import json
import logging
import os
import statistics
import sys
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from chalicelib.adapters.dynamodb import plain
from chalicelib.adapters.payment_provider import HttpPaymentProvider
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.finance_export import finance_record, refunds_csv, refunds_jsonl
from chalicelib.domain.money import CURRENCY_EXPONENTS, format_minor
from chalicelib.domain.policy import parse_policy
from chalicelib.domain.reconciliation import reconcile
from chalicelib.domain.return_progress import CLOSED
from infra.package import ROOT
from localcloud.cloud import (
    DEFAULT_CARRIER_SECRETS,
    DEFAULT_PAYMENT_KEY,
    DEFAULT_SECRETS,
    DEFAULT_STAFF_KEYS,
    LocalCloud,
)
from localcloud.sample_traffic import deliveries, sample_cases
from localcloud.webhook_client import call_staff_api, post_carrier_push, post_webhook

WAITING_ON_A_PERSON = ("failed", "in_review", "refund_failed")


def run(returns: int, out: Path, timeout: float, policy: str | None) -> int:
    cases = sample_cases(returns)
    stream = deliveries(cases)
    secret = DEFAULT_SECRETS["generic"]
    with LocalCloud(policy=policy) as cloud:
        channels = Counter(item.get("channel", "marketplace") for item in stream)
        print(f"local cloud up: API {cloud.api_url}, {returns} returns, {len(stream)} return-side webhooks "
              f"(with duplicates, shuffled): " + ", ".join(f"{c} {n}" for c, n in sorted(channels.items())), flush=True)
        orders = [{"event_id": f"ou-{c.order['order_id']}", "type": "OrderUpserted",
                   "occurred_at": "2026-11-10T08:00:00Z", "data": c.order} for c in cases]
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(lambda p: post_webhook(cloud.api_url, secret, json.dumps(p).encode())[0], orders))
            cloud.wait_until(cloud.queue_idle, timeout)
            sent_at = {}

            def send(item: dict) -> int:
                channel = item.get("channel", "generic")
                body = json.dumps(item.get("body", item)).encode()
                if channel == "warehouse":
                    status, answer = post_webhook(cloud.api_url, DEFAULT_SECRETS["warehouse"], body, "warehouse")
                    if status == 409 and answer["error"]["code"] in ("already_inspected", "return_closed"):
                        status = 202  # a receipt sent again after its return was done: refused, as it should be
                elif channel == "generic":
                    status, _ = post_webhook(cloud.api_url, secret, body)
                else:
                    status, _ = post_carrier_push(cloud.api_url, channel, DEFAULT_CARRIER_SECRETS[channel], body)
                sent_at.setdefault(item["event_id"], time.monotonic())
                return status

            statuses += list(pool.map(send, stream))
        refused = [s for s in statuses if s != 202]
        if refused:
            print(f"{len(refused)} webhooks were refused: {Counter(refused)}", file=sys.stderr)
            return 1
        needed = {c.return_id: c.last_needed for c in cases if c.last_needed}
        return_ids = [c.return_id for c in cases]
        seen_at, records = _wait_until_settled(cloud, return_ids, timeout)
        latencies = sorted(seen_at[r] - sent_at[needed[r]] for r in seen_at if r in needed)
        reviewed = _review_like_staff(cloud)
        if reviewed:
            print(f"staff decided {sum(reviewed.values())} reviews; waiting for the workflows again", flush=True)
            _, records = _wait_until_settled(cloud, return_ids, timeout)
        ledger = _ledger(cloud)
        _write_refunds(out, ledger)
        _report(records, ledger, provider_refunds(cloud), latencies, reviewed, out)
    return 0


def _review_like_staff(cloud: LocalCloud) -> Counter:
    """A reviewer works the queues through the staff API: high value approved, abuse signals rejected.

    Returns waiting for evidence that never came are left waiting (they expire).
    """
    [(key_id, secret)] = DEFAULT_STAFF_KEYS.items()
    decided: Counter = Counter()
    for queue in ("product_quality", "logistics", "service"):
        status, page = call_staff_api(cloud.api_url, f"{key_id}.{secret}", "GET", f"/v1/reviews?queue={queue}&limit=100")
        for item in page["items"] if status == 200 else []:
            code = item["decision"]["code"]
            decision = {"HIGH_VALUE": "approve", "RETURN_ABUSE_SIGNAL": "reject"}.get(code)
            if decision:
                note = f"sample reviewer: {code} {decision}d"
                status, _ = call_staff_api(cloud.api_url, f"{key_id}.{secret}", "POST", f"/v1/reviews/{item['return_id']}",
                                           {"decision": decision, "note": note})
                decided[decision] += status == 200
    return decided


def _wait_until_settled(cloud: LocalCloud, return_ids: list[str], timeout: float) -> tuple[dict, dict]:
    """Poll until every return is closed or waits on a person; notes when each refund record appeared."""
    returns = cloud.dynamodb.Table("aftersales-returns")
    seen_at: dict[str, float] = {}
    deadline = time.monotonic() + timeout
    last_print = 0.0
    while True:
        now = time.monotonic()
        for item in _ledger(cloud):
            seen_at.setdefault(item["return_id"], now)
        records = {item["return_id"]: item for item in _scan(returns)}
        settled = sum(1 for r in return_ids if records.get(r, {}).get("status") in CLOSED + WAITING_ON_A_PERSON)
        if now - last_print > 2 or settled == len(return_ids):
            print(f"  {settled}/{len(return_ids)} returns finished or waiting on a person", flush=True)
            last_print = now
        if settled == len(return_ids):
            return seen_at, records
        if now > deadline:
            raise TimeoutError(f"only {settled} of {len(return_ids)} returns settled within {timeout:g} s")
        time.sleep(1.0)


def _scan(table) -> list[dict]:
    response = table.scan()
    items = response["Items"]
    while "LastEvaluatedKey" in response:
        response = table.scan(ExclusiveStartKey=response["LastEvaluatedKey"])
        items += response["Items"]
    return items


def _ledger(cloud: LocalCloud) -> list[dict]:
    return sorted(_scan(cloud.dynamodb.Table("aftersales-refund-ledger")), key=lambda r: r["refund_id"])


def provider_refunds(cloud: LocalCloud) -> list[dict]:
    """Every refund the simulated provider made, read through the adapter from its settlement report."""
    provider = HttpPaymentProvider(cloud.payment_service.url, lambda: DEFAULT_PAYMENT_KEY.encode())
    return provider.refunds_between("2000-01-01T00:00:00Z", "9999-12-31T23:59:59Z")


def _write_refunds(out: Path, ledger: list[dict]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    records = [finance_record(plain(item)) for item in ledger]
    (out / "refunds.jsonl").write_text(refunds_jsonl(records))
    (out / "refunds.csv").write_text(refunds_csv(records))


def reconcile_with_provider(ledger: list[dict], records: dict, provider_refunds: list[dict]) -> tuple[list, list]:
    """The reconciliation of GET /v1/refunds/reconciliation over the whole ledger and everything the provider paid."""
    paid = defaultdict(list)
    for refund in provider_refunds:
        paid[refund["idempotency_key"]].append(refund)
    keys = {item["idempotency_key"] for item in ledger}
    unrecorded = [refund for refund in provider_refunds if refund["idempotency_key"] not in keys]
    return reconcile(ledger, {item["return_id"]: records.get(item["return_id"]) for item in ledger}, paid, unrecorded)


def _report(
    records: dict, ledger: list[dict], provider_refunds: list[dict], latencies: list[float], reviewed: Counter, out: Path,
) -> None:
    outcomes = Counter(record["status"] for record in records.values())
    totals: dict[str, int] = defaultdict(int)
    for item in ledger:
        totals[item["currency"]] += int(item["total_minor"])
    untouched = [r for r in records.values() if r["status"] in CLOSED and not r.get("review")]
    zero_touch = len(untouched) / max(1, len(records))
    decisions = Counter(record.get("decision", {}).get("code", "not verified") for record in records.values())
    holds = Counter(r["hold_answer"]["outcome"] for r in records.values() if r.get("hold_answer"))
    waiting = Counter(r.get("review_queue", "?") for r in records.values() if r["status"] in WAITING_ON_A_PERSON)
    print("\nreturns by outcome: " + ", ".join(f"{status} {n}" for status, n in sorted(outcomes.items())))
    print("verification decisions: " + ", ".join(f"{code} {n}" for code, n in decisions.most_common()))
    print(f"cancellations: shipment held {holds['held']}, already shipped (went on as returns) {holds['already_shipped']};"
          f" evidence added later: {sum(1 for r in records.values() if r.get('added_evidence'))}")
    print(f"manual review: approved {reviewed['approve']}, rejected {reviewed['reject']}; still waiting on a person: "
          + (", ".join(f"{queue} {n}" for queue, n in sorted(waiting.items())) or "none"))
    print(f"refunds issued: {len(ledger)}; total per currency: "
          + ", ".join(f"{c} {format_minor(t, CURRENCY_EXPONENTS[c])}" for c, t in sorted(totals.items())))
    print(f"zero-touch rate: {zero_touch:.1%} (closed with no person involved)")
    ledger_items = [plain(item) for item in ledger]
    mismatches, still_open = reconcile_with_provider(ledger_items, records, provider_refunds)
    print(f"reconciliation: {len(ledger_items)} ledger records against their quotes and the provider's "
          f"{len(provider_refunds)} refunds: {len(mismatches)} mismatches, {len(still_open)} payments open")
    if latencies:
        p95 = latencies[min(len(latencies) - 1, int(round(0.95 * len(latencies))) - 1)]
        print(f"last needed event -> refund record: median {statistics.median(latencies):.2f} s, p95 {p95:.2f} s")
    print(f"finance records: {out / 'refunds.csv'}, {out / 'refunds.jsonl'}")


def serve(port: int, policy: str | None) -> int:
    secret = DEFAULT_SECRETS["generic"]
    with LocalCloud(api_port=port, policy=policy) as cloud:
        print(f"aftersales local cloud: API on {cloud.api_url}")
        print(f"webhook source 'generic', signing secret {secret!r}")
        print("carrier pushes /v1/webhooks/carriers/{carrier}, keys: "
              + ", ".join(f"{carrier} {key!r}" for carrier, key in DEFAULT_CARRIER_SECRETS.items()))
        print("staff endpoints: header X-Api-Key: " + ", ".join(f"{k}.{s}" for k, s in DEFAULT_STAFF_KEYS.items()))
        print(f"try: .venv/bin/python scripts/send_webhook.py {cloud.api_url} examples/order.json examples/return.json "
              "examples/tracking.json examples/inspection.json")
        print("Ctrl-C to stop", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            return 0


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m localcloud", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run_command = commands.add_parser("run", help="send seeded sample traffic through the system and report")
    run_command.add_argument("--returns", type=int, default=200)
    run_command.add_argument("--out", type=Path, default=ROOT / "out")
    run_command.add_argument("--timeout", type=float, default=600, help="seconds to wait for every return to settle")
    serve_command = commands.add_parser("serve", help="keep the local cloud up with the API on 127.0.0.1")
    serve_command.add_argument("--port", type=int, default=8000)
    for command in (run_command, serve_command):
        command.add_argument("--policy", type=Path, help="a policy document (JSON) to publish instead of the defaults")
    args = parser.parse_args()
    policy = args.policy.read_text() if args.policy else None
    if policy is not None:
        try:
            parse_policy(policy)
        except InvalidInput as error:
            print(f"policy refused: {error}", file=sys.stderr)
            return 2
    logging.basicConfig(level=logging.WARNING)
    if args.command == "run":
        # A short report, not every handler's log line and HTTP request.
        os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
        logging.getLogger("moto").setLevel(logging.ERROR)
        from chalice.local import ChaliceRequestHandler

        ChaliceRequestHandler.log_message = lambda *args: None
        return run(args.returns, args.out, args.timeout, policy)
    return serve(args.port, policy)


if __name__ == "__main__":
    sys.exit(main())
