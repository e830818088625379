"""HTTP clients of the API: a signed webhook the way a marketplace sends it, a carrier's tracking push, and a
staff call with an API key (used by `make run`, scripts/ and the e2e tests)."""

import json
import time
import urllib.error
import urllib.request
import uuid
from urllib.parse import urlencode

from chalicelib.connectors.carriers import CARRIER_STYLES, FORM, FORM_STYLES, kuaidi100, sf_open_platform
from chalicelib.domain.signatures import sign

# The content type the form styles post with, as Kuaidi100 and SF's open platform send it.
FORM_CONTENT_TYPE = f"{FORM};charset=UTF-8"
# What SF's open platform puts in the fields it does not sign (the partner is the account the check word is of).
SF_PARTNER_ID, SF_SERVICE_CODE = "AFTERSALES01", "RoutePushService"


def post_webhook(api_url: str, secret: str, body: bytes, source: str = "generic") -> tuple[int, dict]:
    """Returns the status and the JSON answer."""
    timestamp = str(int(time.time()))
    headers = {"X-Aftersales-Timestamp": timestamp, "X-Aftersales-Signature": sign(secret.encode(), timestamp, body)}
    return _call(f"{api_url.rstrip('/')}/v1/webhooks/{source}", "POST", body, headers)


def post_carrier_push(api_url: str, carrier: str, secret: str, body: bytes, form: bool = False) -> tuple[int, dict]:
    """A tracking push the way the carrier signs it (see chalicelib/connectors/carriers). `body`: the push's JSON
    (what its style parses); a style that posts a form sends it in the form's signed field (Kuaidi100 always, SF
    with `form`: its open platform's form, else its JSON route push). Returns the status and the JSON answer (a
    form style's is its carrier's: 200 and its receipt)."""
    headers, data = carrier_push_request(carrier, secret, body, form)
    return _call(f"{api_url.rstrip('/')}/v1/webhooks/carriers/{carrier}", "POST", data, headers)


def push_style(carrier: str, form: bool = False):
    """The style a push to this carrier name is sent in: its form style when asked for and it has one."""
    return FORM_STYLES[carrier] if form and carrier in FORM_STYLES else CARRIER_STYLES[carrier]


def carrier_push_request(carrier: str, secret: str, body: bytes, form: bool = False) -> tuple[dict, bytes]:
    """The headers and the body of a push signed in its style (see post_carrier_push)."""
    style = push_style(carrier, form)
    if style in FORM_FIELDS:
        fields = FORM_FIELDS[style](secret.encode(), body.decode("utf-8"))
        return {"Content-Type": FORM_CONTENT_TYPE}, urlencode(fields).encode("ascii")
    return {"Content-Type": "application/json", style.SIGNATURE_HEADER: style.sign(secret.encode(), body)}, body


def kuaidi100_fields(salt: bytes, param: str) -> list[tuple[str, str]]:
    """Kuaidi100's poll callback: the timeline's JSON in `param`, `sign` its MD5 with the salt."""
    return [("param", param), ("sign", kuaidi100.sign(salt, param.encode()))]


def sf_open_platform_fields(
    check_word: bytes, msg_data: str, timestamp: str | None = None, request_id: str | None = None,
) -> list[tuple[str, str]]:
    """SF's open-platform route push: the route nodes' JSON in `msgData`, signed with the timestamp (milliseconds) in
    `msgDigest` (the digest of the URL-encoded text, as SF makes it)."""
    timestamp = timestamp or str(int(time.time() * 1000))
    return [("partnerID", SF_PARTNER_ID), ("requestID", request_id or str(uuid.uuid4())),
            ("serviceCode", SF_SERVICE_CODE), ("timestamp", timestamp),
            ("msgDigest", sf_open_platform.digests(check_word, msg_data, timestamp)[0]), ("msgData", msg_data)]


# The styles that post a form, and how each signs its fields.
FORM_FIELDS = {kuaidi100: kuaidi100_fields, sf_open_platform: sf_open_platform_fields}


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
