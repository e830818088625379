"""A simulated Shopify on loopback: the Admin GraphQL operations of chalicelib/connectors/shopify/ and the webhooks
Shopify sends, for many shops on one server.

A shop answers at {url}/{domain}/admin/api/{version}/graphql.json. The server
dispatches on `operationName` (no GraphQL parser: the client's operations are
named and fixed) and charges each call to the shop's leaky cost bucket. The
buyer's and the merchant's side (create_order, request_return, ...) change the
state directly and send their webhooks, signed, from a background thread that
retries a failing receiver with the very same delivery. Faults are scripted per
operation, like the payment provider's. Every id is a number above 2**53 that no
double can hold, so a client parsing ids as floats breaks here, not in production.
"""

import base64
import copy
import dataclasses
import hmac
import http.client
import itertools
import json
import random
import re
import threading
import time
import uuid
from collections import Counter, deque
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler
from typing import Self
from urllib.parse import urlsplit

from localcloud.loopback import LoopbackServer, send_json

VERSIONS = frozenset({"2025-10", "2026-01", "2026-04", "2026-07", "2026-10"})
IDEMPOTENT_FROM = "2026-04"  # the first version refusing returnProcess and refundCreate without @idempotent
RETRY_SECONDS = (0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 4.0, 8.0)
QUERIES = {
    "AftersalesOrder": "order", "AftersalesReturn": "return", "AftersalesRefund": "refund",
    "AftersalesReverseDelivery": "reverseDelivery",
}
MUTATIONS = {  # operationName -> (the payload's field, the object it answers)
    "AftersalesReturnApprove": ("returnApproveRequest", "return"),
    "AftersalesReturnDecline": ("returnDeclineRequest", "return"),
    "AftersalesReturnProcess": ("returnProcess", "return"),
    "AftersalesRefundCreate": ("refundCreate", "refund"),
    "AftersalesFulfillmentOrderHold": ("fulfillmentOrderHold", "fulfillmentOrder"),
}
# Where scripts/replay_shopify_webhook.py posts a captured Admin API object ({"domain", "node"}).
CAPTURE_PATH = "/_capture"
# Mutations whose arguments are not one `input` (fulfillmentOrderHold(id:, fulfillmentHold:)).
WITHOUT_INPUT = {"AftersalesFulfillmentOrderHold"}
HOLDABLE = ("OPEN", "SCHEDULED")
IDEMPOTENT = {"returnProcess", "refundCreate"}
DECLINE_REASONS = ("FINAL_SALE", "RETURN_PERIOD_ENDED", "OTHER")
UNAUTHORIZED = "[API] Invalid API key or access token (unrecognized login or wrong password)"
THROTTLED = {"message": "Throttled", "extensions": {"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}}
CENT = Decimal("0.01")
_PATH = re.compile(r"/(?P<domain>[^/]+)/admin/api/(?P<version>[^/]+)/graphql\.json")
_FIRST_ID = 2**53 + 1  # ids go up by 2 from here: odd numbers above 2**53 are never exact as doubles


@dataclass
class _Shop:
    domain: str
    token: str
    id: int
    available: float  # the cost bucket, as of refilled_at (time.monotonic)
    refilled_at: float = dataclasses.field(default_factory=time.monotonic)
    installed: bool = True
    orders: dict[str, dict] = dataclasses.field(default_factory=dict)
    returns: dict[str, dict] = dataclasses.field(default_factory=dict)
    refunds: dict[str, dict] = dataclasses.field(default_factory=dict)
    answers: dict[str, dict] = dataclasses.field(default_factory=dict)  # idempotency key -> the data of its first answer
    captured: dict[str, dict] = dataclasses.field(default_factory=dict)  # gid -> a real shop's Admin API object
    order_numbers: itertools.count = dataclasses.field(default_factory=lambda: itertools.count(1001))


class _GraphQLError(Exception):
    """A request the schema refuses: an answer with `errors` and no `data`."""

    def __init__(self, message: str, **extensions) -> None:
        super().__init__(message)
        self.answer = {"message": message, "extensions": extensions}


class ShopifyService(LoopbackServer):
    def __init__(
        self, shops: dict[str, str] | None = None, *, webhook_url: str | None = None, app_secret: str | None = None,
        versions=VERSIONS, webhook_api_version: str | None = None, bucket_size: float = 1000.0,
        restore_rate: float = 100.0, query_cost: int = 10, mutation_cost: int = 10, late_answer_seconds: float = 1.5,
        retry_seconds=RETRY_SECONDS, duplicate_rate: float = 0.0, seed: int = 7, clock=None,
    ) -> None:
        """`shops`: {domain: access token}; `webhook_url`: where webhooks go (None: they are only recorded);
        `webhook_api_version`: the X-Shopify-API-Version they carry (the newest version by default);
        `late_answer_seconds`: how late a timed-out answer comes (longer than the client waits); `duplicate_rate`:
        the share of events delivered twice (seeded); `clock`: the time of everything it writes, UTC wall clock
        by default."""
        self._clock = clock or (lambda: datetime.now(timezone.utc))
        self._versions = frozenset(versions)
        self._webhook_version = webhook_api_version or max(self._versions)
        self._bucket_size, self._restore_rate = float(bucket_size), float(restore_rate)
        self._query_cost, self._mutation_cost = query_cost, mutation_cost
        self._late = late_answer_seconds
        self._webhook_url, self._secret = webhook_url, app_secret
        self._retry_seconds = tuple(retry_seconds)
        self._duplicate_rate = duplicate_rate
        self._rng = random.Random(seed)
        self._ids = itertools.count(_FIRST_ID, 2)
        self._shops: dict[str, _Shop] = {}
        self._script: deque[tuple[str, str | None, dict]] = deque()
        self._lock = threading.Lock()
        self._outbox_changed = threading.Condition(self._lock)
        self._outbox: deque[dict] = deque()  # deliveries to send; the head is being sent or waits for its retry
        self._deliveries: list[dict] = []
        self._held = False
        self._muted = False
        self._stopped = threading.Event()
        self._sender = threading.Thread(target=self._send_webhooks, name="shopify-webhooks", daemon=True)
        self._handlers = {
            "AftersalesOrder": self._order_node, "AftersalesReturn": self._return_node,
            "AftersalesRefund": self._refund_node, "AftersalesReverseDelivery": self._reverse_delivery_node,
            "AftersalesReturnApprove": self._approve, "AftersalesReturnDecline": self._decline,
            "AftersalesReturnProcess": self._process, "AftersalesRefundCreate": self._refund_create,
            "AftersalesFulfillmentOrderHold": self._hold,
        }
        self.calls: Counter = Counter()  # by what happened: an operationName, replayed, throttled, failed, ...
        self.requests: list[tuple[str | None, dict]] = []  # (operationName, variables) of every request received
        super().__init__("shopify-service", self._answer)
        for domain, token in (shops or {}).items():
            self.add_shop(domain, token)

    def deliver_to(self, webhook_url: str) -> None:
        """Where webhooks go from now on (the local cloud knows its API's address only once it serves it)."""
        with self._lock:
            self._webhook_url = webhook_url

    def start(self) -> Self:
        """LoopbackServer.start polling for stop() every 50 ms, not 0.5 s: tests start and stop many of these."""
        self._sender.start()
        threading.Thread(target=self._http.serve_forever, kwargs={"poll_interval": 0.05}, name=self._name, daemon=True).start()
        return self

    def stop(self) -> None:
        super().stop()
        with self._lock:
            self._stopped.set()
            self._outbox_changed.notify_all()
        if self._sender.is_alive():
            self._sender.join(timeout=5)

    # --- faults -----------------------------------------------------------------------------------------------

    def time_out_next(self, operation: str | None = None, times: int = 1) -> None:
        """The next calls do their work but answer after the client stopped waiting."""
        self._add("time_out", operation, times)

    def fail_next(self, operation: str | None = None, times: int = 1, status: int = 503) -> None:
        """The next calls answer `status` and do nothing."""
        self._add("fail", operation, times, status=status)

    def user_error_next(
        self, operation: str, message: str, times: int = 1, field: list[str] | None = None, code: str = "INVALID",
    ) -> None:
        """The next calls of the mutation answer this userError and do nothing."""
        if operation not in MUTATIONS:
            raise ValueError(f"{operation} is not a mutation: only mutations answer userErrors")
        self._add("user_error", operation, times, error={"field": field, "message": message, "code": code})

    def throttle_next(self, times: int = 1) -> None:
        self._add("throttle", None, times)

    def _add(self, fault: str, operation: str | None, times: int, **detail) -> None:
        with self._lock:
            self._script.extend([(fault, operation, detail)] * times)

    # --- the shop's side --------------------------------------------------------------------------------------

    def add_shop(self, domain: str, access_token: str) -> None:
        """Installs the app on a shop (again, keeping its state, when it was uninstalled)."""
        with self._lock:
            if domain in self._shops:
                self._shops[domain].token, self._shops[domain].installed = access_token, True
            else:
                self._shops[domain] = _Shop(domain, access_token, next(self._ids), self._bucket_size)

    def create_order(
        self, domain: str, lines: list[dict], currency: str = "USD", shipping: str = "5.00", customer: bool = True,
        paid: bool = True,
    ) -> dict:
        """`lines`: [{"sku", "quantity", "price", "discount" (for the whole line), "product_type"}]. Answers
        {"order", "lines", "transaction" (the SALE, None when unpaid)}."""
        with self._lock:
            shop, now, shipping = self._shop(domain), self._now(), Decimal(str(shipping))
            items = [{
                "id": self._gid("LineItem"), "sku": line.get("sku"), "quantity": int(line["quantity"]),
                "price": Decimal(str(line["price"])), "discount": Decimal(str(line.get("discount", "0.00"))),
                "product_type": line.get("product_type"), "fulfillment_line_item_id": next(self._ids),
            } for line in lines]
            order = {
                "id": self._gid("Order"), "name": f"#{next(shop.order_numbers)}", "currency": currency,
                "customer_id": self._gid("Customer") if customer else None, "shipping": shipping,
                "total_price": sum((i["price"] * i["quantity"] - i["discount"] for i in items), shipping),
                "created_at": now, "updated_at": now, "processed_at": now, "cancelled_at": None,
                "financial_status": "PENDING", "line_items": items, "fulfillments": [], "transactions": [],
                "refund_ids": [],
                "fulfillment_orders": [{"id": self._gid("FulfillmentOrder"), "status": "OPEN", "hold": None}],
            }
            sale = self._transaction(order, "SALE", order["total_price"], None) if paid else None
            order["financial_status"] = _financial_status(order)
            shop.orders[order["id"]] = order
            self._emit(shop, "orders/create", _order_payload(order))
            if paid:
                self._emit(shop, "orders/paid", _order_payload(order))
            return {"order": order["id"], "lines": [i["id"] for i in items], "transaction": sale and sale["id"]}

    def fulfill(
        self, domain: str, order: str, company: str = "UPS", number: str | None = None,
        delivered_at: datetime | None = None,
    ) -> str:
        """Ships the whole order; answers the fulfillment's gid. A held order is not shipped (ValueError)."""
        with self._lock:
            shop = self._shop(domain)
            record, now, gid = _need(shop.orders, order), self._now(), self._gid("Fulfillment")
            if any(fo["status"] == "ON_HOLD" for fo in record["fulfillment_orders"]):
                raise ValueError(f"order {order} is on hold: its fulfillment order cannot be fulfilled")
            for fulfillment_order in record["fulfillment_orders"]:
                fulfillment_order["status"] = "CLOSED"
            fulfillment = {
                "id": gid, "status": "SUCCESS", "company": company, "number": number or f"1Z{_number(gid) % 10**16:016d}",
                "created_at": now, "updated_at": now, "delivered_at": delivered_at,
            }
            record["fulfillments"].append(fulfillment)
            self._touch(record)
            self._emit(shop, "fulfillments/create", _fulfillment_payload(record, fulfillment))
            return gid

    def deliver(self, domain: str, order: str, at: datetime) -> None:
        """The order's latest fulfillment arrives."""
        with self._lock:
            shop = self._shop(domain)
            record = _need(shop.orders, order)
            if not record["fulfillments"]:
                raise ValueError(f"{order} has no fulfillment to deliver")
            fulfillment = record["fulfillments"][-1]
            fulfillment["delivered_at"], fulfillment["updated_at"] = at, self._now()
            self._touch(record)
            self._emit(shop, "fulfillments/update", _fulfillment_payload(record, fulfillment))

    def request_return(
        self, domain: str, order: str, lines: list[tuple[str, int, str]], note: str | None = None,
        exchange: list[dict] | None = None,
    ) -> str:
        """The buyer asks to return `lines` [(line item gid, quantity, "size_too_small")], `note` being the
        customer's note on each line, and to get `exchange` [{"sku", "price", "quantity"}] instead of money;
        answers the Return's gid, REQUESTED."""
        with self._lock:
            shop = self._shop(domain)
            record = _need(shop.orders, order)
            items = {item["id"]: item for item in record["line_items"]}
            for line_item, quantity, _ in lines:
                if line_item not in items or not 0 < quantity <= items[line_item]["quantity"]:
                    raise ValueError(f"{order} has no {quantity} of {line_item} to return")
            earlier = sum(r["order_id"] == order for r in shop.returns.values())
            ret = {
                "id": self._gid("Return"), "name": f"{record['name']}-R{earlier + 1}", "status": "REQUESTED",
                "order_id": order, "created_at": self._now(), "decline": None,
                "return_line_items": [{
                    "id": self._gid("ReturnLineItem"), "line_item_id": line_item, "quantity": quantity,
                    "processed_quantity": 0, "return_reason": reason.upper(), "return_reason_note": "",
                    "customer_note": note, "fulfillment_line_item_id": items[line_item]["fulfillment_line_item_id"],
                } for line_item, quantity, reason in lines],
                "reverse_fulfillment_orders": [], "refund_ids": [],
                "exchange_line_items": [{
                    "id": self._gid("ExchangeLineItem"), "variant_id": self._gid("ProductVariant"), "sku": wanted["sku"],
                    "price": Decimal(str(wanted["price"])), "quantity": int(wanted.get("quantity", 1)), "processed_quantity": 0,
                } for wanted in exchange or []],
            }
            shop.returns[ret["id"]] = ret
            self._touch(record)
            self._emit(shop, "returns/request", _return_payload(ret))
            return ret["id"]

    def attach_return_tracking(self, domain: str, return_gid: str, carrier: str, number: str) -> str:
        """The buyer's parcel back, on an approved return; answers the ReverseDelivery's gid."""
        with self._lock:
            shop = self._shop(domain)
            ret = _need(shop.returns, return_gid)
            if not ret["reverse_fulfillment_orders"]:
                raise ValueError(f"{return_gid} is not approved: it has no reverse fulfillment order yet")
            delivery = {"id": self._gid("ReverseDelivery"), "carrier_name": carrier, "number": number}
            ret["reverse_fulfillment_orders"][0]["reverse_deliveries"].append(delivery)
            self._emit(shop, "reverse_deliveries/attach_deliverable", _reverse_delivery_payload(ret, delivery))
            return delivery["id"]

    def merchant_refund(
        self, domain: str, order: str, lines: list[tuple[str, int]], amount, return_gid: str | None = None,
    ) -> str:
        """A refund made in the Shopify admin, paid back on the order's first sale; answers the Refund's gid."""
        with self._lock:
            shop = self._shop(domain)
            record = _need(shop.orders, order)
            ret = _need(shop.returns, return_gid) if return_gid else None
            items = {item["id"]: item for item in record["line_items"]}
            value = Decimal(str(amount))
            sales = [t for t in record["transactions"] if t["kind"] == "SALE"]
            if value > _refundable(record) or not sales:
                raise ValueError(f"{order} has only {_refundable(record)} left to refund")
            refund_lines = [(_need(items, line_item), quantity, "NO_RESTOCK") for line_item, quantity in lines]
            refund = self._make_refund(shop, record, refund_lines, [(sales[0], value)], ret)
            self._touch(record)
            return refund["id"]

    def cancel_return(self, domain: str, return_gid: str) -> None:
        with self._lock:
            shop = self._shop(domain)
            ret = _need(shop.returns, return_gid)
            if ret["status"] not in ("REQUESTED", "OPEN") or any(l["processed_quantity"] for l in ret["return_line_items"]):
                raise ValueError(f"{return_gid} is {ret['status']} and cannot be canceled")
            ret["status"] = "CANCELED"
            self._touch(shop.orders[ret["order_id"]])
            self._emit(shop, "returns/cancel", _return_payload(ret))

    def uninstall(self, domain: str) -> None:
        """The merchant removes the app: its token is refused from now on."""
        with self._lock:
            shop = self._shop(domain)
            self._emit(shop, "app/uninstalled", {
                "id": shop.id, "name": domain.split(".")[0], "domain": domain, "myshopify_domain": domain})
            shop.installed = False

    def orders(self, domain: str) -> list[dict]:
        return self._read(domain, "orders")

    def returns(self, domain: str) -> list[dict]:
        return self._read(domain, "returns")

    def refunds(self, domain: str) -> list[dict]:
        return self._read(domain, "refunds")

    def _read(self, domain: str, table: str) -> list[dict]:
        with self._lock:
            return copy.deepcopy(list(getattr(self._shop(domain), table).values()))

    # --- webhooks ---------------------------------------------------------------------------------------------

    @property
    def deliveries(self) -> list[dict]:
        """{topic, webhook_id, event_id, status (the last HTTP status, None before or without an answer), attempts,
        shop, body, headers} of every delivery, in the order of their events."""
        with self._lock:
            return [dict(delivery, headers=dict(delivery["headers"])) for delivery in self._deliveries]

    def rotate_secret(self, new: str) -> None:
        """Events from now on are signed with `new`; queued deliveries keep the signature they were made with."""
        with self._lock:
            self._secret = new

    def mute_webhooks(self, muted: bool = True) -> None:
        """Events from now on are recorded (`deliveries`) but never sent, until muted is False again."""
        with self._lock:
            self._muted = muted

    def hold_webhooks(self) -> None:
        with self._lock:
            self._held = True

    def release_webhooks(self) -> None:
        with self._lock:
            self._held = False
            self._outbox_changed.notify_all()

    def wait_for_deliveries(self, timeout: float = 10.0) -> None:
        """Until every delivery was answered 2xx or ran out of retries."""
        with self._lock:
            if not self._outbox_changed.wait_for(lambda: not self._outbox, timeout):
                raise TimeoutError(f"{len(self._outbox)} webhook deliveries still queued after {timeout} s")

    def _emit(self, shop: _Shop, topic: str, payload: dict) -> None:
        """Under the lock: one event, queued once (twice at `duplicate_rate`: a new webhook id, the same event id)."""
        body = json.dumps(payload).encode()
        headers = {
            "Content-Type": "application/json", "X-Shopify-Topic": topic, "X-Shopify-Shop-Domain": shop.domain,
            "X-Shopify-API-Version": self._webhook_version, "X-Shopify-Event-Id": str(uuid.uuid4()),
            "X-Shopify-Triggered-At": _iso(self._now()),
        }
        if self._secret is not None:
            headers["X-Shopify-Hmac-Sha256"] = base64.b64encode(hmac.digest(self._secret.encode(), body, "sha256")).decode()
        for _ in range(2 if self._rng.random() < self._duplicate_rate else 1):
            webhook_id = str(uuid.uuid4())
            delivery = {
                "topic": topic, "webhook_id": webhook_id, "event_id": headers["X-Shopify-Event-Id"], "status": None,
                "attempts": 0, "shop": shop.domain, "body": body, "headers": {**headers, "X-Shopify-Webhook-Id": webhook_id},
            }
            self._deliveries.append(delivery)
            if self._webhook_url and not self._muted:
                self._outbox.append(delivery)
        self._outbox_changed.notify_all()

    def _send_webhooks(self) -> None:
        """The sender thread: first in, first out; a delivery is retried (same body, same headers) before the next."""
        while (delivery := self._next_delivery()) is not None:
            status = self._post(delivery)
            with self._lock:
                delivery["attempts"] += 1
                delivery["status"] = status
                done = status is not None and 200 <= status < 300 or delivery["attempts"] > len(self._retry_seconds)
                if done:
                    self._outbox.popleft()
                    self._outbox_changed.notify_all()
            if not done:
                self._stopped.wait(self._retry_seconds[delivery["attempts"] - 1])

    def _next_delivery(self) -> dict | None:
        with self._lock:
            self._outbox_changed.wait_for(lambda: self._stopped.is_set() or (self._outbox and not self._held))
            return None if self._stopped.is_set() else self._outbox[0]

    def _post(self, delivery: dict) -> int | None:
        """The receiver's status, None when it could not be reached. (http.client, unlike urllib, keeps the headers'
        spelling: X-Shopify-Hmac-Sha256, not X-shopify-hmac-sha256.)"""
        url = urlsplit(self._webhook_url)
        connection = http.client.HTTPConnection(url.hostname, url.port, timeout=5)
        try:
            connection.request("POST", url.path + (f"?{url.query}" if url.query else ""), delivery["body"], delivery["headers"])
            response = connection.getresponse()
            response.read()  # read to its end: closing on an unread answer resets the receiver's connection
            return response.status
        except (OSError, http.client.HTTPException):
            return None
        finally:
            connection.close()

    # --- the Admin API ----------------------------------------------------------------------------------------

    def capture(self, domain: str, node: dict) -> None:
        """A real shop's Admin API object (an order, return, refund or reverse delivery, as a query answered it),
        answered from now on for its id: a captured notification can then be replayed and hydrated here."""
        with self._lock:
            self._shop(domain).captured[node["id"]] = node

    def _answer(self, request: BaseHTTPRequestHandler, method: str) -> None:
        raw = request.rfile.read(int(request.headers.get("Content-Length") or 0))
        if request.path == CAPTURE_PATH and method == "POST":
            captured = json.loads(raw)
            self.capture(captured["domain"], captured["node"])
            return send_json(request, 200, {"captured": captured["node"]["id"]})
        with self._lock:
            status, answer, late = self._graphql(method, request.path, request.headers.get("X-Shopify-Access-Token"), raw)
        if late:
            time.sleep(self._late)
        send_json(request, status, answer)

    def _graphql(self, method: str, path: str, token: str | None, raw: bytes) -> tuple[int, dict, bool]:
        """Under the lock: the HTTP status, the answer, and whether it comes late."""
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if isinstance(body, dict):
            self.requests.append((body.get("operationName"), body.get("variables") or {}))
        place = _PATH.fullmatch(path)
        shop = self._shops.get(place["domain"]) if place and method == "POST" else None
        if shop is None or place["version"] not in self._versions:
            self.calls["not_found"] += 1
            return 404, {"errors": "Not Found"}, False
        if not shop.installed or token != shop.token:
            self.calls["unauthorized"] += 1
            return 401, {"errors": UNAUTHORIZED}, False
        if not isinstance(body, dict) or not isinstance(body.get("variables") or {}, dict):
            self.calls["bad_request"] += 1
            return 400, {"errors": {"query": "Required parameter missing or invalid"}}, False
        operation = body.get("operationName")
        cost = self._mutation_cost if operation in MUTATIONS else self._query_cost
        index = next((i for i, (_, target, _) in enumerate(self._script) if target in (None, operation)), None)
        fault, _, detail = self._script[index] if index is not None else (None, None, {})
        available = self._refill(shop)
        throttled = fault == "throttle" or (fault != "fail" and available < cost)
        if fault and (fault == "throttle" or not throttled):  # a fault waits while the bucket refuses its call
            del self._script[index]
        if fault == "fail":
            self.calls["failed"] += 1
            return detail["status"], {"errors": "Service Unavailable"}, False
        if throttled:
            self.calls["throttled"] += 1
            return 200, {"errors": [THROTTLED], "extensions": self._cost(shop, cost, None)}, False
        shop.available -= cost
        extensions, late = self._cost(shop, cost, cost), fault == "time_out"
        if late:
            self.calls["timed_out"] += 1
        try:
            data = self._run(shop, operation, body, place["version"], detail.get("error"))
        except _GraphQLError as error:
            self.calls["graphql_error"] += 1
            return 200, {"errors": [error.answer], "extensions": extensions}, late
        return 200, {"data": data, "extensions": extensions}, late

    def _refill(self, shop: _Shop) -> float:
        now = time.monotonic()
        shop.available = min(self._bucket_size, shop.available + (now - shop.refilled_at) * self._restore_rate)
        shop.refilled_at = now
        return shop.available

    def _cost(self, shop: _Shop, requested: int, actual: int | None) -> dict:
        return {"cost": {"requestedQueryCost": requested, "actualQueryCost": actual, "throttleStatus": {
            "maximumAvailable": self._bucket_size, "currentlyAvailable": round(shop.available, 1),
            "restoreRate": self._restore_rate}}}

    def _run(self, shop: _Shop, operation, body: dict, version: str, user_error: dict | None) -> dict:
        variables = body.get("variables") or {}
        if operation in QUERIES:
            self.calls[operation] += 1
            captured = shop.captured.get(variables.get("id"))
            return {QUERIES[operation]: captured or self._handlers[operation](shop, variables.get("id"))}
        if operation not in MUTATIONS:
            raise _GraphQLError(f'No operation named "{operation}"', code="BAD_REQUEST")
        field, answered = MUTATIONS[operation]
        key = self._idempotency_key(field, body.get("query") or "", variables, version)
        if user_error:
            self.calls["user_error"] += 1
            return {field: {answered: None, "userErrors": [user_error]}}
        if key in shop.answers:
            self.calls["replayed"] += 1
            return shop.answers[key]
        given = variables if operation in WITHOUT_INPUT else variables.get("input")
        if not isinstance(given, dict):
            raise _GraphQLError("Variable $input was provided invalid value", code="INVALID_VARIABLE")
        self.calls[operation] += 1
        data = {field: self._handlers[operation](shop, given)}
        if key is not None:
            shop.answers[key] = data
        return data

    def _idempotency_key(self, field: str, query: str, variables: dict, version: str) -> str | None:
        """The key of `field(...) @idempotent(key: $variable or "literal")`; None for the other mutations, and for
        these without the directive before it was mandatory."""
        if field not in IDEMPOTENT:
            return None
        directive = re.search(rf'\b{field}\s*\([^)]*\)\s*@idempotent\s*\(\s*key\s*:\s*(?:\$(\w+)|"([^"]*)")\s*\)', query)
        if directive is None:
            if version < IDEMPOTENT_FROM:
                return None
            raise _GraphQLError("The @idempotent directive is required for this mutation", code="BAD_REQUEST")
        variable, literal = directive.groups()
        key = literal if variable is None else variables.get(variable)
        if not isinstance(key, str):
            raise _GraphQLError(f"Variable ${variable} of type String! was provided invalid value", code="INVALID_VARIABLE")
        return key

    # --- queries ----------------------------------------------------------------------------------------------

    def _order_node(self, shop: _Shop, gid) -> dict | None:
        order = _lookup(shop.orders, gid)
        if order is None:
            return None
        currency = order["currency"]
        return {
            "id": order["id"], "name": order["name"], "createdAt": _iso(order["created_at"]),
            "updatedAt": _iso(order["updated_at"]), "processedAt": _iso(order["processed_at"]),
            "cancelledAt": _iso(order["cancelled_at"]), "displayFinancialStatus": order["financial_status"],
            "presentmentCurrencyCode": currency,
            "customer": {"id": order["customer_id"]} if order["customer_id"] else None,
            "totalShippingPriceSet": _money_set(order["shipping"], currency),
            "lineItems": {"nodes": [{
                "id": item["id"], "sku": item["sku"], "quantity": item["quantity"],
                "product": {"productType": item["product_type"]} if item["product_type"] is not None else None,
                "originalUnitPriceSet": _money_set(item["price"], currency),
                "discountAllocations": [{"allocatedAmountSet": _money_set(item["discount"], currency)}] if item["discount"] else [],
            } for item in order["line_items"]], "pageInfo": {"hasNextPage": False}},
            "fulfillments": [{
                "id": f["id"], "status": f["status"], "createdAt": _iso(f["created_at"]), "deliveredAt": _iso(f["delivered_at"]),
                "trackingInfo": [{"company": f["company"], "number": f["number"]}],
            } for f in order["fulfillments"]],
            "transactions": [{
                "id": t["id"], "kind": t["kind"], "status": t["status"], "amountSet": _money_set(t["amount"], currency),
                "parentTransaction": {"id": t["parent_id"]} if t["parent_id"] else None, "gateway": "bogus",
            } for t in order["transactions"]],
            "refunds": [
                {**_refund_summary(r, currency), "note": r["note"], "return": {"id": r["return_id"]} if r["return_id"] else None}
                for r in map(shop.refunds.get, order["refund_ids"])
            ],
            "fulfillmentOrders": {"nodes": [{
                "id": fo["id"], "status": fo["status"],
                "lineItems": {"nodes": [{
                    "lineItem": {"id": item["id"]},
                    "remainingQuantity": 0 if fo["status"] == "CLOSED" else item["quantity"],
                } for item in order["line_items"]]},
            } for fo in order["fulfillment_orders"]]},
        }

    def _return_node(self, shop: _Shop, gid) -> dict | None:
        ret = _lookup(shop.returns, gid)
        if ret is None:
            return None
        decline = ret["decline"]
        return {
            "id": ret["id"], "name": ret["name"], "status": ret["status"], "createdAt": _iso(ret["created_at"]),
            "order": {"id": ret["order_id"]}, "decline": dict(decline) if decline else None,
            "returnLineItems": {"nodes": [{
                "id": line["id"], "quantity": line["quantity"], "processedQuantity": line["processed_quantity"],
                "returnReason": line["return_reason"], "returnReasonNote": line["return_reason_note"],
                "customerNote": line["customer_note"], "fulfillmentLineItem": {"lineItem": {"id": line["line_item_id"]}},
            } for line in ret["return_line_items"]]},
            "reverseFulfillmentOrders": {"nodes": [{"id": rfo["id"], "reverseDeliveries": {"nodes": [
                {"id": d["id"], "deliverable": _deliverable(d)} for d in rfo["reverse_deliveries"]]}}
                for rfo in ret["reverse_fulfillment_orders"]]},
            "refunds": {"nodes": self._return_refunds(shop, ret)},
            "exchangeLineItems": {"nodes": [{
                "id": line["id"], "quantity": line["quantity"], "processedQuantity": line["processed_quantity"],
                "variantId": line["variant_id"],
                "lineItems": [{"sku": line["sku"], "originalUnitPriceSet": _money_set(line["price"], shop.orders[ret["order_id"]]["currency"])}],
            } for line in ret["exchange_line_items"]]},
        }

    def _refund_node(self, shop: _Shop, gid) -> dict | None:
        refund = _lookup(shop.refunds, gid)
        if refund is None:
            return None
        currency = shop.orders[refund["order_id"]]["currency"]
        return {
            **_refund_summary(refund, currency), "note": refund["note"], "order": {"id": refund["order_id"]},
            "return": {"id": refund["return_id"]} if refund["return_id"] else None,
            "refundLineItems": {"nodes": [{
                "quantity": line["quantity"], "lineItem": {"id": line["line_item_id"]},
                "subtotalSet": _money_set(line["subtotal"], currency),
            } for line in refund["refund_line_items"]]},
        }

    def _reverse_delivery_node(self, shop: _Shop, gid) -> dict | None:
        for ret in shop.returns.values():
            for rfo in ret["reverse_fulfillment_orders"]:
                for delivery in rfo["reverse_deliveries"]:
                    if delivery["id"] == gid:
                        return {"id": gid, "deliverable": _deliverable(delivery),
                                "reverseFulfillmentOrder": {"id": rfo["id"], "return": {"id": ret["id"]}}}
        return None

    def _return_refunds(self, shop: _Shop, ret: dict) -> list[dict]:
        currency = shop.orders[ret["order_id"]]["currency"]
        return [_refund_summary(shop.refunds[gid], currency) for gid in ret["refund_ids"]]

    # --- mutations (under the lock; each checks everything before it changes anything) -----------------------

    def _approve(self, shop: _Shop, given: dict) -> dict:
        ret = _lookup(shop.returns, given.get("id"))
        if ret is None or ret["status"] != "REQUESTED":
            return {"return": None, "userErrors": [_not_found(["input", "id"]) if ret is None else _user_error(
                ["input", "id"], "Return is not approvable. Only returns with status REQUESTED can be approved.",
                "INVALID_STATE")]}
        ret["status"] = "OPEN"
        ret["reverse_fulfillment_orders"].append({"id": self._gid("ReverseFulfillmentOrder"), "reverse_deliveries": []})
        self._touch(shop.orders[ret["order_id"]])
        self._emit(shop, "returns/approve", _return_payload(ret))
        return {"return": {"id": ret["id"], "status": ret["status"]}, "userErrors": []}

    def _decline(self, shop: _Shop, given: dict) -> dict:
        reason = given.get("declineReason")
        if reason not in DECLINE_REASONS:
            raise _GraphQLError(
                "Variable $input of type ReturnDeclineRequestInput! was provided invalid value for declineReason "
                f"(Expected \"{reason}\" to be one of: {', '.join(DECLINE_REASONS)})", code="INVALID_VARIABLE")
        ret = _lookup(shop.returns, given.get("id"))
        if ret is None or ret["status"] != "REQUESTED":
            return {"return": None, "userErrors": [_not_found(["input", "id"]) if ret is None else _user_error(
                ["input", "id"], "Return is not declinable. Only returns with status REQUESTED can be declined.",
                "INVALID_STATE")]}
        ret["status"], ret["decline"] = "DECLINED", {"reason": reason, "note": given.get("declineNote") or ""}
        self._touch(shop.orders[ret["order_id"]])
        self._emit(shop, "returns/decline", _return_payload(ret))
        return {"return": {"id": ret["id"], "status": ret["status"]}, "userErrors": []}

    def _process(self, shop: _Shop, given: dict) -> dict:
        ret = _lookup(shop.returns, given.get("returnId"))
        if ret is None or ret["status"] != "OPEN":
            return {"return": None, "userErrors": [_not_found(["input", "returnId"]) if ret is None else _user_error(
                ["input", "returnId"], "Return is not processable. Only returns with status OPEN can be processed.",
                "INVALID_STATE")]}
        order = shop.orders[ret["order_id"]]
        left = {line["id"]: line["quantity"] - line["processed_quantity"] for line in ret["return_line_items"]}
        lines, errors = [], []
        for i, wanted in enumerate(given.get("returnLineItems") or []):
            gid, quantity = wanted.get("id"), wanted.get("quantity")
            if _lookup(left, gid) is None:
                errors.append(_not_found(["input", "returnLineItems", str(i), "id"]))
            elif type(quantity) is not int or not 0 < quantity <= left[gid]:
                errors.append(_user_error(["input", "returnLineItems", str(i), "quantity"],
                                          f"Quantity must be between 1 and {left[gid]}, what is left to process.", "INVALID"))
            else:
                left[gid] -= quantity
                lines.append((gid, quantity))
        transfer = given.get("financialTransfer")
        asked = ((transfer or {}).get("issueRefund") or {}).get("orderTransactions") or []
        sales, refund_errors = _sales_to_refund(
            order, [(t.get("parentId"), (t.get("transactionAmount") or {}).get("amount")) for t in asked],
            ["input", "financialTransfer", "issueRefund", "orderTransactions"], ["transactionAmount", "amount"])
        exchanges = {line["id"]: line for line in ret["exchange_line_items"]}
        exchanged = []
        for i, wanted in enumerate(given.get("exchangeLineItems") or []):
            line, quantity = _lookup(exchanges, wanted.get("id")), wanted.get("quantity")
            if line is None:
                errors.append(_not_found(["input", "exchangeLineItems", str(i), "id"]))
            elif type(quantity) is not int or not 0 < quantity <= line["quantity"] - line["processed_quantity"]:
                errors.append(_user_error(["input", "exchangeLineItems", str(i), "quantity"],
                                          "Quantity must be at most what is left to process.", "INVALID"))
            else:
                exchanged.append((line, quantity))
        if errors or refund_errors:
            return {"return": None, "userErrors": errors + refund_errors}
        for line, quantity in exchanged:
            line["processed_quantity"] += quantity
            # Processing an exchange line creates the fulfillment order that ships the replacement.
            order["fulfillment_orders"].append({"id": self._gid("FulfillmentOrder"), "status": "OPEN", "hold": None,
                                                "exchange_line_item_id": line["id"]})
        by_id = {line["id"]: line for line in ret["return_line_items"]}
        items = {item["id"]: item for item in order["line_items"]}
        for gid, quantity in lines:
            by_id[gid]["processed_quantity"] += quantity
        if transfer is not None:
            refund_lines = [(items[by_id[gid]["line_item_id"]], quantity, "RETURN") for gid, quantity in lines]
            self._make_refund(shop, order, refund_lines, sales, ret)
        self._touch(order)
        if all(line["processed_quantity"] == line["quantity"]
               for line in ret["return_line_items"] + ret["exchange_line_items"]):
            ret["status"] = "CLOSED"
            self._emit(shop, "returns/close", _return_payload(ret, closed=True))
        return {"return": {"id": ret["id"], "status": ret["status"], "refunds": {"nodes": self._return_refunds(shop, ret)}},
                "userErrors": []}

    def _refund_create(self, shop: _Shop, given: dict) -> dict:
        order = _lookup(shop.orders, given.get("orderId"))
        if order is None:
            return {"refund": None, "userErrors": [_not_found(["input", "orderId"], "Order does not exist.")]}
        items = {item["id"]: item for item in order["line_items"]}
        lines, errors = [], []
        for i, wanted in enumerate(given.get("refundLineItems") or []):
            item, quantity = _lookup(items, wanted.get("lineItemId")), wanted.get("quantity")
            if item is None:
                errors.append(_not_found(["input", "refundLineItems", str(i), "lineItemId"], "Line item does not exist."))
            elif type(quantity) is not int or not 0 < quantity <= item["quantity"]:
                errors.append(_user_error(["input", "refundLineItems", str(i), "quantity"],
                                          f"Quantity must be between 1 and {item['quantity']}.", "INVALID"))
            else:
                lines.append((item, quantity, wanted.get("restockType")))
        sales, refund_errors = _sales_to_refund(
            order, [(t.get("parentId"), t.get("amount")) for t in given.get("transactions") or []],
            ["input", "transactions"], ["amount"])
        shipping = _decimal((given.get("shipping") or {}).get("amount", "0"))
        if shipping is None or shipping < 0:
            errors.append(_user_error(["input", "shipping", "amount"], "Amount must be a decimal, 0 or more.", "INVALID"))
        if errors or refund_errors:
            return {"refund": None, "userErrors": errors + refund_errors}
        refund = self._make_refund(shop, order, lines, sales, None, given.get("note"), shipping)
        self._touch(order)
        return {"refund": _refund_summary(refund, order["currency"]), "userErrors": []}

    def _hold(self, shop: _Shop, given: dict) -> dict:
        """fulfillmentOrderHold(id:, fulfillmentHold: {reason, reasonNotes}): only an OPEN or SCHEDULED one."""
        found = next(((order, fo) for order in shop.orders.values() for fo in order["fulfillment_orders"]
                      if fo["id"] == given.get("id")), None)
        if found is None:
            return {"fulfillmentOrder": None, "userErrors": [_not_found(["id"], "Fulfillment order does not exist.")]}
        order, fulfillment_order = found
        if fulfillment_order["status"] not in HOLDABLE:
            return {"fulfillmentOrder": None, "userErrors": [_user_error(
                ["id"], f"The fulfillment order is {fulfillment_order['status'].lower()} and cannot be put on hold.",
                "INVALID_STATE")]}
        fulfillment_order["status"] = "ON_HOLD"
        fulfillment_order["hold"] = dict(given.get("fulfillmentHold") or {})
        self._touch(order)
        return {"fulfillmentOrder": {"id": fulfillment_order["id"], "status": "ON_HOLD"}, "userErrors": []}

    # --- state ------------------------------------------------------------------------------------------------

    def _make_refund(
        self, shop: _Shop, order: dict, lines: list[tuple[dict, int, str]], sales: list[tuple[dict, Decimal]],
        ret: dict | None, note: str | None = None, shipping: Decimal = Decimal(0),
    ) -> dict:
        """Under the lock: refunds `lines` [(line item, quantity, restock type)] by paying back `sales`
        [(SALE transaction, amount)], linked to `ret`; sends refunds/create. The caller touches the order."""
        refund = {
            "id": self._gid("Refund"), "order_id": order["id"], "return_id": ret and ret["id"], "created_at": self._now(),
            "note": note, "shipping": shipping,
            "refund_line_items": [{
                "id": self._gid("RefundLineItem"), "line_item_id": item["id"], "quantity": quantity,
                "restock_type": restock, "subtotal": _subtotal(item, quantity),
            } for item, quantity, restock in lines],
            "transactions": [self._transaction(order, "REFUND", amount, sale["id"]) for sale, amount in sales],
        }
        refund["total"] = sum((t["amount"] for t in refund["transactions"]), Decimal(0))
        shop.refunds[refund["id"]] = refund
        order["refund_ids"].append(refund["id"])
        if ret:
            ret["refund_ids"].append(refund["id"])
        self._emit(shop, "refunds/create", _refund_payload(refund, order["currency"]))
        return refund

    def _transaction(self, order: dict, kind: str, amount: Decimal, parent_id: str | None) -> dict:
        transaction = {"id": self._gid("OrderTransaction"), "kind": kind, "status": "SUCCESS", "amount": amount,
                       "parent_id": parent_id, "created_at": self._now()}
        order["transactions"].append(transaction)
        return transaction

    def _touch(self, order: dict) -> None:
        """updatedAt moves on every change, by a second at least (its resolution) whatever the clock says."""
        order["updated_at"] = max(self._now(), order["updated_at"] + timedelta(seconds=1))
        order["financial_status"] = _financial_status(order)

    def _shop(self, domain: str) -> _Shop:
        if domain not in self._shops:
            raise KeyError(f"no shop {domain}: add_shop first")
        return self._shops[domain]

    def _gid(self, kind: str) -> str:
        return f"gid://shopify/{kind}/{next(self._ids)}"

    def _now(self) -> datetime:
        return self._clock().astimezone(timezone.utc).replace(microsecond=0)


# --- Shopify's rules and shapes -------------------------------------------------------------------------------

def _refundable(order: dict) -> Decimal:
    paid = sum((t["amount"] for t in order["transactions"] if t["kind"] == "SALE"), Decimal(0))
    return paid - sum((t["amount"] for t in order["transactions"] if t["kind"] == "REFUND"), Decimal(0))


def _financial_status(order: dict) -> str:
    paid = sum((t["amount"] for t in order["transactions"] if t["kind"] == "SALE"), Decimal(0))
    refunded = paid - _refundable(order)
    if not paid:
        return "PENDING"
    return "PAID" if not refunded else "PARTIALLY_REFUNDED" if refunded < paid else "REFUNDED"


def _sales_to_refund(
    order: dict, asked: list[tuple], field: list[str], amount_field: list[str],
) -> tuple[list[tuple[dict, Decimal]], list[dict]]:
    """(SALE, amount) for each (parentId, amount) asked, and the userErrors: an unknown parent, a bad amount, more
    than is left refundable."""
    sales = {t["id"]: t for t in order["transactions"] if t["kind"] == "SALE"}
    chosen, errors = [], []
    for i, (parent, amount) in enumerate(asked):
        sale, value = _lookup(sales, parent), _decimal(amount)
        if sale is None:
            errors.append(_user_error([*field, str(i), "parentId"], "Transaction is not a sale of this order.", "INVALID"))
        if value is None or value <= 0:
            errors.append(_user_error([*field, str(i), *amount_field], "Amount must be a positive decimal.", "INVALID"))
        chosen.append((sale, value))
    if not errors and sum((value for _, value in chosen), Decimal(0)) > _refundable(order):
        errors.append(_user_error(field, "Refund amount exceeds the refundable amount", "INVALID"))
    return chosen, errors


def _decimal(value) -> Decimal | None:
    """An amount given as a decimal string (or a number), None when it is not one."""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def _subtotal(item: dict, quantity: int) -> Decimal:
    """The line's price after its discount, for `quantity` of it."""
    return ((item["price"] * item["quantity"] - item["discount"]) * quantity / item["quantity"]).quantize(CENT)


def _lookup(table: dict, gid):
    return table.get(gid) if isinstance(gid, str) else None


def _need(table: dict, gid: str) -> dict:
    if _lookup(table, gid) is None:
        raise ValueError(f"unknown {gid}")
    return table[gid]


def _user_error(field: list[str], message: str, code: str) -> dict:
    return {"field": field, "message": message, "code": code}


def _not_found(field: list[str], message: str = "Return does not exist.") -> dict:
    return _user_error(field, message, "NOT_FOUND")


def _number(gid: str) -> int:
    return int(gid.rsplit("/", 1)[1])


def _amount(value: Decimal) -> str:
    """Shopify's rendering: normalized, with at least one decimal ("10.0", "12.5", "19.99", "0.0")."""
    text = format(value.normalize(), "f")
    return text if "." in text else f"{text}.0"


def _money_set(value: Decimal, currency: str) -> dict:
    return {"presentmentMoney": {"amount": _amount(value), "currencyCode": currency}}


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def _deliverable(delivery: dict) -> dict:
    return {"tracking": {"carrierName": delivery["carrier_name"], "number": delivery["number"]}}


def _refund_summary(refund: dict, currency: str) -> dict:
    return {"id": refund["id"], "createdAt": _iso(refund["created_at"]),
            "totalRefundedSet": _money_set(refund["total"], currency)}


def _order_payload(order: dict) -> dict:
    return {
        "id": _number(order["id"]), "admin_graphql_api_id": order["id"], "name": order["name"],
        "updated_at": _iso(order["updated_at"]), "created_at": _iso(order["created_at"]), "currency": order["currency"],
        "total_price": _amount(order["total_price"]), "financial_status": order["financial_status"].lower(),
        "cancelled_at": _iso(order["cancelled_at"]),
        "line_items": [{"id": _number(item["id"]), "admin_graphql_api_id": item["id"], "sku": item["sku"],
                        "quantity": item["quantity"], "price": _amount(item["price"])} for item in order["line_items"]],
    }


def _fulfillment_payload(order: dict, fulfillment: dict) -> dict:
    return {
        "id": _number(fulfillment["id"]), "admin_graphql_api_id": fulfillment["id"], "order_id": _number(order["id"]),
        "status": fulfillment["status"].lower(), "tracking_company": fulfillment["company"],
        "tracking_number": fulfillment["number"], "shipment_status": "delivered" if fulfillment["delivered_at"] else None,
        "updated_at": _iso(fulfillment["updated_at"]),
    }


def _return_payload(ret: dict, closed: bool = False) -> dict:
    """returns/request, approve, decline, cancel; returns/close names its order by `order_id` alone."""
    order = {"order_id": _number(ret["order_id"])} if closed else {
        "order": {"id": _number(ret["order_id"]), "admin_graphql_api_id": ret["order_id"]}}
    decline = ret["decline"]
    return {
        "id": _number(ret["id"]), "admin_graphql_api_id": ret["id"], "status": ret["status"].lower(), **order,
        "return_line_items": [{
            "id": _number(line["id"]), "admin_graphql_api_id": line["id"], "quantity": line["quantity"],
            "return_reason": line["return_reason"].lower(), "return_reason_note": line["return_reason_note"],
            "customer_note": line["customer_note"], "fulfillment_line_item": {
                "id": line["fulfillment_line_item_id"],
                "line_item": {"id": _number(line["line_item_id"]), "admin_graphql_api_id": line["line_item_id"]}},
        } for line in ret["return_line_items"]],
        "decline": {"reason": decline["reason"].lower(), "note": decline["note"]} if decline else None,
    }


def _reverse_delivery_payload(ret: dict, delivery: dict) -> dict:
    return {
        "id": _number(delivery["id"]), "admin_graphql_api_id": delivery["id"],
        "return": {"id": _number(ret["id"]), "admin_graphql_api_id": ret["id"]},
        "shipping_deliverable": {"tracking": {"carrier_name": delivery["carrier_name"],
                                              "tracking_number": delivery["number"], "tracking_url": None}, "label": None},
    }


def _refund_payload(refund: dict, currency: str) -> dict:
    def money(value: Decimal) -> dict:
        return {"amount": str(value.quantize(CENT)), "currency_code": currency}

    return {
        "id": _number(refund["id"]), "admin_graphql_api_id": refund["id"], "order_id": _number(refund["order_id"]),
        "created_at": _iso(refund["created_at"]), "note": refund["note"],
        "return": {"id": _number(refund["return_id"]), "admin_graphql_api_id": refund["return_id"]} if refund["return_id"] else None,
        "refund_line_items": [{
            "id": _number(line["id"]), "line_item_id": _number(line["line_item_id"]), "quantity": line["quantity"],
            "subtotal": float(line["subtotal"]),
            "subtotal_set": {"shop_money": money(line["subtotal"]), "presentment_money": money(line["subtotal"])},
        } for line in refund["refund_line_items"]],
        "transactions": [{"id": _number(t["id"]), "kind": "refund", "status": "success",
                          "amount": str(t["amount"].quantize(CENT)), "currency": currency} for t in refund["transactions"]],
    }

