"""What the scheduled marketplace poller runs, in order: each part's own failures are its counts, never the others'."""

from datetime import datetime

from chalicelib.bootstrap import Ports
from chalicelib.services.poll_jd import poll_jd
from chalicelib.services.relay_taobao_messages import backfill_taobao_refunds, relay_taobao_messages


def poll_marketplaces(ports: Ports, now: datetime) -> dict:
    return {
        "taobao_tmc": relay_taobao_messages(ports, now),
        "taobao_backfill": backfill_taobao_refunds(ports, now),
        "jd": poll_jd(ports, now),
    }
