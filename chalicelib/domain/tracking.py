"""A parcel's current status from checkpoints that arrive late, twice and out of order (pure).

The carrier's own event time orders checkpoints; at the same time the higher
status rank wins. A final status (delivered, returned to sender, expired) is
never replaced by a non-final one, whatever its time: a late or mis-timed
"in transit" scan cannot undo "delivered".
"""

import hashlib
from dataclasses import dataclass, field
from typing import NamedTuple

RANK = {
    "pending": 0, "info_received": 1, "in_transit": 2, "out_for_delivery": 3, "attempt_fail": 3,
    "available_for_pickup": 4, "exception": 4, "expired": 5, "returned_to_sender": 5, "delivered": 6,
}
FINAL = frozenset({"delivered", "returned_to_sender", "expired"})
# A parcel's timeline keeps at most this many checkpoints (a DynamoDB item holds 400 KB; a real parcel has a few
# dozen): later ones still move its status, they are only not kept.
MAX_TIMELINE = 200
# Statuses that need a person: the parcel is stuck, lost or on its way back.
PROBLEMS = frozenset({"exception", "expired", "returned_to_sender"})


def checkpoint_key(carrier: str, tracking_number: str, at: str, status: str, description: str | None) -> str:
    """What identifies a scan at its carrier, whoever relays it (the carrier's push, an aggregator, the poller, a
    shop): the key of its place in the parcel's timeline, and the event id of a carrier's checkpoint."""
    identity = f"{carrier}|{tracking_number}|{at}|{status}|{description or ''}"
    return f"trk-{hashlib.sha256(identity.encode('utf-8', 'surrogatepass')).hexdigest()[:32]}"


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


@dataclass(frozen=True, slots=True, kw_only=True)
class Shipment:
    """A parcel by carrier and tracking number: its checkpoints by id, its current status and its return."""

    carrier: str
    tracking_number: str
    checkpoints: dict[str, dict] = field(default_factory=dict)
    status: str | None = None
    status_at: str | None = None
    status_detail: dict = field(default_factory=dict)
    return_id: str | None = None
    poll_state: str | None = None
    next_poll_at: str | None = None
    poll_attempts: int = 0

    @property
    def current(self) -> Status | None:
        return Status(self.status, self.status_at) if self.status_at else None

    @property
    def delivered_at(self) -> str | None:
        """When the carrier first scanned the parcel delivered (ISO 8601 UTC), from its checkpoints; None if never."""
        return min((c["at"] for c in self.checkpoints.values() if c.get("status") == "delivered"), default=None)

    @property
    def final(self) -> bool:
        return self.status in FINAL
