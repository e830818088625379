"""A simulated payment provider on loopback, speaking the refund API of chalicelib/adapters/http/payment_provider.py.

It keeps at most one refund per idempotency key, like a real provider, and can
be told to decline, to time out (it makes the refund and answers too late: the
case that must never lead to a second refund), to fail with a 503, or to answer
slowly; `time_out_rate` makes a seeded share of the calls time out (make chaos).
Its settlement report comes in pages of `report_page_size` refunds, each naming
the cursor of the next, as real providers' reports do.
"""

import json
import random
import threading
import time
from collections import Counter, deque
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlparse

from localcloud.loopback import LoopbackServer, send_json


class PaymentService(LoopbackServer):
    def __init__(
        self, api_key: str, late_answer_seconds: float = 1.5, time_out_rate: float = 0.0, seed: int = 7, clock=None,
        report_page_size: int = 100,
    ) -> None:
        """`late_answer_seconds`: how late a timed-out answer comes (longer than the client waits); `clock`: what
        time a refund is made at (tests), the wall clock by default."""
        self._clock = clock or (lambda: datetime.now(timezone.utc))
        self._api_key = api_key
        self._late = late_answer_seconds
        self._time_out_rate = time_out_rate
        self._rng = random.Random(seed)
        self._page_size = report_page_size
        self._refunds: dict[str, dict] = {}
        self._script: deque[tuple[str, dict]] = deque()
        self._slow = 0.0
        self._lock = threading.Lock()
        self.calls: Counter = Counter()  # by what happened: made, replayed, declined, timed_out, ..., report_pages
        super().__init__("payment-service", self._answer)

    def decline_next(self, times: int = 1, code: str = "account_closed", message: str = "the buyer's account is closed") -> None:
        self._add("decline", times, code=code, message=message)

    def time_out_next(self, times: int = 1) -> None:
        """The next calls make their refund (or replay it) but answer after the client stopped waiting."""
        self._add("time_out", times)

    def fail_next(self, times: int = 1) -> None:
        """The next calls answer 503 and make nothing."""
        self._add("unavailable", times)

    def answer_slowly(self, seconds: float) -> None:
        self._slow = seconds

    def refunds(self) -> list[dict]:
        with self._lock:
            return [dict(refund) for refund in self._refunds.values()]

    def _add(self, fault: str, times: int, **detail) -> None:
        with self._lock:
            self._script.extend([(fault, detail)] * times)

    def _answer(self, request: BaseHTTPRequestHandler, method: str) -> None:
        if request.headers.get("Authorization") != f"Bearer {self._api_key}":
            return send_json(request, 401, {"error": {"code": "unauthorized", "message": "unknown API key"}})
        url = urlparse(request.path)
        if method == "GET" and url.path == "/refunds":
            query = {name: values[0] for name, values in parse_qs(url.query).items()}
            since, until = query.get("since", ""), query.get("until", "~")
            refunds = sorted(
                (r for r in self.refunds() if since <= r["created_at"] < until),
                key=lambda r: (r["created_at"], r["refund_id"]),
            )
            start = int(query.get("cursor") or 0)
            end = start + self._page_size
            with self._lock:
                self.calls["report_pages"] += 1
            return send_json(request, 200, {"refunds": refunds[start:end], "next_cursor": str(end) if end < len(refunds) else None})
        if method != "POST" or url.path != "/refunds":
            return send_json(request, 404, {"error": {"code": "not_found", "message": url.path}})
        body = json.loads(request.rfile.read(int(request.headers.get("Content-Length") or 0)) or b"{}")
        key = request.headers.get("Idempotency-Key")
        if not key or not all(isinstance(body.get(f), str) and body[f] for f in ("payment_ref", "currency", "amount")):
            return send_json(request, 400, {"error": {"code": "invalid_request", "message": "payment_ref, currency, amount and Idempotency-Key"}})
        with self._lock:
            fault, detail = self._script.popleft() if self._script else (None, {})
            if fault is None and self._time_out_rate and self._rng.random() < self._time_out_rate:
                fault = "time_out"
            if fault == "decline":
                self.calls["declined"] += 1
                status, answer = 402, {"error": detail}
            elif fault == "unavailable":
                self.calls["unavailable"] += 1
                status, answer = 503, {"error": {"code": "unavailable", "message": "try again later"}}
            else:
                status, answer = self._refund(key, body)
        if fault == "time_out":
            self.calls["timed_out"] += 1
            time.sleep(self._late)
        elif self._slow:
            time.sleep(self._slow)
        send_json(request, status, answer)

    def _refund(self, key: str, body: dict) -> tuple[int, dict]:
        made = self._refunds.get(key)
        if made is None:
            made = self._refunds[key] = {
                "refund_id": f"PR-{len(self._refunds) + 1:06d}", "idempotency_key": key, "payment_ref": body["payment_ref"],
                "currency": body["currency"], "amount": body["amount"],
                "created_at": self._clock().strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
            self.calls["made"] += 1
        elif (made["payment_ref"], made["currency"], made["amount"]) != (body["payment_ref"], body["currency"], body["amount"]):
            self.calls["conflict"] += 1
            return 409, {"error": {"code": "idempotency_key_reused", "message": f"{key} names refund {made['refund_id']}"}}
        else:
            self.calls["replayed"] += 1
        return 200, dict(made)

