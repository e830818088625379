"""The scheduled parcel watch: an approved return whose parcel never shows up in any carrier's tracking within
the policy's days expires, and its workflow closes it with no refund and that reason."""

from datetime import datetime

from chalicelib.bootstrap import Ports
from chalicelib.domain.clock import iso_utc
from chalicelib.domain.returns import Waiting

NO_TRACKING = "NoTracking"


def watch_parcels(ports: Ports, now: datetime) -> dict:
    expired = []
    for return_id in ports.returns.parcels_overdue(iso_utc(now)):
        record = ports.returns.get(return_id)
        if record is None or record.parcel is not None or record.waiting_for != Waiting.PARCEL:
            ports.returns.update(return_id, {}, remove=("parcel_watch",))  # tracking came after all
            continue
        reason = f"no tracking by {record.tracking_due_at}"
        if ports.workflows.fail(record.task_token, NO_TRACKING, reason):
            expired.append(return_id)
        ports.returns.update(return_id, {"expiry_reason": reason}, remove=("parcel_watch",))
    return {"expired": expired}
