"""The workflow's RefundFailed step: a refund the provider did not confirm after a round of attempts goes to
finance's review queue, and `RefundFailed` tells finance consumers (they dedupe on refund_id and attempts)."""

from datetime import datetime

from chalicelib.bootstrap import Ports
from chalicelib.domain.clock import iso_utc
from chalicelib.domain.ledger import refund_id_for
from chalicelib.domain.returns import ReturnStatus
from chalicelib.domain.review import FINANCE_QUEUE
from chalicelib.services.stored_return import load_return


def report_refund_failure(return_id: str, dispatch: dict, ports: Ports, now: datetime) -> dict:
    """`dispatch`: the last DispatchRefund result (its error and attempts)."""
    load_return(return_id, ports)
    refund_id = refund_id_for(return_id)
    # A retry after finance's review gets a whole round.
    record = ports.ledger.update_payment(refund_id, {"round_attempts": 0}) or ports.ledger.get(refund_id)
    failure = {
        "step": "DispatchRefund", "error": dispatch["error"]["type"], "cause": dispatch["error"]["message"][:2000],
        "at": iso_utc(now),
    }
    ports.returns.update(return_id, {"status": ReturnStatus.REFUND_FAILED, "failure": failure}, remove=("finance_review",))
    ports.bus.publish("RefundFailed", {
        **record.finance_record(), "payment_attempts": record.payment_attempts,
        "payment_error": record.payment_error or {"code": "not_confirmed", "message": failure["cause"]},
    })
    return {"queue": FINANCE_QUEUE, "refund_id": refund_id, "payment_status": record.payment_status}
