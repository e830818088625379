"""Given-steps for service tests on the in-memory twins: what is stored before the service runs.

Each step goes through the canonical events and the ingest service where that is how a record comes to be,
so a test's starting point is one the system can reach.
"""

from datetime import datetime, timezone

from chalicelib.adapters.memory import memory_ports
from chalicelib.bootstrap import Ports
from chalicelib.domain.events import canonical_events
from chalicelib.services.ingest_event import ingest_event
from tests.webhook_events import order_upserted, return_requested

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=timezone.utc)


def twins(**overrides) -> Ports:
    return memory_ports(**overrides)


def event(payload: dict, source: str = "tmall", received_at: datetime = NOW):
    return canonical_events.validate_python({**payload, "source": source, "received_at": received_at})


def ingested(ports: Ports, *payloads: dict, source: str = "tmall") -> list[str]:
    """Apply the events through the consumer's service, as the queue would hand them over."""
    return [ingest_event(event(payload, source), ports) for payload in payloads]


def an_order(ports: Ports, order_id: str = "TM-1001", **data) -> None:
    ingested(ports, order_upserted(order_id, **data))


def a_return(ports: Ports, return_id: str = "RT-1", order_id: str = "TM-1001", **data) -> None:
    """A requested return (the consumer stores it and starts its workflow)."""
    ingested(ports, return_requested(return_id, order_id, **data))


def inspected(ports: Ports, return_id: str = "RT-1", items: list[dict] | None = None, event_id: str | None = None) -> None:
    items = items or [{"line_id": "L1", "accepted": 1}]
    ingested(ports, {
        "event_id": event_id or f"ins-{return_id}", "type": "InspectionCompleted", "occurred_at": "2026-11-21T12:00:00Z",
        "data": {"return_id": return_id, "items": items},
    }, source="warehouse")
