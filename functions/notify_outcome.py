"""Workflow task Notify: close the return with its outcome and publish ReturnClosed."""

from datetime import datetime, timezone

from chalice import Blueprint

from chalicelib.bootstrap import workflow_ports
from chalicelib.observability import logger
from chalicelib.services.notify_outcome import notify_outcome

notify_outcome_task = Blueprint(__name__)


@notify_outcome_task.lambda_function(name="notify_outcome")
def handle_notify_outcome(event, context):
    logger.set_correlation_id(event["return_id"])
    result = notify_outcome(event["return_id"], event["state"], workflow_ports(), datetime.now(timezone.utc))
    logger.info("return closed", extra=result)
    return result
