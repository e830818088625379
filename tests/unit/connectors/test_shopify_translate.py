"""Shopify's records into canonical events: ids from GIDs as text (larger than 2**53), money from the string
amounts to the currency's exact decimals, reasons by the documented table. Expected values worked out by hand."""

from datetime import datetime, timezone

import pytest

from chalicelib.connectors.marketplace import MarketplaceRefunded, ParcelLinked
from chalicelib.connectors.shopify import translate
from chalicelib.connectors.shopify.webhook import TOPICS, number_of, resource_of, signed_by
from chalicelib.domain.events import edge_context
from chalicelib.ports.errors import HydrationFailed
from tests.unit.connectors.shopify_fixtures import APP_SECRET, SHOP, fixture, shopify_hmac

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=timezone.utc)
CONTEXT = edge_context(NOW, 3650, 24)


def test_the_order_is_read_from_the_admin_api_with_its_ids_as_text_and_its_money_exact():
    event = translate.order_event(fixture("graphql_order"), SHOP, NOW, CONTEXT)

    data = event.data
    assert event.event_id == "order-9007199254741001-20261114T150000Z"
    assert (data.order_id, data.customer_id, data.currency, data.status) == (
        "9007199254741001", "9007199254740999", "USD", "delivered")
    assert data.shipping_fee == "5.00"  # "5.0" as Shopify writes it
    assert [(line.line_id, line.sku, line.category, line.unit_price, line.line_discount) for line in data.lines] == [
        ("9007199254741301", "SHOE-42", "footwear", "25.00", "2.50"),
        ("9007199254741302", "SOCK-3P", "apparel", "12.50", "0.00"),
    ]
    assert data.payment_ref == "9007199254741501"
    assert (data.shipment.carrier, data.shipment.tracking_number) == ("ups", "1Z999AA10123456784")
    assert data.delivered_at == datetime(2026, 11, 13, 17, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("financial, fulfilled, cancelled, status", [
    ("PENDING", False, False, "pending_payment"), ("PAID", False, False, "paid"), ("PAID", True, False, "shipped"),
    ("PAID", False, True, "cancelled"),
])
def test_the_order_status_follows_payment_fulfillment_and_cancellation(financial, fulfilled, cancelled, status):
    order = fixture("graphql_order")
    order["displayFinancialStatus"] = financial
    order["fulfillments"][0]["deliveredAt"] = None
    if not fulfilled:
        order["fulfillments"] = []
    order["cancelledAt"] = "2026-11-12T00:00:00Z" if cancelled else None

    assert translate.order_event(order, SHOP, NOW, CONTEXT).data.status == status


def test_a_guest_order_is_its_own_customer():
    order = fixture("graphql_order")
    order["customer"] = None

    assert translate.order_event(order, SHOP, NOW, CONTEXT).data.customer_id == "guest-9007199254741001"


@pytest.mark.parametrize("amount", ["25.005", "-1.0", "NaN", "abc"])
def test_an_amount_the_currency_cannot_hold_is_refused(amount):
    order = fixture("graphql_order")
    order["lineItems"]["nodes"][0]["originalUnitPriceSet"]["presentmentMoney"]["amount"] = amount

    with pytest.raises(HydrationFailed):
        translate.order_event(order, SHOP, NOW, CONTEXT)


def test_amounts_in_a_zero_decimal_currency_keep_no_decimals():
    assert translate.amount({"presentmentMoney": {"amount": "1500.0", "currencyCode": "JPY"}}, "JPY") == "1500"


def test_the_return_request_names_the_order_lines_and_the_mapped_reason():
    event = translate.return_event(fixture("graphql_return"), "9007199254741001", "USD", SHOP, NOW, CONTEXT)

    assert event.event_id == "return-9007199254740993-requested"
    assert (event.data.return_id, event.data.order_id, event.data.reason) == (
        "9007199254740993", "9007199254741001", "wrong_size")
    assert [(item.line_id, item.quantity) for item in event.data.items] == [("9007199254741301", 1)]
    assert event.data.note == "Runs small"


@pytest.mark.parametrize("reasons, ours", [
    (["DEFECTIVE"], "quality_issue"), (["NOT_AS_DESCRIBED"], "not_as_described"), (["WRONG_ITEM"], "wrong_item"),
    (["UNWANTED"], "changed_mind"), (["STYLE"], "changed_mind"), (["COLOR"], "changed_mind"),
    (["SIZE_TOO_SMALL"], "wrong_size"), (["SIZE_TOO_LARGE"], "wrong_size"), (["OTHER"], "other"),
    (["UNWANTED", "DEFECTIVE"], "quality_issue"), (["COLOR", "SIZE_TOO_LARGE"], "wrong_size"),
])
def test_shopify_reasons_map_to_ours_and_the_sellers_fault_decides_a_mixed_return(reasons, ours):
    record = fixture("graphql_return")
    line = record["returnLineItems"]["nodes"][0]
    record["returnLineItems"]["nodes"] = [
        {**line, "id": f"gid://shopify/ReturnLineItem/{n + 1}", "returnReason": reason,
         "fulfillmentLineItem": {"lineItem": {"id": f"gid://shopify/LineItem/{n + 1}"}}}
        for n, reason in enumerate(reasons)
    ]

    assert translate.return_event(record, "1", "USD", SHOP, NOW, CONTEXT).data.reason == ours


def test_the_return_parcel_is_the_latest_reverse_delivery_with_tracking():
    record = fixture("graphql_return")
    delivery = fixture("graphql_reverse_delivery")
    record["reverseFulfillmentOrders"] = {"nodes": [{"id": "x", "reverseDeliveries": {"nodes": [
        {"id": "a", "deliverable": None}, {"id": delivery["id"], "deliverable": delivery["deliverable"]},
    ]}}]}

    shipment = translate.return_event(record, "1", "USD", SHOP, NOW, CONTEXT).data.shipment
    assert (shipment.carrier, shipment.tracking_number) == ("dhl-express", "JD014600006281649401")
    assert translate.parcel_link(delivery) == ParcelLinked("9007199254740993", "dhl-express", "JD014600006281649401")


def test_a_refund_made_in_the_admin_names_its_order_lines_and_amount():
    effect = translate.refund_effect(fixture("graphql_refund"), "USD")

    assert effect == MarketplaceRefunded(
        refund_ref="9007199254742001", order_id="9007199254741001", return_id=None, currency="USD", total="12.50",
        units={"9007199254741302": 1}, created_at="2026-11-24T14:30:00Z", note="refunded at the counter",
    )


def test_a_delivery_names_its_resource_from_the_gid_or_the_rest_id_exactly():
    payload = fixture("webhook_returns_request")
    assert resource_of("returns/request", payload) == "gid://shopify/Return/9007199254740993"
    del payload["admin_graphql_api_id"]
    assert resource_of("returns/request", payload) == "gid://shopify/Return/9007199254740993"  # the JSON integer
    assert resource_of("refunds/create", fixture("webhook_refunds_create")) == "gid://shopify/Refund/9007199254742001"
    assert resource_of("fulfillments/update", {"order_id": 9007199254741001}) == "gid://shopify/Order/9007199254741001"
    assert resource_of("app/uninstalled", {"domain": "acme.myshopify.com"}) is None
    assert set(TOPICS) >= {"orders/create", "returns/request", "reverse_deliveries/attach_deliverable", "refunds/create"}


@pytest.mark.parametrize("value", [9007199254740993.0, "9.007e15", "gid://shopify/Order/1", -5, "0123", True])
def test_an_id_that_is_not_exactly_a_number_of_that_kind_is_none(value):
    assert number_of(value, "Return") is None


def test_the_hmac_is_the_base64_sha256_of_the_raw_body_under_the_current_or_previous_secret():
    body = b'{"id": 9007199254740993}'
    current, previous = APP_SECRET.encode(), b"shpss_previous_secret_00000000000"

    assert signed_by((current,), shopify_hmac(body), body)
    assert signed_by((current, previous), shopify_hmac(body, previous.decode()), body)  # during a rotation
    assert not signed_by((current,), shopify_hmac(body, previous.decode()), body)
    assert not signed_by((current,), shopify_hmac(body + b" "), body)
    assert not signed_by((current,), None, body)
    assert not signed_by((current,), "not base64!", body)
    assert not signed_by((), shopify_hmac(body), body)


def test_an_exchange_asked_in_shopify_is_an_exchange_for_its_replacement():
    record = fixture("graphql_return")
    record["exchangeLineItems"] = {"nodes": [{
        "id": "gid://shopify/ExchangeLineItem/9007199254744001", "quantity": 1, "processedQuantity": 0,
        "variantId": "gid://shopify/ProductVariant/9007199254744101",
        "lineItems": [{"sku": "SHOE-43", "originalUnitPriceSet": {"presentmentMoney": {"amount": "27.5", "currencyCode": "USD"}}}],
    }]}

    data = translate.return_event(record, "1", "USD", SHOP, NOW, CONTEXT).data

    assert data.resolution == "exchange"
    assert (data.replacement.sku, data.replacement.unit_price, data.replacement.quantity) == ("SHOE-43", "27.50", 1)


@pytest.mark.parametrize("written, expected", [("12.5", "12.50"), (12.5, "12.50"), (12, "12.00"), ("0.0", "0.00"),
                                                ("19.99", "19.99"), (19.99, "19.99")])
def test_money_written_as_a_string_or_a_number_is_read_exactly(written, expected):
    assert translate.amount({"presentmentMoney": {"amount": written, "currencyCode": "USD"}}, "USD") == expected


def test_an_amount_in_another_currency_than_the_orders_is_refused():
    with pytest.raises(HydrationFailed, match="EUR"):
        translate.amount({"presentmentMoney": {"amount": "1.00", "currencyCode": "EUR"}}, "USD")
