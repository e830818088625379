"""A simulated carrier tracking API on loopback, for the stale-shipment poller (see chalicelib/adapters/carrier_api.py).

Tests and demos tell it what a carrier knows with `add`; the poller asks it
over real HTTP like it asks a production aggregator.
"""

import json
import threading
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote


class CarrierService:
    def __init__(self) -> None:
        self._trackings: dict[tuple[str, str], list[dict]] = defaultdict(list)
        self._lock = threading.Lock()
        self.requests = 0
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802  (http.server's naming)
                service._answer(self)

            def log_message(self, *args) -> None:
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._http.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}"

    def start(self) -> "CarrierService":
        threading.Thread(target=self._http.serve_forever, name="carrier-service", daemon=True).start()
        return self

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()

    def add(self, carrier: str, tracking_number: str, status: str, at: str, **detail) -> None:
        with self._lock:
            self._trackings[(carrier, tracking_number)].append({"status": status, "at": at, **detail})

    def _answer(self, request: BaseHTTPRequestHandler) -> None:
        self.requests += 1
        parts = request.path.strip("/").split("/")
        with self._lock:
            known = len(parts) == 3 and parts[0] == "trackings" and (unquote(parts[1]), unquote(parts[2])) in self._trackings
            body = {"checkpoints": self._trackings[(unquote(parts[1]), unquote(parts[2]))]} if known else {"error": "unknown"}
        data = json.dumps(body).encode()
        request.send_response(200 if known else 404)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)
