"""Scheduled every 5 minutes: announce review items past their SLA deadline (SlaBreached on the bus)."""

from datetime import datetime, timezone

from chalice import Blueprint, Rate

from chalicelib.bootstrap import bootstrap
from chalicelib.observability import logger

sweep_sla_schedule = Blueprint(__name__)


@sweep_sla_schedule.schedule(Rate(5, unit=Rate.MINUTES), name="sweep_sla")
def handle_sweep_sla(event):
    from chalicelib.services.sweep_sla import sweep_sla

    result = sweep_sla(bootstrap(), datetime.now(timezone.utc))
    if result["breached"]:
        logger.warning("review SLA breached", extra=result)
    return result
