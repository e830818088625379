"""Step Functions: executions named by the return id, so a duplicate request cannot start a second one."""

import json


class StepFunctionsWorkflows:
    def __init__(self, sfn_client, state_machine_arn: str) -> None:
        self._sfn = sfn_client
        self._arn = state_machine_arn

    def start(self, name: str, payload: dict) -> None:
        """Same name and input while running is a success; once closed, ExecutionAlreadyExists means done."""
        try:
            self._sfn.start_execution(stateMachineArn=self._arn, name=name, input=json.dumps(payload, sort_keys=True))
        except self._sfn.exceptions.ExecutionAlreadyExists:
            pass

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
