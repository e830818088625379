"""The RecordFailure step on the twins: the return waits in the failures queue with the step that failed and the
error the ASL's Catch put under `failure` (Step Functions' {"Error", "Cause"}; a Lambda's Cause is its JSON)."""

import json

import pytest

from chalicelib.adapters.memory import MemoryPolicies
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.policy import parse_policy
from chalicelib.domain.returns import ReturnStatus
from chalicelib.services.answer_marketplace import answer_marketplace
from chalicelib.services.quote_return import quote_return
from chalicelib.services.record_failure import record_failure
from chalicelib.services.review_return import review_return
from chalicelib.services.verify_return import verify_return
from chalicelib.services.wait_for_event import wait_for_event
from tests.unit.services.given import NOW, a_return, an_order, inspected, staff, twins

CAUSE_LIMIT = 2000
REVIEW_WAIT = 14 * 24 * 3600  # the default policy's review_wait_days: how long AwaitFailureReview waits


def lambda_failure(error: Exception) -> dict:
    """What the Catch puts under $.failure when a Lambda task raised `error`."""
    cause = {"errorMessage": str(error), "errorType": type(error).__name__, "requestId": "req-1", "stackTrace": []}
    return {"Error": type(error).__name__, "Cause": json.dumps(cause)}


def failed_at_calculate_refund(ports) -> dict:
    """A return whose inspection names a line it did not ask for: CalculateRefund raises InvalidInput."""
    an_order(ports)
    a_return(ports)
    state = {"return_id": "RT-1", "verification": verify_return("RT-1", ports),
             "marketplace": answer_marketplace("RT-1", "approve", ports, NOW),
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
    # Then it names the failures queue, the step, and how long to wait for a person (the policy's 14 days)
    assert result == {"queue": "failures", "step": "CalculateRefund", "review_wait_seconds": REVIEW_WAIT}
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
    review_return("RT-1", {"decision": "retry", "note": "warehouse fixed the inspection"}, staff("after_sales", key_id="ops-1"), ports, NOW)
    assert ports.returns.get("RT-1").failure_review["decision"] == "retry"
    # When the retried execution fails the same way and is recorded again
    record_failure("RT-1", state, ports, NOW)
    # Then the earlier decision is gone, so the next wait is not resumed by it
    assert ports.returns.get("RT-1").failure_review is None
    assert wait_for_event("RT-1", "failure_review", "tok-failure-2", ports, NOW)["resumed"] is False
    assert [token for token, _ in ports.workflows.resumed] == ["tok-failure-1"]


def test_the_wait_for_a_person_is_the_review_wait_of_the_returns_policy():
    # Given a policy whose review wait is 3 days, under which the return was verified
    ports = twins(policies=MemoryPolicies(parse_policy({"version": "v3", "defaults": {"review_wait_days": 3}})))
    an_order(ports)
    a_return(ports)
    verify_return("RT-1", ports)
    # When a later step fails
    result = record_failure("RT-1", {"failure": {"Error": "Boom", "Cause": "it broke"}}, ports, NOW)
    # Then AwaitFailureReview is told to wait 3 days
    assert result["review_wait_seconds"] == 3 * 24 * 3600


def test_a_wait_that_timed_out_is_recorded_with_a_cause_saying_so():
    # Given an execution whose AwaitParcel wait timed out (States.Timeout has no cause of its own)
    ports = twins()
    an_order(ports)
    a_return(ports)
    state = {"return_id": "RT-1", "verification": verify_return("RT-1", ports),
             "failure": {"Error": "States.Timeout", "Cause": ""}}
    # When recorded
    result = record_failure("RT-1", state, ports, NOW)
    # Then the cause says which step was not answered
    failure = ports.returns.get("RT-1").failure
    assert (failure["error"], failure["cause"]) == ("States.Timeout", f"{result['step']} was not answered in time")


def test_the_end_of_an_earlier_execution_is_recorded_as_the_workflows_failure():
    # Given an execution restarted because the return's earlier one ended badly
    ports = twins()
    an_order(ports)
    a_return(ports)
    state = {"return_id": "RT-1", "restart_of": {"execution": "RT-1", "status": "TIMED_OUT"},
             "failure": {"Error": "ExecutionTimedOut", "Cause": "the workflow execution RT-1 ended TIMED_OUT"}}
    # When recorded
    result = record_failure("RT-1", state, ports, NOW)
    # Then the failed step is the workflow itself, with the earlier end as its error
    assert (result["queue"], result["step"]) == ("failures", "Workflow")
    failure = ports.returns.get("RT-1").failure
    assert (failure["step"], failure["error"], failure["cause"]) == (
        "Workflow", "ExecutionTimedOut", "the workflow execution RT-1 ended TIMED_OUT"
    )


def test_the_failure_of_a_return_never_stored_is_recorded_under_the_policy_in_force():
    # Given an execution for a return id nobody stored (Verify raised ReturnNotFound)
    ports = twins()
    state = {"return_id": "RT-404", "failure": {"Error": "ReturnNotFound", "Cause": "RT-404"}}
    # When recorded, then the failure is kept and the wait is the policy's review_wait_days
    assert record_failure("RT-404", state, ports, NOW)["review_wait_seconds"] == REVIEW_WAIT
    assert ports.returns.get("RT-404").failure["error"] == "ReturnNotFound"
