"""The workflow's RecordFailure step: a failed return waits in the review queue with its step and error."""

from datetime import datetime

from chalicelib.bootstrap import Ports
from chalicelib.domain.clock import iso_utc
from chalicelib.domain.returns import ReturnStatus
from chalicelib.domain.review import FAILURE_QUEUE
from chalicelib.domain.workflow_state import failed_step


def record_failure(return_id: str, state: dict, ports: Ports, now: datetime) -> dict:
    failure = state.get("failure") or {}
    step = failed_step(state)
    ports.returns.update(
        return_id,
        {
            "status": ReturnStatus.FAILED,
            "failure": {
                "step": step, "error": failure.get("Error"), "cause": (failure.get("Cause") or "")[:2000], "at": iso_utc(now),
            },
        },
        remove=("failure_review",),  # a retried return that fails again waits for a new decision
    )
    return {"queue": FAILURE_QUEUE, "step": step}
