"""The scheduled SLA sweep: every item a person must handle that is past its deadline is announced once.

`SlaBreached` is published before the item is marked, so a crash in between
announces it again on the next sweep rather than never: consumers dedupe on
`breach_id`.
"""

from datetime import datetime

from chalicelib.bootstrap import Ports
from chalicelib.domain.clock import iso_utc
from chalicelib.domain.review import QUEUES
from chalicelib.domain.tenancy import unqualified


def sweep_sla(ports: Ports, now: datetime) -> dict:
    at = iso_utc(now)
    breached = []
    for queue in QUEUES:
        for item in ports.returns.overdue_reviews(queue, at):
            ports.bus.publish("SlaBreached", unqualified({
                "breach_id": f"{item.return_id}@{item.sla_deadline}", "return_id": item.return_id, "queue": queue,
                "marketplace": item.marketplace, "customer_id": item.customer_id, "tier": (item.policy or {}).get("tier"),
                "decision_code": item.decision_code, "review_since": item.review_since,
                "sla_deadline": item.sla_deadline, "detected_at": at,
            }))
            ports.returns.mark_breached(item.return_id, item.sla_deadline, at)
            breached.append(item.return_id)
    return {"breached": breached}
