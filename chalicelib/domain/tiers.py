"""Customer tiers from RFM scores over the customer's order history (POLICY.md section 5; pure).

Recency, frequency and monetary value each score 1 to 5 against the policy's
thresholds; the sum decides the tier. Money is compared per currency, each
threshold scaled by the currency's exponent like every policy amount.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from chalicelib.domain.money import CURRENCY_EXPONENTS, major_to_minor, parse_minor
from chalicelib.domain.policy import DEFAULT_TIER, Rfm

if TYPE_CHECKING:
    from chalicelib.domain.events import OrderData


@dataclass(frozen=True, slots=True, kw_only=True)
class Customer:
    customer_id: str
    tier: str = DEFAULT_TIER
    rfm: dict | None = None  # the scores and figures the tier came from
    tier_computed_at: str | None = None
    policy_version: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PaidOrder:
    """What RFM needs of one paid order."""

    order_id: str
    paid_at: datetime
    currency: str
    paid_total_minor: int


def paid_total_minor(order: "OrderData") -> int:
    """What the buyer paid (POLICY.md section 2): line totals less the order coupon, plus shipping."""
    exponent = CURRENCY_EXPONENTS[order.currency]
    lines = sum(
        parse_minor(line.unit_price, exponent) * line.quantity - parse_minor(line.line_discount, exponent)
        for line in order.lines
    )
    return lines - parse_minor(order.order_discount, exponent) + parse_minor(order.shipping_fee, exponent)


def rfm_tier(orders: list[PaidOrder], now: datetime, rfm: Rfm) -> tuple[str, dict]:
    """The tier and the scores and figures it came from."""
    if not orders:
        return "normal", {"orders": 0}
    days_since = max(0, (now - max(order.paid_at for order in orders)).days)
    spent: dict[str, int] = {}
    for order in orders:
        spent[order.currency] = spent.get(order.currency, 0) + order.paid_total_minor
    recency = 5 - sum(1 for days in rfm.recency_days if days_since > days)
    frequency = 1 + sum(1 for count in rfm.frequency_orders if len(orders) >= count)
    monetary = max(
        1 + sum(1 for threshold in rfm.monetary if total >= major_to_minor(threshold, CURRENCY_EXPONENTS[currency]))
        for currency, total in spent.items()
    )
    score = recency + frequency + monetary
    if score >= rfm.vip_min_score:
        tier = "vip"
    elif score >= rfm.potential_min_score:
        tier = "potential"
    else:
        tier = "normal"
    facts = {
        "orders": len(orders), "days_since_last_order": days_since, "spent_minor": spent,
        "scores": {"recency": recency, "frequency": frequency, "monetary": monetary, "total": score},
    }
    return tier, facts
