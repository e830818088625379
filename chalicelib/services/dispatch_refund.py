"""The workflow's DispatchRefund step: one finance record per return, never two (CONTRACTS.md), paid once.

The record's id is derived from the return, and the ledger writes it only if
that id is new, together with the order's refund account. The provider is then
asked to pay it with the record's id as idempotency key, so asking again after a
timeout answers the refund already made instead of making a second one. The
record moves pending -> sent -> confirmed (or failed with the provider's
reason); an attempt without a confirmation is retried on the schedule given,
and once that is used up the workflow hands the refund to finance.
`RefundIssued` is published when the provider confirms (consumers dedupe on
`refund_id`: a crash between publishing and marking it published publishes it once more).
"""

from datetime import datetime

from chalicelib.adapters.ports import PaymentDeclined, PaymentNotConfirmed
from chalicelib.domain.events import iso_utc
from chalicelib.domain.finance_export import finance_record
from chalicelib.services.workflow_ports import WorkflowPorts, load_return


def refund_id_for(return_id: str) -> str:
    return f"RF-{return_id}"


def dispatch_refund(return_id: str, ports: WorkflowPorts, now: datetime, retry_seconds: tuple[int, ...]) -> dict:
    """`retry_seconds`: the waits between attempts of one round; the round ends when they are used up."""
    record = load_return(return_id, ports)
    refund_id = refund_id_for(return_id)
    issued = ports.ledger.get(refund_id) or _issue(record, refund_id, ports, now)
    if issued.get("payment_status") != "confirmed":
        sent = ports.ledger.update_payment(refund_id, {"payment_status": "sent", "sent_at": iso_utc(now)}, attempt=True)
        if sent is None:
            issued = ports.ledger.get(refund_id)  # confirmed by an attempt running beside this one
        else:
            try:
                issued = _pay(sent, ports, now)
            except (PaymentDeclined, PaymentNotConfirmed) as error:
                attempts = sent["round_attempts"]
                retry = attempts <= len(retry_seconds)
                error = {"type": type(error).__name__, "message": str(error)}
                return _result(sent, "retry" if retry else "failed", retry_seconds[attempts - 1] if retry else 0, error)
    if not issued.get("published_at"):
        ports.bus.publish("RefundIssued", finance_record(issued))
        ports.ledger.mark_published(refund_id, iso_utc(now))
    ports.returns.update(return_id, {"refund_id": refund_id, "status": "refund_issued"})
    return _result(issued, "confirmed", 0, None)


def _result(issued: dict, payment: str, retry_in_seconds: int, error: dict | None) -> dict:
    """Every key always there: the ASL selects them all."""
    return {
        "refund_id": issued["refund_id"], "total": issued["total"], "payment": payment,
        "attempts": issued.get("round_attempts", 0), "retry_in_seconds": retry_in_seconds, "error": error,
    }


def _issue(record: dict, refund_id: str, ports: WorkflowPorts, now: datetime) -> dict:
    quote = record["quote"]
    order = ports.orders.get(record["order_id"]) or {}
    issued = {
        "refund_id": refund_id,
        "return_id": record["return_id"],
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
        "payment_ref": order.get("payment_ref") or record["order_id"],
        "payment_status": "pending",
    }
    if not ports.ledger.issue(issued, record["order_id"], record["account_after"], record["account_version"]):
        issued = ports.ledger.get(refund_id)
    ports.returns.update(record["return_id"], {"refund_id": refund_id, "status": "refund_pending"})
    return issued


def _pay(sent: dict, ports: WorkflowPorts, now: datetime) -> dict:
    """One attempt; the record as confirmed, or the provider's error after noting a decline on the record."""
    refund_id = sent["refund_id"]
    try:
        answer = ports.payments.refund(sent["payment_ref"], sent["currency"], sent["total"], sent["idempotency_key"])
    except PaymentDeclined as declined:
        error = {"code": declined.code, "message": declined.message, "at": iso_utc(now)}
        ports.ledger.update_payment(refund_id, {"payment_status": "failed", "payment_error": error})
        raise
    confirmed = ports.ledger.update_payment(refund_id, {
        "payment_status": "confirmed", "provider_refund_id": answer["provider_refund_id"], "confirmed_at": answer["created_at"],
    })
    return confirmed or ports.ledger.get(refund_id)
