"""The RecordFailure step on the twins: the return waits in the failures queue with the step that failed and the
error the ASL's Catch put under `failure` (Step Functions' {"Error", "Cause"}; a Lambda's Cause is its JSON)."""

import json

import pytest

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.returns import ReturnStatus
from chalicelib.services.quote_return import quote_return
from chalicelib.services.record_failure import record_failure
from chalicelib.services.review_return import review_return
from chalicelib.services.verify_return import verify_return
from chalicelib.services.wait_for_event import wait_for_event
from tests.unit.services.given import NOW, a_return, an_order, inspected, twins

CAUSE_LIMIT = 2000


def lambda_failure(error: Exception) -> dict:
    """What the Catch puts under $.failure when a Lambda task raised `error`."""
    cause = {"errorMessage": str(error), "errorType": type(error).__name__, "requestId": "req-1", "stackTrace": []}
    return {"Error": type(error).__name__, "Cause": json.dumps(cause)}


def failed_at_calculate_refund(ports) -> dict:
    """A return whose inspection names a line it did not ask for: CalculateRefund raises InvalidInput."""
    an_order(ports)
    a_return(ports)
    state = {"return_id": "RT-1", "verification": verify_return("RT-1", ports),
             "parcel": {"decision": "arrived", "arrived": "delivered"}}
    inspected(ports, items=[{"line_id": "L2", "accepted": 1}])
    state["inspection"] = {"inspected_at": "2026-11-21T12:00:00Z"}
    with pytest.raises(InvalidInput) as raised:
        quote_return("RT-1", ports)
    return {**state, "failure": lambda_failure(raised.value)}


def test_a_failed_step_is_recorded_on_the_return_for_the_failures_queue():
    # Given an execution whose CalculateRefund raised InvalidInput
    ports = twins()
    state = failed_at_calculate_refund(ports)
    # When RecordFailure runs
    result = record_failure("RT-1", state, ports, NOW)
    # Then it names the failures queue and the step
    assert result == {"queue": "failures", "step": "CalculateRefund"}
    # And the return is failed, with the step, the error and its cause
    record = ports.returns.get("RT-1")
    assert record.status == ReturnStatus.FAILED
    assert record.failure == {
        "step": "CalculateRefund", "error": "InvalidInput", "cause": state["failure"]["Cause"], "at": "2026-11-22T08:00:00Z",
    }
    assert "not a line of this return" in json.loads(record.failure["cause"])["errorMessage"]


def test_a_failure_in_verify_is_recorded_as_the_verify_step():
    # Given an execution that failed in its first step (only the input and the failure in the state)
    ports = twins()
    an_order(ports)
    a_return(ports)
    state = {"return_id": "RT-1", "failure": {"Error": "Lambda.Unknown", "Cause": "The Lambda function timed out"}}
    # When RecordFailure runs
    result = record_failure("RT-1", state, ports, NOW)
    # Then the step is Verify
    assert result["step"] == "Verify"
    assert ports.returns.get("RT-1").failure["error"] == "Lambda.Unknown"


def test_a_long_cause_is_cut_to_2000_characters():
    # Given a failure whose cause is 5000 characters long (a long stack trace)
    ports = twins()
    an_order(ports)
    a_return(ports)
    cause = "".join(str(n % 10) for n in range(5000))
    state = {"return_id": "RT-1", "failure": {"Error": "RuntimeError", "Cause": cause}}
    # When recorded
    record_failure("RT-1", state, ports, NOW)
    # Then its first 2000 characters are kept
    assert ports.returns.get("RT-1").failure["cause"] == cause[:CAUSE_LIMIT]


def test_a_return_failing_again_after_a_retry_waits_for_a_new_decision():
    # Given a failed return a person retried (their decision kept on it)
    ports = twins()
    state = failed_at_calculate_refund(ports)
    record_failure("RT-1", state, ports, NOW)
    wait_for_event("RT-1", "failure_review", "tok-failure-1", ports, NOW)
    review_return("RT-1", {"decision": "retry", "note": "warehouse fixed the inspection"}, "ops-1", ports, NOW)
    assert ports.returns.get("RT-1").failure_review["decision"] == "retry"
    # When the retried execution fails the same way and is recorded again
    record_failure("RT-1", state, ports, NOW)
    # Then the earlier decision is gone, so the next wait is not resumed by it
    assert ports.returns.get("RT-1").failure_review is None
    assert wait_for_event("RT-1", "failure_review", "tok-failure-2", ports, NOW)["resumed"] is False
    assert [token for token, _ in ports.workflows.resumed] == ["tok-failure-1"]
