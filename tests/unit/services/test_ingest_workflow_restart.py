"""A request whose execution is found ended badly, on the twins: not taken as done, but restarted under the next
generation's name into the failures queue, where a person retries it from Verify or rejects it.

The twin of Step Functions answers a start as StartExecution and DescribeExecution do (tests/integration/
test_workflow_asl_on_moto.py checks the adapter on moto, and the ASL's Start sending such an execution to
RecordFailure); here the ASL's steps are the services they call, run by hand in its order."""

import pytest

from chalicelib.domain.execution_names import execution_name, restart_name
from chalicelib.domain.returns import ReturnStatus
from chalicelib.services.ingest_event import MAX_GENERATIONS, WorkflowNotRestarted, start_workflow
from chalicelib.services.record_failure import record_failure
from chalicelib.services.wait_for_event import wait_for_event
from tests.unit.services.given import NOW, a_return, an_order, ingested, twins
from tests.webhook_events import return_requested

FAILED_CAUSE = "RecordFailure itself failed; the execution history holds the error"


def a_return_whose_execution_ended(status: str, error: str | None = None, cause: str | None = None):
    """A requested return (its execution started by the consumer), whose execution then ended with `status`."""
    ports = twins()
    an_order(ports)
    a_return(ports)
    ports.workflows.end("RT-1", status, error, cause)
    return ports


def resent(ports, event_id: str = "evt-return-RT-1-resent") -> list[str]:
    """The marketplace sends the request again (a new event id: the event log does not dedupe it)."""
    return ingested(ports, return_requested(event_id=event_id))


def test_a_request_whose_execution_runs_starts_nothing_new():
    # Given a return whose execution runs
    ports = twins()
    an_order(ports)
    a_return(ports)
    # When its request is sent again
    assert resent(ports) == ["workflow_started"]
    # Then the one execution goes on
    assert list(ports.workflows.started) == ["RT-1"]


def test_a_request_whose_execution_succeeded_is_done():
    # Given a return whose execution succeeded (the return is closed)
    ports = a_return_whose_execution_ended("SUCCEEDED")
    # When its request is sent again, then nothing is started
    assert resent(ports) == ["workflow_started"]
    assert list(ports.workflows.started) == ["RT-1"]


@pytest.mark.parametrize(("status", "error"), [
    ("FAILED", "ExecutionFailed"), ("TIMED_OUT", "ExecutionTimedOut"), ("ABORTED", "ExecutionAborted"),
])
def test_a_request_whose_execution_ended_badly_restarts_the_return_into_the_failures_queue(status, error):
    # Given a return whose execution ended badly
    ports = a_return_whose_execution_ended(status)
    # When its request is sent again
    [outcome] = resent(ports)
    # Then a second execution is started under the next generation's name, with how the first one ended
    restart = restart_name("RT-1", 1)
    assert outcome == f"workflow_{status.lower()}, restarted for review as {restart}"
    assert list(ports.workflows.started) == ["RT-1", restart]
    started = ports.workflows.started[restart]
    assert started["return_id"] == "RT-1"
    assert started["restart_of"] == {"execution": "RT-1", "status": status}
    assert started["failure"]["Error"] == error
    assert started["failure"]["Cause"] == (
        f"the workflow execution RT-1 ended {status}; the return was requested; restarted as {restart}")
    # And the event is in the log with that outcome: the message is not dropped silently
    assert ports.event_log.seen("evt-return-RT-1-resent")


def test_the_restarted_execution_records_the_end_and_waits_for_a_person_in_the_failures_queue():
    # Given a return whose execution failed with Step Functions' error and cause, restarted by its request
    ports = a_return_whose_execution_ended("FAILED", "FailureNotRecorded", FAILED_CAUSE)
    resent(ports)
    restart = ports.workflows.started[restart_name("RT-1", 1)]
    # When the restarted execution runs its first steps (Start -> RecordFailure -> AwaitFailureReview)
    recorded = record_failure("RT-1", restart, ports, NOW)
    wait_for_event("RT-1", "failure_review", "tok-restart", ports, NOW)
    # Then the return waits in the failures queue, with the reason a reviewer reads
    assert (recorded["queue"], recorded["step"]) == ("failures", "Workflow")
    record = ports.returns.get("RT-1")
    assert (record.status, record.review_queue, record.task_token) == (ReturnStatus.FAILED, "failures", "tok-restart")
    assert record.failure["error"] == "ExecutionFailed"
    assert f"ended FAILED with FailureNotRecorded: {FAILED_CAUSE}" in record.failure["cause"]
    waiting, _ = ports.returns.waiting_for_review("failures", 10, None)
    assert [(item.return_id, item.failure["step"]) for item in waiting] == [("RT-1", "Workflow")]


def test_requests_sent_again_while_the_restart_runs_start_nothing_more():
    # Given a return restarted after its execution failed
    ports = a_return_whose_execution_ended("FAILED")
    resent(ports)
    # When its request is sent twice more (the return is failed by now: the input differs, the name does not)
    ports.returns.update("RT-1", {"status": ReturnStatus.FAILED})
    outcomes = resent(ports, "evt-again-1") + resent(ports, "evt-again-2")
    # Then the restart is found running each time, and nothing else is started
    assert outcomes == [f"workflow_failed, restarted for review as {restart_name('RT-1', 1)}"] * 2
    assert len(ports.workflows.started) == 2


def test_a_restart_that_succeeded_is_done():
    # Given a return restarted after its execution was aborted, whose restart a person then rejected (it closed)
    ports = a_return_whose_execution_ended("ABORTED")
    resent(ports)
    ports.workflows.end(restart_name("RT-1", 1), "SUCCEEDED")
    # When its request is sent again, then nothing is started
    resent(ports, "evt-again")
    assert len(ports.workflows.started) == 2


def test_a_restart_that_ended_badly_too_is_followed_by_the_next_generation():
    # Given a return whose execution and its restart both failed
    ports = a_return_whose_execution_ended("FAILED")
    resent(ports)
    ports.workflows.end(restart_name("RT-1", 1), "FAILED", "States.Runtime", "a path did not resolve")
    # When its request is sent again
    resent(ports, "evt-again")
    # Then the third generation starts, with how the second ended
    third = ports.workflows.started[restart_name("RT-1", 2)]
    assert third["restart_of"] == {"execution": restart_name("RT-1", 1), "status": "FAILED"}
    assert "with States.Runtime: a path did not resolve" in third["failure"]["Cause"]


def test_when_every_generation_ended_badly_the_message_fails_with_why():
    # Given a return whose execution and every restart failed
    ports = a_return_whose_execution_ended("FAILED")
    for generation in range(1, MAX_GENERATIONS + 1):
        resent(ports, f"evt-{generation}")
        ports.workflows.end(restart_name("RT-1", generation), "FAILED", "FailureNotRecorded")
    # When its request is sent again, then the message fails (to the queue, then to the DLQ) saying why
    with pytest.raises(WorkflowNotRestarted, match="6 executions of return RT-1 ended badly"):
        resent(ports, "evt-last")
    assert not ports.event_log.seen("evt-last")
    assert len(ports.workflows.started) == MAX_GENERATIONS + 1


def test_a_tenant_qualified_return_s_execution_is_named_shop_dot_id():
    # Given a shop's return
    ports = twins()
    # When its workflow is started, then its execution is named readably, in what Step Functions accepts
    assert start_workflow("acme/RT-1", ports) == "workflow_started"
    assert ports.workflows.started == {"acme.RT-1": {"return_id": "acme/RT-1"}}


def test_a_return_id_step_functions_would_refuse_is_started_under_a_safe_name():
    # Given a shop's return whose own id has ":" (refused in execution names)
    ports = twins()
    # When its workflow is started, then under its digested name; the twin refuses what Step Functions refuses
    start_workflow("acme/gid:shopify:Return:123", ports)
    assert list(ports.workflows.started) == [execution_name("acme/gid:shopify:Return:123")]
    with pytest.raises(ValueError):
        ports.workflows.start("acme/gid:shopify:Return:123", {})
