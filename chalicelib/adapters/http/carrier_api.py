"""The tracking API the stale-shipment poller asks (an aggregator's, or the local cloud's simulated one):
GET {base}/trackings/{carrier}/{number} -> {"checkpoints": [{"status", "at", "location", "description"}]}."""

import json
import urllib.error
import urllib.parse
import urllib.request


class HttpCarrierApi:
    def __init__(self, base_url: str, timeout_seconds: float = 5.0) -> None:
        self._base = base_url.rstrip("/")
        self._timeout = timeout_seconds

    def checkpoints(self, carrier: str, tracking_number: str) -> list[dict]:
        path = f"/trackings/{urllib.parse.quote(carrier, safe='')}/{urllib.parse.quote(tracking_number, safe='')}"
        try:
            with urllib.request.urlopen(self._base + path, timeout=self._timeout) as response:
                return json.loads(response.read())["checkpoints"]
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return []
            raise
