"""`python -m localcloud run|serve`: the whole system on this machine (see README, "Run it locally")."""

import argparse
import logging
import os
import shutil
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

from chalicelib.adapters.dynamodb.items import plain
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.finance_export import finance_record, refunds_csv, refunds_jsonl
from chalicelib.domain.money import CURRENCY_EXPONENTS, format_minor
from chalicelib.domain.policy import parse_policy
from chalicelib.domain.returns import CLOSED
from infra.package import ROOT
from localcloud import jd_traffic
from localcloud.cloud import DEFAULT_SOURCES, DEFAULT_STAFF_KEYS, SHOPIFY_APP_SECRET, LocalCloud
from localcloud.sample_traffic import deliveries, sample_cases
from localcloud.shopify_traffic import shop_traffic, shopify_cases, shopify_refunds
from localcloud.taobao_traffic import store_traffic, taobao_cases, taobao_refunds
from localcloud.traffic import (
    WAITING_ON_A_PERSON,
    ledger_items,
    provider_refunds,
    reconcile_with_provider,
    send_traffic,
    wait_until_settled,
)
from localcloud.webhook_client import call_staff_api


def run(returns: int, out: Path, timeout: float, policy: str | None) -> int:
    cases = sample_cases(returns)
    stream = deliveries(cases)
    shopify_plan = shopify_cases(max(1, returns // 4))
    taobao_plan = taobao_cases(max(1, returns // 4))
    jd_plan = jd_traffic.jd_cases(max(1, returns // 4))
    with LocalCloud(policy=policy) as cloud:
        channels = Counter(item.get("channel", "marketplace") for item in stream)
        print(f"local cloud up: API {cloud.api_url}, {returns} returns, {len(stream)} return-side webhooks "
              f"(with duplicates, shuffled): " + ", ".join(f"{c} {n}" for c, n in sorted(channels.items())), flush=True)
        statuses, sent_at = send_traffic(cloud, cases, stream, timeout)
        refused = [s for s in statuses if s != 202]
        if refused:
            print(f"{len(refused)} webhooks were refused: {Counter(refused)}", file=sys.stderr)
            return 1
        needed = {c.return_id: c.last_needed for c in cases if c.last_needed}
        return_ids = [c.return_id for c in cases]
        seen_at, records = wait_until_settled(cloud, return_ids, timeout)
        latencies = sorted(seen_at[r] - sent_at[needed[r]] for r in seen_at if r in needed)
        [domain] = list(cloud.shopify_shops)[:1]
        print(f"Shopify shop {domain}: {len(shopify_plan)} orders, their buyers and the merchant acting in Shopify",
              flush=True)
        return_ids += shop_traffic(cloud, domain, shopify_plan, timeout)
        [store] = list(cloud.taobao_shops)[:1]
        print(f"Tmall store {store}: {len(taobao_plan)} requests, their buyers and Tmall itself acting on the simulated "
              "TOP gateway", flush=True)
        return_ids += store_traffic(cloud, store, taobao_plan, timeout)
        [jd_store] = list(cloud.jd_shops)[:1]
        print(f"JD store {jd_store}: {len(jd_plan)} requests, its buyers and JD finance acting on the simulated JOS "
              "gateway", flush=True)
        return_ids += jd_traffic.store_traffic(cloud, jd_store, jd_plan, timeout)
        _, records = wait_until_settled(cloud, return_ids, timeout)
        reviewed = _review_like_staff(cloud)
        if reviewed:
            print(f"staff decided {sum(reviewed.values())} reviews; waiting for the workflows again", flush=True)
            _, records = wait_until_settled(cloud, return_ids, timeout)
        ledger = ledger_items(cloud)
        _write_refunds(out, ledger)
        in_marketplaces = {"Shopify": shopify_refunds(cloud), "Tmall": taobao_refunds(cloud),
                           "JD": jd_traffic.jd_refunds(cloud)}
        _report(records, ledger, provider_refunds(cloud), in_marketplaces, latencies, reviewed, out)
        lake = out / "lake"
        shutil.rmtree(lake, ignore_errors=True)
        objects = cloud.lake.dump(lake)
    from localcloud.report_page import write_report

    started = time.perf_counter()
    page = write_report(lake, out)
    print(f"analytics lake: {objects} objects in {lake}; report: {page} ({time.perf_counter() - started:.1f} s; "
          "`make report` makes it again)")
    return 0


def _review_like_staff(cloud: LocalCloud) -> Counter:
    """A reviewer works the queues through the staff API: high value approved, abuse signals rejected.

    Returns waiting for evidence that never came are left waiting (they expire).
    """
    key_id, (secret, _) = "local-clerk", DEFAULT_STAFF_KEYS["local-clerk"]
    decided: Counter = Counter()
    for queue in ("product_quality", "logistics", "service"):
        status, page = call_staff_api(cloud.api_url, f"{key_id}.{secret}", "GET", f"/v1/reviews?queue={queue}&limit=100")
        for item in page["items"] if status == 200 else []:
            code = item["decision"]["code"]
            decision = {"HIGH_VALUE": "approve", "RETURN_ABUSE_SIGNAL": "reject"}.get(code)
            if decision:
                note = f"sample reviewer: {code} {decision}d"
                status, _ = call_staff_api(cloud.api_url, f"{key_id}.{secret}", "POST", f"/v1/reviews/{item['shop']}/{item['return_id']}",
                                           {"decision": decision, "note": note})
                decided[decision] += status == 200
    return decided


def _write_refunds(out: Path, ledger: list[dict]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    records = [finance_record(plain(item)) for item in ledger]
    (out / "refunds.jsonl").write_text(refunds_jsonl(records))
    (out / "refunds.csv").write_text(refunds_csv(records))


def _report(
    records: dict, ledger: list[dict], provider_refunds: list[dict], marketplace_refunds: dict[str, list[dict]],
    latencies: list[float], reviewed: Counter, out: Path,
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
    for marketplace in sorted({r.get("marketplace") or "?" for r in records.values()}):
        mine = [r for r in records.values() if r.get("marketplace") == marketplace]
        paid = [i for i in ledger if i.get("marketplace") == marketplace]
        by = Counter(i.get("paid_by", "payment_provider") for i in paid)
        print(f"  {marketplace}: {len(mine)} returns, "
              + ", ".join(f"{status} {n}" for status, n in sorted(Counter(r["status"] for r in mine).items()))
              + f"; {len(paid)} refunds, paid by " + ", ".join(f"{who} {n}" for who, n in sorted(by.items())))
    ledger_items = [plain(item) for item in ledger]
    held = [refund for refunds in marketplace_refunds.values() for refund in refunds]
    mismatches, still_open = reconcile_with_provider(ledger_items, records, provider_refunds, held)
    print(f"reconciliation: {len(ledger_items)} ledger records against their quotes, the provider's "
          f"{len(provider_refunds)} refunds and " + " and ".join(f"{name}'s {len(refunds)}" for name, refunds in
                                                                  marketplace_refunds.items())
          + f": {len(mismatches)} mismatches, {len(still_open)} payments open")
    for mismatch in mismatches[:10]:
        print(f"  mismatch: {mismatch}")
    if latencies:
        p95 = latencies[min(len(latencies) - 1, int(round(0.95 * len(latencies))) - 1)]
        print(f"last needed event -> refund record: median {statistics.median(latencies):.2f} s, p95 {p95:.2f} s")
    print(f"finance records: {out / 'refunds.csv'}, {out / 'refunds.jsonl'}")


def serve(port: int, policy: str | None) -> int:
    with LocalCloud(api_port=port, policy=policy) as cloud:
        print(f"aftersales local cloud: API on {cloud.api_url}")
        print("sources (POST /v1/webhooks/{source}; carriers /v1/webhooks/carriers/{carrier}), signing secrets:")
        for name, entry in DEFAULT_SOURCES.items():
            serves = f", for shops {', '.join(entry['shops'])}" if entry.get("shops") else ""
            print(f"  {name:<11} {entry['kind']:<9} {entry['secrets'][0]!r}{serves}")
        print(f"Shopify (simulated on {cloud.shopify.url}): POST /v1/webhooks/shopify, app secret {SHOPIFY_APP_SECRET!r}, "
              "shops " + ", ".join(f"{domain} ({mode})" for domain, mode in cloud.shopify_shops.items()))
        print("staff endpoints: header X-Api-Key: "
              + ", ".join(f"{k}.{secret} ({', '.join(roles)})" for k, (secret, roles) in DEFAULT_STAFF_KEYS.items()))
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
    chaos_command = commands.add_parser("chaos", help="replay traffic with duplicates and injected faults; check money")
    chaos_command.add_argument("--returns", type=int, default=2000)
    chaos_command.add_argument("--seed", type=int, default=20261122)
    chaos_command.add_argument("--fault-rate", type=float, default=0.05)
    chaos_command.add_argument("--duplicate-rate", type=float, default=0.3)
    chaos_command.add_argument("--timeout", type=float, default=7200, help="seconds to wait for the returns to settle")
    serve_command = commands.add_parser("serve", help="keep the local cloud up with the API on 127.0.0.1")
    serve_command.add_argument("--port", type=int, default=8000)
    fuzz_command = commands.add_parser("fuzz", help="seeded mutated requests against every route; fails on 5xx, "
                                       "forgeries accepted and accepted events the consumer could not apply")
    from localcloud.fuzz import add_arguments as add_fuzz_arguments

    add_fuzz_arguments(fuzz_command)
    for command in (run_command, serve_command):
        command.add_argument("--policy", type=Path, help="a policy document (JSON) to publish instead of the defaults")
    args = parser.parse_args()
    policy = args.policy.read_text() if getattr(args, "policy", None) else None
    if policy is not None:
        try:
            parse_policy(policy)
        except InvalidInput as error:
            print(f"policy refused: {error}", file=sys.stderr)
            return 2
    logging.basicConfig(level=logging.WARNING)
    if args.command == "chaos":
        os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "CRITICAL")  # the injected faults would fill the screen
        logging.getLogger("moto").setLevel(logging.CRITICAL)
        logging.getLogger("localcloud").setLevel(logging.CRITICAL)
        from chalice.local import ChaliceRequestHandler

        from localcloud.chaos import chaos

        ChaliceRequestHandler.log_message = lambda *args: None
        return chaos(args.returns, args.seed, args.fault_rate, args.duplicate_rate, args.timeout)
    if args.command == "fuzz":
        from localcloud.fuzz import main as fuzz

        return fuzz(args)
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
