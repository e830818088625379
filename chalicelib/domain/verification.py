"""Automatic verification of a return or cancel request: the decision table of POLICY.md section 4 (pure).

Rules 1-10 are evaluated in order and the first that fires decides. The facts
each rule looked at are collected as it goes, so a decision carries what it
was based on (delivered at, windows, categories, estimate, return count) and
the policy version. The estimate and the return count cost a quote and a
query, so they are asked for only when rules 7 and 8 are reached.

A refund-only request (section 8: money, no parcel asked back) runs the rules
every request runs (1, 2, 4, 5, 8); its own table then replaces rules 3, 6, 7,
9 and 10: not shipped, a cancellation; in transit, an interception; delivered,
a review unless the refund is small enough to leave the item with the buyer.
"""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict

from chalicelib.domain.clock import iso_utc
from chalicelib.domain.events import OrderData, ReturnLine
from chalicelib.domain.money import CURRENCY_EXPONENTS, format_minor, major_to_minor
from chalicelib.domain.policy import Policy
from chalicelib.domain.quote_request import SELLER_FAULT_REASONS

# "intercept": stop the parcel in transit, refund once it is back; "refund": refund with no parcel back.
Outcome = Literal["reject", "cancel", "return", "manual", "intercept", "refund"]
# The codes of section 8's table (refund-only requests), besides the shared CANCEL_BEFORE_SHIPMENT.
INTERCEPT_IN_TRANSIT = "INTERCEPT_IN_TRANSIT"
RETURNLESS_REFUND = "RETURNLESS_REFUND"
REFUND_ONLY_DELIVERED = "REFUND_ONLY_DELIVERED"


class Decision(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    outcome: Outcome
    code: str
    facts: dict
    policy_version: str


class Request(BaseModel):
    """What verification needs of a return or cancel request."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    reason: str
    items: list[ReturnLine]
    requested_at: datetime
    evidence: int = 0
    refund_only: bool = False  # money without a parcel back (POLICY.md section 8)


def verify_request(
    order: OrderData | None,
    request: Request,
    returned_before: dict[str, int],
    policy: Policy,
    estimate_minor: Callable[[], int],
    recent_returns: Callable[[], int],
    carrier_delivered_at: datetime | None = None,
) -> Decision:
    """Decide a request from the order as known now, the units refunded on it before and the policy in force.

    Delivery is the carrier's delivered scan of the order's shipment when there is one, else the order's
    `delivered_at` (POLICY.md section 4). For a refund-only request `estimate_minor` is its refund-only quote."""
    facts: dict = {"marketplace": policy.marketplace, "tier": policy.tier}
    if request.refund_only:
        facts["resolution"] = "refund_only"

    def decide(outcome: Outcome, code: str, **more) -> Decision:
        return Decision(outcome=outcome, code=code, facts={**facts, **more}, policy_version=policy.version)

    if order is None or order.status in ("pending_payment", "cancelled"):
        return decide("reject", "ORDER_NOT_ELIGIBLE", order_status=order.status if order else None)
    lines = {line.line_id: line for line in order.lines}
    for item in request.items:
        line = lines.get(item.line_id)
        left = line.quantity - returned_before.get(item.line_id, 0) if line else 0
        if item.quantity > left:
            return decide("reject", "QUANTITY_EXCEEDED", line_id=item.line_id, requested=item.quantity, left=left)
    if order.status == "paid" and not request.refund_only:
        return decide("cancel", "CANCEL_BEFORE_SHIPMENT", order_status=order.status)

    categories = {item.line_id: lines[item.line_id].category for item in request.items}
    facts["categories"] = categories
    delivered_at = carrier_delivered_at or order.delivered_at
    facts["delivered_at"] = iso_utc(delivered_at) if delivered_at else None
    if delivered_at:
        facts["delivered_by"] = "carrier" if carrier_delivered_at else "order"
    facts["requested_at"] = iso_utc(request.requested_at)
    if delivered_at is not None:
        windows = {line_id: policy.window_days(category) for line_id, category in categories.items()}
        facts["window_days"] = windows
        elapsed = request.requested_at - delivered_at
        for line_id, days in windows.items():
            if elapsed > timedelta(days=days):
                return decide("reject", "WINDOW_EXPIRED", line_id=line_id)

    seller_fault = request.reason in SELLER_FAULT_REASONS
    facts["reason"] = request.reason
    if not seller_fault:
        for line_id, category in categories.items():
            if policy.non_returnable(category):
                return decide("reject", "NON_RETURNABLE", line_id=line_id)
    exponent = CURRENCY_EXPONENTS[order.currency]
    if not request.refund_only:
        facts["evidence"] = request.evidence
        if seller_fault and request.evidence == 0:
            return decide("manual", "EVIDENCE_REQUIRED")
        estimate = estimate_minor()
        threshold = major_to_minor(policy.manual_review_above, exponent)
        facts["estimate"] = format_minor(estimate, exponent)
        if estimate > threshold:
            return decide("manual", "HIGH_VALUE", manual_review_above=format_minor(threshold, exponent))
    returns_30d = recent_returns()
    facts["returns_30d"] = returns_30d
    if returns_30d >= policy.abuse_returns_30d:
        return decide("manual", "RETURN_ABUSE_SIGNAL", abuse_returns_30d=policy.abuse_returns_30d)

    shipped_at = iso_utc(order.shipped_at) if order.shipped_at else None
    if request.refund_only:
        if order.status == "paid":
            return decide("cancel", "CANCEL_BEFORE_SHIPMENT", order_status=order.status)
        if delivered_at is None:
            return decide("intercept", INTERCEPT_IN_TRANSIT, shipped_at=shipped_at)
        estimate = estimate_minor()
        # At most the threshold ("0": off, every delivered item is reviewed).
        threshold = major_to_minor(policy.returnless_refund_below, exponent)
        facts["estimate"] = format_minor(estimate, exponent)
        facts["returnless_refund_below"] = format_minor(threshold, exponent)
        if 0 < threshold and estimate <= threshold:
            return decide("refund", RETURNLESS_REFUND)
        return decide("manual", REFUND_ONLY_DELIVERED)

    if delivered_at is None:
        return decide("return", "APPROVED_IN_TRANSIT", shipped_at=shipped_at)
    return decide("return", "APPROVED")
