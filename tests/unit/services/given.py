"""Given-steps for service tests on the in-memory twins: what is stored before the service runs.

Each step goes through the canonical events and the ingest service where that is how a record comes to be,
so a test's starting point is one the system can reach; a return is brought to where a workflow step starts
through the steps that come before it in the ASL.

The order of `tests/webhook_events.order_upserted` (CNY), worked out once (POLICY.md section 2):
  L1 299.00 x1                  line total 29900
  L2 33.33 x3 less 9.99         line total  9999 - 999 = 9000
  coupon 30.00 over 38900       L1 floor(3000*29900/38900) = 2305 r .91, L2 floor(3000*9000/38900) = 694 r .09;
                                the leftover cent goes to L1 (largest remainder): 2306 / 694
  net lines                     L1 29900 - 2306 = 27594, L2 9000 - 694 = 8306
  paid total                    27594 + 8306 + 1200 shipping = 37100
"""

import json
from datetime import datetime, timedelta, timezone

from chalicelib.adapters.memory import MemoryDirectory, memory_ports
from chalicelib.bootstrap import Ports
from chalicelib.domain.clock import iso_utc
from chalicelib.domain.events import canonical_events
from chalicelib.domain.sources import source_of
from chalicelib.domain.staff_keys import Role, Staff, StaffKey, secret_hash, staff_key_of
from chalicelib.services.ingest_event import ingest_event
from chalicelib.services.quote_return import quote_return
from chalicelib.services.verify_return import verify_return
from tests.webhook_events import order_upserted, return_requested

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=timezone.utc)


def twins(**overrides) -> Ports:
    return memory_ports(**overrides)


def registry(**entries: dict) -> MemoryDirectory:
    """The tenant registry, each entry as it is stored in SSM (domain/sources.py)."""
    return MemoryDirectory({name: source_of(name, json.dumps(entry)) for name, entry in entries.items()})


def staff_keys(**keys: tuple[str, list[str]]) -> MemoryDirectory:
    """key id -> (secret, roles), stored hashed as in SSM (domain/staff_keys.py)."""
    return MemoryDirectory({
        key_id: staff_key_of(key_id, json.dumps({"sha256": secret_hash(secret), "roles": roles}))
        for key_id, (secret, roles) in keys.items()
    })


def staff(*roles: str, key_id: str = "ana", address: str | None = "203.0.113.7") -> Staff:
    """Who makes a staff call, already authenticated."""
    return Staff(StaffKey(key_id, b"", frozenset(Role(role) for role in roles or ("admin",))), address)


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


L1_NET = 27594
L2_NET = 8306
SHIPPING = 1200
PAID_TOTAL = 37100
PHOTO = "https://img.example.com/RT-1/scuff.jpg"
RETRY = (60, 300)  # the waits of one round: three attempts


def delivered_on(at: str) -> dict:
    """Order data for an order delivered at `at`, paid and shipped the day before (the order's own dates)."""
    day_before = iso_utc(datetime.fromisoformat(at) - timedelta(days=1))
    return {"paid_at": day_before, "shipped_at": day_before, "delivered_at": at}


def unshipped() -> dict:
    """Order data for an order paid but not shipped yet."""
    return {"status": "paid", "shipped_at": None, "delivered_at": None}


def cancel_requested(return_id: str = "RT-1", order_id: str = "TM-1001", items: list[dict] | None = None,
                     reason: str = "changed_mind") -> dict:
    return {
        "event_id": f"evt-cancel-{return_id}", "type": "CancelRequested", "occurred_at": "2026-11-20T09:00:00Z",
        "data": {"return_id": return_id, "order_id": order_id, "reason": reason,
                 "items": items or [{"line_id": "L2", "quantity": 2}]},
    }


def evidence_added(return_id: str = "RT-1", urls: list[str] | None = None) -> dict:
    return {
        "event_id": f"evt-evidence-{return_id}", "type": "EvidenceAdded", "occurred_at": "2026-11-20T10:00:00Z",
        "data": {"return_id": return_id, "evidence_urls": urls or [PHOTO]},
    }


def hold_answered(return_id: str = "RT-1", outcome: str = "held") -> dict:
    return {
        "event_id": f"evt-hold-{return_id}", "type": "HoldShipmentAnswered", "occurred_at": "2026-11-20T11:00:00Z",
        "data": {"return_id": return_id, "outcome": outcome},
    }


def tracking_updated(return_id: str = "RT-1", status: str = "in_transit", at: str = "2026-11-21T08:00:00Z",
                     tracking_number: str | None = None) -> dict:
    return {
        "event_id": f"evt-trk-{return_id}-{status}", "type": "TrackingUpdated", "occurred_at": at,
        "data": {"carrier": "sf", "tracking_number": tracking_number or f"SF-{return_id}", "status": status,
                 "return_id": return_id},
    }


def a_tier(ports: Ports, tier: str, customer_id: str = "C-1") -> None:
    """The customer as ranked (after their orders arrived): ranking is the only writer of a tier."""
    ports.customers.set_tier(customer_id, tier, {"orders": 1}, iso_utc(NOW), "default-2026-11")


def verified(ports: Ports, return_id: str = "RT-1", order_id: str = "TM-1001", **request) -> dict:
    """A requested return, verified (the Verify step's result, as the state keeps it under `verification`)."""
    a_return(ports, return_id, order_id, **request)
    return verify_return(return_id, ports)


def quoted(ports: Ports, return_id: str = "RT-1", order_id: str = "TM-1001", accepted: list[dict] | None = None,
           **request) -> dict:
    """A verified return whose parcel was inspected (every requested unit accepted unless said), quoted."""
    verified(ports, return_id, order_id, **request)
    items = request.get("items", [{"line_id": "L1", "quantity": 1}])
    inspected(ports, return_id, accepted or [{"line_id": item["line_id"], "accepted": item["quantity"]} for item in items])
    return quote_return(return_id, ports)


def seller_fault(**request) -> dict:
    """A quality claim with its photo: approved, not parked for evidence."""
    return {"reason": "quality_issue", "evidence_urls": [PHOTO], **request}


__all__ = [
    "L1_NET", "L2_NET", "PAID_TOTAL", "PHOTO", "RETRY", "SHIPPING", "a_tier", "cancel_requested", "delivered_on",
    "evidence_added", "hold_answered", "ingested", "quoted", "seller_fault", "tracking_updated", "unshipped", "verified",
]
