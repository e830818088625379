"""`make report`'s time over the lake of a 1,000-return run (target: under 10 s).

The lake is built here, seeded, in a temp dir, by the pipeline's own row builders (chalicelib/domain/lake_rows.py:
closed_return_rows, refund_row, order_line_rows) from Return, Order (adapters/dynamodb/orders.order_of), Shipment
and LedgerRecord records, and written as the local cloud's delivery writes it (localcloud/lake_delivery.py
LakeDelivery.flush): JSON lines, one object per (table, day) per flush, FLUSHES flushes of the run's traffic in
the order it was published (a return's rows when it closes, a refund's when it is paid, an order's lines each time
the order is upserted). The traffic: RETURNS returns over ORDERS orders of four shops on four platforms (own,
Tmall, JD, Shopify), SKUs in six categories, six carriers over a dozen regions, three customer tiers, the five
review queues; some decided by people, some past their SLA, some of their rows written twice (a step retried),
and refunds the marketplace made with no return of ours.

Then localcloud/report_page.py write_report (the 9 reports by DuckDB, their CSVs and report.html with its Plotly
charts) runs RUNS times, each in a fresh interpreter, cold: the import of duckdb, plotly and the report module is
timed apart from the run, and the process's whole wall time (what `make report` waits for) beside them.
Run with `make bench`.
"""

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED, RETURNS, ORDERS, FLUSHES, RUNS, TARGET_SECONDS = 20261122, 1000, 4000, 100, 5, 10.0
MARK = "RESULT "
POLICY_VERSION = "default-2026-11"
# The run's traffic: orders paid from START to END; what would happen after END (returns still open then, their
# refunds not paid yet) is not in the lake.
START, END = datetime(2026, 10, 20, tzinfo=timezone.utc), datetime(2026, 12, 4, tzinfo=timezone.utc)

# shop -> (platform, currency, warehouse region, share of the traffic)
SHOPS = {"tmall-acme": ("tmall", "CNY", "Hangzhou", 35), "jd-acme": ("jd", "CNY", "Beijing", 25),
         "shopify-acme": ("shopify", "USD", "Los Angeles", 20), "generic": ("own", "CNY", "Shanghai", 20)}
# category -> (SKU prefix, price range in major units, share of the lines, how often a line of it comes back)
CATEGORIES = {"apparel": ("APP", (59, 399), 30, 0.30), "footwear": ("SHOE", (199, 899), 18, 0.28),
              "electronics": ("ELEC", (299, 4999), 14, 0.12), "home": ("HOME", (39, 699), 16, 0.10),
              "beauty": ("BEAU", (49, 499), 14, 0.08), "toys": ("TOY", (29, 399), 8, 0.14)}
SKUS_PER_CATEGORY = 8
SELLER_FAULT = ["quality_issue", "not_as_described", "wrong_item", "damaged_in_transit", "missing_parts"]
BUYER_FAULT = ["changed_mind", "wrong_size", "no_longer_needed", "other"]
TIERS = {"normal": (70, 8), "potential": (20, 4), "vip": (10, 2)}  # tier -> (share, review SLA hours)
CARRIERS = {"own": ["sf-express", "zto", "yto"], "tmall": ["sf-express", "zto", "yto", "sto"],
            "jd": ["jd-logistics", "sf-express"], "shopify": ["ups", "usps"]}
CN_REGIONS = ["Chengdu", "Wuhan", "Guangzhou", "Shenzhen", "Nanjing", "Xi'an", "Chongqing", "Tianjin", "Suzhou",
              "Harbin", "Kunming", "Urumqi"]
US_REGIONS = ["New York", "Chicago", "Houston", "Seattle", "Miami", "Denver"]
# The week before the lake's last day has a spike (what the anomalies report is for): one SKU and one route.
SPIKE_SKU, SPIKE_ROUTE = "SHOE-03", ("zto", "Urumqi")


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def money(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d}"


def catalog(rng: random.Random) -> dict[str, tuple[str, int]]:
    """sku -> (category, unit price in minor units)."""
    skus = {}
    for category, (prefix, (low, high), _, _) in CATEGORIES.items():
        for n in range(1, SKUS_PER_CATEGORY + 1):
            skus[f"{prefix}-{n:02d}"] = (category, rng.randint(low, high) * 100 + rng.choice([0, 50, 90, 99]))
    return skus


def make_orders(rng: random.Random, skus: dict) -> list[dict]:
    """The orders of the run, as the consumer stores OrderUpserted (the canonical OrderData and what it adds)."""
    by_category = defaultdict(list)
    for sku, (category, _) in skus.items():
        by_category[category].append(sku)
    categories, weights = list(CATEGORIES), [CATEGORIES[c][2] for c in CATEGORIES]
    shops, shares = list(SHOPS), [SHOPS[s][3] for s in SHOPS]
    orders = []
    for n in range(1, ORDERS + 1):
        shop = rng.choices(shops, shares)[0]
        platform, currency, _, _ = SHOPS[shop]
        paid = START + timedelta(seconds=rng.randint(0, int((END - START).total_seconds())))
        lines, total = [], 0
        for i in range(rng.choices([1, 2, 3], weights=[60, 30, 10])[0]):
            sku = rng.choice(by_category[rng.choices(categories, weights)[0]])
            quantity = rng.choices([1, 2, 3], weights=[75, 18, 7])[0]
            price = skus[sku][1] // (7 if currency == "USD" else 1)
            lines.append({"line_id": f"L{i + 1}", "sku": sku, "category": skus[sku][0], "unit_price": money(price),
                          "quantity": quantity, "line_discount": "0"})
            total += price * quantity
        fee = rng.choice([0, 0, 600, 1000, 1200])
        order_id = f"{shop}/{'TM' if platform == 'tmall' else platform.upper()[:2]}-{500000 + n}"
        orders.append({
            "order_id": order_id, "customer_id": f"{shop}/C-{rng.randint(1, 1200)}", "currency": currency,
            "status": "delivered", "paid_at": iso(paid), "shipped_at": iso(paid + timedelta(hours=rng.randint(4, 40))),
            "delivered_at": iso(paid + timedelta(hours=rng.randint(48, 120))), "shipping_fee": money(fee),
            "order_discount": "0", "payment_ref": f"PAY-{order_id.partition('/')[2]}", "lines": lines,
            "marketplace": shop, "paid_total_minor": total + fee,
        })
    return orders


def make_returns(rng: random.Random, orders: list[dict], skus: dict) -> list[tuple]:
    """(published at, rows) of the RETURNS returns closed in the run: each one's rows as the pipeline publishes them
    when it closes, and its refund's row when the refund is paid."""
    from chalicelib.adapters.dynamodb.orders import order_of
    from chalicelib.domain.lake_rows import closed_return_rows, refund_row
    from chalicelib.domain.ledger import LedgerRecord, PaymentStatus, refund_id_for
    from chalicelib.domain.returns import Return, ReturnStatus
    from chalicelib.domain.review import problem_type

    # An order comes back more often the more of its lines are of categories that come back.
    chance = [max(CATEGORIES[line["category"]][3] for line in order["lines"]) for order in orders]
    candidates = [order for order, p in sorted(zip(orders, chance), key=lambda pair: rng.random() / pair[1])]
    published, closed = [], 0
    tiers, tier_shares = list(TIERS), [TIERS[t][0] for t in TIERS]
    for n, item in enumerate(candidates, start=1):
        if closed == RETURNS:
            break
        order = order_of(item)
        shop = item["marketplace"]
        platform, currency, warehouse, _ = SHOPS[shop]
        return_id = f"{shop}/RT-{700000 + n}"
        delivered = datetime.fromisoformat(item["delivered_at"])
        requested = delivered + timedelta(hours=rng.uniform(6, 150))
        lines = [line for line in item["lines"] if rng.random() < 0.7] or item["lines"][:1]
        items = [{"line_id": line["line_id"], "quantity": rng.randint(1, line["quantity"])} for line in lines]
        spike = any(line["sku"] == SPIKE_SKU for line in lines) and rng.random() < 0.6
        if spike:  # the faulty batch: requested in the lake's last week
            requested = max(END - timedelta(days=7, hours=-rng.uniform(0, 48)), delivered + timedelta(hours=6))
        reason = ("quality_issue" if spike else
                  rng.choice(SELLER_FAULT if rng.random() < 0.45 else BUYER_FAULT))
        kind = "cancel" if rng.random() < 0.06 else "return"
        resolution = ("exchange" if reason == "wrong_size" and rng.random() < 0.4 else
                      "refund_only" if kind == "return" and rng.random() < 0.05 else "refund")
        tier = rng.choices(tiers, tier_shares)[0]
        value = sum(order_line_price(order, i["line_id"]) * i["quantity"] for i in items)
        # Verification: the rules decide (policy section 5), and send some to people.
        decided = requested + timedelta(seconds=rng.randint(2, 40))
        roll = rng.random()
        if kind == "cancel":
            outcome, code = "cancel", "CANCEL_BEFORE_SHIPMENT"
        elif roll < 0.05:
            outcome, code = "reject", "WINDOW_EXPIRED"
        elif reason in SELLER_FAULT and roll < 0.16:
            outcome, code = "manual", "EVIDENCE_REQUIRED"
        elif value > 200_000 and roll < 0.5:
            outcome, code = "manual", "HIGH_VALUE"
        elif roll < 0.19:
            outcome, code = "manual", "RETURN_ABUSE_SIGNAL"
        else:
            outcome, code = "return", "APPROVED"
        decision = {"outcome": outcome, "code": code, "policy_version": POLICY_VERSION, "at": iso(decided),
                    "facts": {"marketplace": shop, "tier": tier, "reason": reason}}
        fields = {"decision": decision, "policy": {"tier": tier, "version": POLICY_VERSION}}
        at = decided
        if outcome == "manual":  # a person decides in the queue of its problem type, within its tier's SLA or not
            queue = "service" if code == "RETURN_ABUSE_SIGNAL" else problem_type(reason)
            deadline = decided + timedelta(hours=TIERS[tier][1])
            at = decided + timedelta(minutes=rng.lognormvariate(4.3, 1.0))  # median ~75 min, a long tail
            fields.update(review_queue=queue, review_since=iso(decided), sla_deadline=iso(deadline),
                          review={"decision": "approve" if rng.random() < 0.8 else "reject",
                                  "note": "checked the photos", "by": "local-clerk", "at": iso(at)})
            if at > deadline:  # the SLA sweep found it first
                fields["sla_breached_at"] = iso(deadline + timedelta(minutes=rng.randint(1, 15)))
        approved = outcome in ("return", "cancel") or (fields.get("review") or {}).get("decision") == "approve"
        parcel = shipment = None
        inspected_at = inspection = None
        status = ReturnStatus.REJECTED
        if approved and kind == "return" and resolution != "refund_only":
            carrier = rng.choice(CARRIERS[platform])
            region = rng.choice(US_REGIONS if platform == "shopify" else CN_REGIONS)
            number = f"{carrier[:2].upper()}{rng.randint(10**9, 10**10 - 1)}"
            shipment, arrived_at = parcel_of(rng, carrier, number, return_id, region, warehouse, at,
                                             (carrier, region) == SPIKE_ROUTE and at > END - timedelta(days=9))
            parcel = {"carrier": carrier, "tracking_number": number, "status": shipment.status}
            fields.update(parcel=parcel, parcel_at=shipment.status_at)
            if shipment.status != "delivered":  # a parcel in trouble: logistics decides to wait for it
                review = {"decision": "keep_waiting", "note": "asked the carrier", "by": "local-clerk",
                          "at": iso(datetime.fromisoformat(shipment.status_at) + timedelta(hours=rng.uniform(1, 30)))}
                fields["parcel_review"] = review
            at = arrived_at
            inspected_at = at + timedelta(hours=rng.uniform(2, 30))
            inspection = {"items": []}
            for i in items:
                accepted = i["quantity"] if rng.random() < 0.88 else rng.randint(0, i["quantity"])
                deductions = ([{"code": "missing_accessory", "amount": money(rng.randint(5, 40) * 100)}]
                              if accepted and rng.random() < 0.08 else [])
                inspection["items"].append({"line_id": i["line_id"], "accepted": accepted, "deductions": deductions})
            fields.update(inspection=inspection, inspected_at=iso(inspected_at))
            at = inspected_at
        refund = None
        if approved:
            accepted = {i["line_id"]: i["accepted"] for i in inspection["items"]} if inspection else None
            total = sum(order_line_price(order, i["line_id"]) * (accepted[i["line_id"]] if accepted else i["quantity"])
                        for i in items)
            total -= sum(parse_amount(d["amount"]) for i in (inspection or {}).get("items", []) for d in i["deductions"])
            if inspection and total <= 0:
                status = ReturnStatus.REJECTED_AT_INSPECTION
            elif resolution == "exchange":
                status, at = ReturnStatus.EXCHANGED, at + timedelta(hours=rng.uniform(4, 48))
            else:
                if rng.random() < 0.03:  # the workflow failed once; a person retried it
                    at += timedelta(hours=rng.uniform(0.5, 6))
                    fields["failure_review"] = {"decision": "retry", "note": "retried", "by": "local-staff",
                                                "at": iso(at), "queue": "failures"}
                issued = at + timedelta(seconds=rng.randint(1, 30))
                paid_by = "marketplace" if platform in ("tmall", "jd") else "payment_provider"
                confirmed = issued + timedelta(seconds=rng.randint(1, 5) if paid_by == "payment_provider"
                                               else rng.randint(30, 3 * 3600))
                payment = PaymentStatus.CONFIRMED
                if rng.random() < 0.02:  # the provider never confirmed: finance wrote it off
                    payment, status = PaymentStatus.WRITTEN_OFF, ReturnStatus.REFUND_WRITTEN_OFF
                    fields["finance_review"] = {"decision": "write_off", "note": "paid by bank transfer",
                                                "by": "local-finance", "at": iso(confirmed + timedelta(hours=5))}
                else:
                    status = ReturnStatus.REFUNDED
                refund_id = refund_id_for(return_id)
                refund = LedgerRecord(
                    refund_id=refund_id, return_id=return_id, order_id=order.order_id, marketplace=shop,
                    customer_id=order.customer_id, currency=currency, total=money(total), total_minor=total,
                    entries=[{"code": "item_refund", "amount": money(total)}], policy_version=POLICY_VERSION,
                    issued_at=iso(issued), issued_day=iso(issued)[:10], idempotency_key=refund_id,
                    payment_ref=order.payment_reference, payment_status=payment,
                    confirmed_at=iso(confirmed) if payment == PaymentStatus.CONFIRMED else None, paid_by=paid_by,
                )
                fields["refund_id"] = refund_id
                at = confirmed if payment == PaymentStatus.CONFIRMED else confirmed + timedelta(hours=5)
                if payment == PaymentStatus.CONFIRMED and confirmed <= END:
                    published.append((confirmed, [refund_row(refund, platform)]))
        closed_at = at + timedelta(seconds=rng.randint(1, 20))
        if closed_at > END:
            continue  # still open when the run ends
        closed += 1
        record = Return(
            return_id=return_id, order_id=order.order_id, kind=kind, marketplace=shop, customer_id=order.customer_id,
            reason=reason, items=items, requested_at=iso(requested), resolution=resolution, status=status,
            closed_at=iso(closed_at), **fields,
        )
        rows = closed_return_rows(record, status.value, iso(closed_at), platform, order, shipment, refund)
        published.append((closed_at, rows))
        if rng.random() < 0.02:  # Notify retried: its rows written again, a little later
            published.append((closed_at + timedelta(seconds=rng.randint(5, 90)), rows))
    return published


def parcel_of(rng, carrier, number, return_id, region, warehouse, sent, trouble) -> tuple:
    """The return parcel as record_checkpoint keeps it, and when it reached the warehouse (or was last seen)."""
    from chalicelib.domain.tracking import Shipment, checkpoint_key

    at = sent + timedelta(hours=rng.uniform(3, 36))
    scans = [("info_received", at, region), ("in_transit", at + timedelta(hours=rng.uniform(2, 10)), region)]
    at = scans[-1][1] + timedelta(hours=rng.uniform(10, 60))
    if trouble or rng.random() < 0.06:
        scans.append(("exception", at, rng.choice([region, f"{region} hub"])))
        at += timedelta(hours=rng.uniform(12, 72))
    if rng.random() < 0.01:
        scans.append(("returned_to_sender", at, region))
    else:
        scans += [("in_transit", at, f"{warehouse} hub"),
                  ("out_for_delivery", at + timedelta(hours=rng.uniform(2, 12)), warehouse)]
        at = scans[-1][1] + timedelta(hours=rng.uniform(1, 8))
        scans.append(("delivered", at, warehouse))
    checkpoints = {}
    for status, when, place in scans:
        key = checkpoint_key(carrier, number, iso(when), status, f"{status} at {place}")
        checkpoints[key] = {"status": status, "at": iso(when), "location": place, "description": f"{status} at {place}"}
    last = scans[-1]
    return Shipment(carrier=carrier, tracking_number=number, checkpoints=checkpoints, status=last[0],
                    status_at=iso(last[1]), return_id=return_id), at


def order_line_price(order, line_id: str) -> int:
    line = next(line for line in order.lines if line.line_id == line_id)
    return parse_amount(line.unit_price)


def parse_amount(text: str) -> int:
    major, _, minor = str(text).partition(".")
    return int(major) * 100 + int((minor + "00")[:2])


def marketplace_refunds(rng: random.Random, orders: list[dict]) -> list[tuple]:
    """Refunds a marketplace made on an order by itself (no return of ours): (published at, [row])."""
    from chalicelib.domain.lake_rows import refund_row
    from chalicelib.domain.ledger import DECIDED_IN_MARKETPLACE, LedgerRecord, PaymentStatus, refund_id_for

    published = []
    marketplace_orders = [o for o in orders if SHOPS[o["marketplace"]][0] in ("tmall", "jd")]
    for n, order in enumerate(rng.sample(marketplace_orders, 40), start=1):
        shop = order["marketplace"]
        paid = datetime.fromisoformat(order["delivered_at"]) + timedelta(hours=rng.uniform(1, 200))
        if paid > END:
            continue
        total = rng.randint(10, 200) * 100
        refund_id = refund_id_for(f"{shop}/refund-MR{n:05d}")
        record = LedgerRecord(
            refund_id=refund_id, return_id=None, order_id=order["order_id"], marketplace=shop,
            customer_id=order["customer_id"], currency=order["currency"], total=money(total), total_minor=total,
            entries=[{"code": "marketplace_refund", "line_id": None, "amount": money(total)}],
            policy_version=DECIDED_IN_MARKETPLACE, issued_at=iso(paid), issued_day=iso(paid)[:10],
            idempotency_key=refund_id, payment_ref=order["payment_ref"], payment_status=PaymentStatus.CONFIRMED,
            confirmed_at=iso(paid), paid_by="marketplace", marketplace_refund_id=f"MR{n:05d}",
        )
        published.append((paid, [refund_row(record, SHOPS[shop][0])]))
    return published


def order_publications(rng: random.Random, orders: list[dict]) -> list[tuple]:
    """Each order's lines as the consumer publishes them on every upsert it stores (a fifth are upserted again as
    they ship), dated by when the order was paid."""
    from chalicelib.domain.lake_rows import order_line_rows

    published = []
    for order in orders:
        platform = SHOPS[order["marketplace"]][0]
        rows = order_line_rows(order, order["marketplace"], platform, order["paid_at"])
        published.append((datetime.fromisoformat(order["paid_at"]), rows))
        if rng.random() < 0.2 and datetime.fromisoformat(order["shipped_at"]) <= END:
            published.append((datetime.fromisoformat(order["shipped_at"]), rows))
    return published


def build_lake(lake_dir: Path) -> tuple[Counter, Counter, int]:
    """Writes the lake; (rows per table, objects per table, days)."""
    sys.path.insert(0, str(ROOT))
    rng = random.Random(SEED)
    skus = catalog(rng)
    orders = make_orders(rng, skus)
    published = order_publications(rng, orders) + make_returns(rng, orders, skus) + marketplace_refunds(rng, orders)
    published.sort(key=lambda entry: entry[0])
    rows_per_table, objects_per_table, days = Counter(), Counter(), set()
    per_flush = -(-len(published) // FLUSHES)
    for start in range(0, len(published), per_flush):  # one flush a "second" of the run, in publishing order
        parts = defaultdict(list)
        for _, rows in published[start:start + per_flush]:
            for row in rows:
                parts[(row["_table"], row["_dt"])].append(json.dumps(row, ensure_ascii=False))
        for (table, day), lines in parts.items():
            key = lake_dir / "analytics" / table / f"dt={day}" / f"aftersales-lake-{rng.getrandbits(128):032x}.json"
            key.parent.mkdir(parents=True, exist_ok=True)
            key.write_text("\n".join(lines) + "\n")
            rows_per_table[table] += len(lines)
            objects_per_table[table] += 1
            days.add(day)
    return rows_per_table, objects_per_table, len(days)


def child(lake_dir: str, out_dir: str) -> dict:
    """One cold `make report`: the imports, then write_report; seconds of each."""
    started = time.perf_counter()
    sys.path.insert(0, str(ROOT))
    import duckdb  # noqa: F401
    import plotly.graph_objects as go
    import plotly.io._html  # noqa: F401 - what Figure.to_html runs
    from plotly.offline import get_plotlyjs  # noqa: F401

    from localcloud.report_page import write_report
    go.Figure, go.Bar, go.Scatter  # plotly imports its graph objects lazily: loaded here, not in the run
    imported = time.perf_counter()
    page = write_report(Path(lake_dir), Path(out_dir))
    done = time.perf_counter()
    csvs = {p.stem: sum(1 for _ in p.open()) - 1 for p in sorted((Path(out_dir) / "reports").glob("*.csv"))}
    return {"import": imported - started, "run": done - imported, "page_bytes": page.stat().st_size, "csv_rows": csvs}


def summary(label: str, values: list[float]) -> str:
    return f"{label}: median {statistics.median(values):.2f} s, max {max(values):.2f} s"


def main() -> None:
    print(f"load average before the start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores "
          "(other processes' CPU shows in the times)")
    with tempfile.TemporaryDirectory(prefix="bench-report-") as temp:
        lake, out = Path(temp) / "lake", Path(temp) / "out"
        started = time.perf_counter()
        rows, objects, days = build_lake(lake)
        print(f"lake of a {RETURNS:,}-return run ({ORDERS:,} orders, {len(SHOPS)} shops/platforms, seed {SEED}), "
              f"{FLUSHES} flushes, built in {time.perf_counter() - started:.1f} s: {sum(rows.values()):,} rows in "
              f"{sum(objects.values()):,} objects over {days} days")
        for table in sorted(rows):
            print(f"  {table:<13} {rows[table]:>6,} rows  {objects[table]:>5,} objects")
        results, walls = [], []
        for _ in range(RUNS):
            started = time.perf_counter()
            proc = subprocess.run([sys.executable, __file__, "--child", str(lake), str(out)], cwd=ROOT,
                                  capture_output=True, text=True, timeout=300)
            walls.append(time.perf_counter() - started)
            line = next((x for x in reversed(proc.stdout.splitlines()) if x.startswith(MARK)), None)
            if proc.returncode or line is None:
                sys.exit(f"write_report failed: {(proc.stderr.strip().splitlines() or ['no output'])[-1]}")
            results.append(json.loads(line[len(MARK):]))
    last = results[-1]
    print(f"report.html {last['page_bytes'] / 1e6:.1f} MB; CSV rows: "
          + ", ".join(f"{name} {count}" for name, count in last["csv_rows"].items()))
    print(f"make report, {RUNS} cold runs (each a fresh interpreter):")
    print("  " + summary("import duckdb + plotly + localcloud.report_page", [r["import"] for r in results]))
    print("  " + summary("write_report (9 reports, CSVs, report.html)", [r["run"] for r in results]))
    print("  " + summary("whole process (interpreter start + import + run)", walls))
    median, worst = statistics.median(walls), max(walls)
    verdict = "met" if worst < TARGET_SECONDS else "met at the median only" if median < TARGET_SECONDS else "NOT met"
    print(f"target: make report under {TARGET_SECONDS:g} s: {verdict} (median {median:.2f} s, max {worst:.2f} s)")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        print(MARK + json.dumps(child(sys.argv[2], sys.argv[3])), flush=True)
    else:
        main()
