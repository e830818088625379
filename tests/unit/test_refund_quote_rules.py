"""Each rule of POLICY.md section 3, by hand-computed cases."""

from chalicelib.refunds import quote
from tests.quote_requests import amounts, contract_request, line, request

SHOES = line("L1", "100.00", 2)
BAG = line("L2", "50.00", 1)
# paid: 200.00 + 50.00 + 10.00 shipping = 260.00


def test_contract_worked_example_gives_exactly_the_contract_response():
    result = quote(contract_request())
    assert {k: result[k] for k in ("currency", "total", "total_minor", "capped")} == {
        "currency": "CNY", "total": "369.00", "total_minor": 36900, "capped": False,
    }
    assert amounts(result) == [
        ("item", "L1", "275.94"),
        ("kept_gift", "G1", "-15.00"),
        ("item", "L2", "83.06"),
        ("deduction", "L2", "-5.00"),
        ("shipping_refund", None, "12.00"),
        ("return_postage_reimbursement", None, "18.00"),
    ]
    assert all(isinstance(e["reason"], str) and e["reason"] for e in result["entries"])


def test_seller_fault_partial_return_reimburses_postage_but_not_outbound_shipping():
    result = quote(request([SHOES, BAG], [("L2", 1)], reason="not_as_described", return_shipping_paid="8.00"))
    assert amounts(result) == [("item", "L2", "50.00"), ("return_postage_reimbursement", None, "8.00")]
    assert result["total"] == "58.00"


def test_seller_fault_full_return_refunds_shipping_and_caps_at_paid_total():
    result = quote(request([SHOES, BAG], [("L1", 2), ("L2", 1)], return_shipping_paid="8.00"))
    assert amounts(result) == [
        ("item", "L1", "200.00"),
        ("item", "L2", "50.00"),
        ("shipping_refund", None, "10.00"),
        ("return_postage_reimbursement", None, "8.00"),
        ("cap_adjustment", None, "-8.00"),
    ]
    assert (result["total"], result["total_minor"], result["capped"]) == ("260.00", 26000, True)


def test_buyer_fault_normal_customer_bears_postage_both_ways():
    result = quote(request([SHOES, BAG], [("L1", 2), ("L2", 1)], reason="changed_mind", return_shipping_paid="8.00"))
    assert amounts(result) == [("item", "L1", "200.00"), ("item", "L2", "50.00")]
    assert result["total"] == "250.00"


def test_buyer_fault_potential_customer_gets_no_postage_either():
    result = quote(request([SHOES], [("L1", 1)], reason="wrong_size", tier="potential", return_shipping_paid="8.00"))
    assert amounts(result) == [("item", "L1", "100.00")]


def test_vip_buyer_fault_gets_postage_but_not_outbound_shipping():
    result = quote(
        request([SHOES, BAG], [("L1", 2), ("L2", 1)], reason="no_longer_needed", tier="vip", return_shipping_paid="8.00")
    )
    assert amounts(result) == [
        ("item", "L1", "200.00"), ("item", "L2", "50.00"), ("return_postage_reimbursement", None, "8.00"),
    ]


def test_postage_reimbursement_is_capped_by_default_and_by_policy():
    default = quote(request([SHOES], [("L1", 1)], tier="vip", reason="other", return_shipping_paid="45.00"))
    assert amounts(default)[-1] == ("return_postage_reimbursement", None, "30.00")
    assert "capped at 30.00" in default["entries"][-1]["reason"]
    tighter = quote(
        request([SHOES], [("L1", 1)], return_shipping_paid="45.00",
                policy={"max_return_shipping_reimbursement": "20.00", "return_window_days": 7})
    )
    assert amounts(tighter)[-1] == ("return_postage_reimbursement", None, "20.00")


def test_postage_cap_scales_with_a_zero_decimal_currency():
    result = quote(
        request([line("L1", "9800"), line("L2", "1000")], [("L1", 1)], currency="JPY", shipping_fee="500",
                return_shipping_paid="800")
    )
    assert amounts(result) == [("item", "L1", "9800"), ("return_postage_reimbursement", None, "30")]
    assert result["total"] == "9830"


def test_cap_at_paid_minus_already_refunded():
    result = quote(request([SHOES, BAG], [("L1", 2)], reason="changed_mind", refunded_total="160.00"))
    assert amounts(result) == [("item", "L1", "200.00"), ("cap_adjustment", None, "-100.00")]
    assert (result["total"], result["capped"]) == ("100.00", True)


def test_deductions_larger_than_the_item_stop_the_line_at_zero():
    result = quote(request([SHOES, BAG], [("L2", 1)], deductions={"L2": ["30.00", "30.00", "5.00"]}))
    assert amounts(result) == [
        ("item", "L2", "50.00"), ("deduction", "L2", "-30.00"), ("deduction", "L2", "-20.00"), ("deduction", "L2", "0.00"),
    ]
    assert result["total"] == "0.00"
    assert "30.00 assessed, 20.00 applied" in result["entries"][2]["reason"]


def test_kept_gift_is_clawed_back_only_when_the_whole_parent_line_comes_back():
    gift = line("G1", "0.00", 1, is_gift=True, gift_for="L1", gift_value="15.00")
    partial = quote(request([SHOES, gift], [("L1", 1)], reason="changed_mind", kept_gifts=["G1"]))
    assert amounts(partial) == [("item", "L1", "100.00")]
    full = quote(request([SHOES, gift], [("L1", 2)], reason="changed_mind", kept_gifts=["G1"]))
    assert amounts(full) == [("item", "L1", "200.00"), ("kept_gift", "G1", "-15.00")]
    returned = quote(request([SHOES, gift], [("L1", 2), ("G1", 1)], reason="changed_mind"))
    assert amounts(returned) == [("item", "L1", "200.00")]


def test_kept_gift_completing_an_earlier_partial_return_is_clawed_back():
    shoes = line("L1", "100.00", 2, returned_before=1)
    gift = line("G1", "0.00", 1, is_gift=True, gift_for="L1", gift_value="15.00")
    result = quote(request([shoes, gift], [("L1", 1)], reason="changed_mind", kept_gifts=["G1"]))
    assert amounts(result) == [("item", "L1", "100.00"), ("kept_gift", "G1", "-15.00")]


def test_kept_gift_worth_more_than_the_line_stops_the_line_at_zero():
    cheap = line("L1", "9.90", 1)
    gift = line("G1", "0.00", 1, is_gift=True, gift_for="L1", gift_value="15.00")
    result = quote(request([cheap, gift], [("L1", 1)], reason="changed_mind", kept_gifts=["G1"], shipping_fee="0.00"))
    assert amounts(result) == [("item", "L1", "9.90"), ("kept_gift", "G1", "-9.90")]
    assert result["total"] == "0.00"


def test_partial_returns_of_one_line_add_up_to_its_net_amount():
    thirds = line("L1", "100.00", 3)
    refunds = []
    for returned_before in range(3):
        thirds["returned_before"] = returned_before
        result = quote(request([thirds], [("L1", 1)], reason="changed_mind"))
        refunds.append(result["total"])
    assert refunds == ["100.00", "100.00", "100.00"]
    uneven = line("L1", "100.00", 3, line_discount="0.01")  # net 299.99
    parts = []
    for returned_before in range(3):
        uneven["returned_before"] = returned_before
        parts.append(quote(request([uneven], [("L1", 1)], reason="changed_mind"))["total_minor"])
    # cumulative: round(29999/3) = 10000, round(2*29999/3) = 19999, then 29999
    assert parts == [10000, 9999, 10000]
    assert sum(parts) == 29999


def test_shipping_refunded_once_the_last_units_come_back():
    shoes = line("L1", "100.00", 2, returned_before=2)
    result = quote(request([shoes, BAG], [("L2", 1)], refunded_total="200.00"))
    assert amounts(result) == [("item", "L2", "50.00"), ("shipping_refund", None, "10.00")]


def test_shipping_already_refunded_is_not_refunded_again():
    result = quote(request([SHOES, BAG], [("L1", 2), ("L2", 1)], shipping_refunded=True))
    assert amounts(result) == [("item", "L1", "200.00"), ("item", "L2", "50.00")]


def test_shipping_not_refunded_when_inspection_rejects_part_of_the_order():
    result = quote(request([SHOES, BAG], [("L1", 2), ("L2", 1)], accepted={"L1": 1}))
    assert amounts(result) == [("item", "L1", "100.00"), ("item", "L2", "50.00")]


def test_inspection_accepting_nothing_quotes_zero_even_for_seller_fault_postage():
    result = quote(
        request([SHOES, BAG], [("L1", 2), ("L2", 1)], accepted={"L1": 0, "L2": 0}, return_shipping_paid="8.00")
    )
    assert amounts(result) == [("item", "L1", "0.00"), ("item", "L2", "0.00")]
    assert (result["total"], result["capped"]) == ("0.00", False)


def test_estimate_without_inspection_assumes_every_requested_unit_is_accepted():
    result = quote(request([SHOES, BAG], [("L1", 2), ("L2", 1)], inspect=False, return_shipping_paid="8.00"))
    assert result["total"] == "260.00"
    assert "requested" in result["entries"][0]["reason"]


def test_full_cancellation_refunds_items_and_shipping_whatever_the_reason():
    result = quote(request([SHOES, BAG], [("L1", 2), ("L2", 1)], kind="cancel", reason="changed_mind"))
    assert amounts(result) == [("item", "L1", "200.00"), ("item", "L2", "50.00"), ("shipping_refund", None, "10.00")]
    assert result["total"] == "260.00"
    assert "cancelled" in result["entries"][0]["reason"]


def test_partial_cancellation_keeps_shipping():
    result = quote(request([SHOES, BAG], [("L1", 1)], kind="cancel", reason="changed_mind"))
    assert amounts(result) == [("item", "L1", "100.00")]


def test_cancellation_of_the_rest_after_a_return_refunds_shipping():
    shoes = line("L1", "100.00", 2, returned_before=2)
    result = quote(request([shoes, BAG], [("L2", 1)], kind="cancel", reason="other", refunded_total="200.00"))
    assert amounts(result) == [("item", "L2", "50.00"), ("shipping_refund", None, "10.00")]


def test_order_discount_is_shared_by_largest_remainder_with_ties_to_the_first_line():
    lines = [line("L1", "10.00"), line("L2", "10.00"), line("L3", "10.00")]
    result = quote(
        request(lines, [("L1", 1), ("L2", 1), ("L3", 1)], reason="changed_mind", order_discount="0.02", shipping_fee="0.00")
    )
    # 0.02 over three equal lines: floors are 0, remainders tie, so L1 and L2 take one cent each.
    assert amounts(result) == [("item", "L1", "9.99"), ("item", "L2", "9.99"), ("item", "L3", "10.00")]


def test_gift_lines_take_no_share_of_the_order_discount():
    gift = line("G1", "0.00", 1, is_gift=True, gift_for="L1", gift_value="5.00")
    result = quote(request([gift, line("L1", "80.00")], [("L1", 1)], reason="changed_mind", order_discount="8.00"))
    assert amounts(result) == [("item", "L1", "72.00")]


def test_zero_decimal_currency_amounts_have_no_decimals():
    result = quote(
        request([line("L1", "1990", 3), line("L2", "500")], [("L1", 3)], currency="KRW", shipping_fee="3000",
                order_discount="1001", reason="changed_mind")
    )
    # line totals 5970 and 500 share 1001: floors 923 and 77, leftover 1 to L1 (remainder 5310 > 1230).
    assert amounts(result) == [("item", "L1", "5046")]
    assert result["total"] == "5046"


def test_three_decimal_currency():
    result = quote(request([line("L1", "12.345")], [("L1", 1)], currency="KWD", shipping_fee="1.000"))
    assert amounts(result) == [("item", "L1", "12.345"), ("shipping_refund", None, "1.000")]


def test_plain_zero_is_accepted_for_any_currency():
    result = quote(request([SHOES], [("L1", 1)], shipping_fee="0", reason="changed_mind", refunded_total="0"))
    assert result["total"] == "100.00"


def test_the_same_request_always_gives_the_same_quote():
    assert quote(contract_request()) == quote(contract_request())


def test_quote_does_not_change_its_input():
    body = contract_request()
    quote(body)
    assert body == contract_request()


def test_an_exchange_credits_the_replacement_against_the_refund():
    from chalicelib.domain.exchange import plan_exchange

    returned = {"currency": "CNY", "total": "275.94", "total_minor": 27594, "capped": False, "entries": [
        {"code": "item", "line_id": "L1", "amount": "275.94", "reason": "..."}]}
    cheaper = plan_exchange(returned, {"sku": "S-2", "unit_price": "250.00", "quantity": 1}, 2)
    assert (cheaper.refund["total"], cheaper.payment_due_minor) == ("25.94", 0)
    assert cheaper.refund["entries"][-1]["amount"] == "-250.00"
    assert sum(int(e["amount"].replace(".", "")) for e in cheaper.refund["entries"]) == cheaper.refund["total_minor"]
    even = plan_exchange(returned, {"sku": "S-3", "unit_price": "275.94", "quantity": 1}, 2)
    assert (even.refund["total_minor"], even.payment_due_minor) == (0, 0)
    dearer = plan_exchange(returned, {"sku": "S-4", "unit_price": "150.00", "quantity": 2}, 2)
    assert (dearer.refund["total_minor"], dearer.payment_due_minor) == (0, 2406)
    assert dearer.refund["entries"][-1]["amount"] == "-275.94"


def test_a_swap_like_for_like_refunds_nothing_and_asks_nothing_whatever_its_price_says():
    from chalicelib.domain.exchange import plan_exchange

    # 2 of 3 units of a line paid 100.00: the quote is 66.67, the per-unit price written 33.33 x 2 = 66.66.
    returned = {"currency": "CNY", "total": "66.67", "total_minor": 6667, "capped": False, "entries": [
        {"code": "item", "line_id": "L1", "amount": "66.67", "reason": "..."}]}
    swap = plan_exchange(returned, {"sku": "S-2", "unit_price": "33.33", "quantity": 2, "like_for_like": True}, 2)
    assert (swap.refund["total_minor"], swap.payment_due_minor, swap.refund["entries"][-1]["amount"]) == (0, 0, "-66.67")
    short = plan_exchange({**returned, "total": "50.00", "total_minor": 5000},  # one unit accepted less a deduction
                          {"sku": "S-2", "unit_price": "33.33", "quantity": 2, "like_for_like": True}, 2)
    assert (short.refund["total_minor"], short.payment_due_minor) == (0, 0)


# A refund-only request (POLICY.md section 8): the item refund of the requested units, and nothing else.

def test_refund_only_is_the_item_refund_of_the_requested_units():
    result = quote(request([SHOES, BAG], [("L1", 1)], kind="refund_only", reason="changed_mind"))
    assert amounts(result) == [("item", "L1", "100.00")]
    assert result["total"] == "100.00"
    assert "refunded without return" in result["entries"][0]["reason"]


def test_refund_only_of_every_unit_for_a_seller_fault_reason_keeps_the_outbound_shipping():
    # A return of the same would refund the 10.00 shipping (rule 4): here no unit comes back.
    result = quote(request([SHOES, BAG], [("L1", 2), ("L2", 1)], kind="refund_only", reason="quality_issue"))
    assert amounts(result) == [("item", "L1", "200.00"), ("item", "L2", "50.00")]
    assert result["total"] == "250.00"


def test_refund_only_uses_the_cumulative_item_formula_for_part_of_a_line():
    uneven = line("L1", "100.00", 3, line_discount="0.01", returned_before=1)  # net 299.99
    result = quote(request([uneven], [("L1", 1)], kind="refund_only", reason="other"))
    # round(2 * 29999 / 3) - round(29999 / 3) = 19999 - 10000
    assert result["total_minor"] == 9999


def test_refund_only_is_capped_at_what_is_left_of_the_paid_total():
    result = quote(
        request([SHOES, BAG], [("L1", 2)], kind="refund_only", reason="changed_mind", refunded_total="180.00"))
    # paid 260.00 less 180.00 refunded leaves 80.00 of the 200.00 item refund
    assert amounts(result) == [("item", "L1", "200.00"), ("cap_adjustment", None, "-120.00")]
    assert (result["total"], result["capped"]) == ("80.00", True)
