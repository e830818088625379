"""An HTTP server on 127.0.0.1 (a free port, its own thread) for the simulated services of the local cloud."""

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self


class LoopbackServer:
    """The base of each simulated service: `answer(request, method)` answers every GET and POST."""

    def __init__(self, name: str, answer: Callable[[BaseHTTPRequestHandler, str], None]) -> None:

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802  (http.server's naming)
                answer(self, "GET")

            def do_POST(self) -> None:  # noqa: N802
                answer(self, "POST")

            def log_message(self, *args) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address) -> None:
                pass  # a client that stopped waiting closed its socket: expected here

        self._name = name
        self._http = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}"

    def start(self) -> Self:
        threading.Thread(target=self._http.serve_forever, name=self._name, daemon=True).start()
        return self

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()


def send_json(request: BaseHTTPRequestHandler, status: int, payload: dict) -> None:
    data = json.dumps(payload).encode()
    request.send_response(status)
    request.send_header("Content-Type", "application/json")
    request.send_header("Content-Length", str(len(data)))
    request.end_headers()
    request.wfile.write(data)
