"""The stale-shipment poller through the real HTTP adapter of the tracking API, against a loopback server that
answers some parcels badly (a 5xx, a body that is not JSON, JSON without checkpoints, no answer in time): each
bad parcel is counted and backed off, and the good ones are polled all the same."""

import json
import time
from datetime import datetime, timedelta, timezone

from chalicelib.adapters.http.carrier_api import HttpCarrierApi
from chalicelib.domain.events import canonical_events
from chalicelib.services.poll_carriers import poll_carriers
from localcloud.loopback import LoopbackServer
from tests.unit.services.given import ingested, twins

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=timezone.utc)
DUE = NOW + timedelta(hours=72)
DELIVERED = {"checkpoints": [{"status": "delivered", "at": "2026-11-24T09:00:00Z"}]}


def answer(request, method):
    number = request.path.rsplit("/", 1)[-1]
    status, body = {
        "SF-500": (500, b'{"error": "internal"}'),
        "SF-HTML": (200, b"<html>maintenance</html>"),
        "SF-NOKEY": (200, b'{"data": []}'),
    }.get(number, (200, json.dumps(DELIVERED).encode()))
    if number == "SF-SLOW":
        time.sleep(0.6)
    request.send_response(status)
    request.send_header("Content-Type", "application/json")
    request.send_header("Content-Length", str(len(body)))
    request.end_headers()
    request.wfile.write(body)


def test_bad_answers_of_the_tracking_api_are_counted_per_parcel_and_the_good_parcels_polled():
    server = LoopbackServer("tracking-api", answer).start()
    try:
        ports = twins(carrier_api=HttpCarrierApi(server.url, timeout_seconds=0.3))
        numbers = ["SF-1", "SF-500", "SF-HTML", "SF-NOKEY", "SF-SLOW", "SF-2"]
        ingested(ports, *({"event_id": f"cp-{n}", "type": "TrackingUpdated", "occurred_at": "2026-11-20T10:00:00Z",
                           "data": {"carrier": "sf-express", "tracking_number": n, "status": "in_transit"}}
                          for n in numbers), source="sf-express")
        result = poll_carriers(ports, DUE)
    finally:
        server.stop()
    assert (result["polled"], result["moved"], result["failed"]) == (6, 2, 4)
    assert {e["tracking_number"]: e["error"] for e in result["errors"]} == {
        "SF-500": "HTTPError", "SF-HTML": "JSONDecodeError", "SF-NOKEY": "KeyError", "SF-SLOW": "TimeoutError"}
    queued = [canonical_events.validate_json(body).data.tracking_number for body, _ in ports.queue.messages]
    assert sorted(queued) == ["SF-1", "SF-2"]
    assert {n: ports.shipments.get("sf-express", n).poll_attempts for n in numbers} == {
        "SF-1": 0, "SF-500": 1, "SF-HTML": 1, "SF-NOKEY": 1, "SF-SLOW": 1, "SF-2": 0}
