"""The payment provider's refund API over HTTPS (the local cloud runs a simulated one on loopback).

POST {base}/refunds with an `Idempotency-Key` header and {payment_ref, currency, amount}: 200 with the refund
(the same one for a key asked again), 402/422 with {"error": {"code", "message"}} when refused, 409 when the
key already names a different refund. GET {base}/refunds?since=&until=[&cursor=] is the settlement report, in
pages: {"refunds": [...], "next_cursor": null or the cursor of the next page}.
Anything without an answer (timeout, connection lost, 429, 5xx) leaves the outcome unknown.
"""

import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable

from chalicelib.ports.errors import (
    PaymentDeclined,
    PaymentMismatch,
    PaymentNotConfirmed,
    ProviderUnavailable,
    TooManyPages,
)
from chalicelib.ports.paging import every_page


class HttpPaymentProvider:
    def __init__(self, base_url: str, api_key: Callable[[], bytes | None], timeout_seconds: float = 5.0) -> None:
        self._base = base_url.rstrip("/")
        self._api_key = api_key
        self._timeout = timeout_seconds

    def refund(self, payment_ref: str, currency: str, amount: str, idempotency_key: str) -> dict:
        body = json.dumps({"payment_ref": payment_ref, "currency": currency, "amount": amount}).encode()
        try:
            answer = self._call("POST", "/refunds", body, {"Idempotency-Key": idempotency_key})
        except urllib.error.HTTPError as error:
            if error.code == 429 or error.code >= 500:
                raise PaymentNotConfirmed(f"provider answered {error.code}") from None
            problem = _error_body(error)
            if error.code == 409:
                raise PaymentMismatch(f"{idempotency_key}: {problem.get('message', 'key names another refund')}") from None
            raise PaymentDeclined(problem.get("code") or f"http_{error.code}", problem.get("message") or error.reason) from None
        except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError) as error:
            raise PaymentNotConfirmed(f"no answer from the provider: {error}") from None
        refund = _refund(answer)
        if (refund["currency"], refund["amount"], refund["idempotency_key"]) != (currency, amount, idempotency_key):
            raise PaymentMismatch(f"{idempotency_key}: the provider answered {refund}")
        return refund

    def refunds_between(self, since: str, until: str) -> list[dict]:
        """Every page of the settlement report; a report that cannot be read to its end is unavailable."""

        def read(cursor):
            query = urllib.parse.urlencode({"since": since, "until": until, **({"cursor": cursor} if cursor else {})})
            page = self._call("GET", f"/refunds?{query}")
            return [_refund(item) for item in page["refunds"]], page.get("next_cursor") or None

        try:
            return every_page(read)
        except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError, ValueError, KeyError,
                TooManyPages) as error:
            raise ProviderUnavailable(f"the provider's refunds could not be read: {error}") from None

    def _call(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None) -> dict:
        if not self._base:
            raise RuntimeError("no payment provider: AFTERSALES_PAYMENT_PROVIDER_URL is not set")
        key = self._api_key()
        request = urllib.request.Request(self._base + path, data=body, method=method, headers={
            "Content-Type": "application/json", **({"Authorization": f"Bearer {key.decode()}"} if key else {}),
            **(headers or {}),
        })
        with urllib.request.urlopen(request, timeout=self._timeout) as response:
            return json.loads(response.read())


def _refund(item: dict) -> dict:
    return {
        "provider_refund_id": item["refund_id"], "payment_ref": item["payment_ref"], "currency": item["currency"],
        "amount": item["amount"], "idempotency_key": item["idempotency_key"], "created_at": item["created_at"],
    }


def _error_body(error: urllib.error.HTTPError) -> dict:
    try:
        problem = json.loads(error.read()).get("error")
    except (ValueError, AttributeError):
        return {}
    return problem if isinstance(problem, dict) else {}
