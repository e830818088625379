"""Scheduled every 15 minutes: expire approved returns whose parcel never appeared in any tracking."""

from datetime import datetime, timezone

from chalice import Blueprint, Rate

from chalicelib.bootstrap import bootstrap
from chalicelib.observability import logger

watch_parcels_schedule = Blueprint(__name__)


@watch_parcels_schedule.schedule(Rate(15, unit=Rate.MINUTES), name="watch_parcels")
def handle_watch_parcels(event):
    from chalicelib.services.watch_parcels import watch_parcels

    result = watch_parcels(bootstrap(), datetime.now(timezone.utc))
    if result["expired"]:
        logger.info("returns expired without tracking", extra=result)
    return result
