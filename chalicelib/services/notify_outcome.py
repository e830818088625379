"""The workflow's Notify step: close the return with its outcome and tell subscribers on the bus (and, for an
exchange, ask for the replacement and for any difference the buyer owes; a Shopify exchange is processed in
Shopify, which ships the replacement and collects the difference itself, while Taobao's and JD's replacements ship
from our warehouse like our own shops')."""

from datetime import datetime

from chalicelib.bootstrap import Ports
from chalicelib.domain.clock import iso_utc
from chalicelib.domain.ledger import PaymentStatus
from chalicelib.domain.returns import Return, ReturnStatus
from chalicelib.domain.tenancy import shop_of, unqualified
from chalicelib.domain.workflow_state import closing_outcome
from chalicelib.services.record_in_lake import record_closed_return
from chalicelib.services.stored_return import load_return


def notify_outcome(return_id: str, state: dict, ports: Ports, now: datetime) -> dict:
    record = load_return(return_id, ports)
    outcome = ReturnStatus(closing_outcome(state))
    exchanged = outcome == ReturnStatus.EXCHANGED and record.exchange
    actions = ports.marketplaces.actions(shop_of(return_id)) if exchanged else None
    # First: the marketplace ships the replacement and collects what the buyer owes (None: our warehouse does).
    in_marketplace = actions.exchange(record) if actions is not None else None
    closed_at = iso_utc(now)
    ports.returns.update(
        return_id, {"status": outcome, "closed_at": closed_at, "waiting_for": None}, remove=("review_queue", "parcel_watch"),
    )
    if outcome == ReturnStatus.REFUND_WRITTEN_OFF:
        ports.ledger.update_payment(record.refund_id, {"payment_status": PaymentStatus.WRITTEN_OFF, "written_off_at": closed_at})
    ports.bus.publish("ReturnClosed", unqualified({
        "return_id": return_id, "order_id": record.order_id, "marketplace": record.marketplace, "outcome": outcome,
        "decision_code": record.decision_code, "refund_id": record.refund_id, "expiry_reason": record.expiry_reason,
        "closed_at": closed_at,
    }))
    if exchanged and in_marketplace is None:
        _request_replacement(record, ports)
    record_closed_return(record, outcome, closed_at, ports)
    return {"outcome": outcome}


def _request_replacement(record: Return, ports: Ports) -> None:
    """The warehouse ships the replacement; a dearer one is paid for by the buyer first. Consumers dedupe on
    return_id: a retried Notify publishes again."""
    exchange = record.exchange
    reference = {"return_id": record.return_id, "order_id": record.order_id, "marketplace": record.marketplace}
    ports.bus.publish("ReplacementShipmentRequested", unqualified({**reference, **exchange["replacement"]}))
    if exchange["payment_due_minor"] > 0:
        ports.bus.publish("PaymentRequested", unqualified({
            **reference, "currency": exchange["currency"], "amount": exchange["payment_due"],
            "amount_minor": exchange["payment_due_minor"], "reason": "dearer exchange replacement",
        }))
