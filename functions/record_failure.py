"""Workflow task RecordFailure: a caught error (a wait's timeout included), or the end of the return's earlier
execution in one restarted by the consumer, puts the return in the failures review queue."""

from datetime import datetime, timezone

from chalice import Blueprint

from chalicelib.bootstrap import bootstrap
from chalicelib.observability import logger

record_failure_task = Blueprint(__name__)


@record_failure_task.lambda_function(name="record_failure")
def handle_record_failure(event, context):
    from chalicelib.services.record_failure import record_failure

    logger.set_correlation_id(event["return_id"])
    result = record_failure(event["return_id"], event["state"], bootstrap(), datetime.now(timezone.utc))
    logger.warning("workflow failure recorded", extra={**result, "error": event["state"].get("failure")})
    return result
