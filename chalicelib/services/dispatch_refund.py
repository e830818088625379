"""The workflow's DispatchRefund step: one finance record per return, never two (CONTRACTS.md), paid once.

The record's id is derived from the return, and the ledger writes it only if
that id is new, together with the order's refund account, and with who pays it:
a marketplace order's marketplace (it holds the buyer's money), else the payment
provider. It is then paid with the record's id as idempotency key, so asking
again after a timeout answers the refund already made instead of making a second
one (a marketplace is also asked first whether the refund exists). The
record moves pending -> sent -> confirmed (or failed with the provider's
reason; or, for a shop in dry run, dry_run: recorded, never paid, the order's
refund account untouched); an attempt without a confirmation is retried on the schedule given,
and once that is used up the workflow hands the refund to finance.
`RefundIssued` is published when the provider confirms (consumers dedupe on
`refund_id`: a crash between publishing and marking it published publishes it once more).
"""

from datetime import datetime

from chalicelib.bootstrap import Ports
from chalicelib.domain.clock import iso_utc
from chalicelib.domain.connections import MARKETPLACE, PAYMENT_PROVIDER, Mode
from chalicelib.domain.ledger import LedgerRecord, PaymentStatus, refund_id_for
from chalicelib.domain.orders import RefundAccount
from chalicelib.domain.returns import Return, ReturnStatus
from chalicelib.domain.tenancy import own_id, shop_of
from chalicelib.ports.errors import MarketplaceRefused, PaymentDeclined, PaymentNotConfirmed
from chalicelib.services.record_in_lake import record_refund
from chalicelib.services.stored_return import load_return

# Declines no retry can change: straight to the finance queue (a code only the seller's phone has, an amount the
# buyer must change, a refund the marketplace made by itself at another amount, one its finance failed to pay).
FOR_A_PERSON = frozenset({
    "sms_code_required", "amount_differs", "refunded_by_marketplace", "refund_failed", "above_call_limit",
})


def dispatch_refund(return_id: str, ports: Ports, now: datetime, retry_seconds: tuple[int, ...]) -> dict:
    """`retry_seconds`: the waits between attempts of one round; the round ends when they are used up."""
    record = load_return(return_id, ports)
    refund_id = refund_id_for(return_id)
    issued = ports.ledger.get(refund_id) or _issue(record, refund_id, ports, now)
    if not issued.settled:
        sent = ports.ledger.update_payment(refund_id, {"payment_status": PaymentStatus.SENT, "sent_at": iso_utc(now)}, attempt=True)
        if sent is None:
            issued = ports.ledger.get(refund_id)  # confirmed by an attempt running beside this one
        else:
            try:
                issued = _pay(sent, record, ports, now)
            except (PaymentDeclined, PaymentNotConfirmed) as error:
                attempts = sent.round_attempts
                retry = attempts <= len(retry_seconds) and getattr(error, "code", None) not in FOR_A_PERSON
                error = {"type": type(error).__name__, "message": str(error)}
                return _result(sent, "retry" if retry else "failed", retry_seconds[attempts - 1] if retry else 0, error)
    if not issued.published_at and issued.confirmed:
        ports.bus.publish("RefundIssued", issued.finance_record())
        record_refund(issued, ports)
        ports.ledger.mark_published(refund_id, iso_utc(now))
    ports.returns.update(return_id, {"refund_id": refund_id, "status": ReturnStatus.REFUND_ISSUED})
    return _result(issued, "confirmed" if issued.confirmed else "dry_run", 0, None)


def _result(issued: LedgerRecord, payment: str, retry_in_seconds: int, error: dict | None) -> dict:
    """Every key always there: the ASL selects them all."""
    return {
        "refund_id": issued.refund_id, "total": issued.total, "payment": payment, "attempts": issued.round_attempts,
        "retry_in_seconds": retry_in_seconds, "error": error,
    }


def _issue(record: Return, refund_id: str, ports: Ports, now: datetime) -> LedgerRecord:
    quote = record.quote
    order = ports.orders.get(record.order_id)
    connection = ports.marketplaces.connection(shop_of(record.return_id))
    issued = LedgerRecord(
        refund_id=refund_id, return_id=record.return_id, order_id=record.order_id, marketplace=record.marketplace,
        customer_id=record.customer_id, currency=quote["currency"], total=quote["total"],
        total_minor=quote["total_minor"], entries=quote["entries"], policy_version=record.decision["policy_version"],
        issued_at=iso_utc(now), issued_day=iso_utc(now)[:10], idempotency_key=refund_id,
        payment_ref=order.payment_reference if order else own_id(record.order_id),
        paid_by=MARKETPLACE if connection else PAYMENT_PROVIDER,
    )
    # A dry run's refund is never paid: the order's refund account stays as it is (a real refund may follow).
    dry_run = connection is not None and connection.mode == Mode.DRY_RUN
    account = order.account if dry_run and order else RefundAccount(**record.account_after)
    if not ports.ledger.issue(issued, account, record.account_version):
        issued = ports.ledger.get(refund_id)
    ports.returns.update(record.return_id, {"refund_id": refund_id, "status": ReturnStatus.REFUND_PENDING})
    return issued


def _pay(sent: LedgerRecord, record: Return, ports: Ports, now: datetime) -> LedgerRecord:
    """One attempt; the record as settled, or the payer's error after noting a decline on the record."""
    try:
        fields = _marketplace_payment(sent, record, ports) if sent.paid_by == MARKETPLACE else _provider_payment(sent, ports)
    except PaymentDeclined as declined:
        error = {"code": declined.code, "message": declined.message, "at": iso_utc(now)}
        ports.ledger.update_payment(sent.refund_id, {"payment_status": PaymentStatus.FAILED, "payment_error": error})
        raise
    settled = ports.ledger.update_payment(sent.refund_id, fields)
    return settled or ports.ledger.get(sent.refund_id)


def _provider_payment(sent: LedgerRecord, ports: Ports) -> dict:
    answer = ports.payments.refund(sent.payment_ref, sent.currency, sent.total, sent.idempotency_key)
    return {
        "payment_status": PaymentStatus.CONFIRMED, "provider_refund_id": answer["provider_refund_id"],
        "confirmed_at": answer["created_at"],
    }


def _marketplace_payment(sent: LedgerRecord, record: Return, ports: Ports) -> dict:
    try:
        actions = ports.marketplaces.actions(shop_of(record.return_id))
    except MarketplaceRefused as refused:
        raise PaymentDeclined("marketplace_refused", str(refused)) from None
    if actions is None:
        raise PaymentDeclined("not_connected", f"shop {shop_of(record.return_id)} is no longer connected to its marketplace")
    answer = actions.refund(record, sent)
    if answer.get("dry_run"):
        return {"payment_status": PaymentStatus.DRY_RUN}
    return {
        "payment_status": PaymentStatus.CONFIRMED, "marketplace_refund_id": answer["marketplace_refund_id"],
        "confirmed_at": answer["created_at"],
    }
