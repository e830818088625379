"""Park the workflow until the parcel, the inspection or a person arrives, and resume it when one does.

The step that parks the token and the consumer that stores the awaited event
each write atomically and read the record back, so whichever comes second
sees both and resumes the workflow: an event that arrived before the wait
is never missed. Resuming twice is harmless (the second is a duplicate).
A return that waits for a person enters its review queue with the deadline
of its tier's service level.

A refund-only request waits for its parcel too: the outbound one it
intercepts, back to us or delivered anyway (Return.wait_result).
"""

from datetime import datetime, timedelta

from chalicelib.bootstrap import Ports
from chalicelib.domain.clock import iso_utc
from chalicelib.domain.policy import return_policy
from chalicelib.domain.returns import WAITING_STATUS, Return, Waiting
from chalicelib.domain.review import FAILURE_QUEUE, FINANCE_QUEUE, problem_type, queue_fields
from chalicelib.domain.verification import REFUND_ONLY_DELIVERED
from chalicelib.ports import Workflows
from chalicelib.services.stored_return import load_return

_QUEUES = {Waiting.FAILURE_REVIEW: FAILURE_QUEUE, Waiting.FINANCE_REVIEW: FINANCE_QUEUE}


def wait_for_event(return_id: str, waiting_for: str, task_token: str, ports: Ports, now: datetime) -> dict:
    waiting_for = Waiting(waiting_for)
    if waiting_for in (Waiting.REVIEW, *_QUEUES):
        fields = _review_fields(return_id, waiting_for, ports, now)
    elif waiting_for == Waiting.PARCEL:
        fields = _tracking_watch(return_id, ports, now)
    else:
        fields = {}
    record = ports.returns.wait_for(return_id, waiting_for, task_token, WAITING_STATUS[waiting_for], fields)
    resumed = resume_if_ready(record, ports.workflows)
    return {"waiting_for": waiting_for, "resumed": resumed, **fields}


def _review_fields(return_id: str, waiting_for: Waiting, ports: Ports, now: datetime) -> dict:
    record = load_return(return_id, ports)
    sla_hours = return_policy(record, ports.policies.current).review_sla_hours
    queue = _QUEUES.get(waiting_for) or _queue_of(record)
    return queue_fields(queue, sla_hours, now, record.marketplace_deadline)


def _queue_of(record: Return) -> str:
    """The problem type's queue (POLICY.md section 6); a refund-only request's by section 8: a delivered item kept
    without return is the service queue's, a parcel delivered although it was to be stopped the logistics one's."""
    if record.refund_only:
        if record.decision_code == REFUND_ONLY_DELIVERED:
            return "service"
        if (record.decision or {}).get("outcome") in ("intercept", "cancel"):
            return "logistics"
    return problem_type(record.reason)


def _tracking_watch(return_id: str, ports: Ports, now: datetime) -> dict:
    """An approved return with no tracking yet is watched: none within the policy's days expires it. A refund-only
    request a reviewer approved waits for no parcel."""
    record = load_return(return_id, ports)
    if record.parcel is not None or (record.refund_only and record.approved_in_review):
        return {}
    days = return_policy(record, ports.policies.current).tracking_wait_days
    return {"parcel_watch": "waiting", "tracking_due_at": iso_utc(now + timedelta(days=days))}


def resume_if_ready(record: Return | None, workflows: Workflows) -> bool:
    """Send the awaited result to the parked task when the record holds it; False when nothing was resumed."""
    if record is None or not record.task_token:
        return False
    output = record.wait_result()
    return output is not None and workflows.resume(record.task_token, output)
