"""The lake's rows made from the records a fact leaves (domain/lake_rows.py): one rule per test, times worked out
by hand (2026-11-20T08:00:00Z is 1795161600 seconds since the epoch)."""

from dataclasses import replace

import pytest

from chalicelib.adapters.dynamodb.orders import order_of
from chalicelib.domain.lake import TABLES
from chalicelib.domain.lake_rows import (
    checkpoint_rows,
    closed_return_rows,
    order_line_rows,
    refund_row,
    row,
    seconds,
)
from chalicelib.domain.ledger import LedgerRecord, PaymentStatus
from chalicelib.domain.tracking import Shipment
from tests.contract.records import a_return, an_order, at

T20 = 1_795_161_600  # 2026-11-20T08:00:00Z
HOUR, DAY = 3600, 86400
RETURN = "tmall-acme/RT-1"
ORDER = order_of(an_order("tmall-acme/TM-1", currency="CNY", lines=[
    {"line_id": "L1", "sku": "SHIRT-M", "category": "apparel", "quantity": 2, "unit_price": "89.00"}]))
PARCEL = Shipment(carrier="sf-express", tracking_number="SF1", return_id=RETURN, checkpoints={
    "a": {"status": "info_received", "at": at(21, 7)},
    "b": {"status": "in_transit", "at": at(21, 9), "location": "Hangzhou  Hub"},
    "c": {"status": "delivered", "at": at(22, 15), "location": "Shanghai"},
}, status="delivered", status_at=at(22, 15))
REFUND = LedgerRecord(
    refund_id="RF-tmall-acme.RT-1", return_id=RETURN, order_id="tmall-acme/TM-1", marketplace="tmall-acme",
    currency="CNY", total="85.00", total_minor=8500, entries=[], policy_version="p1", issued_at=at(23),
    issued_day="2026-11-23", idempotency_key="k", payment_ref="p", payment_status=PaymentStatus.CONFIRMED,
    confirmed_at=at(23, 9), paid_by="marketplace",
)


def closed(**fields):
    record = a_return(RETURN, **{
        "order_id": "tmall-acme/TM-1", "customer_id": "tmall-acme/C-1", "reason": "wrong_size",
        "inspected_at": at(23, 8), "parcel": {"carrier": "sf-express", "tracking_number": "SF1"},
        "inspection": {"items": [{"line_id": "L1", "accepted": 1, "deductions": [{"code": "scuff", "amount": "4.00"}]}]},
        "decision": {"outcome": "return", "code": "APPROVED", "facts": {"tier": "vip"}, "policy_version": "p1",
                     "at": at(20, 9)},
        **fields})
    return closed_return_rows(record, "refunded", at(23, 10), "tmall", ORDER, PARCEL, REFUND)


def of(rows, table):
    return [r for r in rows if r["_table"] == table]


def test_a_row_has_every_column_of_its_table_and_names_its_table_and_day():
    made = row("refunds", "2026-11-23", refund_id="RF-1")

    assert list(made) == ["_table", "_dt", *(name for name, _ in TABLES["refunds"])]
    assert (made["_table"], made["_dt"], made["refund_id"], made["amount_minor"]) == ("refunds", "2026-11-23", "RF-1", None)


def test_a_column_the_table_does_not_have_is_refused():
    with pytest.raises(ValueError, match="no column colour"):
        row("refunds", "2026-11-23", colour="red")


def test_times_are_whole_seconds_since_the_epoch():
    assert (seconds(at(20)), seconds(None)) == (T20, None)


def test_a_closed_return_is_one_row_on_its_closing_day_with_the_time_of_each_stage():
    [made] = of(closed(), "returns")

    assert (made["_dt"], made["return_id"], made["shop"], made["platform"], made["order_id"]) == (
        "2026-11-23", "RT-1", "tmall-acme", "tmall", "TM-1")
    assert (made["requested_at"], made["decided_at"]) == (T20, T20 + HOUR)
    # shipped: the first scan that is not a label (in_transit 21st 09:00), not info_received at 07:00
    assert (made["parcel_shipped_at"], made["delivered_at"]) == (T20 + DAY + HOUR, T20 + 2 * DAY + 7 * HOUR)
    assert (made["inspected_at"], made["refunded_at"], made["closed_at"]) == (
        T20 + 3 * DAY, T20 + 3 * DAY + HOUR, T20 + 3 * DAY + 2 * HOUR)
    assert (made["refund_minor"], made["currency"], made["carrier"], made["customer_tier"]) == (8500, "CNY", "sf-express", "vip")


def test_a_return_no_person_touched_is_decided_by_the_rules_zero_touch_with_no_sla():
    [made] = of(closed(), "returns")

    assert (made["decided_by"], made["zero_touch"], made["sla_deadline"], made["sla_met"]) == ("rules", True, None, None)
    [decision] = of(closed(), "decisions")
    assert (decision["decided_by"], decision["outcome"], decision["rule_code"], decision["decided_at"]) == (
        "rules", "return", "APPROVED", T20 + HOUR)


def test_a_person_decided_in_time_met_the_sla_of_the_queue_the_review_was_made_in():
    rows = closed(decision={"outcome": "manual", "code": "HIGH_VALUE", "facts": {}, "policy_version": "p1",
                            "at": at(20, 9)},
                  review={"decision": "approve", "by": "ana", "at": at(20, 11), "queue": "product_quality"},
                  sla_deadline=at(20, 12))
    [made] = of(rows, "returns")

    assert (made["decided_by"], made["zero_touch"], made["review_queue"], made["sla_met"]) == (
        "person", False, "product_quality", True)
    assert made["decided_at"] == T20 + 3 * HOUR  # the person's decision, not the rules' that sent it to them
    rules, person = of(rows, "decisions")
    assert (rules["outcome"], rules["rule_code"]) == ("review", "HIGH_VALUE")  # "manual" is written "review"
    assert (person["decided_by"], person["outcome"], person["review_queue"]) == ("person", "approve", "product_quality")


def test_a_decision_after_the_deadline_or_a_breach_missed_the_sla():
    late = closed(review={"decision": "approve", "by": "ana", "at": at(20, 13), "queue": "service"},
                  sla_deadline=at(20, 12))
    breached = closed(review={"decision": "approve", "by": "ana", "at": at(20, 11)}, sla_deadline=at(20, 12),
                      sla_breached_at=at(20, 10), review_queue="logistics")

    assert of(late, "returns")[0]["sla_met"] is False
    assert (of(breached, "returns")[0]["sla_met"], of(breached, "returns")[0]["review_queue"]) == (False, "logistics")


def test_a_line_names_its_sku_and_category_and_what_the_inspection_accepted_less_its_deductions():
    [line] = of(closed(), "return_lines")

    assert (line["line_id"], line["sku"], line["category"], line["reason"]) == ("L1", "SHIRT-M", "apparel", "wrong_size")
    assert (line["units_requested"], line["units_accepted"], line["deductions_minor"]) == (1, 1, 400)


def test_a_line_not_inspected_has_no_accepted_units_nor_deductions():
    [line] = of(closed(inspection=None), "return_lines")

    assert (line["units_accepted"], line["deductions_minor"]) == (None, None)


def test_each_checkpoint_is_a_row_on_its_day_with_the_parcels_route_first_place_to_delivery():
    rows = checkpoint_rows(PARCEL, "tmall-acme")

    assert [(r["_dt"], r["status"]) for r in rows] == [
        ("2026-11-21", "info_received"), ("2026-11-21", "in_transit"), ("2026-11-22", "delivered")]
    assert {(r["origin_region"], r["destination_region"]) for r in rows} == {("Hangzhou Hub", "Shanghai")}
    assert rows[0]["return_id"] == "RT-1" and rows[0]["occurred_at"] == T20 + DAY - HOUR


def test_a_parcel_with_no_place_has_no_route():
    bare = replace(PARCEL, checkpoints={"a": {"status": "in_transit", "at": at(21)}})

    assert [(r["origin_region"], r["destination_region"]) for r in checkpoint_rows(bare, "s")] == [(None, None)]


def test_a_refund_is_a_row_on_the_day_it_was_paid_by_whoever_paid_it():
    made = refund_row(REFUND, "tmall")

    assert (made["_dt"], made["refund_id"], made["return_id"], made["shop"], made["amount_minor"], made["paid_by"],
            made["paid_at"]) == ("2026-11-23", "RF-tmall-acme.RT-1", "RT-1", "tmall-acme", 8500, "marketplace",
                                 T20 + 3 * DAY + HOUR)


def test_a_refund_the_marketplace_made_for_no_return_has_none_and_its_issue_day_when_unconfirmed():
    made = refund_row(replace(REFUND, return_id=None, confirmed_at=None), "tmall")

    assert (made["return_id"], made["_dt"], made["paid_at"]) == (None, "2026-11-23", T20 + 3 * DAY)


def test_an_orders_lines_are_rows_of_its_own_ids_on_the_day_it_was_placed():
    rows = order_line_rows(an_order("tmall-acme/TM-1"), "tmall-acme", "tmall", at(1, 10))

    assert [(r["_dt"], r["order_id"], r["line_id"], r["sku"], r["units"]) for r in rows] == [
        ("2026-11-01", "TM-1", "L1", "SKU-1", 2)]


def test_a_later_persons_step_is_no_decision_of_the_request():
    # Verified at 09:00, a refund written off by finance three days later: decided at 09:00.
    rows = closed(finance_review={"decision": "write_off", "by": "fin", "at": at(23, 9)}, sla_deadline=at(23, 12))
    [made] = of(rows, "returns")

    assert (made["decided_at"], made["decided_by"], made["review_queue"], made["sla_met"]) == (
        T20 + HOUR, "person", "finance", True)


def test_a_return_verified_again_has_a_decision_row_for_each_time_the_rules_decided():
    evidence = {"outcome": "manual", "code": "EVIDENCE_REQUIRED", "facts": {}, "policy_version": "p1", "at": at(20, 8)}
    rows = closed(earlier_decisions=[evidence])

    assert [(r["rule_code"], r["outcome"], r["decided_at"]) for r in of(rows, "decisions")] == [
        ("EVIDENCE_REQUIRED", "review", T20), ("APPROVED", "return", T20 + HOUR)]
