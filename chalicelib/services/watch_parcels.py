"""The scheduled parcel watch: an approved return whose parcel never shows up in any carrier's tracking within
the policy's days expires, and its workflow closes it with no refund and that reason."""

from dataclasses import dataclass
from datetime import datetime

from chalicelib.adapters.ports import ReturnStore, Workflows
from chalicelib.domain.events import iso_utc

NO_TRACKING = "NoTracking"


@dataclass(frozen=True)
class ParcelWatchPorts:
    returns: ReturnStore
    workflows: Workflows


def watch_parcels(ports: ParcelWatchPorts, now: datetime) -> dict:
    expired = []
    for due in ports.returns.parcels_overdue(iso_utc(now)):
        record = ports.returns.get(due["return_id"]) or {}
        if "parcel" in record or record.get("waiting_for") != "parcel":
            ports.returns.update(due["return_id"], {}, remove=("parcel_watch",))  # tracking came after all
            continue
        reason = f"no tracking by {record['tracking_due_at']}"
        if ports.workflows.fail(record["task_token"], NO_TRACKING, reason):
            expired.append(due["return_id"])
        ports.returns.update(due["return_id"], {"expiry_reason": reason}, remove=("parcel_watch",))
    return {"expired": expired}
