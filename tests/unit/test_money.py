import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.money import AmountError, format_minor, parse_minor, round_half_up
from chalicelib.domain.order_amounts import allocate_largest_remainder


@pytest.mark.parametrize(
    "text, exponent, minor",
    [("199.00", 2, 19900), ("0.01", 2, 1), ("0.00", 2, 0), ("0", 2, 0), ("1990", 0, 1990), ("0", 0, 0),
     ("1.005", 3, 1005)],
)
def test_parse_minor(text, exponent, minor):
    assert parse_minor(text, exponent) == minor


@pytest.mark.parametrize(
    "text, exponent", [("12.5", 2), ("12", 2), ("12.000", 2), ("12.00", 0), ("-1.00", 2), ("01.00", 2), (" 1.00", 2),
                       ("1.00\n", 2), ("1,00", 2), ("", 2), ("1" * 16 + ".00", 2), ("NaN", 2), ("1e3", 0)],
)
def test_parse_minor_refuses(text, exponent):
    with pytest.raises(AmountError):
        parse_minor(text, exponent)


@pytest.mark.parametrize("value", [12.0, 12, True, None, [], {}])
def test_parse_minor_refuses_non_strings(value):
    with pytest.raises(AmountError, match="decimal string"):
        parse_minor(value, 2)


@pytest.mark.parametrize(
    "minor, exponent, text",
    [(19900, 2, "199.00"), (5, 2, "0.05"), (-1500, 2, "-15.00"), (-5, 2, "-0.05"), (0, 2, "0.00"), (1990, 0, "1990"),
     (-30, 0, "-30"), (1, 3, "0.001")],
)
def test_format_minor(minor, exponent, text):
    assert format_minor(minor, exponent) == text


@given(st.integers(min_value=0, max_value=10**15 - 1), st.sampled_from([0, 2, 3]))
def test_format_then_parse_round_trips(minor, exponent):
    assert parse_minor(format_minor(minor, exponent), exponent) == minor


@pytest.mark.parametrize("a, b, result", [(5, 2, 3), (4, 2, 2), (7, 2, 4), (1, 3, 0), (2, 3, 1), (0, 7, 0)])
def test_round_half_up(a, b, result):
    assert round_half_up(a, b) == result


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=1, max_value=10**6))
def test_round_half_up_matches_exact_rounding(a, b):
    assert round_half_up(a, b) == math.floor(Fraction(a, b) + Fraction(1, 2))


def test_allocation_of_the_contract_example():
    assert allocate_largest_remainder(3000, [29900, 8999]) == [2306, 694]


@given(
    st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=12).flatmap(
        lambda weights: st.tuples(st.just(weights), st.integers(min_value=0, max_value=sum(weights)))
    )
)
def test_allocations_sum_to_the_amount_and_stay_within_one_unit_of_proportional(case):
    weights, amount = case
    shares = allocate_largest_remainder(amount, weights)
    assert sum(shares) == amount
    total = sum(weights)
    for share, weight in zip(shares, weights):
        assert 0 <= share <= weight
        if total:
            assert abs(share * total - amount * weight) < total
