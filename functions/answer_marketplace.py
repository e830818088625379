"""Workflow tasks ApproveInMarketplace, ApproveRefundOnly, DeclineInMarketplace and InterceptParcel: the decision told
to the return's marketplace."""

from datetime import datetime, timezone

from chalice import Blueprint

from chalicelib.bootstrap import bootstrap
from chalicelib.observability import logger

answer_marketplace_task = Blueprint(__name__)


@answer_marketplace_task.lambda_function(name="answer_marketplace")
def handle_answer_marketplace(event, context):
    from chalicelib.services.answer_marketplace import answer_marketplace

    logger.set_correlation_id(event["return_id"])
    result = answer_marketplace(event["return_id"], event["answer"], bootstrap(), datetime.now(timezone.utc))
    logger.info("marketplace answered", extra=result)
    return result
