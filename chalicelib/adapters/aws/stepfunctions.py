"""Step Functions: executions named after the return id (domain/execution_names.py), so a duplicate request cannot
start a second one, and one found ended badly is said so."""

import json
from datetime import timezone

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.domain.execution_names import RUNNING, execution_arn


class StepFunctionsWorkflows:
    def __init__(self, sfn_client, state_machine_arn: str) -> None:
        self._sfn = sfn_client
        self._arn = state_machine_arn

    def start(self, name: str, payload: dict) -> dict:
        """Start the execution `name`: {"execution", "status"} with "RUNNING" when it runs now (started, or already
        running: the same name and input are a success); else StartExecution answered ExecutionAlreadyExists and
        DescribeExecution says how the execution of that name stands: RUNNING (another input), SUCCEEDED (done),
        or FAILED, TIMED_OUT, ABORTED with its "error" and "cause" (None when it gave none)."""
        try:
            self._sfn.start_execution(stateMachineArn=self._arn, name=name, input=json.dumps(payload, sort_keys=True))
        except self._sfn.exceptions.ExecutionAlreadyExists:
            found = self._sfn.describe_execution(executionArn=execution_arn(self._arn, name))
            return {  # an empty error or cause (a stopped execution's) is none
                "execution": name, "status": found["status"], "error": found.get("error") or None,
                "cause": found.get("cause") or None,
            }
        return {"execution": name, "status": RUNNING, "error": None, "cause": None}

    def steps(self, name: str, most: int = 200) -> list[dict] | None:
        """The states the execution `name` entered, oldest first: {state, entered_at, left_at, failed}; [] when no
        execution has that name, None when Step Functions could not be read now (a case is shown without them)."""
        try:
            pages = self._sfn.get_paginator("get_execution_history").paginate(
                executionArn=execution_arn(self._arn, name), PaginationConfig={"MaxItems": most * 3})
            events = [event for page in pages for event in page["events"]]
        except self._sfn.exceptions.ExecutionDoesNotExist:
            return []
        except (ClientError, BotoCoreError):
            return None
        steps: list[dict] = []
        for event in events:
            kind, at = event["type"], event["timestamp"].astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            if kind.endswith("StateEntered"):
                steps.append({"state": event["stateEnteredEventDetails"]["name"], "entered_at": at, "left_at": None,
                              "failed": False})
            elif kind.endswith("StateExited") and steps:
                steps[-1]["left_at"] = at
            elif kind.endswith("Failed") and steps:
                steps[-1]["failed"] = True
        return steps[-most:]

    def resume(self, task_token: str, output: dict) -> bool:
        """A token already used, timed out or closed answers TaskTimedOut / InvalidToken: a duplicate, so done."""
        return self._complete(self._sfn.send_task_success, taskToken=task_token, output=json.dumps(output, sort_keys=True))

    def fail(self, task_token: str, error: str, cause: str) -> bool:
        return self._complete(self._sfn.send_task_failure, taskToken=task_token, error=error, cause=cause)

    def _complete(self, call, **request) -> bool:
        errors = self._sfn.exceptions
        try:
            call(**request)
        except (errors.TaskTimedOut, errors.InvalidToken, errors.TaskDoesNotExist):
            return False
        return True
