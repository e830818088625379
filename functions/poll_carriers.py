"""Scheduled every 30 minutes: ask the carriers' API about parcels that went quiet (a parcel whose call fails is
logged and counted; the others are polled all the same)."""

from datetime import datetime, timezone

from chalice import Blueprint, Rate

from chalicelib.bootstrap import bootstrap
from chalicelib.observability import logger

poll_carriers_schedule = Blueprint(__name__)


@poll_carriers_schedule.schedule(Rate(30, unit=Rate.MINUTES), name="poll_carriers")
def handle_poll_carriers(event):
    from chalicelib.services.poll_carriers import poll_carriers

    ports = bootstrap()
    if ports.carrier_api is None:
        return {"polled": 0, "disabled": "AFTERSALES_CARRIER_API_URL is not set"}
    result = poll_carriers(ports, datetime.now(timezone.utc))
    for error in result["errors"]:
        logger.warning("carrier poll failed", extra=error)
    logger.info("carriers polled", extra={key: value for key, value in result.items() if key != "errors"})
    return result
