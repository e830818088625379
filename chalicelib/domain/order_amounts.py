"""What the buyer really paid per line (POLICY.md section 2)."""

from chalicelib.domain.quote_request import QuoteOrder


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
        # A reversed sort is still stable, so equal remainders keep the earlier weight first.
        for i in sorted(range(len(weights)), key=remainders.__getitem__, reverse=True)[:leftover]:
            shares[i] += 1
    return shares


def order_amounts(order: QuoteOrder) -> tuple[dict[str, int], int]:
    """Net amount per line after its share of the order coupon, and the paid total."""
    net_lines = {}
    paid = order["shipping_fee"]
    for line in order["lines"]:
        net_lines[line["line_id"]] = net = line["unit_price"] * line["quantity"] - line["line_discount"]
        paid += net
    discount = order["order_discount"]
    if discount:
        paying_ids = [line["line_id"] for line in order["lines"] if not line["is_gift"]]
        shares = allocate_largest_remainder(discount, [net_lines[line_id] for line_id in paying_ids])
        for line_id, share in zip(paying_ids, shares):
            net_lines[line_id] -= share
        paid -= discount
    return net_lines, paid
