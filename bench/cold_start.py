"""Lambda cold starts: what a fresh execution environment pays before, and during, its first invocation.

- `import app` vs `import boto3` alone, medians of 7 fresh interpreters each, run alternately so drift in the
  VM's speed hits both (target: import app <= 1.3x import boto3; the AWS clients are made on first use);
- per deployed function (Lambda tasks, schedules, the SQS consumer, the HTTP API), one fresh interpreter each
  on moto: `import app`, then the first call (lazy imports of the handler's path + client creation + the work)
  and a second, warm call. moto and localcloud.provision are loaded before the `import app` timer, and moto
  loads boto3, so that column is not a cold figure: the first call is the one that matters.
The state each workflow task acts on is made once, in a seed process, by the app's own handlers (ingest, verify,
inspection, quote, dispatch of RT-1 and RT-2), and written into each child's tables with put_item before its
timers, so no handler code runs early. Call n acts on RT-n, so both calls do the same work. Run with `make bench`.
"""

import hashlib  # noqa: E401
import hmac
import importlib
import json
import os
import statistics
import subprocess
import sys
import time
from types import SimpleNamespace

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
REGION, ACCOUNT, RUNS, MARK, SECRET, PAYMENT_KEY = "us-east-1", "123456789012", 7, "RESULT ", "bench-secret-00001", "pay-key"
ENV = {"AWS_DEFAULT_REGION": REGION, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
       "AWS_SESSION_TOKEN": "testing", "POWERTOOLS_LOG_LEVEL": "WARNING", "PYTHONHASHSEED": "0"}
# The tables each task starts from (the seed's stage); the other functions get the last stage, the API none.
STAGE = {"verify_return": "requested", "hold_shipment": "verified", "wait_for_event": "verified",
         "record_failure": "verified", "calculate_refund": "inspected", "dispatch_refund": "quoted"}
HTTP = ("POST /v1/refund-quotes", "POST /v1/webhooks/generic")


def order(n):
    lines = [{"line_id": "L1", "sku": "SHOE-42", "category": "footwear", "unit_price": "299.00", "quantity": 1},
             {"line_id": "L2", "sku": "SOCK-3P", "category": "apparel", "unit_price": "33.33", "quantity": 3,
              "line_discount": "9.99"}]
    return {"event_id": f"evt-order-{n}", "type": "OrderUpserted", "occurred_at": "2026-11-20T08:00:00Z", "data": {
        "order_id": f"TM-{n}", "customer_id": f"C-{n}", "currency": "CNY", "status": "delivered", "lines": lines,
        "paid_at": "2026-11-15T08:00:00Z", "shipped_at": "2026-11-16T08:00:00Z",
        "delivered_at": "2026-11-18T08:00:00Z", "shipping_fee": "12.00", "order_discount": "30.00"}}


def requested(n):
    return {"event_id": f"evt-return-{n}", "type": "ReturnRequested", "occurred_at": "2026-11-20T09:00:00Z",
            "data": {"return_id": f"RT-{n}", "order_id": f"TM-{n}", "reason": "changed_mind",
                     "items": [{"line_id": "L1", "quantity": 1}]}}


def inspected(n):
    return {"event_id": f"evt-inspection-{n}", "type": "InspectionCompleted", "occurred_at": "2026-11-21T09:00:00Z",
            "data": {"return_id": f"RT-{n}", "items": [{"line_id": "L1", "accepted": 1}]}}


def sqs_event(*payloads):
    """What Lambda's event source mapping delivers (localcloud/sqs_event_source.py), canonical events as bodies."""
    return {"Records": [{
        "messageId": f"m-{p['event_id']}", "receiptHandle": f"rh-{i}", "md5OfBody": "", "messageAttributes": {},
        "body": json.dumps({**p, "source": "tmall", "received_at": "2026-11-22T08:00:00Z"}),
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1795000000000"}, "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT}:aftersales-ingest", "awsRegion": REGION,
    } for i, p in enumerate(payloads)]}


def api_event(route, n):
    """An API Gateway proxy event, as `app.app` receives it on Lambda."""
    method, path = route.split(" ")
    if path.endswith("refund-quotes"):
        with open(os.path.join(ROOT, "tests", "fixtures", "contract_quote_request.json")) as f:
            body, headers, template, params = f.read(), {"content-type": "application/json"}, path, None
    else:  # a signed generic webhook: HMAC-SHA256 over "{timestamp}.{body}"
        body, stamp = json.dumps(requested(100 + n)), str(int(time.time()))
        signature = hmac.new(SECRET.encode(), f"{stamp}.{body}".encode(), hashlib.sha256).hexdigest()
        headers = {"content-type": "application/json", "x-aftersales-timestamp": stamp,
                   "x-aftersales-signature": signature}
        template, params = "/v1/webhooks/{source}", {"source": "generic"}
    return {"resource": template, "path": path, "httpMethod": method, "headers": headers, "body": body,
            "multiValueQueryStringParameters": None, "pathParameters": params, "stageVariables": None,
            "isBase64Encoded": False, "requestContext": {"resourcePath": template, "httpMethod": method,
                                                         "path": "/api" + path, "stage": "api", "requestId": f"r{n}"}}


def invocation(name, kind, n):
    """(event, context) for call n of a function of this kind."""
    ctx = SimpleNamespace(function_name=name, aws_request_id=f"bench-{n}", memory_limit_in_mb=512,
                          invoked_function_arn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}",
                          get_remaining_time_in_millis=lambda: 30_000)
    if kind == "http":
        return api_event(name, n), ctx
    if kind == "sqs":
        return sqs_event(order(200 + n), requested(200 + n)), None
    if kind == "schedule":
        return {"version": "0", "id": f"bench-{n}", "detail-type": "Scheduled Event", "source": "aws.events",
                "account": ACCOUNT, "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "region": REGION,
                "resources": [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{name}"], "detail": {}}, None
    rid = {"return_id": f"RT-{n}"}  # a Lambda task: the payload the ASL's Parameters give it
    approved = {**rid, "verification": {"decision": "approve"}}
    failure = {"type": "PaymentNotConfirmed", "message": "the provider did not answer in time"}
    return {"wait_for_event": {**rid, "waiting_for": "parcel", "task_token": f"token-{n}"},
            "answer_marketplace": {**rid, "answer": "approve"},
            "notify_outcome": {**rid, "state": {**approved, "refund": {"outcome": "refund"},
                                                "dispatch": {"payment": "confirmed"}}},
            "record_failure": {**rid, "state": {**approved, "failure": {"Error": "States.TaskFailed", "Cause": "x"}}},
            "refund_failed": {**rid, "dispatch": {"error": failure, "attempts": 4, "payment": "failed"}},
            }.get(name, rid), ctx


def local_cloud(names, tables):
    """moto with every resource provisioned as the tests do, the simulated payment and carrier APIs, and `tables`."""
    os.environ.update(ENV)
    for key in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        os.environ.pop(key, None)
    import boto3
    from moto import mock_aws

    from localcloud.carrier_service import CarrierService
    from localcloud.payment_service import PaymentService
    from localcloud.provision import provision

    mock_aws().start()
    session = boto3.Session(region_name=REGION)
    os.environ.update(provision(
        session, names, {"generic": {"kind": "shop", "secrets": [SECRET]}}, visibility_timeout=1, payment_key=PAYMENT_KEY
    ))
    os.environ.update(AFTERSALES_PAYMENT_PROVIDER_URL=PaymentService(PAYMENT_KEY).start().url,
                      AFTERSALES_CARRIER_API_URL=CarrierService().start().url, AFTERSALES_PAYMENT_RETRY_SECONDS="1")
    dynamodb = session.client("dynamodb")
    for table, items in tables.items():
        for item in items:
            dynamodb.put_item(TableName=table, Item=item)
    return dynamodb


def resolve(app, name):
    """A function's handler as the Lambda runtime finds it: the app itself for the API, else its handler string."""
    if name in HTTP:
        return app
    function = next(f for f in [*app.pure_lambda_functions, *app.event_sources] if f.name == name)
    module, _, attribute = function.handler_string.rpartition(".")
    return getattr(importlib.import_module(module), attribute)


def seed():
    """The app's functions by kind, and the tables at each stage of RT-1 and RT-2, made by the app's own handlers."""
    from chalice.app import ScheduledEventConfig, SQSEventConfig

    from app import app

    kinds = {f.name: "task" for f in app.pure_lambda_functions}
    kinds.update({s.name: "sqs" if isinstance(s, SQSEventConfig) else "schedule" for s in app.event_sources
                  if isinstance(s, (SQSEventConfig, ScheduledEventConfig))})
    dynamodb = local_cloud([f.name for f in app.pure_lambda_functions], {})
    try:  # a fresh process has nothing cached; called as the tests do, in case that changes
        getattr(importlib.import_module("localcloud.cloud"), "clear_caches", lambda: None)()
    except Exception as error:
        print(f"clear_caches skipped: {type(error).__name__}: {error}", file=sys.stderr)
    ingest = resolve(app, next(name for name, kind in kinds.items() if kind == "sqs"))

    def task(name):
        return lambda n: resolve(app, name)(*invocation(name, "task", n))

    steps = [("requested", lambda n: ingest(sqs_event(order(n), requested(n)), None)),
             ("verified", task("verify_return")), ("inspected", lambda n: ingest(sqs_event(inspected(n)), None)),
             ("quoted", task("calculate_refund")), ("dispatched", task("dispatch_refund"))]
    stages, errors = {}, []
    for stage, step in steps:
        for n in (1, 2):
            try:
                step(n)
            except Exception as error:
                errors.append(f"{stage} RT-{n}: {type(error).__name__}")
        stages[stage] = {t: dynamodb.scan(TableName=t)["Items"] for t in dynamodb.list_tables()["TableNames"]}
    return {"kinds": kinds, "stages": stages, "errors": errors}


def measure(name, spec):
    kind = "http" if name in HTTP else spec["kinds"][name]
    stage = STAGE.get(name, "dispatched") if kind in ("task", "schedule") else None
    local_cloud([n for n, k in spec["kinds"].items() if k == "task"], spec["stages"][stage] if stage else {})
    started = time.perf_counter()
    from app import app

    result = {"import": time.perf_counter() - started, "calls": [], "outcomes": []}
    handler = resolve(app, name)
    for n in (1, 2):
        event, ctx = invocation(name, kind, n)
        started = time.perf_counter()
        try:
            answer = handler(event, ctx)
            answer = dict(answer) if isinstance(answer, dict) else {}
            failed = answer.pop("batchItemFailures", [])
            key = next((k for k in ("statusCode", "code", "outcome", "payment", "queue") if k in answer), None)
            outcome = str(answer[key]) if key else next((f"{k}={v}"[:24] for k, v in answer.items()), "ok")
            outcome = f"{len(failed)} records failed" if failed else outcome
        except Exception as error:
            outcome = type(error).__name__
        result["calls"].append(time.perf_counter() - started)
        result["outcomes"].append(outcome)
    return result


def child(mode, spec):
    proc = subprocess.run([sys.executable, __file__, mode], input=json.dumps(spec), capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, **ENV}, timeout=90)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(MARK):
            return json.loads(line[len(MARK):])
    raise RuntimeError(f"exit {proc.returncode}: {(proc.stderr.strip().splitlines() or ['no output'])[-1]}")


def import_seconds(module):
    code = f"import time; t=time.perf_counter(); import {module}; print(time.perf_counter()-t)"
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    if proc.returncode:
        sys.exit(f"import {module} failed, nothing measured: {(proc.stderr.strip().splitlines() or ['?'])[-1]}")
    return float(proc.stdout.strip().splitlines()[-1])


def main():
    samples = {"boto3": [], "app": []}
    for _ in range(RUNS):
        for module in samples:  # alternating: boto3, app, boto3, app, ...
            samples[module].append(import_seconds(module))
    boto3_ms, app_ms = (statistics.median(samples[m]) * 1000 for m in ("boto3", "app"))
    ratio = app_ms / boto3_ms
    print(f"import boto3: {boto3_ms:.0f} ms, import app: {app_ms:.0f} ms (medians of {RUNS} fresh interpreters)")
    print(f"import app / import boto3 = {ratio:.2f}x (target <= 1.3x: {'met' if ratio <= 1.3 else 'NOT met'})")
    cached = os.path.isdir(os.path.join(ROOT, "chalicelib", "__pycache__"))  # boto3's come with its install
    print(f"(the project's bytecode cache is {'present' if cached else 'absent: import app compiles its modules'})\n")
    try:
        spec = child("--seed", {})
    except (RuntimeError, subprocess.TimeoutExpired, ValueError) as error:
        sys.exit(f"the seed process failed, so no function was measured: {error}")
    if spec["errors"]:
        print("seed steps that raised (the functions after them act on less state):", ", ".join(spec["errors"]))
    rows = []
    for name in [*spec["kinds"], *HTTP]:
        try:
            r = child("--child", {**spec, "name": name})
            rows.append((name, r["import"] * 1000, *(c * 1000 for c in r["calls"]), " / ".join(r["outcomes"])))
        except (RuntimeError, subprocess.TimeoutExpired, ValueError) as error:
            rows.append((name, None, None, None, f"child failed: {error}"))
    print("First invocation per function, one fresh interpreter each, on moto (ms; outcome of the first / second call)")
    print("import app* = with boto3, moto and localcloud.provision already loaded, so not a cold import\n")
    print(f"{'function':<26} | {'import app*':>11} | {'first call':>10} | {'second call':>11} | outcome")
    for name, *figures, outcome in rows:
        cells = [f"{f:.1f}" if f is not None else "-" for f in figures]
        print(f"{name:<26} | {cells[0]:>11} | {cells[1]:>10} | {cells[2]:>11} | {outcome}")
    timed = [row for row in rows if row[2] is not None]
    if timed:
        name, _, first, *_ = max(timed, key=lambda row: row[2])
        print(f"\nslowest first call: {name} ({first:.0f} ms)")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] in ("--seed", "--child"):
        sys.path.insert(0, ROOT)
        request = json.load(sys.stdin)
        answer = seed() if sys.argv[1] == "--seed" else measure(request["name"], request)
        print(MARK + json.dumps(answer), flush=True)
        os._exit(0)  # the loopback servers' threads and moto need no orderly shutdown
    main()
