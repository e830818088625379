"""The scheduled stale-shipment poller: parcels quiet for the policy's hours are asked about at their carrier's
API, a bounded batch per run. What the carrier knows goes through the ingest queue like any push (the
checkpoint identity dedupes it); a parcel with nothing new backs off, and one with no movement for that long
puts its return in the logistics review queue. A parcel whose carrier API call fails (an HTTP error, a timeout,
a malformed answer) is counted, backs off the same way, and the run goes on with the others."""

from datetime import datetime, timedelta

from chalicelib.bootstrap import Ports
from chalicelib.connectors.carriers.checkpoints import tracking_event
from chalicelib.domain.clock import iso_utc
from chalicelib.domain.events import TrackingUpdated
from chalicelib.domain.policy import DEFAULT_TIER, return_policy
from chalicelib.domain.review import queue_fields
from chalicelib.domain.tracking import Shipment

BATCH = 50
MAX_BACKOFF = timedelta(days=7)


def poll_carriers(ports: Ports, now: datetime, batch: int = BATCH) -> dict:
    """Returns what the run did: parcels polled, moved, returns flagged for no movement, and the parcels whose
    carrier API call failed (`failed`, and in `errors` which and why, for the log)."""
    settings = ports.policies.current().resolve(None, DEFAULT_TIER)
    quiet = timedelta(hours=settings.stale_tracking_hours)
    polled, moved, flagged, errors = 0, 0, [], []
    for shipment in ports.shipments.due_for_poll(iso_utc(now), batch):
        polled += 1
        carrier, number = shipment.carrier, shipment.tracking_number
        try:
            news = _news(shipment, ports.carrier_api.checkpoints(carrier, number), now)
        except Exception as error:  # an HTTP error, a timeout, an answer that is not checkpoints: this parcel's
            errors.append({"carrier": carrier, "tracking_number": number, "error": type(error).__name__,
                           "message": str(error)[:500]})
            _back_off(shipment, ports, now, quiet)
            continue
        for event in news:
            attributes = {"type": event.type, "source": "carrier-api", "event_id": event.event_id}
            ports.queue.send(event.model_dump_json(), attributes)
        if news:
            moved += 1
            ports.shipments.schedule_poll(carrier, number, iso_utc(now + quiet))
            continue
        _back_off(shipment, ports, now, quiet)
        if shipment.return_id and shipment.status_at and _flag_no_movement(shipment, ports, now):
            flagged.append(shipment.return_id)
    return {"polled": polled, "moved": moved, "no_movement": flagged, "failed": len(errors), "errors": errors}


def _news(shipment: Shipment, checkpoints: list[dict], now: datetime) -> list[TrackingUpdated]:
    """The carrier's checkpoints newer than the parcel's status, as events; raises on an answer that is not a
    list of checkpoints (nothing of such an answer is queued)."""
    if not isinstance(checkpoints, list):
        raise TypeError(f"the carrier API answered {type(checkpoints).__name__}, not a list of checkpoints")
    known = datetime.fromisoformat(shipment.status_at) if shipment.status_at else None
    events = []
    for checkpoint in checkpoints:
        at = datetime.fromisoformat(checkpoint["at"])
        if known is None or at > known:
            events.append(tracking_event(
                "carrier-api", shipment.carrier, shipment.tracking_number, checkpoint["status"], at, now,
                None, checkpoint.get("location"), checkpoint.get("description"),
            ))
    return events


def _back_off(shipment: Shipment, ports: Ports, now: datetime, quiet: timedelta) -> None:
    """Nothing new (or no answer): ask again after 2, 4, 8 ... quiet periods, at most MAX_BACKOFF."""
    attempts = shipment.poll_attempts + 1
    delay = min(quiet * 2**attempts, MAX_BACKOFF)
    ports.shipments.schedule_poll(shipment.carrier, shipment.tracking_number, iso_utc(now + delay), attempts)


def _flag_no_movement(shipment: Shipment, ports: Ports, now: datetime) -> bool:
    """Queue the parcel's return for logistics review with the SLA of the policy the return is held to."""
    record = ports.returns.get(shipment.return_id)
    if record is None or record.parcel_problem is not None or record.closed or record.inspection is not None:
        return False  # flagged once per trouble; a parcel the warehouse has, or of a closed return, is no one's
    sla_hours = return_policy(record, ports.policies.current).review_sla_hours
    problem = {"status": "no_movement", "at": shipment.status_at}
    return ports.returns.flag_parcel_problem(record.return_id, problem, queue_fields("logistics", sla_hours, now, record.marketplace_deadline))
