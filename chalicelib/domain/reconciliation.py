"""Reconciliation (pure): every refund record in the ledger against the quote of its return, its publication
and the provider's refunds; and every provider refund against the ledger. A mismatch names the record, what
differs and both sides. A payment still under way (pending, sent, failed and waiting for finance) is open,
not a mismatch, unless the provider did pay it."""

from collections import defaultdict

from chalicelib.domain.ledger import OPEN_PAYMENTS, LedgerRecord, PaymentStatus
from chalicelib.domain.returns import Return


def reconcile(
    records: list[LedgerRecord], returns: dict[str, Return | None], provider_refunds: list[dict], unrecorded: list[dict]
) -> tuple[list[dict], list[dict]]:
    """`returns`: the return of each record by return id (None when it is not stored); `provider_refunds`: the
    provider's refunds, matched to records by idempotency key; `unrecorded`: those whose key names no ledger
    record. Returns (mismatches, open payments)."""
    mismatches, still_open = [], []
    paid: dict[str, list[dict]] = defaultdict(list)
    for refund in provider_refunds:
        paid[refund["idempotency_key"]].append(refund)

    def mismatch(record: LedgerRecord, kind: str, ledger, expected) -> None:
        mismatches.append({"refund_id": record.refund_id, "return_id": record.return_id, "kind": kind,
                           "ledger": ledger, "expected": expected})

    for record in records:
        stored = returns.get(record.return_id)
        if stored is None:
            mismatch(record, "no_such_return", record.return_id, None)
        else:
            quote = stored.quote or {}
            if (record.total_minor, record.currency) != (quote.get("total_minor"), quote.get("currency")):
                mismatch(record, "total_differs_from_quote", [record.total, record.currency],
                         [quote.get("total"), quote.get("currency")])
            elif record.entries != quote.get("entries"):
                mismatch(record, "entries_differ_from_quote", record.entries, quote.get("entries"))
            if stored.refund_id not in (None, record.refund_id):
                mismatch(record, "return_names_another_refund", record.refund_id, stored.refund_id)
        provider = paid.get(record.idempotency_key, [])
        status = record.payment_status
        if len(provider) > 1:
            mismatch(record, "paid_more_than_once", record.total, [p["provider_refund_id"] for p in provider])
        if status == PaymentStatus.CONFIRMED:
            if not provider:
                mismatch(record, "confirmed_but_not_paid", record.provider_refund_id, None)
            elif (provider[0]["currency"], provider[0]["amount"]) != (record.currency, record.total):
                mismatch(record, "provider_amount_differs", [record.total, record.currency],
                         [provider[0]["amount"], provider[0]["currency"]])
            elif provider[0]["provider_refund_id"] != record.provider_refund_id:
                mismatch(record, "provider_refund_differs", record.provider_refund_id, provider[0]["provider_refund_id"])
            if not record.published_at:
                mismatch(record, "never_published", None, "RefundIssued on the bus")
        elif provider:
            mismatch(record, "paid_but_not_confirmed", status, provider[0]["provider_refund_id"])
        elif status in OPEN_PAYMENTS:
            still_open.append({key: getattr(record, key) for key in (
                "refund_id", "return_id", "currency", "total", "payment_status", "payment_attempts", "payment_error",
            )})
    for refund in unrecorded:
        mismatches.append({"refund_id": None, "return_id": None, "kind": "provider_refund_without_record",
                           "ledger": None, "expected": refund})
    return mismatches, still_open
