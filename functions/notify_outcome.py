"""Workflow task Notify: close the return with its outcome and publish ReturnClosed."""

from datetime import datetime, timezone

from chalice import Blueprint

from chalicelib.bootstrap import bootstrap
from chalicelib.observability import logger

notify_outcome_task = Blueprint(__name__)


@notify_outcome_task.lambda_function(name="notify_outcome")
def handle_notify_outcome(event, context):
    from chalicelib.services.notify_outcome import notify_outcome

    logger.set_correlation_id(event["return_id"])
    result = notify_outcome(event["return_id"], event["state"], bootstrap(), datetime.now(timezone.utc))
    logger.info("return closed", extra=result)
    return result
