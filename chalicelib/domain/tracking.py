"""A parcel's current status from checkpoints that arrive late, twice and out of order (pure).

The carrier's own event time orders checkpoints; at the same time the higher
status rank wins. A final status (delivered, returned to sender, expired) is
never replaced by a non-final one, whatever its time: a late or mis-timed
"in transit" scan cannot undo "delivered".
"""

from typing import NamedTuple

RANK = {
    "pending": 0, "info_received": 1, "in_transit": 2, "out_for_delivery": 3, "attempt_fail": 3,
    "available_for_pickup": 4, "exception": 4, "expired": 5, "returned_to_sender": 5, "delivered": 6,
}
FINAL = frozenset({"delivered", "returned_to_sender", "expired"})
# Statuses that need a person: the parcel is stuck, lost or on its way back.
PROBLEMS = frozenset({"exception", "expired", "returned_to_sender"})


class Status(NamedTuple):
    status: str
    at: str  # ISO 8601 UTC, so text order is time order


def supersedes(new: Status, current: Status | None) -> bool:
    if current is None:
        return True
    if current.status in FINAL and new.status not in FINAL:
        return False
    return (new.at, RANK[new.status]) > (current.at, RANK[current.status])


def shipment_id(carrier: str, tracking_number: str) -> str:
    return f"{carrier}#{tracking_number}"


def delivered_at(shipment: dict | None) -> str | None:
    """When the carrier first scanned the parcel delivered (ISO 8601 UTC), from its checkpoints; None if never."""
    times = [c["at"] for c in (shipment or {}).get("checkpoints", {}).values() if c.get("status") == "delivered"]
    return min(times, default=None)
