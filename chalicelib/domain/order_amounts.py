"""What the buyer really paid per line (POLICY.md section 2)."""

from typing import NamedTuple

from chalicelib.domain.quote_request import Order


def allocate_largest_remainder(amount: int, weights: list[int]) -> list[int]:
    """Split `amount` in proportion to `weights` so the shares sum exactly to it.

    Each share is first floored; the leftover units go one each to the largest
    fractional remainders, ties to the earlier weight.
    """
    total = sum(weights)
    if amount == 0 or total == 0:
        return [0] * len(weights)
    shares = []
    remainders = []
    for weight in weights:
        share, remainder = divmod(amount * weight, total)
        shares.append(share)
        remainders.append(remainder)
    leftover = amount - sum(shares)
    if leftover:
        for i in sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[:leftover]:
            shares[i] += 1
    return shares


class OrderAmounts(NamedTuple):
    net_lines: dict[str, int]
    paid_total: int


def order_amounts(order: Order) -> OrderAmounts:
    """Net amount per line after its share of the order coupon, and the paid total."""
    net_lines = {}
    paying_ids = []
    paying_totals = []
    for line in order["lines"]:
        line_total = line["unit_price"] * line["quantity"] - line["line_discount"]
        net_lines[line["line_id"]] = line_total
        if not line["is_gift"]:
            paying_ids.append(line["line_id"])
            paying_totals.append(line_total)
    if order["order_discount"]:
        for line_id, share in zip(paying_ids, allocate_largest_remainder(order["order_discount"], paying_totals)):
            net_lines[line_id] -= share
    return OrderAmounts(net_lines, sum(net_lines.values()) + order["shipping_fee"])
