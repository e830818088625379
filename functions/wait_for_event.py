"""Workflow tasks AwaitParcel, AwaitInspection, AwaitReview, AwaitFailureReview: park the task token on the return."""

from datetime import datetime, timezone

from chalice import Blueprint

from chalicelib.bootstrap import bootstrap
from chalicelib.observability import logger

wait_for_event_task = Blueprint(__name__)


@wait_for_event_task.lambda_function(name="wait_for_event")
def handle_wait_for_event(event, context):
    from chalicelib.services.wait_for_event import wait_for_event

    logger.set_correlation_id(event["return_id"])
    result = wait_for_event(
        event["return_id"], event["waiting_for"], event["task_token"], bootstrap(), datetime.now(timezone.utc)
    )
    logger.info("workflow parked", extra=result)
    return result
