"""The workflow's DispatchRefund step: one finance record per return, never two (CONTRACTS.md).

The record's id is derived from the return, and the ledger writes it only if
that id is new, together with the order's refund account. A retried or
duplicated dispatch finds the record and only finishes what is missing:
publishing `RefundIssued` (consumers dedupe on `refund_id`, because a crash
between publishing and marking it published publishes it once more).
"""

from datetime import datetime

from chalicelib.domain.events import iso_utc
from chalicelib.domain.finance_export import finance_record
from chalicelib.services.workflow_ports import WorkflowPorts, load_return


def refund_id_for(return_id: str) -> str:
    return f"RF-{return_id}"


def dispatch_refund(return_id: str, ports: WorkflowPorts, now: datetime) -> dict:
    record = load_return(return_id, ports)
    refund_id = refund_id_for(return_id)
    issued = ports.ledger.get(refund_id)
    if issued is None:
        quote = record["quote"]
        issued = {
            "refund_id": refund_id,
            "return_id": return_id,
            "order_id": record["order_id"],
            "marketplace": record["marketplace"],
            "customer_id": record.get("customer_id"),
            "currency": quote["currency"],
            "total": quote["total"],
            "total_minor": quote["total_minor"],
            "entries": quote["entries"],
            "policy_version": record["decision"]["policy_version"],
            "issued_at": iso_utc(now),
            "issued_day": iso_utc(now)[:10],  # the partition of the ledger's index by time (finance queries)
            "idempotency_key": refund_id,
        }
        if not ports.ledger.issue(issued, record["order_id"], record["account_after"], record["account_version"]):
            issued = ports.ledger.get(refund_id)
    if not issued.get("published_at"):
        ports.bus.publish("RefundIssued", finance_record(issued))
        ports.ledger.mark_published(refund_id, iso_utc(now))
    ports.returns.update(return_id, {"refund_id": refund_id, "status": "refund_issued"})
    return {"refund_id": refund_id, "total": issued["total"]}

