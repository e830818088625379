"""A simulated carrier tracking API on loopback, for the stale-shipment poller (see chalicelib/adapters/http/carrier_api.py).

Tests and demos tell it what a carrier knows with `add`; the poller asks it
over real HTTP like it asks a production aggregator.
"""

import json
import threading
from collections import defaultdict
from http.server import BaseHTTPRequestHandler
from urllib.parse import unquote

from localcloud.loopback import LoopbackServer


class CarrierService(LoopbackServer):
    def __init__(self) -> None:
        self._trackings: dict[tuple[str, str], list[dict]] = defaultdict(list)
        self._lock = threading.Lock()
        self.requests = 0
        super().__init__("carrier-service", self._answer)

    def add(self, carrier: str, tracking_number: str, status: str, at: str, **detail) -> None:
        with self._lock:
            self._trackings[(carrier, tracking_number)].append({"status": status, "at": at, **detail})

    def _answer(self, request: BaseHTTPRequestHandler, method: str) -> None:
        self.requests += 1
        parts = request.path.strip("/").split("/")
        with self._lock:
            known = method == "GET" and len(parts) == 3 and parts[0] == "trackings" and (unquote(parts[1]), unquote(parts[2])) in self._trackings
            body = {"checkpoints": self._trackings[(unquote(parts[1]), unquote(parts[2]))]} if known else {"error": "unknown"}
        data = json.dumps(body).encode()
        request.send_response(200 if known else 404)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)
