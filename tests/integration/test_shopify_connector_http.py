"""The Shopify connector over real HTTP against the simulated Shopify: hydration reads, the decision and the
refund written once however the calls fail (a timeout after acting, a retry, userErrors, Throttled), and dry run
sending nothing."""

from datetime import datetime, timezone

import pytest

from chalicelib.adapters.memory import MemoryAudit
from chalicelib.connectors.shopify import admin_api, translate
from chalicelib.connectors.shopify.actions import ShopifyActions
from chalicelib.connectors.shopify.admin_api import ShopifyAdmin
from chalicelib.connectors.shopify.hydrate import hydrate
from chalicelib.connectors.shopify.webhook import number_of
from chalicelib.domain.connections import ShopifyConnection
from chalicelib.domain.events import MarketplaceNotified, edge_context
from chalicelib.domain.ledger import LedgerRecord
from chalicelib.domain.returns import Return
from chalicelib.ports.errors import MarketplaceRefused, MarketplaceUnavailable, PaymentDeclined, PaymentNotConfirmed
from localcloud.shopify_service import ShopifyService

DOMAIN, TOKEN, SHOP = "acme.myshopify.com", "shpat_acme_token", "shopify-acme"
NOW = datetime(2026, 11, 22, 8, 0, tzinfo=timezone.utc)
CONTEXT = edge_context(NOW, 3650, 24)


@pytest.fixture
def shopify():
    service = ShopifyService({DOMAIN: TOKEN}, late_answer_seconds=0.6, clock=lambda: NOW).start()
    yield service
    service.stop()


def admin(service, mode="live", token=TOKEN, sleep=None) -> ShopifyAdmin:
    connection = ShopifyConnection(platform="shopify", domain=DOMAIN, mode=mode, admin_url=f"{service.url}/{DOMAIN}",
                                   access_token_parameter="/aftersales/shopify/acme/access-token")
    return ShopifyAdmin(connection, lambda: token.encode(), timeout_seconds=0.3,
                        **({"sleep": sleep} if sleep else {}))


def a_return(service, reason="size_too_small"):
    order = service.create_order(DOMAIN, [
        {"sku": "SHOE-42", "quantity": 1, "price": "25.00", "discount": "2.50", "product_type": "footwear"},
        {"sku": "SOCK-3P", "quantity": 2, "price": "6.25", "product_type": "apparel"},
    ])
    service.fulfill(DOMAIN, order["order"], number="1Z999AA10123456784", delivered_at=datetime(2026, 11, 18, tzinfo=timezone.utc))
    returned = service.request_return(DOMAIN, order["order"], [(order["lines"][0], 1, reason)], note="runs small")
    return order, returned


def record_of(order, returned) -> Return:
    return Return(return_id=f"{SHOP}/{number_of(returned, 'Return')}", order_id=f"{SHOP}/{number_of(order['order'], 'Order')}",
                  decision={"code": "APPROVED"})


def ledger_record(order, returned, total="22.50", key="RF-shopify-acme.1") -> LedgerRecord:
    return LedgerRecord(
        refund_id=key, return_id=f"{SHOP}/{number_of(returned, 'Return')}", order_id="o", currency="USD", total=total,
        total_minor=int(total.replace(".", "")), entries=[], policy_version="v1", issued_at="2026-11-22T08:00:00Z",
        issued_day="2026-11-22", idempotency_key=key, payment_ref=number_of(order["transaction"], "OrderTransaction"),
        paid_by="marketplace",
    )


def notice(topic, resource) -> MarketplaceNotified:
    return MarketplaceNotified(event_id=f"{SHOP}/wh-1", source=SHOP, occurred_at=NOW, received_at=NOW,
                               data={"platform": "shopify", "topic": topic, "resource": resource})


def test_a_return_request_hydrates_into_its_order_and_its_request_with_exact_ids_and_money(shopify):
    order, returned = a_return(shopify)

    order_event, request, status = hydrate(notice("returns/request", returned), admin(shopify), CONTEXT)

    assert order_event.data.order_id == number_of(order["order"], "Order")
    assert int(order_event.data.order_id) > 2**53
    assert [(line.unit_price, line.quantity, line.line_discount) for line in order_event.data.lines] == [
        ("25.00", 1, "2.50"), ("6.25", 2, "0.00")]
    assert (order_event.data.status, order_event.data.shipping_fee) == ("delivered", "5.00")
    assert request.data.items[0].line_id == number_of(order["lines"][0], "LineItem")
    assert (request.data.reason, request.data.note) == ("wrong_size", "runs small")
    assert status.status == "requested"


def test_a_resource_shopify_does_not_have_fails_the_hydration(shopify):
    from chalicelib.ports.errors import HydrationFailed

    with pytest.raises(HydrationFailed, match="no gid://shopify/Return/1"):
        hydrate(notice("returns/request", "gid://shopify/Return/1"), admin(shopify), CONTEXT)


def test_approval_whose_answer_was_lost_is_found_approved_and_not_sent_again(shopify):
    order, returned = a_return(shopify)
    actions = ShopifyActions(admin(shopify), MemoryAudit(), lambda: NOW)
    shopify.time_out_next("AftersalesReturnApprove")

    with pytest.raises(MarketplaceUnavailable):
        actions.approve(record_of(order, returned))
    assert actions.approve(record_of(order, returned)) == "already open in Shopify"

    assert shopify.calls["AftersalesReturnApprove"] == 1
    assert shopify.returns(DOMAIN)[0]["status"] == "OPEN"


def test_a_decline_carries_the_mapped_reason_and_our_rules_explanation(shopify):
    order, returned = a_return(shopify)
    actions = ShopifyActions(admin(shopify), MemoryAudit(), lambda: NOW)

    assert actions.decline(record_of(order, returned), "WINDOW_EXPIRED") == "declined in Shopify"

    [found] = shopify.returns(DOMAIN)
    assert found["status"] == "DECLINED"
    assert found["decline"]["reason"] == "RETURN_PERIOD_ENDED"
    assert "return window" in found["decline"]["note"]


def test_a_refund_whose_answer_was_lost_is_found_on_the_return_and_made_once(shopify):
    order, returned = a_return(shopify)
    actions = ShopifyActions(admin(shopify), MemoryAudit(), lambda: NOW)
    actions.approve(record_of(order, returned))
    shopify.time_out_next("AftersalesReturnProcess")

    with pytest.raises(PaymentNotConfirmed):
        actions.refund(record_of(order, returned), ledger_record(order, returned))
    made = actions.refund(record_of(order, returned), ledger_record(order, returned))

    [refund] = shopify.refunds(DOMAIN)
    assert made["marketplace_refund_id"] == number_of(refund["id"], "Refund")
    assert str(refund["total"]) in ("22.5", "22.50")
    assert shopify.calls["AftersalesReturnProcess"] == 1
    assert shopify.returns(DOMAIN)[0]["status"] == "CLOSED"


def test_two_sends_of_one_refund_in_a_race_make_one_refund_by_its_idempotency_key(shopify):
    order, returned = a_return(shopify)
    client = admin(shopify)
    ShopifyActions(client, MemoryAudit(), lambda: NOW).approve(record_of(order, returned))
    found = client.call(admin_api.RETURN, {"id": returned})["return"]
    variables = {"idempotencyKey": "RF-shopify-acme.1", "input": {
        "returnId": returned, "returnLineItems": [{"id": found["returnLineItems"]["nodes"][0]["id"], "quantity": 1}],
        "financialTransfer": {"issueRefund": {"orderTransactions": [
            {"parentId": order["transaction"], "transactionAmount": {"amount": "22.50", "currencyCode": "USD"}}]}},
    }}

    first = client.call(admin_api.RETURN_PROCESS, variables)["returnProcess"]
    second = client.call(admin_api.RETURN_PROCESS, variables)["returnProcess"]

    assert first == second
    assert len(shopify.refunds(DOMAIN)) == 1


def test_shopifys_user_errors_refuse_the_refund_with_its_message(shopify):
    order, returned = a_return(shopify)
    actions = ShopifyActions(admin(shopify), MemoryAudit(), lambda: NOW)
    actions.approve(record_of(order, returned))

    with pytest.raises(PaymentDeclined, match="exceeds the refundable amount"):
        actions.refund(record_of(order, returned), ledger_record(order, returned, total="999.00"))
    assert shopify.refunds(DOMAIN) == []


def test_a_throttled_call_is_waited_out_from_the_bucket_figures(shopify):
    waits = []
    client = admin(shopify, sleep=waits.append)
    shopify.throttle_next(2)

    client.call(admin_api.ORDER, {"id": "gid://shopify/Order/1"})

    assert len(waits) == 2 and all(0 < wait <= 1.0 for wait in waits)
    assert shopify.calls["throttled"] == 2


def test_throttling_beyond_the_budget_is_unavailable_so_the_caller_retries_later(shopify):
    client = admin(shopify, sleep=lambda seconds: None)
    client._budget = 0.0
    shopify.throttle_next(1)

    with pytest.raises(MarketplaceUnavailable, match="throttled"):
        client.call(admin_api.ORDER, {"id": "gid://shopify/Order/1"})


def test_a_refused_access_token_is_refused_not_retried(shopify):
    with pytest.raises(MarketplaceRefused, match="401"):
        admin(shopify, token="shpat_wrong").call(admin_api.ORDER, {"id": "gid://shopify/Order/1"})


def test_dry_run_reads_but_records_every_write_in_the_audit_table_and_sends_none(shopify):
    order, returned = a_return(shopify)
    audit = MemoryAudit()
    actions = ShopifyActions(admin(shopify, mode="dry_run"), audit, lambda: NOW)

    assert actions.approve(record_of(order, returned)) == "dry run: recorded, not sent"
    assert actions.refund(record_of(order, returned), ledger_record(order, returned)) == {"dry_run": True}

    sent = [operation for operation, _ in shopify.requests]
    assert "AftersalesReturnApprove" not in sent and "AftersalesReturnProcess" not in sent
    assert shopify.returns(DOMAIN)[0]["status"] == "REQUESTED"
    assert shopify.refunds(DOMAIN) == []
    approve, refund = audit.entries
    assert (approve["action"], approve["operation"], approve["by"]) == ("shopify.dry_run", "returnApproveRequest", "aftersales")
    assert approve["variables"] == {"input": {"id": returned, "notifyCustomer": True}}
    assert refund["operation"] == "returnProcess"
    assert refund["variables"]["idempotencyKey"] == "RF-shopify-acme.1"
    assert refund["variables"]["input"]["financialTransfer"]["issueRefund"]["orderTransactions"] == [
        {"parentId": order["transaction"], "transactionAmount": {"amount": "22.50", "currencyCode": "USD"}}]


def test_the_translator_reads_a_reverse_delivery_as_the_return_parcel(shopify):
    order, returned = a_return(shopify)
    ShopifyActions(admin(shopify), MemoryAudit(), lambda: NOW).approve(record_of(order, returned))
    delivery = shopify.attach_return_tracking(DOMAIN, returned, "DHL Express", "JD014600006281649401")

    [link] = hydrate(notice("reverse_deliveries/attach_deliverable", delivery), admin(shopify), CONTEXT)

    assert (link.return_id, link.carrier, link.tracking_number) == (
        number_of(returned, "Return"), "dhl-express", "JD014600006281649401")
    assert translate.carrier_id("Canada Post") == "canada-post"


def cancellation(order) -> Return:
    return Return(return_id=f"{SHOP}/cancel-{number_of(order['order'], 'Order')}", kind="cancel",
                  order_id=f"{SHOP}/{number_of(order['order'], 'Order')}",
                  items=[{"line_id": number_of(order["lines"][0], "LineItem"), "quantity": 1}])


def test_a_cancellation_holds_the_orders_fulfillment_and_is_refunded_once_by_refund_create(shopify):
    order = shopify.create_order(DOMAIN, [{"sku": "MUG", "quantity": 1, "price": "14.00"}])
    actions = ShopifyActions(admin(shopify), MemoryAudit(), lambda: NOW)

    assert actions.hold(cancellation(order)) == "held"
    assert actions.hold(cancellation(order)) == "held"  # asked again: already on hold, nothing sent
    with pytest.raises(ValueError, match="on hold"):
        shopify.fulfill(DOMAIN, order["order"])  # the warehouse cannot ship it now
    shopify.time_out_next("AftersalesRefundCreate")
    issued = ledger_record(order, "gid://shopify/Return/1", total="14.00", key="RF-shopify-acme.cancel-1")
    with pytest.raises(PaymentNotConfirmed):
        actions.refund(cancellation(order), issued)
    made = actions.refund(cancellation(order), issued)  # found on the order by its note: not sent again

    [refund] = shopify.refunds(DOMAIN)
    assert made["marketplace_refund_id"] == number_of(refund["id"], "Refund")
    assert (refund["note"], str(refund["total"])) == ("RF-shopify-acme.cancel-1", "14.00")
    assert [line["restock_type"] for line in refund["refund_line_items"]] == ["CANCEL"]
    assert shopify.calls["AftersalesRefundCreate"] == 1 and shopify.calls["AftersalesFulfillmentOrderHold"] == 1


def test_a_cancellation_of_an_order_that_left_is_already_shipped(shopify):
    order = shopify.create_order(DOMAIN, [{"sku": "MUG", "quantity": 1, "price": "14.00"}])
    shopify.fulfill(DOMAIN, order["order"])

    assert ShopifyActions(admin(shopify), MemoryAudit(), lambda: NOW).hold(cancellation(order)) == "already_shipped"
    assert shopify.calls["AftersalesFulfillmentOrderHold"] == 0


def test_an_exchange_is_processed_in_shopify_with_its_refund_or_on_its_own(shopify):
    actions = ShopifyActions(admin(shopify), MemoryAudit(), lambda: NOW)
    cheaper, even = [], []
    for made, price in ((cheaper, "20.00"), (even, "25.00")):
        order, _ = a_return(shopify)
        returned = shopify.request_return(DOMAIN, order["order"], [(order["lines"][1], 1, "color")],
                                          exchange=[{"sku": "SHOE-43", "price": price, "quantity": 1}])
        actions.approve(record_of(order, returned))
        made += [order, returned]

    [order, returned] = cheaper  # the replacement costs 5.00 less than what came back: that is refunded
    actions.refund(record_of(order, returned), ledger_record(order, returned, total="5.00", key="RF-shopify-acme.x"))
    assert actions.exchange(record_of(order, returned)) == "processed in Shopify"
    [order, returned] = even
    assert actions.exchange(record_of(order, returned)) == "exchange processed in Shopify"

    found = {r["id"]: r for r in shopify.returns(DOMAIN)}
    assert found[cheaper[1]]["status"] == found[even[1]]["status"] == "CLOSED"
    assert [line["processed_quantity"] for line in found[even[1]]["exchange_line_items"]] == [1]
    assert [str(r["total"]) for r in shopify.refunds(DOMAIN)] == ["5.00"]
