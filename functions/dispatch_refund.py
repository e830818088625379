"""Workflow task DispatchRefund: the finance record, written once, paid through the provider, RefundIssued on the bus."""

from datetime import datetime, timezone

from chalice import Blueprint

from chalicelib.bootstrap import bootstrap
from chalicelib.observability import logger

dispatch_refund_task = Blueprint(__name__)


@dispatch_refund_task.lambda_function(name="dispatch_refund")
def handle_dispatch_refund(event, context):
    from chalicelib.services.dispatch_refund import dispatch_refund

    logger.set_correlation_id(event["return_id"])
    ports = bootstrap()
    result = dispatch_refund(event["return_id"], ports, datetime.now(timezone.utc), ports.config.payment_retry_schedule)
    logger.info("refund dispatched", extra=result)
    return result
