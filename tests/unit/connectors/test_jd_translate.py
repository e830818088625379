"""JD's records into canonical events: ids as text (above 2**53), yuan to exact fen (never through a float), China
time to UTC, reasons by the documented table. The fixtures (tests/fixtures/jd/) are written from the fields JD's
SDKs declare; each expected value is worked out by hand next to its rule."""

import copy
import json
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from chalicelib.connectors.jd import translate
from chalicelib.connectors.jd.translate import RefundFailed
from chalicelib.connectors.marketplace import MarketplaceRefunded, ReturnStatusSeen
from chalicelib.domain.events import edge_context
from chalicelib.ports.errors import HydrationFailed

FIXTURES = Path(__file__).parents[2] / "fixtures" / "jd"
SHOP = "jd-acme"
NOW = datetime(2026, 11, 22, 8, 0, tzinfo=timezone.utc)
CONTEXT = edge_context(NOW, 3650, 24)
ORDER_ID, SHOE, SOCKS = "9007199254740993", "9007199254741001", "9007199254741003"


def fixture(name: str) -> dict:
    """As the client reads JD's JSON: numbers with a fraction as Decimal, ids as exact ints."""
    return copy.deepcopy(json.loads((FIXTURES / f"{name}.json").read_text(), parse_float=Decimal))


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


# --- the order ---------------------------------------------------------------------------------------------------

def test_the_order_has_its_ids_as_text_and_its_yuan_as_exact_fen():
    event = translate.order_event(fixture("order_info"), SHOP, NOW, CONTEXT)

    data = event.data
    assert event.event_id == f"order-{ORDER_ID}-20261114180005"  # the id and its `modified`
    assert (data.order_id, data.customer_id, data.currency, data.status) == (
        ORDER_ID, "jd_4517f39da4099", "CNY", "delivered")
    assert data.shipping_fee == "8.00"  # freightPrice 8 (a JSON integer)
    assert data.order_discount == "10.50"  # sellerDiscount 10.5 (a JSON number, read as Decimal)
    assert [(line.line_id, line.sku, line.unit_price, line.quantity) for line in data.lines] == [
        (SHOE, "SHOE-42", "59.90", 2),  # "59.90", skuId given as text
        (SOCKS, SOCKS, "19.90", 1),  # 19.9 as a number; no outerSkuId: JD's skuId is the sku
    ]
    assert (data.shipment.carrier, data.shipment.tracking_number) == ("jd-carrier-2087", "JDVA01234567890")


def test_china_times_become_utc():
    event = translate.order_event(fixture("order_info"), SHOP, NOW, CONTEXT)

    assert event.data.paid_at == utc(2026, 11, 10, 1, 16, 30)  # paymentConfirmTime 2026-11-10 09:16:30 China
    assert event.data.delivered_at == utc(2026, 11, 14, 10, 0)  # orderEndTime 18:00:00 China, as it is FINISHED_L
    assert event.occurred_at == utc(2026, 11, 14, 10, 0, 5)  # modified


def test_a_time_as_epoch_milliseconds_is_the_same_moment():
    assert translate.jd_time(1763255400000) == utc(2025, 11, 16, 1, 10)


@pytest.mark.parametrize("value, text", [
    ("59.9", "59.90"), (Decimal("59.9"), "59.90"), ("59.90", "59.90"), ("90", "90.00"), (8, "8.00"),
    (Decimal("0.1"), "0.10"), ("137.200", "137.20"), (" 5.00 ", "5.00"), (0, "0.00"),
])
def test_yuan_become_two_decimals(value, text):
    assert translate.yuan(value) == text


@pytest.mark.parametrize("value", ["59.905", Decimal("0.001"), "-1.00", "NaN", "Infinity", "abc", "", None, True, 59.9])
def test_an_amount_that_is_not_whole_fen_of_yuan_or_that_came_as_a_float_is_refused(value):
    with pytest.raises(HydrationFailed):
        translate.yuan(value)


def test_jds_json_read_with_floats_is_refused_rather_than_trusted():
    order = json.loads((FIXTURES / "order_info.json").read_text())  # sellerDiscount 10.5 becomes a float

    with pytest.raises(HydrationFailed, match="parse_float=Decimal"):
        translate.order_event(order, SHOP, NOW, CONTEXT)


def test_an_id_that_went_through_a_float_is_refused():
    with pytest.raises(HydrationFailed):
        translate.jd_id(float(9007199254740993), "orderId")
    assert translate.jd_id(9007199254740993, "orderId") == ORDER_ID
    assert translate.jd_id(ORDER_ID, "orderId") == ORDER_ID


@pytest.mark.parametrize("state, waybill, paid, status", [
    ("WAIT_SELLER_STOCK_OUT", "", "2026-11-10 09:16:30", "paid"),
    ("WAIT_SELLER_DELIVERY", "", "2026-11-10 09:16:30", "paid"),
    ("WAIT_SELLER_STOCK_OUT", "", "", "pending_payment"),  # cash on delivery: nothing paid yet
    ("LOCKED", "", "2026-11-10 09:16:30", "paid"),  # a cancellation pending before it left
    ("LOCKED", "JDVA01234567890", "2026-11-10 09:16:30", "shipped"),  # ... and after
    ("WAIT_GOODS_RECEIVE_CONFIRM", "JDVA01234567890", "2026-11-10 09:16:30", "shipped"),
    ("FINISHED_L", "JDVA01234567890", "2026-11-10 09:16:30", "delivered"),
    ("TRADE_CANCELED", "", "2026-11-10 09:16:30", "cancelled"),
])
def test_the_order_status_follows_its_state(state, waybill, paid, status):
    order = {**fixture("order_info"), "orderState": state, "waybill": waybill, "paymentConfirmTime": paid}

    assert translate.order_event(order, SHOP, NOW, CONTEXT).data.status == status


def test_an_order_state_jd_does_not_document_is_refused():
    with pytest.raises(HydrationFailed, match="orderState"):
        translate.order_event({**fixture("order_info"), "orderState": "SOMETHING_NEW"}, SHOP, NOW, CONTEXT)


def test_a_sku_bought_on_two_lines_gets_two_line_ids():
    order = fixture("order_info")
    order["itemInfoList"].append({**order["itemInfoList"][0], "jdPrice": "0.00", "itemTotal": "1"})

    assert [line.line_id for line in translate.order_event(order, SHOP, NOW, CONTEXT).data.lines] == [
        SHOE, SOCKS, f"{SHOE}-2"]


def test_a_pin_that_cannot_be_an_id_is_kept_as_its_digest_and_no_pin_is_a_guest():
    chinese = translate.order_event({**fixture("order_info"), "pin": "京东用户_张三"}, SHOP, NOW, CONTEXT)
    again = translate.order_event({**fixture("order_info"), "pin": "京东用户_张三"}, SHOP, NOW, CONTEXT)
    guest = translate.order_event({**fixture("order_info"), "pin": ""}, SHOP, NOW, CONTEXT)

    assert chinese.data.customer_id.startswith("pin-") and chinese.data.customer_id == again.data.customer_id
    assert guest.data.customer_id == f"guest-{ORDER_ID}"


def test_a_re_read_of_the_same_order_version_has_the_same_event_id_and_a_change_a_new_one():
    first = translate.order_event(fixture("order_info"), SHOP, NOW, CONTEXT)
    again = translate.order_event(fixture("order_info"), SHOP, NOW, CONTEXT)
    changed = translate.order_event({**fixture("order_info"), "modified": "2026-11-15 09:00:00"}, SHOP, NOW, CONTEXT)

    assert first.event_id == again.event_id != changed.event_id


# --- service orders ----------------------------------------------------------------------------------------------

def test_a_return_service_order_names_the_order_line_the_reason_and_the_buyers_words():
    event = translate.return_event(fixture("service_view"), fixture("order_info"), SHOP, NOW, CONTEXT)

    data = event.data
    assert event.event_id == "service-9007199254742001-requested"
    assert event.occurred_at == utc(2026, 11, 16, 12, 30)  # applyTime 20:30 China
    assert (data.return_id, data.order_id, data.reason, data.resolution) == (
        "service-9007199254742001", ORDER_ID, "quality_issue", "refund")  # 商品故障: a fault
    # the shoe, once; the gift insole (wareType 20) rides along and is not a line of the order
    assert [(item.line_id, item.quantity) for item in data.items] == [(SHOE, 1)]
    assert data.note == "穿了两天鞋底开胶"
    assert data.evidence_urls == ["jfs/t1/1001/sole.jpg", "jfs/t1/1002/box.jpg"]
    assert data.shipment is None


def test_the_buyers_parcel_back_comes_from_the_freight_view():
    event = translate.return_event(
        fixture("service_view"), fixture("order_info"), SHOP, NOW, CONTEXT, freight=fixture("freight_view"))

    assert (event.data.shipment.carrier, event.data.shipment.tracking_number) == ("sf-express", "SF1234567890123")


@pytest.mark.parametrize("second, first, ours", [
    ("商品破损", "物流问题", "damaged_in_transit"),
    ("外包装压坏", None, "damaged_in_transit"),
    ("少件/漏发", "质量问题", "missing_parts"),  # the second level decides before the first
    ("配件缺失", None, "missing_parts"),
    ("商家发错货", None, "wrong_item"),
    ("与商品描述不符", None, "not_as_described"),
    ("商品故障", "质量问题", "quality_issue"),
    ("有瑕疵", None, "quality_issue"),
    (None, "质量问题", "quality_issue"),  # no second level: the first
    ("尺码偏小", "尺码问题", "wrong_size"),
    ("大小不合适", None, "wrong_size"),
    ("不需要了", None, "no_longer_needed"),
    ("七天无理由退货", None, "changed_mind"),
    ("拍错/不想要", None, "changed_mind"),
    ("其他", "其他", "other"),
    (None, None, "other"),
])
def test_jds_question_types_map_to_our_reasons(second, first, ours):
    service = {**fixture("service_view"), "questionTypeCid2Name": second, "questionTypeCid1Name": first}

    assert translate.return_event(service, fixture("order_info"), SHOP, NOW, CONTEXT).data.reason == ours


def test_an_exchange_sends_the_same_goods_at_the_orders_price():
    event = translate.return_event(fixture("sync_list_row"), fixture("order_info"), SHOP, NOW, CONTEXT)

    data = event.data
    assert (data.resolution, data.reason) == ("exchange", "wrong_size")
    # a sync.list row: its skuId and serviceCount are the goods; the socks have no outerSkuId, so JD's skuId
    assert [(item.line_id, item.quantity) for item in data.items] == [(SOCKS, 1)]
    assert (data.replacement.sku, data.replacement.unit_price, data.replacement.quantity) == (SOCKS, "19.90", 1)


def test_an_exchange_for_other_goods_names_the_sku_and_price_jd_gives():
    service = {**fixture("sync_list_row"), "wareChangeWithApplyDTO": {
        "changeWareSku": 9007199254741009, "changeWareName": "运动袜 五双装", "changeWarePrice": Decimal("29.9")}}

    replacement = translate.return_event(service, fixture("order_info"), SHOP, NOW, CONTEXT).data.replacement
    assert (replacement.sku, replacement.unit_price) == ("9007199254741009", "29.90")


@pytest.mark.parametrize("expect", [30, 11, 40])
def test_a_repair_and_jds_other_services_are_not_ours(expect):
    service = {**fixture("service_view"), "customerExpect": expect, "customerExpectName": None}

    assert translate.return_event(service, fixture("order_info"), SHOP, NOW, CONTEXT) is None
    assert f"customerExpect {expect}" in translate.not_ours(service)


def test_a_return_and_an_exchange_are_ours():
    assert translate.not_ours(fixture("service_view")) is None
    assert translate.not_ours(fixture("sync_list_row")) is None


def test_a_service_order_for_goods_the_order_does_not_have_is_refused():
    service = fixture("service_view")
    service["serviceBillDetailList"][0]["skuId"] = 9007199254741999

    with pytest.raises(HydrationFailed, match="9007199254741999"):
        translate.return_event(service, fixture("order_info"), SHOP, NOW, CONTEXT)


def test_a_service_order_read_with_another_order_is_refused():
    with pytest.raises(HydrationFailed, match="not of order"):
        translate.return_event(
            fixture("service_view"), {**fixture("order_info"), "orderId": 9007199254740995}, SHOP, NOW, CONTEXT)


@pytest.mark.parametrize("status, ours", [
    (10001, "requested"), (10005, "open"), (10007, "open"), (10004, "declined"), (10011, "canceled"), (10010, "closed"),
])
def test_where_a_service_order_stands(status, ours):
    assert translate.service_status({**fixture("service_view"), "serviceStatus": status}) == ReturnStatusSeen(
        "service-9007199254742001", ours)


# --- refund applications -----------------------------------------------------------------------------------------

def test_a_refund_application_before_shipment_is_a_refund_only_request_for_every_line_of_the_order():
    # Verification makes it a cancellation (POLICY.md section 8: not shipped, hold then refund).
    order = {**fixture("order_info"), "orderState": "LOCKED", "waybill": ""}

    event = translate.cancel_event(fixture("refund_application"), order, SHOP, NOW, CONTEXT)

    assert event.type == "ReturnRequested" and event.event_id == "refund-9007199254743001-requested"
    assert event.data.resolution == "refund_only"
    assert (event.data.return_id, event.data.order_id, event.data.reason) == (
        "refund-9007199254743001", ORDER_ID, "changed_mind")  # 不想要了
    assert [(item.line_id, item.quantity) for item in event.data.items] == [(SHOE, 2), (SOCKS, 1)]
    assert event.occurred_at == utc(2026, 11, 10, 2, 0)


def test_a_refund_application_on_a_delivered_order_is_no_cancellation():
    assert translate.cancel_event(fixture("refund_application"), fixture("order_info"), SHOP, NOW, CONTEXT) is None


@pytest.mark.parametrize("status", [3, 9])
def test_refunded_by_jd_finance_or_by_a_forced_close_proves_the_money_moved(status):
    application = {**fixture("refund_application"), "status": status, "checkTime": "2026-11-10 11:00:00"}

    assert translate.refund_effect(application) == MarketplaceRefunded(
        refund_ref="9007199254743001", order_id=ORDER_ID, return_id="refund-9007199254743001", currency="CNY",
        total="137.20",  # applyRefundSum 137.2 (a JSON number)
        units={}, created_at="2026-11-10T03:00:00Z",  # checkTime 11:00 China
    )


def test_a_refund_jd_finance_failed_goes_to_finance():
    application = {**fixture("refund_application"), "status": 4, "checkTime": "2026-11-10 11:00:00"}

    failed = translate.refund_effect(application)
    assert isinstance(failed, RefundFailed)
    assert (failed.refund_ref, failed.order_id, failed.return_id, failed.total, failed.at) == (
        "9007199254743001", ORDER_ID, "refund-9007199254743001", "137.20", "2026-11-10T03:00:00Z")
    assert "status 4" in failed.reason


@pytest.mark.parametrize("status", [0, 1, 2, 6, 11])
def test_no_other_status_proves_anything_about_money(status):
    assert translate.refund_effect({**fixture("refund_application"), "status": status}) is None


@pytest.mark.parametrize("status, ours", [(0, "requested"), (1, "open"), (6, "open"), (4, "open"), (2, "declined"),
                                          (3, "closed"), (9, "closed"), (11, "canceled")])
def test_where_a_refund_application_stands(status, ours):
    assert translate.refund_status({**fixture("refund_application"), "status": status}) == ReturnStatusSeen(
        "refund-9007199254743001", ours)


def test_a_return_id_names_the_jd_record_it_comes_from():
    assert translate.jd_object("service-9007199254742001") == ("service", "9007199254742001")
    assert translate.jd_object("refund-9007199254743001") == ("refund", "9007199254743001")
    with pytest.raises(ValueError):
        translate.jd_object("9007199254742001")


@pytest.mark.parametrize("company, carrier", [("顺丰速运", "sf-express"), ("京东快递", "jd-logistics"), ("中通快递", "zto")])
def test_the_parcel_back_names_our_carrier_by_jds_company_name(company, carrier):
    assert translate.return_parcel({"expressCompany": company, "expressCode": "SF1234567890123"}) == (
        carrier, "SF1234567890123")


@pytest.mark.parametrize("freight", [None, {}, {"expressCompany": "顺丰速运"}, {"expressCode": "SF1234567890123"}])
def test_no_parcel_back_until_jd_has_its_company_and_waybill(freight):
    assert translate.return_parcel(freight) is None
