"""The Taobao connector against the simulated TOP gateway on loopback: the TMC relay (queue, then confirm), and the
seller's actions through TOP with their guards (refund_version, Tmall's review, the agree limits and per-refund
results, the SMS code, a platform refund racing ours)."""

import json
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from chalicelib.adapters.memory import MemoryDirectory, memory_ports
from chalicelib.connectors.registry import Marketplaces
from chalicelib.connectors.taobao.actions import Agreement, TaobaoActions, agree_refunds
from chalicelib.domain.connections import TaobaoConnection
from chalicelib.domain.events import edge_context
from chalicelib.domain.returns import Return
from chalicelib.ports.errors import PaymentDeclined
from chalicelib.services.ingest_notification import ingest_notification
from chalicelib.services.relay_taobao_messages import backfill_taobao_refunds, relay_taobao_messages
from localcloud.taobao_service import STALE_VERSION_MESSAGE, STALE_VERSION_SUB_CODE, TaobaoService

APP_KEY, APP_SECRET = "12345678", "top-app-secret-0001"
TMALL, TAOBAO = "2206598765432", "2206512345678"
SHOPS = {TMALL: "tmall-acme", TAOBAO: "taobao-acme"}
SESSIONS = {TMALL: "6100d4e5f6-acme-tmall", TAOBAO: "6100a1b2c3-acme"}
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)
BIG = 2**53 + 1


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def taobao(clock):
    service = TaobaoService(APP_KEY, APP_SECRET, clock=clock, late_answer_seconds=0.6, redeliver_after_seconds=0,
                            sms_threshold_fen=500_000).start()
    service.add_seller(TMALL, "acme旗舰店", SESSIONS[TMALL], store="tmall")
    service.add_seller(TAOBAO, "acme小店", SESSIONS[TAOBAO], store="taobao")
    yield service
    service.stop()


def connection(service, user, mode="live") -> TaobaoConnection:
    return TaobaoConnection(
        platform="taobao", store="tmall" if user == TMALL else "taobao", seller_id=user, seller_nick=SHOPS[user],
        mode=mode, app_key=APP_KEY, app_secret_parameter="/aftersales/taobao/app-secret",
        session_parameter=f"/aftersales/taobao/{user}/session", gateway_url=service.gateway_url, seller_address_id="1001",
    )


def ports_for(service, clock, mode="live"):
    secrets = {"/aftersales/taobao/app-secret": APP_SECRET.encode(),
               **{f"/aftersales/taobao/{user}/session": session.encode() for user, session in SESSIONS.items()}}
    connections = MemoryDirectory({SHOPS[user]: connection(service, user, mode) for user in SHOPS})
    ports = memory_ports(connections=connections)
    ports.__dict__["marketplaces"] = Marketplaces(
        connections, lambda parameter: (lambda: secrets.get(parameter)), lambda: ports.audit, lambda: ports.shops,
        timeout_seconds=0.3, now=clock,
    )
    return ports


def a_trade(service, user=TMALL, fees=("59.90",), status="WAIT_BUYER_CONFIRM_GOODS", first=BIG) -> dict:
    orders = [{"oid": first + 2 * (i + 1), "num": 1, "price": fee, "payment": fee, "outer_sku_id": f"SKU-{i}"}
              for i, fee in enumerate(fees)]
    trade = {"tid": first, "status": status, "payment": "0.00", "post_fee": "0.00", "discount_fee": "0.00",
             "created": "2026-11-18 10:00:00", "pay_time": "2026-11-18 10:01:00", "consign_time": "2026-11-19 09:00:00",
             "modified": "2026-11-19 09:00:00", "buyer_open_uid": "AAHLuAVrAABxoR0DtQv2KKHi", "orders": orders}
    service.add_trade(user, trade)
    return trade


def a_return(user, refund_id, resolution="refund") -> Return:
    return Return(return_id=f"{SHOPS[user]}/{refund_id}", order_id=f"{SHOPS[user]}/{BIG}", kind="return",
                  resolution=resolution)


def issued(fen: int):
    return SimpleNamespace(refund_id="RF-x", total_minor=fen, total=f"{fen // 100}.{fen % 100:02d}")


def refund_of(service, user, refund_id) -> dict:
    return next(r for r in service.refunds(user) if r["refund_id"] == int(refund_id))


def test_the_relay_queues_each_message_of_a_seller_we_serve_and_then_confirms_it(taobao, clock):
    ports = ports_for(taobao, clock)
    trade = a_trade(taobao)
    refund_id = taobao.open_refund(TMALL, trade["tid"], trade["orders"][0]["oid"], "REFUND_AND_RETURN", "59.90")

    done = relay_taobao_messages(ports, NOW)

    assert (done["queued"], done["confirmed"], done["failed_groups"]) == (1, 1, 0)
    body, attributes = ports.queue.messages[0]
    notice = json.loads(body)
    assert notice["source"] == "tmall-acme" and notice["data"]["resource"] == f"taobao/refund/{refund_id}"
    assert attributes["type"] == "MarketplaceNotified"
    assert taobao.queued() == []


def test_a_crash_between_queueing_and_confirming_delivers_again_and_is_applied_once(taobao, clock):
    ports = ports_for(taobao, clock)
    trade = a_trade(taobao)
    taobao.open_refund(TMALL, trade["tid"], trade["orders"][0]["oid"], "REFUND_AND_RETURN", "59.90")
    taobao.fail_next(method="taobao.tmc.messages.confirm")

    first = relay_taobao_messages(ports, NOW)
    second = relay_taobao_messages(ports, NOW)

    assert (first["queued"], first["confirmed"], first["failed_groups"]) == (1, 0, 1)
    assert (second["queued"], second["confirmed"]) == (1, 1)
    ids = [json.loads(body)["event_id"] for body, _ in ports.queue.messages]
    assert ids[0] == ids[1]
    from chalicelib.domain.events import queued_messages

    outcomes = [ingest_notification(queued_messages.validate_json(body), ports, NOW) for body, _ in ports.queue.messages]
    assert outcomes[1] == "duplicate" and "ReturnRequested" in outcomes[0]
    assert ports.returns.get(f"tmall-acme/{json.loads(ports.queue.messages[0][0])['data']['resource'].split('/')[2]}")


def test_a_queue_that_refuses_leaves_the_messages_unconfirmed(taobao, clock):
    ports = ports_for(taobao, clock)
    ports.queue.available = False
    trade = a_trade(taobao)
    taobao.open_refund(TMALL, trade["tid"], trade["orders"][0]["oid"], "REFUND_AND_RETURN", "59.90")

    done = relay_taobao_messages(ports, NOW)

    assert (done["queued"], done["confirmed"], done["failed_groups"]) == (0, 0, 1)
    assert len(taobao.queued()) == 1


def test_the_backfill_finds_refunds_modified_since_its_cursor_and_moves_it(taobao, clock):
    ports = ports_for(taobao, clock)
    trade = a_trade(taobao)
    refund_id = taobao.open_refund(TMALL, trade["tid"], trade["orders"][0]["oid"], "REFUND_AND_RETURN", "59.90")

    done = backfill_taobao_refunds(ports, NOW + timedelta(minutes=1))

    assert done["failed_shops"] == 0 and done["queued"] == 1
    assert json.loads(ports.queue.messages[0][0])["data"]["resource"] == f"taobao/refund/{refund_id}"
    assert ports.shops.cursor("tmall-acme", "taobao.refunds") == "2026-11-20T08:01:00Z"
    assert backfill_taobao_refunds(ports, NOW + timedelta(minutes=2))["shops"] == 0  # not due yet


def test_approving_a_return_agrees_it_with_the_shops_return_address_once(taobao, clock):
    ports = ports_for(taobao, clock)
    trade = a_trade(taobao)
    refund_id = taobao.open_refund(TMALL, trade["tid"], trade["orders"][0]["oid"], "REFUND_AND_RETURN", "59.90")
    actions = ports.marketplaces.actions("tmall-acme")

    assert "agreed" in actions.approve(a_return(TMALL, refund_id))
    assert actions.approve(a_return(TMALL, refund_id)) == "already agreed in Taobao"
    refund = refund_of(taobao, TMALL, refund_id)
    assert (refund["status"], refund["seller_address_id"]) == ("WAIT_BUYER_RETURN_GOODS", "1001")
    assert taobao.calls["taobao.rp.returngoods.agree"] == 1


def test_a_stale_version_is_read_again_and_sent_again(taobao, clock):
    ports = ports_for(taobao, clock)
    trade = a_trade(taobao)
    refund_id = taobao.open_refund(TMALL, trade["tid"], trade["orders"][0]["oid"], "REFUND_AND_RETURN", "59.90")
    taobao.refuse_next(STALE_VERSION_SUB_CODE, STALE_VERSION_MESSAGE, method="taobao.rp.returngoods.agree")

    ports.marketplaces.actions("tmall-acme").approve(a_return(TMALL, refund_id))

    assert refund_of(taobao, TMALL, refund_id)["status"] == "WAIT_BUYER_RETURN_GOODS"
    assert taobao.calls["taobao.refund.get"] == 2


def test_declining_refuses_with_the_mapped_reason_and_our_explanation(taobao, clock):
    ports = ports_for(taobao, clock)
    trade = a_trade(taobao, user=TAOBAO)
    refund_id = taobao.open_refund(TAOBAO, trade["tid"], trade["orders"][0]["oid"], "REFUND_AND_RETURN", "59.90")

    ports.marketplaces.actions("taobao-acme").decline(a_return(TAOBAO, refund_id), "WINDOW_EXPIRED")

    refund = refund_of(taobao, TAOBAO, refund_id)
    assert (refund["status"], refund["refuse_reason_id"]) == ("SELLER_REFUSE_BUYER", "1001")
    assert refund["refuse_message"]


def test_a_tmall_refund_is_reviewed_then_agreed_at_the_amount_asked(taobao, clock):
    ports = ports_for(taobao, clock)
    trade = a_trade(taobao, status="WAIT_SELLER_SEND_GOODS")
    refund_id = taobao.open_refund(TMALL, trade["tid"], trade["orders"][0]["oid"], "REFUND", "59.90")

    paid = ports.marketplaces.actions("tmall-acme").refund(a_return(TMALL, refund_id), issued(5990))

    assert paid["marketplace_refund_id"] == refund_id
    refund = refund_of(taobao, TMALL, refund_id)
    assert (refund["status"], refund["paid_by"]) == ("SUCCESS", "seller")
    assert taobao.calls["taobao.rp.refund.review"] == 1


def test_a_refund_whose_answer_was_lost_is_found_paid_not_paid_again(taobao, clock):
    ports = ports_for(taobao, clock)
    trade = a_trade(taobao, user=TAOBAO, status="WAIT_SELLER_SEND_GOODS")
    refund_id = taobao.open_refund(TAOBAO, trade["tid"], trade["orders"][0]["oid"], "REFUND", "59.90")
    actions = ports.marketplaces.actions("taobao-acme")
    taobao.time_out_next(method="taobao.rp.refunds.agree")

    from chalicelib.ports.errors import PaymentNotConfirmed

    with pytest.raises(PaymentNotConfirmed):
        actions.refund(a_return(TAOBAO, refund_id), issued(5990))
    again = actions.refund(a_return(TAOBAO, refund_id), issued(5990))

    assert again["marketplace_refund_id"] == refund_id
    assert taobao.calls["taobao.rp.refunds.agree"] == 1
    assert str(taobao.refunded(TAOBAO)["seller"]) == "59.90"


def test_a_platform_fast_refund_racing_ours_is_one_payment(taobao, clock):
    ports = ports_for(taobao, clock)
    trade = a_trade(taobao, user=TAOBAO, status="WAIT_SELLER_SEND_GOODS")
    refund_id = taobao.open_refund(TAOBAO, trade["tid"], trade["orders"][0]["oid"], "REFUND", "59.90")
    taobao.fast_refund(refund_id)

    paid = ports.marketplaces.actions("taobao-acme").refund(a_return(TAOBAO, refund_id), issued(5990))

    assert paid["marketplace_refund_id"] == refund_id
    assert taobao.calls["taobao.rp.refunds.agree"] == 0
    assert str(taobao.refunded(TAOBAO)["platform"]) == "59.90"


def test_a_refund_the_buyer_asks_less_for_than_our_quote_waits_for_a_person(taobao, clock):
    ports = ports_for(taobao, clock)
    trade = a_trade(taobao, user=TAOBAO, status="WAIT_SELLER_SEND_GOODS")
    refund_id = taobao.open_refund(TAOBAO, trade["tid"], trade["orders"][0]["oid"], "REFUND", "50.00")

    with pytest.raises(PaymentDeclined) as declined:
        ports.marketplaces.actions("taobao-acme").refund(a_return(TAOBAO, refund_id), issued(5990))

    assert declined.value.code == "amount_differs"
    assert taobao.calls["taobao.rp.refunds.agree"] == 0


def test_a_large_refund_waits_for_the_sms_code_and_completes_with_it(taobao, clock):
    ports = ports_for(taobao, clock)
    trade = a_trade(taobao, user=TAOBAO, status="WAIT_SELLER_SEND_GOODS", fees=("5800.00",))
    refund_id = taobao.open_refund(TAOBAO, trade["tid"], trade["orders"][0]["oid"], "REFUND", "5800.00")
    actions = ports.marketplaces.actions("taobao-acme")

    with pytest.raises(PaymentDeclined) as declined:
        actions.refund(a_return(TAOBAO, refund_id), issued(580000))
    assert declined.value.code == "sms_code_required"
    assert refund_of(taobao, TAOBAO, refund_id)["status"] == "WAIT_SELLER_AGREE"

    with pytest.raises(PaymentDeclined) as refused:
        actions.verification_code_refund(a_return(TAOBAO, refund_id), issued(580000), "000000")
    assert refused.value.code == "sms_code_refused"
    paid = actions.verification_code_refund(a_return(TAOBAO, refund_id), issued(580000), taobao.sms_code(TAOBAO))

    assert paid["marketplace_refund_id"] == refund_id
    assert refund_of(taobao, TAOBAO, refund_id)["status"] == "SUCCESS"


def test_agreeing_many_keeps_within_the_limits_and_reads_each_refunds_result(taobao, clock):
    ports = ports_for(taobao, clock)
    trade = a_trade(taobao, user=TAOBAO, status="WAIT_SELLER_SEND_GOODS", fees=("10.00",) * 23)
    refund_ids = [taobao.open_refund(TAOBAO, trade["tid"], line["oid"], "REFUND", "10.00") for line in trade["orders"]]
    refunds = {str(r["refund_id"]): r for r in taobao.refunds(TAOBAO)}
    stale = refund_ids[3]
    agreements = [Agreement(refund_id, 1000, str(refunds[refund_id]["refund_version"] - (refund_id == stale)),
                            refunds[refund_id]["refund_phase"]) for refund_id in refund_ids]

    results = agree_refunds(ports.marketplaces.client(ports.connections.get("taobao-acme")), "taobao", agreements)

    assert taobao.calls["taobao.rp.refunds.agree"] == 2  # 20, then 3
    assert [refund_id for refund_id, result in results.items() if not result["succ"]] == [stale]
    assert sum(r["status"] == "SUCCESS" for r in taobao.refunds(TAOBAO)) == 22


def test_a_refund_above_the_per_call_amount_is_not_sent():
    results = agree_refunds(None, "taobao", [Agreement("1", 600_001, "1", "onsale")])

    assert results["1"]["succ"] is False and "6000.00 CNY" in results["1"]["message"]


def test_in_dry_run_every_write_is_recorded_and_none_sent(taobao, clock):
    ports = ports_for(taobao, clock, mode="dry_run")
    trade = a_trade(taobao)
    refund_id = taobao.open_refund(TMALL, trade["tid"], trade["orders"][0]["oid"], "REFUND_AND_RETURN", "59.90")
    actions = ports.marketplaces.actions("tmall-acme")

    assert actions.approve(a_return(TMALL, refund_id)).startswith("dry run")
    assert actions.refund(a_return(TMALL, refund_id), issued(5990)) == {"dry_run": True}

    assert [entry["method"] for entry in ports.audit.entries] == ["taobao.rp.returngoods.agree", "taobao.rp.refunds.agree"]
    assert taobao.calls["taobao.rp.returngoods.agree"] == taobao.calls["taobao.rp.refunds.agree"] == 0


def test_taobao_holds_nothing_itself_so_the_warehouse_is_asked(taobao, clock):
    assert isinstance(ports_for(taobao, clock).marketplaces.actions("tmall-acme"), TaobaoActions)
    assert ports_for(taobao, clock).marketplaces.actions("tmall-acme").hold(a_return(TMALL, "1")) is None


def test_a_refund_before_shipment_we_reject_is_refused_in_taobao_not_left_to_its_timeout(taobao, clock):
    ports = ports_for(taobao, clock)
    trade = a_trade(taobao, user=TAOBAO, status="WAIT_SELLER_SEND_GOODS")
    refund_id = taobao.open_refund(TAOBAO, trade["tid"], trade["orders"][0]["oid"], "REFUND", "59.90")
    cancel = Return(return_id=f"taobao-acme/{refund_id}", order_id=f"taobao-acme/{BIG}", kind="cancel")
    actions = ports.marketplaces.actions("taobao-acme")

    assert "answered by its refund" in actions.approve(cancel) or "nothing to approve" in actions.approve(cancel)
    actions.decline(cancel, "RETURN_ABUSE_SIGNAL")

    refund = refund_of(taobao, TAOBAO, refund_id)
    assert (refund["status"], refund["refuse_reason_id"]) == ("SELLER_REFUSE_BUYER", "1099")
    assert taobao.calls["taobao.rp.returngoods.agree"] == 0


def test_a_backfill_with_more_pages_than_a_run_reads_goes_on_from_the_last_refund_it_queued(taobao, clock, monkeypatch):
    from chalicelib.services import relay_taobao_messages as relay

    ports = ports_for(taobao, clock)
    first, second = a_trade(taobao, first=BIG), a_trade(taobao, first=BIG + 1000)
    taobao.open_refund(TMALL, first["tid"], first["orders"][0]["oid"], "REFUND_AND_RETURN", "59.90")
    clock.now = NOW + timedelta(minutes=3)
    taobao.open_refund(TMALL, second["tid"], second["orders"][0]["oid"], "REFUND_AND_RETURN", "59.90")
    monkeypatch.setattr(relay, "PAGE_SIZE", 1)
    monkeypatch.setattr(relay, "MAX_PAGES", 1)

    done = relay.backfill_taobao_refunds(ports, NOW + timedelta(minutes=5))

    assert (done["queued"], done["failed_shops"]) == (1, 0)
    assert ports.shops.cursor("tmall-acme", "taobao.refunds") < "2026-11-20T08:05:00Z"  # not past what it did not read


def test_a_backfilled_row_that_names_no_refund_is_skipped_not_a_stall():
    from chalicelib.services.relay_taobao_messages import _backfilled

    context = {"now": NOW, "past": timedelta(days=90), "future": timedelta(hours=24)}
    assert _backfilled({"refund_id": "x y", "modified": "2026-11-20 16:00:00"}, "tmall-acme", NOW, context) is None
    assert _backfilled({"refund_id": 1, "modified": "20/11/2026"}, "tmall-acme", NOW, context) is None
    assert _backfilled({"refund_id": 1, "modified": "2026-11-20 16:00:00"}, "tmall-acme", NOW, context) is not None


def returned_goods(taobao, ports, user) -> str:
    trade = a_trade(taobao, user=user)
    refund_id = taobao.open_refund(user, trade["tid"], trade["orders"][0]["oid"], "REFUND_AND_RETURN", "59.90")
    ports.marketplaces.actions(SHOPS[user]).approve(a_return(user, refund_id))
    taobao.buyer_returns_goods(refund_id, "顺丰速运", "SF1234567890123")
    return refund_id


def test_returned_goods_that_fail_our_inspection_are_refused_in_tmall_not_left_to_its_timeout(taobao, clock):
    ports = ports_for(taobao, clock)
    refund_id = returned_goods(taobao, ports, TMALL)

    ports.marketplaces.actions("tmall-acme").decline(a_return(TMALL, refund_id), "REJECTED_AT_INSPECTION")

    assert refund_of(taobao, TMALL, refund_id)["status"] in ("SELLER_REFUSE_BUYER", "CLOSED")
    assert taobao.calls["taobao.rp.returngoods.refuse"] == 1


def test_a_taobao_store_refuses_returned_goods_in_its_back_office_so_a_person_is_told(taobao, clock):
    from chalicelib.ports.errors import MarketplaceRefused

    ports = ports_for(taobao, clock)
    refund_id = returned_goods(taobao, ports, TAOBAO)

    with pytest.raises(MarketplaceRefused, match="back office"):
        ports.marketplaces.actions("taobao-acme").decline(a_return(TAOBAO, refund_id), "REJECTED_AT_INSPECTION")
    assert refund_of(taobao, TAOBAO, refund_id)["status"] == "WAIT_SELLER_CONFIRM_GOODS"


def an_exchange(taobao, fees=("59.90",)) -> tuple[dict, str]:
    trade = a_trade(taobao, fees=fees, status="TRADE_FINISHED")
    refund_id = taobao.open_refund(TMALL, trade["tid"], trade["orders"][0]["oid"], "TMALL_EXCHANGE", fees[0],
                                   reason="尺码不合适", exchange_sku="5230918800123")
    return trade, refund_id


def exchange_of(taobao, refund_id) -> dict:
    return refund_of(taobao, TMALL, refund_id)["exchange"]


def test_a_tmall_exchange_is_hydrated_as_an_exchange_for_the_sku_tmall_names_at_what_the_buyer_paid(taobao, clock):
    from chalicelib.connectors.marketplace import ParcelLinked, ReturnStatusSeen
    from chalicelib.domain.events import ReturnRequested

    ports = ports_for(taobao, clock)
    trade = a_trade(taobao, fees=("59.90", "20.00"), status="TRADE_FINISHED")
    trade_line = trade["orders"][0]
    refund_id = taobao.open_refund(TMALL, trade["tid"], trade_line["oid"], "TMALL_EXCHANGE", "59.90",
                                   reason="尺码不合适", exchange_sku="5230918800123")
    actions = ports.marketplaces.actions("tmall-acme")
    actions.approve(a_return(TMALL, refund_id, "exchange"))
    taobao.buyer_returns_goods(refund_id, "顺丰速运", "SF1234567890123")
    notice = {"platform": "taobao", "topic": "taobao_refund_RefundBuyerReturnGoods", "resource": f"taobao/refund/{refund_id}"}
    from chalicelib.domain.events import MarketplaceNotified

    effects = ports.marketplaces.hydrate(MarketplaceNotified(
        event_id="tmc-1", source="tmall-acme", occurred_at=NOW, received_at=NOW, data=notice), edge_context(NOW, 90, 24))

    [request] = [e for e in effects if isinstance(e, ReturnRequested)]
    assert request.data.resolution == "exchange" and request.data.reason == "wrong_size"
    assert request.data.replacement.model_dump() == {"sku": "5230918800123", "unit_price": "59.90", "quantity": 1, "like_for_like": True}
    assert request.data.shipment.model_dump() == {"carrier": "sf-express", "tracking_number": "SF1234567890123"}
    [seen] = [e for e in effects if isinstance(e, ReturnStatusSeen)]
    assert seen.status == "wait_seller_confirm_goods" and seen.deadline
    assert [e for e in effects if isinstance(e, ParcelLinked)] == [ParcelLinked(refund_id, "sf-express", "SF1234567890123")]


def test_an_exchange_is_agreed_with_tmalls_exchange_methods_once_and_never_as_a_refund(taobao, clock):
    ports = ports_for(taobao, clock)
    _, refund_id = an_exchange(taobao)
    actions = ports.marketplaces.actions("tmall-acme")

    assert "agreed in Tmall" in actions.approve(a_return(TMALL, refund_id, "exchange"))
    assert actions.approve(a_return(TMALL, refund_id, "exchange")) == "already agreed in Tmall"
    assert (exchange_of(taobao, refund_id)["status"], exchange_of(taobao, refund_id)["address_id"]) == (2, "1001")
    assert taobao.calls["tmall.exchange.agree"] == 1 and taobao.calls["taobao.rp.returngoods.agree"] == 0


def test_an_exchange_we_reject_is_refused_before_and_after_its_goods_came_back(taobao, clock):
    ports = ports_for(taobao, clock)
    actions = ports.marketplaces.actions("tmall-acme")
    _, asked = an_exchange(taobao)
    actions.decline(a_return(TMALL, asked, "exchange"), "WINDOW_EXPIRED")
    trade = a_trade(taobao, status="TRADE_FINISHED", first=BIG + 100)
    returned = taobao.open_refund(TMALL, trade["tid"], trade["orders"][0]["oid"], "TMALL_EXCHANGE", "59.90",
                                  exchange_sku="5230918800123")
    actions.approve(a_return(TMALL, returned, "exchange"))
    taobao.buyer_returns_goods(returned, "顺丰速运", "SF1234567890124")

    actions.decline(a_return(TMALL, returned, "exchange"), "REJECTED_AT_INSPECTION")

    assert refund_of(taobao, TMALL, asked)["refuse_reason_id"] == "1001"
    assert exchange_of(taobao, asked)["status"] == exchange_of(taobao, returned)["status"] == 6
    assert taobao.calls["tmall.exchange.refuse"] == taobao.calls["tmall.exchange.returngoods.refuse"] == 1
    assert actions.decline(a_return(TMALL, asked, "exchange"), "WINDOW_EXPIRED") == "already 待买家修改 in Tmall"


def test_passed_goods_are_confirmed_received_and_the_replacement_waybill_is_told_once(taobao, clock):
    from chalicelib.ports.errors import MarketplaceRefused

    ports = ports_for(taobao, clock)
    actions = ports.marketplaces.actions("tmall-acme")
    _, refund_id = an_exchange(taobao)
    record = a_return(TMALL, refund_id, "exchange")
    actions.approve(record)
    with pytest.raises(MarketplaceRefused, match="cannot be confirmed received"):
        actions.exchange(record)  # the goods have not come back
    taobao.buyer_returns_goods(refund_id, "顺丰速运", "SF1234567890123")

    assert actions.exchange(record) is None  # our warehouse ships the replacement
    assert actions.exchange(record) is None
    parcel = {"carrier": "sf-express", "tracking_number": "SF5550001112223"}
    assert actions.replacement_shipped(record, parcel) == "replacement's waybill sent to Tmall"
    assert actions.replacement_shipped(record, parcel) == "already sent in Tmall"

    exchange = exchange_of(taobao, refund_id)
    assert (exchange["status"], exchange["seller_logistic_no"], exchange["seller_logistic_name"]) == (
        13, "SF5550001112223", "顺丰速运")
    assert taobao.calls["tmall.exchange.returngoods.agree"] == taobao.calls["tmall.exchange.consigngoods"] == 1


def test_a_replacement_sent_with_a_carrier_tmall_cannot_be_told_by_name_goes_to_people(taobao, clock):
    from chalicelib.ports.errors import MarketplaceRefused

    ports = ports_for(taobao, clock)
    actions = ports.marketplaces.actions("tmall-acme")
    _, refund_id = an_exchange(taobao)
    record = a_return(TMALL, refund_id, "exchange")
    actions.approve(record)
    taobao.buyer_returns_goods(refund_id, "顺丰速运", "SF1234567890123")
    actions.exchange(record)

    with pytest.raises(MarketplaceRefused, match="back office"):
        actions.replacement_shipped(record, {"carrier": "acme-courier", "tracking_number": "AC1"})
    assert exchange_of(taobao, refund_id)["status"] == 12


def test_an_exchange_is_never_agreed_as_a_refund_nor_recorded_as_money_when_it_succeeds(taobao, clock):
    from chalicelib.connectors.marketplace import MarketplaceRefunded
    from chalicelib.domain.events import MarketplaceNotified

    ports = ports_for(taobao, clock)
    _, refund_id = an_exchange(taobao)
    assert agree_refunds(ports.marketplaces.client(connection(taobao, TMALL)), "tmall",
                         [Agreement(refund_id, 5990, str(refund_of(taobao, TMALL, refund_id)["refund_version"]),
                                    "aftersale")])[refund_id]["succ"] is False
    actions = ports.marketplaces.actions("tmall-acme")
    record = a_return(TMALL, refund_id, "exchange")
    actions.approve(record)
    taobao.buyer_returns_goods(refund_id, "顺丰速运", "SF1234567890123")
    actions.exchange(record)
    actions.replacement_shipped(record, {"carrier": "sf-express", "tracking_number": "SF5550001112223"})
    taobao.buyer_receives_replacement(refund_id)

    effects = ports.marketplaces.hydrate(MarketplaceNotified(
        event_id="tmc-2", source="tmall-acme", occurred_at=NOW, received_at=NOW,
        data={"platform": "taobao", "topic": "taobao_refund_RefundSuccess", "resource": f"taobao/refund/{refund_id}"}),
        edge_context(NOW, 90, 24))

    assert not [e for e in effects if isinstance(e, MarketplaceRefunded)]
    assert taobao.refunded(TMALL) == {"seller": 0, "platform": 0}


def test_in_dry_run_an_exchange_agree_is_recorded_not_sent(taobao, clock):
    ports = ports_for(taobao, clock, mode="dry_run")
    _, refund_id = an_exchange(taobao)

    assert "recorded, not sent" in ports.marketplaces.actions("tmall-acme").approve(a_return(TMALL, refund_id, "exchange"))
    assert exchange_of(taobao, refund_id)["status"] == 1
    [entry] = [e for e in ports.audit.entries if e.get("method") == "tmall.exchange.agree"]
    assert entry["params"]["dispute_id"] == refund_id


def test_in_dry_run_the_receipt_and_the_waybill_are_recorded_whatever_tmall_still_says(taobao, clock):
    ports = ports_for(taobao, clock, mode="dry_run")
    _, refund_id = an_exchange(taobao)
    record = a_return(TMALL, refund_id, "exchange")
    actions = ports.marketplaces.actions("tmall-acme")

    assert actions.exchange(record) is None
    assert "recorded, not sent" in actions.replacement_shipped(record, {"carrier": "sf-express", "tracking_number": "SF1"})

    assert exchange_of(taobao, refund_id)["status"] == 1
    assert [e["method"] for e in ports.audit.entries if e.get("method", "").startswith("tmall.")] == [
        "tmall.exchange.returngoods.agree", "tmall.exchange.consigngoods"]
