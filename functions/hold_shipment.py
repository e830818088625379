"""Workflow task HoldShipment: ask the warehouse not to ship a cancelled order's lines."""

from datetime import datetime, timezone

from chalice import Blueprint

from chalicelib.bootstrap import bootstrap
from chalicelib.observability import logger

hold_shipment_task = Blueprint(__name__)


@hold_shipment_task.lambda_function(name="hold_shipment")
def handle_hold_shipment(event, context):
    from chalicelib.services.hold_shipment import hold_shipment

    logger.set_correlation_id(event["return_id"])
    result = hold_shipment(event["return_id"], bootstrap(), datetime.now(timezone.utc))
    logger.info("shipment hold requested", extra=result)
    return result
