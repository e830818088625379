"""Workflow task HoldShipment: ask the warehouse not to ship a cancelled order's lines."""

from chalice import Blueprint

from chalicelib.bootstrap import workflow_ports
from chalicelib.observability import logger
from chalicelib.services.hold_shipment import hold_shipment

hold_shipment_task = Blueprint(__name__)


@hold_shipment_task.lambda_function(name="hold_shipment")
def handle_hold_shipment(event, context):
    logger.set_correlation_id(event["return_id"])
    result = hold_shipment(event["return_id"], workflow_ports())
    logger.info("shipment hold requested")
    return result
