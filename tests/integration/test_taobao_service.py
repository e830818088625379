"""The TOP client against the simulated TOP gateway, over real HTTP on loopback: signing and the gateway's checks,
sessions, refund_version, the batch agree (limits, partial success, the SMS step), TMC's at-least-once delivery,
the platform acting by itself, scripted faults, exact ids above 2**53, and replaying captured objects."""

import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from chalicelib.connectors.china import from_china_time
from chalicelib.connectors.taobao.top_api import (
    SessionExpired,
    TopClient,
    TopRefused,
    TopUnavailable,
    sms_code_required,
    stale_version,
)
from chalicelib.domain.connections import TaobaoConnection
from chalicelib.ports.errors import MarketplaceRefused, MarketplaceUnavailable
from localcloud.taobao_service import (
    PUB_APP_KEY,
    SMS_CODE_INVALID_SUB_CODE,
    STALE_VERSION_SUB_CODE,
    TaobaoService,
)

APP_KEY, APP_SECRET = "12345678", "top-app-secret-0001"
SELLER, TMALL = "2206512345678", "2206598765432"
SESSIONS = {SELLER: "6100a1b2c3-acme", TMALL: "6100d4e5f6-acme-tmall"}
NICKS = {SELLER: "acme小店", TMALL: "acme旗舰店"}
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)
BIG = 2**53 + 1  # odd ids from here have no double: a float anywhere on the way changes them
AGREE, RETURN_AGREE, REFUND_GET = "taobao.rp.refunds.agree", "taobao.rp.returngoods.agree", "taobao.refund.get"
REFUND_FIELDS = ("refund_id,tid,oid,status,refund_fee,total_fee,payment,reason,desc,good_status,has_good_return,"
                 "dispute_type,refund_version,refund_phase,sid,company_name,num,sku,outer_id,refund_remind_timeout,"
                 "created,modified")


class Clock:
    """The one time of the gateway and of the client; tests move it."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def taobao(clock):
    service = TaobaoService(APP_KEY, APP_SECRET, clock=clock, late_answer_seconds=0.6,
                            redeliver_after_seconds=0).start()
    service.add_seller(SELLER, NICKS[SELLER], SESSIONS[SELLER])
    service.add_seller(TMALL, NICKS[TMALL], SESSIONS[TMALL], store="tmall")
    yield service
    service.stop()


def client(service, clock, user=SELLER, secret=APP_SECRET, session="", sign_method="hmac", now=None) -> TopClient:
    connection = TaobaoConnection(
        platform="taobao", store="tmall" if user == TMALL else "taobao", seller_id=user, seller_nick=NICKS[user],
        mode="live", app_key=APP_KEY, app_secret_parameter="/aftersales/taobao/app-secret",
        session_parameter=f"/aftersales/taobao/{user}/session", sign_method=sign_method,
        gateway_url=service.gateway_url, seller_address_id="1001",
    )
    chosen = SESSIONS[user] if session == "" else session
    return TopClient(connection, lambda: secret and secret.encode(), lambda: chosen and chosen.encode(),
                     timeout_seconds=0.3, now=now or clock)


def a_trade(service, user=SELLER, fees=("59.90",), status="WAIT_BUYER_CONFIRM_GOODS", first=BIG) -> dict:
    """A trade of one sub-order per fee (tid `first`, oids after it), each id above 2**53."""
    orders = [{"oid": first + 2 * (i + 1), "num": 1, "price": fee, "payment": fee, "outer_sku_id": f"SKU-{i}",
               "sku_id": 5_000_000_000_000_001 + i, "title": f"衬衫 {i}", "cid": 50011123} for i, fee in enumerate(fees)]
    trade = {"tid": first, "status": status, "payment": str(sum(Decimal(f) for f in fees) + Decimal("8.00")),
             "post_fee": "8.00", "discount_fee": "0.00", "created": "2026-11-18 10:00:00", "pay_time": "2026-11-18 10:01:00",
             "consign_time": "2026-11-19 09:00:00", "buyer_open_uid": "AAHLuAVrAABxoR0DtQv2KKHi", "buyer_nick": "c**",
             "orders": orders}
    service.add_trade(user, trade)
    return trade


def refunds_on(service, trade, user=SELLER, dispute_type="REFUND") -> list[str]:
    return [service.open_refund(user, trade["tid"], o["oid"], dispute_type, o["payment"]) for o in trade["orders"]]


def refund_of(service, user, refund_id) -> dict:
    return next(r for r in service.refunds(user) if r["refund_id"] == int(refund_id))


def read(top: TopClient, refund_id) -> dict:
    return top.call(REFUND_GET, {"refund_id": refund_id, "fields": REFUND_FIELDS})["refund"]


def infos(service, user, refund_ids, phase=True, stale=()) -> str:
    """refund_infos for the refunds as they are now (a stale version for those in `stale`)."""
    entries = []
    for refund_id in refund_ids:
        refund = refund_of(service, user, refund_id)
        version = refund["refund_version"] - 1 if refund_id in stale else refund["refund_version"]
        entry = f"{refund_id}|{int(refund['refund_fee'] * 100)}|{version}"
        entries.append(f"{entry}|{refund['refund_phase']}" if phase else entry)
    return ",".join(entries)


def review(top, service, user, refund_id) -> None:
    refund = refund_of(service, user, refund_id)
    answer = top.call("taobao.rp.refund.review", {
        "refund_id": refund_id, "operator": "客服小王", "refund_phase": refund["refund_phase"],
        "refund_version": refund["refund_version"], "result": True, "message": "同意退款"})
    assert answer["is_success"] is True and isinstance(answer["request_id"], str)


def consume(top, group="default", quantity=100) -> list[dict]:
    answer = top.call("taobao.tmc.messages.consume", {"group_name": group, "quantity": quantity}, with_session=False)
    return (answer.get("messages") or {}).get("tmc_message", [])


def test_the_gateway_checks_the_signature_app_key_and_timestamp_and_takes_both_sign_methods(taobao, clock):
    trade = a_trade(taobao)
    [refund_id] = refunds_on(taobao, trade)
    for sign_method in ("hmac", "md5"):
        assert read(client(taobao, clock, sign_method=sign_method), refund_id)["refund_id"] == int(refund_id)

    with pytest.raises(TopRefused) as wrong_secret:
        read(client(taobao, clock, secret="not-the-secret"), refund_id)
    assert (wrong_secret.value.code, wrong_secret.value.msg) == (25, "Invalid signature")
    assert isinstance(wrong_secret.value, MarketplaceRefused) and "taobao.refund.get" in str(wrong_secret.value)
    with pytest.raises(TopRefused) as late_clock:
        read(client(taobao, clock, now=lambda: NOW + timedelta(minutes=11)), refund_id)
    assert late_clock.value.code == 31
    assert read(client(taobao, clock, now=lambda: NOW - timedelta(minutes=9)), refund_id)["status"] == "WAIT_SELLER_AGREE"
    assert (taobao.calls["invalid_signature"], taobao.calls["invalid_timestamp"], taobao.calls[REFUND_GET]) == (1, 1, 3)
    _, sent = taobao.requests[0]
    assert sent == {"refund_id": refund_id, "fields": REFUND_FIELDS}


def test_an_unknown_or_expired_session_is_session_expired_and_says_which_parameter_to_renew(taobao, clock):
    trade = a_trade(taobao)
    [refund_id] = refunds_on(taobao, trade)
    with pytest.raises(SessionExpired) as unknown:
        read(client(taobao, clock, session="6100-revoked"), refund_id)
    assert (unknown.value.code, unknown.value.sub_code) == (27, "invalid-sessionkey")

    taobao.expire_session(SELLER)
    with pytest.raises(SessionExpired) as expired:
        read(client(taobao, clock), refund_id)
    assert (expired.value.code, expired.value.sub_code) == (27, "session-expired")
    assert f"/aftersales/taobao/{SELLER}/session" in str(expired.value) and "authorize" in str(expired.value)
    assert isinstance(expired.value, MarketplaceRefused)
    taobao.renew_session(SELLER, "6100-renewed")
    assert read(client(taobao, clock, session="6100-renewed"), refund_id)["refund_id"] == int(refund_id)

    asked = len(taobao.requests)
    with pytest.raises(MarketplaceRefused, match=f"/aftersales/taobao/{SELLER}/session"):
        read(client(taobao, clock, session=None), refund_id)
    with pytest.raises(MarketplaceRefused, match="/aftersales/taobao/app-secret"):
        read(client(taobao, clock, secret=None), refund_id)
    assert len(taobao.requests) == asked


def test_reads_keep_every_id_above_2_53_exact_and_money_in_yuan_and_times_in_china_time(taobao, clock):
    trade = a_trade(taobao, fees=("59.90", "120.00"))
    refund_id = taobao.open_refund(SELLER, trade["tid"], trade["orders"][1]["oid"], "REFUND_AND_RETURN", "100.01",
                                   "尺码不合适", desc="太大了")
    top = client(taobao, clock)

    refund = read(top, refund_id)
    assert int(refund_id) > 2**53 and refund["refund_id"] == int(refund_id) and refund["refund_id"] % 2 == 1
    assert (refund["tid"], refund["oid"]) == (trade["tid"], trade["orders"][1]["oid"])
    assert (refund["refund_fee"], refund["total_fee"], refund["payment"]) == ("100.01", "120.00", "19.99")
    assert (refund["status"], refund["dispute_type"], refund["has_good_return"]) == (
        "WAIT_SELLER_AGREE", "REFUND_AND_RETURN", True)
    assert (refund["good_status"], refund["refund_phase"], refund["reason"], refund["desc"]) == (
        "BUYER_NOT_RECEIVED", "onsale", "尺码不合适", "太大了")
    assert from_china_time(refund["created"]) == NOW and refund["modified"] == "2026-11-20 16:00:00"
    assert refund["refund_version"] == int(NOW.timestamp() * 1000)
    assert refund["refund_remind_timeout"]["exist_timeout"] is True
    assert from_china_time(refund["refund_remind_timeout"]["timeout"]) == NOW + timedelta(days=5)
    assert (refund["outer_id"], refund["sku"]) == ("SKU-1", "5000000000000002|")
    assert "sid" not in refund and "company_name" not in refund

    got = top.call("taobao.trade.fullinfo.get", {"tid": trade["tid"], "fields": "tid,status,payment,orders"})["trade"]
    assert got["tid"] == trade["tid"] and set(got) == {"tid", "status", "payment", "orders"}
    [first, second] = got["orders"]["order"]
    assert (first["oid"], first["refund_status"]) == (trade["orders"][0]["oid"], "NO_REFUND")
    assert (second["oid"], second["refund_id"], second["refund_status"]) == (
        trade["orders"][1]["oid"], int(refund_id), "WAIT_SELLER_AGREE")
    assert second["sku_id"] == 5_000_000_000_000_002
    with pytest.raises(TopRefused) as unknown:
        top.call("taobao.trade.fullinfo.get", {"tid": BIG + 1000, "fields": "tid"})
    assert unknown.value.sub_code == "isv.trade-not-exist"


def test_a_return_is_agreed_shipped_back_and_refunded_each_step_moving_its_version_and_publishing_its_topic(
        taobao, clock):
    trade = a_trade(taobao)
    [refund_id] = refunds_on(taobao, trade, dispute_type="REFUND_AND_RETURN")
    top = client(taobao, clock)
    versions = [read(top, refund_id)["refund_version"]]

    clock.now += timedelta(minutes=5)
    assert top.call(RETURN_AGREE, {"refund_id": refund_id, "refund_version": versions[0], "refund_phase": "onsale",
                                   "seller_address_id": "1001"})["is_success"] is True
    versions.append(read(top, refund_id)["refund_version"])
    clock.now += timedelta(days=1)
    taobao.buyer_returns_goods(refund_id, "顺丰速运", "SF1234567890123")
    refund = read(top, refund_id)
    versions.append(refund["refund_version"])
    assert (refund["status"], refund["sid"], refund["company_name"]) == (
        "WAIT_SELLER_CONFIRM_GOODS", "SF1234567890123", "顺丰速运")
    clock.now += timedelta(hours=2)
    answer = top.call(AGREE, {"refund_infos": infos(taobao, SELLER, [refund_id], phase=False)})

    assert answer["results"]["refund_mapping_result"] == [{"refund_id": int(refund_id), "succ": True, "message": "succ"}]
    assert (answer["msg_code"], answer["succ"]) == ("OP_SUCC", True)
    final = read(top, refund_id)
    assert final["status"] == "SUCCESS" and final["refund_remind_timeout"] == {"remind_type": 0, "exist_timeout": False}
    assert versions == sorted(set(versions)) and final["refund_version"] > versions[-1]
    assert versions[1] == int((NOW + timedelta(minutes=5)).timestamp() * 1000)
    assert [m["topic"] for m in taobao.messages] == [f"taobao_refund_{topic}" for topic in (
        "RefundCreated", "RefundSellerAgreeAgreement", "RefundBuyerReturnGoods", "RefundSuccess")]
    assert taobao.refunded(SELLER) == {"seller": Decimal("59.90"), "platform": Decimal("0.00")}
    assert refund_of(taobao, SELLER, refund_id)["paid_by"] == "seller"


def test_a_stale_refund_version_is_refused_and_changes_nothing(taobao, clock):
    trade = a_trade(taobao)
    [refund_id] = refunds_on(taobao, trade, dispute_type="REFUND_AND_RETURN")
    top = client(taobao, clock)
    version = read(top, refund_id)["refund_version"]
    taobao.buyer_modifies(refund_id, "50.00")

    with pytest.raises(TopRefused) as stale:
        top.call(RETURN_AGREE, {"refund_id": refund_id, "refund_version": version, "seller_address_id": "1001"})
    assert stale_version(stale.value) and stale.value.sub_code == STALE_VERSION_SUB_CODE
    assert RETURN_AGREE in str(stale.value) and STALE_VERSION_SUB_CODE in str(stale.value)
    refund = read(top, refund_id)
    assert (refund["status"], refund["refund_fee"]) == ("WAIT_SELLER_AGREE", "50.00")
    with pytest.raises(TopRefused) as again:
        top.call("taobao.refund.refuse", {"refund_id": refund_id, "refund_version": version, "refuse_message": "已发货"})
    assert stale_version(again.value)
    assert taobao.calls["stale_version"] == 2
    assert top.call("taobao.refund.refuse", {"refund_id": refund_id, "refund_version": refund["refund_version"],
                                             "refuse_message": "商品已发出，请拒收"})["refund"]["status"] == "SELLER_REFUSE_BUYER"
    assert taobao.messages[-1]["topic"] == "taobao_refund_RefundSellerRefuseAgreement"


def test_the_batch_agree_keeps_tops_per_call_limits(taobao, clock):
    taobao_trade = a_trade(taobao, fees=["10.00"] * 21)
    taobao_refunds = refunds_on(taobao, taobao_trade)
    top = client(taobao, clock)
    with pytest.raises(TopRefused) as too_many:
        top.call(AGREE, {"refund_infos": infos(taobao, SELLER, taobao_refunds, phase=False)})
    assert (too_many.value.code, too_many.value.sub_code) == (41, "isv.invalid-parameter")
    assert "20" in too_many.value.sub_msg

    costly = a_trade(taobao, fees=("3000.00", "3000.01"), first=BIG + 1000)
    with pytest.raises(TopRefused, match="6000"):
        top.call(AGREE, {"refund_infos": infos(taobao, SELLER, refunds_on(taobao, costly), phase=False)})
    assert all(r["status"] == "WAIT_SELLER_AGREE" for r in taobao.refunds(SELLER))

    tmall_trade = a_trade(taobao, TMALL, fees=["300.00"] * 30)
    tmall_refunds = refunds_on(taobao, tmall_trade, user=TMALL)
    tmall = client(taobao, clock, user=TMALL)
    for refund_id in tmall_refunds:
        review(tmall, taobao, TMALL, refund_id)
    answer = tmall.call(AGREE, {"refund_infos": infos(taobao, TMALL, tmall_refunds)})
    assert [r["succ"] for r in answer["results"]["refund_mapping_result"]] == [True] * 30
    assert {r["message"] for r in answer["results"]["refund_mapping_result"]} == {"操作成功"}
    assert taobao.refunded(TMALL)["seller"] == Decimal("9000.00")


def test_a_stale_version_in_a_batch_fails_that_refund_alone(taobao, clock):
    trade = a_trade(taobao, fees=("10.00", "20.00", "30.00"))
    first, second, third = refunds_on(taobao, trade)
    top = client(taobao, clock)

    answer = top.call(AGREE, {"refund_infos": infos(taobao, SELLER, [first, second, third], phase=False, stale={second})})

    results = answer["results"]["refund_mapping_result"]
    assert [(r["refund_id"], r["succ"]) for r in results] == [(int(first), True), (int(second), False), (int(third), True)]
    assert stale_version(results[1]) and not stale_version(results[0])
    assert (answer["msg_code"], answer["succ"]) == ("SOME_OP_SUCC", True)
    assert [read(top, r)["status"] for r in (first, second, third)] == ["SUCCESS", "WAIT_SELLER_AGREE", "SUCCESS"]
    assert taobao.refunded(SELLER)["seller"] == Decimal("40.00")


def test_an_amount_other_than_the_refund_fee_or_a_tmall_refund_not_reviewed_fails_that_refund(taobao, clock):
    trade = a_trade(taobao, TMALL, fees=("88.00",))
    [refund_id] = refunds_on(taobao, trade, user=TMALL)
    tmall = client(taobao, clock, user=TMALL)
    not_reviewed = tmall.call(AGREE, {"refund_infos": infos(taobao, TMALL, [refund_id])})
    assert not_reviewed["msg_code"] == "OP_FAILURE_UE" and not_reviewed["succ"] is False
    review(tmall, taobao, TMALL, refund_id)
    version = refund_of(taobao, TMALL, refund_id)["refund_version"]
    wrong_amount = tmall.call(AGREE, {"refund_infos": f"{refund_id}|8799|{version}|onsale"})
    assert wrong_amount["results"]["refund_mapping_result"][0]["succ"] is False
    with pytest.raises(TopRefused, match="refund_infos"):
        tmall.call(AGREE, {"refund_infos": f"{refund_id}|8800|{version}"})
    assert tmall.call(AGREE, {"refund_infos": f"{refund_id}|8800|{version}|onsale"})["msg_code"] == "OP_SUCC"

    with pytest.raises(TopRefused) as taobao_only:
        client(taobao, clock).call("taobao.rp.refund.review", {
            "refund_id": refund_id, "operator": "x", "refund_phase": "onsale", "refund_version": version,
            "result": True, "message": "x"})
    assert taobao_only.value.sub_code == "isv.tmall-only"


def test_a_returned_parcel_is_refused_on_tmall_only(taobao, clock):
    tmall = client(taobao, clock, user=TMALL)
    [refund_id] = refunds_on(taobao, a_trade(taobao, TMALL), user=TMALL, dispute_type="REFUND_AND_RETURN")
    refund = read(tmall, refund_id)
    tmall.call(RETURN_AGREE, {"refund_id": refund_id, "refund_version": refund["refund_version"],
                              "refund_phase": "onsale", "seller_address_id": "1001"})
    taobao.buyer_returns_goods(refund_id, "中通快递", "ZT7312345678")
    refuse = {"refund_id": refund_id, "refund_version": read(tmall, refund_id)["refund_version"],
              "refuse_reason_id": "4001"}
    with pytest.raises(TopRefused, match="refund_phase"):
        tmall.call("taobao.rp.returngoods.refuse", refuse)
    assert tmall.call("taobao.rp.returngoods.refuse", {**refuse, "refund_phase": "onsale"})["is_success"] is True
    assert read(tmall, refund_id)["status"] == "SELLER_REFUSE_BUYER"

    [other] = refunds_on(taobao, a_trade(taobao, first=BIG + 1000), dispute_type="REFUND_AND_RETURN")
    with pytest.raises(TopRefused, match="isv.tmall-only"):
        client(taobao, clock).call("taobao.rp.returngoods.refuse", {
            "refund_id": other, "refund_version": read(client(taobao, clock), other)["refund_version"],
            "refuse_reason_id": "4001"})


def test_above_the_threshold_an_sms_code_is_sent_and_the_same_call_with_it_refunds(taobao, clock):
    taobao.sms_threshold_fen = 100_000
    trade = a_trade(taobao, fees=("800.00", "700.00"))
    refund_ids = refunds_on(taobao, trade)
    top = client(taobao, clock)
    refund_infos = infos(taobao, SELLER, refund_ids, phase=False)

    sent = top.call(AGREE, {"refund_infos": refund_infos})
    assert sms_code_required(sent) and sent["succ"] is False
    assert all(r["status"] == "WAIT_SELLER_AGREE" for r in taobao.refunds(SELLER))
    code = taobao.sms_code(SELLER)
    assert code and len(code) == 6
    with pytest.raises(TopRefused) as wrong:
        top.call(AGREE, {"refund_infos": refund_infos, "code": "000000" if code != "000000" else "111111"})
    assert sms_code_required(wrong.value) and wrong.value.sub_code == SMS_CODE_INVALID_SUB_CODE

    done = top.call(AGREE, {"refund_infos": refund_infos, "code": code})
    assert not sms_code_required(done) and done["msg_code"] == "OP_SUCC"
    assert taobao.refunded(SELLER)["seller"] == Decimal("1500.00") and taobao.sms_code(SELLER) is None
    small = refunds_on(taobao, a_trade(taobao, fees=("999.99",), first=BIG + 1000))
    assert top.call(AGREE, {"refund_infos": infos(taobao, SELLER, small, phase=False)})["msg_code"] == "OP_SUCC"


def test_tmc_messages_come_again_until_confirmed_and_name_their_refund_exactly(taobao, clock):
    trade = a_trade(taobao)
    [refund_id] = refunds_on(taobao, trade)
    taobao.add_seller("2206500000001", "other", "6100-other", group="other-group")
    other = a_trade(taobao, "2206500000001", first=BIG + 1000)
    refunds_on(taobao, other, user="2206500000001")
    top = client(taobao, clock)

    [message] = consume(top)
    assert (message["topic"], message["user_id"], message["user_nick"]) == (
        "taobao_refund_RefundCreated", int(SELLER), NICKS[SELLER])
    assert message["id"] > 2**53 and message["pub_app_key"] == PUB_APP_KEY and message["pub_time"] == "2026-11-20 16:00:00"
    assert isinstance(message["content"], str)
    assert json.loads(message["content"]) == {
        "buyer_nick": "c**", "buyer_open_uid": "AAHLuAVrAABxoR0DtQv2KKHi", "refund_phase": "onsale",
        "refund_fee": "59.90", "modified": "2026-11-20 16:00:00", "bill_type": "refund_bill",
        "oid": trade["orders"][0]["oid"], "seller_nick": NICKS[SELLER], "refund_id": int(refund_id), "tid": trade["tid"]}

    assert [m["id"] for m in consume(top)] == [message["id"]]  # not confirmed: delivered again
    assert top.call("taobao.tmc.messages.confirm", {"group_name": "default", "s_message_ids": str(message["id"])},
                    with_session=False)["is_success"] is True
    assert consume(top) == [] and taobao.queued() == []
    assert [m["topic"] for m in consume(top, "other-group")] == ["taobao_refund_RefundCreated"]
    with pytest.raises(TopRefused):
        consume(top, quantity=201)


def test_a_later_delivery_waits_its_redelivery_delay_and_duplicates_are_new_ids_of_the_same_content(clock):
    service = TaobaoService(APP_KEY, APP_SECRET, clock=clock, redeliver_after_seconds=60, duplicate_rate=1.0).start()
    try:
        service.add_seller(SELLER, NICKS[SELLER], SESSIONS[SELLER])
        refunds_on(service, a_trade(service))
        top = client(service, clock)
        first, second = consume(top)
        assert first["id"] != second["id"] and first["content"] == second["content"]
        assert consume(top) == []
        clock.now += timedelta(seconds=60)
        assert [m["id"] for m in consume(top)] == [first["id"], second["id"]]
    finally:
        service.stop()


def test_the_platform_refunds_by_itself_fast_and_when_the_deadline_passes(taobao, clock):
    trade = a_trade(taobao, fees=("10.00", "20.00", "30.00"))
    fast, late, agreed = refunds_on(taobao, trade)
    top = client(taobao, clock)
    taobao.fast_refund(fast)
    top.call(AGREE, {"refund_infos": infos(taobao, SELLER, [agreed], phase=False)})
    assert taobao.timeout_agree_due() == []

    clock.now += timedelta(days=5)
    assert taobao.timeout_agree_due() == [late]
    assert [read(top, r)["status"] for r in (fast, late, agreed)] == ["SUCCESS"] * 3
    assert [refund_of(taobao, SELLER, r)["paid_by"] for r in (fast, late, agreed)] == ["platform", "platform", "seller"]
    assert taobao.refunded(SELLER) == {"seller": Decimal("30.00"), "platform": Decimal("30.00")}
    assert [m["topic"] for m in taobao.messages].count("taobao_refund_RefundSuccess") == 3


def test_a_return_the_seller_leaves_is_agreed_by_the_platform_and_the_buyer_not_returning_closes_it(taobao, clock):
    [refund_id] = refunds_on(taobao, a_trade(taobao), dispute_type="REFUND_AND_RETURN")
    clock.now += timedelta(days=5)
    assert taobao.timeout_agree_due() == [refund_id]
    assert refund_of(taobao, SELLER, refund_id)["status"] == "WAIT_BUYER_RETURN_GOODS"
    clock.now += timedelta(days=7)
    assert taobao.timeout_agree_due() == [refund_id]
    assert refund_of(taobao, SELLER, refund_id)["status"] == "CLOSED"
    assert taobao.refunded(SELLER) == {"seller": Decimal("0.00"), "platform": Decimal("0.00")}


def test_an_intervened_refund_cannot_be_refused_and_the_platform_rules_it(taobao, clock):
    [refund_id] = refunds_on(taobao, a_trade(taobao))
    taobao.intervene(refund_id)
    top = client(taobao, clock)
    with pytest.raises(TopRefused) as refused:
        top.call("taobao.refund.refuse", {"refund_id": refund_id, "refund_version": read(top, refund_id)["refund_version"],
                                          "refuse_message": "商品已发出"})
    assert refused.value.sub_code == "isv.refund-cs-intervened"
    taobao.platform_rules(refund_id, refund_buyer=True)
    assert [m["topic"] for m in taobao.messages][1:] == [
        "taobao_refund_TaobaoInterApplied", "taobao_refund_TaobaoIntervened", "taobao_refund_RefundSuccess"]
    assert taobao.refunded(SELLER)["platform"] == Decimal("59.90")


def test_a_parcel_in_transit_is_intercepted_once_and_not_before_it_ships(taobao, clock):
    shipped = a_trade(taobao)
    [in_transit] = refunds_on(taobao, shipped)
    waiting = a_trade(taobao, status="WAIT_SELLER_SEND_GOODS", first=BIG + 1000)
    [not_shipped] = refunds_on(taobao, waiting)
    top = client(taobao, clock)

    def intercept(refund_id):
        return top.call("taobao.rp.refund.intercept",
                        {"refund_id": refund_id, "refund_version": read(top, refund_id)["refund_version"]})

    assert set(intercept(in_transit)) == {"request_id"}
    assert refund_of(taobao, SELLER, in_transit)["intercepted_at"] == NOW
    with pytest.raises(TopRefused, match="isv.refund-intercepted"):
        intercept(in_transit)
    with pytest.raises(TopRefused, match="isv.refund-intercept-not-allowed"):
        intercept(not_shipped)
    taobao.ship(SELLER, waiting["tid"])
    assert set(intercept(not_shipped)) == {"request_id"}


def test_a_timed_out_agree_has_acted_and_the_client_says_its_outcome_is_unknown(taobao, clock):
    [refund_id] = refunds_on(taobao, a_trade(taobao))
    top = client(taobao, clock)
    taobao.time_out_next(AGREE)

    with pytest.raises(TopUnavailable) as timed_out:
        top.call(AGREE, {"refund_infos": infos(taobao, SELLER, [refund_id], phase=False)})
    assert timed_out.value.unknown_outcome is True and isinstance(timed_out.value, MarketplaceUnavailable)
    assert "may have acted" in str(timed_out.value)
    assert read(top, refund_id)["status"] == "SUCCESS"
    assert taobao.calls["timed_out"] == 1

    taobao.time_out_next(REFUND_GET)
    with pytest.raises(TopUnavailable) as read_timed_out:
        read(top, refund_id)
    assert read_timed_out.value.unknown_outcome is False


def test_flow_control_and_platform_failures_do_nothing_and_are_unavailable(taobao, clock):
    [refund_id] = refunds_on(taobao, a_trade(taobao), dispute_type="REFUND_AND_RETURN")
    top = client(taobao, clock)
    version = read(top, refund_id)["refund_version"]
    agree_return = {"refund_id": refund_id, "refund_version": version, "seller_address_id": "1001"}

    taobao.flow_control_next(RETURN_AGREE)
    with pytest.raises(TopUnavailable) as limited:
        top.call(RETURN_AGREE, agree_return)
    assert (limited.value.code, limited.value.unknown_outcome) == (7, False) and "try again later" in str(limited.value)
    taobao.fail_next()
    with pytest.raises(TopUnavailable) as isp:
        top.call(RETURN_AGREE, agree_return)
    assert (isp.value.sub_code, isp.value.unknown_outcome) == ("isp.top-remote-service-unavailable", True)
    taobao.fail_next(status=502)
    with pytest.raises(TopUnavailable, match="HTTP 502"):
        top.call(RETURN_AGREE, agree_return)
    taobao.refuse_next("isv.refund-not-allowed", "该退款不允许此操作", method=RETURN_AGREE)
    with pytest.raises(TopRefused, match="isv.refund-not-allowed 该退款不允许此操作"):
        top.call(RETURN_AGREE, agree_return)

    assert read(top, refund_id)["status"] == "WAIT_SELLER_AGREE"
    assert (taobao.calls["flow_controlled"], taobao.calls["failed"], taobao.calls["refused"]) == (1, 2, 1)
    assert top.call(RETURN_AGREE, agree_return)["is_success"] is True


def test_refunds_are_read_by_modified_time_page_by_page(taobao, clock):
    trade = a_trade(taobao, fees=("1.00", "2.00", "3.00"))
    opened = []
    for order in trade["orders"]:
        opened.append(taobao.open_refund(SELLER, trade["tid"], order["oid"], "REFUND", order["payment"]))
        clock.now += timedelta(minutes=1)
    top = client(taobao, clock)
    window = {"start_modified": "2026-11-20 16:00:00", "end_modified": "2026-11-20 16:10:00", "page_size": 2,
              "use_has_next": True, "fields": "refund_id,status,modified"}

    first = top.call("taobao.refunds.receive.get", {**window, "page_no": 1})
    second = top.call("taobao.refunds.receive.get", {**window, "page_no": 2})
    assert [r["refund_id"] for r in first["refunds"]["refund"]] == [int(r) for r in opened[:2]] and first["has_next"]
    assert [r["refund_id"] for r in second["refunds"]["refund"]] == [int(opened[2])] and not second["has_next"]
    assert set(second["refunds"]["refund"][0]) == {"refund_id", "status", "modified"}
    later = top.call("taobao.refunds.receive.get", {**window, "start_modified": "2026-11-20 16:05:00"})
    assert "refunds" not in later and later["has_next"] is False
    with pytest.raises(TopRefused):
        top.call("taobao.refunds.receive.get", {**window, "page_size": 101})
    with pytest.raises(TopRefused):
        top.call("taobao.refunds.receive.get", {**window, "start_modified": "2026-11-20T16:00:00"})


def test_a_captured_message_refund_and_trade_replay_as_they_were_with_exact_ids(taobao, clock):
    captured = ('{"user_id":1736568971,"user_nick":"dongqiujing","content":"{\\"buyer_nick\\":\\"c**\\",'
                '\\"refund_fee\\":\\"1.00\\",\\"oid\\":2918463734761365258,\\"refund_id\\":181784773340365853,'
                '\\"tid\\":2918463734761365258}","id":1172200053212681005,"pub_time":"2022-09-29 14:17:15",'
                '"pub_app_key":"12497914","topic":"taobao_refund_RefundCreated"}')
    assert taobao.feed_message(captured) == "1172200053212681005"
    taobao.feed_refund('{"refund_id":181784773340365853,"tid":2918463734761365258,"status":"WAIT_SELLER_AGREE",'
                       '"refund_fee":"1.00","refund_version":1664432235000}')
    taobao.feed_trade({"tid": 2918463734761365258, "status": "WAIT_BUYER_CONFIRM_GOODS",
                       "orders": {"order": [{"oid": 2918463734761365258, "payment": "1.00"}]}})
    top = client(taobao, clock)

    [message] = consume(top)
    assert message == json.loads(captured) and message["id"] == 1172200053212681005
    content = json.loads(message["content"])
    assert (content["refund_id"], content["tid"]) == (181784773340365853, 2918463734761365258)
    refund = read(top, content["refund_id"])
    assert refund == {"refund_id": 181784773340365853, "tid": 2918463734761365258, "status": "WAIT_SELLER_AGREE",
                      "refund_fee": "1.00", "refund_version": 1664432235000}
    trade = top.call("taobao.trade.fullinfo.get", {"tid": content["tid"], "fields": "tid,orders"})["trade"]
    assert trade["orders"]["order"][0]["oid"] == 2918463734761365258
    top.call("taobao.tmc.messages.confirm", {"s_message_ids": message["id"]}, with_session=False)
    assert taobao.queued() == []
