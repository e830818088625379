"""The JOS client against the simulated JOS router, over real HTTP on loopback: the signature and the token as the
router checks them, the service order's sysVersion guard, sync.list's paging by update time, the audit and
receipt writes, the refund applications' money flow, and the faults (a write that timed out acted; its outcome
was unknown, and the guard keeps it from acting twice). Ids above 2**53 come back exact."""

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.connectors.china import china_time
from chalicelib.connectors.jd import translate
from chalicelib.connectors.jd.jos_api import JosClient, JosRefused, JosUnavailable, TokenExpired, stale_version
from chalicelib.connectors.jd.translate import RefundFailed
from chalicelib.connectors.marketplace import MarketplaceRefunded
from chalicelib.domain.connections import JdConnection
from chalicelib.domain.events import edge_context
from localcloud.jd_service import JdService

APP_KEY, SECRET, VENDER, TOKEN = "acmeappkey", "acme-app-secret", "10086", "acme-token-1"
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)
ORDER_FIELDS = ("orderId,orderState,freightPrice,sellerDiscount,orderStartTime,paymentConfirmTime,orderEndTime,"
                "modified,pin,waybill,logisticsId,itemInfoList")


class Clock:
    """The time both sides read; it moves only when a test moves it."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta) -> None:
        self.at += timedelta(**delta)


@pytest.fixture
def clock():
    return Clock(NOW)


@pytest.fixture
def jd(clock):
    running = JdService(APP_KEY, SECRET, clock=clock, late_answer_seconds=0.6).start()
    running.add_vender(VENDER, TOKEN)
    yield running
    running.stop()


@pytest.fixture
def tokens():
    return {"current": TOKEN.encode()}


def connection(jd: JdService) -> JdConnection:
    return JdConnection.model_validate({
        "platform": "jd", "vender_id": VENDER, "mode": "live", "app_key": APP_KEY,
        "app_secret_parameter": "/aftersales/jd/app-secret", "access_token_parameter": "/aftersales/jd/acme/token",
        "gateway_url": jd.gateway_url, "operator": {"bu_id": VENDER, "pin": "acme_pop", "nick": "aftersales"},
        "return_address": {"contact_name": "王仓管", "contact_phone": "010-12345678", "province": "北京",
                           "city": "北京市", "county": "大兴区", "address": "亦庄经济开发区科创十一街 18 号", "zip_code": "100176"},
    })


def client_of(jd: JdService, clock: Clock, tokens: dict, secret: str = SECRET, timeout: float = 3.0) -> JosClient:
    return JosClient(
        connection(jd), lambda: secret.encode(), lambda: tokens["current"], timeout_seconds=timeout, now=clock)


@pytest.fixture
def client(jd, clock, tokens):
    return client_of(jd, clock, tokens)


def operator(client: JosClient) -> dict:
    who = client.connection.operator
    return {"buId": who.bu_id, "operatePin": who.pin, "operateNick": who.nick}


def return_address(client: JosClient) -> dict:
    address = client.connection.return_address
    return {"returnContactName": address.contact_name, "returnContactTel": address.contact_phone,
            "returnProvince": address.province, "returnCity": address.city, "returnCounty": address.county,
            "returnDetailAddress": address.address, "returnZipcode": address.zip_code}


def an_order(jd: JdService) -> tuple[str, str]:
    """An order of two shoes at 59.90 and socks at 19.90 (freight 8.00, seller discount 10.50): its id and the shoe."""
    order = jd.add_order(VENDER, [{"price": "59.90", "quantity": 2, "outer_sku_id": "SHOE-42", "name": "跑鞋"},
                                  {"price": "19.90", "quantity": 1, "outer_sku_id": "SOCK-3P", "name": "运动袜"}],
                         freight="8.00", seller_discount="10.50", state="FINISHED_L")
    return order, jd.order(order)["itemInfoList"][0]["skuId"]


def view(client: JosClient, service: str, order: str) -> dict:
    found = client.call(
        "jingdong.asc.query.view", {**operator(client), "serviceId": int(service), "orderId": int(order)})
    return found["data"]


def approve(client: JosClient, service: str, order: str, version: int) -> dict:
    return client.call("jingdong.asc.audit.send", {
        **operator(client), "serviceId": int(service), "orderId": int(order), "sysVersion": version,
        "approveNotes": "同意退货，请寄回", **return_address(client)})


def sync(client: JosClient, begin: datetime, end: datetime, page: int, size: int) -> dict:
    return client.call("jingdong.asc.sync.list", {
        **operator(client), "updateTimeBegin": china_time(begin), "updateTimeEnd": china_time(end),
        "pageNumber": page, "pageSize": size})


# --- the router's checks -----------------------------------------------------------------------------------------

def test_a_signed_read_hydrates_into_a_return_with_its_ids_exact(jd, client):
    order, shoe = an_order(jd)
    service = jd.open_service(order, shoe, question=("质量问题", "商品故障"), description="鞋底开胶")

    info = client.call("jingdong.pop.order.get", {"order_id": int(order), "optional_fields": ORDER_FIELDS})["orderInfo"]
    data = view(client, service, order)
    event = translate.return_event(data, info, "jd-acme", NOW, edge_context(NOW, 3650, 24))

    assert int(service) > 2**53 and data["serviceId"] == int(service) and data["orderId"] == int(order)
    assert str(data["serviceBillDetailList"][0]["payPrice"]) == "59.9"  # JD's BigDecimal, read as Decimal
    assert (event.data.return_id, event.data.order_id, event.data.reason) == (
        f"service-{service}", order, "quality_issue")
    assert [(item.line_id, item.quantity) for item in event.data.items] == [(shoe, 1)]
    placed = translate.order_event(info, "jd-acme", NOW, edge_context(NOW, 3650, 24))
    assert (placed.data.shipping_fee, placed.data.order_discount) == ("8.00", "10.50")


def test_a_wrong_signature_is_refused_by_the_router(jd, clock, tokens):
    an_order(jd)

    with pytest.raises(JosRefused) as refused:
        client_of(jd, clock, tokens, secret="not-the-secret").call("jingdong.pop.order.get", {"order_id": 1})
    assert refused.value.code == "12" and jd.calls["bad_signature"] == 1 and not jd.requests


def test_a_timestamp_more_than_six_minutes_off_is_refused(jd, clock, tokens):
    late = JosClient(
        connection(jd), lambda: SECRET.encode(), lambda: tokens["current"], now=lambda: clock() - timedelta(minutes=7))

    with pytest.raises(JosRefused) as refused:
        late.call("jingdong.pop.order.get", {"order_id": 1})
    assert refused.value.code == "8"


def test_an_expired_token_says_to_authorize_again_and_the_new_token_works(jd, client, tokens):
    order, _ = an_order(jd)
    jd.expire_token(VENDER)

    with pytest.raises(TokenExpired) as expired:
        client.call("jingdong.pop.order.get", {"order_id": int(order), "optional_fields": "orderId"})
    assert expired.value.code == "19" and "authorize the app again" in str(expired.value)
    assert "/aftersales/jd/acme/token" in str(expired.value)

    jd.add_vender(VENDER, "acme-token-2")
    tokens["current"] = b"acme-token-2"
    found = client.call("jingdong.pop.order.get", {"order_id": int(order), "optional_fields": "orderId"})
    assert found["orderInfo"] == {"orderId": order}


def test_no_token_at_all_is_not_sent(jd, clock):
    with pytest.raises(TokenExpired, match="no access token"):
        client_of(jd, clock, {"current": None}).call("jingdong.pop.order.get", {"order_id": 1})
    assert not jd.requests


def test_an_order_another_store_has_is_refused_in_jds_words(jd, client):
    jd.add_vender("20001", "other-token")
    theirs = jd.add_order("20001", [{"price": "1.00", "quantity": 1}])

    with pytest.raises(JosRefused) as refused:
        client.call("jingdong.pop.order.get", {"order_id": int(theirs), "optional_fields": "orderId"})
    assert refused.value.code == "NOT_FOUND"


# --- service orders ----------------------------------------------------------------------------------------------

def test_sync_list_pages_the_changed_service_orders_by_update_time(jd, client, clock):
    order, shoe = an_order(jd)
    first = jd.open_service(order, shoe)
    clock.advance(minutes=1)
    second = jd.open_service(order, shoe)
    clock.advance(minutes=1)
    third = jd.open_service(order, shoe)
    clock.advance(minutes=1)
    approve(client, first, order, 1)  # the first changes last
    window = (NOW - timedelta(minutes=1), NOW + timedelta(minutes=10))

    one, two = sync(client, *window, 1, 2), sync(client, *window, 2, 2)

    assert (one["totalCount"], two["totalCount"]) == (3, 3)
    assert [row["serviceId"] for row in one["data"]] == [int(second), int(third)]
    assert [(row["serviceId"], row["serviceStatus"], row["sysVersion"]) for row in two["data"]] == [
        (int(first), 10005, 2)]
    later = sync(client, NOW + timedelta(minutes=2, seconds=30), NOW + timedelta(minutes=10), 1, 50)
    assert [row["serviceId"] for row in later["data"]] == [int(first)]
    assert later["data"][0]["updateTime"] == china_time(NOW + timedelta(minutes=3))


def test_sync_list_pages_hold_at_most_fifty(jd, client):
    with pytest.raises(JosRefused) as refused:
        sync(client, NOW, NOW + timedelta(hours=1), 1, 51)
    assert refused.value.code == "PARAM_ERROR"


def test_a_write_with_a_stale_sys_version_is_refused_and_the_current_one_acts(jd, client, clock):
    order, shoe = an_order(jd)
    service = jd.open_service(order, shoe)
    clock.advance(minutes=1)
    jd.buyer_cancels_service(service)  # moved on (sysVersion 2) since it was read at 1

    with pytest.raises(JosRefused) as refused:
        approve(client, service, order, 1)
    assert stale_version(refused.value) and refused.value.code == "STALE_SYS_VERSION"
    assert jd.service(service)["serviceStatus"] == 10011


def test_approving_sends_the_buyer_to_the_return_address_and_moves_the_version(jd, client):
    order, shoe = an_order(jd)
    service = jd.open_service(order, shoe)

    approve(client, service, order, view(client, service, order)["sysVersion"])

    record = view(client, service, order)
    assert (record["serviceStatus"], record["sysVersion"], record["approvePin"]) == (10005, 2, "acme_pop")
    assert record["returnWareAddress"]["returnDetailAddress"] == "亦庄经济开发区科创十一街 18 号"
    with pytest.raises(JosRefused) as again:
        approve(client, service, order, 2)
    assert again.value.code == "WRONG_STATUS" and not stale_version(again.value)


def test_an_audit_without_the_operator_or_the_return_address_is_refused(jd, client):
    order, shoe = an_order(jd)
    service = jd.open_service(order, shoe)

    with pytest.raises(JosRefused) as refused:
        client.call("jingdong.asc.audit.send", {"serviceId": int(service), "orderId": int(order), "sysVersion": 1,
                                                "approveNotes": "ok", "buId": VENDER})
    assert refused.value.code == "MISSING_PARAM" and "operatePin" in refused.value.message
    assert jd.service(service)["sysVersion"] == 1


def test_refusing_closes_the_service_order_with_the_reason(jd, client):
    order, shoe = an_order(jd)
    service = jd.open_service(order, shoe)

    client.call("jingdong.asc.audit.refuse", {**operator(client), "serviceId": int(service), "orderId": int(order),
                                              "sysVersion": 1, "approveReasonCid1": 1201, "approveNotes": "超过退货期限"})

    record = view(client, service, order)
    assert (record["serviceStatus"], record["approveReasonCid1"], record["sysVersion"]) == (10004, 1201, 2)


def test_the_buyers_parcel_and_the_receipt_register_follow_the_approval(jd, client):
    order, shoe = an_order(jd)
    service = jd.open_service(order, shoe)
    receipt = {**operator(client), "serviceId": int(service), "orderId": int(order), "receivePin": "acme_pop",
               "receiveName": "王仓管", "packingState": 10, "qualityState": 10, "accessoryOrGift": 10, "judgmentReason": 1}
    with pytest.raises(JosRefused) as early:
        client.call("jingdong.asc.receive.register", receipt)
    assert early.value.code == "WRONG_STATUS"

    approve(client, service, order, 1)
    jd.buyer_ships(service, "顺丰速运", "SF1234567890123")
    freight = client.call(
        "jingdong.asc.freight.view", {**operator(client), "serviceId": int(service), "orderId": int(order)})
    client.call("jingdong.asc.receive.register", receipt)

    assert translate.return_parcel(freight["data"]) == ("sf-express", "SF1234567890123")
    record = view(client, service, order)
    assert (record["serviceStatus"], record["receiveRegister"]["qualityState"]) == (10007, 10)


def test_a_captured_service_order_is_answered_and_listed(jd, client, clock):
    captured = {"serviceId": 9007199254742001, "orderId": 9007199254740993, "serviceStatus": 10001, "sysVersion": 4,
                "customerExpect": 10, "applyTime": china_time(NOW), "updateDate": china_time(NOW)}

    jd.feed_service_order(captured)

    assert view(client, "9007199254742001", "9007199254740993") == captured
    listed = sync(client, NOW, NOW + timedelta(minutes=1), 1, 10)["data"]
    assert [(row["serviceId"], row["sysVersion"]) for row in listed] == [(9007199254742001, 4)]


# --- refund applications -----------------------------------------------------------------------------------------

def reply(client: JosClient, refund: str, status: int, **more) -> dict:
    return client.call("jingdong.pop.afs.soa.refundapply.replyRefund", {
        "id": int(refund), "status": status, "checkUserName": "aftersales", "remark": "同意取消", "outWareStatus": 2,
        **more})


def applications(client: JosClient, refund: str) -> list[dict]:
    found = client.call(
        "jingdong.pop.afs.soa.refundapply.queryPageList", {"ids": refund, "pageIndex": 1, "pageSize": 10})
    return found["result"]


def test_an_approved_refund_is_paid_by_jd_finance_at_settlement(jd, client):
    order = jd.add_order(VENDER, [{"price": "59.90", "quantity": 1}])
    refund = jd.open_refund_application(order, reason="不想要了")
    assert jd.order(order)["orderState"] == "LOCKED"

    reply(client, refund, 1)
    assert translate.refund_effect(applications(client, refund)[0]) is None  # approved is not paid
    assert jd.settle() == [refund]

    row = applications(client, refund)[0]
    assert row["id"] == int(refund) and row["status"] == 3
    effect = translate.refund_effect(row)
    assert isinstance(effect, MarketplaceRefunded) and (effect.refund_ref, effect.total) == (refund, "59.90")
    assert jd.order(order)["orderState"] == "TRADE_CANCELED"


def test_a_refund_jd_finance_fails_stays_unpaid(jd, client):
    order = jd.add_order(VENDER, [{"price": "59.90", "quantity": 1}])
    refund = jd.open_refund_application(order)
    jd.fail_refund_next()

    reply(client, refund, 1)
    jd.settle()

    assert isinstance(translate.refund_effect(applications(client, refund)[0]), RefundFailed)
    assert jd.order(order)["orderState"] == "LOCKED"


def test_a_refused_refund_gives_the_order_back_and_jd_may_force_or_the_buyer_withdraw(jd, client):
    order = jd.add_order(VENDER, [{"price": "10.00", "quantity": 1}])
    refused, forced, withdrawn = (jd.open_refund_application(order) for _ in range(3))

    reply(client, refused, 2, rejectType=1, remark="商品已在配送途中")
    jd.force_close(forced)
    jd.buyer_cancels_refund(withdrawn)

    assert [jd.refund_application(r)["status"] for r in (refused, forced, withdrawn)] == [2, 9, 11]
    assert isinstance(translate.refund_effect(applications(client, forced)[0]), MarketplaceRefunded)


def test_a_refusal_needs_its_reject_type_and_a_decided_application_cannot_be_answered_again(jd, client):
    order = jd.add_order(VENDER, [{"price": "10.00", "quantity": 1}])
    refund = jd.open_refund_application(order)

    with pytest.raises(JosRefused) as missing:
        reply(client, refund, 2)
    reply(client, refund, 6)  # approved, and JD intercepts the parcel
    with pytest.raises(JosRefused) as again:
        reply(client, refund, 1)

    assert (missing.value.code, again.value.code) == ("MISSING_PARAM", "WRONG_STATUS")
    assert jd.refund_application(refund)["status"] == 6


def test_applications_are_found_by_order_and_status(jd, client):
    order = jd.add_order(VENDER, [{"price": "10.00", "quantity": 1}])
    pending, answered = jd.open_refund_application(order), jd.open_refund_application(order)
    reply(client, answered, 1)

    found = client.call("jingdong.pop.afs.soa.refundapply.queryPageList",
                        {"orderId": int(order), "status": 0, "pageIndex": 1, "pageSize": 50})

    assert (found["totalCount"], [row["id"] for row in found["result"]]) == (1, [int(pending)])


# --- faults ------------------------------------------------------------------------------------------------------

def test_a_write_that_timed_out_acted_and_its_outcome_was_unknown_and_the_guard_keeps_it_once(jd, clock, tokens):
    impatient = client_of(jd, clock, tokens, timeout=0.2)
    order, shoe = an_order(jd)
    service = jd.open_service(order, shoe)
    jd.time_out_next("jingdong.asc.audit.send")

    with pytest.raises(JosUnavailable) as lost:
        approve(impatient, service, order, 1)

    assert lost.value.unknown_outcome and jd.calls["timed_out"] == 1
    assert jd.service(service)["serviceStatus"] == 10005  # it acted
    with pytest.raises(JosRefused) as again:
        approve(impatient, service, order, 1)
    assert stale_version(again.value) and jd.service(service)["sysVersion"] == 2


def test_a_failure_or_flow_control_does_nothing(jd, client):
    order, shoe = an_order(jd)
    service = jd.open_service(order, shoe)
    jd.fail_next("jingdong.asc.audit.send")
    jd.flow_control_next()

    with pytest.raises(JosUnavailable) as failed:
        approve(client, service, order, 1)
    with pytest.raises(JosUnavailable) as throttled:
        approve(client, service, order, 1)

    assert failed.value.unknown_outcome and not throttled.value.unknown_outcome and throttled.value.code == "2"
    assert (jd.service(service)["serviceStatus"], jd.calls["failed"], jd.calls["flow_controlled"]) == (10001, 1, 1)
    approve(client, service, order, 1)
    assert jd.service(service)["serviceStatus"] == 10005


@pytest.mark.parametrize("code", ["33", "65", "66", "67"])
def test_the_routers_own_failures_leave_a_writes_outcome_unknown(jd, client, code):
    order, shoe = an_order(jd)
    service = jd.open_service(order, shoe)
    jd.fail_next("jingdong.asc.audit.send", code=code)

    with pytest.raises(JosUnavailable) as failed:
        approve(client, service, order, 1)

    assert failed.value.unknown_outcome and failed.value.code == code


def test_a_scripted_refusal_carries_jds_code_and_words(jd, client):
    order, shoe = an_order(jd)
    service = jd.open_service(order, shoe)
    jd.refuse_next("jingdong.asc.audit.send", "A1001", "该服务单已被京东客服介入")

    with pytest.raises(JosRefused) as refused:
        approve(client, service, order, 1)

    assert (refused.value.code, refused.value.message) == ("A1001", "该服务单已被京东客服介入")
    assert jd.service(service)["serviceStatus"] == 10001
