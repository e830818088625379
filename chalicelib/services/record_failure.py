"""The workflow's RecordFailure step: a failed return waits in the review queue with its step and error.

A step's failure is what its Catch put under `failure` (Step Functions' {"Error", "Cause"}): a Lambda's error, a
wait that timed out (States.Timeout, with no cause of its own), or, in an execution that ingest restarted because
the return's earlier one ended badly (`restart_of`), that end. The answer tells AwaitFailureReview how long to wait
for a person before the return is queued again: the policy's review_wait_days.
"""

from datetime import datetime, timedelta

from chalicelib.bootstrap import Ports
from chalicelib.domain.clock import iso_utc
from chalicelib.domain.policy import DEFAULT_TIER, return_policy
from chalicelib.domain.returns import ReturnStatus
from chalicelib.domain.review import FAILURE_QUEUE
from chalicelib.domain.workflow_state import failed_step

# The step of a failure that is no step's: the earlier execution of the return ended (FAILED, TIMED_OUT, ABORTED).
WORKFLOW_STEP = "Workflow"
TIMEOUT = "States.Timeout"


def record_failure(return_id: str, state: dict, ports: Ports, now: datetime) -> dict:
    failure = state.get("failure") or {}
    step = WORKFLOW_STEP if "restart_of" in state else failed_step(state)
    cause = failure.get("Cause") or ""
    if failure.get("Error") == TIMEOUT and not cause:
        cause = f"{step} was not answered in time"
    ports.returns.update(
        return_id,
        {
            "status": ReturnStatus.FAILED,
            "failure": {"step": step, "error": failure.get("Error"), "cause": cause[:2000], "at": iso_utc(now)},
        },
        remove=("failure_review",),  # a retried return that fails again waits for a new decision
    )
    record = ports.returns.get(return_id)
    if record is not None:
        policy = return_policy(record, ports.policies.current)
    else:
        policy = ports.policies.current().resolve(None, DEFAULT_TIER)
    wait = timedelta(days=policy.review_wait_days)
    return {"queue": FAILURE_QUEUE, "step": step, "review_wait_seconds": int(wait.total_seconds())}
