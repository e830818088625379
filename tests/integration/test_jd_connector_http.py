"""The JD connector against the simulated JOS router on loopback, with memory ports: the poller (overlap, paging,
a failed store keeping its cursor), hydration into canonical events and effects, and the seller's actions through
JOS with their guards (the operator and sysVersion, the refund application's statuses, our ledger key in its
remark, a lost answer read before anything is sent again, dry run)."""

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from chalicelib.adapters.memory import MemoryDirectory, memory_ports
from chalicelib.connectors.jd.actions import JdActions
from chalicelib.connectors.marketplace import (
    LeftInMarketplace,
    MarketplaceRefunded,
    MarketplaceRefundFailed,
    ParcelLinked,
    ReturnStatusSeen,
)
from chalicelib.connectors.registry import Marketplaces
from chalicelib.domain.clock import iso_utc
from chalicelib.domain.connections import MARKETPLACE, JdConnection
from chalicelib.domain.events import MarketplaceNotified, edge_context, queued_messages
from chalicelib.domain.explanations import explain
from chalicelib.domain.ledger import LedgerRecord, PaymentStatus, refund_id_for
from chalicelib.domain.orders import RefundAccount
from chalicelib.domain.returns import Return
from chalicelib.domain.tenancy import qualified, qualify
from chalicelib.ports.errors import MarketplaceRefused, PaymentDeclined, PaymentNotConfirmed
from chalicelib.services.dispatch_refund import dispatch_refund
from chalicelib.services.ingest_notification import ingest_notification
from chalicelib.services.poll_jd import CURSOR, poll_jd
from chalicelib.services.poll_marketplaces import poll_marketplaces
from localcloud.jd_service import JdService

APP_KEY, SECRET = "acmeappkey", "acme-app-secret"
STORES = {"jd-acme": ("10086", "acme-token-1"), "jd-beta": ("20001", "beta-token-1")}
SHOP, VENDER = "jd-acme", "10086"
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)
CONTEXT = edge_context(NOW, 3650, 24)
INSPECTED = {"items": [{"line_id": "L", "accepted": 1, "deductions": []}]}
REPLY = "jingdong.pop.afs.soa.refundapply.replyRefund"


class Clock:
    """The time both sides read; it moves only when a test moves it."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def jd(clock):
    service = JdService(APP_KEY, SECRET, clock=clock, late_answer_seconds=0.6).start()
    for vender, token in STORES.values():
        service.add_vender(vender, token)
    yield service
    service.stop()


def connection(jd: JdService, shop: str = SHOP, mode: str = "live", **address) -> JdConnection:
    vender = STORES[shop][0]
    return JdConnection.model_validate({
        "platform": "jd", "vender_id": vender, "mode": mode, "app_key": APP_KEY,
        "app_secret_parameter": "/aftersales/jd/app-secret", "access_token_parameter": f"/aftersales/jd/{shop}/token",
        "gateway_url": jd.gateway_url, "operator": {"bu_id": vender, "pin": "acme_pop", "nick": "aftersales"},
        "return_address": {"contact_name": "王仓管", "contact_phone": "010-12345678", "province": "北京",
                           "city": "北京市", "county": "大兴区", "address": "亦庄经济开发区科创十一街 18 号",
                           "zip_code": "100176", "province_code": 1, "city_code": 2810, "county_code": 51081,
                           "address_type": 1, **address},
        "refuse_reasons": {"NON_RETURNABLE": "3301"},
    })


def ports_for(jd: JdService, clock: Clock, mode: str = "live", **address):
    secrets = {"/aftersales/jd/app-secret": SECRET.encode(),
               **{f"/aftersales/jd/{shop}/token": token.encode() for shop, (_, token) in STORES.items()}}
    connections = MemoryDirectory({shop: connection(jd, shop, mode, **address) for shop in STORES})
    ports = memory_ports(connections=connections)
    ports.__dict__["marketplaces"] = Marketplaces(
        connections, lambda parameter: (lambda: secrets.get(parameter)), lambda: ports.audit, lambda: ports.shops,
        timeout_seconds=0.3, now=clock,
    )
    return ports


def delivered_order(jd: JdService, price: str = "59.90") -> tuple[str, str]:
    """A delivered order of one pair of shoes: its id and the shoe's skuId."""
    order = jd.add_order(VENDER, [{"price": price, "quantity": 1, "outer_sku_id": "SHOE-42"}], state="FINISHED_L")
    return order, jd.order(order)["itemInfoList"][0]["skuId"]


def a_return(return_id: str, order: str, **more) -> Return:
    return Return(**{"return_id": f"{SHOP}/{return_id}", "order_id": f"{SHOP}/{order}", "kind": "return",
                      "resolution": "refund", **more})


def issued(return_id: str, fen: int = 5990):
    return SimpleNamespace(refund_id=refund_id_for(f"{SHOP}/{return_id}"), total_minor=fen,
                           total=f"{fen // 100}.{fen % 100:02d}")


def issue(ports, return_id: str, order: str) -> str:
    """The ledger record the dispatch would have issued for the return (59.90 CNY, paid by JD)."""
    key = refund_id_for(f"{SHOP}/{return_id}")
    order_id = qualified(SHOP, order)
    ports.ledger.issue(LedgerRecord(
        refund_id=key, return_id=f"{SHOP}/{return_id}", order_id=order_id, marketplace=SHOP, currency="CNY",
        total="59.90", total_minor=5990, entries=[{"code": "item", "line_id": None, "amount": "59.90", "reason": "x"}],
        policy_version="test", issued_at="2026-11-20T08:00:00Z", issued_day="2026-11-20", idempotency_key=key,
        payment_ref=order, paid_by=MARKETPLACE,
    ), RefundAccount(refunded_total=5990), ports.orders.get(order_id).refund_version)
    return key


def actions(ports) -> JdActions:
    return ports.marketplaces.actions(SHOP)


def notice_of(kind: str, number: str, event_id: str = "hint") -> MarketplaceNotified:
    """A notification as the poller queues it."""
    return qualify(MarketplaceNotified.model_validate({
        "event_id": event_id, "source": SHOP, "occurred_at": NOW, "received_at": NOW,
        "data": {"platform": "jd", "topic": "jd_asc_Changed", "resource": f"jd/{kind}/{number}"},
    }), SHOP)


def hydrated(ports, kind: str, number: str) -> list:
    return ports.marketplaces.hydrate(notice_of(kind, number), CONTEXT)


def queued(ports) -> list[MarketplaceNotified]:
    return [queued_messages.validate_json(body) for body, _ in ports.queue.messages]


def sent(jd: JdService, method: str) -> list[dict]:
    return [business for name, business in jd.requests if name == method]


def received(jd: JdService, ports, service: str, order: str) -> None:
    """The service order approved by us and the buyer's parcel on its way back."""
    actions(ports).approve(a_return(f"service-{service}", order))
    jd.buyer_ships(service, "顺丰速运", "SF1234567890123")


# --- polling -----------------------------------------------------------------------------------------------------

def test_a_change_seen_twice_through_the_overlap_is_queued_twice_under_one_id_and_applied_once(jd, clock):
    ports = ports_for(jd, clock)
    order, shoe = delivered_order(jd)
    service = jd.open_service(order, shoe)

    first = poll_jd(ports, clock.advance(minutes=1))
    second = poll_jd(ports, clock.advance(minutes=5))  # its window starts 10 minutes before the cursor

    assert (first["queued"], second["queued"], first["failed_shops"], second["failed_shops"]) == (1, 1, 0, 0)
    notices = queued(ports)
    assert notices[0].event_id == notices[1].event_id == f"{SHOP}/service-{service}-v1-20261120160000"
    assert notices[0].data.resource == f"jd/service/{service}" and notices[0].data.topic == "jd_asc_Changed"
    outcomes = [ingest_notification(notice, ports, clock()) for notice in notices]
    assert "ReturnRequested" in outcomes[0] and outcomes[1] == "duplicate"
    stored = ports.returns.get(f"{SHOP}/service-{service}")
    assert (stored.marketplace_status, stored.marketplace_version) == ("requested", "1")
    assert ports.shops.cursor(SHOP, CURSOR) == "2026-11-20T08:06:00Z"


def test_a_store_whose_poll_fails_keeps_its_cursor_and_the_next_run_reads_from_it(jd, clock):
    ports = ports_for(jd, clock)
    poll_jd(ports, clock.advance(minutes=1))
    order, shoe = delivered_order(jd)
    service = jd.open_service(order, shoe)
    jd.fail_next("jingdong.asc.sync.list")  # the first store's (jd-acme's) read; jd-beta is polled all the same

    failed = poll_jd(ports, clock.advance(minutes=6))

    assert (failed["failed_shops"], failed["shops"], failed["queued"]) == (1, 1, 0)
    assert failed["errors"][0]["shop"] == SHOP and failed["errors"][0]["error"] == "JosUnavailable"
    assert ports.shops.cursor(SHOP, CURSOR) == "2026-11-20T08:01:00Z"
    assert ports.shops.cursor("jd-beta", CURSOR) == "2026-11-20T08:07:00Z"

    resumed = poll_jd(ports, clock.advance(minutes=1))  # due at once: its cursor is old

    assert (resumed["queued"], resumed["failed_shops"]) == (1, 0)
    assert queued(ports)[0].data.resource == f"jd/service/{service}"
    assert ports.shops.cursor(SHOP, CURSOR) == "2026-11-20T08:08:00Z"


def test_the_poll_reads_every_page_and_waits_until_it_is_due(jd, clock):
    ports = ports_for(jd, clock)
    order, shoe = delivered_order(jd)
    services = {jd.open_service(order, shoe) for _ in range(51)}

    done = poll_jd(ports, clock.advance(minutes=1))

    assert done["queued"] == 51 and {n.data.resource.split("/")[2] for n in queued(ports)} == services
    assert [business["pageNumber"] for business in sent(jd, "jingdong.asc.sync.list")] == [1, 2, 1]  # jd-acme, jd-beta
    assert all(business["pageSize"] == 50 for business in sent(jd, "jingdong.asc.sync.list"))
    assert poll_jd(ports, clock.advance(minutes=2))["shops"] == 0  # polled 2 minutes ago: not due


def test_refund_applications_opened_or_answered_in_the_window_are_polled(jd, clock):
    ports = ports_for(jd, clock)
    order = jd.add_order(VENDER, [{"price": "59.90", "quantity": 1}])
    refund = jd.open_refund_application(order)

    poll_jd(ports, clock.advance(minutes=1))
    clock.advance(minutes=1)
    jd.force_close(refund)  # JD closes and refunds by itself: its check time moves
    poll_jd(ports, clock.advance(minutes=5))

    notices = queued(ports)
    assert [n.data.resource for n in notices] == [f"jd/refund/{refund}"] * 2  # opened, then closed by JD
    assert len({n.event_id for n in notices}) == 2  # found by its apply and its check time, queued once
    assert notices[0].data.topic == "jd_refundapply_Changed"


def test_the_scheduled_poller_polls_jd(jd, clock):
    ports = ports_for(jd, clock)

    assert poll_marketplaces(ports, clock.advance(minutes=1))["jd"]["shops"] == 2


# --- hydration ---------------------------------------------------------------------------------------------------

def test_a_service_order_hydrates_into_its_order_request_status_and_parcel(jd, clock):
    ports = ports_for(jd, clock)
    order, shoe = delivered_order(jd)
    service = jd.open_service(order, shoe, question=("质量问题", "商品故障"))

    placed, requested, seen = hydrated(ports, "service", service)

    assert (placed.type, placed.data.order_id, placed.data.status) == ("OrderUpserted", order, "delivered")
    assert (requested.type, requested.data.return_id, requested.data.reason) == (
        "ReturnRequested", f"service-{service}", "quality_issue")
    assert seen == ReturnStatusSeen(f"service-{service}", "requested", version="1")

    received(jd, ports, service, order)
    *_, seen, linked = hydrated(ports, "service", service)

    assert seen == ReturnStatusSeen(f"service-{service}", "open", version="3")
    assert linked == ParcelLinked(f"service-{service}", "sf-express", "SF1234567890123")


def test_a_repair_is_left_to_the_shops_people_in_jd_and_recorded(jd, clock):
    ports = ports_for(jd, clock)
    order, shoe = delivered_order(jd)
    service = jd.open_service(order, shoe, customer_expect=30)

    placed, left = hydrated(ports, "service", service)
    outcome = ingest_notification(notice_of("service", service, "repair-1"), ports, clock())

    assert placed.type == "OrderUpserted" and isinstance(left, LeftInMarketplace)
    assert "customerExpect 30" in left.why and "left to the shop's people" in outcome
    assert ports.returns.get(f"{SHOP}/service-{service}") is None


def test_a_cancellation_hydrates_into_its_request_and_its_forced_refund_is_recorded_as_paid_by_jd(jd, clock):
    ports = ports_for(jd, clock)
    order = jd.add_order(VENDER, [{"price": "59.90", "quantity": 1}])
    refund = jd.open_refund_application(order)
    assert [e.type for e in hydrated(ports, "refund", refund)[:2]] == ["OrderUpserted", "ReturnRequested"]
    ingest_notification(notice_of("refund", refund, "opened"), ports, clock())

    jd.force_close(refund)
    outcome = ingest_notification(notice_of("refund", refund, "forced"), ports, clock())

    key = refund_id_for(f"{SHOP}/refund-{refund}")
    paid = ports.ledger.get(key)
    assert "recorded as" in outcome and (paid.paid_by, paid.payment_status, paid.total) == (
        MARKETPLACE, PaymentStatus.CONFIRMED, "59.90")
    assert paid.marketplace_refund_id == refund
    again = actions(ports).refund(a_return(f"refund-{refund}", order, kind="cancel"), issued(f"refund-{refund}"))
    assert again["marketplace_refund_id"] == refund and not sent(jd, REPLY)  # never paid again


# --- the service order's audit -----------------------------------------------------------------------------------

def test_approving_sends_the_return_address_as_jds_area_ids_as_the_operator_at_the_current_version(jd, clock):
    ports = ports_for(jd, clock)
    order, shoe = delivered_order(jd)
    service = jd.open_service(order, shoe)
    record = a_return(f"service-{service}", order)

    assert actions(ports).approve(record).startswith("approved in JD")
    assert actions(ports).approve(record).startswith("already approved in JD")

    [approval] = sent(jd, "jingdong.asc.audit.send")
    assert (approval["buId"], approval["operatePin"], approval["operateNick"], approval["sysVersion"]) == (
        VENDER, "acme_pop", "aftersales", 1)
    assert (approval["returnProvince"], approval["returnCity"], approval["returnCounty"]) == (1, 2810, 51081)
    assert (approval["returnAddressType"], approval["returnZipcode"]) == (1, "100176")
    assert approval["applyDetailIdList"] == [jd.service(service)["serviceBillDetailList"][0]["serviceDetailId"]]
    assert (jd.service(service)["serviceStatus"], jd.service(service)["approvePin"]) == (10005, "acme_pop")


def test_an_address_without_jds_area_ids_is_not_sent(jd, clock):
    ports = ports_for(jd, clock, province_code=None, county_code=None)
    order, shoe = delivered_order(jd)
    service = jd.open_service(order, shoe)

    with pytest.raises(MarketplaceRefused, match="province_code, county_code"):
        actions(ports).approve(a_return(f"service-{service}", order))
    assert not sent(jd, "jingdong.asc.audit.send")


def test_declining_refuses_with_the_mapped_reason_and_our_explanation(jd, clock):
    ports = ports_for(jd, clock)
    order, shoe = delivered_order(jd)
    late, final = jd.open_service(order, shoe), jd.open_service(order, shoe)

    actions(ports).decline(a_return(f"service-{late}", order), "WINDOW_EXPIRED")
    actions(ports).decline(a_return(f"service-{final}", order), "NON_RETURNABLE")

    assert (jd.service(late)["serviceStatus"], jd.service(late)["approveReasonCid1"]) == (10004, 1201)
    assert jd.service(late)["approveNotes"] == explain("WINDOW_EXPIRED")
    assert jd.service(final)["approveReasonCid1"] == 3301  # the store's own reason id
    assert actions(ports).decline(a_return(f"service-{late}", order), "WINDOW_EXPIRED") == "already refused in JD"


def test_a_cancellation_we_reject_is_refused_in_jd_not_left_to_its_forced_close(jd, clock):
    ports = ports_for(jd, clock)
    order = jd.add_order(VENDER, [{"price": "59.90", "quantity": 1}])
    application = jd.open_refund_application(order)
    cancel = Return(return_id=f"{SHOP}/refund-{application}", order_id=f"{SHOP}/{order}", kind="cancel")

    actions(ports).decline(cancel, "RETURN_ABUSE_SIGNAL")

    assert jd.refund_application(application)["status"] == 2
    assert [r["status"] for r in sent(jd, REPLY)] == [2]
    assert "already" in actions(ports).decline(cancel, "RETURN_ABUSE_SIGNAL")


def test_a_stale_sys_version_is_read_again_and_sent_again(jd, clock):
    ports = ports_for(jd, clock)
    order, shoe = delivered_order(jd)
    service = jd.open_service(order, shoe)
    jd.refuse_next("jingdong.asc.audit.send", "STALE_SYS_VERSION", "服务单版本号不一致，请刷新后重试")

    actions(ports).approve(a_return(f"service-{service}", order))

    assert jd.service(service)["serviceStatus"] == 10005
    assert jd.calls["jingdong.asc.query.view"] == 2 and len(sent(jd, "jingdong.asc.audit.send")) == 2


def test_a_service_order_the_buyer_cancelled_since_it_was_read_is_found_cancelled(jd, clock):
    ports = ports_for(jd, clock)
    order, shoe = delivered_order(jd)
    service = jd.open_service(order, shoe)
    jd.buyer_cancels_service(service)

    with pytest.raises(MarketplaceRefused, match="canceled"):
        actions(ports).approve(a_return(f"service-{service}", order))
    assert not sent(jd, "jingdong.asc.audit.send")


# --- the money ---------------------------------------------------------------------------------------------------

def test_a_return_is_registered_received_then_its_refund_approved_and_paid_only_once_jd_finance_paid(jd, clock):
    ports = ports_for(jd, clock)
    order, shoe = delivered_order(jd)
    service = jd.open_service(order, shoe)
    received(jd, ports, service, order)
    record = a_return(f"service-{service}", order, inspection=INSPECTED)

    with pytest.raises(PaymentNotConfirmed, match="not paid it yet"):
        actions(ports).refund(record, issued(f"service-{service}"))

    [receipt] = sent(jd, "jingdong.asc.receive.register")
    assert (receipt["packingState"], receipt["qualityState"], receipt["receivePin"]) == (10, 10, "acme_pop")
    application = jd.refund_application(str(sent(jd, REPLY)[0]["id"]))  # JD opened it on the receipt
    assert (application["status"], application["checkUserName"]) == (1, "aftersales")
    assert issued(f"service-{service}").refund_id in application["checkRemark"]
    assert sent(jd, REPLY)[0]["outWareStatus"] == 1

    jd.settle()
    paid = actions(ports).refund(record, issued(f"service-{service}"))

    assert paid["marketplace_refund_id"] == str(application["id"])
    assert len(sent(jd, REPLY)) == 1 and len(sent(jd, "jingdong.asc.receive.register")) == 1


def test_a_service_orders_money_is_applied_to_its_own_ledger_record_not_as_a_second_refund(jd, clock):
    ports = ports_for(jd, clock)
    order, shoe = delivered_order(jd)
    service = jd.open_service(order, shoe)
    ingest_notification(notice_of("service", service, "opened"), ports, clock())
    received(jd, ports, service, order)
    key = issue(ports, f"service-{service}", order)
    with pytest.raises(PaymentNotConfirmed):
        actions(ports).refund(a_return(f"service-{service}", order, inspection=INSPECTED), issued(f"service-{service}"))
    jd.settle()
    application = str(sent(jd, REPLY)[0]["id"])

    effects = hydrated(ports, "refund", application)
    outcome = ingest_notification(notice_of("refund", application, "settled"), ports, clock())

    [money] = [effect for effect in effects if isinstance(effect, MarketplaceRefunded)]
    assert (money.return_id, money.note) == (f"service-{service}", key)
    assert outcome.endswith(f"confirms {key}") and len(ports.ledger.items) == 1
    assert ports.ledger.get(key).marketplace_refund_id == application


def test_a_refund_jd_finance_failed_goes_to_finance_at_once(jd, clock):
    ports = ports_for(jd, clock)
    order = jd.add_order(VENDER, [{"price": "59.90", "quantity": 1}])
    refund = jd.open_refund_application(order)
    ingest_notification(notice_of("refund", refund, "opened"), ports, clock())
    return_id = f"{SHOP}/refund-{refund}"
    ports.returns.update(return_id, {"hold_answer": {"outcome": "held"}})
    key = issue(ports, f"refund-{refund}", order)
    jd.fail_refund_next()

    first = dispatch_refund(return_id, ports, clock(), retry_seconds=(60, 60))
    jd.settle()  # JD finance fails it: status 4
    [failed] = [e for e in hydrated(ports, "refund", refund) if isinstance(e, MarketplaceRefundFailed)]
    marked = ingest_notification(notice_of("refund", refund, "failed"), ports, clock())
    second = dispatch_refund(return_id, ports, clock(), retry_seconds=(60, 60))

    assert (first["payment"], sent(jd, REPLY)[0]["outWareStatus"]) == ("retry", 2)  # held: not shipped
    assert (failed.return_id, failed.note) == (f"refund-{refund}", key) and "marked failed" in marked
    assert (second["payment"], second["retry_in_seconds"]) == ("failed", 0)  # no retry changes it: for a person
    assert ports.ledger.get(key).payment_error["code"] == "refund_failed"
    with pytest.raises(PaymentDeclined) as declined:
        actions(ports).refund(ports.returns.get(return_id), ports.ledger.get(key))
    assert declined.value.code == "refund_failed" and len(sent(jd, REPLY)) == 1


def test_a_refund_approval_whose_answer_was_lost_is_read_first_and_not_sent_again(jd, clock):
    ports = ports_for(jd, clock)
    order = jd.add_order(VENDER, [{"price": "59.90", "quantity": 1}])
    refund = jd.open_refund_application(order)
    record = a_return(f"refund-{refund}", order, kind="cancel", hold_answer={"outcome": "held"})
    jd.time_out_next(REPLY)

    with pytest.raises(PaymentNotConfirmed):
        actions(ports).refund(record, issued(f"refund-{refund}"))
    assert jd.refund_application(refund)["status"] == 1  # it acted
    with pytest.raises(PaymentNotConfirmed, match="not paid it yet"):
        actions(ports).refund(record, issued(f"refund-{refund}"))
    jd.settle()
    paid = actions(ports).refund(record, issued(f"refund-{refund}"))

    assert paid["marketplace_refund_id"] == refund and len(sent(jd, REPLY)) == 1


def test_an_application_for_another_amount_than_ours_is_not_approved(jd, clock):
    ports = ports_for(jd, clock)
    order = jd.add_order(VENDER, [{"price": "59.90", "quantity": 1}])
    refund = jd.open_refund_application(order, amount="50.00")

    with pytest.raises(PaymentDeclined) as declined:
        actions(ports).refund(a_return(f"refund-{refund}", order, kind="cancel"), issued(f"refund-{refund}"))

    assert declined.value.code == "amount_differs" and "50.00 CNY" in declined.value.message
    assert not sent(jd, REPLY)


def test_intercepting_approves_the_application_with_jds_interception(jd, clock):
    ports = ports_for(jd, clock)
    order = jd.add_order(VENDER, [{"price": "59.90", "quantity": 1}])
    refund = jd.open_refund_application(order)
    record = a_return(f"refund-{refund}", order, kind="cancel")

    assert "interception" in actions(ports).intercept(record)
    assert actions(ports).intercept(record).startswith("nothing to intercept")
    jd.settle()

    assert (jd.refund_application(refund)["status"], len(sent(jd, REPLY))) == (3, 1)
    assert actions(ports).refund(record, issued(f"refund-{refund}"))["marketplace_refund_id"] == refund


def test_in_dry_run_every_write_is_recorded_and_none_sent(jd, clock):
    ports = ports_for(jd, clock, mode="dry_run")
    order, shoe = delivered_order(jd)
    service = jd.open_service(order, shoe)
    cancelled = jd.add_order(VENDER, [{"price": "59.90", "quantity": 1}])
    refund = jd.open_refund_application(cancelled)

    assert actions(ports).approve(a_return(f"service-{service}", order)).startswith("dry run")
    assert actions(ports).refund(a_return(f"service-{service}", order, inspection=INSPECTED),
                                 issued(f"service-{service}")) == {"dry_run": True}
    assert actions(ports).refund(a_return(f"refund-{refund}", cancelled, kind="cancel"),
                                 issued(f"refund-{refund}")) == {"dry_run": True}

    assert [(e["action"], e["method"]) for e in ports.audit.entries] == [
        ("jd.dry_run", "jingdong.asc.audit.send"), ("jd.dry_run", "jingdong.asc.receive.register"),
        ("jd.dry_run", REPLY)]
    assert ports.audit.entries[2]["params"]["remark"] == f"aftersales {issued(f'refund-{refund}').refund_id}"
    assert not [name for name, _ in jd.requests if name in ("jingdong.asc.audit.send", "jingdong.asc.receive.register",
                                                             REPLY)]
    assert (jd.service(service)["serviceStatus"], jd.refund_application(refund)["status"]) == (10001, 0)


def test_jd_holds_nothing_itself_so_the_warehouse_is_asked(jd, clock):
    ports = ports_for(jd, clock)

    assert isinstance(actions(ports), JdActions) and actions(ports).hold(a_return("refund-1", "1")) is None



def test_a_window_too_busy_for_one_run_is_halved_and_the_rest_read_on_the_next_runs(jd, clock, monkeypatch):
    from chalicelib.connectors.china import from_china_time
    from chalicelib.ports.errors import TooManyPages
    from chalicelib.services import poll_jd as poller

    ports = ports_for(jd, clock)
    pages = poller._pages

    def busy_beyond_six_hours(client, method, params, *rest):
        begin, end = (from_china_time(value) for key, value in params.items() if key.endswith(("Begin", "End", "Start")))
        if end - begin > timedelta(hours=6, minutes=10):
            raise TooManyPages(f"{method}: too many")
        return pages(client, method, params, *rest)

    monkeypatch.setattr(poller, "_pages", busy_beyond_six_hours)
    done = poller.poll_jd(ports, clock())

    assert done["failed_shops"] == 0
    assert ports.shops.cursor(SHOP, poller.CURSOR) == iso_utc(clock() - timedelta(hours=18))  # a day back, 6 h read


def test_goods_that_fail_our_inspection_are_registered_and_their_refund_application_refused(jd, clock):
    ports = ports_for(jd, clock)
    order, shoe = delivered_order(jd)
    service = jd.open_service(order, shoe)
    received(jd, ports, service, order)
    rejected = a_return(f"service-{service}", order, inspection={"items": [{"line_id": "L", "accepted": 0, "deductions": []}]})

    outcome = actions(ports).decline(rejected, "REJECTED_AT_INSPECTION")

    assert "refused" in outcome
    assert len(sent(jd, "jingdong.asc.receive.register")) == 1
    [reply] = sent(jd, REPLY)
    assert (reply["status"], jd.refund_application(str(reply["id"]))["status"]) == (2, 2)
