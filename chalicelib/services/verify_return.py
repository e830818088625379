"""The workflow's Verify step: decide the request by the policy in force and keep the decision on the return.

The resolved policy is kept on the return too, so the refund is calculated
under the version the return was decided under, whatever changes later.
"""

from dataclasses import replace
from datetime import datetime, timedelta, timezone

from chalicelib.bootstrap import Ports
from chalicelib.domain.clock import iso_utc
from chalicelib.domain.events import OrderData, ReturnLine
from chalicelib.domain.ledger import refund_id_for
from chalicelib.domain.orders import Order
from chalicelib.domain.policy import DEFAULT_TIER, Policy
from chalicelib.domain.returns import Return, ReturnStatus
from chalicelib.domain.verification import Decision, Request, verify_request
from chalicelib.refunds import quote
from chalicelib.services.quote_return import quote_request
from chalicelib.services.stored_return import load_return

ABUSE_LOOKBACK = timedelta(days=30)


def verify_return(return_id: str, ports: Ports, now: datetime | None = None) -> dict:
    record = load_return(return_id, ports)
    if record.decision and ports.ledger.get(refund_id_for(return_id)):
        # Refunded already (a person retried a later step): its own units are in the order's refunded units
        # now, so deciding again would refuse it; it keeps the decision it was refunded under.
        return _result(record.decision, Policy.model_validate(record.policy))
    order = ports.orders.get(record.order_id)
    tier = customer_tier(order.customer_id, ports) if order else DEFAULT_TIER
    policy = ports.policies.current().resolve(record.marketplace, tier)
    if order and record.customer_id != order.customer_id:
        # Named before counting: of two requests verified at once, the later count sees the other.
        ports.returns.update(return_id, {"customer_id": order.customer_id})
    decision = decide(order, record, policy, ports)
    made = {**decision.model_dump(mode="json"), "at": iso_utc(now or datetime.now(timezone.utc))}
    fields = {"status": ReturnStatus.REJECTED if decision.outcome == "reject" else ReturnStatus.VERIFIED,
              "decision": made, "policy": policy.model_dump(mode="json")}
    if record.decision and _differs(record.decision, made):  # verified again (evidence came, a person retried)
        fields["earlier_decisions"] = [*record.earlier_decisions, record.decision]
    ports.returns.update(return_id, fields)
    return _result(decision.model_dump(mode="json"), policy)


def _differs(before: dict, now: dict) -> bool:
    """A step retried decides the same again: that is no earlier decision."""
    return any(before.get(key) != now.get(key) for key in ("outcome", "code", "facts", "policy_version"))


def _result(decision: dict, policy: Policy) -> dict:
    """What the ASL's Choice and waits read."""
    return {
        "decision": decision["outcome"],
        "code": decision["code"],
        "parcel_wait_seconds": int(timedelta(days=policy.parcel_wait_days).total_seconds()),
        "review_wait_seconds": int(timedelta(days=policy.review_wait_days).total_seconds()),
        "hold_wait_seconds": int(timedelta(hours=policy.hold_wait_hours).total_seconds()),
    }


def decide(order: Order | None, record: Return, policy: Policy, ports: Ports, returns_30d: int | None = None) -> Decision:
    """Verify a stored (or previewed) request against a stored order; `returns_30d` replaces the count query."""
    request = Request(
        reason=record.reason,
        items=[ReturnLine(**item) for item in record.items],
        requested_at=datetime.fromisoformat(record.requested_at),
        evidence=len(record.evidence),
        refund_only=record.refund_only,
    )

    def estimate_minor() -> int:
        """The refund if every requested unit is accepted with no deductions (rule 7); of a refund-only request,
        its refund-only quote (section 8), which has no inspection."""
        inspection = {"items": [{"line_id": item.line_id, "accepted": item.quantity} for item in request.items]}
        return quote(quote_request(order, replace(record, kind="return", inspection=inspection), policy))["total_minor"]

    def recent_returns() -> int:
        if returns_30d is not None:
            return returns_30d
        since = iso_utc(request.requested_at - ABUSE_LOOKBACK)
        return ports.returns.count_requested(order.customer_id, since, iso_utc(request.requested_at), record.return_id)

    return verify_request(
        OrderData.model_validate(order.order_data()) if order else None,
        request,
        order.account.refunded_units if order else {},
        policy,
        estimate_minor,
        recent_returns,
        _carrier_delivery(order, ports) if order else None,
    )


def _carrier_delivery(order: Order, ports: Ports) -> datetime | None:
    """The carrier's delivered scan of the order's outbound parcel, when its tracking is known."""
    shipment = ports.shipments.get(order.shipment["carrier"], order.shipment["tracking_number"]) if order.shipment else None
    at = shipment.delivered_at if shipment else None
    return datetime.fromisoformat(at) if at else None


def customer_tier(customer_id: str, ports: Ports) -> str:
    customer = ports.customers.get(customer_id)
    return customer.tier if customer else DEFAULT_TIER
