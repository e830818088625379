"""HTTP clients of the API: a signed webhook the way a marketplace sends it, a carrier's tracking push, and a
staff call with an API key (used by `make run`, scripts/ and the e2e tests)."""

import json
import time
import urllib.error
import urllib.request

from chalicelib.connectors.carriers import CARRIER_STYLES
from chalicelib.domain.signatures import sign


def post_webhook(api_url: str, secret: str, body: bytes, source: str = "generic") -> tuple[int, dict]:
    """Returns the status and the JSON answer."""
    timestamp = str(int(time.time()))
    headers = {"X-Aftersales-Timestamp": timestamp, "X-Aftersales-Signature": sign(secret.encode(), timestamp, body)}
    return _call(f"{api_url.rstrip('/')}/v1/webhooks/{source}", "POST", body, headers)


def post_carrier_push(api_url: str, carrier: str, secret: str, body: bytes) -> tuple[int, dict]:
    """A tracking push the way the carrier signs it (see chalicelib/connectors/carriers)."""
    style = CARRIER_STYLES[carrier]
    headers = {style.SIGNATURE_HEADER: style.sign(secret.encode(), body)}
    return _call(f"{api_url.rstrip('/')}/v1/webhooks/carriers/{carrier}", "POST", body, headers)


def call_staff_api(api_url: str, api_key: str, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    """`path` with its query string; returns the status and the JSON answer."""
    data = json.dumps(body).encode() if body is not None else None
    return _call(f"{api_url.rstrip('/')}{path}", method, data, {"X-Api-Key": api_key})


def _call(url: str, method: str, body: bytes | None, headers: dict) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=body, method=method, headers={"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())
