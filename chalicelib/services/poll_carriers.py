"""The scheduled stale-shipment poller: parcels quiet for the policy's hours are asked about at their carrier's
API, a bounded batch per run. What the carrier knows goes through the ingest queue like any push (the
checkpoint identity dedupes it); a parcel with nothing new backs off, and one with no movement for that long
puts its return in the logistics review queue."""

from datetime import datetime, timedelta

from chalicelib.bootstrap import Ports
from chalicelib.connectors.carriers.checkpoints import tracking_event
from chalicelib.domain.clock import iso_utc
from chalicelib.domain.policy import DEFAULT_TIER, return_policy
from chalicelib.domain.review import queue_fields
from chalicelib.domain.tracking import Shipment

BATCH = 50
MAX_BACKOFF = timedelta(days=7)


def poll_carriers(ports: Ports, now: datetime, batch: int = BATCH) -> dict:
    settings = ports.policies.current().resolve(None, DEFAULT_TIER)
    quiet = timedelta(hours=settings.stale_tracking_hours)
    polled, moved, flagged = 0, 0, []
    for shipment in ports.shipments.due_for_poll(iso_utc(now), batch):
        polled += 1
        carrier, number = shipment.carrier, shipment.tracking_number
        known = datetime.fromisoformat(shipment.status_at) if shipment.status_at else None
        news = [
            c for c in ports.carrier_api.checkpoints(carrier, number)
            if known is None or datetime.fromisoformat(c["at"]) > known
        ]
        for checkpoint in news:
            event = tracking_event(
                "carrier-api", carrier, number, checkpoint["status"], datetime.fromisoformat(checkpoint["at"]), now,
                None, checkpoint.get("location"), checkpoint.get("description"),
            )
            ports.queue.send(event.model_dump_json(), {"type": event.type, "source": "carrier-api", "event_id": event.event_id})
        if news:
            moved += 1
            ports.shipments.schedule_poll(carrier, number, iso_utc(now + quiet))
            continue
        attempts = shipment.poll_attempts + 1
        ports.shipments.schedule_poll(carrier, number, iso_utc(now + min(quiet * 2**attempts, MAX_BACKOFF)), attempts)
        if shipment.return_id and shipment.status_at and _flag_no_movement(shipment, ports, now):
            flagged.append(shipment.return_id)
    return {"polled": polled, "moved": moved, "no_movement": flagged}


def _flag_no_movement(shipment: Shipment, ports: Ports, now: datetime) -> bool:
    """Queue the parcel's return for logistics review with the SLA of the policy the return is held to."""
    record = ports.returns.get(shipment.return_id)
    if record is None or record.parcel_problem is not None or record.closed or record.inspection is not None:
        return False  # flagged once per trouble; a parcel the warehouse has, or of a closed return, is no one's
    sla_hours = return_policy(record, ports.policies.current).review_sla_hours
    problem = {"status": "no_movement", "at": shipment.status_at}
    return ports.returns.flag_parcel_problem(record.return_id, problem, queue_fields("logistics", sla_hours, now))
