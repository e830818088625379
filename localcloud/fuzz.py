"""`python -m localcloud fuzz`: seeded, mutated requests against every route of the API over HTTP (make fuzz).

Each request starts from a valid one of its route (webhooks of each source kind, carrier pushes of each style:
JSON signed in a header, and the forms Kuaidi100 and SF's open platform post, signed in a field; refund quotes,
staff calls with a key of each role) and is mutated: fields dropped, duplicated or retyped, odd numbers, boundary
and absurd dates, ids with odd characters, lone surrogates, bytes that are not UTF-8, UTF-16 bodies, truncated
JSON, deep nesting, bodies over 256 KB; odd, missing and duplicated headers; odd query strings and cursors;
unknown or odd path segments. About half are signed validly (so that they pass authentication and reach
validation) and a share forged (a wrong key, another source's key, a stale timestamp, a body changed after
signing; a form's signed field changed after signing, its signature missing, empty or in a header instead, a
field sent twice, percent-escapes that are not UTF-8). Shopify's deliveries (POST /v1/webhooks/shopify) are
signed with the app's secret or forged (another secret, the signature of another body, a domain that is not a connected shop or tries to escape
one), with their headers dropped, retyped, duplicated or in another case, and bodies from Shopify's REST payloads
naming a resource the simulated Shopify has (made at the start of the run), one it does not have, or none. SMS
codes (POST /v1/refunds/{shop}/{return_id}/sms-code) name the run's returns, in their shop or another's (generic,
outlet, the Shopify and Tmall shops), and made-up ones; with the code Taobao sent, another, or a body that is not
{"code": 4-8 digits}. With a local cloud started here, a Tmall refund above the SMS threshold is made to wait for its
code at the start (and Taobao's first agree after it fails, for a 503). The staff reads (GET /v1/returns?q=&shop=,
the search; GET /v1/returns/{shop}/{return_id}, the case view; GET /v1/reports and /v1/reports/{name}?as_of=&
threshold=&min_count=) look for the seeding's returns, orders and parcels, the platforms' returns, made-up ones, in
their shop or another's, with keys of each role or forged ones, their query strings mutated (unicode, huge, repeated
and unknown parameters, odd days and numbers); they are drawn with a generator of their own, so that a request not
drawn for them is the one its seed and index gave before they were added. The console's page and chart library (GET /console,
/console/plotly.min.js) are public: asked with and without keys, forged or not, and odd queries and headers. The run
fails on:

- any answer 5xx, or no answer at all;
- a forged request (signature not of the source or carrier named in the path, unknown source, wrong staff key)
  answered 2xx;
- a carrier push answered other than its style (the one its content type picks) calls for: an accepted one 200 with
  its carrier's receipt for a form style, 202 for the others; a refusal with its error code (and a form style's
  failure body); 415 exactly when the route does not take its content type;
- a Shopify delivery answered other than its headers and body call for: 401 when it is forged, 202 only when
  every header and the body are valid, 400 when the body is not JSON, and a 422 that names the field at fault;
- a request its sender may not make answered 2xx: a valid staff key without the route's role (review decisions:
  checked on the audit trail), a source sending an event type or about a shop it is not granted;
- an SMS code answered other than its key, path and body call for (401, a 422 naming the path segment, 400, 403, a
  422 naming the body's field at fault, 404 for an unknown return, 409 not_waiting_for_sms_code for one that does
  not wait); a 5xx but a 503 that says unavailable where Taobao could be asked; a 2xx but a 200 for the return
  that waited for its code, which must then be agreed in Taobao (paid by the seller, once), confirmed in the ledger
  and refunded by its workflow (and left waiting when no code was taken);
- a staff read answered other than its key, path and query call for (401; 415 for a Content-Type Chalice does not
  let through to a JSON route; 422 naming the parameter or path segment at fault, in the order the route checks;
  404 unknown_return, unknown_report; 200), a 2xx to a path or method that is not the route's, a refusal that is not
  the JSON error, a 422 naming no field (but for a parameter without a name: warned); a search's 200 naming a return
  of another shop than the one asked for, or one that matches neither the id nor the order id looked for, or one
  not stored (checked in the returns table, with a local cloud), or missing the seeding's return looked for by its id;
  a case view of another return than the one named, or of one not stored; a report of another name, or rows that are
  not a value per column; a catalog that is not the reports';
- the console's page or chart library answered other than 200 with text/html, and application/javascript;
- an accepted event the consumer could not apply: once the ingest queue is empty and every workflow execution
  is parked on a task token or ended, the DLQ must be empty, the event log must hold every accepted event and no
  new `#failure:` record, and no new execution may have FAILED. An accepted Shopify notification about a resource the
  simulated Shopify has must be applied like any event; one about a resource it does not have cannot be hydrated:
  it must end in the DLQ with its HydrationFailed failure record (counted as "hydration refused", not as lost);
- a return whose Verify step refused (InvalidInput) the order or request the edge accepted, and a record grown past
  the 400 KB DynamoDB takes (moto stores some such writes).

Returns a later step sent to the failures queue (an inspection naming a line the return does not have...) are
listed, not failed: that queue is where a source's inconsistent data is meant to wait for a person.

A request is built from the seed and its index alone (`--replay INDEX` sends one again), so a run is
reproducible; only the signing timestamps follow the clock (and the ids the simulated Shopify and Tmall gave the
resources made at the start, the same in every fresh local cloud, and the SMS code Taobao sent, which a code is
given as when it still waits; a replayed code finds the refund waiting, and Taobao's agree failing). The consumer checks need the queues and tables,
which only an in-process local cloud has: against `--api-url` only the HTTP checks are made.
"""

import base64
import copy
import hashlib
import hmac
import http.client
import json
import logging
import random
import re
import socket
import sys
import threading
import time
import traceback
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from functools import partial
from pathlib import Path
from urllib.parse import parse_qs, parse_qsl, quote, quote_plus, urlsplit

from chalicelib import resources
from chalicelib.connectors.carriers import CARRIER_STYLES, FORM_STYLES, kuaidi100, sf_open_platform, style_of
from chalicelib.connectors.shopify.webhook import TOPICS
from chalicelib.domain.connections import shopify_shop_name
from chalicelib.domain.events import EVENT_TYPES, SOURCE_ID_PATTERN
from chalicelib.domain.review import QUEUES
from chalicelib.domain.signatures import sign
from chalicelib.domain.sources import DEFAULT_EVENT_TYPES, SourceKind
from localcloud.traffic import scan

DEFAULT_SEED = 20261214
MAX_BODY = 256 * 1024
# Requests are sent in slices of this many; the next waits until the ingest queue is below half a slice (moto's
# SQS walks every queued message on each call, so a deep queue slows every handler; see traffic.PACE).
SLICE = 200
# Records that grow with every event about them: every this many requests, one is a valid event at the contract's
# sizes about the same hot record (a return's evidence, 20 URLs of 2 KB; a parcel's timeline, 190 checkpoints with
# the longest texts), so that a long run shows whether a record can outgrow what its table takes (DynamoDB: 400 KB).
GROWTH_EVERY = {"evidence": 1000, "timeline": 3333}
# Every this many requests, an order whose own ids are as long as the id grammar allows (128), at that position,
# and a return for it later: what the workflow must be able to decide.
LONGEST_IDS = {"every": 5000, "order": 2000, "request": 4000}
MAX_ITEM_BYTES = 400 * 1024  # what DynamoDB takes (moto does not check every write for it)
PROBE_HEADER = "X-Fuzz-Probe"

ROUTES = {
    "webhook": "POST /v1/webhooks/{source}",
    "carrier": "POST /v1/webhooks/carriers/{carrier}",
    "shopify": "POST /v1/webhooks/shopify",
    "quote": "POST /v1/refund-quotes",
    "preview": "POST /v1/verification-previews",
    "reviews": "GET /v1/reviews",
    "decide": "POST /v1/reviews/{shop}/{return_id}",
    "tracking": "PUT /v1/returns/{shop}/{return_id}/tracking",
    "sms": "POST /v1/refunds/{shop}/{return_id}/sms-code",
    "refunds": "GET /v1/refunds",
    "reconciliation": "GET /v1/refunds/reconciliation",
    "export": "GET /v1/refunds/export.csv",
    "search": "GET /v1/returns",
    "case": "GET /v1/returns/{shop}/{return_id}",
    "catalog": "GET /v1/reports",
    "report": "GET /v1/reports/{name}",
    "console": "GET /console",
    "chart_library": "GET /console/plotly.min.js",
    "other": "other paths and methods",
}
ROUTE_WEIGHTS = {
    "webhook": 30, "carrier": 16, "shopify": 5, "quote": 8, "preview": 7, "reviews": 7, "decide": 7, "tracking": 6,
    "sms": 3, "refunds": 6, "reconciliation": 4, "export": 4, "other": 3,
}
# The staff reads and the console's page and script, drawn with a generator of their own, in this share of the
# requests (as if their weights were in the table above): the other requests of a seed stay what they were.
READ_WEIGHTS = {"search": 5, "case": 5, "catalog": 2, "report": 4, "console": 2, "chart_library": 2}
READ_SHARE = sum(READ_WEIGHTS.values()) / (sum(READ_WEIGHTS.values()) + sum(ROUTE_WEIGHTS.values()))
# The staff role each route needs (GET /v1/reviews: finance for its queue, after_sales for the others; a review
# decision: finance for a refund the provider did not confirm, after_sales otherwise, checked on the audit trail).
ROUTE_ROLES = {
    "preview": "after_sales", "tracking": "after_sales", "sms": "finance", "refunds": "finance",
    "reconciliation": "finance", "export": "finance",
}
STAFF_ROUTES = ("preview", "reviews", "decide", "tracking", "sms", "refunds", "reconciliation", "export", "search",
                "case", "catalog", "report")
# The staff reads that take a key of any of these roles (search, case view, the reports; admin may do anything).
READ_ROUTES = ("search", "case", "catalog", "report")
READ_ROLES = {"after_sales", "finance"}
# The public pages (no key): the answer each must be, by its content type's media type.
PUBLIC_MEDIA = {"console": "text/html", "chart_library": "application/javascript"}
# The styles a carrier push is built in, by name: each carrier name's own, and the form a name also speaks
# (SF's open platform): name -> (the carrier in the path, the style).
PUSH_STYLES = {**{name: (name, style) for name, style in CARRIER_STYLES.items()},
               **{f"{name} form": (name, style) for name, style in FORM_STYLES.items()}}
# The styles that post a form, signed in a field: (the signed field, the signature field). Their carrier takes 200
# and its own receipt as received; the other styles (JSON, signed in a header) are answered 202.
FORM_POSTED = {kuaidi100: ("param", "sign"), sf_open_platform: ("msgData", "msgDigest")}
HEADER_STYLES = [style for style in CARRIER_STYLES.values() if hasattr(style, "SIGNATURE_HEADER")]
# What the carrier route takes (chalicelib/api/webhooks.py); Chalice answers any other content type 415 before the view.
CARRIER_MEDIA = ("application/json", "application/x-www-form-urlencoded")
FORM_TYPES = [b"application/x-www-form-urlencoded", b"application/x-www-form-urlencoded;charset=UTF-8",
              b"application/x-www-form-urlencoded; charset=utf-8", b"Application/X-WWW-Form-Urlencoded"]
MAX_FORM_FIELDS = 20  # what the edge reads of a form (chalicelib/connectors/carriers/checkpoints.py)
# A carrier name the route's path parameter surely matches (the others may not reach the view at all).
PLAIN_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}")
CURRENCIES = [("CNY", 2), ("CNY", 2), ("USD", 2), ("EUR", 2), ("JPY", 0), ("KWD", 3)]
SELLER_FAULT = ["quality_issue", "not_as_described", "wrong_item", "damaged_in_transit", "missing_parts"]
BUYER_FAULT = ["changed_mind", "wrong_size", "no_longer_needed", "other"]
TRACKING_STATUSES = [
    "pending", "info_received", "in_transit", "out_for_delivery", "attempt_fail", "delivered",
    "available_for_pickup", "exception", "expired", "returned_to_sender",
]

# --- odd values -----------------------------------------------------------------------------------------------


class Raw:
    """JSON text spliced into a body as it is (what json.dumps cannot write: 1e999, 5,000 digits, deep nesting)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"Raw({self.text[:40]!r}{'...' if len(self.text) > 40 else ''}, {len(self.text)} chars)"


class Pairs:
    """A JSON object whose keys may repeat (json.loads keeps the last)."""

    def __init__(self, items: list) -> None:
        self.items = items

    def __repr__(self) -> str:
        return f"Pairs({[key for key, _ in self.items]})"


def dump(value, ascii_only: bool = True) -> str:
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, dict):
        value = Pairs(list(value.items()))
    if isinstance(value, Pairs):
        return "{" + ", ".join(f"{json.dumps(k, ensure_ascii=ascii_only)}: {dump(v, ascii_only)}" for k, v in value.items) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(dump(v, ascii_only) for v in value) + "]"
    return json.dumps(value, ensure_ascii=ascii_only)


def deep(depth: int, kind: str = "list") -> Raw:
    if kind == "list":
        return Raw("[" * depth + "]" * depth)
    return Raw('{"a": ' * depth + "1" + "}" * depth)


ODD_IDS = [
    "", " ", "a:b", "RT:1:2", "a/b", "generic/FZ-R1", "outlet/FZ-R1", "a#b", "#failure:x", "a b", " FZ-R1", "FZ-R1 ",
    "ü", "ＦＺ-Ｒ1", "RT-1\u0000", "RT-1\n", "RT-1\t", "x" * 81, "x" * 127, "x" * 128, "x" * 129, "y" * 193, "z" * 200,
    "-RT", ".RT", "_RT", "RT..", "..", ".", "RT%2F1", "%2e%2e", "😀", "\ud800", "\udfff", "RT-1\u202e", "null", "None",
    "../../etc/passwd", "RT*", "RT?", "[RT]", "RT,1", "RT;1", "RT'1", 'RT"1', "RT\\1", "Ǆ", "İ", "ß", "\u00a0RT",
    "FZ-R1-" + "9" * 70, "a" * 64 + "-" + "0123456789abcdef",
]
ODD_AMOUNTS = [
    "-1.00", "1e3", "1E3", "0.001", "１２.００", "١٢.٠٠", "12.0", "12", "0", "-0", "-0.00", "00.00", "012.00",
    "9" * 40 + ".00", "9" * 18 + ".99", "NaN", "Infinity", " 12.00", "12.00 ", "12,00", "+12.00", "0x10", ".5", "5.",
    "", "1_000.00", "²", "12.345", "12.3456", "0.00", "99999999999999999999.999",
]
ODD_NUMBERS = [
    -1, 0, 1, 2, 499, 500, 501, 2**31, 2**53 + 1, 2**63, 2**64, 10**30, -(10**30), 1.5, 0.5, -0.0, 1e308, 1e-300,
    float("nan"), float("inf"), float("-inf"), True, False, Raw("1e999"), Raw("-1e999"), Raw("1" + "0" * 5000),
    Raw("0." + "0" * 5000 + "1"), Raw("-0"), Raw("1E400"), Raw("01"), Raw("+1"), Raw(".5"), Raw("1.e2"),
]
UNICODE = [
    "\ud800", "\udfff", "\ud83d\ude00", "\ud83d", "a\u0000b", "\u202eFZ", "e\u0301", "\ufeff", "\uffff", "\U0001d518",
    "日本語", "\x7f", "\u2028", "\u0085", "Ω" * 300, "😀" * 200, "\U0010ffff", "\u0378",
]
# Values the contract takes, at its edges: what reaches the consumer, the workflow, the tables and the exports.
VALID_ODD_IDS = ["0", "A", "z" * 128, "Z9._:-", "a:b:c", "1.2.3", "x-" * 64, "FZ-R1.", "FZ-R1:", "A" + "." * 127,
                 "9" * 128, "a_b", "A-", "a..b", "a::b", "FZ-R1-0123456789abcdef"]
VALID_ODD_AMOUNTS = ["0", "999999999999999", "999999999999999.99", "999999999999999.999", "0.00", "0.01", "0.000",
                     "100000000000000.00", "1.5", "1.234"]
VALID_ODD_TEXTS = ["x" * 512, "😀" * 512, "a\u0000b", "\uffff", "\ufffe", "=HYPERLINK(\"http://x\")", "a,b\"c\nd\r\ne",
                   "\u202eevil", "\t", " ", "", "\x01\x02\x1f", "日本語のメモ", "\U0010ffff", "\ud83d\ude00" * 100,
                   "-1+1", "@SUM(1)", "\u2028\u2029", "é" * 512]
TEXT_KEYS = {"note", "location", "description", "message", "remark", "acceptAddress", "sku", "category", "subtag",
             "title", "context", "areaName"}
QUANTITY_KEYS = {"quantity", "accepted", "returned_before", "returns_30d"}
# (Mutable: a document gets a copy, else a later mutation could change this list's, or make a value contain itself.)
TYPES = [None, True, False, 0, -1, 1.5, "", "x", "0", "true", [], {}, [None], {"a": 1}, [[]], ["x"], Raw("[{}]")]


def odd_dates(now: datetime) -> list:
    iso = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    return [
        "9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59.999999+14:00", "0001-01-01T00:00:00-14:00", iso(now - timedelta(days=2)).rstrip("Z"),
        "2026-11-20", "2026-02-30T00:00:00Z", "2026-11-20T24:00:00Z", "2026-11-20T23:59:60Z", "2026-11-20T08:00:00+24:00",
        "2026-11-20T08:00:00+23:59", "2026-11-20T08:00:00-23:59", "1970-01-01T00:00:00Z", "1969-12-31T23:59:59Z",
        "2038-01-19T03:14:08Z", iso(now + timedelta(hours=23)), iso(now + timedelta(hours=25)),
        iso(now - timedelta(days=3649)), iso(now - timedelta(days=3651)), "20261120T080000Z", "2026-W47-5T08:00:00Z",
        " 2026-11-20T08:00:00Z", "2026-11-20T08:00:00.123456789Z", "2026-11-20T08:00:00,5Z", "-2026-11-20T08:00:00Z",
        "+12026-11-20T08:00:00Z", "２０２６-１１-２０T08:00:00Z", "now", "", "T", "2026-11-20T08:00:00ZZ",
        "2026-11-20t08:00:00z", "2026-11-20 08:00:00Z", int(now.timestamp()), now.timestamp(), 10**20, -1, 0,
        "1763625600", "2026-11-20T08:00:00+05", "2026-11-20T08:00:00+0530",
    ]


# --- the samples ------------------------------------------------------------------------------------------------


CHINA = timezone(timedelta(hours=8))


def iso(t: datetime) -> str:
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def pad(prefix: str, size: int) -> str:
    return (prefix + "x" * size)[:size]


def money(minor: int, exponent: int) -> str:
    if not exponent:
        return str(minor)
    sign_ = "-" if minor < 0 else ""
    whole, part = divmod(abs(minor), 10**exponent)
    return f"{sign_}{whole}.{part:0{exponent}d}"


@dataclass(frozen=True)
class Pools:
    """The ids valid requests name: `size` orders and returns per shop, their tracking numbers and receipts; the
    times relative to `anchor` (midnight UTC ten days before the run's day), so that valid ones are recent."""

    size: int
    anchor: datetime
    prefix: str = "FZ"

    def order_id(self, k: int) -> str:
        return f"{self.prefix}-O{k}"

    def return_id(self, k: int) -> str:
        return f"{self.prefix}-R{k}"

    def tracking_number(self, k: int) -> str:
        return f"{self.prefix}-TN{k}"

    def at(self, days: float) -> str:
        return iso(self.anchor + timedelta(days=days))

    def currency(self, k: int) -> tuple[str, int]:
        return CURRENCIES[k % len(CURRENCIES)]

    def paid_only(self, k: int) -> bool:
        return k % 10 == 7

    def order(self, k: int) -> dict:
        currency, exponent = self.currency(k)
        unit = 10**exponent
        lines = [
            {"line_id": f"L{n}", "sku": f"SKU-{k}-{n}", "category": ["apparel", "footwear", "electronics", "home"][(k + n) % 4],
             "unit_price": money((2500 if k % 9 == 4 and n == 1 else 40 + 17 * k + 31 * n) * unit + (k * 7 % unit), exponent),
             "quantity": 1 + (k + n) % 3}
            for n in range(1, 2 + k % 3)
        ]
        if k % 5 == 2:
            lines.append({"line_id": "G1", "sku": "GIFT", "category": "gift", "unit_price": money(0, exponent), "quantity": 1,
                          "is_gift": True, "gift_for": "L1", "gift_value": money(5 * unit, exponent)})
        order = {
            "order_id": self.order_id(k), "customer_id": f"{self.prefix}-C{k // 2}", "currency": currency,
            "status": "paid" if self.paid_only(k) else ("shipped" if k % 10 == 8 else "delivered"),
            "paid_at": self.at(0), "shipping_fee": money((k % 4) * 5 * unit, exponent), "lines": lines,
        }
        if k % 3 == 1:
            order["order_discount"] = money(3 * unit, exponent)
        if not self.paid_only(k):
            order["shipped_at"] = self.at(1)
            order["shipment"] = {"carrier": "sf-express", "tracking_number": f"{self.prefix}-OUT{k}"}
        if order["status"] == "delivered":
            order["delivered_at"] = self.at(3)
        return order

    def reason(self, k: int) -> str:
        reasons = SELLER_FAULT + BUYER_FAULT
        return reasons[k % len(reasons)]

    def return_data(self, k: int) -> dict:
        data = {"return_id": self.return_id(k), "order_id": self.order_id(k), "reason": self.reason(k),
                "items": [{"line_id": "L1", "quantity": 1}]}
        if self.paid_only(k):
            return data
        if data["reason"] in SELLER_FAULT and k % 4 != 1:
            data["evidence_urls"] = [f"https://img.example.com/{self.return_id(k)}/1.jpg"]
        if k % 3 == 0:
            data["shipment"] = {"carrier": "sf-express", "tracking_number": self.tracking_number(k)}
        if k % 11 == 6:
            currency, exponent = self.currency(k)
            data["resolution"] = "exchange"
            data["replacement"] = {"sku": f"SKU-{k}-X", "unit_price": money(50 * 10**exponent, exponent), "quantity": 1}
        if k % 4 == 2:
            data["return_shipping_paid"] = money(8 * 10 ** self.currency(k)[1], self.currency(k)[1])
        if k % 5 == 3:
            data["note"] = "the sole came off"
        return data

    def request_event(self, k: int, event_id: str | None = None) -> dict:
        kind = "CancelRequested" if self.paid_only(k) else "ReturnRequested"
        return {"event_id": event_id or f"fz-request-{k}", "type": kind, "occurred_at": self.at(5),
                "data": self.return_data(k)}

    def order_event(self, k: int, event_id: str | None = None) -> dict:
        return {"event_id": event_id or f"fz-order-{k}", "type": "OrderUpserted", "occurred_at": self.at(3),
                "data": self.order(k)}


class Samples:
    """Valid requests of each route, chosen with the probe's generator."""

    def __init__(self, pools: Pools, rng: random.Random, index: int, now: datetime) -> None:
        self.p, self.rng, self.index, self.now = pools, rng, index, now

    def k(self) -> int:
        return self.rng.randrange(self.p.size)

    def event_id(self, kind: str, k: int) -> str:
        """Half of them the id a redelivery would carry, half a new event."""
        return f"fz-{kind}-{k}" if self.rng.random() < 0.5 else f"fz-{kind}-{k}-{self.index}"

    def shop_event(self, granted_all: bool) -> dict:
        kinds = ["order", "request", "request", "evidence", "tracking", "inspection", "hold"]
        kind = self.rng.choice(kinds if granted_all or self.rng.random() < 0.2 else kinds[:4])
        k = self.k()
        if kind == "order":
            event = self.p.order_event(k, self.event_id("order", k))
            event["occurred_at"] = self.p.at(3 + self.rng.random())
            return event
        if kind == "request":
            return self.p.request_event(k, self.event_id("request", k))
        if kind == "evidence":
            data = {"return_id": self.p.return_id(k), "evidence_urls": [f"https://img.example.com/{k}/{self.index}.jpg"]}
            return {"event_id": self.event_id("evidence", k), "type": "EvidenceAdded", "occurred_at": self.p.at(6), "data": data}
        if kind == "tracking":
            return self.tracking_event(k)
        if kind == "inspection":
            return self.inspection_event(k)
        return self.hold_event(k)

    def tracking_event(self, k: int) -> dict:
        status = self.rng.choice(["delivered", "delivered", "in_transit", "in_transit", *TRACKING_STATUSES])
        data = {"carrier": "sf-express", "tracking_number": self.p.tracking_number(k), "status": status,
                "return_id": self.p.return_id(k), "location": "Hangzhou", "description": f"scan {status}"}
        return {"event_id": self.event_id(f"tracking-{status}", k), "type": "TrackingUpdated",
                "occurred_at": self.p.at(6 + self.rng.random() * 2), "data": data}

    def inspection_items(self, k: int) -> list[dict]:
        currency, exponent = self.p.currency(k)
        item = {"line_id": "L1", "accepted": self.rng.choice([1, 1, 1, 0])}
        if self.rng.random() < 0.3:
            item["deductions"] = [{"code": "scratch", "amount": money(2 * 10**exponent, exponent)}]
        return [item]

    def inspection_event(self, k: int, shop: str | None = None) -> dict:
        data = {"return_id": self.p.return_id(k), "items": self.inspection_items(k)}
        event = {"event_id": self.event_id("inspection", k), "type": "InspectionCompleted", "occurred_at": self.p.at(9),
                 "data": data}
        if shop:
            event["shop"] = shop
        return event

    def hold_event(self, k: int, shop: str | None = None) -> dict:
        data = {"return_id": self.p.return_id(k), "outcome": self.rng.choice(["held", "already_shipped"])}
        if data["outcome"] == "already_shipped" and self.rng.random() < 0.5:
            data["shipment"] = {"carrier": "sf-express", "tracking_number": self.p.tracking_number(k)}
        event = {"event_id": self.event_id("hold", k), "type": "HoldShipmentAnswered", "occurred_at": self.p.at(6), "data": data}
        if shop:
            event["shop"] = shop
        return event

    def replacement_event(self, k: int, shop: str) -> dict:
        data = {"return_id": self.p.return_id(k),
                "shipment": {"carrier": "sf-express", "tracking_number": self.p.tracking_number(k + 1)}}
        return {"event_id": self.event_id("replacement", k), "type": "ReplacementShipped", "shop": shop,
                "occurred_at": self.p.at(10), "data": data}

    def warehouse_message(self) -> dict:
        k, shop = self.k(), self.rng.choice(["generic", "outlet"])
        roll = self.rng.random()
        if roll < 0.6:
            receipt = {"receipt_id": self.event_id("receipt", k), "shop": shop, "return_id": self.p.return_id(k),
                       "inspected_at": self.p.at(9), "lines": self.inspection_items(k)}
            if self.rng.random() < 0.2:
                receipt["kept_gifts"] = ["G1"]
            return receipt
        if roll < 0.75:
            return self.hold_event(k, shop)
        if roll < 0.85:
            return self.inspection_event(k, shop)
        if roll < 0.9:
            return self.replacement_event(k, shop)
        event = self.p.order_event(k, self.event_id("order", k))
        event["shop"] = shop
        return event

    def longest_ids(self, order: bool) -> dict:
        """An order whose own order and customer ids have 128 characters (the most SOURCE_ID_PATTERN takes), or a
        request (128-character return id) for one line of it."""
        order_id, customer_id, return_id = pad("FZ-OL-", 128), pad("FZ-CL-", 128), pad("FZ-RL-", 128)
        if order:
            event = self.p.order_event(0, "fz-order-longest-ids")
            event["data"].update(order_id=order_id, customer_id=customer_id)
            return event
        event = self.p.request_event(0, "fz-request-longest-ids")
        event["type"] = "ReturnRequested"
        event["data"] = {"return_id": return_id, "order_id": order_id, "reason": "changed_mind",
                         "items": [{"line_id": "L1", "quantity": 1}]}
        return event

    def growing_evidence(self) -> dict:
        urls = [pad(f"https://img.example.com/{self.index}/{n}/", 2048) for n in range(20)]
        return {"event_id": f"fz-evidence-big-{self.index}", "type": "EvidenceAdded", "occurred_at": self.p.at(6),
                "data": {"return_id": self.p.return_id(0), "evidence_urls": urls}}

    def inflated_event(self) -> dict:
        """A valid event at the contract's sizes (under 256 KB), about one of two big orders and their returns."""
        k = self.rng.randrange(2)
        kind = self.rng.choice(["evidence", "tracking", "order", "request", "inspection"])
        big = f"{self.p.prefix}-B{k}"
        if kind == "evidence":
            urls = [pad(f"https://img.example.com/{self.index}/{n}/", 2048) for n in range(20)]
            return {"event_id": f"fz-evidence-big-{self.index}", "type": "EvidenceAdded", "occurred_at": self.p.at(6),
                    "data": {"return_id": big + "-R", "evidence_urls": urls}}
        if kind == "tracking":
            data = {"carrier": "sf-express", "tracking_number": f"{big}-TN", "status": "in_transit",
                    "return_id": big + "-R", "location": pad(f"{self.index} ", 512),
                    "description": pad(f"scan {self.index} ", 512)}
            return {"event_id": f"fz-tracking-big-{self.index}", "type": "TrackingUpdated",
                    "occurred_at": self.p.at(6 + self.rng.random()), "data": data}
        lines = [{"line_id": f"L{n}", "sku": pad(f"SKU-{n}-", 512), "category": pad(f"category-{n}-", 400),
                  "unit_price": "999999999999.99", "quantity": 1_000_000} for n in range(1, 201)]
        if kind == "order":
            order = {"order_id": big + "-O", "customer_id": f"{self.p.prefix}-CB", "currency": "CNY", "status": "delivered",
                     "paid_at": self.p.at(0), "shipped_at": self.p.at(1), "delivered_at": self.p.at(3),
                     "shipping_fee": "999999999999999.99", "lines": lines}
            return {"event_id": f"fz-order-big-{k}", "type": "OrderUpserted", "occurred_at": self.p.at(3), "data": order}
        if kind == "request":
            data = {"return_id": big + "-R", "order_id": big + "-O", "reason": "quality_issue",
                    "items": [{"line_id": f"L{n}", "quantity": 1_000_000} for n in range(1, 201)],
                    "evidence_urls": [pad(f"https://img.example.com/big/{n}/", 2048) for n in range(20)],
                    "note": pad("note ", 512), "return_shipping_paid": "999999999999999.99"}
            return {"event_id": f"fz-request-big-{k}", "type": "ReturnRequested", "occurred_at": self.p.at(5), "data": data}
        items = [{"line_id": f"L{n}", "accepted": 1_000_000,
                  "deductions": [{"code": f"d{m}", "amount": "1.00"} for m in range(20)]} for n in range(1, 201)]
        return {"event_id": f"fz-inspection-big-{k}-{self.index}", "type": "InspectionCompleted", "occurred_at": self.p.at(9),
                "data": {"return_id": big + "-R", "items": items}}

    def carrier_push(self, carrier: str, big: bool = False) -> dict:
        """A push in the style named (a key of PUSH_STYLES): its JSON, what a form style sends in its signed field;
        `big`: about 190 checkpoints with the longest texts, for one of two hot parcels (each push adds that many to
        its timeline)."""
        k = 0 if big else self.k()
        number, return_id = self.p.tracking_number(k), self.p.return_id(k)
        count = 190 if big else self.rng.choice([1, 2, 3, 4])
        base = self.p.anchor + timedelta(days=6)
        times = [base + timedelta(hours=5 * n + self.rng.randrange(3)) for n in range(count)]
        if big:
            times = [base + timedelta(minutes=n, seconds=self.index % 60) for n in range(count)]
            return self._big_push(carrier, number, return_id, times)
        if carrier == "aftership":
            tags = ["InfoReceived", "InTransit", "OutForDelivery", "Delivered", "Exception", "AttemptFail", "Unknown"]
            checkpoints = [{"slug": "ups", "checkpoint_time": t.astimezone(timezone(timedelta(hours=8))).isoformat(),
                            "tag": self.rng.choice(tags), "subtag": self.rng.choice([None, "Exception_011", "Delivered_001"]),
                            "message": "scan", "location": "Hangzhou, CN"} for t in times]
            return {"event": "tracking_update", "event_id": f"fz-as-{self.index}",
                    "msg": {"tracking_number": number, "slug": "ups", "tag": "InTransit",
                            "custom_fields": {"return_id": return_id},
                            "checkpoints": checkpoints},
                    "ts": int((self.now - timedelta(minutes=self.rng.randrange(60))).timestamp())}
        if carrier == "17track":
            stages = ["InfoReceived", "InTransit", "OutForDelivery", "Delivered", "Exception", "DeliveryFailure", "Weird"]
            events = [{"time_iso": t.isoformat(), "time_utc": iso(t), "description": "scan", "location": "Shenzhen",
                       "stage": self.rng.choice(stages),
                       "sub_status": self.rng.choice([None, "Exception_Returning", "InTransit_Other"])}
                      for t in times]
            return {"event": "TRACKING_UPDATED",
                    "data": {"number": number, "carrier": 190012, "tag": return_id,
                             "track_info": {"tracking": {"providers": [{"provider": {"key": 190012}, "events": events}]}}}}
        if carrier == "kuaidi100":
            return self._kuaidi100(number, times)
        if carrier == "sf-express form":
            return self._sf_open_platform(number, return_id, times)
        china = timezone(timedelta(hours=8))
        routes = [{"acceptTime": t.astimezone(china).strftime("%Y-%m-%d %H:%M:%S"), "acceptAddress": "杭州市",
                   "remark": "快件已签收",
                   "opCode": self.rng.choice(["50", "30", "44", "80", "33", "70", "99", "8000", "1"])}
                  for t in times]
        return {"waybillNo": number, "orderId": return_id, "routes": routes}

    def _kuaidi100(self, number: str, times: list[datetime], text=None) -> dict:
        """Kuaidi100's param: the parcel's whole timeline so far, newest first; half of them subscribed with resultv2
        (each checkpoint's own state). Its company is mostly SF's (shunfeng: the returns' parcels), or another's."""
        states = ["0", "1", "3", "5", "501", "2", "201", "6", "14", "1002", "8", "13", "101", "99"]
        names = {"0": "在途", "1": "揽收", "2": "疑难", "3": "签收", "5": "派件", "6": "退回", "8": "清关", "14": "拒签"}
        resultv2 = self.rng.random() < 0.5
        data = []
        for n, t in sorted(enumerate(times), key=lambda item: item[1], reverse=True):
            at = t.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")
            checkpoint = {"time": at, "ftime": at,
                          "context": text(n) if text else self.rng.choice(["【杭州市】快件已签收", "【深圳市】已揽收", "在途"]),
                          "areaCode": None,
                          "areaName": text(n) if text else self.rng.choice([None, "浙江,杭州市", "广东,深圳市"])}
            if resultv2 and not text:
                code = self.rng.choice(states)
                checkpoint.update({"status": names.get(code, "在途"), "statusCode": code})
            data.append(checkpoint)
        com = "shunfeng" if text else self.rng.choice(["shunfeng"] * 3 + ["zhongtong", "yuantong", "jd"])
        return {"status": "polling", "billstatus": "check", "message": "", "autoCheck": "0", "comOld": "", "comNew": "",
                "lastResult": {"message": "ok", "state": "0" if text else self.rng.choice(states), "status": "200",
                               "condition": "F00", "ischeck": self.rng.choice(["0", "1"]), "com": com, "nu": number,
                               "data": data}}

    def _sf_open_platform(self, number: str, return_id: str, times: list[datetime], text=None) -> dict:
        """The msgData of SF's open-platform route push: its route nodes, in SF's `Body` or not; an order id SF may
        leave empty."""
        routes = [{"id": str(158918741444476 + 1000 * self.index + n), "mailno": number,
                   "orderid": return_id if text or self.rng.random() < 0.9 else "",
                   "acceptTime": t.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S"),
                   "acceptAddress": text(n) if text else "杭州市", "remark": text(n) if text else "快件已签收",
                   "opCode": "30" if text else self.rng.choice(["50", "30", "44", "80", "33", "70", "99", "648", "1"]),
                   "reasonName": "", "reasonCode": ""} for n, t in enumerate(times)]
        return {"Body": {"WaybillRoute": routes}} if text or self.rng.random() < 0.7 else {"WaybillRoute": routes}

    def _big_push(self, carrier: str, number: str, return_id: str, times: list[datetime]) -> dict:
        text = lambda n: pad(f"{self.index}/{n} ", 500)  # noqa: E731
        if carrier in ("kuaidi100", "sf-express form"):  # the form's percent-escapes grow it: shorter texts still fit
            text = lambda n: pad(f"{self.index}/{n} ", 400)  # noqa: E731
            make = self._kuaidi100 if carrier == "kuaidi100" else partial(self._sf_open_platform, return_id=return_id)
            return make(number, times=times, text=text)
        if carrier == "aftership":
            checkpoints = [{"checkpoint_time": iso(t), "tag": "InTransit", "message": text(n), "location": text(n)}
                           for n, t in enumerate(times)]
            return {"msg": {"tracking_number": number, "slug": "ups", "custom_fields": {"return_id": return_id},
                            "checkpoints": checkpoints}}
        if carrier == "17track":
            events = [{"time_utc": iso(t), "stage": "InTransit", "description": text(n), "location": text(n)}
                      for n, t in enumerate(times)]
            return {"data": {"number": number, "carrier": 190012, "tag": return_id,
                             "track_info": {"tracking": {"providers": [{"events": events}]}}}}
        china = timezone(timedelta(hours=8))
        routes = [{"acceptTime": t.astimezone(china).strftime("%Y-%m-%d %H:%M:%S"), "acceptAddress": text(n),
                   "remark": text(n), "opCode": "30"} for n, t in enumerate(times)]
        return {"waybillNo": number, "orderId": return_id, "routes": routes}

    def quote(self) -> dict:
        currency, exponent = self.rng.choice(CURRENCIES)
        unit = 10**exponent
        m = lambda units: money(units, exponent)  # noqa: E731
        lines = [
            {"line_id": "L1", "sku": "SHOE-42", "category": "footwear", "unit_price": m(299 * unit), "quantity": 1,
             "line_discount": m(0), "returned_before": 0},
            {"line_id": "L2", "sku": "SOCK-3P", "category": "apparel", "unit_price": m(33 * unit + unit // 3), "quantity": 3,
             "line_discount": m(unit), "returned_before": self.rng.choice([0, 0, 1])},
            {"line_id": "G1", "sku": "GIFT-BAG", "category": "gift", "unit_price": m(0), "quantity": 1, "is_gift": True,
             "gift_for": "L1", "gift_value": m(15 * unit)},
        ]
        kind = self.rng.choice(["return", "return", "cancel"])
        body = {
            "currency": currency,
            "order": {"order_id": "TM-1001", "shipping_fee": m(12 * unit), "order_discount": m(30 * unit),
                      "refunded_total": m(0), "shipping_refunded": False, "lines": lines},
            "return": {"kind": kind, "reason": self.rng.choice(SELLER_FAULT + BUYER_FAULT),
                       "items": [{"line_id": "L1", "quantity": 1}, {"line_id": "L2", "quantity": self.rng.choice([1, 2])}]},
            "customer": {"tier": self.rng.choice(["normal", "vip", "potential"])},
        }
        if kind == "return":
            body["return"]["return_shipping_paid"] = m(18 * unit)
            body["inspection"] = {
                "items": [{"line_id": "L1", "accepted": 1, "deductions": []},
                          {"line_id": "L2", "accepted": 1, "deductions": [{"code": "missing_accessory", "amount": m(5 * unit)}]}],
                "kept_gifts": self.rng.choice([[], ["G1"]]),
            }
        if self.rng.random() < 0.5:
            body["policy"] = {"max_return_shipping_reimbursement": m(30 * unit), "return_window_days": 7}
        return body

    def preview(self) -> dict:
        k = self.k()
        body = {"reason": self.p.reason(k), "items": [{"line_id": "L1", "quantity": 1}]}
        if self.rng.random() < 0.5:
            body.update(shop=self.rng.choice(["generic", "outlet"]), order_id=self.p.order_id(k))
        else:
            body["order"] = self.p.order(k)
            if self.rng.random() < 0.5:
                body["shop"] = "generic"
        for name, value in (("evidence_urls", ["https://img.example.com/p.jpg"]),
                            ("requested_at", iso(self.now - timedelta(days=1))),
                            ("tier", "vip"), ("returns_30d", 2), ("marketplace", "generic"),
                            ("return_shipping_paid", money(0, 0))):
            if self.rng.random() < 0.25:
                body[name] = value
        return body

    def decision(self) -> dict:
        return {"decision": self.rng.choice(["approve", "reject", "retry", "keep_waiting", "write_off"]),
                "note": self.rng.choice(["photos show the defect", "ok", "carrier re-routed it", "paid by bank transfer"])}

    def tracking_link(self) -> dict:
        k = self.k()
        return {"carrier": self.rng.choice(["sf-express", "ups", "190012"]),
                "tracking_number": self.rng.choice([self.p.tracking_number(k), f"{self.p.prefix}-LT{k}"])}


# --- mutations of a JSON document ---------------------------------------------------------------------------------

ID_KEYS = {"event_id", "return_id", "order_id", "customer_id", "line_id", "sku", "carrier", "tracking_number", "code",
           "number", "slug", "waybillNo", "orderId", "tag", "nu", "com", "mailno", "orderid", "receipt_id", "gift_for",
           "payment_ref", "shop", "marketplace"}
AMOUNT_KEYS = {"unit_price", "line_discount", "gift_value", "shipping_fee", "order_discount", "return_shipping_paid",
               "amount", "refunded_total", "max_return_shipping_reimbursement"}


def nodes(value, path=()):
    if isinstance(value, dict):
        for key, child in value.items():
            yield path + (key,)
            yield from nodes(child, path + (key,))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            yield path + (i,)
            yield from nodes(child, path + (i,))


def at_path(doc, path):
    for part in path:
        doc = doc[part]
    return doc


def show(path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(root)"


def odd_string(rng: random.Random, key, now: datetime):
    key = key if isinstance(key, str) else ""
    if key in AMOUNT_KEYS:
        return rng.choice(ODD_AMOUNTS)
    if key.endswith("_at") or "time" in key.lower() or key in ("from", "to", "ts"):
        return rng.choice(odd_dates(now))
    if key in ID_KEYS or key.endswith("_id"):
        return rng.choice(ODD_IDS)
    return rng.choice(ODD_IDS + UNICODE + ["x" * 513, "x" * 2049, "A" * 5000])


def valid_odd(rng: random.Random, key, now: datetime):
    """A value of the contract's own kind for `key`, at an edge of it; None when the key is of no known kind."""
    key = key if isinstance(key, str) else ""
    if key in AMOUNT_KEYS:
        return rng.choice(VALID_ODD_AMOUNTS)
    if key in QUANTITY_KEYS:
        return rng.choice([1_000_000, 999_999, 1, 0])
    if key.endswith("_at") or "time" in key.lower():
        return rng.choice([iso(now - timedelta(days=3649)), iso(now + timedelta(hours=23)), iso(now),
                           (now - timedelta(days=1)).astimezone(timezone(timedelta(hours=14))).isoformat(),
                           (now - timedelta(days=1)).astimezone(timezone(timedelta(hours=-12)))
                           .isoformat(timespec="microseconds")])
    if key in TEXT_KEYS:
        return rng.choice(VALID_ODD_TEXTS)
    if key in ID_KEYS or key.endswith("_id"):
        return rng.choice(VALID_ODD_IDS)
    return None


def mutate_document(rng: random.Random, doc, now: datetime, notes: list[str]):
    """One mutation somewhere in the document; returns the (possibly new) root."""
    paths = list(nodes(doc))
    op = rng.choices(
        ["drop", "retype", "number", "string", "duplicate", "unknown", "huge", "deep", "unicode", "swap_type", "empty",
         "valid_odd", "date", "id", "amount"],
        weights=[12, 12, 10, 10, 8, 6, 4, 4, 8, 4, 4, 30, 12, 10, 8],
    )[0]
    if op in ("date", "id", "amount"):
        wanted = {"date": lambda k: k.endswith("_at") or "time" in k.lower() or k == "ts",
                  "id": lambda k: k in ID_KEYS or k.endswith("_id"), "amount": lambda k: k in AMOUNT_KEYS}[op]
        fitting = [path for path in paths if isinstance(path[-1], str) and wanted(path[-1])]
        if fitting:
            path = rng.choice(fitting)
            value = odd_string(rng, path[-1], now) if rng.random() < 0.8 else copy.deepcopy(rng.choice(ODD_NUMBERS + TYPES))
            at_path(doc, path[:-1])[path[-1]] = value
            notes.append(f"{op} {show(path)} -> {value!r:.80}")
            return doc
        op = "string"
    if op == "valid_odd":
        known = [path for path in paths if valid_odd(rng, path[-1], now) is not None and not isinstance(path[-1], int)]
        if known:
            path = rng.choice(known)
            value = valid_odd(rng, path[-1], now)
            at_path(doc, path[:-1])[path[-1]] = value
            notes.append(f"edge value {show(path)} -> {value!r:.80}")
            return doc
        op = "string"
    if not paths or (op == "duplicate" and rng.random() < 0.3):
        path = ()
    else:
        path = rng.choice(paths)
    parent, key = (at_path(doc, path[:-1]), path[-1]) if path else (None, None)
    here = f"{show(path)}"
    if op == "drop" and parent is not None:
        del parent[key]
        notes.append(f"drop {here}")
    elif op == "retype" and parent is not None:
        parent[key] = copy.deepcopy(rng.choice(TYPES))
        notes.append(f"retype {here} -> {parent[key]!r}")
    elif op == "number" and parent is not None:
        parent[key] = rng.choice(ODD_NUMBERS)
        notes.append(f"number {here} -> {parent[key]!r}")
    elif op in ("string", "unicode") and parent is not None:
        value = odd_string(rng, key, now) if op == "string" else rng.choice(UNICODE)
        if op == "unicode" and isinstance(parent[key], str) and rng.random() < 0.5:
            value = parent[key] + value
        parent[key] = value
        notes.append(f"{op} {here} -> {value!r:.80}")
    elif op == "duplicate":
        target = at_path(doc, path)
        if isinstance(target, dict) and target:
            name = rng.choice(list(target))
            again = rng.choice([target[name], copy.deepcopy(rng.choice(TYPES)), odd_string(rng, name, now)])
            items = list(target.items())
            items.insert(0, (name, again)) if rng.random() < 0.5 else items.append((name, again))
            replacement = Pairs(items)
            notes.append(f"duplicate key {show(path + (name,))} ({again!r:.60})")
            if parent is None:
                return replacement
            parent[key] = replacement
        else:
            notes.append(f"duplicate (no object at {here})")
    elif op == "unknown":
        target = at_path(doc, path) if path and isinstance(at_path(doc, path), dict) else doc
        if isinstance(target, dict):
            name = rng.choice(["unexpected", "__proto__", "", "é", "data ", "Type", "event_id\u0000", "constructor"])
            target[name] = copy.deepcopy(rng.choice(TYPES))
            notes.append(f"unknown field {name!r}")
    elif op == "huge" and parent is not None:
        if isinstance(parent[key], list) and parent[key]:
            parent[key] = [copy.deepcopy(parent[key][0]) for _ in range(rng.choice([499, 500, 501, 5000]))]
            notes.append(f"huge list {here} ({len(parent[key])} items)")
        else:
            char = rng.choice(["x", "é", "😀"])
            over_the_limit = {"x": 300_000, "é": 50_000, "😀": 25_000}[char]
            parent[key] = char * rng.choice([over_the_limit, 90_000 // len(char.encode()), 513, 2049])
            notes.append(f"huge string {here} ({len(parent[key])} chars)")
    elif op == "deep" and parent is not None:
        parent[key] = deep(rng.choice([64, 500, 990, 1100, 3000, 100_000]), rng.choice(["list", "object"]))
        notes.append(f"deep nesting {here} {parent[key]!r}")
    elif op == "swap_type" and isinstance(doc, dict) and "type" in doc:
        doc["type"] = rng.choice([t for t in EVENT_TYPES if t != doc["type"]] + ["returnrequested", "Order Upserted"])
        notes.append(f"type -> {doc['type']}")
    elif op == "empty" and parent is not None:
        parent[key] = rng.choice([[], {}, "", None, [None], [{}]])
        notes.append(f"empty {here} -> {parent[key]!r}")
    else:
        notes.append(f"{op} (nothing to mutate at {here})")
    return doc


LITERAL_BODIES = [
    b"", b" ", b"null", b"[]", b"{}", b"1", b'"x"', b"\x00", b"{", b"[", b"}", b"true", b"NaN", b"-Infinity",
    b"[" * 100_000, b'{"a":' * 50_000, b"{\"event_id\": \"a\"}", b"\xff\xfe{\x00}\x00", b"\xef\xbb\xbf{}",
    b'{"a": "\\ud800"}', b'"\\udfff"', b'{"\\ud800": 1}', b"1" * 5000, b"[1" + b",1" * 60_000 + b"]",
]
BAD_BYTES = [b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\x80", b"\xc0\xaf", b"\xe9", b"\x00"]


def mutate_bytes(rng: random.Random, body: bytes, notes: list[str]) -> bytes:
    op = rng.choice(["truncate", "utf16", "bom", "bad_bytes", "latin1", "literal", "pad", "garbage", "cesu"])
    if op == "truncate" and body:
        cut = rng.randrange(len(body))
        notes.append(f"truncated at byte {cut} of {len(body)}")
        return body[:cut]
    if op == "utf16":
        encoding = rng.choice(["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
        notes.append(f"body in {encoding}")
        return body.decode("utf-8", "replace").encode(encoding)
    if op == "bom":
        notes.append("UTF-8 byte order mark")
        return b"\xef\xbb\xbf" + body
    if op == "bad_bytes" and body:
        quote_at = [i for i, b in enumerate(body[:4096]) if b == 0x22] or [0]
        at = rng.choice(quote_at) + 1
        bad = rng.choice(BAD_BYTES)
        notes.append(f"bytes {bad!r} inserted at {at}")
        return body[:at] + bad + body[at:]
    if op == "latin1":
        notes.append("latin-1 text")
        text = body.decode("utf-8", "replace")
        return (text.replace('"', '"é', 1) if text.isascii() else text).encode("latin-1", "replace")
    if op == "literal":
        literal = rng.choice(LITERAL_BODIES)
        notes.append(f"body replaced by {literal[:30]!r} ({len(literal)} bytes)")
        return literal
    if op == "pad":
        size = rng.choice([MAX_BODY, MAX_BODY + 1, MAX_BODY + 4096, 2 * MAX_BODY])
        notes.append(f"padded with spaces to {size} bytes")
        return body + b" " * max(0, size - len(body))
    if op == "garbage":
        tail = rng.choice([b"x", b"{}", b"\x00", b" // c", b"\n{}", b",", b"]"])
        notes.append(f"trailing {tail!r}")
        return body + tail
    notes.append("UTF-8-encoded lone surrogate (CESU-8)")
    return body.replace(b'"', b'"\xed\xa0\x80', 1) if b'"' in body else body + b"\xed\xa0\x80"


def encode_body(rng: random.Random, doc, notes: list[str], body_mutation: float = 0.12) -> bytes:
    ascii_only = rng.random() < 0.7
    text = dump(doc, ascii_only)
    body = text.encode("utf-8", "surrogatepass")
    if not ascii_only:
        notes.append("raw UTF-8 (not \\u escapes)")
    if rng.random() < body_mutation:
        body = mutate_bytes(rng, body, notes)
    return body


# --- carrier pushes' forms and content types ----------------------------------------------------------------------

# Percent-escapes of bytes that are not UTF-8 (a lone byte 0xFF, an overlong "/", a surrogate, a stray continuation).
BAD_ESCAPES = [b"%FF", b"%C0%AF", b"%ED%A0%80", b"%80", b"%C3%28", b"%F8%88%80%80%80", b"%fe"]


def encode_form(rng: random.Random, fields: list[tuple[str, bytes]], notes: list[str], clean: bool = False) -> bytes:
    """application/x-www-form-urlencoded as senders write it: a space as '+' or as %20, escapes in upper or lower
    case, the characters a URL may carry as they are left so or escaped. All read as the same fields."""
    how = "plus" if clean else rng.choices(["plus", "quote", "lower", "loose"], weights=[60, 15, 10, 15])[0]

    def escaped(value: bytes) -> str:
        if how == "quote":
            return quote(value, safe="")
        if how == "lower":
            return re.sub("%[0-9A-F]{2}", lambda m: m.group().lower(), quote_plus(value, safe=""))
        if how == "loose":
            return quote_plus(value, safe="{}[]\":,/*!'()@$")
        return quote_plus(value, safe="")

    if how != "plus":
        notes.append(f"form encoded {how}")
    return "&".join(f"{escaped(name.encode())}={escaped(value)}" for name, value in fields).encode("ascii")


def bad_escapes(rng: random.Random, body: bytes, name: str, notes: list[str]) -> bytes:
    """Percent-escapes of bytes that are not UTF-8 put in the value of field `name` (of another if it has none)."""
    escape = rng.choice(BAD_ESCAPES)
    parts = body.split(b"&")
    wanted = quote_plus(name, safe="").encode()
    i = next((n for n, part in enumerate(parts) if part.partition(b"=")[0] == wanted), rng.randrange(len(parts)))
    key, _, value = parts[i].partition(b"=")
    cut = rng.randrange(len(value) + 1)
    parts[i] = key + b"=" + value[:cut] + escape + value[cut:]
    notes.append(f"{escape.decode()} in field {key[:20].decode()!r} at {cut}")
    return b"&".join(parts)


def read_form_like_the_edge(body: bytes) -> tuple[dict | None, str | None]:
    """(fields, None), or (None, why the edge must refuse it as a form): UTF-8 text whose escapes are of UTF-8, at
    most MAX_FORM_FIELDS fields, none sent twice (what is signed and what is parsed must be the same value)."""
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, errors="strict", max_num_fields=MAX_FORM_FIELDS)
    except UnicodeDecodeError:
        return None, "a form that is not UTF-8"
    except ValueError:
        return None, "a form of too many fields"
    names = [name for name, _ in pairs]
    if len(set(names)) < len(names):
        return None, "a form field sent twice"
    return dict(pairs), None


def route_takes(content_type: bytes | None, media: tuple[str, ...] = CARRIER_MEDIA) -> bool:
    """Whether the carrier route takes this Content-Type (None: the request has none, which Chalice reads as JSON), as
    Chalice checks it before the view: case aside, one of its parts (split at ',' and ';') is a type the route takes,
    or it names */*. The header is read as HTTP carries it, Latin-1."""
    if content_type is None:
        return True
    text = content_type.decode("latin-1").lower()
    return "*/*" in text or any(part.strip() in media for part in re.split("[,;]", text))


def accepted_status(style) -> int:
    """What an accepted push of this style is answered: 200 (and the carrier's receipt) for a form style, else 202."""
    return 200 if style in FORM_POSTED else 202


def style_name(style) -> str:
    return style.__name__.rsplit(".", 1)[-1]


# --- Shopify's deliveries ---------------------------------------------------------------------------------------

SHOPIFY_HEADERS = ("X-Shopify-Shop-Domain", "X-Shopify-Hmac-Sha256", "X-Shopify-Topic", "X-Shopify-Webhook-Id",
                   "X-Shopify-Event-Id", "X-Shopify-Triggered-At")
# How often each topic is chosen: app/uninstalled rarely, and only in deliveries that must be refused (accepted, it
# would stop every later hydration of the shop until a new access token is put; see Fuzzer._keep_the_app_installed).
SHOPIFY_TOPIC_WEIGHTS = {topic: 1 if TOPICS[topic] is None else 3 if topic.startswith(("orders/", "returns/")) else 2
                         for topic in TOPICS}
SHOPIFY_FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "shopify"
# The REST payloads deliveries start from: tests/fixtures/shopify/webhook_*.json where there is one (their ids are
# replaced by the resource's), Shopify's shapes otherwise (localcloud/shopify_service.py writes the same).
SHOPIFY_PAYLOADS = {"Order": "webhook_orders_create.json", "Return": "webhook_returns_request.json",
                    "Refund": "webhook_refunds_create.json"}
SHOPIFY_SHAPES = {
    "Order": {"id": 1, "admin_graphql_api_id": "gid://shopify/Order/1", "name": "#1001", "currency": "USD",
              "financial_status": "paid", "total_price": "42.49", "cancelled_at": None,
              "line_items": [{"id": 3, "admin_graphql_api_id": "gid://shopify/LineItem/3", "sku": "SHOE-42",
                              "quantity": 1, "price": "25.0"}]},
    "Return": {"id": 1, "admin_graphql_api_id": "gid://shopify/Return/1", "status": "requested",
               "order": {"id": 3, "admin_graphql_api_id": "gid://shopify/Order/3"}, "return_line_items": []},
    "Refund": {"id": 1, "admin_graphql_api_id": "gid://shopify/Refund/1", "order_id": 3, "note": None,
               "refund_line_items": [], "transactions": []},
    "ReverseDelivery": {"id": 1, "admin_graphql_api_id": "gid://shopify/ReverseDelivery/1",
                        "return": {"id": 3, "admin_graphql_api_id": "gid://shopify/Return/3"},
                        "shipping_deliverable": {"tracking": {"carrier_name": "UPS", "tracking_number": "1ZRET00000001",
                                                              "tracking_url": None}, "label": None}},
    "Fulfillment": {"id": 1, "admin_graphql_api_id": "gid://shopify/Fulfillment/1", "order_id": 3, "status": "success",
                    "tracking_company": "UPS", "tracking_number": "1Z0000000000000001", "shipment_status": None,
                    "updated_at": "2026-11-20T08:00:00Z"},
}
# The lines of the orders made on the simulated Shopify at the start of a run (ShopifyWorld.make_resources), as
# ShopifyService.create_order takes them: the notifications about those orders, their return and refund must be applied.
SHOPIFY_LINES = [{"sku": "FZ-SHOE-42", "quantity": 2, "price": "25.00", "product_type": "footwear"},
                 {"sku": "FZ-SOCK-3P", "quantity": 1, "price": "12.50", "product_type": "apparel"}]
# One clean delivery about each of them, right after the seeding requests: (topic, the resource's name below).
SHOPIFY_SEEDS = [("fulfillments/create", "shipped order"), ("returns/request", "return"), ("refunds/create", "refund")]
# Numbers no resource of the simulated Shopify has: its ids are odd (from 2**53 + 1 up), these are even.
PHANTOM_NUMBERS = [2, 4, 1000, 2**53, 2**53 + 2, 2**63, 2**64, 10**19, 10**20 - 2, 9007199254741002]
FORGED_DOMAINS = [
    "evil.myshopify.com", "generic.myshopify.com", "outlet.myshopify.com", "warehouse.myshopify.com", "generic",
    "outlet", "shopify-{sub}", "{sub}", "{domain}.evil.example", "{domain}.", "{upper}", "{sub}.MYSHOPIFY.COM",
    "{title}", "{domain}:443", "https://{domain}", "{domain}/", "{domain}/admin", "{domain}%00", "{sub}%2Emyshopify.com",
    "{sub}.myshopify.co", "{sub}.myshopify.com.myshopify.com", "x{domain}", "{sub}-.myshopify.com", "*.myshopify.com",
    "{domain},evil.myshopify.com", "..myshopify.com", "a" * 56 + ".myshopify.com", "a" * 57 + ".myshopify.com", "",
    "{sub}\u00e9.myshopify.com", "\u0430cme.myshopify.com", "{domain}\u200b", "myshopify.com", ".myshopify.com",
]


def shopify_signed(secrets: list[str], header: str | None, body: bytes) -> bool:
    """Whether the header is base64 (the standard alphabet, padded) of the body's HMAC under one of the secrets."""
    if not header:
        return False
    try:
        sent = base64.b64decode(header.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError):
        return False
    return any(hmac.compare_digest(hmac.new(s.encode(), body, hashlib.sha256).digest(), sent) for s in secrets)


def shopify_number(value, kind: str) -> str | None:
    """The resource number a payload field gives: a GID of this kind, or a positive REST id of at most 20 digits (a
    JSON integer, or the same digits as text); None for anything else (a float, a bool, a GID of another kind...)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value) if 0 < value < 10**20 else None
    if isinstance(value, str):
        text = value.removeprefix(f"gid://shopify/{kind}/")
        return text if re.fullmatch(r"[1-9][0-9]{0,19}", text) else None
    return None


def shopify_resource(topic: str, payload: dict) -> tuple[str | None, str]:
    """The GID a delivery of `topic` names and the field that must name it: fulfillments/* by their order_id, the
    others by admin_graphql_api_id or else their numeric id."""
    kind = TOPICS[topic]
    if topic.startswith("fulfillments/"):
        field_, values = "order_id", [payload.get("order_id")]
    else:
        field_, values = "admin_graphql_api_id", [payload.get("admin_graphql_api_id"), payload.get("id")]
    for value in values:
        number = shopify_number(value, kind)
        if number:
            return f"gid://shopify/{kind}/{number}", field_
    return None, field_


_ISO_WITH_ZONE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})")
_ISO_NAIVE = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d{1,9})?)?")


def triggered_at_verdict(value: str, now: datetime) -> str:
    """valid, invalid or unsure (a form the fuzzer does not decide) for X-Shopify-Triggered-At: an ISO time with its
    zone within 3650 days before and 24 hours after now; empty stands for now."""
    if value == "":
        return "valid"
    if _ISO_NAIVE.fullmatch(value) or value.isalpha():
        return "invalid"
    if not _ISO_WITH_ZONE.fullmatch(value):
        return "unsure"
    text = re.sub(r"(\.\d{6})\d+", r"\1", value).replace("Z", "+00:00")
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        return "unsure"
    if now - timedelta(days=3650) + timedelta(hours=1) <= at <= now + timedelta(hours=23, minutes=55):
        return "valid"
    if at < now - timedelta(days=3650, hours=1) or at > now + timedelta(hours=24, minutes=5):
        return "invalid"
    return "unsure"


def load_json_like_the_edge(body: bytes):
    """(payload, None), or (None, why it is not JSON the edge takes): UTF-8 only, and no escaped lone surrogate or
    U+FFFE/U+FFFF (what no queue carries); (None, "unsure") when this process cannot parse it (too deep)."""
    try:
        payload = json.loads(body.decode("utf-8"))
    except RecursionError:
        return None, "unsure"
    except ValueError:
        return None, "not JSON"
    try:
        text = json.dumps(payload, ensure_ascii=False)
    except RecursionError:
        return None, "unsure"
    if b"\\u" in body and re.search("[\ud800-\udfff\ufffe\uffff]", text):
        return None, "uncarried text"
    return payload, None


@dataclass
class ShopifyWorld:
    """The Shopify side as the fuzzer knows it: the connected shops (domain -> (shop name, secrets)) and the real
    resources on the simulated Shopify (domain -> kind -> GIDs), with the clean deliveries about them."""

    domains: dict
    real: dict = field(default_factory=dict)
    seeds: list = field(default_factory=list)  # (domain, topic, GID)

    @classmethod
    def of(cls, sources: dict, cloud=None) -> "ShopifyWorld":
        """The connected shops of the local cloud (its connections); of the local cloud's defaults when the API is
        another process's (`make serve`)."""
        from localcloud.cloud import DEFAULT_SHOPIFY_SHOPS, SHOPIFY_APP_SECRET

        connections = getattr(cloud, "connections", None) or {}
        domains = {connection["domain"]: (name, list(sources.get(name, {}).get("secrets", [])))
                   for name, connection in connections.items() if connection["platform"] == "shopify"}
        if not domains and cloud is None:
            domains = {domain: (shopify_shop_name(domain), [SHOPIFY_APP_SECRET]) for domain in DEFAULT_SHOPIFY_SHOPS}
        return cls(domains)

    def is_real(self, domain: str | None, gid: str | None) -> bool:
        return gid is not None and gid in self.real.get(domain, {}).get(gid.split("/")[3], [])

    def make_resources(self, cloud, now: datetime) -> None:
        """In the first live connected shop of the simulated Shopify: an order shipped and delivered, with a return
        requested and refunded by the merchant in the admin; an order paid in EUR; an order not paid. (A refund on an
        order alone is not made: its ledger record has no return, which the tests sharing the cloud do not expect.) Shopify's own webhooks about
        them are muted (the run's deliveries are the first the API hears of them); what the workflows do in Shopify
        later is delivered as usual."""
        modes = getattr(cloud, "shopify_shops", {}) or {}
        domains = [d for d in modes if d in self.domains and modes[d] == "live"] or [d for d in modes if d in self.domains]
        if not domains:
            return
        domain, shopify = domains[0], cloud.shopify
        shopify.mute_webhooks()
        try:
            shipped = shopify.create_order(domain, SHOPIFY_LINES)
            shopify.fulfill(domain, shipped["order"], delivered_at=now - timedelta(days=1))
            returned = shopify.request_return(domain, shipped["order"], [(shipped["lines"][0], 1, "size_too_small")],
                                              note="fuzz: runs small")
            refund = shopify.merchant_refund(domain, shipped["order"], [(shipped["lines"][0], 1)], "25.00", returned)
            paid = shopify.create_order(domain, SHOPIFY_LINES, currency="EUR")
            unpaid = shopify.create_order(domain, SHOPIFY_LINES[:1], paid=False, customer=False)
        finally:
            shopify.mute_webhooks(False)
        named = {"shipped order": shipped["order"], "return": returned, "refund": refund, "paid order": paid["order"],
                 "unpaid order": unpaid["order"]}
        real = self.real.setdefault(domain, {})
        for gid in named.values():
            real.setdefault(gid.split("/")[3], []).append(gid)
        self.seeds = [(domain, topic, named[what]) for topic, what in SHOPIFY_SEEDS]

    def existing(self, cloud) -> set:
        """(domain, GID) of every resource the simulated Shopify holds now (the run's and any other test's)."""
        found = set()
        for domain in self.domains:
            try:
                returns = cloud.shopify.returns(domain)
                found |= {(domain, r["id"]) for r in cloud.shopify.orders(domain) + returns + cloud.shopify.refunds(domain)}
            except KeyError:
                continue
            for ret in returns:
                for rfo in ret.get("reverse_fulfillment_orders", []):
                    found |= {(domain, d["id"]) for d in rfo.get("reverse_deliveries", [])}
        return found


def load_shopify_payloads() -> dict:
    payloads = copy.deepcopy(SHOPIFY_SHAPES)
    for kind, name in SHOPIFY_PAYLOADS.items():
        try:
            payloads[kind] = json.loads((SHOPIFY_FIXTURES / name).read_text())
        except (OSError, ValueError):
            pass
    return payloads


def odd_resource_ids(kind: str, number: str) -> list:
    """What a payload may name its resource by, for a resource `number` of `kind`: huge, negative, float and bool
    ids, numbers as text, GIDs of another type or malformed."""
    other = "Return" if kind != "Return" else "Order"
    n = int(number)
    return [
        10**20, 10**20 + 1, 10**30, -n, -1, 0, float(n), n + 0.5, 1.5, True, False, None, "", number, f"0{number}",
        f" {number}", f"{number} ", "1e5", "１２３", "²", "٣", f"gid://shopify/{other}/{number}",
        f"gid://shopify/{kind.lower()}/{number}", f"gid://shopify/{kind}/", f"gid://shopify/{kind}/0",
        f"gid://shopify/{kind}/0{number}", f"gid://shopify/{kind}/" + "9" * 21, f"gid://shopify/{kind}/{number}/x",
        f"gid://shopify/{kind}/{number}?x=1", f"gid://Shopify/{kind}/{number}", f"gid://shopify/{kind}/-{number}",
        f"https://acme.myshopify.com/admin/{kind.lower()}s/{number}", Raw("1e999"), Raw("1" + "0" * 25),
        Raw(f"{number}.0"), Raw(f"{number}e0"), Raw("-0"), [n], {"id": n}, Raw(str(2**64)), Raw(str(10**20 - 1)),
    ]


# --- SMS codes --------------------------------------------------------------------------------------------------

# The Tmall refund made to wait for its SMS code (above the simulated TOP's 3,000 CNY): a refund before shipment of
# one sub-order, its trade's id odd like Taobao's (the sub-order's is the next odd one).
SMS_PRICE = "3500.00"
SMS_TRADE_ID = 2**53 + 9_000_001
SMS_CODE = re.compile(r"[0-9]{4,8}")
# Where the return of that refund stops on its way to the SMS code: nothing goes on without a person.
SMS_STUCK = frozenset({"failed", "in_review", "rejected", "expired", "refunded", "refund_failed"})
# How a probe's path may end instead of /sms-code, and whether the route takes it (None: the gateway decides: a
# percent-escape API Gateway decodes and the local server does not, a ";" the local server's urlparse cuts off).
SMS_SUFFIXES = [(b"/sms-code/", True), (b"/sms-code?code=123456", True), (b"/sms-code?", True), (b"/SMS-code", False),
                (b"/sms_code", False), (b"/sms-code/x", False), (b"", False), (b"/sms-code;", None),
                (b"/%73ms-code", None), (b"/sms-code%20", None), (b"/sms-code%2F", None)]
SMS_ODD_CODES = [
    "123", "123456789", "", " 123456", "123456 ", "12 34", "١٢٣٤٥٦", "１２３４５６", "12a456", "0x1234", "-1234", "+1234",
    "1e5", "123456\n", "²³¹⁰", "\u0000123456", "1" * 5000, "1234.0", "0000", "00000000", "99999999", "012345", 123456,
    1234.0, 0, -1234, None, True, [], {}, ["123456"], {"code": "123456"}, Raw("1e999"), Raw("0123456"), Raw("123456.0"),
]
SMS_OTHER_FIELDS = ["note", "Code", "code ", "", "sms_code", "refund_id", "__proto__", "code\u0000", "return_id"]
SMS_ODD_SHOPS = ["Tmall-acme", "TMALL-ACME", "tmall-acme%20", "tmall_acme", "", "%2E%2E", "a" * 65, "ü", "tmall-acme.",
                 "generic%2Foutlet", "-x", "shopify-acme;", "tmall", "acme", "jd-acme", "warehouse", "aftership"]
SMS_ODD_RETURN_IDS = ["RT:1", "FZ%2FR1", "FZ%23R1", "FZ%20R1", "%C3%A9", "x" * 129, "..", ".", "%2e%2e", "FZ-R1%00",
                      "FZ-R1;", "%F0%9F%98%80", "%FF", "#", "+9007199254740993", "9007199254740993.0", "-1", "0x1F",
                      "09007199254740993", "9" * 129, "FZ-R1-NX:", "_FZ"]


def sms_body_faults(payload) -> list[str]:
    """The fields a 422 may name for a body that is not {"code": 4-8 ASCII digits} and nothing else ("-": the body
    as a whole, not an object); none for a valid one."""
    from chalicelib.domain.errors import field_path

    if not isinstance(payload, dict):
        return ["-"]
    code = payload.get("code")
    faults = [] if isinstance(code, str) and SMS_CODE.fullmatch(code) else ["code"]
    return faults + [field_path((key,)) or "-" for key in payload if key != "code"]


def sms_outcome(status: int, answer: bytes) -> str:
    """An SMS code's answer as the judge compares it: 422 and the field it names, a refusal's status and code (a
    503's "unavailable" when its code says so), a 2xx or any other status alone."""
    error = _json(answer).get("error")
    error = error if isinstance(error, dict) else {}
    if status == 422:
        return f"422 {error.get('field') or '-'}"
    if status == 503 and str(error.get("code") or "").endswith("unavailable"):
        return "503 unavailable"
    if status in (400, 403, 404, 409, 503):
        return f"{status} {error.get('code') or '-'}"
    return str(status)


@dataclass
class SmsWorld:
    """The returns SMS codes are given for: the shops named (generic and outlet, whose pool returns the seeding
    made; the Shopify and Taobao shops), the returns the run made on the simulated Shopify, and the Tmall return
    made to wait for its code (`waiting`: its shop and own id; `code()`: what Taobao last sent the seller)."""

    shops: list
    taobao_shops: list
    shopify_shops: list
    shopify_returns: list = field(default_factory=list)  # (shop, own id)
    waiting: tuple | None = None
    seller: str | None = None
    read_code: object = None  # () -> the code Taobao last sent the seller (None: none waits)
    fault: bool = False  # Taobao's first agree after the wait fails (a 503 for the code that reaches it)

    @classmethod
    def of(cls, shopify: "ShopifyWorld", cloud=None) -> "SmsWorld":
        from localcloud.cloud import DEFAULT_TAOBAO_SHOPS

        taobao = list(getattr(cloud, "taobao_shops", None) or ({} if cloud is not None else DEFAULT_TAOBAO_SHOPS))
        names = {domain: name for domain, (name, _) in shopify.domains.items()}
        returns = [(names[domain], gid.rsplit("/", 1)[1]) for domain, kinds in shopify.real.items() if domain in names
                   for gid in kinds.get("Return", [])]
        return cls(["generic", "outlet", *sorted(names.values()), *taobao], taobao, sorted(names.values()), returns)

    @property
    def key(self) -> str | None:
        return f"{self.waiting[0]}/{self.waiting[1]}" if self.waiting else None

    def code(self) -> str | None:
        return self.read_code() if self.read_code else None

    def make_waiting(self, cloud, sources: dict, timeout: float) -> str | None:
        """In the first live Tmall store: a refund of SMS_PRICE before shipment, relayed (TMC, as the schedule
        does), held by a warehouse serving the shop, until its workflow waits in the finance queue for the code
        Taobao sent the seller; then Taobao's next agree fails. None, or why it could not be made."""
        from chalicelib.connectors.china import china_time
        from localcloud.webhook_client import post_webhook

        stores = getattr(cloud, "taobao_shops", None) or {}
        shop = next((name for name, store in stores.items() if store.get("store") == "tmall"
                     and store.get("mode", "live") == "live"), None)
        if shop is None or getattr(cloud, "taobao", None) is None:
            return "no live Tmall store in the local cloud"
        warehouse = next((name for name, entry in sources.items() if entry["kind"] == SourceKind.WAREHOUSE
                          and ({shop, "*"} & set(entry.get("shops", [])))), None)
        if warehouse is None:
            return f"no warehouse may answer for {shop}"
        taobao, seller, now = cloud.taobao, stores[shop]["seller_id"], datetime.now(timezone.utc)
        tid = SMS_TRADE_ID
        taobao.add_trade(seller, {
            "tid": tid, "status": "WAIT_SELLER_SEND_GOODS", "payment": SMS_PRICE, "post_fee": "0.00",
            "discount_fee": "0.00", "created": china_time(now - timedelta(days=2)),
            "modified": china_time(now - timedelta(days=1)), "pay_time": china_time(now - timedelta(days=2)),
            "buyer_open_uid": f"AAH{tid}",
            "orders": [{"oid": tid + 2, "num": 1, "price": SMS_PRICE, "payment": SMS_PRICE, "outer_sku_id": "FZ-SMS-1"}],
        })
        try:
            refund_id = taobao.open_refund(seller, tid, tid + 2, "REFUND", SMS_PRICE, reason="拍错/多拍/不想要")
        except ValueError as error:
            return f"Tmall did not open the refund: {error}"
        key = f"{shop}/{refund_id}"
        returns = cloud.dynamodb.Table(resources.RETURNS_TABLE)

        def relayed_until(status: str) -> None:
            """Until the return stands `status`, or where it cannot go on from by itself (failed, in review...)."""
            def reached() -> bool:
                cloud.fire_schedule("poll_marketplaces")
                found = (returns.get_item(Key={"return_id": key}).get("Item") or {}).get("status")
                return found == status or found in SMS_STUCK

            cloud.wait_until(reached, timeout, 0.5)

        try:
            relayed_until("awaiting_hold")
            if (returns.get_item(Key={"return_id": key}).get("Item") or {}).get("status") != "awaiting_hold":
                raise TimeoutError
            hold = {"event_id": f"fz-sms-hold-{refund_id}", "type": "HoldShipmentAnswered", "shop": shop,
                    "occurred_at": iso(datetime.now(timezone.utc)), "data": {"return_id": refund_id, "outcome": "held"}}
            status, answer = post_webhook(cloud.api_url, sources[warehouse]["secrets"][0], json.dumps(hold).encode(),
                                          warehouse)
            if status != 202:
                return f"{warehouse} did not take the hold of {key}: {status} {answer}"
            relayed_until("refund_failed")
        except TimeoutError:
            pass
        found = returns.get_item(Key={"return_id": key}).get("Item") or {}
        if found.get("status") != "refund_failed":
            return (f"the return {key} stands {found.get('status')!r}, not waiting for its SMS code "
                    f"(failure: {json.dumps(found.get('failure'), default=str)[:600]})")
        from chalicelib.domain.ledger import refund_id_for

        ledger = cloud.dynamodb.Table(resources.LEDGER_TABLE)
        issued = ledger.get_item(Key={"refund_id": refund_id_for(key)}).get("Item") or {}
        if (issued.get("payment_error") or {}).get("code") != "sms_code_required" or not taobao.sms_code(seller):
            return f"the refund of {key} does not wait for an SMS code: {issued.get('payment_error')}"
        self.waiting, self.seller = (shop, refund_id), seller
        self.read_code = partial(taobao.sms_code, seller)
        taobao.fail_next("taobao.rp.refunds.agree")
        self.fault = True
        return None

    def kind(self, shop: str, own: str, pools: Pools) -> str:
        """What a valid code for this return must be answered: "waiting" (the return that waits for its code),
        "pool" (a return of the seeding: 409), "unknown" (no such return: 404) or "maybe" (either: a resource a
        platform numbered, hydrated or not yet, or an id some event of the run may have made a return of)."""
        if self.waiting and (shop, own) == tuple(self.waiting):
            return "waiting"
        pool = re.fullmatch(rf"{re.escape(pools.prefix)}-R(0|[1-9][0-9]*)", own)
        if pool and shop in ("generic", "outlet"):
            return "pool" if int(pool.group(1)) < pools.size else "maybe"
        if own.startswith(f"{pools.prefix}-NX-") or own.endswith("-NX") or pool:
            return "unknown"
        if re.fullmatch(r"[1-9][0-9]{0,19}", own) and shop in self.shops:
            # Taobao's and Shopify's ids are odd; generic and outlet have no numbered returns.
            return "maybe" if int(own) % 2 == 1 and shop not in ("generic", "outlet") else "unknown"
        return "maybe"

    def target(self, rng: random.Random, samples: "Samples") -> tuple[str, str]:
        """A return to give a code for (shop, own id): the waiting one, a pool return, a Shopify one; a return of
        the run named in another shop; or one made up."""
        pools, roll = samples.p, rng.random()
        others = [shop for shop in self.shops if shop not in ("generic", "outlet")]
        if self.waiting and roll < 0.3:
            return tuple(self.waiting)
        if roll < 0.55:
            return rng.choice(["generic", "generic", "outlet"]), pools.return_id(samples.k())
        if roll < 0.62 and self.shopify_returns:
            return rng.choice(self.shopify_returns)
        if roll < 0.8:
            real = [("generic", pools.return_id(samples.k()))] + ([tuple(self.waiting)] if self.waiting else []) \
                + self.shopify_returns
            shop, own = rng.choice(real)
            return rng.choice([name for name in self.shops if name != shop]), own
        made_up = [
            lambda: (rng.choice(self.shops), f"{pools.prefix}-NX-{rng.randrange(10**6)}"),
            lambda: (rng.choice(["generic", "outlet"]), f"{pools.return_id(samples.k())}-NX"),
            lambda: (rng.choice(self.taobao_shops or ["tmall-acme"]), str(2**53 + 2 * rng.randrange(1, 10**6))),
            lambda: (rng.choice(self.shopify_shops or ["shopify-acme"]), str(rng.choice(PHANTOM_NUMBERS))),
            lambda: (rng.choice(["acme", "jd-acme", "nosuch", "warehouse", *others]), pools.return_id(samples.k())),
        ]
        return rng.choice(made_up)()


# --- staff reads (search, case view, reports) and the console ---------------------------------------------------

# The parameters each read's query is built from and mutated with ("catalog" and the console take none: what they
# are sent is ignored), and the unknown ones tried beside them.
READ_QUERY_NAMES = {"search": ["q", "shop"], "report": ["as_of", "threshold", "min_count"], "catalog": ["q", "limit"],
                    "console": ["v", "key"]}
READ_UNKNOWN = {"search": ["Q", "q ", "shop[]", "limit", "cursor", "order_id", "%71", "q\u0000"],
                "report": ["AS_OF", "as_of ", "asof", "params.as_of", "Threshold", "min-count", "limit", "name"],
                "catalog": ["name", "cursor"], "console": ["key", "X-Api-Key", "callback"]}
ODD_DAYS = ["", "2026-02-30", "2026-13-01", "2026-00-10", "0000-01-01", "0001-01-01", "9999-12-31", "2026-1-1",
            "2026-01-1", "20261120", "2026/11/20", "2026-W47-5", "2026-11-20T00:00:00Z", "２０２６-１１-２０",
            " 2026-11-20", "2026-11-20 ", "x" * 10, "latest", "null", "-2026-11-2", "+2026-11-2", "1e9", "99999-01-01",
            "2026-11-20\u0000", "١٢٣٤-١١-٢٠"]
ODD_RATIOS = ["0", "-1", "-0", "0.0", "nan", "NaN", "inf", "Infinity", "-inf", "1e308", "1e309", "1e-320", "5e-324",
              "2", "2.0", "0.0001", "", "x", "١", "1_0", " 2 ", "²", "0x10", "true", "9" * 400, "1e999", "+2", ".5",
              "5.", "2,5", "1/2", "0" * 300 + "1", "2" + "0" * 5000]
ODD_COUNTS = ["0", "1", "-1", "-0", "1.0", "1.5", "1e3", "", "x", "١٢", "9" * 15, "9" * 19, "9" * 20, "1" + "0" * 20,
              "9" * 5000, " 5", "5 ", "5_0", "+5", "0x10", "²", "9223372036854775807", "9223372036854775808",
              "18446744073709551616", "00005", "true", "NaN", "inf"]
READ_ODD_SHOPS = ["generic", "outlet", "tmall-acme", "shopify-acme", "jd-acme", "GENERIC", "*", "generic,outlet",
                  "a" * 64, "a" * 65, "", " generic", "generic\n", "gen eric", "généric", "warehouse", "aftership",
                  "generic/outlet", "%", "\ud800", "😀", "-x", "_x", "x-"]
# How a case view's path may end, and whether the route takes it (None: the gateway decides: "%2F" API Gateway
# decodes and the local server does not, a ";" the local server's urlparse cuts off, a ".." a gateway may collapse).
CASE_SUFFIXES = [(b"/", True), (b"?view=full", True), (b"?", True), (b"?q=FZ-R1&q=FZ-R2", True), (b"/tracking", False),
                 (b"/x", False), (b"/refund", False), (b";", None), (b"%2F", None), (b"/..", None), (b"%20", None)]
REPORT_ODD_NAMES = ["Anomalies", "ANOMALIES", "anomalies.sql", "anomalies%20", "nosuch", "..", "%2e%2e",
                    "returns_by_sku;", "returns-by-sku", "x" * 200, "é", "%C3%A9", "anomalies%00", "LATEST_DAY_SQL", "__init__",
                    "..%2Fanalytics%2Fanomalies", "returns_by_sku/x", "cycle_times.", "refunds_by_day.csv", "0", "_",
                    "%F0%9F%98%80", "%FF", "anomalies%2F", "REPORTS", "sql_text"]
CONSOLE_PATHS = {"console": [(b"/console", True), (b"/console/", True), (b"/Console", None), (b"/console.html", None),
                             (b"/console/index.html", None), (b"//console", None), (b"/console;", None),
                             (b"/%63onsole", None), (b"/console/..", None)],
                 "chart_library": [(b"/console/plotly.min.js", True), (b"/console/plotly.min.js/", True),
                                   (b"/console/plotly.js", None), (b"/console/plotly.min.js.map", None),
                                   (b"/console/PLOTLY.MIN.JS", None), (b"/console/%70lotly.min.js", None),
                                   (b"/console/../console/plotly.min.js", None), (b"/console/plotly.min.js%00", None)]}
# The longest request target whose answer the fuzzer decides (the local server answers 414 past 64 KB).
MAX_DECIDED_TARGET = 60_000
# The printable key values whose fate the fuzzer decides (the SMS route's judge decides on the same).
PRINTABLE_KEY = re.compile(rb"[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?")
PLAIN_SEGMENT = re.compile(rb"[A-Za-z0-9_:-][A-Za-z0-9._:-]*|[A-Za-z0-9._:-]*[A-Za-z0-9_:-]")


def read_query(target: bytes) -> tuple[str, dict[str, list[str]]] | None:
    """The path and the query's parameters as the route reads them (every value of a name, in order; the route takes
    the last); None when it depends on the gateway: bytes that are not ASCII, a fragment, escapes of bytes that are
    not UTF-8, a path with ";" or escapes, a space or control character (a request line the server cannot read)."""
    if not target.isascii() or b"#" in target or re.search(rb"[\x00-\x20\x7f]", target):
        return None
    path, _, query = target.decode("ascii").partition("?")
    if ";" in path or "%" in path:
        return None
    try:
        return path, parse_qs(query, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        return None


def json_taken(probe: "Probe") -> bool | None:
    """Whether Chalice lets the request reach the view of a route of the default content type (JSON): its
    Content-Type, if any, names it or */* (else 415, whatever the route); None when it is sent twice, differently."""
    types = list(dict.fromkeys(probe.header_values("Content-Type")))
    if len(types) > 1:
        return None
    return route_takes(types[0] if types else None, ("application/json",))


def day_verdict(value: str) -> str:
    """valid, invalid or unsure, for a day parameter: 'YYYY-MM-DD' of a real day (the catalog's kind "day")."""
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        try:
            datetime(int(value[:4]), int(value[5:7]), int(value[8:]))
        except ValueError:
            return "invalid"
        return "valid"
    if len(value) != 10 or (value.isascii() and "W" not in value):
        return "invalid"
    return "unsure"


def ratio_verdict(value: str) -> str:
    """For a ratio parameter: a finite number above 0."""
    if re.fullmatch(r"[0-9]{1,400}(\.[0-9]{1,400})?([eE][+-]?[0-9]{1,4})?", value):
        number = float(value)
        return "valid" if 0 < number < float("inf") else "invalid"
    if not any(char.isdecimal() for char in value) or re.fullmatch(r"-[0-9.]+", value.strip()):
        return "invalid"
    return "unsure"


def count_verdict(value: str) -> str:
    """For a count parameter: a whole number from 1."""
    if re.fullmatch(r"[0-9]{1,15}", value):
        return "valid" if int(value) >= 1 else "invalid"
    if (not any(char.isdecimal() for char in value) or re.search(r"[.a-zA-Z]", value)
            or value.strip().startswith("-") or re.fullmatch(r"[0-9]{4301,}", value)):
        return "invalid"
    return "unsure"


VERDICTS = {"day": day_verdict, "ratio": ratio_verdict, "count": count_verdict}


def report_expectations(name: str, params: dict[str, list[str]]) -> list[str]:
    """What a report asked for with a valid key must be answered, in the order the route checks: its name, the
    parameters it does not take (the first by name), then each it takes in the catalog's order (the last value of
    a name, else its default): a 422 naming the first invalid one; the ones the fuzzer cannot tell may be either."""
    from chalicelib.domain.reports import REPORTS

    if name not in REPORTS:
        return ["404 unknown_report"]
    found = REPORTS[name]
    unknown = sorted(set(params) - {parameter.name for parameter in found.parameters})
    if unknown:
        return [f"422 params.{unknown[0]}"]
    outcomes = []
    for parameter in found.parameters:
        given = params.get(parameter.name)
        if given is None:
            continue  # its default
        verdict = VERDICTS[parameter.kind](given[-1])
        if verdict != "valid":
            outcomes.append(f"422 params.{parameter.name}")
        if verdict == "invalid":
            return outcomes
    return outcomes + ["200"]


def search_expectations(params: dict[str, list[str]]) -> list[str]:
    """A search with a valid key: a 422 naming the first parameter it does not take (by name; one without a name
    cannot be named), a q that is no id, a shop that is no shop name; else 200."""
    from chalicelib.domain.sources import SOURCE_NAME

    unknown = sorted(set(params) - {"q", "shop"})
    if unknown:
        return [f"422 {unknown[0] or '-'}"]
    q, shop = (params.get(name, [None])[-1] for name in ("q", "shop"))
    if not q or not re.fullmatch(SOURCE_ID_PATTERN, q):
        return ["422 q"]
    if shop is not None and not SOURCE_NAME.fullmatch(shop):
        return ["422 shop"]
    return ["200"]


def read_outcome(status: int, answer: bytes) -> str:
    """A staff read's answer as its judge compares it: 422 and the field it names ("-": none), a refusal's status
    and code, a 2xx or 401 or any other status alone."""
    error = _json(answer).get("error")
    error = error if isinstance(error, dict) else {}
    if status == 422:
        return f"422 {error.get('field') or '-'}"
    if status in (400, 403, 404, 409, 503):
        return f"{status} {error.get('code') or '-'}"
    return str(status)


# --- a request ----------------------------------------------------------------------------------------------------


@dataclass
class Probe:
    index: int
    route: str  # a key of ROUTES
    method: str
    target: bytes  # the request target: path and query, as sent
    headers: list[tuple[str, bytes]]
    body: bytes | None
    notes: list[str] = field(default_factory=list)
    refuse: str | None = None  # why the answer must not be 2xx
    ambiguous: bool = False  # duplicated credentials that differ: what counts depends on the gateway
    source: str | None = None  # the webhook source or carrier named in the path
    key_id: str | None = None  # the staff key, when the request carries a valid one
    status: int = 0
    answer: bytes = b""
    error: str | None = None
    seconds: float = 0.0
    body_size: int | None = None  # the body is kept cut to its first 4 KB once answered
    accepted: list[str] = field(default_factory=list)  # the qualified ids of the events it got queued
    # A Shopify delivery: the answers its headers and body call for ("202", "400", "401", "413", "422 <field>",
    # "422 -" for a body that is not an object); None when the fuzzer does not decide (a header sent twice...). An
    # SMS code's: sms_outcome's.
    expect: list[str] | None = None
    shopify: dict | None = None  # its domain, topic, webhook id and the resource it names (None: not decided)
    # A carrier push: the styles its content type picks (two when it is sent twice, differently), and whether the
    # route takes its content type (False: it must be answered 415; None: not decided).
    styles: list = field(default_factory=list)
    media: bool | None = None
    # An SMS code: the return it names (shop/own id), its kind (SmsWorld.kind), whether it is the one that waited
    # for a code (at build), whether the code is the one Taobao sent then, and whether the route takes the path
    # (False: it must not be 2xx; None: not decided). Its `expect`: the answers its key, path and body call for.
    sms: dict | None = None
    # A staff read or public page (READ_ROUTES, PUBLIC_MEDIA): what its judge needs of the request as the route reads
    # it (the query's parameters, the return named, whether the path is the route's...). Its `expect`: read_outcome's.
    read: dict | None = None
    content_type: str | None = None  # the answer's
    answer_size: int | None = None  # the answer is kept cut to its first 4 KB when it is the chart library

    def shrink(self) -> None:
        if self.body is not None and self.body_size is None:
            self.body_size, self.body = len(self.body), self.body[:4096]
        if self.route == "chart_library" and self.answer_size is None:
            self.answer_size, self.answer = len(self.answer), self.answer[:4096]

    def header_values(self, name: str) -> list[bytes]:
        return [value for key, value in self.headers if key.lower() == name.lower()]

    def describe(self, limit: int = 400) -> str:
        size = self.body_size if self.body_size is not None else len(self.body or b"")
        body = "none" if self.body is None else f"{size} bytes {self.body[:limit]!r}"
        headers = ", ".join(f"{k}: {v[:100]!r}" for k, v in self.headers if k not in ("Host", "Connection", PROBE_HEADER))
        return (f"#{self.index} {self.method} {self.target[:300]!r}\n      mutations: {'; '.join(self.notes) or 'none'}\n"
                f"      headers: {headers}\n      body: {body}\n"
                f"      answer: {self.status} {self.answer[:300]!r}{f' ({self.error})' if self.error else ''}")


def _ascii(value) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode("utf-8")


class Fuzzer:
    """Builds request `index` of a run from the seed: the same seed and index give the same request."""

    def __init__(self, seed: int, pools: Pools, sources: dict, staff_keys: dict, shopify: ShopifyWorld | None = None,
                 sms: SmsWorld | None = None) -> None:
        self.seed, self.pools, self.sources, self.staff_keys = seed, pools, sources, staff_keys
        self.shopify = shopify or ShopifyWorld.of(sources)
        self.sms = sms or SmsWorld.of(self.shopify)
        self.shopify_payloads = load_shopify_payloads()
        self.seeding = self._seeding()

    # The first requests of a run: every pool order of both shops, then their returns' requests, so that reviews,
    # links and decisions have returns to work on.
    def _seeding(self) -> list[tuple[str, dict]]:
        shops = ("generic", "outlet")
        orders = [(shop, self.pools.order_event(k)) for shop in shops for k in range(self.pools.size)]
        return orders + [(shop, self.pools.request_event(k)) for shop in shops for k in range(self.pools.size)]

    def build(self, index: int, now: datetime) -> Probe:
        rng = random.Random(f"{self.seed}/{index}")
        if index < len(self.seeding):
            shop, event = self.seeding[index]
            probe = Probe(index, "webhook", "POST", b"", [], None, ["seed"])
            body = json.dumps(event).encode()
            probe.source = shop
            return self._webhook_signed(rng, probe, shop, body, now, mode="valid", clean=True)
        samples = Samples(self.pools, rng, index, now)
        if 0 <= index - len(self.seeding) < len(self.shopify.seeds):  # one clean delivery about each real resource
            domain, topic, gid = self.shopify.seeds[index - len(self.seeding)]
            probe = Probe(index, "shopify", "POST", b"", [], None, [f"about the real {gid}"])
            return self._shopify(rng, samples, probe, now, seed=(domain, topic, gid))
        if index % GROWTH_EVERY["timeline"] == GROWTH_EVERY["timeline"] - 2:
            return self._carrier(rng, samples, Probe(index, "carrier", "POST", b"", [], None), now, big=True)
        if index % LONGEST_IDS["every"] in (LONGEST_IDS["order"], LONGEST_IDS["request"]):
            event = samples.longest_ids(index % LONGEST_IDS["every"] == LONGEST_IDS["order"])
            probe = Probe(index, "webhook", "POST", b"", [], None, ["the longest own ids the grammar allows"])
            probe.source = "generic"
            return self._webhook_signed(rng, probe, "generic", json.dumps(event).encode(), now, mode="valid", clean=True)
        if index % GROWTH_EVERY["evidence"] == GROWTH_EVERY["evidence"] - 2:
            probe = Probe(index, "webhook", "POST", b"", [], None, ["20 evidence URLs of 2 KB for the hot return"])
            probe.source = "generic"
            return self._webhook_signed(rng, probe, "generic", json.dumps(samples.growing_evidence()).encode(), now,
                                        mode="valid", clean=True)
        reads = random.Random(f"{self.seed}/{index}/reads")
        if reads.random() < READ_SHARE:
            route = reads.choices(list(READ_WEIGHTS), weights=list(READ_WEIGHTS.values()))[0]
        else:
            route = rng.choices(list(ROUTE_WEIGHTS), weights=list(ROUTE_WEIGHTS.values()))[0]
        return getattr(self, f"_{route}")(rng, samples, Probe(index, route, "POST", b"", [], None), now)

    # --- webhooks and carrier pushes

    def _secret_of(self, name: str) -> str | None:
        entry = self.sources.get(name)
        return entry["secrets"][0] if entry else None

    def _other_secret(self, rng: random.Random, name: str) -> tuple[str, str]:
        mine = set(self.sources.get(name, {}).get("secrets", []))
        others = [(other, entry["secrets"][0]) for other, entry in self.sources.items() if entry["secrets"][0] not in mine]
        return rng.choice(others)

    def _webhook(self, rng, samples: Samples, probe: Probe, now: datetime) -> Probe:
        roll = rng.random()
        source = "generic" if roll < 0.45 else ("outlet" if roll < 0.7 else "warehouse")
        if source == "warehouse":
            doc = samples.warehouse_message()
        else:
            doc = samples.shop_event(source == "generic")
        if rng.random() < 0.03:
            doc = samples.carrier_push(rng.choice(list(CARRIER_STYLES)))
            probe.notes.append("a carrier push's body")
        if rng.random() < 0.02:
            source, doc = "generic", samples.inflated_event()
            probe.notes.append(f"at the contract's sizes: {doc['type']}")
            body = json.dumps(doc).encode()
        else:
            doc = self._mutated(rng, doc, now, probe.notes)
            body = encode_body(rng, doc, probe.notes)
        path_source = source
        if rng.random() < 0.08:
            path_source = rng.choice([
                "tmall", "acme", "Generic", "GENERIC", "generic%20", "gen%2Fric", "%67eneric", "généric",
                "generic.", "warehouse2", "x" * 64, "x" * 65, "_generic", "-generic", "a", "0", *CARRIER_STYLES, "carriers",
                "generic%00", "generic;", "outlet", "generic", "warehouse", "shopify", "Shopify",
            ])
            probe.notes.append(f"path source {path_source!r}")
        probe.source = path_source
        return self._webhook_signed(rng, probe, source, body, now)

    def _webhook_signed(
        self, rng, probe: Probe, source: str, body: bytes, now: datetime, mode: str | None = None, clean: bool = False,
    ) -> Probe:
        """Sign for `source` (or forge), send to probe.source; decides whether the answer must be a refusal."""
        mode = mode or rng.choices(
            ["valid", "wrong key", "other source's key", "stale", "future", "body changed after signing",
             "timestamp changed after signing", "no signature", "no timestamp", "no headers", "carrier scheme"],
            weights=[55, 6, 6, 5, 3, 5, 2, 4, 4, 2, 2],
        )[0]
        path_source = probe.source
        secret = self._secret_of(path_source) or self._secret_of(source) or "local-generic-secret"
        timestamp = int(now.timestamp()) - rng.randrange(0, 60)
        signed_body = body
        if mode == "wrong key":
            secret = rng.choice(["wrong-secret-0123456789", secret + "x", secret[:-1], "", secret.upper()])
        elif mode == "other source's key":
            _, secret = self._other_secret(rng, path_source)
        elif mode == "stale":
            timestamp = int(now.timestamp()) - rng.choice([320, 600, 3600, 86_400, 10**9, int(now.timestamp())])
        elif mode == "future":
            timestamp = int(now.timestamp()) + rng.choice([320, 3600, 10**9])
        elif mode == "body changed after signing":
            body = body + b" " if rng.random() < 0.5 else mutate_bytes(rng, body, probe.notes)
        signature = sign(secret.encode(), str(timestamp), signed_body)
        sent_timestamp = str(timestamp + 1 if mode == "timestamp changed after signing" else timestamp)
        if mode == "carrier scheme":
            signature = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
        if mode != "valid":
            probe.notes.append(f"forged: {mode}")
        headers = [("Content-Type", b"application/json")]
        if mode not in ("no timestamp", "no headers"):
            headers.append(("X-Aftersales-Timestamp", sent_timestamp.encode()))
        if mode not in ("no signature", "no headers"):
            headers.append(("X-Aftersales-Signature", signature.encode()))
        if not clean and rng.random() < 0.15:
            headers = self._odd_headers(rng, headers, ["X-Aftersales-Signature", "X-Aftersales-Timestamp"], probe.notes, now)
        probe.headers, probe.body = headers, body
        probe.target = b"/v1/webhooks/" + _ascii(path_source)
        if not clean and rng.random() < 0.02:
            probe.method = rng.choice(["GET", "PUT", "DELETE", "PATCH"])
            probe.notes.append(f"method {probe.method}")
        self._judge_webhook(probe, now)
        return probe

    def _odd_headers(self, rng, headers: list, names: list[str], notes: list[str], now: datetime) -> list:
        op = rng.choice(["drop", "duplicate same", "duplicate other", "non-ascii", "timestamp", "content-type",
                         "case", "huge", "upper"])
        name = rng.choice(names)
        present = [i for i, (key, _) in enumerate(headers) if key == name]
        if op == "drop":
            notes.append(f"header {name} dropped")
            return [(k, v) for k, v in headers if k != name]
        if op.startswith("duplicate") and present:
            value = headers[present[0]][1]
            other = value if op == "duplicate same" else rng.choice([b"", b"0", value[:-1], b"x" * len(value), value + b"0"])
            notes.append(f"header {name} sent twice ({'same value' if other == value else repr(other[:20])})")
            if rng.random() < 0.5:
                return headers + [(name, other)]
            return headers[:present[0]] + [(name, other)] + headers[present[0]:]
        if op == "non-ascii" and present:
            value = headers[present[0]][1]
            odd = rng.choice([value + "é".encode(), b"\xff" + value, "０１２３".encode(), value[:-1] + b"\xe9",
                              "é".encode() * 10, b"\xc3"])
            notes.append(f"header {name} = {odd[:30]!r}")
            headers[present[0]] = (name, odd)
            return headers
        if op == "timestamp":
            ts = int(now.timestamp())
            value = rng.choice(["²", "٣", "-1", "", "0", "1e9", "0x10", f" {ts}", f"{ts}.0", "9" * 30, str(ts + 330),
                                str(ts - 330), f"+{ts}", f"{ts}\u00a0", "𝟙𝟚𝟛", str(ts)[:-1], f"0{ts}"])
            notes.append(f"X-Aftersales-Timestamp = {value!r}")
            return [(k, v) for k, v in headers if k != "X-Aftersales-Timestamp"] + [("X-Aftersales-Timestamp", value.encode())]
        if op == "content-type":
            value = rng.choice([None, b"text/plain", b"application/json; charset=utf-8", b"application/JSON",
                                b"multipart/form-data", b"application/x-www-form-urlencoded", b"",
                                b"application/json; charset=utf-16",
                                b"application/octet-stream", "application/jsón".encode()])
            notes.append(f"Content-Type {value!r}")
            rest = [(k, v) for k, v in headers if k != "Content-Type"]
            return rest if value is None else rest + [("Content-Type", value)]
        if op == "case" and present:
            notes.append(f"header name {name.lower()!r}")
            return [(k.lower() if k == name else k, v) for k, v in headers]
        if op == "huge" and present:
            notes.append(f"header {name} of 16 KB")
            headers[present[0]] = (name, b"a" * 16384)
            return headers
        if op == "upper" and present:
            notes.append(f"header {name} upper-cased")
            headers[present[0]] = (name, headers[present[0]][1].upper())
            return headers
        notes.append(f"header op {op} (no {name})")
        return headers

    def _single(self, probe: Probe, name: str) -> bytes | None:
        """The one value of a header (the same value sent twice counts once); None when absent; marks the probe
        ambiguous when it was sent with different values."""
        values = set(probe.header_values(name))
        if len(values) > 1:
            probe.ambiguous = True
            return None
        return next(iter(values), None)

    def _judge_webhook(self, probe: Probe, now: datetime) -> None:
        entry = self.sources.get(served_source(probe.source))
        registered = entry is not None and entry["kind"] in (SourceKind.SHOP, SourceKind.WAREHOUSE)
        timestamp = self._single(probe, "X-Aftersales-Timestamp")
        signature = self._single(probe, "X-Aftersales-Signature")
        if probe.ambiguous:
            return
        authentic = False
        if registered and timestamp and signature and timestamp.isdigit() and timestamp.isascii() and len(timestamp) <= 12:
            if abs(now.timestamp() - int(timestamp)) < 290:
                given = signature.strip().lower()
                authentic = any(hmac.compare_digest(sign(s.encode(), timestamp.decode(), probe.body or b"").encode(), given)
                                for s in entry["secrets"])
        if not authentic:
            probe.refuse = "unknown source" if not registered else "forged signature"
            return
        probe.refuse = self._not_granted(served_source(probe.source), entry, probe.body)

    def _not_granted(self, name: str, entry: dict, body: bytes | None) -> str | None:
        try:
            payload = json.loads((body or b"").decode("utf-8"))
        except (ValueError, RecursionError):
            return None
        if not isinstance(payload, dict):
            return None
        kind = SourceKind(entry["kind"])
        event_type = payload.get("type") if "type" in payload or kind is not SourceKind.WAREHOUSE else "InspectionCompleted"
        granted = set(entry.get("event_types") or DEFAULT_EVENT_TYPES[kind])
        if isinstance(event_type, str) and event_type in EVENT_TYPES and event_type not in granted:
            return f"{name} not granted {event_type}"
        shops = {name} if kind is SourceKind.SHOP else set(entry.get("shops", []))
        shop = payload.get("shop")
        if isinstance(shop, str) and shop and shop not in shops and "*" not in shops:
            return f"{name} not granted shop {shop!r}"
        return None

    def _carrier(self, rng, samples: Samples, probe: Probe, now: datetime, big: bool = False) -> Probe:
        name = rng.choice(list(PUSH_STYLES))
        carrier, style = PUSH_STYLES[name]
        doc = samples.carrier_push(name)
        if rng.random() < 0.03:
            doc = samples.shop_event(True)
            probe.notes.append("a generic event's body")
        if big:
            body = json.dumps(samples.carrier_push(name, big=True)).encode()
            probe.notes.append(f"190 checkpoints with the longest texts for the hot parcel ({name})")
        else:
            doc = self._mutated(rng, doc, now, probe.notes)
            body = encode_body(rng, doc, probe.notes)
        path_carrier = carrier
        if not big and rng.random() < 0.08:
            path_carrier = rng.choice(["dhl", "AfterShip", "17TRACK", "sf_express", "sf-express%20", "aftership%00", "generic",
                                       "warehouse", "ups", "x" * 70, "17track%2F", "sf%2Dexpress", "Kuaidi100",
                                       "kuaidi100%20", *CARRIER_STYLES])
            probe.notes.append(f"path carrier {path_carrier!r}")
        probe.source = path_carrier
        secret = self._secret_of(path_carrier) or self._secret_of(carrier)
        if style in FORM_POSTED:
            self._form_push(rng, probe, style, secret, body, now, big)
        else:
            self._header_push(rng, probe, style, secret, body, now, big)
        probe.target = b"/v1/webhooks/carriers/" + _ascii(path_carrier)
        self._judge_carrier(probe)
        return probe

    def _header_push(self, rng, probe: Probe, style, secret: str, body: bytes, now: datetime, big: bool) -> None:
        """A JSON push signed in the style's header (or forged)."""
        mode = "valid" if big else rng.choices(
            ["valid", "wrong key", "other carrier's key", "other style", "generic scheme", "no signature",
             "body changed after signing", "header of another style"], weights=[55, 8, 8, 6, 4, 6, 8, 5])[0]
        signed = body
        if mode == "wrong key":
            secret = rng.choice(["wrong-key-0123456789", secret + "x", ""])
        elif mode == "other carrier's key":
            _, secret = self._other_secret(rng, probe.source)
        elif mode == "body changed after signing":
            body = body + b"\n" if rng.random() < 0.5 else mutate_bytes(rng, body, probe.notes)
        signature = style.sign(secret.encode(), signed)
        header = style.SIGNATURE_HEADER
        if mode == "other style":  # another style's scheme over the same body (Kuaidi100's: its MD5 of it)
            other = rng.choice([s for s in [*HEADER_STYLES, kuaidi100] if s is not style])
            signature = other.sign(secret.encode(), signed)
        elif mode == "generic scheme":
            signature = sign(secret.encode(), str(int(now.timestamp())), signed)
        elif mode == "header of another style":
            header = rng.choice([s.SIGNATURE_HEADER for s in HEADER_STYLES if s is not style])
        if mode != "valid":
            probe.notes.append(f"forged: {mode}")
        headers = [("Content-Type", b"application/json")]
        if mode != "no signature":
            headers.append((header, signature.encode()))
        if not big and rng.random() < 0.15:
            headers = self._odd_headers(rng, headers, [style.SIGNATURE_HEADER], probe.notes, now)
        probe.headers, probe.body = headers, body

    def _form_push(self, rng, probe: Probe, style, secret: str, data: bytes, now: datetime, big: bool) -> None:
        """A form as Kuaidi100 or SF's open platform posts it, `data` (the push's JSON) in its signed field: signed,
        or forged in the form's own ways."""
        signed_field, signature_field = FORM_POSTED[style]
        mode = "valid" if big else rng.choices(
            ["valid", "wrong key", "other carrier's key", "signed field changed after signing",
             "timestamp changed after signing", "no signature", "empty signature", "signature in a header",
             "field sent twice", "non-UTF-8 percent-escapes", "other style's signature", "too many fields",
             "another style's form", "a JSON body"],
            weights=[52, 5, 5, 8, 3, 4, 2, 4, 5, 4, 3, 2, 2, 1])[0]
        if mode == "timestamp changed after signing" and style is not sf_open_platform:
            mode = "signed field changed after signing"  # Kuaidi100 signs its param alone
        key = secret
        if mode == "wrong key":
            key = rng.choice(["wrong-key-0123456789", secret + "x", secret.upper(), ""])
        elif mode == "other carrier's key":
            _, key = self._other_secret(rng, probe.source)
        timestamp = str(int(now.timestamp() * 1000) - rng.randrange(60_000))
        form_style = style
        if mode == "another style's form":
            form_style = kuaidi100 if style is sf_open_platform else sf_open_platform
        fields = self._form_fields(rng, form_style, key, data, timestamp, probe.notes, valid=mode == "valid")
        if mode != "valid":
            probe.notes.append(f"forged: {mode}")
        names = [field_name for field_name, _ in fields]
        at = {field_name: i for i, field_name in enumerate(names)}
        headers = [("Content-Type", rng.choice(FORM_TYPES) if rng.random() < 0.97 else b"application/json")]
        if mode == "signed field changed after signing":
            i = at[signed_field]
            fields[i] = (signed_field, self._changed(rng, fields[i][1], now, probe.notes))
        elif mode == "timestamp changed after signing":
            i = at["timestamp"]
            fields[i] = ("timestamp", str(int(fields[i][1]) + rng.choice([1, -1, 1000])).encode())
        elif mode in ("no signature", "signature in a header"):
            signature = fields.pop(at[signature_field])[1]
            if mode == "signature in a header":
                headers.append((rng.choice([signature_field, signature_field.lower()]), signature))
        elif mode == "empty signature":
            fields[at[signature_field]] = (signature_field, rng.choice([b"", b" "]))
        elif mode == "field sent twice":
            field_name = rng.choice([signed_field, signature_field, *names])
            value = dict(fields)[field_name]
            again = rng.choice([value, value, b"", value[:-1], b"x", self._changed(rng, value, now, [])])
            fields.insert(rng.choice([0, at[field_name], at[field_name] + 1, len(fields)]), (field_name, again))
            probe.notes.append(f"field {field_name} sent twice "
                               f"({'same value' if again == value else repr(again[:20])})")
        elif mode == "other style's signature":
            text = fields[at[signed_field]][1]
            if style is kuaidi100:  # SF's digest of the param, and the timestamp SF would have sent
                digests = sf_open_platform.digests(key.encode(), text.decode("utf-8", "replace"), timestamp)
                other = rng.choice(digests)
            else:
                other = rng.choice([s.sign(key.encode(), text) for s in [kuaidi100, *HEADER_STYLES]])
            fields[at[signature_field]] = (signature_field, other.encode())
        elif mode == "too many fields":
            fields += [(f"x{n}", b"1") for n in range(MAX_FORM_FIELDS + 1 - len(fields) + rng.randrange(3))]
        body = encode_form(rng, fields, probe.notes, clean=big)
        if mode == "non-UTF-8 percent-escapes":
            body = bad_escapes(rng, body, rng.choice([signed_field, *names]), probe.notes)
        elif mode == "a JSON body":
            body = data
        probe.headers, probe.body = headers, body
        if not big and rng.random() < 0.12:
            probe.headers = self._odd_headers(rng, probe.headers, ["Content-Type"], probe.notes, now)

    def _form_fields(self, rng, style, key: str, data: bytes, timestamp: str, notes: list[str],
                     valid: bool) -> list[tuple[str, bytes]]:
        """The fields of a form style's push, signed with `key` (as the sender would: over the bytes it sends, read
        as text by SF's digest), in the carrier's order or shuffled, with fields the carrier may add."""
        if style is kuaidi100:
            signature = kuaidi100.sign(key.encode(), data)
            if rng.random() < 0.1:
                signature = rng.choice([signature.lower(), f" {signature} "])  # what the edge reads the same
                notes.append(f"sign as {signature!r}")
            fields = [("param", data), ("sign", signature.encode())]
        else:
            which = 0 if rng.random() < 0.75 else 1  # SF's digest of the URL-encoded text, or of the text as it is
            if which:
                notes.append("msgDigest of the text not URL-encoded")
            digest = sf_open_platform.digests(key.encode(), data.decode("utf-8", "replace"), timestamp)[which]
            request_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            fields = [("partnerID", b"AFTERSALES01"), ("requestID", request_id.encode()),
                      ("serviceCode", b"RoutePushService"), ("timestamp", timestamp.encode()),
                      ("msgDigest", digest.encode()), ("msgData", data)]
        if rng.random() < 0.1:
            extra = rng.choice([("resultv2", b"1"), ("", b""), ("lang", b"zh-CN"), ("param2", b"{}"),
                                ("é", "é".encode())])
            fields.append(extra)
            notes.append(f"extra field {extra[0]!r}")
        if rng.random() < 0.3:
            rng.shuffle(fields)
            notes.append("fields shuffled")
        return fields

    def _changed(self, rng, value: bytes, now: datetime, notes: list[str]) -> bytes:
        """A signed field's value changed after signing: a byte more, a digit changed, a field of its JSON mutated."""
        how = rng.choice(["space", "digit", "document", "bytes"])
        if how == "digit" and re.search(rb"[0-9]", value):
            i = rng.choice([m.start() for m in re.finditer(rb"[0-9]", value)])
            notes.append(f"digit at {i} changed")
            return value[:i] + bytes([48 + (value[i] - 47) % 10]) + value[i + 1:]
        if how == "document":
            try:
                doc = json.loads(value)
            except (ValueError, RecursionError):  # not JSON (any more), or nested too deep to read here
                doc = None
            if isinstance(doc, dict):
                changed = mutate_document(rng, doc, now, notes)
                encoded = encode_body(rng, changed, notes, body_mutation=0)
                if encoded != value:
                    return encoded
        if how == "bytes" and value:
            return mutate_bytes(rng, value, notes)
        notes.append("a space appended")
        return value + b" "

    def _judge_carrier(self, probe: Probe) -> None:
        """Whether the push must be refused, in the style its content type picks (every style it may pick when the
        content type is sent twice, differently: refused when no one takes it); and whether it must be 415."""
        entry = self.sources.get(probe.source or "")
        types = list(dict.fromkeys(probe.header_values("Content-Type"))) or [None]
        taken = [route_takes(value) for value in types]
        probe.media = True if all(taken) else False if not any(taken) else None
        if len(types) > 1:
            probe.ambiguous = True
        styles = [style_of(probe.source or "", {} if value is None else {"Content-Type": value.decode("latin-1")})
                  for value in types]
        probe.styles = list(dict.fromkeys(style for style in styles if style is not None))
        if not probe.styles or entry is None or entry["kind"] != SourceKind.CARRIER:
            probe.refuse = "unknown carrier"
            return
        verdicts = [self._form_verdict(probe, style, entry["secrets"]) if style in FORM_POSTED
                    else self._header_verdict(probe, style, entry["secrets"]) for style in probe.styles]
        if any(verdict is True for verdict in verdicts) or any(verdict is None for verdict in verdicts):
            probe.ambiguous = probe.ambiguous or any(verdict is None for verdict in verdicts)
            return
        probe.refuse = verdicts[0]

    def _header_verdict(self, probe: Probe, style, secrets: list[str]) -> bool | str | None:
        """True: signed by the carrier; None: one of the header's values is, sent twice with another; else why not.
        The header as the edge reads it: its text (Latin-1, as HTTP carries it), stripped; 17TRACK's lower-cased."""
        values = set(probe.header_values(style.SIGNATURE_HEADER))
        expected = [style.sign(secret.encode(), probe.body or b"").encode() for secret in secrets]

        def signed(value: bytes) -> bool:
            given = value.decode("latin-1").strip()
            given = given.lower() if style is CARRIER_STYLES["17track"] else given
            return any(hmac.compare_digest(e, given.encode("utf-8", "surrogatepass")) for e in expected)

        if any(value and signed(value) for value in values):
            return True if len(values) == 1 else None
        return "forged signature"

    def _form_verdict(self, probe: Probe, style, secrets: list[str]) -> bool | str:
        """True: the form is signed by the carrier; else why it must be refused. Kuaidi100's sign is read upper-cased,
        SF's msgDigest may be either of its digests; a form the edge cannot read (not UTF-8, a field sent twice, too
        many fields) or without the signed fields is refused whatever it carries."""
        fields, why = read_form_like_the_edge(probe.body or b"")
        if fields is None:
            return why
        signed_field, signature_field = FORM_POSTED[style]
        signed = [signed_field] + (["timestamp"] if style is sf_open_platform else [])
        if not all(fields.get(name) for name in signed):
            return "form without its signed fields"
        signature = fields.get(signature_field)
        if not signature:
            return "forged signature"
        if style is kuaidi100:
            given = signature.strip().upper()
            expected = [kuaidi100.sign(secret.encode(), fields["param"].encode()) for secret in secrets]
        else:
            given = signature.strip()
            expected = [digest for secret in secrets
                        for digest in sf_open_platform.digests(secret.encode(), fields["msgData"], fields["timestamp"])]
        given_bytes = given.encode("utf-8", "surrogatepass")
        if any(hmac.compare_digest(value.encode(), given_bytes) for value in expected):
            return True
        return "forged signature"

    # --- Shopify's deliveries

    def _shopify(self, rng, samples: Samples, probe: Probe, now: datetime, seed: tuple | None = None) -> Probe:
        """A delivery as Shopify sends it, about a resource the simulated Shopify has (three in four, of a kind it has
        some of) or one it does not; its body mutated, its signature valid or forged, its headers mutated."""
        world = self.shopify
        if seed:
            domain, topic, gid = seed
        else:
            domain = rng.choice(sorted(world.domains) or ["acme.myshopify.com"])
            topic = rng.choices(list(SHOPIFY_TOPIC_WEIGHTS), weights=list(SHOPIFY_TOPIC_WEIGHTS.values()))[0]
            kind = TOPICS[topic]
            gids = world.real.get(domain, {}).get(kind or "", [])
            gid = None
            if gids and rng.random() < 0.75:
                gid = rng.choice(gids)
                probe.notes.append(f"about the real {gid}")
            elif kind:
                gid = f"gid://shopify/{kind}/{rng.choice(PHANTOM_NUMBERS)}"
                probe.notes.append(f"about {gid}, which Shopify does not have")
        probe.notes.append(f"topic {topic}")
        doc = self._shopify_payload(rng, topic, gid, domain, now, probe.notes, clean=bool(seed))
        if seed:
            body = json.dumps(doc).encode()
        else:
            if rng.random() < 0.25:
                self._odd_resource_id(rng, doc, topic, gid, probe.notes)
            doc = self._mutated(rng, doc, now, probe.notes)
            body = encode_body(rng, doc, probe.notes, body_mutation=0.08)
        self._shopify_signed(rng, probe, topic, domain, body, now, clean=bool(seed))
        self._judge_shopify(probe, now)
        self._keep_the_app_installed(probe, now)
        return probe

    def _shopify_payload(self, rng, topic: str, gid: str | None, domain: str, now: datetime, notes: list[str],
                         clean: bool = False) -> dict:
        kind = TOPICS[topic]
        if kind is None:
            return {"id": 2**53 + 2 * rng.randrange(1, 1000), "name": domain.split(".")[0], "domain": domain,
                    "myshopify_domain": domain}
        number = gid.rsplit("/", 1)[1]
        if topic.startswith("fulfillments/"):
            doc = copy.deepcopy(self.shopify_payloads["Fulfillment"])
            doc.update(order_id=int(number), updated_at=iso(now))
            return doc
        doc = copy.deepcopy(self.shopify_payloads[kind])
        doc.update(id=int(number), admin_graphql_api_id=gid)
        roll = 1.0 if clean else rng.random()
        if roll < 0.1:
            del doc["admin_graphql_api_id"]
            notes.append("named by its REST id only")
        elif roll < 0.2:
            del doc["id"]
            notes.append("named by its GID only")
        return doc

    def _odd_resource_id(self, rng, doc: dict, topic: str, gid: str | None, notes: list[str]) -> None:
        kind = TOPICS[topic] or "Order"
        number = gid.rsplit("/", 1)[1] if gid else "9007199254741002"
        name = rng.choice([key for key in ("admin_graphql_api_id", "id", "order_id") if key in doc] or ["id"])
        doc[name] = rng.choice(odd_resource_ids(kind, number))
        notes.append(f"resource {name} -> {doc[name]!r:.70}")

    def _forged_domain(self, rng, domain: str) -> str:
        sub = domain.removesuffix(".myshopify.com")
        return rng.choice(FORGED_DOMAINS).format(sub=sub, domain=domain, upper=domain.upper(), title=domain.title())

    def _shopify_signed(self, rng, probe: Probe, topic: str, domain: str, body: bytes, now: datetime,
                        clean: bool = False) -> None:
        """Sign with the app's secret (or forge), and write Shopify's headers; some mutated."""
        secrets = self.shopify.domains.get(domain, (None, ["local-shopify-app-secret"]))[1]
        secret = secrets[0]
        mode = "valid" if clean else rng.choices(
            ["valid", "wrong secret", "another source's secret", "signature of another body", "body changed after signing",
             "hex digest", "unpadded", "urlsafe", "truncated digest", "generic scheme", "no signature", "empty signature",
             "domain not connected", "no domain"],
            weights=[62, 4, 3, 3, 3, 2, 1, 1, 1, 1, 3, 1, 11, 2])[0]
        signed = body
        sent_domain = domain
        if mode == "wrong secret":
            secret = rng.choice(["wrong-secret-0123456789", secret + "x", secret[:-1], secret.upper(), ""])
        elif mode == "another source's secret":
            secret = rng.choice(sorted({s for entry in self.sources.values() for s in entry["secrets"]} - set(secrets)))
        elif mode == "signature of another body":
            signed = rng.choice([b"{}", b"", body + b" ", body[:-1], body.replace(b"1", b"3", 1)])
            signed = signed if signed != body else body + b"\n"
        elif mode == "body changed after signing":
            body = body + b"\n" if rng.random() < 0.5 else mutate_bytes(rng, body, probe.notes)
        elif mode == "domain not connected":
            sent_domain = self._forged_domain(rng, domain)
        digest = hmac.new(secret.encode(), signed, hashlib.sha256).digest()
        signature = base64.b64encode(digest).decode()
        if mode == "hex digest":
            signature = digest.hex()
        elif mode == "unpadded":
            signature = signature.rstrip("=")
        elif mode == "urlsafe":
            signature = base64.urlsafe_b64encode(digest).decode()
        elif mode == "truncated digest":
            signature = base64.b64encode(digest[:16]).decode()
        elif mode == "generic scheme":
            signature = sign(secret.encode(), str(int(now.timestamp())), signed)
        if mode == "domain not connected":
            probe.notes.append(f"domain {sent_domain!r}")
        if mode != "valid":
            probe.notes.append(f"forged: {mode}")
        # Shopify's X-Shopify-Triggered-At: nanoseconds, UTC
        triggered = f"{(now - timedelta(seconds=rng.randrange(1, 600))):%Y-%m-%dT%H:%M:%S}.{rng.randrange(10**9):09d}Z"
        headers = [("Content-Type", b"application/json"), ("X-Shopify-Topic", topic.encode())]
        if mode not in ("no signature",):
            headers.append(("X-Shopify-Hmac-Sha256", b"" if mode == "empty signature" else signature.encode()))
        if mode != "no domain":
            headers.append(("X-Shopify-Shop-Domain", _ascii(sent_domain)))
        headers += [("X-Shopify-API-Version", b"2026-10"),
                    ("X-Shopify-Webhook-Id", str(uuid.UUID(int=rng.getrandbits(128), version=4)).encode())]
        if clean or rng.random() < 0.85:
            headers.append(("X-Shopify-Event-Id", str(uuid.UUID(int=rng.getrandbits(128), version=4)).encode()))
        if clean or rng.random() < 0.85:
            headers.append(("X-Shopify-Triggered-At", triggered.encode()))
        if not clean and rng.random() < 0.4:
            for _ in range(rng.choice([1, 1, 2, 3])):
                headers = self._odd_shopify_headers(rng, headers, domain, probe.notes, now, probe.index)
        probe.headers, probe.body, probe.target = headers, body, b"/v1/webhooks/shopify"

    def _odd_shopify_headers(self, rng, headers: list, domain: str, notes: list[str], now: datetime, index: int) -> list:
        op = rng.choices(["drop", "empty", "case", "duplicate same", "duplicate other", "odd value", "space"],
                         weights=[3, 2, 4, 1, 1, 9, 1])[0]
        name = rng.choice(SHOPIFY_HEADERS)
        present = [i for i, (key, _) in enumerate(headers) if key.lower() == name.lower()]
        if op == "case":
            spell = rng.choice([str.lower, str.upper, str.swapcase,
                                lambda n: "".join(c.upper() if i % 2 else c.lower() for i, c in enumerate(n))])
            every = rng.random() < 0.3
            notes.append(f"header {'names' if every else name} spelled {spell(name)!r}")
            return [(spell(k) if every or k.lower() == name.lower() else k, v) for k, v in headers]
        if op == "drop":
            notes.append(f"header {name} dropped")
            return [(k, v) for k, v in headers if k.lower() != name.lower()]
        spelled = rng.choice([name, name, name.lower()])
        if op == "odd value" or not present:
            value = self._odd_shopify_value(rng, name, domain, now, index)
            notes.append(f"header {name} = {value[:60]!r}")
            return [(k, v) for k, v in headers if k.lower() != name.lower()] + [(spelled, value)]
        value = headers[present[0]][1]
        if op == "empty":
            notes.append(f"header {name} empty")
            headers[present[0]] = (headers[present[0]][0], b"")
            return headers
        if op == "space":
            odd = rng.choice([b" " + value, value + b" ", b"\t" + value, value + b"\t"])
            notes.append(f"header {name} = {odd[:60]!r}")
            headers[present[0]] = (headers[present[0]][0], odd)
            return headers
        other = value if op == "duplicate same" else self._odd_shopify_value(rng, name, domain, now, index)
        notes.append(f"header {name} sent twice ({'same value' if other == value else repr(other[:40])})")
        if rng.random() < 0.5:
            return headers + [(spelled, other)]
        return headers[:present[0]] + [(spelled, other)] + headers[present[0]:]

    def _odd_shopify_value(self, rng, name: str, domain: str, now: datetime, index: int) -> bytes:
        if name == "X-Shopify-Shop-Domain":
            others = [d for d in self.shopify.domains if d != domain]
            return _ascii(rng.choice(others) if others and rng.random() < 0.2 else self._forged_domain(rng, domain))
        if name == "X-Shopify-Hmac-Sha256":
            return rng.choice([b"", b"x", b"=", b"A" * 44, b"A" * 43 + b"=", "é".encode(), b"sha256=" + b"A" * 44,
                               b"\xff" * 8, b"0" * 64, b"A" * 16384, "０１２３".encode()])
        if name == "X-Shopify-Topic":
            return _ascii(rng.choice([
                *[t for t in TOPICS if TOPICS[t]], "app/uninstalled", "APP/UNINSTALLED", "Orders/Create", "ORDERS/CREATE",
                "orders/delete", "products/update", "customers/redact", "shop/redact", "orders", "orders/", "/orders/create",
                "orders//create", "orders/create/", "returns/requested", "refund/create", "orders/create,orders/paid",
                "orders.create", "orders_create", "x" * 300, "ordérs/create", "orders/create\u200b", "",
            ]))
        if name == "X-Shopify-Webhook-Id":
            tag = str(index)
            return _ascii(rng.choice([
                tag, f"fz.{tag}:a_b-c", "x" * (124 - len(tag)) + "-" + tag, f"-{tag}", f".{tag}", tag + ":" * 10,
                "", "x" * (125 - len(tag)) + "-" + tag, "x" * 200, f"a/{tag}", f"a b{tag}", "é", f"{tag}#x", "😀",
                f"{tag}*", "%2F", f"{tag}\t1", f"wh-{tag}/x", "..\\x", f"{tag}\u00a0",
            ]))
        if name == "X-Shopify-Event-Id":
            return _ascii(rng.choice(["", "0", "x" * 128, "x" * 129, "é" * 10, "a" * 5000, "1234567890", "\u00ff",
                                      str(uuid.UUID(int=rng.getrandbits(128), version=4)), "e" * 200]))
        odd = [str(value) for value in odd_dates(now)]
        return _ascii(rng.choice([
            iso(now), iso(now - timedelta(days=1)), now.isoformat(), "",
            (now - timedelta(hours=1)).astimezone(timezone(timedelta(hours=-5))).isoformat(timespec="milliseconds"),
            iso(now + timedelta(hours=25)), iso(now - timedelta(days=3651)), "9999-12-31T23:59:59Z",
            "0001-01-01T00:00:00Z", iso(now).rstrip("Z"), "2026-11-20", "now", "yesterday", "x",
            *rng.sample(odd, 3),
        ]))

    def _shopify_header(self, probe: Probe, name: str) -> tuple[str | None, bool]:
        """The header's value as the local API reads it (latin-1, the first when sent twice, without leading space),
        and whether every gateway reads it so: sent with one value, and no space around it."""
        values = list(dict.fromkeys(probe.header_values(name)))
        if not values:
            return None, True
        text = values[0].decode("latin-1")
        return text.lstrip(" \t"), len(values) == 1 and text == text.strip(" \t")

    def _judge_shopify(self, probe: Probe, now: datetime) -> None:
        """What the delivery's headers and body call for (probe.expect), and whether it is forged (probe.refuse)."""
        probe.refuse, probe.expect, probe.ambiguous = None, None, False
        body = probe.body or b""
        domain, domain_sure = self._shopify_header(probe, "X-Shopify-Shop-Domain")
        signature, signature_sure = self._shopify_header(probe, "X-Shopify-Hmac-Sha256")
        connected = self.shopify.domains.get(domain) if domain is not None else None
        probe.source = connected[0] if connected else None
        # What the API reads (the first value of a header sent twice): the resource it names, if it is accepted.
        topic, webhook_id = (self._shopify_header(probe, name)[0] for name in ("X-Shopify-Topic", "X-Shopify-Webhook-Id"))
        payload, not_json = load_json_like_the_edge(body)
        gid, named_by = (None, None)
        if topic in TOPICS and TOPICS[topic] is not None and isinstance(payload, dict):
            gid, named_by = shopify_resource(topic, payload)
        probe.shopify = {"domain": domain, "topic": topic, "webhook_id": webhook_id, "resource": gid}
        if not (domain_sure and signature_sure):
            probe.ambiguous = True
            return
        too_large = len(body) > MAX_BODY  # the size is checked first, as on every webhook route
        if connected is None or not shopify_signed(connected[1], signature, body):
            probe.refuse = "shopify domain not connected" if connected is None else "shopify forged signature"
            probe.expect = ["413" if too_large else "401"]
            return
        if too_large:
            probe.expect = ["413"]
            return
        read = {name: self._shopify_header(probe, name) for name in SHOPIFY_HEADERS[2:]}
        if not all(sure for _, sure in read.values()):
            return
        event_id, triggered = read["X-Shopify-Event-Id"][0], read["X-Shopify-Triggered-At"][0]
        refusals, maybe = [], []
        if topic not in TOPICS:
            refusals.append("422 X-Shopify-Topic")
        if not_json == "unsure":
            maybe.append("400")
        elif not_json:
            refusals.append("400")
        elif not isinstance(payload, dict):
            refusals.append("422 -")
        if not webhook_id or not re.fullmatch(SOURCE_ID_PATTERN, f"wh-{webhook_id}"):
            refusals.append("422 X-Shopify-Webhook-Id")
        if named_by and gid is None:
            refusals.append(f"422 {named_by}")
        verdict = "valid" if triggered is None else triggered_at_verdict(triggered, now)
        if verdict != "valid":
            (refusals if verdict == "invalid" else maybe).append("422 X-Shopify-Triggered-At")
        if event_id is not None and len(event_id) > 128:
            refusals.append("422 X-Shopify-Event-Id")
        probe.expect = refusals + maybe if refusals else ["202"] + maybe

    def _keep_the_app_installed(self, probe: Probe, now: datetime) -> None:
        """An app/uninstalled delivery that may be accepted is sent as orders/updated instead: accepted, it would
        mark the shop uninstalled, and nothing about it could be hydrated for the rest of the run (nor in the tests
        sharing the local cloud)."""
        if not any(v.strip(b" \t").lower() == b"app/uninstalled" for v in probe.header_values("X-Shopify-Topic")):
            return
        if probe.refuse and not probe.ambiguous or (probe.expect is not None and "202" not in probe.expect):
            return
        probe.headers = [(k, b"orders/updated" if k.lower() == "x-shopify-topic" else v) for k, v in probe.headers]
        probe.notes.append("app/uninstalled that could be accepted sent as orders/updated")
        self._judge_shopify(probe, now)

    def _mutated(self, rng, doc, now: datetime, notes: list[str]):
        count = rng.choices([0, 1, 2, 3], weights=[30, 40, 20, 10])[0]
        doc = copy.deepcopy(doc)
        for _ in range(count):
            doc = mutate_document(rng, doc, now, notes)
        return doc

    # --- the refund quote

    def _quote(self, rng, samples: Samples, probe: Probe, now: datetime) -> Probe:
        doc = self._mutated(rng, samples.quote(), now, probe.notes)
        probe.body = encode_body(rng, doc, probe.notes)
        probe.target = b"/v1/refund-quotes"
        probe.headers = [("Content-Type", b"application/json")]
        if rng.random() < 0.1:
            probe.headers = self._odd_headers(rng, probe.headers, ["Content-Type"], probe.notes, now)
        return probe

    # --- staff routes

    def _staff_key(self, rng, probe: Probe, route: str) -> None:
        keys = list(self.staff_keys.items())
        mode = rng.choices(["valid", "wrong secret", "unknown id", "malformed", "missing", "another key's secret", "duplicated"],
                           weights=[60, 8, 6, 10, 6, 6, 4])[0]
        key_id, (secret, roles) = rng.choice(keys)
        if mode == "valid":
            value = f"{key_id}.{secret}".encode()
        elif mode == "wrong secret":
            value = rng.choice([f"{key_id}.{secret}x", f"{key_id}.{secret[:-1]}", f"{key_id}.{secret.upper()}",
                                f"{key_id}.wrong-secret"]).encode()
        elif mode == "unknown id":
            value = rng.choice([f"nobody.{secret}", f"{key_id.upper()}.{secret}", f"{key_id}x.{secret}", f"x{key_id}.{secret}",
                                f"{key_id[:-1]}.{secret}"]).encode()
        elif mode == "malformed":
            value = rng.choice([f"{key_id}", f"{key_id}.", f".{secret}", secret, f"Bearer {key_id}.{secret}",
                                f"{key_id}:{secret}", f"{key_id}..{secret}", f"{key_id}.{secret}.", f"../{key_id}.{secret}",
                                f"{key_id}/x.{secret}", "x" * 100_00, "é.é", f"{key_id}\u00e9.{secret}", "", " ", ".",
                                f"{'k' * 65}.{secret}", f"{key_id}.{secret}\u0000"]).encode("utf-8")
        elif mode == "another key's secret":
            others = [s for k, (s, _) in keys if k != key_id]
            value = f"{key_id}.{rng.choice(others)}".encode() if others else b"x.y"
        else:
            value = f"{key_id}.{secret}".encode()
        headers = [("Content-Type", b"application/json")]
        if mode != "missing":
            headers.append(("X-Api-Key", value))
        if mode == "duplicated":
            other = rng.choice([value, b"nobody.x", f"{key_id}.{secret}x".encode()])
            headers.append(("X-Api-Key", other))
        if mode not in ("valid", "duplicated"):
            probe.notes.append(f"staff key {mode}")
        elif mode == "valid":
            probe.notes.append(f"key {key_id} ({', '.join(roles)})")
        if rng.random() < 0.08:
            headers = self._odd_headers(rng, headers, ["X-Api-Key", "Content-Type"], probe.notes, datetime.now(timezone.utc))
        probe.headers = headers
        self._judge_staff(probe, route)

    def _judge_staff(self, probe: Probe, route: str) -> None:
        value = self._single(probe, "X-Api-Key")
        if probe.ambiguous:
            return
        for key_id, (secret, roles) in self.staff_keys.items():
            if value == f"{key_id}.{secret}".encode():
                probe.key_id = key_id
                needed = self._roles_needed(probe, route)
                if needed and not any(role in roles or "admin" in roles for role in needed):
                    probe.refuse = f"key {key_id} lacks the {' or '.join(sorted(needed))} role"
                return
        probe.refuse = "wrong staff key"

    def _roles_needed(self, probe: Probe, route: str) -> set[str]:
        if route == "reviews":
            query = probe.target.partition(b"?")[2].decode("latin-1")
            queues = parse_qs(query, keep_blank_values=True).get("queue", [])
            return {"finance" if queue == "finance" else "after_sales" for queue in queues}
        if route in READ_ROUTES:
            return set(READ_ROLES)
        return {ROUTE_ROLES[route]} if route in ROUTE_ROLES else set()

    def _staff_body(self, rng, probe: Probe, doc, now: datetime) -> None:
        doc = self._mutated(rng, doc, now, probe.notes)
        probe.body = encode_body(rng, doc, probe.notes, body_mutation=0.1)

    def _preview(self, rng, samples: Samples, probe: Probe, now: datetime) -> Probe:
        self._staff_body(rng, probe, samples.preview(), now)
        probe.target = b"/v1/verification-previews"
        self._staff_key(rng, probe, "preview")
        return probe

    def _shop_and_return(self, rng, samples: Samples) -> tuple[bytes, bytes, list[str]]:
        notes = []
        shop = rng.choice(["generic", "generic", "outlet"])
        return_id = samples.p.return_id(samples.k())
        if rng.random() < 0.15:
            shop = rng.choice(["acme", "Generic", "warehouse", "", "%2E%2E", "a" * 65, "ü", "generic%2Foutlet", "generic%20",
                               "-x", "aftership"])
            notes.append(f"path shop {shop!r}")
        if rng.random() < 0.2:
            return_id = rng.choice(["RT:1", "FZ-R1:x", "FZ%2FR1", "FZ%23R1", "FZ%20R1", "FZ R1", "%C3%A9", "é", "x" * 128,
                                    "x" * 129, "..", ".", "%2e%2e", "FZ-R1%00", "FZ-R1;", "😀", "%F0%9F%98%80", "%FF",
                                    "FZ-R1?x=1", "#", "FZ-R1#x", "\u00a0"])
            notes.append(f"path return id {return_id!r}")
        return _ascii(shop), _ascii(return_id), notes

    def _decide(self, rng, samples: Samples, probe: Probe, now: datetime) -> Probe:
        shop, return_id, notes = self._shop_and_return(rng, samples)
        probe.notes += notes
        self._staff_body(rng, probe, samples.decision(), now)
        probe.target = b"/v1/reviews/" + shop + b"/" + return_id
        self._staff_key(rng, probe, "decide")
        return probe

    def _tracking(self, rng, samples: Samples, probe: Probe, now: datetime) -> Probe:
        shop, return_id, notes = self._shop_and_return(rng, samples)
        probe.notes += notes
        probe.method = "PUT"
        self._staff_body(rng, probe, samples.tracking_link(), now)
        probe.target = b"/v1/returns/" + shop + b"/" + return_id + b"/tracking"
        self._staff_key(rng, probe, "tracking")
        return probe

    def _sms(self, rng, samples: Samples, probe: Probe, now: datetime) -> Probe:
        """A code for a return: the one that waits for its code (the code Taobao sent, or another), one of the run's
        in its shop or another's, or one made up; a clean request (a finance key, the body alone) for a third of
        the ones for the waiting return, so that some reach Taobao; the others' bodies, keys and paths mutated."""
        world = self.sms
        shop, own = world.target(rng, samples)
        kind = world.kind(shop, own, self.pools)
        current = world.code() if kind == "waiting" else None
        right = rng.random() < 0.6 and current is not None  # (the same draws whether a code waits or not)
        code = current if right else self._made_up_code(rng, current)
        finance = [key_id for key_id, (_, roles) in self.staff_keys.items() if {"finance", "admin"} & set(roles)]
        clean = rng.random() < 0.35 and kind == "waiting" and bool(finance)
        probe.sms = {"return": f"{shop}/{own}", "kind": kind, "waiting": kind == "waiting", "right": right,
                     "routes": True}
        probe.notes.append(f"code {code!r} for {kind} return {shop}/{own}{' (the code Taobao sent)' if right else ''}")
        if clean:
            probe.body = json.dumps({"code": code}).encode()
        else:
            doc = self._sms_body(rng, code, probe.notes)
            if isinstance(doc, (dict, list)) and rng.random() < 0.3:
                doc = self._mutated(rng, doc, now, probe.notes)
            probe.body = encode_body(rng, doc, probe.notes, body_mutation=0.08)
        path_shop, path_own, prefix, suffix = _ascii(shop), _ascii(own), b"", b"/sms-code"
        if not clean and rng.random() < 0.15:
            what = rng.choice(["shop", "return id", "return id", "end", "end", "start"])
            if what == "shop":
                path_shop = _ascii(rng.choice(SMS_ODD_SHOPS))
            elif what == "return id":
                path_own = _ascii(rng.choice(SMS_ODD_RETURN_IDS + [own + "%00", f"{own}%2F", f" {own}", own.lower()]))
            elif what == "end":
                suffix, probe.sms["routes"] = rng.choice(SMS_SUFFIXES)
            else:
                prefix, probe.sms["routes"] = rng.choice([b"/", b"/v1/..", b"/%2e%2e"]), None
            odd = {"shop": path_shop, "return id": path_own, "end": suffix, "start": prefix}[what]
            probe.notes.append(f"path {what} odd: {odd!r:.60}")
            if (path_shop, path_own) != (_ascii(shop), _ascii(own)):  # it names another return, or none
                named = (path_shop.decode("latin-1"), path_own.decode("latin-1"))
                probe.sms.update({"return": "/".join(named), "kind": world.kind(*named, self.pools),
                                  "waiting": False})
        probe.target = prefix + b"/v1/refunds/" + path_shop + b"/" + path_own + suffix
        if not clean and rng.random() < 0.03:
            probe.method = rng.choice(["GET", "PUT", "DELETE", "PATCH"])
            probe.sms["routes"] = False
            probe.notes.append(f"method {probe.method}")
        if clean:
            key_id = rng.choice(finance)
            probe.headers = [("Content-Type", b"application/json"),
                             ("X-Api-Key", f"{key_id}.{self.staff_keys[key_id][0]}".encode())]
            probe.notes.append(f"clean, key {key_id}")
            self._judge_staff(probe, "sms")
        else:
            self._staff_key(rng, probe, "sms")
        self._judge_sms(probe, path_shop, path_own, suffix)
        return probe

    @staticmethod
    def _made_up_code(rng, current: str | None) -> str:
        """4 to 8 digits (mostly 6, as Taobao sends), not the code Taobao sent."""
        while True:
            code = "".join(rng.choice("0123456789") for _ in range(rng.choice([4, 5, 6, 6, 6, 7, 8])))
            if code != current:
                return code

    def _sms_body(self, rng, code: str, notes: list[str]):
        """{"code": code}, or a body that is not one: the code odd, renamed, wrapped or with fields beside it."""
        roll = rng.random()
        if roll < 0.55:
            return {"code": code}
        if roll < 0.8:
            odd = copy.deepcopy(rng.choice(SMS_ODD_CODES))
            notes.append(f"code -> {odd!r:.60}")
            return {"code": odd}
        odd = copy.deepcopy(rng.choice(SMS_ODD_CODES))
        shapes = [
            ("a field beside it", lambda: {"code": code, rng.choice(SMS_OTHER_FIELDS): rng.choice([code, "x", 1, None])}),
            ("renamed", lambda: {rng.choice(["Code", "CODE", "sms_code", "verification_code", "code ", "codes"]): code}),
            ("no code", lambda: {}),
            ("wrapped", lambda: rng.choice([{"data": {"code": code}}, [{"code": code}], code, None, [code], int(code)])),
            ("sent twice", lambda: Pairs(rng.choice([[("code", odd), ("code", code)], [("code", code), ("code", odd)]]))),
        ]
        name, make = rng.choice(shapes)
        notes.append(f"body {name}")
        return make()

    def _judge_sms(self, probe: Probe, shop: bytes, own: bytes, suffix: bytes) -> None:
        """What the code must be answered, in the order the route checks (the key, the path's shop and return id,
        the body's JSON, the finance role, the body, the return, its refund), for a request the fuzzer decides:
        one that reaches the view (the route's path, POST), segments of plain characters, the JSON content type,
        at most one key of printable characters. Else probe.expect stays None (never 2xx when it is not the route)."""
        from chalicelib.domain.sources import SOURCE_NAME

        info = probe.sms
        plain = re.compile(rb"[A-Za-z0-9_:-][A-Za-z0-9._:-]*|[A-Za-z0-9._:-]*[A-Za-z0-9_:-]")
        keys = probe.header_values("X-Api-Key")
        if (probe.ambiguous or info["routes"] is not True or probe.method != "POST"
                or not (suffix == b"/sms-code" or suffix.startswith(b"/sms-code?") or suffix == b"/sms-code/")
                or not plain.fullmatch(shop) or not plain.fullmatch(own)
                or [key for key, _ in probe.headers] not in (["Content-Type"], ["Content-Type", "X-Api-Key"])
                or probe.header_values("Content-Type") != [b"application/json"]
                or any(not re.fullmatch(rb"[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?", key) for key in keys)):
            return
        if probe.key_id is None:
            probe.expect = ["401"]
            return
        if not SOURCE_NAME.fullmatch(shop.decode()):
            probe.expect = ["422 shop"]
            return
        if not re.fullmatch(SOURCE_ID_PATTERN, own.decode()):
            probe.expect = ["422 return_id"]
            return
        payload, why = load_json_like_the_edge(probe.body or b"")
        if why == "unsure":
            return
        if why:
            probe.expect = ["400 invalid_json"]
            return
        if probe.refuse:
            probe.expect = ["403 role_required"]
            return
        faults = sms_body_faults(payload)
        if faults:
            probe.expect = [f"422 {name}" for name in dict.fromkeys(faults)]
            return
        info["valid"] = True
        # (409 not_waiting_for_review: Taobao found agreed by a code given at the same time, whose review came
        # first; judge_sms takes it only when a code was agreed.)
        waits = ["409 not_waiting_for_sms_code", "503 unavailable", "200", "409 not_waiting_for_review"]
        probe.expect = {"pool": ["409 not_waiting_for_sms_code"], "unknown": ["404 unknown_return"],
                        "maybe": ["404 unknown_return", "409 not_waiting_for_sms_code"],
                        "waiting": waits if info["right"] else ["422 code", *waits]}[info["kind"]]

    def _reviews(self, rng, samples: Samples, probe: Probe, now: datetime) -> Probe:
        queue = rng.choice(QUEUES)
        params = [("queue", queue)]
        if rng.random() < 0.4:
            params.append(("limit", str(rng.choice([1, 5, 50, 100]))))
        if rng.random() < 0.2:
            params.append(("cursor", review_cursor(queue, samples)))
        self._get(rng, probe, b"/v1/reviews", self._odd_query(rng, params, "reviews", samples, now, probe.notes))
        self._staff_key(rng, probe, "reviews")
        return probe

    def _refund_range(self, rng, samples: Samples, probe: Probe, now: datetime, path: bytes, route: str) -> Probe:
        since = now - timedelta(days=rng.randint(1, 30), hours=rng.randint(0, 23))
        params = [("from", iso(since)), ("to", iso(now + timedelta(minutes=rng.randint(-60, 60))))]
        if rng.random() < 0.3:
            params.append(("marketplace", rng.choice(["generic", "outlet", "tmall"])))
        if route == "refunds" and rng.random() < 0.3:
            params.append(("limit", str(rng.choice([1, 10, 100, 500]))))
        if route == "refunds" and rng.random() < 0.2:
            params.append(("cursor", refund_cursor(since.date().isoformat(), samples)))
        self._get(rng, probe, path, self._odd_query(rng, params, "refunds", samples, now, probe.notes))
        self._staff_key(rng, probe, route)
        return probe

    def _refunds(self, rng, samples, probe, now):
        return self._refund_range(rng, samples, probe, now, b"/v1/refunds", "refunds")

    def _reconciliation(self, rng, samples, probe, now):
        return self._refund_range(rng, samples, probe, now, b"/v1/refunds/reconciliation", "reconciliation")

    def _export(self, rng, samples, probe, now):
        return self._refund_range(rng, samples, probe, now, b"/v1/refunds/export.csv", "export")

    # --- staff reads: search, case view, reports

    def _search(self, rng, samples: Samples, probe: Probe, now: datetime) -> Probe:
        """What a person has at hand: a return's id, its order's, its parcel's tracking number, in one shop or all;
        of the seeding's returns, the run's on the platforms (the one waiting for its SMS code...), or made up."""
        k, roll = samples.k(), rng.random()
        if roll < 0.3:
            q = samples.p.return_id(k)
        elif roll < 0.5:
            q = samples.p.order_id(k)
        elif roll < 0.62:
            q = samples.p.tracking_number(k)
        elif roll < 0.72:
            q = rng.choice([own for _, own in self.sms.shopify_returns] + ([self.sms.waiting[1]] if self.sms.waiting
                                                                           else []) or [samples.p.return_id(k)])
        elif roll < 0.85:
            prefix = samples.p.prefix
            q = rng.choice([f"{prefix}-NX-{rng.randrange(10**6)}", f"{samples.p.return_id(k)}-NX",
                            samples.p.return_id(samples.p.size + k), f"{prefix}-OUT{k}", f"{prefix}-C{k}"])
        else:
            q = rng.choice(VALID_ODD_IDS + ODD_IDS[:20])
        params = [("q", q)]
        if rng.random() < 0.5:
            params.append(("shop", rng.choice(["generic", "generic", "outlet", *self.sms.shops, "acme", "nosuch"])))
        if rng.random() < 0.5:
            params.reverse()
        self._get(rng, probe, rng.choice([b"/v1/returns"] * 9 + [b"/v1/returns/"]),
                  self._odd_query(rng, params, "search", samples, now, probe.notes))
        self._staff_key(rng, probe, "search")
        read = read_query(probe.target)
        probe.read = {"routes": True if read is not None else None}
        if read is not None:
            probe.read["params"] = read[1]
        self._judge_read(probe, lambda: search_expectations(read[1]))
        return probe

    def _case(self, rng, samples: Samples, probe: Probe, now: datetime) -> Probe:
        """A case view of a return the SMS codes are given for (SmsWorld.target): the seeding's, in its shop or in
        another's, the platforms', made up; its path mutated in some."""
        world = self.sms
        shop, own = world.target(rng, samples)
        path_shop, path_own, suffix, routes = _ascii(shop), _ascii(own), b"", True
        if rng.random() < 0.2:
            what = rng.choice(["shop", "return id", "return id", "end"])
            if what == "shop":
                path_shop = _ascii(rng.choice(SMS_ODD_SHOPS + ["Generic", "generic%2Foutlet", "generic%20", "-x"]))
            elif what == "return id":
                path_own = _ascii(rng.choice(SMS_ODD_RETURN_IDS + [own + "%00", f"{own}%2F", own.lower(), own + "."]))
            else:
                suffix, routes = rng.choice(CASE_SUFFIXES)
            probe.notes.append(f"path {what} odd: {(path_shop, path_own, suffix)!r:.80}")
        probe.target = b"/v1/returns/" + path_shop + b"/" + path_own + suffix
        probe.method = "GET"
        if rng.random() < 0.03:
            probe.body = rng.choice([b"{}", b"\xff"])
            probe.notes.append("a body on a GET")
        if rng.random() < 0.03:
            probe.method, routes = rng.choice(["POST", "DELETE", "PATCH"]), False
            probe.notes.append(f"method {probe.method}")
        self._staff_key(rng, probe, "case")
        named = (path_shop.decode("latin-1"), path_own.decode("latin-1"))
        probe.read = {"routes": routes, "return": "/".join(named), "kind": world.kind(*named, self.pools)}
        plain = bool(PLAIN_SEGMENT.fullmatch(path_shop) and PLAIN_SEGMENT.fullmatch(path_own))
        if not plain and routes is True:
            probe.read["routes"] = None  # which segments the view is handed depends on the gateway
        self._judge_read(probe, lambda: self._case_expectations(*named, probe.read["kind"]))
        return probe

    @staticmethod
    def _case_expectations(shop: str, own: str, kind: str) -> list[str]:
        from chalicelib.domain.sources import SOURCE_NAME

        if not SOURCE_NAME.fullmatch(shop):
            return ["422 shop"]
        if not re.fullmatch(SOURCE_ID_PATTERN, own):
            return ["422 return_id"]
        # (a seeding return, or the one that waits for its SMS code, is stored; one made up is not)
        return {"pool": ["200"], "waiting": ["200"], "unknown": ["404 unknown_return"]}.get(
            kind, ["200", "404 unknown_return"])

    def _catalog(self, rng, samples: Samples, probe: Probe, now: datetime) -> Probe:
        params = [("q", "x")] if rng.random() < 0.2 else []
        self._get(rng, probe, rng.choice([b"/v1/reports"] * 9 + [b"/v1/reports/"]),
                  self._odd_query(rng, params, "catalog", samples, now, probe.notes) if rng.random() < 0.4 else b"")
        self._staff_key(rng, probe, "catalog")
        probe.read = {"routes": True if read_query(probe.target) is not None else None}
        self._judge_read(probe, lambda: ["200"])  # (it takes no parameter: any is ignored)
        return probe

    def _report(self, rng, samples: Samples, probe: Probe, now: datetime) -> Probe:
        """A report of the catalog (anomalies, the one with parameters, in half), with its parameters valid, odd,
        repeated or unknown; or a name the catalog does not have."""
        from chalicelib.domain.reports import REPORTS

        roll = rng.random()
        name = "anomalies" if roll < 0.5 else rng.choice(sorted(REPORTS)) if roll < 0.87 else rng.choice(REPORT_ODD_NAMES)
        params = []
        if name == "anomalies" or rng.random() < 0.15:
            if rng.random() < 0.6:
                params.append(("as_of", (now - timedelta(days=rng.choice([0, 0, 1, 3, 10, 40, 400]))).date().isoformat()))
            if rng.random() < 0.5:
                params.append(("threshold", rng.choice(["2", "1.5", "3.0", "0.5", "1", "10"])))
            if rng.random() < 0.5:
                params.append(("min_count", rng.choice(["1", "2", "5", "10"])))
            rng.shuffle(params)
        self._get(rng, probe, b"/v1/reports/" + _ascii(name), self._odd_query(rng, params, "report", samples, now,
                                                                                probe.notes))
        self._staff_key(rng, probe, "report")
        read = read_query(probe.target)
        segment = probe.target.partition(b"?")[0].removeprefix(b"/v1/reports/")
        routes = probe.method == "GET" and read is not None and bool(PLAIN_SEGMENT.fullmatch(segment)) \
            and segment not in (b".", b"..")
        probe.read = {"routes": True if routes else None, "name": name}
        if read is not None:
            probe.read["params"] = read[1]
        self._judge_read(probe, lambda: report_expectations(name, read[1]))
        return probe

    def _judge_read(self, probe: Probe, expectations) -> None:
        """What a staff read must be answered (probe.expect), for a request the fuzzer decides: the route's path as
        it is read, GET, at most one key of printable characters. Else probe.expect stays None (and the answer must
        only be no 2xx to a request that is not of a valid key)."""
        keys = probe.header_values("X-Api-Key")
        if probe.read.get("routes") is not True or len(probe.target) > MAX_DECIDED_TARGET:
            return
        media = json_taken(probe)
        if media is not True:
            probe.expect = None if media is None else ["415"]
            return
        if probe.ambiguous or len(keys) > 1 or any(not PRINTABLE_KEY.fullmatch(key) for key in keys):
            return
        probe.expect = ["401"] if probe.key_id is None else expectations()

    # --- the console: public, no key

    def _public(self, rng, samples: Samples, probe: Probe, now: datetime) -> Probe:
        """The console's page or its chart library: without a key, with a valid or a forged one (the page takes none:
        what it is sent changes nothing), odd query strings and headers, odd paths (not decided: no 5xx only)."""
        path, routes = CONSOLE_PATHS[probe.route][0] if rng.random() < 0.75 else rng.choice(CONSOLE_PATHS[probe.route])
        query = b""
        if rng.random() < 0.3:
            query = self._odd_query(rng, [("v", rng.choice(["1", "2.35.2"]))], "console", samples, now, probe.notes)
        self._get(rng, probe, path, query)
        if rng.random() < 0.5:
            self._staff_key(rng, probe, probe.route)
            probe.refuse = None  # (a public page: a forged key is no reason to refuse it)
        else:
            probe.headers = rng.choice([
                [], [("Accept", b"text/html")], [("Accept", b"*/*"), ("Accept-Encoding", b"gzip")],
                [("Cookie", b"session=" + b"x" * 4000)], [("Accept", "é".encode())],
                [("Content-Type", b"application/json")], [("If-None-Match", b'"x"')]])
        if rng.random() < 0.04:
            probe.method, routes = rng.choice(["POST", "PUT", "DELETE"]), False
            probe.notes.append(f"method {probe.method}")
        probe.read = {"routes": routes}
        if routes is True and len(probe.target) <= MAX_DECIDED_TARGET and read_query(probe.target) is not None:
            media = json_taken(probe)
            probe.expect = ["200"] if media is True else ["415"] if media is False else None
        return probe

    def _console(self, rng, samples, probe, now):
        return self._public(rng, samples, probe, now)

    def _chart_library(self, rng, samples, probe, now):
        return self._public(rng, samples, probe, now)

    def _get(self, rng, probe: Probe, path: bytes, query: bytes) -> None:
        probe.method = "GET"
        probe.target = path + (b"?" + query if query else b"")
        if rng.random() < 0.03:
            probe.body = rng.choice([b"{}", b"\xff", b"x" * 1000])
            probe.notes.append("a body on a GET")

    def _odd_query(self, rng, params: list, kind: str, samples: Samples, now: datetime, notes: list[str]) -> bytes:
        """The query string, mutated in about two thirds of the requests."""
        raw: list[bytes] = []
        mode = rng.random()
        if mode < 0.2 and kind in ("reviews", "refunds"):
            name = "cursor"
            value = odd_cursor(rng, kind, samples, now, dict(params).get("queue"))
            params = [(k, v) for k, v in params if k != name] + [(name, value)]
            notes.append(f"query cursor={value[:60]!r} (only)")
        elif mode < 0.65:
            for _ in range(rng.choice([1, 1, 2, 3])):
                params = self._mutate_params(rng, params, kind, samples, now, notes)
            if rng.random() < 0.1:
                raw.append(rng.choice([b"limit", b"=", b"&&", b"%ZZ=1", b"queue=%FF", b"q=\xff", b"from=%00", b"x=%",
                                       "queue=finançe".encode(), b"cursor=" + b"A" * 70_000, b";", b"a=1;b=2"]))
                notes.append(f"raw query part {raw[-1][:30]!r}")
        def escaped(text: str) -> str:  # (a lone surrogate escaped as the bytes "surrogatepass" gives it)
            return quote(text.encode("utf-8", "surrogatepass"), safe="")

        encoded = [f"{escaped(k)}={escaped(v) if rng.random() < 0.9 else v}".encode("utf-8", "surrogatepass")
                   for k, v in params]
        return b"&".join(encoded + raw)

    def _mutate_params(self, rng, params: list, kind: str, samples: Samples, now: datetime, notes: list[str]) -> list:
        params = list(params)
        names = [k for k, _ in params]
        op = rng.choice(["drop", "value", "value", "value", "duplicate", "unknown", "reverse", "empty"])
        if op == "drop" and params:
            dropped = params.pop(rng.randrange(len(params)))
            notes.append(f"query without {dropped[0]}")
        elif op == "duplicate" and params:
            name, value = rng.choice(params)
            again = (name, self._odd_param(rng, name, kind, samples, now))
            if kind in READ_QUERY_NAMES and rng.random() < 0.5:  # the odd value first: the route reads the last
                params.insert(params.index((name, value)), again)
                notes.append(f"query {name} twice (odd value first)")
            else:
                params.append(again)
                notes.append(f"query {name} twice")
        elif op == "unknown":
            unknown = ["foo", "Queue", "LIMIT", "from_", "é", ""] + READ_UNKNOWN.get(kind, [])
            params.append((rng.choice(unknown), "1"))
            notes.append(f"query unknown parameter {params[-1][0]!r}")
        elif op == "reverse" and kind == "refunds" and "from" in names and "to" in names:
            values = dict(params)
            params = [(k, values["to"] if k == "from" else values["from"] if k == "to" else v) for k, v in params]
            notes.append("query from/to reversed")
        elif op == "empty" and params:
            i = rng.randrange(len(params))
            params[i] = (params[i][0], "")
            notes.append(f"query {params[i][0]} empty")
        else:
            names = READ_QUERY_NAMES.get(kind) or (
                ["queue", "limit", "cursor"] if kind == "reviews" else ["from", "to", "limit", "cursor", "marketplace"])
            name = rng.choice(names)
            value = self._odd_param(rng, name, kind, samples, now)
            params = [(k, v) for k, v in params if k != name] + [(name, value)]
            notes.append(f"query {name}={value[:60]!r}")
        return params

    def _odd_param(self, rng, name: str, kind: str, samples: Samples, now: datetime) -> str:
        if kind in READ_QUERY_NAMES:
            return self._odd_read_param(rng, name, samples, now)
        if name == "queue":
            return rng.choice([*QUEUES, "", "FINANCE", "finance ", "é", "failures;", "product_quality\u0000", "x" * 500])
        if name == "limit":
            return rng.choice(["²", "-1", "0", "101", "501", "1000", "1e2", "01", "001", "0100", "", "9" * 50, " 5", "5 ",
                               "٣", "１", "1.0", "0x10", "+5", "NaN", "100", "500", "1"])
        if name == "cursor":
            return odd_cursor(rng, kind, samples, now, None)
        if name == "marketplace":
            return rng.choice(ODD_IDS[:30] + ["generic", "outlet"])
        dates = odd_dates(now) + [iso(now - timedelta(days=31)), iso(now - timedelta(days=31, seconds=1)), iso(now),
                                  iso(now + timedelta(hours=25)), (now - timedelta(days=2)).isoformat(),
                                  (now - timedelta(days=2)).astimezone(timezone(timedelta(hours=5))).isoformat()]
        value = rng.choice(dates)
        return str(value)

    def _odd_read_param(self, rng, name: str, samples: Samples, now: datetime) -> str:
        """An odd value of a staff read's (or the console's) parameter: unicode, huge, of another kind, or valid."""
        if name == "q":
            return rng.choice([*ODD_IDS, *UNICODE, *VALID_ODD_IDS, samples.p.return_id(samples.k()),
                               samples.p.order_id(samples.k()), f"generic/{samples.p.return_id(samples.k())}",
                               "x" * 5000, "%", "*", "FZ-R*", "' OR '1'='1", "", " "])
        if name == "shop":
            return rng.choice(READ_ODD_SHOPS + SMS_ODD_SHOPS)
        if name == "as_of":
            return rng.choice(ODD_DAYS + [str(value) for value in odd_dates(now)]
                              + [now.date().isoformat(), (now - timedelta(days=30)).date().isoformat()])
        if name == "threshold":
            return rng.choice(ODD_RATIOS)
        if name == "min_count":
            return rng.choice(ODD_COUNTS)
        if name == "key":
            key_id, (secret, _) = rng.choice(list(self.staff_keys.items()))
            return rng.choice([f"{key_id}.{secret}", "nobody.x", "x" * 5000])
        return rng.choice([*UNICODE, "x" * 5000, "", "1", "²", "-1"])

    # --- anything else

    def _other(self, rng, samples: Samples, probe: Probe, now: datetime) -> Probe:
        method, path = rng.choice([
            ("GET", b"/"), ("GET", b"/v1"), ("POST", b"/v1/webhooks"), ("POST", b"/v1/webhooks/"),
            ("POST", b"/v1/reviews/generic"),
            ("DELETE", b"/v1/returns/generic/FZ-R1"), ("GET", b"/v1/returns/generic/FZ-R1/tracking"),
            ("POST", b"/v1/refunds/"),
            ("POST", b"/v1/returns"), ("GET", b"/v1/returns/generic"), ("PUT", b"/v1/reports/anomalies"),
            ("GET", b"/v1/reports/anomalies/rows"), ("POST", b"/console"), ("GET", b"/console/index.html"),
            ("GET", b"/console/../v1/reports"), ("DELETE", b"/console/plotly.min.js"),
            ("POST", b"/v1/refund-quotes/x"), ("POST", b"/v2/webhooks/generic"), ("POST", b"/v1/webhooks/carriers/aftership/x"),
            ("POST", b"//v1/refund-quotes"), ("GET", b"/v1/refund-quotes"), ("DELETE", b"/v1/reviews/generic/FZ-R1"),
            ("OPTIONS", b"/v1/refund-quotes"), ("HEAD", b"/v1/reviews"), ("PATCH", b"/v1/returns/generic/FZ-R1/tracking"),
            ("GET", b"/v1/refunds/export.csv/"), ("POST", b"/v1/webhooks/carriers"), ("POST", b"/v1/webhooks/carriers/"),
            ("GET", b"/v1/reviews/"), ("GET", b"/%2e%2e/v1/reviews"), ("GET", b"/v1/reviews%3Fqueue=finance"),
            ("POST", b"/v1/verification-previews/"), ("GET", b"/v1/../v1/reviews?queue=service"),
            ("GET", b"/v1/webhooks/shopify"), ("POST", b"/v1/webhooks/shopify/"), ("PUT", b"/v1/webhooks/shopify"),
            ("POST", b"/v1/webhooks/shopify/orders/create"), ("POST", b"/v1/webhooks/SHOPIFY"),
        ])
        probe.method, probe.target = method, path
        probe.headers = [("Content-Type", b"application/json")]
        if rng.random() < 0.5:
            secret, _ = next(iter(self.staff_keys.values()))
            probe.headers.append(("X-Api-Key", f"{next(iter(self.staff_keys))}.{secret}".encode()))
        if method in ("POST", "PUT", "PATCH") or rng.random() < 0.2:
            probe.body = json.dumps(samples.quote()).encode()
        return probe


def _b64(value: object) -> str:
    text = value if isinstance(value, (bytes, str)) else json.dumps(value, sort_keys=True)
    return base64.urlsafe_b64encode(text.encode() if isinstance(text, str) else text).decode()


def review_cursor(queue: str, samples: Samples) -> str:
    return _b64({"return_id": f"generic/{samples.p.return_id(samples.k())}", "review_queue": queue,
                 "sla_deadline": iso(samples.now + timedelta(hours=8))})


def refund_cursor(day: str, samples: Samples) -> str:
    return _b64({"day": day, "key": None})


ODD_KEY_STRINGS = ["", "x" * 5000, "\ud800", "generic/" + "x" * 300, "\u0000", "9999-12-31T23:59:59Z", "generic/FZ-R1",
                   "0001-01-01T00:00:00Z", " ", "é", "#failure:x", "generic/FZ-R1#x"]


def odd_cursor(rng: random.Random, kind: str, samples: Samples, now: datetime, queue: str | None) -> str:
    """A cursor the endpoint did not give; about half of the shape it gives (the right keys, all strings) with
    values it never gives (an empty key, 5,000 characters, a lone surrogate, a return no index holds)."""
    other_queue = rng.choice(QUEUES)
    odd = lambda: rng.choice(ODD_KEY_STRINGS)  # noqa: E731
    day = rng.choice([now.date(), (now - timedelta(days=1)).date()]).isoformat()
    shaped = [
        lambda: _b64({"return_id": odd(), "review_queue": queue or other_queue, "sla_deadline": iso(now)}),
        lambda: _b64({"return_id": f"generic/{samples.p.return_id(samples.k())}", "review_queue": queue or other_queue,
                      "sla_deadline": odd()}),
        lambda: _b64({"return_id": odd(), "review_queue": queue or other_queue, "sla_deadline": odd()}),
        lambda: _b64({"return_id": odd(), "review_queue": odd(), "sla_deadline": odd()}),
        lambda: _b64({"day": day, "key": {"refund_id": odd(), "issued_day": day, "issued_at": iso(now)}}),
        lambda: _b64({"day": day, "key": {"refund_id": "RF-FZ-R1", "issued_day": odd(), "issued_at": iso(now)}}),
        lambda: _b64({"day": day, "key": {"refund_id": "RF-FZ-R1", "issued_day": day, "issued_at": odd()}}),
        lambda: _b64({"day": day, "key": {"refund_id": odd(), "issued_day": odd(), "issued_at": odd()}}),
    ]
    if rng.random() < 0.5:
        return rng.choice(shaped)()
    choices = [
        lambda: review_cursor(other_queue, samples),  # of another queue (or this one)
        lambda: refund_cursor(now.date().isoformat(), samples),  # of another endpoint
        lambda: base64.urlsafe_b64encode(rng.randbytes(rng.choice([0, 1, 5, 16, 64]))).decode(),
        lambda: base64.b64encode(rng.randbytes(24)).decode(),
        lambda: base64.urlsafe_b64encode(rng.randbytes(17)).decode().rstrip("="),
        lambda: rng.choice(["", "=", "!!!", "====", "a", "ab", "abc", "null", "é", "\u0000", "%", "A" * 5000]),
        lambda: _b64("[]"), lambda: _b64("null"), lambda: _b64("1e999"), lambda: _b64("[" * 5000 + "]" * 5000),
        lambda: _b64('{"a": ' * 3000 + "1" + "}" * 3000),
        lambda: _b64({"return_id": 1, "review_queue": other_queue, "sla_deadline": None}),
        lambda: _b64({"return_id": "generic/FZ-R1", "review_queue": other_queue, "sla_deadline": "x", "extra": "y"}),
        lambda: _b64({"day": rng.choice(["2026-13-01", "0001-01-01", "9999-12-31", "", "2026-11-31", 20261101]), "key": None}),
        lambda: _b64({"day": now.date().isoformat(), "key": {"refund_id": "RF-1", "issued_day": "x", "issued_at": 1}}),
        lambda: _b64({"day": (now - timedelta(days=400)).date().isoformat(), "key": None}),
        lambda: _b64({"day": now.date().isoformat(), "key": {"refund_id": "\ud800", "issued_day": "x", "issued_at": "y"}}),
        lambda: _b64(b"\xff\xfe\x00"),
        lambda: _b64({"day": now.date().isoformat(), "key": {"refund_id": "RF-" + "x" * 3000, "issued_day": "2026-01-01",
                                                             "issued_at": "2026-01-01T00:00:00Z"}}),
    ]
    return rng.choice(choices)()


# --- sending ------------------------------------------------------------------------------------------------------


def send(host: str, port: int, probe: Probe, timeout: float = 120) -> None:
    """One request over its own connection, exactly as built (duplicate headers, raw bytes and all)."""
    lines = [f"{probe.method} ".encode() + probe.target + b" HTTP/1.1", f"Host: {host}:{port}".encode(), b"Connection: close",
             f"{PROBE_HEADER}: {probe.index}".encode()]
    lines += [name.encode() + b": " + value for name, value in probe.headers]
    if probe.body is not None:
        lines.append(b"Content-Length: %d" % len(probe.body))
    data = b"\r\n".join(lines) + b"\r\n\r\n" + (probe.body or b"")
    started = time.monotonic()
    try:
        with socket.create_connection((host, port), timeout=timeout) as connection:
            connection.sendall(data)
            response = http.client.HTTPResponse(connection, method=probe.method)
            response.begin()
            probe.status = response.status
            probe.content_type = response.getheader("Content-Type")
            probe.answer = response.read()
    except (OSError, http.client.HTTPException) as error:
        probe.status, probe.error = 0, f"{type(error).__name__}: {error}"
    probe.seconds = time.monotonic() - started


# --- what the server logged ---------------------------------------------------------------------------------------


class ErrorCapture(logging.Handler):
    """Records the app logs with a traceback (a view's unhandled exception, a consumer's failure), by the probe
    whose request was being handled in that thread; and the API server's own crashes (no answer at all)."""

    def __init__(self, app=None, server=None, quiet: bool = False) -> None:
        super().__init__(logging.ERROR)
        self.app, self.server, self.quiet = app, server, quiet
        self.by_probe: dict[int, list[str]] = defaultdict(list)
        self.unattributed: list[str] = []
        self._lock = threading.Lock()
        self._silenced: list[tuple[logging.Handler, logging.Filter]] = []

    def probe_of_thread(self) -> int | None:
        try:
            request = self.app.current_request  # Chalice's local server keeps it per thread
            return int((request.headers or {}).get(PROBE_HEADER.lower()))
        except Exception:
            return None

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + "".join(traceback.format_exception(*record.exc_info))
        self._keep(self.probe_of_thread(), text)

    def _keep(self, probe: int | None, text: str) -> None:
        with self._lock:
            (self.by_probe[probe] if probe is not None else self.unattributed).append(text)

    def __enter__(self) -> "ErrorCapture":
        logger = logging.getLogger(resources.APP_NAME)
        logger.addHandler(self)
        local = logging.getLogger("localcloud")  # the SQS poller's and the Lambda server's own failures
        local.addHandler(self)
        self._propagate = local.propagate
        local.propagate = not self.quiet
        if self.quiet:
            drop = logging.Filter("nothing")  # passes no record: what the fuzz run reports itself is not printed twice
            for handler in logger.handlers:
                if handler is not self:
                    handler.addFilter(drop)
                    self._silenced.append((handler, drop))
        if self.server is not None:
            self._handle_error = self.server.handle_error

            def handle_error(request, client_address) -> None:
                self._keep(self.probe_of_thread(), "the API server failed the request:\n" + traceback.format_exc())

            self.server.handle_error = handle_error
        return self

    def __exit__(self, *exc) -> None:
        logging.getLogger(resources.APP_NAME).removeHandler(self)
        logging.getLogger("localcloud").removeHandler(self)
        logging.getLogger("localcloud").propagate = self._propagate
        for handler, drop in self._silenced:
            handler.removeFilter(drop)
        if self.server is not None:
            self.server.handle_error = self._handle_error


# --- the run ------------------------------------------------------------------------------------------------------


@dataclass
class Report:
    seed: int
    requests: int
    seconds: float = 0.0
    send_seconds: float = 0.0
    histogram: dict = field(default_factory=lambda: defaultdict(Counter))
    carrier_styles: dict = field(default_factory=lambda: defaultdict(Counter))  # style picked -> answers
    problems: dict = field(default_factory=lambda: defaultdict(list))  # kind -> [(probe or None, text)]
    warnings: dict = field(default_factory=lambda: defaultdict(list))
    accepted_events: int = 0
    authentic: Counter = field(default_factory=Counter)  # "webhooks and pushes" / "staff calls" -> signed validly
    sent: Counter = field(default_factory=Counter)
    accepted_webhooks: int = 0
    accepted_checkpoints: int = 0
    accepted_shopify: int = 0
    applied: int | None = None
    # Accepted Shopify notifications about the run's resources on the simulated Shopify, and how many were applied;
    # about resources it does not have, and how many ended in the DLQ with their HydrationFailed recorded.
    shopify_real: int = 0
    shopify_real_applied: int = 0
    shopify_phantom: int = 0
    hydration_refused: int = 0
    hydration_refused_dead: int = 0  # of those, dead-lettered (when checked, or once the queue is idle after)
    dead_at_check: int = 0
    executions: Counter = field(default_factory=Counter)
    parked: Counter = field(default_factory=Counter)
    failed_returns: Counter = field(default_factory=Counter)
    consumer_checked: bool = False
    forged: int = 0
    refused_expected: Counter = field(default_factory=Counter)
    # SMS codes: answers by the kind of return named (SmsWorld.kind), the probes a 200 agreed, and the return made
    # to wait for its code (None: none could be; why then in warnings) and what became of it.
    sms_targets: dict = field(default_factory=lambda: defaultdict(Counter))
    sms_agreed: list = field(default_factory=list)
    sms_waiting: str | None = None
    sms_outcome: str | None = None
    # Staff reads and public pages: answers by route (read_outcome's), and how many distinct returns the searches
    # and case views answered (checked stored, with a local cloud).
    read_outcomes: dict = field(default_factory=lambda: defaultdict(Counter))
    read_checks: Counter = field(default_factory=Counter)  # the answers checked for what they are about
    answered_returns: int | None = None
    tracebacks: dict = field(default_factory=dict)
    consumer_log: list = field(default_factory=list)  # what was logged with a traceback outside any request
    probes: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(self.problems.values())

    def problem(self, kind: str, probe: Probe | None, text: str = "") -> None:
        self.problems[kind].append((probe, text))

    def render(self, examples: int = 5) -> str:
        out = [f"fuzz: seed {self.seed}, {self.requests} requests sent in {self.send_seconds:.1f} s "
               f"({self.requests / max(self.send_seconds, 1e-9):.0f}/s); whole run {self.seconds:.1f} s"]
        out.append(f"{'route':<44} {'sent':>6}  answers")
        for key, route in ROUTES.items():
            counts = self.histogram.get(key)
            if counts:
                answers = ", ".join(f"{status or 'none'} {n}" for status, n in sorted(counts.items()))
                out.append(f"{route:<44} {sum(counts.values()):>6}  {answers}")
                if key == "carrier":
                    for style, by_status in sorted(self.carrier_styles.items()):
                        answers = ", ".join(f"{status or 'none'} {n}" for status, n in sorted(by_status.items()))
                        out.append(f"{'  in style ' + style:<44} {sum(by_status.values()):>6}  {answers}")
        if self.sms_targets:
            by_kind = ", ".join(f"{kind} {sum(c.values())} ({', '.join(f'{o} {n}' for o, n in sorted(c.items()))})"
                                for kind, c in sorted(self.sms_targets.items()))
            out.append(f"SMS codes by the return named: {by_kind}")
        if self.sms_waiting:
            out.append(f"SMS code awaited by {self.sms_waiting}: {self.sms_outcome or 'not checked'}")
        for key in (*READ_ROUTES, *PUBLIC_MEDIA):
            if self.read_outcomes.get(key):
                answers = ", ".join(f"{o} {n}" for o, n in sorted(self.read_outcomes[key].items()))
                out.append(f"{ROUTES[key]} answers: {answers}")
        if self.read_checks:
            out.append("staff reads checked: " + ", ".join(f"{what} {n}" for what, n in sorted(self.read_checks.items())))
        if self.answered_returns is not None:
            out.append(f"returns answered by searches and case views: {self.answered_returns} distinct, each checked "
                       f"stored")
        out.append("signed validly / with a valid key: " + ", ".join(
            f"{kind} {self.authentic[kind]} of {n}" for kind, n in self.sent.items()))
        refusals = ", ".join(f"{why} {n}" for why, n in self.refused_expected.most_common(12))
        out.append(f"must be refused (not 2xx): {refusals or 'none'}")
        out.append(f"accepted: {self.accepted_webhooks} webhooks, {self.accepted_shopify} Shopify notifications and "
                   f"{self.accepted_checkpoints} carrier checkpoints: {self.accepted_events} distinct events")
        if self.consumer_checked:
            out.append(f"applied by the consumer (in the event log): {self.applied} of {self.accepted_events}; "
                       f"hydration refused: {self.hydration_refused} (Shopify has no such resource: HydrationFailed "
                       f"recorded; in the DLQ {self.hydration_refused_dead}"
                       + (", the others retried until they are)" if self.hydration_refused_dead < self.hydration_refused
                          else ")"))
            out.append(f"Shopify notifications accepted about the run's resources on the simulated Shopify: "
                       f"{self.shopify_real}, applied {self.shopify_real_applied}; about resources it does not have: "
                       f"{self.shopify_phantom}, hydration refused {self.hydration_refused}")
            states = ", ".join(f"{s} {n}" for s, n in self.parked.most_common())
            out.append(f"workflow executions started: {sum(self.executions.values())} ("
                       + ", ".join(f"{s} {n}" for s, n in sorted(self.executions.items())) + ")"
                       + (f"; parked at {states}" if states else ""))
            if self.failed_returns:
                out.append("returns of the run in the failures queue (a step refused what the edge accepted; informational):")
                out += [f"  {n} x {why}" for why, n in self.failed_returns.most_common(12)]
        else:
            out.append("consumer checks skipped: the queues, tables and workflows are in the process serving the API")
        kinds = ("5xx", "no answer", "forged accepted", "not granted accepted", "role missing accepted",
                 "shopify answers", "carrier answers", "sms answers", "search answers", "case view answers",
                 "report answers", "console answers")
        if self.answered_returns is not None:
            kinds += ("answered returns",)
        if self.consumer_checked or self.problems.get("not settled"):
            kinds += ("dlq", "failure records", "not applied", "hydration refusal not kept", "workflow failed",
                      "verify refused accepted input", "records over 400 KB", "sms refund", "not settled")
        out.append("checks: " + ", ".join(f"{kind} {len(self.problems.get(kind, []))}" for kind in kinds))
        for kind in kinds:
            found = self.problems.get(kind, [])
            if not found:
                continue
            groups: dict[str, list] = defaultdict(list)
            for probe, text in found:
                groups[self._signature(kind, probe, text)].append((probe, text))
            out.append(f"\n{kind}: {len(found)} ({len(groups)} distinct)")
            for signature, members in list(groups.items())[: examples * 3]:
                probe, text = members[0]
                out.append(f"  [{len(members)}x] {signature}")
                if probe is not None:
                    out.append("    " + probe.describe())
                    trace = self.tracebacks.get(probe.index)
                    if trace:
                        out.append("      server log: " + short_trace(trace[-1]).replace("\n", "\n        "))
                if text:
                    out.append("    " + text[:1500].replace("\n", "\n    "))
                if kind == "failure records":
                    trace = next((t for t in self.consumer_log if text.split(": ", 1)[-1][:60] in t), None)
                    if trace:
                        out.append("    consumer log: " + short_trace(trace).replace("\n", "\n      "))
        for kind, found in self.warnings.items():
            out.append(f"\nwarning, {kind}: {len(found)}")
            for probe, text in found[:examples]:
                out.append("    " + (probe.describe(200) if probe else text[:500]))
        out.append(f"\nfuzz result: {'ok' if self.ok else 'FAILED'}")
        return "\n".join(out)

    def _signature(self, kind: str, probe: Probe | None, text: str) -> str:
        if kind == "failure records":
            return text.split(" [#failure:")[0][:300]
        if kind == "verify refused accepted input":
            return text.split(" [return ")[0][:300]
        if probe is None:
            return text.splitlines()[0][:200] if text else kind
        trace = self.tracebacks.get(probe.index)
        if trace:
            last = [line for line in trace[-1].strip().splitlines() if line.strip()]
            where = [line.strip() for line in last if line.strip().startswith("File ") and "chalicelib" in line]
            return f"{ROUTES[probe.route]} {probe.status}: {last[-1][:160]}" + (f" at {where[-1][-120:]}" if where else "")
        return f"{ROUTES[probe.route]} {probe.status}: {(probe.error or probe.answer[:120].decode('utf-8', 'replace'))}"


def short_trace(text: str) -> str:
    """A logged traceback cut to its message, the project's own frames (with their lines) and the exception."""
    lines = text.strip().splitlines()
    keep = [lines[0]]
    for i, line in enumerate(lines[1:-1], 1):
        if line.strip().startswith("File ") and ("/chalicelib/" in line or "/functions/" in line):
            keep += lines[i:min(i + 2, len(lines) - 1)]
    return "\n".join(keep[:25] + lines[-1:])


def pool_size(requests: int) -> int:
    return max(6, min(150, requests // 80))


def seeding_count(requests: int) -> int:
    """How many of a run's first requests are the seeding ones (Fuzzer._seeding)."""
    return 4 * pool_size(requests)


def run_fuzz(
    api_url: str, requests: int, seed: int = DEFAULT_SEED, *, cloud=None, sources: dict | None = None,
    staff_keys: dict | None = None, threads: int = 8, timeout: float = 600, anchor: datetime | None = None,
    progress=None, quiet: bool = False, only: list[int] | None = None, await_dead_letters: bool = True,
    sms_refund: bool = False,
) -> Report:
    """Send `requests` requests (the seeding ones first) to `api_url`; with `cloud` (a started LocalCloud serving
    it), also check what the consumer and the workflows made of the accepted events. The checks do not wait for
    the notifications whose hydration was refused (and recorded) to reach the DLQ (maxReceiveCount visibility
    timeouts); `await_dead_letters`: the run waits for that after them, and counts them there. `sms_refund`: first
    make a Tmall refund of the cloud wait for its SMS code (SmsWorld.make_waiting), for the codes to complete it
    (it agrees refunds in the simulated Tmall: not in a cloud other tests count its calls in)."""
    from localcloud.cloud import DEFAULT_SOURCES, DEFAULT_STAFF_KEYS

    started = time.monotonic()
    sources = sources or (cloud.sources if cloud is not None else DEFAULT_SOURCES)
    staff_keys = staff_keys or (cloud.staff_keys if cloud is not None else DEFAULT_STAFF_KEYS)
    today = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    pools = Pools(pool_size(requests), anchor or today - timedelta(days=10))
    world = ShopifyWorld.of(sources, cloud)
    if getattr(cloud, "shopify", None) is not None:
        world.make_resources(cloud, datetime.now(timezone.utc))
    sms = SmsWorld.of(world, cloud)
    report = Report(seed, 0)
    url = urlsplit(api_url)
    host, port = url.hostname, url.port or 80
    baseline = Baseline.of(cloud) if cloud is not None else None
    if sms_refund and cloud is not None:  # after the baseline: its workflow is checked as the run's
        why = sms.make_waiting(cloud, sources, min(timeout, 120))
        if why:
            report.warnings["no return waits for an SMS code"].append((None, why))
        else:
            report.sms_waiting = f"{sms.key} ({SMS_PRICE} CNY{'; Taobao fails the next agree' if sms.fault else ''})"
    fuzzer = Fuzzer(seed, pools, sources, staff_keys, world, sms)
    probes: list[Probe] = []
    lock = threading.Lock()

    def one(index: int) -> Probe:
        probe = fuzzer.build(index, datetime.now(timezone.utc))
        send(host, port, probe)
        if was_accepted(probe):
            probe.accepted = accepted_ids(probe)
        probe.shrink()
        with lock:
            probes.append(probe)
        return probe

    indices = only if only is not None else list(range(requests))
    seeding = [i for i in indices if i < len(fuzzer.seeding)]
    rest = [i for i in indices if i >= len(fuzzer.seeding)]
    capture = ErrorCapture(getattr(cloud, "app", None), getattr(getattr(cloud, "_api", None), "server", None), quiet)
    with capture, ThreadPoolExecutor(threads) as pool:
        send_started = time.monotonic()
        list(pool.map(one, seeding))
        if cloud is not None and seeding:
            try:  # the seeded orders and returns stored before anything names them
                cloud.wait_until(cloud.queue_idle, timeout, interval=0.1)
            except TimeoutError:
                report.problem("not settled", None, f"the seeding requests were not applied within {timeout:g} s")
        for start in range(0, len(rest), SLICE):
            list(pool.map(one, rest[start:start + SLICE]))
            if cloud is not None:
                try:
                    cloud.wait_until(lambda: cloud.queue_depth() < SLICE // 2, timeout, interval=0.1)
                except TimeoutError:
                    report.problem("not settled", None, f"the ingest queue stayed {SLICE // 2} deep or more for {timeout:g} s")
                    break
            if progress and (start // SLICE) % 10 == 9:
                progress(f"  {len(probes)}/{len(indices)} requests sent")
        report.send_seconds = time.monotonic() - send_started
        report.requests = len(probes)
        accepted = judge(probes, report, pools)
        if cloud is not None:
            check_answered_returns(cloud, probes, report)
            if getattr(cloud, "shopify", None) is not None:
                try:  # what Shopify itself sends about the run's resources (and what the workflows did there)
                    cloud.shopify.wait_for_deliveries(timeout)
                except TimeoutError as error:
                    report.warnings["Shopify's own deliveries"].append((None, str(error)))
            by_index = {probe.index: probe for probe in probes}
            fates = shopify_fates(cloud, world, accepted, by_index)
            lingering = lingering_refusals(cloud, baseline, phantom_gids(fates, accepted, by_index))
            settled = settle(cloud, baseline, report, timeout, lingering)
            if settled:
                check_consumer(cloud, baseline, report, accepted, probes, staff_keys, fates)
                check_sms_refund(cloud, sms, report)
                if await_dead_letters and report.hydration_refused > report.hydration_refused_dead:
                    try:
                        cloud.wait_until(cloud.queue_idle, timeout, interval=0.2)
                    except TimeoutError:
                        report.problem("not settled", None, f"the refused notifications were not dead-lettered within "
                                                            f"{timeout:g} s")
                    else:
                        later = _depth(cloud, "AFTERSALES_INGEST_DLQ_URL") - baseline.dead_letters - report.dead_at_check
                        report.hydration_refused_dead += later
    report.tracebacks = {index: texts for index, texts in capture.by_probe.items()}
    for probe_list in report.problems.values():
        for probe, _ in probe_list:
            if probe is not None and probe.index not in report.tracebacks and capture.by_probe.get(probe.index):
                report.tracebacks[probe.index] = capture.by_probe[probe.index]
    report.consumer_log = [text for text in capture.unattributed if "Traceback" in text]
    for text in capture.unattributed:
        if "the API server failed" in text:
            report.warnings["server errors not tied to a request"].append((None, text))
    report.seconds = time.monotonic() - started
    return report


def judge(probes: list[Probe], report: Report, pools: Pools) -> dict[str, int]:
    """The HTTP checks; returns the accepted events' qualified ids -> the index of the probe that first got them in."""
    accepted: dict[str, int] = {}
    # The returns whose code Taobao sent was answered 200 (a code sent with it, or after it, may find it agreed).
    agreed = {probe.sms["return"] for probe in probes if probe.route == "sms" and probe.status == 200
              and probe.sms.get("waiting") and probe.sms.get("right")}
    for probe in sorted(probes, key=lambda p: p.index):
        report.histogram[probe.route][probe.status] += 1
        if probe.route in ("webhook", "carrier"):
            report.sent["webhooks and pushes"] += 1
            report.authentic["webhooks and pushes"] += not probe.ambiguous and (
                probe.refuse is None or "not granted" in probe.refuse)
        elif probe.route == "shopify":
            report.sent["Shopify deliveries"] += 1
            report.authentic["Shopify deliveries"] += not probe.ambiguous and probe.refuse is None
        elif probe.route in STAFF_ROUTES:
            report.sent["staff calls"] += 1
            report.authentic["staff calls"] += probe.key_id is not None
        if probe.refuse:
            report.refused_expected[refusal_kind(probe.refuse)] += 1
        if probe.status >= 500 and not sms_unavailable(probe):
            report.problem("5xx", probe)
        elif probe.status == 0:
            report.problem("no answer", probe)
        elif 200 <= probe.status < 300 and probe.refuse:
            kind = ("role missing accepted" if "lacks" in probe.refuse
                    else "not granted accepted" if "not granted" in probe.refuse else "forged accepted")
            report.problem(kind, probe, f"must be refused: {probe.refuse}")
        if probe.status == 401 and probe.route in ("webhook", "carrier", *STAFF_ROUTES) and not probe.refuse \
                and not probe.ambiguous:
            report.warnings["authentic requests answered 401"].append((probe, ""))
        if probe.route == "shopify" and 0 < probe.status < 500:
            judge_shopify(probe, report)
        if probe.route == "sms" and probe.status:
            judge_sms(probe, report, agreed)
        if probe.route in (*READ_ROUTES, *PUBLIC_MEDIA) and 0 < probe.status < 500:
            judge_read(probe, report, pools)
        if probe.route == "carrier":
            report.carrier_styles["+".join(map(style_name, probe.styles)) or "no style"][probe.status] += 1
            if 0 < probe.status < 500:
                judge_carrier_answer(probe, report)
        if was_accepted(probe):
            for event_id in probe.accepted:
                accepted.setdefault(event_id, probe.index)
            if probe.route == "webhook":
                report.accepted_webhooks += 1
            elif probe.route == "shopify":
                report.accepted_shopify += 1
            else:  # a form style's receipt does not count them: its events are
                report.accepted_checkpoints += _json(probe.answer).get("checkpoints", len(probe.accepted))
    report.probes = sorted(probes, key=lambda p: p.index)
    report.accepted_events = len(accepted)
    return accepted


def judge_shopify(probe: Probe, report: Report) -> None:
    """A Shopify delivery's answer against what its headers and body call for."""
    error = _json(probe.answer).get("error") or {}
    outcome = f"422 {error.get('field') or '-'}" if probe.status == 422 else str(probe.status)
    if probe.status == 422 and not error.get("field") and error.get("code") != "invalid_body":
        report.problem("shopify answers", probe, "a 422 that names no field (and is not about the body as a whole)")
    if probe.expect is not None and outcome not in probe.expect and not (probe.refuse and 200 <= probe.status < 300):
        why = f" ({probe.refuse})" if probe.refuse else ""
        report.problem("shopify answers", probe, f"must be answered {' or '.join(probe.expect)}{why}; answered {outcome}")
    webhook_id = (probe.shopify or {}).get("webhook_id")
    if probe.status == 202 and webhook_id is not None and _json(probe.answer).get("event_id") != f"wh-{webhook_id}":
        report.problem("shopify answers", probe, f"accepted as {_json(probe.answer).get('event_id')!r}, not wh-{webhook_id}")


def sms_unavailable(probe: Probe) -> bool:
    """A 503 that says unavailable, to an SMS code that may have reached Taobao: no other 5xx is acceptable."""
    return (probe.route == "sms" and sms_outcome(probe.status, probe.answer) == "503 unavailable"
            and (probe.expect is None or "503 unavailable" in probe.expect))


def judge_sms(probe: Probe, report: Report, agreed: set) -> None:
    """An SMS code's answer against what its key, path and body call for; a 2xx only to a POST of the route, and
    only a 200 for the return that waited for its code: to the code Taobao sent, or once that was agreed."""
    info = probe.sms or {}
    outcome = sms_outcome(probe.status, probe.answer)
    report.sms_targets[info.get("kind", "?")][outcome] += 1
    if 200 <= probe.status < 300:
        if probe.refuse:
            return  # reported as accepted although it must be refused
        if info.get("routes") is False:
            report.problem("sms answers", probe, "a 2xx to a request that is not a POST of the route")
        elif probe.status != 200 or not info.get("waiting"):
            report.problem("sms answers", probe, f"a {probe.status} for {info.get('return')!r} ({info.get('kind')}), "
                                                 f"which did not wait for an SMS code")
        elif not info.get("right") and info.get("return") not in agreed:
            report.problem("sms answers", probe, "a 200 for a code Taobao did not send, and none it sent was agreed")
        else:
            report.sms_agreed.append(probe.index)
            body, own = _json(probe.answer), info["return"].partition("/")[2]
            if body.get("payment_status") != "confirmed" or body.get("marketplace_refund_id") != own:
                report.problem("sms answers", probe, f"a 200 that does not say the refund is confirmed as Tmall's {own}")
    if outcome == "409 not_waiting_for_review" and info.get("waiting") and probe.expect:
        if info.get("return") not in agreed:
            report.problem("sms answers", probe, "409 not_waiting_for_review, but no code for the return was agreed")
        else:
            report.warnings["SMS codes given while another was agreed (409 not_waiting_for_review)"].append((probe, ""))
    if probe.expect is not None and outcome not in probe.expect and not (probe.refuse and 200 <= probe.status < 300):
        why = f" ({probe.refuse})" if probe.refuse else ""
        report.problem("sms answers", probe, f"must be answered {' or '.join(probe.expect)}{why}; answered {outcome}")


READ_PROBLEMS = {"search": "search answers", "case": "case view answers", "catalog": "report answers",
                 "report": "report answers", "console": "console answers", "chart_library": "console answers"}


def judge_read(probe: Probe, report: Report, pools: Pools) -> None:
    """A staff read's or a public page's answer: what its key, path and query call for (probe.expect); no 2xx to
    a request that is not a GET of the route; a refusal of the route's own is its JSON error, a 422 naming the field
    at fault; a 200 of the route's shape, and only about what was asked (a search: returns of the shop asked for
    that match what was looked for, and the seeding's return looked for by its id; a case view: the return named)."""
    kind, info = READ_PROBLEMS[probe.route], probe.read or {}
    outcome = read_outcome(probe.status, probe.answer)
    report.read_outcomes[probe.route][outcome] += 1
    params = info.get("params") or {}
    if 200 <= probe.status < 300 and info.get("routes") is False:
        report.problem(kind, probe, f"a {probe.status} to a request that is not a GET of the route")
        return
    if probe.expect is not None and outcome not in probe.expect and not (probe.refuse and 200 <= probe.status < 300):
        why = f" ({probe.refuse})" if probe.refuse else ""
        report.problem(kind, probe, f"must be answered {' or '.join(probe.expect)}{why}; answered {outcome}")
    # (A refusal from the view: not Chalice's 415 before it, nor the local server's 414 for a target past 64 KB.)
    if 400 <= probe.status < 500 and probe.status != 415 and info.get("routes") is True \
            and len(probe.target) <= MAX_DECIDED_TARGET and probe.route in READ_ROUTES:
        error = _json(probe.answer).get("error")
        if not isinstance(error, dict) or not isinstance(error.get("code"), str) or not error["code"] \
                or not isinstance(error.get("message"), str):
            report.problem(kind, probe, "a refusal that is not the JSON error {code, message, field}")
        elif probe.status == 422 and not error.get("field"):
            if "" in params:
                report.warnings["422 naming no field (a query parameter without a name)"].append((probe, ""))
            else:
                report.problem(kind, probe, "a 422 that names no field")
    if probe.status == 200 and info.get("routes") is not False:
        {"search": judge_search_items, "case": judge_case_view, "catalog": judge_catalog, "report": judge_report_rows,
         "console": judge_public, "chart_library": judge_public}[probe.route](probe, report, pools, kind)


def judge_search_items(probe: Probe, report: Report, pools: Pools, kind: str) -> None:
    body, params = _json(probe.answer), (probe.read or {}).get("params")
    items = body.get("items")
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        report.problem(kind, probe, "a 200 without its list of items")
        return
    found = [f"{item.get('shop')}/{item.get('return_id')}" for item in items]
    probe.read["found"] = found
    if params is None or probe.expect is None or "200" not in probe.expect:
        return
    q, shop = params["q"][-1], params.get("shop", [None])[-1]
    if body.get("q") != q or body.get("shop") != shop:
        report.problem(kind, probe, f"answered for q={body.get('q')!r} shop={body.get('shop')!r}, not {q!r} {shop!r}")
    for item in items:
        matched = item.get("matched")
        if shop is not None and item.get("shop") != shop:
            report.problem(kind, probe, f"a return of {item.get('shop')!r} found searching shop {shop!r}: "
                                        f"{item.get('return_id')!r}")
        elif matched not in ("return_id", "order_id", "tracking_number") or (
                matched in ("return_id", "order_id") and item.get(matched) != q):
            report.problem(kind, probe, f"{item.get('shop')}/{item.get('return_id')} answered as matching q={q!r} "
                                        f"by {matched!r} (its return id {item.get('return_id')!r}, order id "
                                        f"{item.get('order_id')!r})")
    if len(found) != len(set(found)):
        report.problem(kind, probe, f"a return answered twice: {found}")
    seeded = re.fullmatch(rf"{re.escape(pools.prefix)}-([RO])(0|[1-9][0-9]*)", q)
    if seeded and int(seeded.group(2)) < pools.size:
        by = "id" if seeded.group(1) == "R" else "order id"
        report.read_checks[f"searches for a seeding return by its {by}"] += 1
        missing = [f"{name}/{pools.return_id(int(seeded.group(2)))}" for name in ("generic", "outlet")
                   if shop in (None, name) and f"{name}/{pools.return_id(int(seeded.group(2)))}" not in found]
        if missing and seeded.group(1) == "R":
            report.problem(kind, probe, f"the seeding's return {', '.join(missing)} not found by its id")
        elif missing:  # (an event of the run may have given the order another customer than its return's)
            report.warnings["search by order id missed the seeding's return"].append((probe, ", ".join(missing)))


def judge_case_view(probe: Probe, report: Report, pools: Pools, kind: str) -> None:
    body, named = _json(probe.answer), (probe.read or {}).get("return", "")
    shop, _, own = named.partition("/")
    report.read_checks["case views checked against their path"] += (probe.read or {}).get("routes") is True
    if (probe.read or {}).get("routes") is True and (body.get("shop"), body.get("return_id")) != (shop, own):
        report.problem(kind, probe, f"a case view of {body.get('shop')}/{body.get('return_id')} answered for {named}")
    elif not isinstance(body.get("request"), dict) or "standing" not in body:
        report.problem(kind, probe, "a 200 that is not a case view (no request, no standing)")
    probe.read["found"] = [f"{body.get('shop')}/{body.get('return_id')}"]


def judge_catalog(probe: Probe, report: Report, pools: Pools, kind: str) -> None:
    from chalicelib.domain.reports import REPORTS

    listed = _json(probe.answer).get("reports")
    names = [entry.get("name") for entry in listed if isinstance(entry, dict)] if isinstance(listed, list) else None
    if names is None or sorted(names) != sorted(REPORTS):
        report.problem(kind, probe, f"the catalog answered {names!r}, not the reports {sorted(REPORTS)}")


def judge_report_rows(probe: Probe, report: Report, pools: Pools, kind: str) -> None:
    body, name = _json(probe.answer), (probe.read or {}).get("name")
    columns, rows = body.get("columns"), body.get("rows")
    if (probe.read or {}).get("routes") is True and body.get("name") != name:
        report.problem(kind, probe, f"report {body.get('name')!r} answered for {name!r}")
    elif not isinstance(columns, list) or not isinstance(rows, list) or not all(
            isinstance(row, list) and len(row) == len(columns) for row in rows):
        report.problem(kind, probe, "a 200 without its columns and rows (each row a value per column)")


def judge_public(probe: Probe, report: Report, pools: Pools, kind: str) -> None:
    media = PUBLIC_MEDIA[probe.route]
    given = (probe.content_type or "").split(";")[0].strip().lower()
    size = probe.answer_size if probe.answer_size is not None else len(probe.answer)
    if given != media:
        report.problem(kind, probe, f"answered {probe.content_type!r}, not {media}")
    elif probe.method != "HEAD" and (size < 100_000 if probe.route == "chart_library"
                                     else b"<html" not in probe.answer[:4096].lower()):
        what = "chart library" if probe.route == "chart_library" else "page"
        report.problem(kind, probe, f"answered {size:,} bytes that are not the {what}")


def check_answered_returns(cloud, probes: list[Probe], report: Report) -> None:
    """Every return a search or a case view answered is stored, and requested (the records are never deleted)."""
    found = {}
    for probe in probes:
        if probe.route in ("search", "case") and probe.status == 200:
            for key in (probe.read or {}).get("found", []):
                found.setdefault(key, probe)
    stored: dict[str, dict] = {}
    keys = sorted(found)
    for start in range(0, len(keys), 100):
        request = {resources.RETURNS_TABLE: {"Keys": [{"return_id": key} for key in keys[start:start + 100]],
                                             "ProjectionExpression": "return_id, order_id"}}
        while request:
            response = cloud.dynamodb.batch_get_item(RequestItems=request)
            stored |= {item["return_id"]: item for item in response["Responses"].get(resources.RETURNS_TABLE, [])}
            request = response.get("UnprocessedKeys") or None
    report.answered_returns = len(found)
    for key, probe in found.items():
        if key not in stored or not stored[key].get("order_id"):
            report.problem("answered returns", probe, f"{ROUTES[probe.route]} answered {key}, which is "
                                                      f"{'not stored' if key not in stored else 'not requested'}")


def judge_carrier_answer(probe: Probe, report: Report) -> None:
    """A carrier push's answer against what its content type and style call for: 415 exactly when the route does not
    take the content type; in its one style (a plain carrier name, so that the route's view answered), accepted as
    that style is (a form style's carrier's receipt) and refused with our error code (in a form style's own failure
    body)."""
    content_type = b" / ".join(probe.header_values("Content-Type")) or b"none"
    if probe.media is False and probe.status != 415:
        report.problem("carrier answers", probe, f"must be answered 415: the route does not take Content-Type "
                                                 f"{content_type!r}")
    if probe.media is True and probe.status == 415:
        report.problem("carrier answers", probe, f"answered 415 although the route takes Content-Type {content_type!r}")
    if probe.media is not True or probe.status == 415 or not PLAIN_NAME.fullmatch(probe.source or ""):
        return
    body = _json(probe.answer)
    style = probe.styles[0] if len(probe.styles) == 1 else None
    if 200 <= probe.status < 300:
        if style is None:
            return
        if probe.status != accepted_status(style):
            report.problem("carrier answers", probe, f"a {style_name(style)} push accepted must be answered "
                                                     f"{accepted_status(style)}, not {probe.status}")
        elif style is kuaidi100 and (body.get("result") is not True or body.get("returnCode") != "200"):
            report.problem("carrier answers", probe, "an accepted Kuaidi100 push without Kuaidi100's receipt "
                                                     "(result true, returnCode 200)")
        elif style is sf_open_platform and body.get("return_code") != "0000":
            report.problem("carrier answers", probe, "an accepted SF open-platform push without SF's receipt "
                                                     "(return_code 0000)")
        elif style not in FORM_POSTED and body.get("status") != "accepted":
            report.problem("carrier answers", probe, "an accepted push answered without status accepted")
    elif 400 <= probe.status < 500:
        error = body.get("error")
        if not isinstance(error, dict) or not isinstance(error.get("code"), str) or not error["code"]:
            report.problem("carrier answers", probe, "a refusal without its error code")
        elif style is kuaidi100 and (body.get("result") is not False or body.get("returnCode") != str(probe.status)):
            report.problem("carrier answers", probe, "a refused Kuaidi100 push without Kuaidi100's failure body "
                                                     "(result false, returnCode our status)")
        elif style is sf_open_platform and body.get("return_code") != "1000":
            report.problem("carrier answers", probe, "a refused SF open-platform push without SF's failure body "
                                                     "(return_code 1000)")


def refusal_kind(why: str) -> str:
    if "lacks" in why:
        return "staff key without the role"
    if "not granted" in why:
        return "source not granted"
    return why


def _json(data: bytes) -> dict:
    try:
        value = json.loads(data)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def served_source(name: str | None) -> str:
    """The source name the view is handed for a path's: Chalice's local server, which the fuzzer runs against, cuts
    a path at ";" (urlparse's parameters), so "generic;" is generic's route there (API Gateway hands it whole, and
    it is no source)."""
    return (name or "").split(";", 1)[0]


def accepted_style(probe: Probe):
    """The style that accepted a carrier push: the one its content type picks (of the two a content type sent twice
    may pick, the one whose acceptance it was answered), None when it was not accepted."""
    return next((style for style in probe.styles if accepted_status(style) == probe.status), None)


def was_accepted(probe: Probe) -> bool:
    if probe.route == "carrier":
        return accepted_style(probe) is not None
    return probe.status == 202 and probe.route in ("webhook", "shopify")


def accepted_ids(probe: Probe) -> list[str]:
    """The event ids the edge queued for an accepted request, tenant-qualified by its source."""
    if probe.route in ("webhook", "shopify"):
        own = _json(probe.answer).get("event_id")
        return [f"{served_source(probe.source)}/{own}"] if own else []
    style = accepted_style(probe)
    try:
        events = style.parse(style.decode(probe.body or b""), probe.source, datetime.now(timezone.utc))
    except Exception:
        return []
    return [f"{probe.source}/{event.event_id}" for event in events]


# --- the consumer side (in-process only) --------------------------------------------------------------------------


@dataclass
class Baseline:
    """What the cloud held before the run: its executions, failure records, dead letters and audit time."""

    executions: set
    failures: dict
    dead_letters: int
    started_at: str
    returns: set

    @classmethod
    def of(cls, cloud) -> "Baseline":
        return cls(
            {e["executionArn"] for e in list_executions(cloud)}, failure_records(cloud),
            _depth(cloud, "AFTERSALES_INGEST_DLQ_URL"), iso(datetime.now(timezone.utc) - timedelta(seconds=1)),
            {item["return_id"] for item in scan(cloud.dynamodb.Table(resources.RETURNS_TABLE), "return_id")},
        )


def _depth(cloud, variable: str) -> int:
    from localcloud.sqs_event_source import queue_depth

    return queue_depth(cloud.sqs, cloud.env[variable])


def list_executions(cloud) -> list[dict]:
    arn = cloud.env["AFTERSALES_RETURN_WORKFLOW_ARN"]
    request = {"stateMachineArn": arn, "maxResults": 1000}
    executions = []
    while True:
        page = cloud.sfn.list_executions(**request)
        executions += page["executions"]
        if not page.get("nextToken"):
            return executions
        request["nextToken"] = page["nextToken"]


def failure_records(cloud) -> dict:
    from boto3.dynamodb.conditions import Attr

    table = cloud.dynamodb.Table(resources.EVENT_LOG_TABLE)
    return {item["event_id"]: item for item in scan(table, FilterExpression=Attr("event_id").begins_with("#failure:"))}


def settle(cloud, baseline: Baseline, report: Report, timeout: float, lingering=None) -> bool:
    """Wait (polling, within `timeout`) until the ingest queue is empty and every execution started since the
    baseline is parked on a task token or ended; records the executions' statuses. `lingering(depth)`: whether
    the messages still on the queue may stay (notifications whose hydration was refused, retried until their dead
    letter).

    Nothing resumes a parked execution but the consumer (or a person), so an execution seen parked is not read
    again until a pass finds none busy; that pass is followed by one reading every execution."""
    deadline = time.monotonic() + timeout
    parked: dict[str, str] = {}
    everything = False

    def idle() -> bool:
        return cloud.queue_idle() or (lingering is not None and lingering(cloud.queue_depth()))

    while True:
        if idle():
            busy = 0
            statuses: Counter = Counter()
            for execution in list_executions(cloud):
                arn = execution["executionArn"]
                if arn in baseline.executions:
                    continue
                statuses[execution["status"]] += 1
                if execution["status"] != "RUNNING":
                    parked.pop(arn, None)
                    continue
                if arn in parked and not everything:
                    continue
                events = cloud.sfn.get_execution_history(executionArn=arn)["events"]
                if events and events[-1]["type"] == "TaskSubmitted":
                    entered = [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]
                    parked[arn] = entered[-1] if entered else "?"
                else:
                    parked.pop(arn, None)
                    busy += 1
            if not busy and everything and idle():
                report.executions = statuses
                report.parked = Counter(parked.values())
                return True
            everything = not busy
            if everything:
                continue
        if time.monotonic() > deadline:
            report.problem("not settled", None, f"the queue and the workflows did not settle within {timeout:g} s")
            return False
        time.sleep(0.2)


def shopify_fates(cloud, world: ShopifyWorld, accepted: dict, by_index: dict) -> dict[str, str]:
    """Each accepted Shopify notification's id -> "real" (about a resource the run made on the simulated Shopify: it
    must be applied), "phantom" (about one it does not have: its hydration must fail) or "unknown" (about one some
    other test made, or one the fuzzer did not decide: either)."""
    existing = world.existing(cloud)
    fates = {}
    for event_id, index in accepted.items():
        probe = by_index.get(index)
        if probe is None or probe.route != "shopify":
            continue
        info = probe.shopify or {}
        domain, gid = info.get("domain"), info.get("resource")
        if world.is_real(domain, gid):
            fates[event_id] = "real"
        elif gid is None or (domain, gid) in existing:
            fates[event_id] = "unknown"
        else:
            fates[event_id] = "phantom"
    return fates


def phantom_gids(fates: dict, accepted: dict, by_index: dict) -> Counter:
    """How many accepted notifications name each resource Shopify does not have."""
    return Counter(by_index[accepted[event_id]].shopify["resource"] for event_id, fate in fates.items() if fate == "phantom")


def _names(error: str, gid: str) -> bool:
    return re.search(re.escape(gid) + r"(?![0-9])", error) is not None


def hydration_refusals(cloud, baseline: Baseline, gids: Counter, records: dict | None = None) -> tuple[Counter, set[str]]:
    """For each GID (of accepted notifications Shopify has no resource for): how many new HydrationFailed failure
    records name it, at most as many as notifications named it; and the keys of those records."""
    found: Counter = Counter()
    keys: set[str] = set()
    for key, item in (failure_records(cloud) if records is None else records).items():
        before = baseline.failures.get(key)
        if (before is not None and before.get("failures") == item.get("failures")) or item.get("error_type") != "HydrationFailed":
            continue
        for gid in gids:
            if _names(str(item.get("error")), gid) and found[gid] < gids[gid]:
                found[gid] += 1
                keys.add(key)
                break
    return found, keys


def lingering_refusals(cloud, baseline: Baseline, gids: Counter):
    """Whether the `depth` messages on the queue may stay there: no more than the notifications about resources
    Shopify does not have whose hydration failed (recorded) and that are not dead-lettered yet (SQS sends them
    there after maxReceiveCount receives). The failure records are read only when the depth allows it, and no
    more once each of those notifications has one (they are only ever added)."""
    if not gids:
        return None
    total = sum(gids.values())
    recorded = [0]

    def may_stay(depth: int) -> bool:
        if not 0 < depth <= total:
            return False
        if recorded[0] < total:
            found, _ = hydration_refusals(cloud, baseline, gids)
            recorded[0] = sum(found.values())
        return depth <= recorded[0] - (_depth(cloud, "AFTERSALES_INGEST_DLQ_URL") - baseline.dead_letters)

    return may_stay


def check_consumer(
    cloud, baseline: Baseline, report: Report, accepted: dict, probes: list[Probe], staff_keys: dict,
    fates: dict | None = None,
) -> None:
    """`fates`: shopify_fates of the accepted Shopify notifications."""
    report.consumer_checked = True
    by_index = {probe.index: probe for probe in probes}
    fates = fates or {}
    phantoms = phantom_gids(fates, accepted, by_index)
    # Dead letters: what the consumer gave up on, with the request that brought it in. A Shopify notification about
    # a resource Shopify does not have is meant to end there (HydrationFailed), kept aside to be checked below.
    from chalicelib.domain.message_keys import message_key

    dead = _depth(cloud, "AFTERSALES_INGEST_DLQ_URL") - baseline.dead_letters
    probe_of_failure: dict[str, Probe | None] = {}
    unhydrated: dict[str, str] = {}  # notification id -> its dead letter's message key
    if dead > 0:
        for body in peek(cloud, cloud.env["AFTERSALES_INGEST_DLQ_URL"]):
            event_id = _json(body.encode()).get("event_id")
            probe = by_index.get(accepted.get(event_id))
            probe_of_failure[f"#failure:{message_key(body)}"] = probe
            if fates.get(event_id) in ("phantom", "unknown"):
                unhydrated[event_id] = f"#failure:{message_key(body)}"
                continue
            report.problem("dlq", probe, f"dead letter {event_id}: {body[:300]}")
    # Failure records: every failed attempt to apply a queued event; a notification about a resource Shopify does
    # not have must have one saying so (HydrationFailed, naming the resource), whether it is dead-lettered yet or not.
    records = failure_records(cloud)
    refused, refusal_keys = hydration_refusals(cloud, baseline, phantoms, records)
    refusal_recorded: set[str] = set()
    for key, item in records.items():
        before = baseline.failures.get(key)
        if before is None or before.get("failures") != item.get("failures"):
            if item.get("error_type") == "HydrationFailed" and (key in unhydrated.values() or key in refusal_keys):
                refusal_recorded.add(key)
                continue
            text = (f"{item.get('error_type')}: {str(item.get('error'))[:600]} [{key}, failures {item.get('failures')}, "
                    f"last {item.get('last_failed_at')}]")
            report.problem("failure records", probe_of_failure.get(key), text)
    # Every accepted event is in the event log, with its outcome; but a notification whose hydration was refused.
    logged = logged_ids(cloud, list(accepted))
    logged.update(logged_ids(cloud, [event_id for event_id, fate in fates.items() if fate == "real"], outcomes=True))
    report.applied = sum(event_id in logged for event_id in accepted)
    unrecorded = Counter(phantoms)
    unrecorded.subtract(refused)
    report.hydration_refused_dead = sum(fates.get(event_id) in ("phantom", "unknown") for event_id in unhydrated)
    report.dead_at_check = dead
    for event_id in accepted:
        probe, fate = by_index.get(accepted[event_id]), fates.get(event_id)
        gid = ((probe.shopify if probe else None) or {}).get("resource")
        if fate == "real":
            report.shopify_real += 1
            report.shopify_real_applied += bool(logged.get(event_id))
        elif fate == "phantom":
            report.shopify_phantom += 1
        if fate == "phantom" and event_id in logged:
            report.problem("hydration refusal not kept", probe, f"accepted notification {event_id} applied "
                                                                f"({logged[event_id]!r}) although Shopify has no {gid}")
        elif fate == "phantom":
            if unrecorded[gid] > 0:
                unrecorded[gid] -= 1
                report.problem("hydration refusal not kept", probe, f"accepted notification {event_id} about {gid}: no "
                                                                    f"HydrationFailed failure record names it")
            else:
                report.hydration_refused += 1
        elif fate == "unknown" and event_id not in logged:
            key = unhydrated.get(event_id)
            if key is None:
                report.problem("hydration refusal not kept", probe, f"accepted notification {event_id} about {gid} is "
                                                                    f"neither in the event log nor in the DLQ")
            elif key not in refusal_recorded:
                report.problem("hydration refusal not kept", probe, f"dead letter {event_id} has no HydrationFailed "
                                                                    f"failure record ({key})")
            else:
                report.hydration_refused += 1
        elif event_id not in logged:
            report.problem("not applied", probe, f"accepted event {event_id} is not in the event log")
        elif fate == "real" and not logged[event_id]:
            report.problem("not applied", probe, f"accepted notification {event_id} is in the event log without an outcome")
    # Executions that FAILED (a JSONPath or other runtime error of the ASL on this input, or RecordFailure failing).
    for execution in list_executions(cloud):
        if execution["executionArn"] in baseline.executions or execution["status"] != "FAILED":
            continue
        described = cloud.sfn.describe_execution(executionArn=execution["executionArn"])
        events = cloud.sfn.get_execution_history(executionArn=execution["executionArn"])["events"]
        entered = [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]
        report.problem("workflow failed", None, f"execution {execution['name']} FAILED in {entered[-1:] or '?'}: "
                                                f"{described.get('error')}: {str(described.get('cause'))[:800]}")
    # Review decisions by a key without the role the return waited for (the audit trail says what it waited for).
    from boto3.dynamodb.conditions import Attr

    for entry in scan(cloud.dynamodb.Table(resources.AUDIT_TABLE), FilterExpression=Attr("at").gte(baseline.started_at)):
        roles = staff_keys.get(entry.get("by"), (None, []))[1]
        waited, _, decision = str(entry.get("action", "")).partition(".")
        needed = {"finance_review": "finance", "review": "after_sales", "failure_review": "after_sales",
                  "parcel": "after_sales", "tracking": "after_sales", "refunds": "finance"}.get(waited)
        if needed and roles and needed not in roles and "admin" not in roles:
            report.problem("role missing accepted", None, f"audit entry {entry['action']} on {entry['subject']} by "
                                                          f"{entry['by']} ({', '.join(roles)}): needs {needed}")
    # Records grown past what DynamoDB takes: moto stores some writes that DynamoDB refuses (ValidationException).
    for table, key in ((resources.RETURNS_TABLE, "return_id"), (resources.SHIPMENTS_TABLE, "shipment_id"),
                       (resources.ORDERS_TABLE, "order_id")):
        for item in scan(cloud.dynamodb.Table(table)):
            size = item_size(item)
            if size > MAX_ITEM_BYTES:
                report.problem("records over 400 KB", None, f"{table} {item.get(key)!r}: {size:,} bytes "
                                                            f"({', '.join(biggest_attributes(item))})")
    # Returns of this run that a step refused (informational: the failures queue is where they are meant to go).
    # Verify decides from the order and the request as the edge accepted them: its InvalidInput means the edge took
    # what the refund contract refuses (the return can only be rejected by a person). The other steps' refusals
    # (an inspection naming a line the return does not have...) are the sources' data, for the failures queue.
    for item in scan(cloud.dynamodb.Table(resources.RETURNS_TABLE)):
        if item.get("status") == "failed" and item["return_id"] not in baseline.returns:
            failure = item.get("failure") or {}
            cause = str(failure.get("cause"))
            if failure.get("step") == "Verify" and failure.get("error") == "InvalidInput":
                report.problem("verify refused accepted input", None, f"{_error_message(cause)} [return {item['return_id']}]")
            else:
                report.failed_returns[f"{failure.get('step')}/{failure.get('error')}: {_error_message(cause)[:160]}"] += 1


def check_sms_refund(cloud, sms: SmsWorld, report: Report) -> None:
    """The return that waited for its SMS code, once the workflows settled: agreed (a 200) means refunded in Tmall
    once, by the seller, for its amount; confirmed in the ledger with Tmall's refund id; and its workflow resumed to
    refunded. Not agreed: still waiting, in Tmall, in the ledger and in the finance queue."""
    if not sms.waiting:
        return
    from chalicelib.domain.ledger import refund_id_for

    shop, own = sms.waiting
    refunds = [r for r in cloud.taobao.refunds(sms.seller) if str(r["refund_id"]) == own]
    tmall = refunds[0] if len(refunds) == 1 else {}
    table = cloud.dynamodb.Table(resources.LEDGER_TABLE)
    issued = table.get_item(Key={"refund_id": refund_id_for(sms.key)}).get("Item") or {}
    ledger = [item for item in scan(table) if item.get("return_id") == sms.key]
    record = cloud.dynamodb.Table(resources.RETURNS_TABLE).get_item(Key={"return_id": sms.key}).get("Item") or {}
    error = (issued.get("payment_error") or {}).get("code")
    found = (f"Tmall {tmall.get('status')} paid by {tmall.get('paid_by')}, ledger {issued.get('payment_status')} "
             f"({len(ledger)} record(s){f', payment_error {error}' if error else ''}), return {record.get('status')}")
    problems = []
    if report.sms_agreed:
        if tmall.get("status") != "SUCCESS" or tmall.get("paid_by") != "seller" or \
                Decimal(str(tmall.get("refund_fee"))) != Decimal(SMS_PRICE):
            problems.append("answered 200, but Tmall did not refund it by the seller's agree for its amount")
        if len(ledger) != 1 or issued.get("payment_status") != "confirmed" or issued.get("total") != SMS_PRICE \
                or issued.get("marketplace_refund_id") != own:
            problems.append(f"answered 200, but the ledger does not hold one confirmed refund of {SMS_PRICE} with "
                            f"Tmall's id {own}")
        if record.get("status") != "refunded":
            problems.append("answered 200, but its workflow did not resume to refunded")
        report.sms_outcome = f"agreed by request #{report.sms_agreed[0]} (200 to {len(report.sms_agreed)}): {found}"
    else:
        if tmall.get("status") == "SUCCESS" or issued.get("payment_status") == "confirmed":
            problems.append("refunded, but no code was answered 200")
        elif error != "sms_code_required" or record.get("status") != "refund_failed":
            problems.append("no code was taken, but it no longer waits for one")
        report.sms_outcome = f"no code taken: {found}"
    for text in problems:
        report.problem("sms refund", None, f"{sms.key}: {text} ({found})")


def _error_message(cause: str) -> str:
    """A Lambda error's message from the Cause Step Functions keeps (its JSON), or the cause as it is."""
    try:
        return str(json.loads(cause).get("errorMessage", cause))
    except (ValueError, AttributeError):
        return cause


def logged_ids(cloud, event_ids: list[str], outcomes: bool = False) -> dict[str, str | None]:
    """Which of these event ids the event log holds (BatchGetItem, 100 at a time), with the outcome recorded when
    asked (moto takes three times as long to project it)."""
    found: dict[str, str | None] = {}
    projection = {"ProjectionExpression": "event_id, #outcome", "ExpressionAttributeNames": {"#outcome": "outcome"}}
    for start in range(0, len(event_ids), 100):
        request = {resources.EVENT_LOG_TABLE: {"Keys": [{"event_id": e} for e in event_ids[start:start + 100]],
                                               **(projection if outcomes else {"ProjectionExpression": "event_id"})}}
        while request:
            response = cloud.dynamodb.batch_get_item(RequestItems=request)
            found |= {item["event_id"]: item.get("outcome") for item in response["Responses"].get(resources.EVENT_LOG_TABLE, [])}
            request = response.get("UnprocessedKeys") or None
    return found


def item_size(value) -> int:
    """DynamoDB's size of an item or attribute value: UTF-8 lengths of names and strings, about a byte per two
    digits of a number, and 3 bytes plus one per element for a map or list (the published rules)."""
    if isinstance(value, dict):
        return 3 + sum(len(str(k).encode()) + 1 + item_size(v) for k, v in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return 3 + sum(1 + item_size(v) for v in value)
    if isinstance(value, str):
        return len(value.encode("utf-8", "surrogatepass"))
    if isinstance(value, bytes):
        return len(value)
    if isinstance(value, bool) or value is None:
        return 1
    return 1 + (len(str(value).lstrip("-").replace(".", "")) + 1) // 2


def biggest_attributes(item: dict, count: int = 3) -> list[str]:
    sizes = sorted(((item_size(v), k) for k, v in item.items()), reverse=True)[:count]
    return [f"{k} {size:,}" for size, k in sizes]


def peek(cloud, queue_url: str, rounds: int = 200) -> list[str]:
    """The bodies of the messages on a queue, left on it (visible again after 30 s)."""
    seen: dict[str, str] = {}
    for _ in range(rounds):
        messages = cloud.sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=30).get("Messages", [])
        if not messages:
            break
        seen.update({m["MessageId"]: m["Body"] for m in messages})
    return list(seen.values())


# --- the command --------------------------------------------------------------------------------------------------


def main(args) -> int:
    """`python -m localcloud fuzz`: against `--api-url`, or a local cloud started here (what `make fuzz` does)."""
    import os

    from chalice.local import ChaliceRequestHandler

    from infra.package import ROOT
    from localcloud.cloud import LocalCloud

    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")
    logging.getLogger("moto").setLevel(logging.CRITICAL)
    logging.getLogger("urllib3").setLevel(logging.ERROR)  # moto's Lambda clients share a pool the executions outnumber
    ChaliceRequestHandler.log_message = lambda *a: None
    only = [args.replay] if args.replay is not None else None
    anchor = datetime.fromisoformat(args.anchor).replace(tzinfo=timezone.utc) if args.anchor else None
    if only is not None:
        only = list(range(seeding_count(args.requests))) + [i for i in only if i >= seeding_count(args.requests)]
    print(f"fuzz: {args.requests} requests, seed {args.seed}, {args.threads} threads"
          + (f", replaying request {args.replay} after the seeding ones" if only else ""), flush=True)
    kwargs = dict(threads=args.threads, timeout=args.timeout, anchor=anchor, progress=lambda line: print(line, flush=True),
                  quiet=True, only=only)
    if args.api_url:
        report = run_fuzz(args.api_url, args.requests, args.seed, **kwargs)
    else:
        with LocalCloud(schedule_interval=None, visibility_timeout=2) as cloud:
            print(f"local cloud up: API {cloud.api_url}", flush=True)
            report = run_fuzz(cloud.api_url, args.requests, args.seed, cloud=cloud, sms_refund=True, **kwargs)
    print(report.render(examples=args.examples))
    if args.replay is not None:
        probe = next((p for p in report.probes if p.index == args.replay), None)
        print("\nreplayed request:\n    " + (probe.describe(4000) if probe else f"#{args.replay}: not sent"))
        for text in report.tracebacks.get(args.replay, []):
            print("    server log: " + text.replace("\n", "\n    "))
    if report.tracebacks:
        out = ROOT / "out"
        out.mkdir(exist_ok=True)
        path = out / "fuzz-errors.log"
        logged = sorted(report.tracebacks.items())
        path.write_text("\n\n".join(f"request #{index}:\n" + "\n".join(texts) for index, texts in logged))
        print(f"server log of the requests that logged an error: {path}")
    return 0 if report.ok else 1


def add_arguments(parser) -> None:
    parser.add_argument("--requests", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--api-url", help="a running `make serve` (only the HTTP checks then: its queues are in that process)")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait for the queue and the workflows to settle")
    parser.add_argument("--anchor", help="the day (YYYY-MM-DD) sample times count from (default: ten days ago)")
    parser.add_argument("--replay", type=int, metavar="INDEX",
                        help="send only the seeding requests and request INDEX of the run with these --requests and "
                             "--seed, and print it in full")
    parser.add_argument("--examples", type=int, default=5, help="examples printed per kind of problem")


if __name__ == "__main__":
    sys.exit("run it as `python -m localcloud fuzz`")
