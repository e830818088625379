"""Replay a captured Shopify webhook into a running local cloud (`make serve`), signed as Shopify signs it.

    python scripts/replay_shopify_webhook.py http://127.0.0.1:8000 body.json --topic returns/request \\
        --shopify http://127.0.0.1:PORT --answer order.json --answer return.json

`body.json` is the delivery's raw body as Shopify sent it. Each `--answer` is an Admin API object the consumer will
read back while hydrating it (the `order`, `return`, `refund` or `reverseDelivery` of a query's `data`, as the
real shop answered), handed to the simulated Shopify first: make serve prints its URL.
"""

import argparse
import base64
import hashlib
import hmac
import json
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from localcloud.cloud import SHOPIFY_APP_SECRET  # noqa: E402
from localcloud.shopify_service import CAPTURE_PATH  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("api_url")
    parser.add_argument("body", type=Path, help="the delivery's raw body")
    parser.add_argument("--topic", required=True, help="X-Shopify-Topic, e.g. returns/request")
    parser.add_argument("--domain", default="acme.myshopify.com", help="X-Shopify-Shop-Domain (a shop of make serve)")
    parser.add_argument("--secret", default=SHOPIFY_APP_SECRET, help="the app's client secret (default: the local one)")
    parser.add_argument("--webhook-id", default=None, help="X-Shopify-Webhook-Id (default: a new one)")
    parser.add_argument("--shopify", help="the simulated Shopify's URL, to hand it the --answer objects")
    parser.add_argument("--answer", type=Path, action="append", default=[], help="an Admin API object (JSON)")
    args = parser.parse_args()
    for path in args.answer:
        node = json.loads(path.read_text())
        node = next(iter(node.values())) if "id" not in node and len(node) == 1 else node  # {"order": {...}} too
        print(path, _post(f"{args.shopify.rstrip('/')}{CAPTURE_PATH}", json.dumps({"domain": args.domain, "node": node}).encode(), {}))
    body = args.body.read_bytes()
    headers = {
        "Content-Type": "application/json", "X-Shopify-Topic": args.topic, "X-Shopify-Shop-Domain": args.domain,
        "X-Shopify-Hmac-Sha256": base64.b64encode(hmac.new(args.secret.encode(), body, hashlib.sha256).digest()).decode(),
        "X-Shopify-Webhook-Id": args.webhook_id or str(uuid.uuid4()), "X-Shopify-API-Version": "2026-04",
    }
    print(args.body, _post(f"{args.api_url.rstrip('/')}/v1/webhooks/shopify", body, headers))
    return 0


def _post(url: str, body: bytes, headers: dict) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


if __name__ == "__main__":
    sys.exit(main())
