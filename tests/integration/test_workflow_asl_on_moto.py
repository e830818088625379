"""The real ASL on moto's executing Step Functions, with stand-ins for its Lambda tasks: every wait has a timeout
and each timeout goes where the workflow says; a restarted execution starts in the failures queue; and the Step
Functions adapter reads how an execution it finds under a name stands (running, succeeded, failed, aborted).

The stand-ins answer what the real tasks answer, with waits of a second or two instead of days, so the timeouts
fire for real (TimeoutSecondsPath, States.Timeout, the Catch that routes it)."""

import json
import threading
import time

import boto3
import pytest
from moto import mock_aws

from chalicelib.adapters.aws.stepfunctions import StepFunctionsWorkflows
from chalicelib.domain.execution_names import execution_name, restart_name
from chalicelib.ports.errors import MarketplaceRefused
from infra.package import WORKFLOW_ASL
from localcloud.lambda_invoke import LambdaInvokeServer
from localcloud.provision import ACCOUNT, deployed_function_name, workflow_definition

REGION = "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/workflow"
TASKS = ("verify_return", "answer_marketplace", "wait_for_event", "hold_shipment", "calculate_refund", "dispatch_refund",
         "refund_failed", "notify_outcome", "record_failure")
WAITS = ("AwaitReview", "AwaitHold", "AwaitParcel", "AwaitInspection", "AwaitFinanceReview", "AwaitFailureReview")


class Tasks:
    """What each Lambda task answers, and what it was called with. `answers[waiting_for]`: sent to a parked task
    at once (else the task waits until the test answers it or its timeout fires)."""

    def __init__(self, sfn) -> None:
        self.sfn = sfn
        self.calls: list[tuple[str, dict]] = []
        self.tokens: list[tuple[str, str]] = []
        self.answers: dict[str, dict] = {}
        self.results = {
            "verify_return": {"decision": "return", "code": "APPROVED", "parcel_wait_seconds": 2,
                              "review_wait_seconds": 1, "hold_wait_seconds": 1},
            "answer_marketplace": {"answer": "approve", "outcome": "no marketplace to answer"},
            "hold_shipment": {"requested": True},
            "calculate_refund": {"outcome": "refund", "total_minor": 27594, "exchange": None},
            "dispatch_refund": {
                "refund_id": "RF-1", "total": "275.94", "payment": "not_confirmed", "attempts": 4,
                "retry_in_seconds": None, "error": {"type": "PaymentNotConfirmed", "message": "no answer"},
            },
            "refund_failed": {"queue": "finance", "refund_id": "RF-1", "payment_status": "not_confirmed"},
            "notify_outcome": {"outcome": "closed"},
            "record_failure": {"queue": "failures", "step": "AwaitInspection", "review_wait_seconds": 1},
        }

    def handlers(self) -> dict:
        return {name: self._handler(name) for name in TASKS}

    def _handler(self, name: str):
        def handle(event, context):
            self.calls.append((name, event))
            if name == "wait_for_event":
                self.tokens.append((event["waiting_for"], event["task_token"]))
                answer = self.answers.get(event["waiting_for"])
                if answer is not None:
                    threading.Timer(0.2, self.answer, (event["task_token"], answer)).start()
                return {"waiting_for": event["waiting_for"], "resumed": False}
            if isinstance(self.results[name], Exception):
                raise self.results[name]
            return self.results[name]
        return handle

    def answer(self, token: str, output: dict) -> None:
        self.sfn.send_task_success(taskToken=token, output=json.dumps(output))

    def parked(self, waiting_for: str) -> list[str]:
        return [token for kind, token in self.tokens if kind == waiting_for]

    def called(self, name: str) -> list[dict]:
        return [event for task, event in self.calls if task == name]


@pytest.fixture
def sfn(monkeypatch):
    for key, value in {"AWS_DEFAULT_REGION": REGION, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_SESSION_TOKEN": "testing"}.items():
        monkeypatch.setenv(key, value)
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        yield boto3.Session(region_name=REGION).client("stepfunctions")


@pytest.fixture
def workflow(sfn, monkeypatch):
    """The return workflow as provisioned, its tasks answered by `Tasks` over the Lambda Invoke API on loopback."""
    tasks = Tasks(sfn)
    server = LambdaInvokeServer(tasks.handlers(), deployed_function_name).start()
    monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", server.url)
    arn = sfn.create_state_machine(
        name="return-workflow", definition=workflow_definition(list(TASKS), REGION), roleArn=ROLE, type="STANDARD",
    )["stateMachineArn"]
    yield tasks, arn
    server.stop()


def wait_until(condition, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"not reached within {timeout} s")
        time.sleep(0.05)


def states_entered(sfn, execution_arn: str) -> list[str]:
    events = sfn.get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]
    return [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]


def ended(sfn, execution_arn: str) -> dict:
    wait_until(lambda: sfn.describe_execution(executionArn=execution_arn)["status"] != "RUNNING")
    return sfn.describe_execution(executionArn=execution_arn)


def stop(sfn, execution_arn: str) -> None:
    """StopExecution once moto's worker has set the execution up: asked a moment after the start, moto's worker
    has no environment yet and raises AttributeError (its race, not Step Functions')."""

    def stopped() -> bool:
        try:
            sfn.stop_execution(executionArn=execution_arn)
        except AttributeError:
            return False
        return True

    wait_until(stopped)


def start(sfn, arn: str, payload: dict, name: str = "RT-1") -> str:
    return sfn.start_execution(stateMachineArn=arn, name=name, input=json.dumps(payload))["executionArn"]


# The definition.

def test_every_wait_for_a_task_token_has_a_timeout_and_every_timeout_a_route():
    states = json.loads(WORKFLOW_ASL.read_text())["States"]
    waits = [name for name, state in states.items() if state.get("Resource", "").endswith(".waitForTaskToken")]
    assert sorted(waits) == sorted(WAITS)
    for name in waits:
        state = states[name]
        assert "TimeoutSeconds" in state or "TimeoutSecondsPath" in state, name
        caught = [error for catch in state["Catch"] for error in catch["ErrorEquals"]]
        assert "States.Timeout" in caught or "States.ALL" in caught, name
    targets = {catch["Next"] for state in states.values() for catch in state.get("Catch", [])}
    targets |= {state["Next"] for state in states.values() if "Next" in state}
    targets |= {c["Next"] for state in states.values() for c in state.get("Choices", [])}
    targets |= {state["Default"] for state in states.values() if "Default" in state}
    assert targets <= set(states)


def test_a_finance_or_failure_review_that_times_out_waits_again_and_is_never_closed_by_the_clock():
    states = json.loads(WORKFLOW_ASL.read_text())["States"]
    for name in ("AwaitFinanceReview", "AwaitFailureReview"):
        [timeout] = [c for c in states[name]["Catch"] if c["ErrorEquals"] == ["States.Timeout"]]
        assert states[name]["Catch"][0] is timeout  # before States.ALL
        assert states[timeout["Next"]] == {**states[timeout["Next"]], "Type": "Pass", "Next": name}


def test_the_definition_parses_as_moto_s_interpreter_reads_it():
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    program, _ = AmazonStateLanguageParser.parse(workflow_definition(list(TASKS), REGION))
    assert program is not None


# Timeouts, for real.

def test_an_inspection_that_never_comes_puts_the_return_in_the_failures_queue_which_is_queued_again_until_decided(
        workflow, sfn):
    tasks, arn = workflow
    tasks.answers["parcel"] = {"decision": "arrived", "arrived": "delivered"}
    execution = start(sfn, arn, {"return_id": "RT-1"})
    # The inspection never comes: after parcel_wait_seconds the return goes to RecordFailure with States.Timeout.
    wait_until(lambda: tasks.called("record_failure"))
    [recorded] = tasks.called("record_failure")
    assert recorded["state"]["failure"]["Error"] == "States.Timeout"
    assert "inspection" not in recorded["state"]
    # Nobody decides within the failure review's wait: it is queued again (a new stay), not closed.
    wait_until(lambda: len(tasks.parked("failure_review")) == 2)
    assert sfn.describe_execution(executionArn=execution)["status"] == "RUNNING"
    assert tasks.called("notify_outcome") == []
    # A person rejects it.
    tasks.answer(tasks.parked("failure_review")[-1], {"decision": "reject"})
    assert ended(sfn, execution)["status"] == "SUCCEEDED"
    assert states_entered(sfn, execution) == [
        "Start", "Verify", "Decide", "ApproveInMarketplace", "AwaitParcel", "ParcelArrived", "AwaitInspection",
        "RecordFailure", "AwaitFailureReview", "RequeueFailureReview", "AwaitFailureReview", "FailureReviewed", "Notify",
    ]
    [notified] = tasks.called("notify_outcome")
    assert notified["state"]["failure_review"] == {"decision": "reject"}
    assert notified["state"]["failure_review_expired"]["Error"] == "States.Timeout"


def test_a_finance_review_that_times_out_is_queued_again_never_closed_without_finance(workflow, sfn):
    tasks, arn = workflow
    tasks.answers["parcel"] = {"decision": "arrived", "arrived": "delivered"}
    tasks.answers["inspection"] = {"inspected_at": "2026-11-21T12:00:00Z"}
    execution = start(sfn, arn, {"return_id": "RT-1"})
    # The provider never confirmed: finance's queue, waiting review_wait_seconds, then again.
    wait_until(lambda: len(tasks.parked("finance_review")) == 3)
    assert sfn.describe_execution(executionArn=execution)["status"] == "RUNNING"
    assert tasks.called("notify_outcome") == [] and tasks.called("record_failure") == []
    assert len(tasks.called("dispatch_refund")) == 1  # no attempt the clock made by itself
    tasks.answer(tasks.parked("finance_review")[-1], {"decision": "write_off"})
    assert ended(sfn, execution)["status"] == "SUCCEEDED"
    assert states_entered(sfn, execution)[-8:] == [
        "RefundFailed", "AwaitFinanceReview", "RequeueFinanceReview", "AwaitFinanceReview", "RequeueFinanceReview",
        "AwaitFinanceReview", "FinanceReviewed", "Notify",
    ]
    [notified] = tasks.called("notify_outcome")
    assert notified["state"]["finance_review"] == {"decision": "write_off"}


def test_a_review_that_times_out_is_declined_in_the_marketplace_and_closes_the_return_as_expired(workflow, sfn):
    tasks, arn = workflow
    tasks.results["verify_return"] = {**tasks.results["verify_return"], "decision": "manual", "code": "HIGH_VALUE"}
    execution = start(sfn, arn, {"return_id": "RT-1"})
    assert ended(sfn, execution)["status"] == "SUCCEEDED"
    assert states_entered(sfn, execution) == ["Start", "Verify", "Decide", "AwaitReview", "DeclineInMarketplace", "Notify"]
    assert tasks.called("answer_marketplace") == [{"return_id": "RT-1", "answer": "decline"}]
    [notified] = tasks.called("notify_outcome")
    assert notified["state"]["expired"]["Error"] == "States.Timeout"


def test_a_hold_the_warehouse_never_answers_goes_to_the_failures_queue(workflow, sfn):
    tasks, arn = workflow
    tasks.results["verify_return"] = {**tasks.results["verify_return"], "decision": "cancel"}
    execution = start(sfn, arn, {"return_id": "RT-1"})
    wait_until(lambda: tasks.parked("failure_review"))
    assert states_entered(sfn, execution)[-3:] == ["AwaitHold", "RecordFailure", "AwaitFailureReview"]
    stop(sfn, execution)


# A restarted execution.

def test_an_execution_restarted_after_its_return_s_ended_badly_waits_in_the_failures_queue_then_verifies_on_retry(
        workflow, sfn):
    tasks, arn = workflow
    tasks.results["verify_return"] = {**tasks.results["verify_return"], "decision": "reject", "code": "WINDOW_EXPIRED"}
    restart = {
        "return_id": "RT-1", "restart_of": {"execution": "RT-1", "status": "FAILED"},
        "failure": {"Error": "ExecutionFailed", "Cause": "the workflow execution RT-1 ended FAILED"},
    }
    execution = start(sfn, arn, restart, name=restart_name("RT-1", 1))
    wait_until(lambda: tasks.parked("failure_review"))
    assert tasks.called("verify_return") == []
    [recorded] = tasks.called("record_failure")
    assert recorded == {"return_id": "RT-1", "state": restart}
    tasks.answer(tasks.parked("failure_review")[0], {"decision": "retry"})
    assert ended(sfn, execution)["status"] == "SUCCEEDED"
    assert states_entered(sfn, execution) == [
        "Start", "RecordFailure", "AwaitFailureReview", "FailureReviewed", "StartOver", "Verify", "Decide",
        "DeclineInMarketplace", "Notify",
    ]
    assert tasks.called("verify_return") == [{"return_id": "RT-1"}]  # the tasks' payloads are as before


@pytest.mark.parametrize("return_id", ["RT-1", "acme/RT-1", "acme/gid:shopify:Return:1", "x" * 100])
def test_every_other_execution_starts_with_verify(workflow, sfn, return_id):
    tasks, arn = workflow
    tasks.results["verify_return"] = {**tasks.results["verify_return"], "decision": "reject"}
    execution = start(sfn, arn, {"return_id": return_id}, name=execution_name(return_id))
    assert ended(sfn, execution)["status"] == "SUCCEEDED"
    assert states_entered(sfn, execution) == ["Start", "Verify", "Decide", "DeclineInMarketplace", "Notify"]


# The adapter: how the execution under a name stands.

def machine(sfn, name: str, states: dict) -> str:
    definition = json.dumps({"StartAt": "Only", "States": {"Only": states}})
    return sfn.create_state_machine(name=name, definition=definition, roleArn=ROLE, type="STANDARD")["stateMachineArn"]


def test_the_adapter_starts_once_and_then_reads_the_running_execution(sfn):
    workflows = StepFunctionsWorkflows(sfn, machine(sfn, "waits", {"Type": "Wait", "Seconds": 600, "End": True}))
    assert workflows.start("RT-1", {"return_id": "RT-1"}) == {
        "execution": "RT-1", "status": "RUNNING", "error": None, "cause": None}
    assert workflows.start("RT-1", {"return_id": "RT-1"})["status"] == "RUNNING"  # same name and input
    assert workflows.start("RT-1", {"other": True})["status"] == "RUNNING"  # ExecutionAlreadyExists, still running
    assert len(sfn.list_executions(stateMachineArn=workflows._arn)["executions"]) == 1


def test_the_adapter_reports_a_succeeded_execution_as_done(sfn):
    workflows = StepFunctionsWorkflows(sfn, machine(sfn, "succeeds", {"Type": "Succeed"}))
    workflows.start("RT-1", {"return_id": "RT-1"})
    ended(sfn, f"arn:aws:states:{REGION}:{ACCOUNT}:execution:succeeds:RT-1")
    assert workflows.start("RT-1", {"return_id": "RT-1"})["status"] == "SUCCEEDED"


def test_the_adapter_reports_a_failed_execution_with_its_error_and_cause(sfn):
    workflows = StepFunctionsWorkflows(
        sfn, machine(sfn, "fails", {"Type": "Fail", "Error": "FailureNotRecorded", "Cause": "RecordFailure failed"}))
    workflows.start("RT-1", {"return_id": "RT-1"})
    ended(sfn, f"arn:aws:states:{REGION}:{ACCOUNT}:execution:fails:RT-1")
    assert workflows.start("RT-1", {"return_id": "RT-1"}) == {
        "execution": "RT-1", "status": "FAILED", "error": "FailureNotRecorded", "cause": "RecordFailure failed"}


def test_the_adapter_reports_an_aborted_execution(sfn):
    workflows = StepFunctionsWorkflows(sfn, machine(sfn, "stopped", {"Type": "Wait", "Seconds": 600, "End": True}))
    workflows.start("RT-1", {"return_id": "RT-1"})
    stop(sfn, f"arn:aws:states:{REGION}:{ACCOUNT}:execution:stopped:RT-1")
    ended(sfn, f"arn:aws:states:{REGION}:{ACCOUNT}:execution:stopped:RT-1")  # moto stops it a moment later
    assert workflows.start("RT-1", {"return_id": "RT-1"}) == {
        "execution": "RT-1", "status": "ABORTED", "error": None, "cause": None}


def test_a_tenant_qualified_return_s_execution_name_is_accepted_by_step_functions(sfn):
    workflows = StepFunctionsWorkflows(sfn, machine(sfn, "names", {"Type": "Wait", "Seconds": 600, "End": True}))
    for return_id in ("acme/RT-1", "acme/gid:shopify:Return:123", "shop-" + "x" * 60 + "/" + "R" * 128):
        assert workflows.start(execution_name(return_id), {"return_id": return_id})["status"] == "RUNNING"
    names = [e["name"] for e in sfn.list_executions(stateMachineArn=workflows._arn)["executions"]]
    assert len(names) == 3 and "acme.RT-1" in names



@pytest.mark.parametrize("kind", ["twin", "adapter"])
def test_the_twin_answers_starts_as_the_adapter_does_on_moto(sfn, kind):
    from chalicelib.adapters.memory import MemoryWorkflows

    if kind == "twin":
        workflows = MemoryWorkflows()

        def abort(name: str) -> None:
            workflows.end(name, "ABORTED")
    else:
        arn = machine(sfn, "contract", {"Type": "Wait", "Seconds": 600, "End": True})
        workflows = StepFunctionsWorkflows(sfn, arn)

        def abort(name: str) -> None:
            stop(sfn, f"{arn.replace(':stateMachine:', ':execution:')}:{name}")
            ended(sfn, f"{arn.replace(':stateMachine:', ':execution:')}:{name}")  # moto stops it a moment later
    running = {"execution": "RT-1", "status": "RUNNING", "error": None, "cause": None}
    assert workflows.start("RT-1", {"return_id": "RT-1"}) == running
    assert workflows.start("RT-1", {"return_id": "RT-1"}) == running
    assert workflows.start("RT-1", {"return_id": "RT-1", "other": True}) == running
    abort("RT-1")
    assert workflows.start("RT-1", {"return_id": "RT-1"}) == {**running, "status": "ABORTED"}
    assert workflows.start(".RT-1_1-0123456789abcdef", {"return_id": "RT-1"})["status"] == "RUNNING"


def test_a_decision_the_marketplace_refuses_puts_the_return_in_the_failures_queue_with_its_words(workflow, sfn):
    tasks, arn = workflow
    tasks.results["answer_marketplace"] = MarketplaceRefused("Shopify refused returnApproveRequest: Return is not approvable")
    execution = start(sfn, arn, {"return_id": "RT-1"}, name=execution_name("RT-1"))
    wait_until(lambda: tasks.parked("failure_review"))
    [recorded] = tasks.called("record_failure")
    assert recorded["state"]["failure"]["Error"] == "MarketplaceRefused"
    assert "not approvable" in recorded["state"]["failure"]["Cause"]
    assert tasks.called("answer_marketplace") == [{"return_id": "RT-1", "answer": "approve"}]
    assert tasks.parked("parcel") == []  # the parcel is not waited for while Shopify does not know it is approved
    stop(sfn, execution)


def test_a_decision_after_a_review_is_told_to_the_marketplace_before_the_parcel_is_waited_for(workflow, sfn):
    tasks, arn = workflow
    tasks.results["verify_return"] = {**tasks.results["verify_return"], "decision": "manual", "code": "HIGH_VALUE"}
    tasks.answers["review"] = {"decision": "reject"}
    execution = start(sfn, arn, {"return_id": "RT-1"}, name=execution_name("RT-1"))
    assert ended(sfn, execution)["status"] == "SUCCEEDED"
    assert states_entered(sfn, execution) == [
        "Start", "Verify", "Decide", "AwaitReview", "ReviewDecided", "DeclineInMarketplace", "Notify",
    ]
    assert tasks.called("answer_marketplace") == [{"return_id": "RT-1", "answer": "decline"}]


# Refund-only requests (POLICY.md section 8).

REFUNDED = {"refund_id": "RF-1", "total": "275.94", "payment": "confirmed", "attempts": 1, "retry_in_seconds": None,
            "error": None}
THE_REFUND = ["CalculateRefund", "RefundDue", "DispatchRefund", "RefundPaid", "Notify"]


def refund_only(tasks: Tasks, decision: str, code: str) -> None:
    tasks.results["verify_return"] = {**tasks.results["verify_return"], "decision": decision, "code": code}
    tasks.results["dispatch_refund"] = REFUNDED


def test_a_refund_only_request_in_transit_is_intercepted_and_refunded_once_its_parcel_is_back(workflow, sfn):
    tasks, arn = workflow
    refund_only(tasks, "intercept", "INTERCEPT_IN_TRANSIT")
    tasks.answers["parcel"] = {"decision": "refund", "because": "returned_to_sender"}
    execution = start(sfn, arn, {"return_id": "RT-1"})
    assert ended(sfn, execution)["status"] == "SUCCEEDED"
    assert states_entered(sfn, execution) == [
        "Start", "Verify", "Decide", "InterceptParcel", "AwaitParcel", "ParcelArrived", *THE_REFUND]
    assert tasks.called("answer_marketplace") == [{"return_id": "RT-1", "answer": "intercept"}]
    [notified] = tasks.called("notify_outcome")
    assert notified["state"]["parcel"] == {"decision": "refund", "because": "returned_to_sender"}
    assert "interception" in notified["state"] and "inspection" not in notified["state"]


def test_an_intercepted_parcel_delivered_anyway_is_reviewed_and_an_approval_refunds_it_with_no_parcel(workflow, sfn):
    tasks, arn = workflow
    refund_only(tasks, "intercept", "INTERCEPT_IN_TRANSIT")
    tasks.answers["review"] = {"decision": "approve"}
    execution = start(sfn, arn, {"return_id": "RT-1"})
    wait_until(lambda: tasks.parked("parcel"))
    tasks.answer(tasks.parked("parcel")[0], {"decision": "delivered"})
    wait_until(lambda: len(tasks.parked("parcel")) == 2)  # approved: the wait resumes at once (Return.wait_result)
    tasks.answer(tasks.parked("parcel")[1], {"decision": "refund", "because": "approved"})
    assert ended(sfn, execution)["status"] == "SUCCEEDED"
    assert states_entered(sfn, execution) == [
        "Start", "Verify", "Decide", "InterceptParcel", "AwaitParcel", "ParcelArrived", "AwaitReview", "ReviewDecided",
        "ApproveInMarketplace", "AwaitParcel", "ParcelArrived", *THE_REFUND]
    assert [call["answer"] for call in tasks.called("answer_marketplace")] == ["intercept", "approve"]


def test_an_intercepted_parcel_delivered_anyway_that_a_reviewer_rejects_is_declined(workflow, sfn):
    tasks, arn = workflow
    refund_only(tasks, "intercept", "INTERCEPT_IN_TRANSIT")
    tasks.answers["parcel"] = {"decision": "delivered"}
    tasks.answers["review"] = {"decision": "reject"}
    execution = start(sfn, arn, {"return_id": "RT-1"})
    assert ended(sfn, execution)["status"] == "SUCCEEDED"
    assert states_entered(sfn, execution) == [
        "Start", "Verify", "Decide", "InterceptParcel", "AwaitParcel", "ParcelArrived", "AwaitReview", "ReviewDecided",
        "DeclineInMarketplace", "Notify"]
    assert [call["answer"] for call in tasks.called("answer_marketplace")] == ["intercept", "decline"]
    assert tasks.called("calculate_refund") == []


def test_an_intercepted_parcel_never_heard_of_again_closes_the_request_as_expired(workflow, sfn):
    tasks, arn = workflow
    refund_only(tasks, "intercept", "INTERCEPT_IN_TRANSIT")
    execution = start(sfn, arn, {"return_id": "RT-1"})
    assert ended(sfn, execution)["status"] == "SUCCEEDED"
    assert states_entered(sfn, execution) == ["Start", "Verify", "Decide", "InterceptParcel", "AwaitParcel", "Notify"]
    [notified] = tasks.called("notify_outcome")
    assert notified["state"]["expired"]["Error"] == "States.Timeout"


def test_a_returnless_refund_is_approved_and_refunded_with_no_parcel_and_no_inspection(workflow, sfn):
    tasks, arn = workflow
    refund_only(tasks, "refund", "RETURNLESS_REFUND")
    execution = start(sfn, arn, {"return_id": "RT-1"})
    assert ended(sfn, execution)["status"] == "SUCCEEDED"
    assert states_entered(sfn, execution) == ["Start", "Verify", "Decide", "ApproveRefundOnly", *THE_REFUND]
    assert tasks.called("answer_marketplace") == [{"return_id": "RT-1", "answer": "approve"}]
    assert tasks.called("wait_for_event") == []


@pytest.mark.parametrize("hold, after_the_hold", [
    ({"outcome": "held"}, []),
    # It had shipped after all: its parcel is waited for like an intercepted one, refunded once back (no inspection).
    ({"outcome": "already_shipped"}, ["AwaitParcel", "ParcelArrived"]),
    # A refund-only request's record says so with the hold's answer: its parcel is intercepted first.
    ({"outcome": "already_shipped", "refund_only": True}, ["InterceptParcel", "AwaitParcel", "ParcelArrived"]),
])
def test_a_refund_only_request_before_shipment_takes_the_cancellation_s_path(workflow, sfn, hold, after_the_hold):
    tasks, arn = workflow
    refund_only(tasks, "cancel", "CANCEL_BEFORE_SHIPMENT")
    tasks.answers["hold"] = hold
    tasks.answers["parcel"] = {"decision": "refund", "because": "received"}
    execution = start(sfn, arn, {"return_id": "RT-1"})
    assert ended(sfn, execution)["status"] == "SUCCEEDED"
    assert states_entered(sfn, execution) == [
        "Start", "Verify", "Decide", "HoldShipment", "AwaitHold", "HoldAnswered", *after_the_hold, *THE_REFUND]


def test_returned_goods_that_fail_the_inspection_are_declined_in_the_marketplace_before_the_return_closes(workflow, sfn):
    # Else a marketplace waiting for the seller to confirm the goods (Taobao, JD) refunds them by itself.
    tasks, arn = workflow
    tasks.answers.update(parcel={"decision": "approve"}, inspection={"items": [{"line_id": "L1", "accepted": 0}]})
    tasks.results["calculate_refund"] = {"outcome": "rejected_at_inspection", "total_minor": 0, "exchange": None}
    execution = start(sfn, arn, {"return_id": "RT-1"})
    assert ended(sfn, execution)["status"] == "SUCCEEDED"
    assert states_entered(sfn, execution)[-4:] == ["CalculateRefund", "RefundDue", "DeclineAfterInspection", "Notify"]
    assert tasks.called("answer_marketplace")[-1] == {"return_id": "RT-1", "answer": "reject_inspected"}
