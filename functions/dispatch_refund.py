"""Workflow task DispatchRefund: the finance record, written once, paid through the provider, RefundIssued on the bus."""

from datetime import datetime, timezone

from chalice import Blueprint

from chalicelib.bootstrap import workflow_ports
from chalicelib.config import load_config
from chalicelib.observability import logger
from chalicelib.services.dispatch_refund import dispatch_refund

dispatch_refund_task = Blueprint(__name__)


@dispatch_refund_task.lambda_function(name="dispatch_refund")
def handle_dispatch_refund(event, context):
    logger.set_correlation_id(event["return_id"])
    retry_seconds = load_config().payment_retry_schedule
    result = dispatch_refund(event["return_id"], workflow_ports(), datetime.now(timezone.utc), retry_seconds)
    logger.info("refund dispatched", extra=result)
    return result
