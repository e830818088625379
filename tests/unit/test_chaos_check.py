"""The chaos replay's verdict (localcloud/chaos.py `check`) sees each broken promise it is there to catch."""

from localcloud.chaos import check

QUOTE = {"currency": "CNY", "total": "10.00", "total_minor": 1000, "entries": []}
RETURN = {"return_id": "RT-1", "status": "refunded", "refund_id": "RF-RT-1", "quote": QUOTE}
RECORD = {"refund_id": "RF-RT-1", "return_id": "RT-1", "order_id": "TM-1", "currency": "CNY", "total": "10.00",
          "total_minor": 1000, "entries": [], "idempotency_key": "RF-RT-1", "payment_status": "confirmed",
          "provider_refund_id": "PR-1", "published_at": "2026-11-22T08:00:00Z", "policy_version": "v1",
          "issued_at": "2026-11-22T08:00:00Z", "issued_day": "2026-11-22", "payment_ref": "TM-1"}
PAID = {"provider_refund_id": "PR-1", "idempotency_key": "RF-RT-1", "currency": "CNY", "amount": "10.00",
        "payment_ref": "TM-1", "created_at": "2026-11-22T08:00:00Z"}
ORDERS = {"TM-1": {"order_id": "TM-1", "refunded_total": 1000}}


def verdict(records=None, ledger=(RECORD,), paid=(PAID,), orders=None, dead=0, return_ids=("RT-1",)):
    return check(list(return_ids), records or {"RT-1": RETURN}, list(ledger), list(paid), orders or ORDERS, dead)


def test_a_clean_run_passes():
    figures = verdict()
    assert (figures["twice"], figures["lost"], figures["unmatched"], figures["mismatches"]) == (0, 0, 0, 0)
    assert figures["totals_match"] and figures["ledger_totals"] == {"CNY": 1000}


def test_each_broken_promise_is_counted():
    assert verdict(paid=(PAID, {**PAID, "provider_refund_id": "PR-2"}))["twice"] >= 1  # the provider paid twice
    assert verdict(orders={"TM-1": {"order_id": "TM-1", "refunded_total": 2000}})["twice"] == 1  # account moved twice
    assert verdict(return_ids=("RT-1", "RT-2"))["lost"] == 1  # a return that never got anywhere
    stuck = {"RT-1": {**RETURN, "status": "awaiting_parcel"}}
    assert verdict(records=stuck)["lost"] == 1
    nameless = {"RT-1": {**RETURN, "status": "failed"}}  # waiting, but in no queue and with no reason
    assert verdict(records=nameless)["lost"] == 1
    assert verdict(dead=2)["lost"] == 2  # messages in the DLQ
    assert not verdict(records={"RT-1": {**RETURN, "quote": {**QUOTE, "total_minor": 900}}})["totals_match"]
    assert verdict(paid=({**PAID, "amount": "9.00"},))["unmatched"] == 1
    assert verdict(ledger=({**RECORD, "payment_status": "sent", "provider_refund_id": None},))["unmatched"] == 1


def test_a_return_waiting_in_a_named_queue_with_a_reason_is_not_lost():
    waiting = {"RT-1": {**RETURN, "status": "in_review", "review_queue": "product_quality",
                        "decision": {"code": "HIGH_VALUE"}, "refund_id": None}}
    assert verdict(records=waiting, ledger=(), paid=(), orders={"TM-1": {"order_id": "TM-1"}})["lost"] == 0
