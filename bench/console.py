"""The ops console's answer times on the local cloud (target: every page under 300 ms at p95 and max).

The local cloud (localcloud/cloud.py LocalCloud: moto, the real state machine, the HTTP API on 127.0.0.1 as
`make serve` runs it; schedules not fired on a timer, as in the e2e cloud, so no sweep runs in a sample) is seeded
with a few dozen returns of the `generic` shop through its signed webhook: some refunded untouched, some sent to
people (quality claims without photos: the product_quality queue), of those some approved by a person and
refunded, others left waiting; some approved and waiting for their parcel, some rejected as late. Once every one
stands where it should and the lake's delivery has written the closed ones' rows, each page is asked for once
(warm-up), then N times, round-robin, over HTTP with a staff key as the console asks for it (a new connection
each, as localcloud/webhook_client.py call_staff_api does), timed until the last byte of the answer:
GET /console, /console/plotly.min.js, /v1/reviews?queue=product_quality, a case view /v1/returns/generic/<id>,
a search /v1/returns?q=<order id>, the report catalog /v1/reports and two reports (run by moto's Athena, which
runs them by DuckDB over the local lake: localcloud/athena_on_duckdb.py). Run with `make bench`.

    python bench/console.py [--requests N] [--profile PATH]   (--profile: cProfile of PATH's handling, in process)
"""

import argparse
import gc
import json
import math
import os
import random
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SEED, TARGET_MS, STAFF = 20261122, 300.0, "local-staff"
# How many returns of each kind the cloud is seeded with.
MIX = {"refunded": 12, "reviewed_refunded": 4, "in_review": 10, "awaiting_parcel": 6, "rejected_late": 4}


def order(rng: random.Random, order_id: str) -> dict:
    from tests.webhook_events import order_upserted

    lines = [{"line_id": f"L{n}", "sku": rng.choice(["SHOE-42", "SHOE-43", "SOCK-3P", "TEE-M", "CAP-1"]),
              "category": rng.choice(["footwear", "apparel"]), "unit_price": f"{rng.randint(20, 400)}.00",
              "quantity": rng.randint(1, 3)} for n in range(1, rng.randint(1, 3) + 1)]
    # One customer each, so no return counts against another (the abuse rule).
    return order_upserted(order_id, customer_id=f"C-{order_id}", lines=lines)


def ask(return_id: str, order_id: str, reason: str, late: bool = False, **data) -> dict:
    from tests.webhook_events import return_requested

    event = return_requested(return_id, order_id, reason=reason, **data)
    if late:  # delivered 2026-11-18T08:00:00Z: past the 7-day window
        event["occurred_at"] = "2026-11-26T09:00:00Z"
    return event


def tracking(return_id: str) -> dict:
    return {"event_id": f"t-{return_id}", "type": "TrackingUpdated", "occurred_at": "2026-11-21T10:00:00Z",
            "data": {"carrier": "sf-express", "tracking_number": f"SF-{return_id}", "status": "delivered",
                     "return_id": return_id}}


def inspection(return_id: str) -> dict:
    return {"event_id": f"i-{return_id}", "type": "InspectionCompleted", "occurred_at": "2026-11-21T12:00:00Z",
            "data": {"return_id": return_id, "items": [{"line_id": "L1", "accepted": 1}]}}


class Seeded:
    """The cloud and the returns it holds, by what became of them."""

    def __init__(self, cloud) -> None:
        from localcloud.cloud import DEFAULT_SECRETS, DEFAULT_STAFF_KEYS

        self.cloud, self.secret = cloud, DEFAULT_SECRETS["generic"]
        self.api_key = f"{STAFF}.{DEFAULT_STAFF_KEYS[STAFF][0]}"
        self.returns: dict[str, list[str]] = {kind: [] for kind in MIX}

    def deliver(self, *events: dict) -> None:
        from localcloud.webhook_client import post_webhook
        from tests.webhook_events import encode

        for event in events:
            status, body = post_webhook(self.cloud.api_url, self.secret, encode(event))
            if status != 202:
                raise RuntimeError(f"webhook {event['event_id']}: {status} {body}")

    def status(self, return_id: str) -> str | None:
        item = self.cloud.dynamodb.Table("aftersales-returns").get_item(Key={"return_id": f"generic/{return_id}"})
        return item.get("Item", {}).get("status")

    def wait_for(self, statuses: dict[str, tuple[str, ...]], timeout: float = 120) -> None:
        def there() -> bool:
            return all(self.status(return_id) in wanted for return_id, wanted in statuses.items())

        try:
            self.cloud.wait_until(there, timeout, interval=0.25)
        except TimeoutError:
            stuck = {r: self.status(r) for r, wanted in statuses.items() if self.status(r) not in wanted}
            raise SystemExit(f"the seed did not settle in {timeout:g} s: {stuck}") from None

    def seed(self, rng: random.Random) -> None:
        from localcloud.webhook_client import call_staff_api

        n = 0
        for kind, count in MIX.items():
            for _ in range(count):
                n += 1
                return_id, order_id = f"RT-C{n:03d}", f"TM-C{n:03d}"
                self.returns[kind].append(return_id)
                if kind in ("reviewed_refunded", "in_review"):
                    request = ask(return_id, order_id, "quality_issue")  # no photos: a person decides
                else:
                    request = ask(return_id, order_id, rng.choice(["changed_mind", "wrong_size", "no_longer_needed"]),
                                  late=kind == "rejected_late")
                self.deliver(order(rng, order_id), request)
        for extra in range(1, 21):  # orders with no return: sold lines in the lake
            self.deliver(order(rng, f"TM-S{extra:03d}"))
        self.wait_for({**{r: ("awaiting_parcel",) for k in ("refunded", "awaiting_parcel") for r in self.returns[k]},
                       **{r: ("in_review",) for k in ("reviewed_refunded", "in_review") for r in self.returns[k]},
                       **{r: ("rejected",) for r in self.returns["rejected_late"]}})
        for return_id in self.returns["reviewed_refunded"]:
            status, body = call_staff_api(self.cloud.api_url, self.api_key, "POST", f"/v1/reviews/generic/{return_id}",
                                          {"decision": "approve", "note": "photos not needed: a known batch fault"})
            if status != 200:
                raise SystemExit(f"review of {return_id}: {status} {body}")
        self.wait_for({r: ("awaiting_parcel",) for r in self.returns["reviewed_refunded"]})
        for return_id in self.returns["refunded"] + self.returns["reviewed_refunded"]:
            self.deliver(tracking(return_id), inspection(return_id))
        self.wait_for({r: ("refunded",) for k in ("refunded", "reviewed_refunded") for r in self.returns[k]})
        self.wait_for_lake()

    def wait_for_lake(self, quiet: float = 3.0, timeout: float = 60) -> None:
        """Until the delivery has written rows and written no more for `quiet` seconds."""
        deadline, last, since = time.monotonic() + timeout, -1, time.monotonic()
        while time.monotonic() < deadline:
            delivered = self.cloud.lake.delivered
            if delivered != last:
                last, since = delivered, time.monotonic()
            elif delivered and time.monotonic() - since >= quiet:
                return
            time.sleep(0.25)
        raise SystemExit(f"the lake's delivery did not settle in {timeout:g} s ({last} rows)")


def fetch(api_url: str, api_key: str, path: str) -> tuple[int, bytes, float]:
    """GET as the console's page does (its staff key in X-Api-Key); the status, the body and the seconds taken
    until its last byte."""
    request = urllib.request.Request(f"{api_url}{path}", headers={"X-Api-Key": api_key})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            body, status = response.read(), response.status
    except urllib.error.HTTPError as error:
        body, status = error.read(), error.code
    return status, body, time.perf_counter() - started


class CollectorPauses:
    """The cyclic garbage collector's pauses (any thread's: the API, moto and the pollers share one interpreter),
    kept while watching, so a slow request can be told apart from a collection it waited for."""

    def __init__(self) -> None:
        self.pauses: list[tuple[float, float, int]] = []  # (start, end, generation)
        self._started = None
        self.watching = False

    def __call__(self, phase: str, info: dict) -> None:
        if not self.watching:
            return
        if phase == "start":
            self._started = time.perf_counter()
        elif self._started is not None:
            self.pauses.append((self._started, time.perf_counter(), info["generation"]))
            self._started = None

    def within(self, start: float, end: float) -> tuple[float, int]:
        """Seconds of collection inside [start, end], and the oldest generation collected there (-1: none)."""
        seconds, oldest = 0.0, -1
        for begun, ended, generation in self.pauses:
            overlap = min(end, ended) - max(start, begun)
            if overlap > 0:
                seconds, oldest = seconds + overlap, max(oldest, generation)
        return seconds, oldest


def nearest_rank(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p * len(ordered)) - 1)]


def profile_middleware(path: str, into: list):
    """A Chalice HTTP middleware profiling the handling of requests for `path` (the app's side of the answer)."""
    import cProfile

    def middleware(event, get_response):
        if event.path != path.split("?")[0]:
            return get_response(event)
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        try:
            return get_response(event)
        finally:
            profiler.disable()
            into.append((time.perf_counter() - started, profiler))

    return middleware


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50, help="timed requests per page")
    parser.add_argument("--profile", metavar="PATH", help="profile the app's handling of this page (e.g. /v1/reports/cycle_times)")
    args = parser.parse_args()
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    from chalice.local import ChaliceRequestHandler

    from localcloud.cloud import LocalCloud

    ChaliceRequestHandler.log_message = lambda handler, *args: None  # the local server's access log: a line a request
    profiles: list = []
    middleware = profile_middleware(args.profile, profiles) if args.profile else None
    print(f"load average before the start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores "
          "(other processes' CPU shows in the times)")
    started = time.perf_counter()
    with LocalCloud(api_port=0, schedule_interval=None, api_middleware=middleware) as cloud:
        seeded = Seeded(cloud)
        seeded.seed(random.Random(SEED))
        closed = sum(len(seeded.returns[k]) for k in ("refunded", "reviewed_refunded", "rejected_late"))
        print(f"local cloud seeded in {time.perf_counter() - started:.1f} s through the generic webhook: "
              f"{sum(MIX.values())} returns (" + ", ".join(f"{count} {kind.replace('_', ' ')}" for kind, count in MIX.items())
              + f"), 20 more orders; the lake: {cloud.lake.delivered} rows of the {closed} closed returns, "
              f"their refunds and the orders")
        case = seeded.returns["reviewed_refunded"][0]
        pages = {
            "GET /console": "/console",
            "GET /console/plotly.min.js": "/console/plotly.min.js",
            "GET /v1/reviews?queue=product_quality": "/v1/reviews?queue=product_quality",
            f"GET /v1/returns/generic/{case} (case view)": f"/v1/returns/generic/{case}",
            f"GET /v1/returns?q=TM-C{case[-3:]} (search)": f"/v1/returns?q=TM-C{case[-3:]}",
            "GET /v1/reports (catalog)": "/v1/reports",
            "GET /v1/reports/zero_touch_by_shop": "/v1/reports/zero_touch_by_shop",
            "GET /v1/reports/cycle_times": "/v1/reports/cycle_times",
        }
        answers = {}
        for label, path in pages.items():  # warm-up: one call each, and what it answered
            status, body, seconds = fetch(cloud.api_url, seeded.api_key, path)
            if status != 200:
                raise SystemExit(f"{label}: {status} {body[:300]!r}")
            answers[label] = (body, seconds)
        profiles.clear()
        samples, timeline, began = {label: [] for label in pages}, [], time.perf_counter()
        collector = CollectorPauses()
        gc.callbacks.append(collector)
        collector.watching = True
        for n in range(args.requests):
            for label, path in pages.items():
                at, cpu = time.perf_counter(), time.process_time()
                status, body, seconds = fetch(cloud.api_url, seeded.api_key, path)
                cpu = time.process_time() - cpu  # every thread of the process: the client, the API, moto, pollers
                if status != 200:
                    raise SystemExit(f"{label}: {status} {body[:300]!r}")
                samples[label].append(seconds * 1000)
                timeline.append((seconds * 1000, label, n + 1, at - began, cpu, *collector.within(at, at + seconds)))
        collector.watching = False
        gc.callbacks.remove(collector)
        tracked = len(gc.get_objects())
    print("what each page answered (at warm-up): " + "; ".join(_described(label, body, s) for label, (body, s)
                                                                  in answers.items()))
    print(f"\nconsole pages on the local cloud, warm, {args.requests} requests each, round-robin (ms, until the last byte)")
    width = max(map(len, pages))
    print(f"{'page':<{width}} | {'p50':>7} | {'p95':>7} | {'max':>7} | target < {TARGET_MS:g} ms")
    missed = []
    for label, values in samples.items():
        p50, p95, worst = nearest_rank(values, 0.5), nearest_rank(values, 0.95), max(values)
        verdict = "met" if worst < TARGET_MS else "met at p95, not at max" if p95 < TARGET_MS else "NOT met"
        if worst >= TARGET_MS:
            missed.append(label)
        print(f"{label:<{width}} | {p50:>7.1f} | {p95:>7.1f} | {worst:>7.1f} | {verdict}")
    print(f"target: every page under {TARGET_MS:g} ms: "
          + ("met" if not missed else f"NOT met by {len(missed)}: " + ", ".join(missed)))
    slowest = sorted(timeline, reverse=True)[:5]
    print("slowest requests: " + "; ".join(
        f"{ms:.0f} ms {label.split(' (')[0]} (request {n}, at {at:.1f} s, the process's CPU {cpu * 1000:.0f} ms"
        + (f", {in_gc * 1000:.0f} ms in a generation-{oldest} collection" if in_gc >= 0.001 else "") + ")"
        for ms, label, n, at, cpu, in_gc, oldest in slowest))
    full = [(end - start) * 1000 for start, end, generation in collector.pauses if generation == 2]
    young = [(end - start) * 1000 for start, end, generation in collector.pauses if generation < 2]
    print(f"garbage collector while timing ({tracked:,} objects tracked in the cloud's one process): "
          f"{len(full)} full (generation-2) collections, longest {max(full, default=0):.0f} ms, "
          f"{sum(full):.0f} ms in all; {len(young)} young ones, longest {max(young, default=0):.0f} ms")
    hit = [(ms, label, in_gc) for ms, label, n, at, cpu, in_gc, oldest in timeline if oldest == 2]
    if hit:
        print(f"requests that waited for a full collection: {len(hit)}, "
              + ", ".join(f"{label.split(' (')[0]} {ms:.0f} ms ({in_gc * 1000:.0f} in it)" for ms, label, in_gc in hit))
    if profiles:
        _print_profile(args.profile, profiles)


def _described(label: str, body: bytes, seconds: float) -> str:
    name = label.split(" (")[0].removeprefix("GET ")
    try:
        answer = json.loads(body)
    except ValueError:
        return f"{name} {len(body) / 1e3:,.0f} kB"
    if "rows" in answer:
        return f"{name} {len(answer['rows'])} rows"
    if "items" in answer:
        return f"{name} {len(answer['items'])} items"
    if "reports" in answer:
        return f"{name} {len(answer['reports'])} reports"
    return f"{name} {answer.get('request', {}).get('reason')} return, {len(answer.get('workflow') or [])} workflow steps"


def _print_profile(path: str, profiles: list) -> None:
    import pstats

    stats = pstats.Stats(profiles[0][1])
    for _, more in profiles[1:]:
        stats.add(more)
    print(f"\ncProfile of the app's handling of {path}, all {len(profiles)} timed requests (cumulative, top 30):")
    stats.sort_stats("cumulative").print_stats(30)
    seconds, slowest = max(profiles, key=lambda entry: entry[0])
    print(f"cProfile of the slowest of them, {seconds * 1000:.0f} ms in the app (own time, top 15):")
    pstats.Stats(slowest).sort_stats("tottime").print_stats(15)


if __name__ == "__main__":
    main()
