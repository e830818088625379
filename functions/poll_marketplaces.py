"""Scheduled every minute: the marketplaces that push nothing over HTTP. Taobao's TMC messages are relayed to the
ingest queue (and its refunds backfilled when due); each platform's failure is logged and the others run."""

from datetime import datetime, timezone

from chalice import Blueprint, Rate

from chalicelib.bootstrap import bootstrap
from chalicelib.observability import logger

poll_marketplaces_schedule = Blueprint(__name__)


@poll_marketplaces_schedule.schedule(Rate(1, unit=Rate.MINUTES), name="poll_marketplaces")
def handle_poll_marketplaces(event):
    from chalicelib.services.poll_marketplaces import poll_marketplaces

    result = poll_marketplaces(bootstrap(), datetime.now(timezone.utc))
    for name, done in result.items():
        for error in done.pop("errors", []):
            logger.warning("marketplace poll failed", extra={"poller": name, **error})
    logger.info("marketplaces polled", extra=result)
    return result
