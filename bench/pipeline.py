"""The pipeline's budgets: webhook CPU against its floor, state transitions per return (the cold start is
bench/cold_start.py's).

- CPU per accepted webhook (signature, JSON, validation, archive key, queue
  message; the AWS calls replaced by in-memory ports) vs the floor of HMAC +
  json.loads + pydantic validation of the same body (target <= 3x), for the
  generic envelope and for a Shopify delivery;
- state transitions of one auto-approved return, counted from the execution
  history on the local cloud (target <= 12).
Run with `make bench`.
"""

import json
import os
import sys
import time
from datetime import datetime, timezone

ROOT = os.path.join(os.path.dirname(__file__), "..")
sys.path.insert(0, ROOT)

from chalicelib.adapters.memory import MemoryDirectory, memory_ports  # noqa: E402
from chalicelib.domain.events import canonical_events  # noqa: E402
from chalicelib.domain.signatures import sign  # noqa: E402
from chalicelib.domain.sources import source_of  # noqa: E402
from chalicelib.services.accept_webhook import accept_webhook  # noqa: E402
from tests.webhook_events import order_upserted  # noqa: E402

SECRET = b"bench-secret-00001"


def cpu_per_call(call, repeat: int = 3000) -> float:
    best = float("inf")
    for _ in range(5):
        start = time.process_time()
        for _ in range(repeat):
            call()
        best = min(best, (time.process_time() - start) / repeat)
    return best


def webhook_ratio() -> tuple[float, float]:
    body = json.dumps(order_upserted()).encode()
    now = datetime.now(timezone.utc)
    timestamp = str(int(now.timestamp()))
    signature = sign(SECRET, timestamp, body)
    generic = source_of("generic", json.dumps({"kind": "shop", "secrets": [SECRET.decode()]}))
    ports = memory_ports(sources=MemoryDirectory({"generic": generic}))

    def accept() -> None:
        accept_webhook("generic", timestamp, signature, body, ports, now)
        ports.queue.messages.clear()

    def floor() -> None:
        sign(SECRET, timestamp, body)
        payload = json.loads(body)
        canonical_events.validate_python({**payload, "source": "generic", "received_at": now})

    return cpu_per_call(accept), cpu_per_call(floor)


def shopify_webhook_ratio() -> tuple[float, float]:
    import base64
    import hashlib
    import hmac

    from chalicelib.domain.connections import connection_of
    from chalicelib.domain.events import MarketplaceNotified, edge_context
    from chalicelib.services.accept_shopify_webhook import accept_shopify_webhook
    from localcloud.cloud import SHOPIFY_APP_SECRET, SHOPIFY_SOURCE, shopify_connection
    from tests.unit.connectors.shopify_fixtures import delivery_headers, fixture

    body = json.dumps(fixture("webhook_returns_request")).encode()
    now = datetime.now(timezone.utc)
    headers = delivery_headers("returns/request", body, secret=SHOPIFY_APP_SECRET, **{"x-shopify-triggered-at": None})
    connection = json.dumps(shopify_connection("acme.myshopify.com", "live", "http://127.0.0.1:1"))
    ports = memory_ports(
        sources=MemoryDirectory({"shopify-acme": source_of("shopify-acme", json.dumps(SHOPIFY_SOURCE))}),
        connections=MemoryDirectory({"shopify-acme": connection_of("shopify-acme", connection)}),
    )
    context = edge_context(now, 3650, 24)

    def accept() -> None:
        accept_shopify_webhook(headers, body, ports, now)
        ports.queue.messages.clear()

    def floor() -> None:
        hmac.compare_digest(base64.b64encode(hmac.new(SHOPIFY_APP_SECRET.encode(), body, hashlib.sha256).digest()),
                            headers["x-shopify-hmac-sha256"].encode())
        payload = json.loads(body)
        MarketplaceNotified.model_validate({
            "event_id": "wh-1", "source": "shopify-acme", "occurred_at": now, "received_at": now,
            "data": {"platform": "shopify", "topic": "returns/request", "resource": payload["admin_graphql_api_id"]},
        }, context=context)

    return cpu_per_call(accept), cpu_per_call(floor)


def transitions_per_auto_approved_return() -> list[str]:
    from localcloud.cloud import LocalCloud
    from tests.webhook_events import return_requested

    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    events = [
        order_upserted(),
        return_requested(),
        {"event_id": "t-1", "type": "TrackingUpdated", "occurred_at": "2026-11-21T10:00:00Z",
         "data": {"carrier": "sf", "tracking_number": "SF1", "status": "delivered", "return_id": "RT-1"}},
        {"event_id": "i-1", "type": "InspectionCompleted", "occurred_at": "2026-11-21T12:00:00Z",
         "data": {"return_id": "RT-1", "items": [{"line_id": "L1", "accepted": 1}]}},
    ]
    with LocalCloud(api_port=None) as cloud:
        queue = cloud.env["AFTERSALES_INGEST_QUEUE_URL"]
        for event in events:
            message = canonical_events.validate_python({**event, "source": "bench", "received_at": datetime.now(timezone.utc)})
            cloud.sqs.send_message(QueueUrl=queue, MessageBody=message.model_dump_json())
        arn = cloud.env["AFTERSALES_RETURN_WORKFLOW_ARN"].replace(":stateMachine:", ":execution:") + ":RT-1"

        def finished() -> bool:
            try:
                return cloud.sfn.describe_execution(executionArn=arn)["status"] != "RUNNING"
            except cloud.sfn.exceptions.ExecutionDoesNotExist:
                return False

        cloud.wait_until(finished, 60)
        history = cloud.sfn.get_execution_history(executionArn=arn)["events"]
    return [e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e]


def main() -> None:
    accept, floor = webhook_ratio()
    print(f"webhook CPU: {accept * 1e6:.0f} us per accepted webhook vs floor {floor * 1e6:.0f} us "
          f"(HMAC + json.loads + validation), ratio {accept / floor:.2f}x (target <= 3x)")
    accept, floor = shopify_webhook_ratio()
    print(f"Shopify webhook CPU: {accept * 1e6:.0f} us per accepted delivery vs floor {floor * 1e6:.0f} us "
          f"(HMAC + json.loads + validation of its notification), ratio {accept / floor:.2f}x (target <= 3x)")
    states = transitions_per_auto_approved_return()
    print(f"state transitions per auto-approved return: {len(states)} (target <= 12): {' -> '.join(states)}")


if __name__ == "__main__":
    main()
