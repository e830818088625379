"""Manual review: the queues staff work from, and a reviewer's decision resuming the waiting workflow.

A decision is kept once, with its audit entry (who, when, what, note), and
only while the return still waits for it; a second decision, or one after
the wait timed out, is refused with what happened instead.
"""

import base64
import binascii
import json
import uuid
from datetime import datetime

from pydantic import ValidationError

from chalicelib.domain.errors import InvalidInput, from_validation_error
from chalicelib.domain.events import iso_utc
from chalicelib.domain.return_progress import CLOSED, evidence
from chalicelib.domain.review import KINDS, QUEUES, ReviewDecision
from chalicelib.services.staff_ports import StaffPorts, load_staff_return

MAX_PAGE = 100


class ReviewConflict(Exception):
    pass


def review_queue(queue: str | None, limit: str | None, cursor: str | None, ports: StaffPorts) -> dict:
    if queue not in QUEUES:
        raise InvalidInput("queue", f"must be one of {', '.join(QUEUES)}")
    if limit is None:
        size = 50
    elif limit.isdigit() and 1 <= int(limit) <= MAX_PAGE:
        size = int(limit)
    else:
        raise InvalidInput("limit", f"must be a whole number from 1 to {MAX_PAGE}")
    items, last = ports.reviews.waiting(queue, size, _decode(cursor) if cursor else None)
    return {"queue": queue, "items": [_item(record) for record in items], "next_cursor": _encode(last) if last else None}


def review_return(return_id: str, payload: object, who: str, ports: StaffPorts, now: datetime) -> dict:
    try:
        decision = ReviewDecision.model_validate(payload)
    except ValidationError as error:
        raise from_validation_error(error) from None
    record = load_staff_return(return_id, ports)
    waiting_for = record.get("waiting_for")
    kind = KINDS.get(waiting_for)
    if kind is None or record.get("status") != kind.status or record.get(kind.key) or not _in_a_queue(record):
        raise ReviewConflict(_why_not_waiting(return_id, record))
    if decision.decision not in kind.decisions:
        allowed = " or ".join(kind.decisions)
        raise InvalidInput("decision", f"return {return_id} waits for {allowed}")
    at = iso_utc(now)
    review = {"decision": decision.decision, "note": decision.note, "by": who, "at": at}
    audit = {
        "subject": f"return#{return_id}", "entry": f"{at}#{uuid.uuid4().hex}", "return_id": return_id,
        "action": f"{waiting_for}.{decision.decision}", "by": who, "at": at, "note": decision.note,
        "decision_code": (record.get("decision") or {}).get("code"),
    }
    if not ports.reviews.decide(return_id, waiting_for, record["status"], kind.key, review, audit):
        raise ReviewConflict(_why_not_waiting(return_id, ports.returns.get(return_id)))
    if decision.decision == "keep_waiting":
        # The parcel's trouble is dismissed; the next one puts the return in the queue again.
        ports.returns.update(return_id, {}, remove=("parcel_problem", kind.key))
    elif not ports.workflows.resume(record["task_token"], {"decision": decision.decision}):
        ports.returns.update(return_id, {kind.key: {**review, "applied": False}})
        raise ReviewConflict(f"return {return_id} stopped waiting (its review timed out) before this decision")
    return {"return_id": return_id, **review}


def _in_a_queue(record: dict) -> bool:
    """A return waiting for its parcel is a reviewer's only while the parcel is in trouble."""
    return record.get("waiting_for") != "parcel" or "parcel_problem" in record


def _why_not_waiting(return_id: str, record: dict) -> str:
    status = record.get("status")
    for kind in KINDS.values():
        done = record.get(kind.key)
        if done and status not in CLOSED:
            return f"return {return_id} was already reviewed: {done['decision']} by {done['by']} at {done['at']}"
    if status in CLOSED:
        timed_out = " after its review timed out" if status == "expired" else ""
        return f"return {return_id} is closed ({status}){timed_out}; it no longer waits for a review"
    return f"return {return_id} does not wait for a review (status {status})"


def _item(record: dict) -> dict:
    decision = record.get("decision") or {}
    return {
        **{key: record.get(key) for key in (
            "return_id", "order_id", "marketplace", "customer_id", "kind", "reason", "items", "status", "review_since", "sla_deadline", "sla_breached_at", "failure",
        )},
        "queue": record["review_queue"],
        "evidence_urls": evidence(record),
        "decision": {key: decision.get(key) for key in ("code", "facts", "policy_version")},
    }


def _encode(key: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, sort_keys=True).encode()).decode()


def _decode(cursor: str) -> dict:
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, binascii.Error):
        key = None
    if not isinstance(key, dict) or not all(isinstance(value, str) for value in key.values()):
        raise InvalidInput("cursor", "is not a cursor this endpoint gave")
    return key
