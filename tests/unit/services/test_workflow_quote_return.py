"""The CalculateRefund step on the twins: the quote kept on the return with the order's refund account as it will be
after this refund and the version it was computed from; exchanges; the bound on quoting again.

Cents are worked out by hand from the order of tests/webhook_events.py (see test_workflow_given):
L1 nets 275.94, L2 (3 units) nets 83.06, shipping 12.00, paid 371.00."""

import pytest

from chalicelib.domain.policy import PolicyDocument, Settings
from chalicelib.domain.returns import ReturnStatus
from chalicelib.services.dispatch_refund import dispatch_refund
from chalicelib.services.hold_shipment import hold_shipment
from chalicelib.services.quote_return import MAX_QUOTES, QuoteKeepsChanging, quote_return
from chalicelib.services.verify_return import verify_return
from tests.unit.services.given import (
    L1_NET,
    NOW,
    PAID_TOTAL,
    RETRY,
    an_order,
    cancel_requested,
    hold_answered,
    ingested,
    inspected,
    quoted,
    seller_fault,
    twins,
    unshipped,
    verified,
)

WHOLE_ORDER = [{"line_id": "L1", "quantity": 1}, {"line_id": "L2", "quantity": 3}]


def codes(quote: dict) -> list[tuple[str, str | None, str]]:
    return [(entry["code"], entry["line_id"], entry["amount"]) for entry in quote["entries"]]


def test_the_quote_is_kept_with_the_account_after_it_and_the_version_it_was_made_from():
    # Given a buyer-fault return of L1, inspected and accepted
    ports = twins()
    an_order(ports)
    verified(ports)
    inspected(ports)
    # When quoted
    result = quote_return("RT-1", ports)
    # Then L1's net line is refunded: 299.00 - 23.06 coupon share = 275.94, no shipping, no postage
    assert result == {"outcome": "refund", "total_minor": 27594, "exchange": False}
    record = ports.returns.get("RT-1")
    assert (record.quote["total"], record.quote["total_minor"], codes(record.quote)) == (
        "275.94", 27594, [("item", "L1", "275.94")],
    )
    # And the account as it will be after this refund, computed from the order's account at version 0
    assert record.account_after == {"refunded_total": 27594, "refunded_units": {"L1": 1}, "shipping_refunded": False}
    assert (record.account_version, record.quotes, record.status, record.exchange) == (0, 1, ReturnStatus.QUOTED, None)


def test_a_seller_fault_return_of_the_whole_order_refunds_shipping_and_is_capped_at_what_was_paid():
    # Given a quality claim for every unit, with 8.00 of prepaid return postage
    ports = twins()
    an_order(ports)
    # When inspected (all accepted) and quoted
    result = quoted(ports, items=WHOLE_ORDER, **seller_fault(return_shipping_paid="8.00"))
    # Then 275.94 + 83.06 + 12.00 shipping + 8.00 postage = 379.00, cut to the 371.00 paid (-8.00)
    assert result == {"outcome": "refund", "total_minor": PAID_TOTAL, "exchange": False}
    record = ports.returns.get("RT-1")
    assert codes(record.quote) == [
        ("item", "L1", "275.94"), ("item", "L2", "83.06"), ("shipping_refund", None, "12.00"),
        ("return_postage_reimbursement", None, "8.00"), ("cap_adjustment", None, "-8.00"),
    ]
    assert record.quote["capped"] is True
    assert record.account_after == {
        "refunded_total": 37100, "refunded_units": {"L1": 1, "L2": 3}, "shipping_refunded": True,
    }


def test_a_return_whose_inspection_accepted_nothing_is_rejected_at_inspection():
    # Given a return whose inspection accepted 0 units
    ports = twins()
    an_order(ports)
    # When quoted
    result = quoted(ports, accepted=[{"line_id": "L1", "accepted": 0}])
    # Then there is nothing to pay and the goods go back: rejected at inspection
    assert result == {"outcome": "rejected_at_inspection", "total_minor": 0, "exchange": False}


def test_a_return_whose_deductions_take_everything_has_nothing_to_refund():
    # Given one unit of L2 accepted with a 50.00 deduction for damage the buyer caused
    ports = twins()
    an_order(ports)
    # When quoted
    result = quoted(ports, items=[{"line_id": "L2", "quantity": 1}], accepted=[
        {"line_id": "L2", "accepted": 1, "deductions": [{"code": "buyer_damage", "amount": "50.00"}]},
    ])
    # Then the unit's 27.69 (round_half_up(8306 / 3) = 2769) is deducted to 0, not below: nothing to refund
    assert result == {"outcome": "nothing_to_refund", "total_minor": 0, "exchange": False}
    assert codes(ports.returns.get("RT-1").quote) == [("item", "L2", "27.69"), ("deduction", "L2", "-27.69")]


def exchange(unit_price: str) -> dict:
    return {"resolution": "exchange", "replacement": {"sku": "SHOE-43", "unit_price": unit_price, "quantity": 1}}


def test_an_exchange_for_a_cheaper_replacement_refunds_the_difference():
    # Given L1 (worth 275.94 as a refund) exchanged for a replacement of 250.00
    ports = twins()
    an_order(ports)
    # When inspected and quoted
    result = quoted(ports, **exchange("250.00"))
    # Then 275.94 - 250.00 = 25.94 is refunded, the replacement a negative entry so the entries still add up
    assert result == {"outcome": "refund", "total_minor": 2594, "exchange": True}
    record = ports.returns.get("RT-1")
    assert codes(record.quote) == [("item", "L1", "275.94"), ("exchange_replacement", None, "-250.00")]
    assert record.exchange == {
        "replacement": {"sku": "SHOE-43", "unit_price": "250.00", "quantity": 1}, "currency": "CNY",
        "payment_due": "0.00", "payment_due_minor": 0,
    }
    assert record.account_after["refunded_total"] == 2594


def test_an_exchange_for_a_dearer_replacement_refunds_nothing_and_asks_the_difference():
    # Given L1 (worth 275.94) exchanged for a replacement of 320.00
    ports = twins()
    an_order(ports)
    # When inspected and quoted
    result = quoted(ports, **exchange("320.00"))
    # Then nothing is refunded and the buyer owes 320.00 - 275.94 = 44.06
    assert result == {"outcome": "nothing_to_refund", "total_minor": 0, "exchange": True}
    record = ports.returns.get("RT-1")
    assert (record.exchange["payment_due"], record.exchange["payment_due_minor"]) == ("44.06", 4406)
    assert codes(record.quote)[-1] == ("exchange_replacement", None, "-275.94")


def test_the_quote_is_made_under_the_policy_the_return_was_verified_under():
    # Given a quality claim for L2 with 45.00 of prepaid postage, verified under the default cap of 30.00
    ports = twins()
    an_order(ports)
    verified(ports, items=[{"line_id": "L2", "quantity": 3}], **seller_fault(return_shipping_paid="45.00"))
    inspected(ports, items=[{"line_id": "L2", "accepted": 3}])
    # And operators have lowered the cap to 10.00 since
    ports.policies.document = PolicyDocument(version="2026-12", defaults=Settings(max_return_shipping_reimbursement="10.00"))
    # When quoted
    result = quote_return("RT-1", ports)
    # Then the cap it was verified under applies: 83.06 + 30.00 = 113.06 (not every unit back: no shipping)
    assert result["total_minor"] == 11306
    assert codes(ports.returns.get("RT-1").quote)[-1] == ("return_postage_reimbursement", None, "30.00")


def test_a_quote_after_an_earlier_refund_on_the_order_counts_its_units_and_version():
    # Given L1 refunded through an earlier return (275.94; the account at version 1)
    ports = twins()
    an_order(ports)
    quoted(ports, "RT-1")
    dispatch_refund("RT-1", ports, NOW, RETRY)
    # When a quality claim for the 3 units of L2 is quoted
    result = quoted(ports, "RT-2", items=[{"line_id": "L2", "quantity": 3}], **seller_fault())
    # Then every unit is now back: 83.06 + 12.00 shipping = 95.06, exactly the 371.00 - 275.94 still refundable
    assert result["total_minor"] == 9506
    record = ports.returns.get("RT-2")
    assert record.quote["capped"] is False
    assert record.account_version == 1
    assert record.account_after == {
        "refunded_total": L1_NET + 9506, "refunded_units": {"L1": 1, "L2": 3}, "shipping_refunded": True,
    }


def test_a_return_quoted_more_than_max_quotes_times_is_not_quoted_again():
    # Given a return quoted MAX_QUOTES times (each dispatch found the order refunded since)
    ports = twins()
    an_order(ports)
    quoted(ports)
    for _ in range(MAX_QUOTES - 1):
        quote_return("RT-1", ports)
    assert ports.returns.get("RT-1").quotes == MAX_QUOTES
    # When quoted once more
    with pytest.raises(QuoteKeepsChanging):
        quote_return("RT-1", ports)
    # Then the count stays where it was
    assert ports.returns.get("RT-1").quotes == MAX_QUOTES


def cancelled_and_held(ports, items: list[dict]) -> None:
    an_order(ports, **unshipped())
    ingested(ports, cancel_requested(items=items))
    verify_return("RT-1", ports)
    hold_shipment("RT-1", ports, NOW)
    ingested(ports, hold_answered(), source="warehouse")


def test_a_cancellation_refunds_the_cancelled_units_with_no_inspection():
    # Given 2 of the 3 units of L2 cancelled before shipment, the warehouse holding them
    ports = twins()
    cancelled_and_held(ports, [{"line_id": "L2", "quantity": 2}])
    # When quoted
    result = quote_return("RT-1", ports)
    # Then round_half_up(8306 * 2 / 3) = round_half_up(5537.33) = 55.37, no shipping (L1 still goes out)
    assert result == {"outcome": "refund", "total_minor": 5537, "exchange": False}
    assert ports.returns.get("RT-1").account_after["refunded_units"] == {"L2": 2}


def test_cancelling_every_unit_refunds_the_outbound_shipping_too():
    # Given every unit cancelled before shipment
    ports = twins()
    cancelled_and_held(ports, WHOLE_ORDER)
    # When quoted
    result = quote_return("RT-1", ports)
    # Then 275.94 + 83.06 + 12.00 = 371.00, the whole payment
    assert result["total_minor"] == PAID_TOTAL
    assert codes(ports.returns.get("RT-1").quote)[-1] == ("shipping_refund", None, "12.00")
