"""Properties of the refund arithmetic over generated orders (hypothesis, derandomized)."""

from collections import defaultdict

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.money import CURRENCY_EXPONENTS, format_minor, parse_minor
from chalicelib.domain.order_amounts import allocate_largest_remainder
from chalicelib.refunds import quote

REASONS = ["quality_issue", "wrong_item", "damaged_in_transit", "changed_mind", "wrong_size", "other"]


@st.composite
def orders(draw, max_lines=5):
    currency = draw(st.sampled_from(["CNY", "USD", "JPY", "KRW", "KWD"]))
    exponent = CURRENCY_EXPONENTS[currency]
    lines = []
    for i in range(draw(st.integers(1, max_lines))):
        quantity = draw(st.integers(1, 6))
        price = draw(st.integers(0, 10**7))
        lines.append(
            {"line_id": f"L{i}", "unit_price": price, "quantity": quantity,
             "line_discount": draw(st.integers(0, price * quantity))}
        )
    line_totals = [line["unit_price"] * line["quantity"] - line["line_discount"] for line in lines]
    order_discount = draw(st.integers(0, sum(line_totals)))
    shipping_fee = draw(st.integers(0, 10**5))
    gifts = []
    for g in range(draw(st.integers(0, 2))):
        gifts.append({"line_id": f"G{g}", "unit_price": 0, "quantity": 1, "is_gift": True,
                      "gift_for": draw(st.sampled_from(lines))["line_id"], "gift_value": draw(st.integers(0, 10**6))})
    return {
        "currency": currency,
        "exponent": exponent,
        "lines": lines,
        "gifts": gifts,
        "line_totals": line_totals,
        "order_discount": order_discount,
        "shipping_fee": shipping_fee,
        "paid": sum(line_totals) - order_discount + shipping_fee,
    }


def order_body(order: dict, returned_before: dict[str, int], **fields) -> dict:
    def money(minor):
        return format_minor(minor, order["exponent"])

    lines = []
    for line in order["lines"] + order["gifts"]:
        body = dict(line, unit_price=money(line["unit_price"]))
        if "line_discount" in line:
            body["line_discount"] = money(line["line_discount"])
            body["returned_before"] = returned_before.get(line["line_id"], 0)
        if "gift_value" in line:
            body["gift_value"] = money(line["gift_value"])
        lines.append(body)
    return {"order_id": "TM-P", "shipping_fee": money(order["shipping_fee"]),
            "order_discount": money(order["order_discount"]), "lines": lines, **fields}


@st.composite
def quote_requests(draw):
    order = draw(orders())
    exponent = order["exponent"]
    returned_before = {line["line_id"]: draw(st.integers(0, line["quantity"] - 1)) for line in order["lines"]}
    chosen = draw(st.lists(st.sampled_from(order["lines"]), min_size=1, unique_by=lambda line: line["line_id"]))
    items = [
        {"line_id": line["line_id"],
         "quantity": draw(st.integers(1, line["quantity"] - returned_before[line["line_id"]]))}
        for line in chosen
    ]
    kind = draw(st.sampled_from(["return", "cancel"]))
    refunded = draw(st.integers(0, order["paid"]))
    body = {
        "currency": order["currency"],
        "order": order_body(order, returned_before, refunded_total=format_minor(refunded, exponent),
                            shipping_refunded=draw(st.booleans())),
        "return": {"kind": kind, "reason": draw(st.sampled_from(REASONS)), "items": items},
        "customer": {"tier": draw(st.sampled_from(["vip", "potential", "normal"]))},
    }
    if kind == "return":
        body["return"]["return_shipping_paid"] = format_minor(draw(st.integers(0, 10**5)), exponent)
        if draw(st.booleans()):
            body["inspection"] = {
                "items": [
                    {"line_id": item["line_id"], "accepted": draw(st.integers(0, item["quantity"])),
                     "deductions": [{"code": "damage", "amount": format_minor(a, exponent)}
                                    for a in draw(st.lists(st.integers(0, 10**6), max_size=3))]}
                    for item in items
                ],
                "kept_gifts": draw(st.lists(st.sampled_from([g["line_id"] for g in order["gifts"]]), unique=True))
                if order["gifts"] else [],
            }
    return order, refunded, body


@given(quote_requests())
def test_total_is_the_sum_of_the_entries(case):
    order, _, body = case
    result = quote(body)
    exponent = order["exponent"]
    assert sum(parse_minor(e["amount"].lstrip("-"), exponent) * (-1 if e["amount"].startswith("-") else 1)
               for e in result["entries"]) == result["total_minor"]
    assert parse_minor(result["total"], exponent) == result["total_minor"]


@given(quote_requests())
def test_no_quote_exceeds_paid_minus_already_refunded(case):
    order, refunded, body = case
    result = quote(body)
    assert 0 <= result["total_minor"] <= order["paid"] - refunded
    assert result["capped"] == any(e["code"] == "cap_adjustment" for e in result["entries"])


@given(quote_requests())
def test_no_line_goes_below_zero(case):
    order, _, body = case
    result = quote(body)
    parent_of = {gift["line_id"]: gift["gift_for"] for gift in order["gifts"]}
    per_line = defaultdict(int)
    for entry in result["entries"]:
        if entry["line_id"] is None:
            assert not entry["amount"].startswith("-") or entry["code"] == "cap_adjustment"
            continue
        minor = int(entry["amount"].replace(".", ""))
        if entry["code"] == "item":
            assert minor >= 0
        else:
            assert entry["code"] in ("deduction", "kept_gift") and minor <= 0
        per_line[parent_of.get(entry["line_id"], entry["line_id"])] += minor
    assert all(amount >= 0 for amount in per_line.values()), per_line


@given(quote_requests())
def test_zero_decimal_currencies_never_produce_decimals(case):
    order, _, body = case
    result = quote(body)
    if order["exponent"] == 0:
        assert all("." not in e["amount"] for e in result["entries"]) and "." not in result["total"]
    else:
        assert all(len(e["amount"].split(".")[1]) == order["exponent"] for e in result["entries"])


@given(quote_requests())
def test_outbound_shipping_is_refunded_at_most_once(case):
    _, _, body = case
    result = quote(body)
    shipping = [e for e in result["entries"] if e["code"] == "shipping_refund"]
    assert len(shipping) <= 1
    if body["order"]["shipping_refunded"]:
        assert not shipping


@st.composite
def partial_return_sequences(draw):
    order = draw(orders(max_lines=4))
    line = draw(st.sampled_from(order["lines"]))
    chunks = []
    left = line["quantity"]
    while left:
        chunk = draw(st.integers(1, left))
        chunks.append(chunk)
        left -= chunk
    return order, line, chunks


@given(partial_return_sequences())
def test_returning_every_unit_of_a_line_in_parts_adds_up_to_its_net_amount(case):
    order, line, chunks = case
    index = order["lines"].index(line)
    share = allocate_largest_remainder(order["order_discount"], order["line_totals"])[index]
    net_line = order["line_totals"][index] - share
    refunded_items = 0
    returned = 0
    for chunk in chunks:
        body = {
            "currency": order["currency"],
            "order": order_body(order, {line["line_id"]: returned}),
            "return": {"kind": "return", "reason": "changed_mind", "items": [{"line_id": line["line_id"], "quantity": chunk}]},
        }
        result = quote(body)
        items = [e for e in result["entries"] if e["code"] == "item"]
        assert [e["line_id"] for e in items] == [line["line_id"]]
        refunded_items += int(items[0]["amount"].replace(".", ""))
        returned += chunk
    assert refunded_items == net_line
