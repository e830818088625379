"""The workflow's RefundFailed step: a refund the provider did not confirm after a round of attempts goes to
finance's review queue, and `RefundFailed` tells finance consumers (they dedupe on refund_id and attempts)."""

from datetime import datetime

from chalicelib.domain.events import iso_utc
from chalicelib.domain.finance_export import finance_record
from chalicelib.domain.review import FINANCE_QUEUE
from chalicelib.services.dispatch_refund import refund_id_for
from chalicelib.services.workflow_ports import WorkflowPorts, load_return


def report_refund_failure(return_id: str, dispatch: dict, ports: WorkflowPorts, now: datetime) -> dict:
    """`dispatch`: the last DispatchRefund result (its error and attempts)."""
    load_return(return_id, ports)
    refund_id = refund_id_for(return_id)
    # A retry after finance's review gets a whole round.
    record = ports.ledger.update_payment(refund_id, {"round_attempts": 0}) or ports.ledger.get(refund_id)
    failure = {
        "step": "DispatchRefund", "error": dispatch["error"]["type"], "cause": dispatch["error"]["message"][:2000],
        "at": iso_utc(now),
    }
    ports.returns.update(return_id, {"status": "refund_failed", "failure": failure}, remove=("finance_review",))
    ports.bus.publish("RefundFailed", {
        **finance_record(record), "payment_attempts": record.get("payment_attempts"),
        "payment_error": record.get("payment_error") or {"code": "not_confirmed", "message": failure["cause"]},
    })
    return {"queue": FINANCE_QUEUE, "refund_id": refund_id, "payment_status": record["payment_status"]}
