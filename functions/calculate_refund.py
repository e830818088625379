"""Workflow task CalculateRefund: the refund quote of POLICY.md section 3 for the return."""

from chalice import Blueprint

from chalicelib.bootstrap import bootstrap
from chalicelib.observability import logger

calculate_refund_task = Blueprint(__name__)


@calculate_refund_task.lambda_function(name="calculate_refund")
def handle_calculate_refund(event, context):
    from chalicelib.services.quote_return import quote_return

    logger.set_correlation_id(event["return_id"])
    result = quote_return(event["return_id"], bootstrap())
    logger.info("refund quoted", extra=result)
    return result
