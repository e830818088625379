"""Shopify's payloads and Admin API answers, written from its published samples (tests/fixtures/shopify/)."""

import base64
import copy
import hashlib
import hmac
import json
from pathlib import Path

FIXTURES = Path(__file__).parents[2] / "fixtures" / "shopify"
APP_SECRET = "shpss_0123456789abcdef0123456789abcdef"
DOMAIN = "acme.myshopify.com"
SHOP = "shopify-acme"


def fixture(name: str) -> dict:
    return copy.deepcopy(json.loads((FIXTURES / f"{name}.json").read_text()))


def shopify_hmac(body: bytes, secret: str = APP_SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def delivery_headers(topic: str, body: bytes, webhook_id: str = "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
                     secret: str = APP_SECRET, **more) -> dict:
    return {
        "x-shopify-topic": topic, "x-shopify-hmac-sha256": shopify_hmac(body, secret), "x-shopify-shop-domain": DOMAIN,
        "x-shopify-api-version": "2026-04", "x-shopify-webhook-id": webhook_id,
        "x-shopify-event-id": "98880550-7158-44d4-b7cd-2c97c8a091b5", "x-shopify-triggered-at": "2026-11-22T07:59:58Z",
        **more,
    }
