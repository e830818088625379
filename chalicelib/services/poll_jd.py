"""JD's inbound path: JD pushes nothing about a POP store's after-sales, so each store is polled for what changed.

Every `AFTERSALES_JD_POLL_SECONDS` (5 minutes), for each connected store, the window from its cursor (a day back the first time) less an
overlap to now (at most `MAX_WINDOW`: a store far behind catches up a window per run) is read in China time: the
service orders changed in it (jingdong.asc.sync.list by update time), then the refund applications opened or
answered in it (jingdong.pop.afs.soa.refundapply.queryPageList by apply time, then by check time), every page.
Each is queued as a notification of the store, with an id made of the record's id and its version (sysVersion and
update time; status and check time), so the overlap's second sight of a change is deduped by the consumer and a new
change is hydrated anew. The cursor moves to the window's end only once everything of the store was queued; a
store whose JD (or our queue) fails keeps its cursor and is read again from there next run, and the others are
polled all the same.

An application's payment by JD finance (1 -> 3 or 4) moves no time JD lists, so the poller does not see it: the
refund's dispatch reads the application on each attempt (connectors/jd/actions.py), and a person's approval or a
forced close, which set the check time, are seen here.
"""

from datetime import datetime, timedelta

from chalicelib.bootstrap import Ports
from chalicelib.connectors.china import china_time
from chalicelib.connectors.jd.hydrate import operator
from chalicelib.connectors.jd.translate import jd_id, jd_time
from chalicelib.domain.clock import iso_utc
from chalicelib.domain.events import MarketplaceNotified, edge_context
from chalicelib.domain.tenancy import qualify
from chalicelib.ports.errors import HydrationFailed, TooManyPages
from chalicelib.services.accept_webhook import enqueue

CURSOR = "jd.services"
OVERLAP = timedelta(minutes=10)
FIRST_POLL = timedelta(days=1)
MAX_WINDOW = timedelta(days=1)
MIN_WINDOW = timedelta(minutes=1)
PAGE_SIZE = 50  # JD's most
MAX_PAGES = 200  # 10,000 changes in one window: more is no store's normal day, and is reported, not read forever
SERVICE_TOPIC, REFUND_TOPIC = "jd_asc_Changed", "jd_refundapply_Changed"


def poll_jd(ports: Ports, now: datetime) -> dict:
    """What the run did, for the log: notifications queued, stores polled, rows skipped (unreadable), stores that
    failed (their cursor stays) with their errors."""
    counts = {"queued": 0, "shops": 0, "skipped": 0, "failed_shops": 0, "errors": []}
    context = edge_context(now, ports.config.past_days, ports.config.future_hours)
    for shop, connection in sorted(ports.marketplaces.connected("jd").items()):
        cursor = ports.shops.cursor(shop, CURSOR)
        since = datetime.fromisoformat(cursor) if cursor else now - FIRST_POLL
        if cursor and now - since < timedelta(seconds=ports.config.jd_poll_seconds):
            continue
        end = min(now, since + MAX_WINDOW)
        try:
            client = ports.marketplaces.client(connection)
            while True:
                window = (china_time(since - OVERLAP), china_time(end))
                try:
                    notices = [*_changed_services(client, shop, window, now, context, counts),
                               *_changed_applications(client, shop, window, now, context, counts)]
                    break
                except TooManyPages:  # a busy window: half of it now, the rest on the next runs
                    if end - since <= MIN_WINDOW:
                        raise
                    end = since + (end - since) / 2
            for notice in {notice.event_id: notice for notice in notices}.values():
                enqueue(ports.queue, notice.model_dump_json(), notice, shop)
                counts["queued"] += 1
        except Exception as error:  # this store's JD or our queue failed: its cursor stays, the next run reads again
            counts["failed_shops"] += 1
            counts["errors"].append({"shop": shop, "error": type(error).__name__, "message": str(error)[:500]})
            continue
        ports.shops.move_cursor(shop, CURSOR, iso_utc(end))
        counts["shops"] += 1
    return counts


def _changed_services(client, shop: str, window: tuple[str, str], now: datetime, context: dict, counts: dict):
    params = {**operator(client.connection), "updateTimeBegin": window[0], "updateTimeEnd": window[1]}
    for row in _pages(client, "jingdong.asc.sync.list", params, "pageNumber", "data"):
        notice = _notice(shop, "service", row.get("serviceId"), SERVICE_TOPIC,
                         f"v{row.get('sysVersion') or 0}-{_compact(row.get('updateTime'))}", row.get("updateTime"), now,
                         context, counts)
        if notice:
            yield notice


def _changed_applications(client, shop: str, window: tuple[str, str], now: datetime, context: dict, counts: dict):
    for key in ("applyTime", "checkTime"):
        params = {f"{key}Start": window[0], f"{key}End": window[1]}
        for row in _pages(client, "jingdong.pop.afs.soa.refundapply.queryPageList", params, "pageIndex", "result"):
            notice = _notice(shop, "refund", row.get("id"), REFUND_TOPIC,
                             f"s{row.get('status')}-{_compact(row.get('checkTime'))}",
                             row.get("checkTime") or row.get("applyTime"), now, context, counts)
            if notice:
                yield notice


def _pages(client, method: str, params: dict, page_name: str, rows_name: str):
    """Every row of a paged JD list, page by page to the end."""
    for page in range(1, MAX_PAGES + 1):
        found = client.call(method, {**params, page_name: page, "pageSize": PAGE_SIZE})
        rows = found.get(rows_name) or []
        yield from rows
        total = found.get("totalCount")
        if len(rows) < PAGE_SIZE or (total is not None and page * PAGE_SIZE >= int(total)):
            return  # a full page of a list that says no total is followed by the next one
    raise TooManyPages(f"{method} had more than {MAX_PAGES} pages of {PAGE_SIZE} in {params}")


def _notice(shop: str, kind: str, number: object, topic: str, version: str, changed: object, now: datetime,
            context: dict, counts: dict) -> MarketplaceNotified | None:
    """The notification of one changed record; None (counted as skipped) for a row that names no JD record."""
    try:
        number = jd_id(number, f"a {kind} id")
        notice = MarketplaceNotified.model_validate({
            "event_id": f"{kind}-{number}-{version}", "source": shop, "occurred_at": jd_time(changed) or now,
            "received_at": now,
            "data": {"platform": "jd", "topic": topic, "resource": f"jd/{kind}/{number}"},
        }, context=context)
    except (HydrationFailed, ValueError) as error:
        counts["skipped"] += 1
        counts["errors"].append({"shop": shop, "error": "unreadable row", "message": str(error)[:500]})
        return None
    return qualify(notice, shop)


def _compact(at: object) -> str:
    """A China time's digits ("2026-11-20 16:00:00" -> "20261120160000"): part of an id."""
    return "".join(c for c in str(at or "") if c.isdigit())[:14] or "0"
