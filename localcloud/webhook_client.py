"""Sign and POST one webhook the way a marketplace does (used by `make run`, scripts/ and the e2e tests)."""

import json
import time
import urllib.error
import urllib.request

from chalicelib.domain.signatures import sign


def post_webhook(api_url: str, secret: str, body: bytes, source: str = "generic") -> tuple[int, dict]:
    """Returns the status and the JSON answer."""
    timestamp = str(int(time.time()))
    request = urllib.request.Request(
        f"{api_url.rstrip('/')}/v1/webhooks/{source}", data=body, method="POST",
        headers={"Content-Type": "application/json", "X-Aftersales-Timestamp": timestamp,
                 "X-Aftersales-Signature": sign(secret.encode(), timestamp, body)},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())
