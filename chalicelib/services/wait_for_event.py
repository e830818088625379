"""Park the workflow until the parcel, the inspection or a reviewer arrives, and resume it when one does.

The step that parks the token and the consumer that stores the awaited event
each write atomically and read the record back, so whichever comes second
sees both and resumes the workflow: an event that arrived before the wait
is never missed. Resuming twice is harmless (the second is a duplicate).
"""

from chalicelib.adapters.ports import Workflows
from chalicelib.domain.return_progress import wait_result
from chalicelib.services.workflow_ports import WorkflowPorts

_STATUS = {"parcel": "awaiting_parcel", "inspection": "awaiting_inspection", "review": "in_review"}


def wait_for_event(return_id: str, waiting_for: str, task_token: str, ports: WorkflowPorts) -> dict:
    record = ports.returns.wait_for(return_id, waiting_for, task_token, _STATUS[waiting_for])
    resumed = resume_if_ready(record, ports.workflows)
    return {"waiting_for": waiting_for, "resumed": resumed}


def resume_if_ready(record: dict | None, workflows: Workflows) -> bool:
    """Send the awaited result to the parked task when the record holds it; False when nothing was resumed."""
    if not record or not record.get("task_token"):
        return False
    output = wait_result(record)
    return output is not None and workflows.resume(record["task_token"], output)
