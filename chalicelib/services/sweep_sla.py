"""The scheduled SLA sweep: every item a person must handle that is past its deadline is announced once.

`SlaBreached` is published before the item is marked, so a crash in between
announces it again on the next sweep rather than never: consumers dedupe on
`breach_id`.
"""

from dataclasses import dataclass
from datetime import datetime

from chalicelib.adapters.ports import EventBus, ReviewStore
from chalicelib.domain.events import iso_utc
from chalicelib.domain.review import QUEUES


@dataclass(frozen=True)
class SweepPorts:
    reviews: ReviewStore
    bus: EventBus


def sweep_sla(ports: SweepPorts, now: datetime) -> dict:
    at = iso_utc(now)
    breached = []
    for queue in QUEUES:
        for item in ports.reviews.overdue(queue, at):
            ports.bus.publish(
                "SlaBreached",
                {
                    "breach_id": f"{item['return_id']}@{item['sla_deadline']}",
                    "return_id": item["return_id"],
                    "queue": queue,
                    "marketplace": item.get("marketplace"),
                    "customer_id": item.get("customer_id"),
                    "tier": (item.get("policy") or {}).get("tier"),
                    "decision_code": (item.get("decision") or {}).get("code"),
                    "review_since": item.get("review_since"),
                    "sla_deadline": item["sla_deadline"],
                    "detected_at": at,
                },
            )
            ports.reviews.mark_breached(item["return_id"], item["sla_deadline"], at)
            breached.append(item["return_id"])
    return {"breached": breached}
