"""The scheduled stale-shipment poller: parcels quiet for the policy's hours are asked about at their carrier's
API, a bounded batch per run. What the carrier knows goes through the ingest queue like any push (the
checkpoint identity dedupes it); a parcel with nothing new backs off, and one with no movement for that long
puts its return in the logistics review queue."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.adapters.carriers.checkpoints import tracking_event
from chalicelib.adapters.ports import CarrierApi, EventQueue, PolicyStore, ReturnStore, ShipmentStore
from chalicelib.domain.events import iso_utc
from chalicelib.domain.policy import DEFAULT_TIER, return_policy
from chalicelib.domain.review import queue_fields

BATCH = 50
MAX_BACKOFF = timedelta(days=7)


@dataclass(frozen=True)
class PollPorts:
    shipments: ShipmentStore
    carrier_api: CarrierApi
    queue: EventQueue
    returns: ReturnStore
    policies: PolicyStore


def poll_carriers(ports: PollPorts, now: datetime, batch: int = BATCH) -> dict:
    settings = ports.policies.current().resolve(None, DEFAULT_TIER)
    quiet = timedelta(hours=settings.stale_tracking_hours)
    polled, moved, flagged = 0, 0, []
    for shipment in ports.shipments.due_for_poll(iso_utc(now), batch):
        polled += 1
        carrier, number = shipment["carrier"], shipment["tracking_number"]
        news = [c for c in ports.carrier_api.checkpoints(carrier, number) if c["at"] > shipment.get("status_at", "")]
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
        attempts = shipment.get("poll_attempts", 0) + 1
        ports.shipments.schedule_poll(carrier, number, iso_utc(now + min(quiet * 2**attempts, MAX_BACKOFF)), attempts)
        if "return_id" in shipment and "status_at" in shipment and _flag_no_movement(shipment, ports, now):
            flagged.append(shipment["return_id"])
    return {"polled": polled, "moved": moved, "no_movement": flagged}


def _flag_no_movement(shipment: dict, ports: PollPorts, now: datetime) -> bool:
    """Queue the parcel's return for logistics review with the SLA of the policy the return is held to."""
    record = ports.returns.get(shipment["return_id"])
    if record is None or "parcel_problem" in record:
        return False  # flagged once per trouble: the conditional write would refuse it anyway
    sla_hours = return_policy(record, ports.policies.current).review_sla_hours
    problem = {"status": "no_movement", "at": shipment["status_at"]}
    return ports.returns.flag_parcel_problem(record["return_id"], problem, queue_fields("logistics", sla_hours, now))
