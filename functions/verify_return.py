"""Workflow task Verify: decide the request by the policy (POLICY.md section 4)."""

from datetime import datetime, timezone

from chalice import Blueprint

from chalicelib.bootstrap import bootstrap
from chalicelib.observability import logger

verify_return_task = Blueprint(__name__)


@verify_return_task.lambda_function(name="verify_return")
def handle_verify_return(event, context):
    from chalicelib.services.verify_return import verify_return

    logger.set_correlation_id(event["return_id"])
    result = verify_return(event["return_id"], bootstrap(), datetime.now(timezone.utc))
    logger.info("return verified", extra=result)
    return result
