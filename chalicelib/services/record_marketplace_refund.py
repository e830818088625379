"""A refund the marketplace holds, kept in the ledger: ours confirmed by it, or one the merchant (in the Shopify
admin) or the marketplace itself made, recorded as paid by the marketplace so that it is never paid again.

A refund is ours when the ledger record it may be (the one its note names, or its return's) is one the
marketplace pays, of the same amount: an unsettled one is confirmed by it (our call's answer was lost). Any other
is the merchant's: kept under its return's refund id while the return has none (the workflow's DispatchRefund then
finds the return refunded and pays nothing), else under its own id ("RF-<shop>.refund-<id>"). Either moves the
order's refund account with the ledger record, in one transaction, like every refund."""

from datetime import datetime

from chalicelib.bootstrap import Ports
from chalicelib.connectors.marketplace import MarketplaceRefunded
from chalicelib.domain.clock import iso_utc
from chalicelib.domain.connections import MARKETPLACE
from chalicelib.domain.ledger import DECIDED_IN_MARKETPLACE, LedgerRecord, PaymentStatus, refund_id_for
from chalicelib.domain.money import CURRENCY_EXPONENTS, parse_minor
from chalicelib.domain.tenancy import qualified
from chalicelib.ports.errors import HydrationFailed
from chalicelib.services.record_in_lake import record_refund


def record_marketplace_refund(refund: MarketplaceRefunded, shop: str, ports: Ports, now: datetime) -> str:
    return_id = qualified(shop, refund.return_id) if refund.return_id else None
    for key in ledger_keys(refund, shop, return_id):
        known = ports.ledger.get(key)
        if known is None:
            continue
        if known.marketplace_refund_id == refund.refund_ref:
            _publish(known, ports, now)  # a crash after the write, before the publish, is finished here
            return f"refund {refund.refund_ref} is in the ledger"
        if known.paid_by == MARKETPLACE and not known.settled and (known.currency, known.total) == (refund.currency, refund.total):
            ports.ledger.update_payment(key, {
                "payment_status": PaymentStatus.CONFIRMED, "marketplace_refund_id": refund.refund_ref,
                "confirmed_at": refund.created_at,
            })
            # Consumers dedupe on refund_id: DispatchRefund may publish it too.
            _publish(ports.ledger.get(key), ports, now)
            return f"refund {refund.refund_ref} confirms {key}"
    own = refund_id_for(qualified(shop, f"refund-{refund.refund_ref}"))
    refund_id = refund_id_for(return_id) if return_id and ports.ledger.get(refund_id_for(return_id)) is None else own
    if (stored := ports.ledger.get(refund_id)) is not None:
        _publish(stored, ports, now)
        return f"refund {refund.refund_ref} is in the ledger"
    order = ports.orders.get(qualified(shop, refund.order_id))
    if order is None:
        raise HydrationFailed(f"order {refund.order_id} of refund {refund.refund_ref} is not stored")
    total_minor = parse_minor(refund.total, CURRENCY_EXPONENTS[refund.currency])
    record = LedgerRecord(
        refund_id=refund_id, return_id=return_id, order_id=order.order_id, marketplace=shop,
        customer_id=order.customer_id, currency=refund.currency, total=refund.total, total_minor=total_minor,
        entries=[{"code": "marketplace_refund", "line_id": None, "amount": refund.total,
                  "reason": "refunded in the marketplace, by the merchant or by the marketplace itself"}],
        policy_version=DECIDED_IN_MARKETPLACE, issued_at=iso_utc(now), issued_day=iso_utc(now)[:10],
        idempotency_key=refund_id, payment_ref=order.payment_reference, payment_status=PaymentStatus.CONFIRMED,
        confirmed_at=refund.created_at, paid_by=MARKETPLACE, marketplace_refund_id=refund.refund_ref,
    )
    account = order.account.after({"total_minor": total_minor, "entries": []}, refund.units)
    if not ports.ledger.issue(record, account, order.refund_version):
        return f"refund {refund.refund_ref} is in the ledger"
    _publish(record, ports, now)
    return f"refund {refund.refund_ref} made in the marketplace recorded as {refund_id}"


def _publish(record: LedgerRecord, ports: Ports, now: datetime) -> None:
    """RefundIssued and the refund's lake row, once the record is confirmed, until it is marked published."""
    if record.confirmed and not record.published_at:
        ports.bus.publish("RefundIssued", record.finance_record())
        record_refund(record, ports)
        ports.ledger.mark_published(record.refund_id, iso_utc(now))


def ledger_keys(refund, shop: str, return_id: str | None) -> list[str]:
    """The ledger records a marketplace's refund (MarketplaceRefunded, MarketplaceRefundFailed) may be ours for: the
    one its note names (a key of this shop), its return's (`return_id`, qualified)."""
    keys = [refund.note] if refund.note and refund.note.startswith(f"RF-{shop}.") else []
    return keys + ([refund_id_for(return_id)] if return_id else [])
