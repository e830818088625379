"""Automatic verification of a return or cancel request (POLICY.md section 4).

Rules 1-4, 9 and 10 of the decision table, evaluated in order; the first that
fires decides. Rules 5-8 (non-returnable, evidence, high value, abuse) belong
to the verification issue and are not evaluated yet. Every decision carries
its rule code, the facts it used and the policy version.
"""

from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict

from chalicelib.domain.events import OrderData, ReturnLine, iso_utc

POLICY_VERSION = "default-2026-11"
RETURN_WINDOW = timedelta(days=7)
# How long an approved return waits for its parcel at the warehouse before it expires.
PARCEL_WAIT = timedelta(days=14)

Outcome = Literal["reject", "cancel", "return", "manual"]


class Decision(BaseModel):
    model_config = ConfigDict(frozen=True)

    outcome: Outcome
    code: str
    facts: dict
    policy_version: str = POLICY_VERSION


def verify_request(
    order: OrderData | None, items: list[ReturnLine], returned_before: dict[str, int], requested_at: datetime
) -> Decision:
    """Decide a request from the order as known now and the units refunded on it before."""
    if order is None or order.status in ("pending_payment", "cancelled"):
        return Decision(
            outcome="reject",
            code="ORDER_NOT_ELIGIBLE",
            facts={"order_status": order.status if order else None},
        )
    lines = {line.line_id: line for line in order.lines}
    for item in items:
        line = lines.get(item.line_id)
        left = line.quantity - returned_before.get(item.line_id, 0) if line else 0
        if item.quantity > left:
            return Decision(
                outcome="reject",
                code="QUANTITY_EXCEEDED",
                facts={"line_id": item.line_id, "requested": item.quantity, "left": left},
            )
    if order.status == "paid":
        return Decision(outcome="cancel", code="CANCEL_BEFORE_SHIPMENT", facts={"order_status": order.status})
    delivered_at = order.delivered_at
    if delivered_at is None:
        return Decision(
            outcome="return", code="APPROVED_IN_TRANSIT", facts={"shipped_at": _iso(order.shipped_at), "delivered_at": None}
        )
    facts = {"delivered_at": _iso(delivered_at), "requested_at": _iso(requested_at), "window_days": RETURN_WINDOW.days}
    if requested_at - delivered_at > RETURN_WINDOW:
        return Decision(outcome="reject", code="WINDOW_EXPIRED", facts=facts)
    return Decision(outcome="return", code="APPROVED", facts=facts)


def _iso(moment: datetime | None) -> str | None:
    return iso_utc(moment) if moment else None
