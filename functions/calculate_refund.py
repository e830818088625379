"""Workflow task CalculateRefund: the refund quote of POLICY.md section 3 for the return."""

from chalice import Blueprint

from chalicelib.bootstrap import workflow_ports
from chalicelib.observability import logger
from chalicelib.services.quote_return import quote_return

calculate_refund_task = Blueprint(__name__)


@calculate_refund_task.lambda_function(name="calculate_refund")
def handle_calculate_refund(event, context):
    logger.set_correlation_id(event["return_id"])
    result = quote_return(event["return_id"], workflow_ports())
    logger.info("refund quoted", extra=result)
    return result
