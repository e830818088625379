"""Manual review: the queues staff work from, and a reviewer's decision resuming the waiting workflow.

A decision is kept once, with its audit entry (who, when, what, note), and
only while the return still waits for it; a second decision, or one after
the wait timed out, is refused with what happened instead.
"""

from datetime import datetime

from pydantic import ValidationError

from chalicelib.bootstrap import Ports
from chalicelib.domain.audit import audit_entry
from chalicelib.domain.errors import InvalidInput, from_validation_error
from chalicelib.domain.returns import Return, ReturnStatus, Waiting
from chalicelib.domain.review import FINANCE_QUEUE, KINDS, ReviewDecision, ReviewItem
from chalicelib.domain.staff_keys import Role, Staff
from chalicelib.domain.tenancy import own_id, unqualified
from chalicelib.ports.errors import Conflict
from chalicelib.services.authenticate_staff import require
from chalicelib.services.stored_return import load_staff_return

NOT_WAITING = "not_waiting_for_review"


def review_queue(
    queue: str, limit: int, cursor: dict | None, staff: Staff, ports: Ports
) -> tuple[list[ReviewItem], dict | None]:
    """A page of a queue by SLA deadline, and where the next one starts."""
    require(staff, Role.FINANCE if queue == FINANCE_QUEUE else Role.AFTER_SALES)
    records, last = ports.returns.waiting_for_review(queue, limit, cursor)
    return [ReviewItem.of(record) for record in records], last


def review_return(return_id: str, payload: object, staff: Staff, ports: Ports, now: datetime) -> dict:
    """`return_id` is tenant-qualified; the answer names it as its shop does."""
    try:
        decision = ReviewDecision.model_validate(payload)
    except ValidationError as error:
        raise from_validation_error(error) from None
    record = load_staff_return(return_id, ports)
    kind = KINDS.get(record.waiting_for)
    require(staff, Role.FINANCE if record.waiting_for == Waiting.FINANCE_REVIEW else Role.AFTER_SALES)
    if kind is None or record.status != kind.status or getattr(record, kind.key) or not _in_a_queue(record):
        raise Conflict(_why_not_waiting(record), NOT_WAITING)
    if decision.decision not in kind.decisions:
        raise InvalidInput("decision", f"return {own_id(return_id)} waits for {' or '.join(kind.decisions)}")
    audit = audit_entry(
        f"return#{return_id}", f"{record.waiting_for}.{decision.decision}", staff, now, return_id=return_id,
        note=decision.note, decision_code=record.decision_code,
    )
    at = audit["at"]
    review = {"decision": decision.decision, "note": decision.note, "by": staff.key_id, "at": at}
    # Kept with the decision for the lake (which queue's SLA it met); the queue itself is left as it is decided.
    if not ports.returns.decide(return_id, record.waiting_for, record.status, kind.key,
                                {**review, "queue": record.review_queue}, audit):
        raise Conflict(_why_not_waiting(ports.returns.get(return_id)), NOT_WAITING)
    if decision.decision == "keep_waiting":
        # The parcel's trouble is dismissed; the next one puts the return in the queue again.
        ports.returns.update(return_id, {}, remove=("parcel_problem", kind.key))
    elif not ports.workflows.resume(record.task_token, {"decision": decision.decision}):
        ports.returns.update(return_id, {kind.key: {**review, "applied": False}})
        raise Conflict(f"return {own_id(return_id)} stopped waiting (its review timed out) before this decision", NOT_WAITING)
    return {**unqualified({"return_id": return_id}), **review}


def _in_a_queue(record: Return) -> bool:
    """A return waiting for its parcel is a reviewer's only while the parcel is in trouble."""
    return record.waiting_for != Waiting.PARCEL or record.parcel_problem is not None


def _why_not_waiting(record: Return) -> str:
    name = own_id(record.return_id)
    for kind in KINDS.values():
        done = getattr(record, kind.key)
        if done and not record.closed:
            return f"return {name} was already reviewed: {done['decision']} by {done['by']} at {done['at']}"
    if record.closed:
        timed_out = " after its review timed out" if record.status == ReturnStatus.EXPIRED else ""
        return f"return {name} is closed ({record.status}){timed_out}; it no longer waits for a review"
    return f"return {name} does not wait for a review (status {record.status})"
