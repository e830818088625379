"""Scheduled daily at 01:00 UTC: the previous day's finance records to S3 as CSV and JSON Lines."""

from datetime import datetime, timedelta, timezone

from chalice import Blueprint, Cron

from chalicelib.bootstrap import bootstrap
from chalicelib.observability import logger

export_refunds_schedule = Blueprint(__name__)


@export_refunds_schedule.schedule(Cron(0, 1, "*", "*", "?", "*"), name="export_refunds")
def handle_export_refunds(event):
    from chalicelib.services.export_refunds import export_day

    result = export_day((datetime.now(timezone.utc) - timedelta(days=1)).date(), bootstrap())
    logger.info("finance export written", extra=result)
    return result
