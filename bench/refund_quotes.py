"""Refund quotes per second through chalicelib.refunds.quote on one core.

A seeded, realistic mix: mostly one- and two-line orders, some with coupons,
line discounts and free gifts; inspected returns, estimates without
inspection, cancellations before shipment; CNY, USD, EUR, JPY and KRW.
Run with `make bench`.
"""

import argparse
import os
import random
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from chalicelib.domain.money import CURRENCY_EXPONENTS, format_minor  # noqa: E402
from chalicelib.refunds import quote  # noqa: E402

CURRENCIES = ["CNY"] * 5 + ["USD"] * 2 + ["EUR", "JPY", "KRW"]
SELLER_FAULT = ["quality_issue", "not_as_described", "wrong_item", "damaged_in_transit", "missing_parts"]
BUYER_FAULT = ["changed_mind", "wrong_size", "no_longer_needed", "other"]


def sample_request(rng: random.Random) -> dict:
    currency = rng.choice(CURRENCIES)
    exponent = CURRENCY_EXPONENTS[currency]
    scale = 10**exponent if exponent else 100

    def money(minor: int) -> str:
        return format_minor(minor, exponent)

    line_count = rng.choices([1, 2, 3, 4, 6], weights=[55, 25, 12, 6, 2])[0]
    lines = []
    totals = 0
    for i in range(line_count):
        quantity = rng.choices([1, 2, 3, 5], weights=[70, 18, 8, 4])[0]
        unit_price = rng.randint(5, 800) * scale + rng.randint(0, 99) * (scale // 100)
        line_discount = rng.randint(0, unit_price * quantity // 10) if rng.random() < 0.2 else 0
        totals += unit_price * quantity - line_discount
        lines.append(
            {
                "line_id": f"L{i + 1}",
                "sku": f"SKU-{rng.randint(1000, 9999)}",
                "category": rng.choice(["apparel", "footwear", "electronics", "home"]),
                "unit_price": money(unit_price),
                "quantity": quantity,
                "line_discount": money(line_discount),
                "returned_before": rng.randint(0, quantity - 1) if quantity > 1 and rng.random() < 0.2 else 0,
            }
        )
    if rng.random() < 0.15:
        lines.append(
            {"line_id": "G1", "sku": "GIFT", "category": "gift", "unit_price": money(0), "quantity": 1,
             "is_gift": True, "gift_for": "L1", "gift_value": money(rng.randint(1, 20) * scale)}
        )
    order = {
        "order_id": f"TM-{rng.randint(100000, 999999)}",
        "shipping_fee": money(rng.choice([0, 6, 10, 12]) * scale),
        "order_discount": money(rng.randint(1, totals // 5) if rng.random() < 0.3 else 0),
        "lines": lines,
    }
    returned = [line for line in lines if "is_gift" not in line and rng.random() < 0.7] or lines[:1]
    items = [
        {"line_id": line["line_id"], "quantity": rng.randint(1, line["quantity"] - line["returned_before"])}
        for line in returned
    ]
    kind = "cancel" if rng.random() < 0.15 else "return"
    reason = rng.choice(SELLER_FAULT if rng.random() < 0.45 else BUYER_FAULT)
    request = {
        "currency": currency,
        "order": order,
        "return": {"kind": kind, "reason": reason, "items": items},
        "customer": {"tier": rng.choices(["normal", "potential", "vip"], weights=[70, 20, 10])[0]},
    }
    if kind == "return":
        request["return"]["return_shipping_paid"] = money(rng.choice([0, 8, 12, 45]) * scale)
        if rng.random() < 0.8:
            request["inspection"] = {
                "items": [
                    {
                        "line_id": item["line_id"],
                        "accepted": item["quantity"] if rng.random() < 0.85 else rng.randint(0, item["quantity"]),
                        "deductions": (
                            [{"code": "missing_accessory", "amount": money(rng.randint(1, 10) * scale)}]
                            if rng.random() < 0.15 else []
                        ),
                    }
                    for item in items
                ],
                "kept_gifts": ["G1"] if lines[-1]["line_id"] == "G1" and rng.random() < 0.5 else [],
            }
    return request


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="distinct requests in the mix")
    parser.add_argument("--seconds", type=float, default=1.0, help="length of one timed round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    rng = random.Random(20261122)
    requests = [sample_request(rng) for _ in range(args.requests)]
    for request in requests:
        quote(request)

    rates = []
    for _ in range(args.rounds):
        done = 0
        start = time.perf_counter()
        deadline = start + args.seconds
        while time.perf_counter() < deadline:
            for request in requests:
                quote(request)
            done += len(requests)
        rates.append(done / (time.perf_counter() - start))
    print(
        f"refund quotes: median {statistics.median(rates):,.0f}/s, best {max(rates):,.0f}/s "
        f"({args.rounds} rounds of {args.seconds:g} s over {len(requests)} seeded requests, one core, "
        f"Python {sys.version.split()[0]})"
    )


if __name__ == "__main__":
    main()
