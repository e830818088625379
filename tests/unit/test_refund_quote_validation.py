"""Every invalid input of CONTRACTS.md is refused with an error that names the field."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.money import CURRENCY_EXPONENTS, AmountError, format_minor, parse_minor
from chalicelib.refunds import InvalidInput, quote
from tests.quote_requests import contract_request, line, request


def mutated(change) -> dict:
    body = contract_request()
    change(body)
    return body


def set_in(path: list, value):
    def change(body):
        target = body
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return change


def delete(path: list):
    def change(body):
        target = body
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]
    return change


CASES = [
    # (name, change, field, code, words in the message)
    ("float amount", set_in(["order", "shipping_fee"], 12.0), "order.shipping_fee", "invalid_value", "not a number"),
    ("integer amount", set_in(["order", "lines", 0, "unit_price"], 299), "order.lines[0].unit_price", "invalid_value",
     "not a number"),
    ("one decimal for CNY", set_in(["order", "shipping_fee"], "12.5"), "order.shipping_fee", "invalid_value",
     "exactly 2 decimals"),
    ("no decimals for CNY", set_in(["order", "shipping_fee"], "12"), "order.shipping_fee", "invalid_value",
     "exactly 2 decimals"),
    ("negative amount", set_in(["return", "return_shipping_paid"], "-18.00"), "return.return_shipping_paid",
     "invalid_value", "negative"),
    ("exponent notation", set_in(["order", "order_discount"], "3e1"), "order.order_discount", "invalid_value",
     "not a valid amount"),
    ("unicode digits", set_in(["order", "order_discount"], "\u0663\u0660.00"), "order.order_discount", "invalid_value",
     "not a valid amount"),
    ("null amount", set_in(["inspection", "items", 1, "deductions", 0, "amount"], None),
     "inspection.items[1].deductions[0].amount", "invalid_value", "not null"),
    ("unknown currency", set_in(["currency"], "XYZ"), "currency", "unknown_currency", "not a supported currency"),
    ("lower-case currency", set_in(["currency"], "cny"), "currency", "unknown_currency", "not a supported currency"),
    ("missing currency", delete(["currency"]), "currency", "missing_field", "not a supported currency"),
    ("unknown line in return", set_in(["return", "items", 1, "line_id"], "L9"), "return.items[1].line_id",
     "unknown_line", "'L9'"),
    ("unknown line in inspection", set_in(["inspection", "items", 0, "line_id"], "L9"),
     "inspection.items[0].line_id", "unknown_line", "'L9'"),
    ("returned units beyond what was bought", set_in(["return", "items", 1, "quantity"], 4), "return.items[1].quantity",
     "quantity_exceeded", "only 3"),
    ("returned before beyond what was bought", set_in(["order", "lines", 1, "returned_before"], 4),
     "order.lines[1].returned_before", "quantity_exceeded", "only 3 bought"),
    ("requested plus returned before beyond bought", set_in(["order", "lines", 1, "returned_before"], 1),
     "return.items[1].quantity", "quantity_exceeded", "only 2"),
    ("accepted beyond requested", set_in(["inspection", "items", 0, "accepted"], 2), "inspection.items[0].accepted",
     "quantity_exceeded", "only 1"),
    ("zero units requested", set_in(["return", "items", 0, "quantity"], 0), "return.items[0].quantity",
     "invalid_value", "greater than or equal to 1"),
    ("quantity as a string", set_in(["return", "items", 0, "quantity"], "1"), "return.items[0].quantity",
     "invalid_value", "integer"),
    ("quantity as a boolean", set_in(["order", "lines", 0, "quantity"], True), "order.lines[0].quantity",
     "invalid_value", "integer"),
    ("negative returned before", set_in(["order", "lines", 0, "returned_before"], -1),
     "order.lines[0].returned_before", "invalid_value", "greater than or equal to 0"),
    ("line discount above the line", set_in(["order", "lines", 0, "line_discount"], "299.01"),
     "order.lines[0].line_discount", "discount_exceeds_total", "larger"),
    ("order discount above the lines", set_in(["order", "order_discount"], "389.01"), "order.order_discount",
     "discount_exceeds_total", "larger"),
    ("already refunded more than paid", set_in(["order", "refunded_total"], "371.01"), "order.refunded_total",
     "refund_exceeds_paid", "larger"),
    ("unknown reason", set_in(["return", "reason"], "because"), "return.reason", "invalid_value", "quality_issue"),
    ("unknown kind", set_in(["return", "kind"], "swap"), "return.kind", "invalid_value", "'return' or 'cancel'"),
    ("unknown tier", set_in(["customer", "tier"], "gold"), "customer.tier", "invalid_value", "'vip'"),
    ("missing order", delete(["order"]), "order", "missing_field", "required"),
    ("missing unit price", delete(["order", "lines", 2, "unit_price"]), "order.lines[2].unit_price", "missing_field",
     "required"),
    ("misspelt field", set_in(["order", "lines", 0, "line_dicount"], "1.00"), "order.lines[0].line_dicount",
     "unknown_field", "not a known field"),
    ("no lines", set_in(["order", "lines"], []), "order.lines", "invalid_value", "at least 1"),
    ("no returned items", set_in(["return", "items"], []), "return.items", "invalid_value", "at least 1"),
    ("duplicate line id", set_in(["order", "lines", 1, "line_id"], "L1"), "order.lines[1].line_id", "duplicate_line",
     "twice"),
    ("line requested twice", set_in(["return", "items", 1, "line_id"], "L1"), "return.items[1].line_id",
     "duplicate_line", "twice"),
    ("inspection misses a line", set_in(["inspection", "items"], [{"line_id": "L1", "accepted": 1}]),
     "inspection.items", "missing_field", "'L2'"),
    ("kept gift that is no gift", set_in(["inspection", "kept_gifts"], ["L2"]), "inspection.kept_gifts[0]",
     "unknown_line", "not a gift line"),
    ("gift priced", set_in(["order", "lines", 2, "unit_price"], "1.00"), "order.lines[2].unit_price", "invalid_gift",
     "unit_price 0"),
    ("gift of an unknown line", set_in(["order", "lines", 2, "gift_for"], "L7"), "order.lines[2].gift_for",
     "unknown_line", "'L7'"),
    ("gift value on a normal line", set_in(["order", "lines", 0, "gift_value"], "1.00"), "order.lines[0].gift_value",
     "invalid_gift", "gift line"),
    ("order is a list", set_in(["order"], []), "order", "invalid_value", "dictionary"),
]


@pytest.mark.parametrize("change, field, code, words", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_invalid_input_names_the_field(change, field, code, words):
    with pytest.raises(InvalidInput) as raised:
        quote(mutated(change))
    error = raised.value
    assert (error.field, error.code) == (field, code), error.message
    assert words in error.message


@pytest.mark.parametrize(
    "currency, amount, words",
    [("JPY", "12.00", "no decimals"), ("KRW", "1.5", "no decimals"), ("KWD", "1.00", "exactly 3 decimals")],
)
def test_amount_scale_follows_the_currency(currency, amount, words):
    body = request([line("L1", amount)], [("L1", 1)], currency=currency, shipping_fee="0")
    with pytest.raises(InvalidInput) as raised:
        quote(body)
    assert raised.value.field == "order.lines[0].unit_price"
    assert words in raised.value.message


AMOUNT_LIKE = st.one_of(
    st.from_regex(r"-?[0-9\u0660-\u0669]{0,17}(\.[0-9]{0,4})?\n?", fullmatch=True),
    st.text(alphabet="0123456789.-+e \n", max_size=20),
    st.integers(), st.floats(allow_nan=False), st.none(), st.booleans(),
)


@given(amount=AMOUNT_LIKE, currency=st.sampled_from(["CNY", "JPY", "KWD"]))
def test_quote_accepts_an_amount_exactly_when_money_parses_it(amount, currency):
    """The schema checks amounts with its own pattern; it must agree with money's parser, message and value."""
    exponent = CURRENCY_EXPONENTS[currency]
    body = request([line("L1", format_minor(100, exponent)), line("L2", "0")], [("L1", 1)], currency=currency,
                   shipping_fee="0", reason="changed_mind")
    body["order"]["lines"][1]["unit_price"] = amount
    try:
        expected = parse_minor(amount, exponent)
    except AmountError as error:
        with pytest.raises(InvalidInput) as raised:
            quote(body)
        assert (raised.value.field, raised.value.message) == ("order.lines[1].unit_price", str(error))
    else:
        body["return"]["items"] = [{"line_id": "L2", "quantity": 1}]
        body["inspection"]["items"] = [{"line_id": "L2", "accepted": 1, "deductions": []}]
        assert quote(body)["total_minor"] == expected


def test_cancellation_with_an_inspection_is_refused():
    body = request([line("L1", "10.00")], [("L1", 1)], kind="cancel")
    body["inspection"] = {"items": [{"line_id": "L1", "accepted": 1}]}
    with pytest.raises(InvalidInput) as raised:
        quote(body)
    assert raised.value.field == "inspection"


def test_cancellation_with_return_postage_is_refused():
    body = request([line("L1", "10.00")], [("L1", 1)], kind="cancel", return_shipping_paid="5.00")
    with pytest.raises(InvalidInput) as raised:
        quote(body)
    assert raised.value.field == "return.return_shipping_paid"


@pytest.mark.parametrize("body", [None, [], "x", 3])
def test_a_body_that_is_not_an_object_is_refused(body):
    with pytest.raises(InvalidInput) as raised:
        quote(body)
    assert raised.value.code == "invalid_body"


def test_unknown_policy_keys_are_left_to_verification():
    body = contract_request()
    body["policy"]["return_window_days"] = 7
    assert quote(body)["total"] == "369.00"


def test_error_serializes_to_the_api_error_shape():
    with pytest.raises(InvalidInput) as raised:
        quote(mutated(set_in(["order", "shipping_fee"], 12.0)))
    assert raised.value.to_dict() == {
        "error": {
            "code": "invalid_value",
            "message": "must be a decimal string like '199.00', not a number",
            "field": "order.shipping_fee",
        }
    }
