"""Taobao's inbound path (it pushes nothing over HTTP): the TMC relay and the backfill poll, run on a schedule.

The relay consumes each app's TMC group (taobao.tmc.messages.consume), puts every refund message on the ingest
queue as a notification of the shop whose seller it names, and only then confirms the messages
(taobao.tmc.messages.confirm). A crash, or a queue that refuses, between the two leaves them unconfirmed: TMC
delivers them again and the consumer dedupes them on the TMC message id. A message about a seller we do not
serve, or about another topic, is confirmed and counted, not queued.

TMC keeps a message about a day, so the backfill closes gaps: every `BACKFILL_EVERY` it asks each shop's refunds
modified since its cursor (taobao.refunds.receive.get, less an overlap), queues one notification per refund and
version (a refund seen by both paths is hydrated twice and applied once), and moves the cursor only when every
page was queued.
"""

import json
from datetime import datetime, timedelta

from chalicelib.bootstrap import Ports
from chalicelib.connectors.china import china_time, from_china_time
from chalicelib.connectors.taobao.translate import listed
from chalicelib.domain.clock import iso_utc
from chalicelib.domain.connections import TaobaoConnection
from chalicelib.domain.events import MarketplaceNotified, edge_context
from chalicelib.domain.tenancy import qualify
from chalicelib.services.accept_webhook import enqueue

TMC_BATCH = 200
MAX_ROUNDS = 10  # at most 2,000 messages per group and run; the next run takes the rest
REFUND_TOPIC = "taobao_refund_"
BACKFILL = "taobao.refunds"
BACKFILL_EVERY = timedelta(minutes=15)
BACKFILL_OVERLAP = timedelta(minutes=10)
FIRST_BACKFILL = timedelta(days=1)
PAGE_SIZE = 100
MAX_PAGES = 50


def relay_taobao_messages(ports: Ports, now: datetime) -> dict:
    """What the run did, for the log: messages queued, confirmed, ignored (not ours), groups that failed."""
    counts = {"queued": 0, "confirmed": 0, "ignored": 0, "failed_groups": 0, "errors": []}
    groups: dict[tuple, dict[str, tuple[str, TaobaoConnection]]] = {}
    for shop, connection in sorted(ports.marketplaces.connected("taobao").items()):
        key = (connection.app_key, connection.tmc_group, connection.gateway_url)
        groups.setdefault(key, {})[connection.seller_id] = (shop, connection)
    context = edge_context(now, ports.config.past_days, ports.config.future_hours)
    for (app_key, group, _), sellers in groups.items():
        client = ports.marketplaces.client(next(iter(sellers.values()))[1])
        try:
            for _ in range(MAX_ROUNDS):
                if _relay_round(client, group, sellers, ports, now, context, counts) < TMC_BATCH:
                    break
        except Exception as error:  # this group's TMC or our queue failed; the others are relayed all the same
            counts["failed_groups"] += 1
            counts["errors"].append({"app_key": app_key, "group": group, "error": type(error).__name__,
                                     "message": str(error)[:500]})
    return counts


def _relay_round(client, group: str, sellers: dict, ports: Ports, now: datetime, context: dict, counts: dict) -> int:
    answer = client.call("taobao.tmc.messages.consume", {"group_name": group, "quantity": TMC_BATCH}, with_session=False)
    messages = listed(answer.get("messages"), "tmc_message")
    handled = []
    for message in messages:
        notice = tmc_notification(message, sellers, now, context)
        if notice is None:
            counts["ignored"] += 1
        else:
            enqueue(ports.queue, notice.model_dump_json(), notice, notice.source)
            counts["queued"] += 1
        if message.get("id") is not None:
            handled.append(str(message["id"]))
    if handled:
        client.call("taobao.tmc.messages.confirm", {"group_name": group, "s_message_ids": ",".join(handled)},
                    with_session=False)
        counts["confirmed"] += len(handled)
    return len(messages)


def tmc_notification(message: dict, sellers: dict, now: datetime, context: dict) -> MarketplaceNotified | None:
    """The notification a TMC message makes for the shop of its seller; None for one that is not a refund message
    of a seller we serve, or that names no refund (nothing to hydrate)."""
    topic, seller = str(message.get("topic") or ""), sellers.get(str(message.get("user_id")))
    if not topic.startswith(REFUND_TOPIC) or seller is None or message.get("id") is None:
        return None
    try:
        content = message.get("content")
        content = json.loads(content) if isinstance(content, str) else content
        refund_id = str(content["refund_id"])
        published = from_china_time(message.get("pub_time"))
    except (ValueError, TypeError, KeyError):
        return None
    shop = seller[0]
    try:
        notice = MarketplaceNotified.model_validate({
            "event_id": f"tmc-{message['id']}", "source": shop, "occurred_at": published, "received_at": now,
            "data": {"platform": "taobao", "topic": topic, "resource": f"taobao/refund/{refund_id}",
                     "platform_event_id": str(message["id"])},
        }, context=context)
    except ValueError:
        return None
    return qualify(notice, shop)


def backfill_taobao_refunds(ports: Ports, now: datetime) -> dict:
    """Each shop whose backfill is due: refunds queued, shops done, shops that failed (their cursor stays)."""
    counts = {"queued": 0, "shops": 0, "skipped": 0, "failed_shops": 0, "errors": []}
    context = edge_context(now, ports.config.past_days, ports.config.future_hours)
    for shop, connection in sorted(ports.marketplaces.connected("taobao").items()):
        cursor = ports.shops.cursor(shop, BACKFILL)
        since = datetime.fromisoformat(cursor) if cursor else now - FIRST_BACKFILL
        if cursor and now - since < BACKFILL_EVERY:
            continue
        try:
            read_to = _backfill(ports.marketplaces.client(connection), shop, since - BACKFILL_OVERLAP, now, ports,
                                context, counts)
        except Exception as error:  # this shop's TOP or our queue failed: its cursor stays, the next run asks again
            counts["failed_shops"] += 1
            counts["errors"].append({"shop": shop, "error": type(error).__name__, "message": str(error)[:500]})
            continue
        ports.shops.move_cursor(shop, BACKFILL, iso_utc(read_to))
        counts["shops"] += 1
    return counts


def _backfill(client, shop: str, start: datetime, end: datetime, ports: Ports, context: dict, counts: dict) -> datetime:
    """Queue the refunds modified in [start, end]; how far that was read: `end`, or, when the pages ran out before
    the refunds did, the latest modified time queued (the next run goes on from there)."""
    latest = None
    for page in range(1, MAX_PAGES + 1):
        answer = client.call("taobao.refunds.receive.get", {
            "fields": "refund_id,tid,status,refund_version,modified", "start_modified": china_time(start),
            "end_modified": china_time(end), "page_no": page, "page_size": PAGE_SIZE, "use_has_next": "true",
        })
        for refund in listed(answer.get("refunds"), "refund"):
            notice = _backfilled(refund, shop, end, context)
            if notice is None:  # a row that names no refund we can read: counted, the others go on
                counts["skipped"] += 1
                continue
            enqueue(ports.queue, notice.model_dump_json(), notice, shop)
            counts["queued"] += 1
            latest = max(latest or notice.occurred_at, notice.occurred_at)
        if answer.get("has_next") not in (True, "true"):
            return end
    return min(latest, end) if latest else end


def _backfilled(refund: dict, shop: str, end: datetime, context: dict) -> MarketplaceNotified | None:
    try:
        modified = from_china_time(refund["modified"]) if refund.get("modified") else end
        notice = MarketplaceNotified.model_validate({
            "event_id": f"refund-{refund['refund_id']}-v{refund.get('refund_version', 0)}", "source": shop,
            "occurred_at": modified, "received_at": end,
            "data": {"platform": "taobao", "topic": "taobao_refund_Backfill",
                     "resource": f"taobao/refund/{refund['refund_id']}"},
        }, context=context)
    except (KeyError, ValueError):
        return None
    return qualify(notice, shop)
