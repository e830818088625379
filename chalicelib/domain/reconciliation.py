"""Reconciliation (pure): every refund record in the ledger against the quote of its return, its publication
and the provider's refunds; and every provider refund against the ledger. A mismatch names the record, what
differs and both sides. A payment still under way (pending, sent, failed and waiting for finance) is open,
not a mismatch, unless the provider did pay it.

A refund paid by a marketplace is checked against the marketplace's own refunds instead, when they are given
(by the marketplace's refund id); one the merchant or the marketplace made by itself has no quote of ours to
agree with. A dry-run record was never paid, and is neither open nor a mismatch."""

from collections import defaultdict

from chalicelib.domain.connections import MARKETPLACE
from chalicelib.domain.ledger import DECIDED_IN_MARKETPLACE, OPEN_PAYMENTS, LedgerRecord, PaymentStatus
from chalicelib.domain.returns import Return


def reconcile(
    records: list[LedgerRecord], returns: dict[str, Return | None], provider_refunds: list[dict], unrecorded: list[dict],
    marketplace_refunds: list[dict] | None = None,
) -> tuple[list[dict], list[dict]]:
    """`returns`: the return of each record by return id (None when it is not stored); `provider_refunds`: the
    provider's refunds, matched to records by idempotency key; `unrecorded`: those whose key names no ledger
    record; `marketplace_refunds`: every refund the marketplaces hold ({shop, marketplace_refund_id, currency,
    amount}: ids are a marketplace's own, so two shops' may be the same), or None when they were not read. Returns
    (mismatches, open payments)."""
    mismatches, still_open = [], []
    paid: dict[str, list[dict]] = defaultdict(list)
    for refund in provider_refunds:
        paid[refund["idempotency_key"]].append(refund)

    def mismatch(record: LedgerRecord, kind: str, ledger, expected) -> None:
        mismatches.append({"refund_id": record.refund_id, "return_id": record.return_id, "kind": kind,
                           "ledger": ledger, "expected": expected})

    in_marketplace = {_held(refund): refund for refund in marketplace_refunds or []}
    recorded_as = defaultdict(list)
    for record in records:
        if record.marketplace_refund_id:
            recorded_as[_recorded(record)].append(record.refund_id)
    for record in records:
        if len(recorded_as.get(_recorded(record), ())) > 1:
            mismatch(record, "marketplace_refund_recorded_twice", record.marketplace_refund_id,
                     recorded_as[_recorded(record)])
        if record.paid_by == MARKETPLACE:
            _check_marketplace_refund(record, returns.get(record.return_id), in_marketplace, marketplace_refunds, mismatch,
                                      still_open)
            continue
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
    recorded = {_recorded(record) for record in records if record.marketplace_refund_id}
    for refund in marketplace_refunds or []:
        if _held(refund) not in recorded:
            mismatches.append({"refund_id": None, "return_id": None, "kind": "marketplace_refund_without_record",
                               "ledger": None, "expected": refund})
    return mismatches, still_open


def _check_marketplace_refund(record, stored, in_marketplace: dict, read: list | None, mismatch, still_open) -> None:
    if record.policy_version != DECIDED_IN_MARKETPLACE:
        quote = (stored.quote if stored else None) or {}
        if stored is None:
            mismatch(record, "no_such_return", record.return_id, None)
        elif (record.total_minor, record.currency) != (quote.get("total_minor"), quote.get("currency")):
            mismatch(record, "total_differs_from_quote", [record.total, record.currency], [quote.get("total"), quote.get("currency")])
    status = record.payment_status
    if status == PaymentStatus.CONFIRMED:
        found = in_marketplace.get(_recorded(record))
        if read is not None and found is None:
            mismatch(record, "confirmed_but_not_in_marketplace", record.marketplace_refund_id, None)
        elif found is not None and (found["currency"], found["amount"]) != (record.currency, record.total):
            mismatch(record, "marketplace_amount_differs", [record.total, record.currency], [found["amount"], found["currency"]])
        if not record.published_at:
            mismatch(record, "never_published", None, "RefundIssued on the bus")
    elif status in OPEN_PAYMENTS:
        still_open.append({key: getattr(record, key) for key in (
            "refund_id", "return_id", "currency", "total", "payment_status", "payment_attempts", "payment_error",
        )})


def _held(refund: dict) -> tuple:
    """A marketplace's refund by its shop and its own id."""
    return refund.get("shop"), refund["marketplace_refund_id"]


def _recorded(record: LedgerRecord) -> tuple:
    return record.marketplace, record.marketplace_refund_id
