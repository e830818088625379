"""Reconciliation of ledger records against the quotes of their returns (pure)."""

from chalicelib.domain.reconciliation import reconcile

QUOTE = {"currency": "CNY", "total": "10.00", "total_minor": 1000,
         "entries": [{"code": "item", "line_id": "L1", "amount": "10.00", "reason": "r"}]}
RECORD = {"refund_id": "RF-RT-1", "return_id": "RT-1", "currency": "CNY", "total": "10.00", "total_minor": 1000,
          "entries": QUOTE["entries"], "published_at": "2026-11-22T08:00:00Z"}


def kinds(record=RECORD, stored=None):
    stored = {"quote": QUOTE, "refund_id": "RF-RT-1"} if stored is None else stored
    return [m["kind"] for m in reconcile([record], {"RT-1": stored})]


def test_a_record_equal_to_its_quote_and_published_reconciles():
    assert kinds() == []


def test_each_kind_of_mismatch():
    assert kinds({**RECORD, "currency": "USD"}) == ["total_differs_from_quote"]
    assert kinds({**RECORD, "entries": []}) == ["entries_differ_from_quote"]
    assert kinds(stored={"quote": QUOTE, "refund_id": "RF-OTHER"}) == ["return_names_another_refund"]
    assert kinds({k: v for k, v in RECORD.items() if k != "published_at"}) == ["never_published"]
    assert [m["kind"] for m in reconcile([RECORD], {"RT-1": None})] == ["no_such_return"]
