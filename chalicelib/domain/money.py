"""Money as integer minor units; JSON carries it as decimal strings (POLICY.md section 1).

Floats never enter: an amount is parsed from a string whose number of decimals
must equal the currency's exponent, so "12.5" CNY or "12.00" JPY are refused
instead of being silently rescaled.
"""

import re

# ISO 4217 minor-unit exponents of the currencies the marketplaces settle in.
CURRENCY_EXPONENTS: dict[str, int] = {
    "CNY": 2, "USD": 2, "EUR": 2, "GBP": 2, "HKD": 2, "AUD": 2, "CAD": 2,
    "SGD": 2, "CHF": 2, "NZD": 2, "SEK": 2, "NOK": 2, "DKK": 2, "PLN": 2,
    "CZK": 2, "INR": 2, "MXN": 2, "BRL": 2, "MYR": 2, "THB": 2, "AED": 2,
    "JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0,
    "KWD": 3, "BHD": 3,
}

# Fifteen integer digits is far above any order and far below float or JSON trouble.
_MAX_INTEGER_DIGITS = 15


def amount_pattern(exponent: int) -> str:
    """The one definition of a valid amount; plain "0" is valid in every currency, as the contract writes defaults."""
    integer = rf"(?:0|[1-9][0-9]{{0,{_MAX_INTEGER_DIGITS - 1}}})"
    return rf"0|{integer}\.[0-9]{{{exponent}}}" if exponent else integer


AMOUNT_PATTERNS = {exponent: re.compile(amount_pattern(exponent)) for exponent in set(CURRENCY_EXPONENTS.values())}
_INTEGER = rf"(?:0|[1-9][0-9]{{0,{_MAX_INTEGER_DIGITS - 1}}})"
# An amount whose currency is not known yet (an event's amounts, before its order is): its exact scale is checked
# with money's own words once the order is known.
ANY_AMOUNT_PATTERN = rf"^{_INTEGER}(?:\.[0-9]{{1,3}})?$"
# A policy threshold, in major units with or without cents ("2000.00", "30"), at most ten integer digits, scaled
# to each currency's exponent.
MAJOR_AMOUNT = re.compile(r"(?:0|[1-9][0-9]{0,9})(?:\.[0-9]{2})?")


class AmountError(ValueError):
    """An amount string that is not valid for its currency."""


def example_amount(exponent: int) -> str:
    return format_minor(199 * 10**exponent, exponent)


def parse_minor(text: object, exponent: int) -> int:
    """Parse a non-negative decimal string with exactly `exponent` decimals into minor units."""
    if type(text) is str and AMOUNT_PATTERNS[exponent].fullmatch(text):
        return valid_to_minor(text)
    raise AmountError(amount_problem(text, exponent))


def major_to_minor(amount: str, exponent: int) -> int:
    """A policy threshold in minor units of a currency: "2000.00" -> 200000 (exponent 2) or 2000 (exponent 0)."""
    cents = valid_to_minor(amount) if "." in amount else valid_to_minor(amount) * 100
    return cents * 10**exponent // 100


def valid_to_minor(text: str) -> int:
    """Minor units of a string that matched its currency's amount pattern ("12.34" -> 1234)."""
    return int(text.replace(".", ""))


def amount_problem(value: object, exponent: int) -> str:
    """What is wrong with a value that is not an amount of a currency with this exponent."""
    if not isinstance(value, str):
        return f"must be a decimal string like {example_amount(exponent)!r}, not {_json_kind(value)}"
    if value.startswith("-"):
        return f"must not be negative (got {value!r})"
    decimals = "no decimals" if exponent == 0 else f"exactly {exponent} decimals"
    return f"{value!r} is not a valid amount: expected a decimal string with {decimals}, like {example_amount(exponent)!r}"


def _json_kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return "a list" if isinstance(value, list) else "an object"


def format_minor(minor: int, exponent: int) -> str:
    """Render minor units as the decimal string of the contract ("-15.00", "1990")."""
    if not exponent:
        return str(minor)
    sign = "-" if minor < 0 else ""
    digits = str(abs(minor)).rjust(exponent + 1, "0")
    return f"{sign}{digits[:-exponent]}.{digits[-exponent:]}"


def round_half_up(numerator: int, denominator: int) -> int:
    """round(numerator / denominator), halves up, for numerator >= 0 and denominator > 0."""
    return (2 * numerator + denominator) // (2 * denominator)
