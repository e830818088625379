"""Reconciliation of ledger records against the quotes of their returns and the provider's refunds (pure)."""

from chalicelib.domain.ledger import LedgerRecord
from chalicelib.domain.reconciliation import reconcile as reconcile_records
from chalicelib.domain.returns import Return

QUOTE = {"currency": "CNY", "total": "10.00", "total_minor": 1000,
         "entries": [{"code": "item", "line_id": "L1", "amount": "10.00", "reason": "r"}]}
RECORD = {"refund_id": "RF-RT-1", "return_id": "RT-1", "currency": "CNY", "total": "10.00", "total_minor": 1000,
          "entries": QUOTE["entries"], "published_at": "2026-11-22T08:00:00Z", "idempotency_key": "RF-RT-1",
          "payment_status": "confirmed", "provider_refund_id": "PR-1"}
LEDGER_ONLY = {"order_id": "TM-1", "policy_version": "v1", "issued_at": "2026-11-22T08:00:00Z",
               "issued_day": "2026-11-22", "payment_ref": "TM-1"}
PAID = {"provider_refund_id": "PR-1", "idempotency_key": "RF-RT-1", "currency": "CNY", "amount": "10.00",
        "payment_ref": "TM-1", "created_at": "2026-11-22T08:00:01Z"}


def reconcile(records, returns, paid, unrecorded):
    """The records and returns of these tests as dicts of their fields."""
    return reconcile_records(
        [LedgerRecord(**{**LEDGER_ONLY, **record}) for record in records],
        {return_id: Return(return_id=return_id, **stored) if stored is not None else None
         for return_id, stored in returns.items()},
        paid, unrecorded,
    )


def kinds(record=RECORD, stored=None, paid=(PAID,), unrecorded=()):
    stored = {"quote": QUOTE, "refund_id": "RF-RT-1"} if stored is None else stored
    mismatches, _ = reconcile([record], {"RT-1": stored}, list(paid), list(unrecorded))
    return [m["kind"] for m in mismatches]


def test_a_confirmed_record_equal_to_its_quote_paid_once_and_published_reconciles():
    assert kinds() == []


def test_each_kind_of_mismatch_with_the_quote():
    assert kinds({**RECORD, "currency": "USD"}) == ["total_differs_from_quote", "provider_amount_differs"]
    assert kinds({**RECORD, "entries": []}) == ["entries_differ_from_quote"]
    assert kinds(stored={"quote": QUOTE, "refund_id": "RF-OTHER"}) == ["return_names_another_refund"]
    assert kinds({k: v for k, v in RECORD.items() if k != "published_at"}) == ["never_published"]
    assert reconcile([RECORD], {"RT-1": None}, [PAID], [])[0][0]["kind"] == "no_such_return"


def test_each_kind_of_mismatch_with_the_provider():
    assert kinds(paid=()) == ["confirmed_but_not_paid"]
    assert kinds(paid=(PAID, {**PAID, "provider_refund_id": "PR-2"})) == ["paid_more_than_once"]
    assert kinds(paid=({**PAID, "amount": "9.99"},)) == ["provider_amount_differs"]
    assert kinds(paid=({**PAID, "provider_refund_id": "PR-9"},)) == ["provider_refund_differs"]
    assert kinds({**RECORD, "payment_status": "sent"}) == ["paid_but_not_confirmed"]
    assert kinds({**RECORD, "payment_status": "written_off"}) == ["paid_but_not_confirmed"]
    stray = {**PAID, "idempotency_key": "RF-NOBODY", "provider_refund_id": "PR-7"}
    assert kinds(unrecorded=(stray,)) == ["provider_refund_without_record"]


def test_a_payment_under_way_is_open_not_a_mismatch():
    for status in ("pending", "sent", "failed"):
        record = {**RECORD, "payment_status": status, "published_at": None, "provider_refund_id": None}
        mismatches, still_open = reconcile([record], {"RT-1": {"quote": QUOTE}}, [], [])
        assert mismatches == []
        assert [(o["refund_id"], o["payment_status"]) for o in still_open] == [("RF-RT-1", status)]
    written_off = {**RECORD, "payment_status": "written_off", "published_at": None}
    assert reconcile([written_off], {"RT-1": {"quote": QUOTE}}, [], []) == ([], [])


# A refund paid by a marketplace: against the marketplace's refunds, never the provider's.
SHOPIFY = {**RECORD, "paid_by": "marketplace", "provider_refund_id": None, "marketplace_refund_id": "9007199254742001"}
IN_SHOPIFY = {"marketplace_refund_id": "9007199254742001", "currency": "CNY", "amount": "10.00"}


def marketplace_kinds(record=SHOPIFY, held=(IN_SHOPIFY,), stored=None):
    stored = {"quote": QUOTE, "refund_id": "RF-RT-1"} if stored is None else stored
    mismatches, _ = reconcile_records(
        [LedgerRecord(**{**LEDGER_ONLY, **record})], {"RT-1": Return(return_id="RT-1", **stored)}, [], [],
        None if held is None else list(held),
    )
    return [m["kind"] for m in mismatches]


def test_a_marketplace_refund_reconciles_against_the_marketplace_and_not_the_provider():
    assert marketplace_kinds() == []
    assert marketplace_kinds(held=None) == []  # the marketplace not read: only the ledger's own checks
    assert marketplace_kinds(held=()) == ["confirmed_but_not_in_marketplace"]
    assert marketplace_kinds(held=({**IN_SHOPIFY, "amount": "9.00"},)) == ["marketplace_amount_differs"]
    assert marketplace_kinds({**SHOPIFY, "total_minor": 900, "total": "9.00"}, held=({**IN_SHOPIFY, "amount": "9.00"},)) == [
        "total_differs_from_quote"]
    stray = {"marketplace_refund_id": "1", "currency": "CNY", "amount": "1.00"}
    assert marketplace_kinds(held=(IN_SHOPIFY, stray)) == ["marketplace_refund_without_record"]
    mismatches, _ = reconcile_records(
        [LedgerRecord(**{**LEDGER_ONLY, **SHOPIFY}), LedgerRecord(**{**LEDGER_ONLY, **SHOPIFY, "refund_id": "RF-X",
                                                                    "return_id": None, "policy_version": "marketplace"})],
        {"RT-1": Return(return_id="RT-1", quote=QUOTE, refund_id="RF-RT-1")}, [], [], [IN_SHOPIFY],
    )
    assert [m["kind"] for m in mismatches] == ["marketplace_refund_recorded_twice"] * 2  # one refund, two records


def test_two_shops_refunds_of_the_same_id_in_their_marketplaces_are_two_refunds():
    tmall = {**SHOPIFY, "marketplace": "tmall-acme"}
    jd = {**SHOPIFY, "marketplace": "jd-acme", "refund_id": "RF-RT-2", "return_id": "RT-2", "total": "7.00", "total_minor": 700}
    quotes = {"RT-1": Return(return_id="RT-1", quote=QUOTE, refund_id="RF-RT-1"),
              "RT-2": Return(return_id="RT-2", quote={**QUOTE, "total": "7.00", "total_minor": 700}, refund_id="RF-RT-2")}
    held = [{**IN_SHOPIFY, "shop": "tmall-acme"}, {**IN_SHOPIFY, "shop": "jd-acme", "amount": "7.00"}]

    mismatches, _ = reconcile_records([LedgerRecord(**{**LEDGER_ONLY, **tmall}), LedgerRecord(**{**LEDGER_ONLY, **jd})],
                                      quotes, [], [], held)

    assert mismatches == []
    mismatches, _ = reconcile_records([LedgerRecord(**{**LEDGER_ONLY, **tmall})], quotes, [], [], held[:1] + [
        {**held[1], "shop": "shopify-acme"}])
    assert [m["kind"] for m in mismatches] == ["marketplace_refund_without_record"]


def test_a_refund_the_merchant_made_has_no_quote_to_agree_with_and_a_dry_run_was_never_paid():
    merchants = {**SHOPIFY, "policy_version": "marketplace", "entries": [], "total": "4.00", "total_minor": 400}
    assert marketplace_kinds(merchants, held=({**IN_SHOPIFY, "amount": "4.00"},), stored={}) == []
    mismatches, still_open = reconcile_records(
        [LedgerRecord(**{**LEDGER_ONLY, **SHOPIFY, "payment_status": "dry_run", "marketplace_refund_id": None})],
        {"RT-1": Return(return_id="RT-1", quote=QUOTE)}, [], [], [],
    )
    assert (mismatches, still_open) == ([], [])
