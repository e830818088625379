"""Exchanges (POLICY.md section 7; pure): after a passed inspection the buyer gets a replacement instead of a
refund. The returned goods are worth what a refund of them would be; a cheaper replacement refunds the
difference (the same quote, with the replacement as a negative entry, so entries still sum to the total), a
dearer one asks the buyer to pay the difference. A swap like for like (a Tmall exchange) is worth exactly the
goods sent back: nothing either way."""

from typing import NamedTuple

from chalicelib.domain.money import format_minor, parse_minor


class ExchangePlan(NamedTuple):
    refund: dict  # the quote to dispatch: the returned goods less the replacement, never below 0
    payment_due_minor: int  # what the buyer owes for a dearer replacement


def plan_exchange(quote: dict, replacement: dict, exponent: int) -> ExchangePlan:
    returned = quote["total_minor"]
    price = returned if replacement.get("like_for_like") else parse_minor(replacement["unit_price"], exponent) * replacement["quantity"]
    credited = min(price, returned)
    entry = {
        "code": "exchange_replacement",
        "line_id": None,
        "amount": format_minor(-credited, exponent),
        "reason": f"replacement {replacement['sku']} x{replacement['quantity']} sent instead, "
        f"worth {format_minor(price, exponent)}",
    }
    total = returned - credited
    refund = {**quote, "total": format_minor(total, exponent), "total_minor": total, "entries": [*quote["entries"], entry]}
    return ExchangePlan(refund, price - credited)
