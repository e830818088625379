"""Workflow task RefundFailed: a refund the provider did not confirm goes to finance's review queue."""

from datetime import datetime, timezone

from chalice import Blueprint

from chalicelib.bootstrap import bootstrap
from chalicelib.observability import logger

refund_failed_task = Blueprint(__name__)


@refund_failed_task.lambda_function(name="refund_failed")
def handle_refund_failed(event, context):
    from chalicelib.services.report_refund_failure import report_refund_failure

    logger.set_correlation_id(event["return_id"])
    result = report_refund_failure(event["return_id"], event["dispatch"], bootstrap(), datetime.now(timezone.utc))
    logger.warning("refund not confirmed by the provider; waiting for finance", extra=result)
    return result
