"""The workflow's ApproveInMarketplace / DeclineInMarketplace steps: the decision, made by our rules or by a
person, told to the marketplace the return came from, as its seller would click it in the back office; and
InterceptParcel: a refund-only request's parcel in transit asked to be stopped there.

A shop of our own has no marketplace: the step answers at once. What the marketplace refuses (its userErrors, a
return no longer in a state to answer) fails the step into the failures queue with the marketplace's words;
no answer is retried by the ASL, and every retry first reads where the return stands there. The buyer may be
sent the decline note: it is our rule's explanation, never a reviewer's internal note.
"""

from datetime import datetime

from chalicelib.bootstrap import Ports
from chalicelib.domain.clock import iso_utc
from chalicelib.domain.explanations import DELIVERED_DESPITE_INTERCEPT, REJECTED_AT_INSPECTION, REVIEW_EXPIRED
from chalicelib.domain.policy import return_policy
from chalicelib.domain.returns import Return
from chalicelib.domain.review import queue_fields
from chalicelib.domain.tenancy import shop_of
from chalicelib.services.stored_return import load_return
from chalicelib.services.sync_tracking import link_tracking

# "reject_inspected": the returned goods failed the inspection (the marketplace, waiting for the seller to confirm
# them, would otherwise refund by itself at its deadline).
ANSWERS = ("approve", "decline", "intercept", "reject_inspected")
# A shop of our own has nobody to ask: the carrier or the warehouse stops the parcel, out of our hands.
NOBODY_TO_ASK = "no marketplace to ask: the carrier or the warehouse stops the parcel"


def decline_code(record: Return) -> str | None:
    """The rule the buyer is told of: the decision's; that nobody decided within the review's time (any decision
    but a rejection is declined only after a review); or that a refund-only parcel delivered although it was to be
    stopped was not refunded anyway."""
    outcome = (record.decision or {}).get("outcome")
    if outcome not in (None, "reject") and not record.review:
        return REVIEW_EXPIRED
    if record.refund_only and outcome in ("intercept", "cancel"):
        return DELIVERED_DESPITE_INTERCEPT
    return record.decision_code


def answer_marketplace(return_id: str, answer: str, ports: Ports, now: datetime) -> dict:
    if answer not in ANSWERS:
        raise ValueError(f"{answer!r} is not an answer; use one of {', '.join(ANSWERS)}")
    record = load_return(return_id, ports)
    actions = ports.marketplaces.actions(shop_of(return_id))
    if answer == "intercept":
        return _intercept(record, actions, ports, now)
    if actions is None:
        return {"answer": answer, "outcome": "no marketplace to answer"}
    if record.kind == "cancel" and answer == "approve":
        # Its refund answers it (a refund before shipment has nothing else to agree); a decline is told, or the
        # marketplace would refund it by itself at its deadline.
        return {"answer": answer, "outcome": "a cancellation is answered by its refund"}
    if answer == "approve":
        outcome = actions.approve(record)
    elif answer == "reject_inspected":
        outcome = actions.decline(record, REJECTED_AT_INSPECTION)
    else:
        outcome = actions.decline(record, decline_code(record))
    ports.returns.update(return_id, {"marketplace_answer": {"answer": answer, "outcome": outcome, "at": iso_utc(now)}})
    return {"answer": answer, "outcome": outcome}


def _intercept(record: Return, actions, ports: Ports, now: datetime) -> dict:
    """Ask the marketplace to stop the parcel, and follow the parcel's tracking from now on (the request's parcel,
    else the order's), so that its return to sender, or its delivery anyway, moves the wait that comes next. The
    outcome is kept on the return whoever answered (a later approval is told to the marketplace beside it)."""
    parcel = record.shipment or _order_parcel(record, ports)
    if parcel is not None and link_tracking(record.return_id, parcel["carrier"], parcel["tracking_number"], ports,
                                            now) is None:
        # The parcel follows another return (two refund-only requests of one order): its tracking moves that one
        # only, so a person watches this one (the logistics queue) instead of it waiting blind until it expires.
        sla_hours = return_policy(record, ports.policies.current).review_sla_hours
        problem = {"status": "parcel_of_another_return", "at": iso_utc(now), **parcel}
        ports.returns.flag_parcel_problem(record.return_id, problem,
                                          queue_fields("logistics", sla_hours, now, record.marketplace_deadline))
    outcome = actions.intercept(record) if actions is not None else NOBODY_TO_ASK
    ports.returns.update(record.return_id, {"interception": {"outcome": outcome, "at": iso_utc(now)}})
    return {"answer": "intercept", "outcome": outcome}


def _order_parcel(record: Return, ports: Ports) -> dict | None:
    order = ports.orders.get(record.order_id)
    return order.shipment if order else None
