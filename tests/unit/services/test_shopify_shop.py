"""A Shopify shop on the twins: its webhook deliveries at the edge, their hydration in the consumer, the decision
and the refund through its marketplace actions, and refunds the merchant made in the admin."""

import json

import pytest

from chalicelib.adapters.memory import MemoryDirectory, MemoryMarketplaces
from chalicelib.connectors.marketplace import AppUninstalled, MarketplaceRefunded, ParcelLinked, ReturnStatusSeen
from chalicelib.domain.connections import connection_of
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.events import canonical_events, queued_messages
from chalicelib.domain.ledger import LedgerRecord, PaymentStatus, refund_id_for
from chalicelib.domain.orders import RefundAccount
from chalicelib.domain.sources import source_of
from chalicelib.ports.errors import HydrationFailed, MarketplaceRefused, NotAuthenticated
from chalicelib.services.accept_shopify_webhook import accept_shopify_webhook
from chalicelib.services.answer_marketplace import answer_marketplace
from chalicelib.services.dispatch_refund import dispatch_refund
from chalicelib.services.ingest_event import return_record
from chalicelib.services.ingest_notification import ingest_notification
from chalicelib.services.quote_return import quote_return
from chalicelib.services.record_marketplace_refund import record_marketplace_refund
from chalicelib.services.verify_return import verify_return
from tests.unit.connectors.shopify_fixtures import APP_SECRET, DOMAIN, SHOP, delivery_headers, fixture
from tests.unit.services.given import NOW, RETRY, inspected, registry, twins
from tests.webhook_events import order_upserted, return_requested

PREVIOUS_SECRET = "shpss_previous_0123456789abcdef0123"
ENTRY = {"kind": "shop", "secrets": [APP_SECRET, PREVIOUS_SECRET]}
CONNECTION = {"platform": "shopify", "domain": DOMAIN, "mode": "live",
              "access_token_parameter": "/aftersales/shopify/acme/access-token"}
RETURN_GID = "gid://shopify/Return/9007199254740993"
RETURN_ID = f"{SHOP}/9007199254740993"
ORDER_ID = f"{SHOP}/9007199254741001"


def shop_ports(**found):
    sources = registry(**{SHOP: ENTRY, "generic": {"kind": "shop", "secrets": ["generic-secret-0123456789"]}})
    connections = MemoryDirectory({SHOP: connection_of(SHOP, json.dumps(CONNECTION))})
    return twins(sources=sources, connections=connections,
                 marketplaces=MemoryMarketplaces({SHOP: connections.get(SHOP)}, found))


def delivered(ports, topic="returns/request", payload=None, **headers):
    body = json.dumps(payload if payload is not None else fixture("webhook_returns_request")).encode()
    return accept_shopify_webhook(delivery_headers(topic, body, **headers), body, ports, NOW)


def canonical(payload: dict, source: str = SHOP):
    return canonical_events.validate_python({**payload, "source": source, "received_at": NOW})


def shopify_order(**data):
    lines = [{"line_id": "9007199254741301", "unit_price": "25.00", "quantity": 1},
             {"line_id": "9007199254741302", "unit_price": "12.50", "quantity": 1}]
    return canonical(order_upserted("9007199254741001", event_id="order-1-a", currency="USD", shipping_fee="5.00",
                                    order_discount="0", lines=lines, payment_ref="9007199254741501", **data))


def shopify_return():
    return canonical(return_requested("9007199254740993", "9007199254741001", event_id="return-1-requested",
                                      items=[{"line_id": "9007199254741301", "quantity": 1}]))


# The edge.

def test_a_signed_delivery_of_a_connected_shop_is_queued_as_a_notification_to_hydrate():
    ports = shop_ports()

    notice = delivered(ports)

    [(body, attributes)] = ports.queue.messages
    queued = queued_messages.validate_json(body)
    assert queued == notice
    assert (queued.type, queued.event_id, queued.data.topic, queued.data.resource) == (
        "MarketplaceNotified", f"{SHOP}/wh-b54557e4-bdd9-4b37-8a5f-bf7d70bcd043", "returns/request", RETURN_GID)
    assert queued.data.platform_event_id == "98880550-7158-44d4-b7cd-2c97c8a091b5"
    assert attributes["source"] == SHOP
    [key] = ports.archive.objects
    assert key.startswith(f"webhooks/{SHOP}/2026/11/22/wh-b54557e4")


def test_a_delivery_signed_with_the_previous_secret_is_taken_during_a_rotation():
    ports = shop_ports()

    delivered(ports, secret=PREVIOUS_SECRET)

    assert len(ports.queue.messages) == 1


@pytest.mark.parametrize("headers", [
    {"secret": "shpss_someone_elses_secret_0000000"},
    {"x-shopify-hmac-sha256": ""},
    {"x-shopify-shop-domain": "other.myshopify.com"},  # not registered
    {"x-shopify-shop-domain": "generic"},  # not a Shopify domain
    {"x-shopify-shop-domain": "acme.myshopify.com.evil.example"},
])
def test_a_delivery_not_signed_by_shopify_for_a_registered_shop_is_401_and_nothing_is_queued(headers):
    ports = shop_ports()

    with pytest.raises(NotAuthenticated):
        delivered(ports, **headers)

    assert ports.queue.messages == [] and ports.archive.objects == {}


def test_a_shop_registered_without_its_connection_is_not_a_shopify_shop():
    ports = twins(sources=registry(**{SHOP: {"kind": "shop", "secrets": [APP_SECRET]}}))

    with pytest.raises(NotAuthenticated):
        delivered(ports)


@pytest.mark.parametrize("topic, payload, headers, field", [
    ("returns/frobnicate", None, {}, "X-Shopify-Topic"),
    ("returns/request", {"status": "requested"}, {}, "admin_graphql_api_id"),
    ("returns/request", None, {"webhook_id": ""}, "X-Shopify-Webhook-Id"),
    ("returns/request", None, {"webhook_id": "a/b"}, "X-Shopify-Webhook-Id"),
    ("returns/request", None, {"x-shopify-triggered-at": "yesterday"}, "X-Shopify-Triggered-At"),
    ("returns/request", [], {}, ""),
])
def test_a_signed_delivery_that_names_nothing_we_can_read_is_422_naming_the_field(topic, payload, headers, field):
    ports = shop_ports()

    with pytest.raises(InvalidInput) as refused:
        delivered(ports, topic, payload, **headers)

    assert refused.value.field == field
    assert ports.queue.messages == []


# The consumer.

def test_a_return_request_is_hydrated_into_the_order_and_the_return_and_its_workflow_starts():
    ports = shop_ports(**{RETURN_GID: [shopify_order(), shopify_return(), ReturnStatusSeen("9007199254740993", "requested")]})

    outcome = ingest_notification(delivered(ports), ports, NOW)

    assert "workflow_started" in outcome
    assert ports.orders.get(ORDER_ID).currency == "USD"
    record = ports.returns.get(RETURN_ID)
    assert (record.order_id, record.marketplace, record.marketplace_status) == (ORDER_ID, SHOP, "requested")
    assert list(ports.workflows.started) == ["shopify-acme.9007199254740993"]


def test_a_retried_delivery_and_a_second_delivery_of_one_action_apply_it_once():
    ports = shop_ports(**{RETURN_GID: [shopify_order(), shopify_return()]})
    first = delivered(ports)
    ingest_notification(first, ports, NOW)

    assert ingest_notification(first, ports, NOW) == "duplicate"  # Shopify's retry: the same webhook id
    again = delivered(ports, webhook_id="0f6d1a3c-5b4e-4e0a-9c1d-2f3e4a5b6c7d")  # another subscription's delivery
    outcome = ingest_notification(again, ports, NOW)

    assert outcome == "OrderUpserted: duplicate; ReturnRequested: duplicate"
    assert len(ports.workflows.started) == 1


def test_a_hydration_that_fails_records_nothing_so_the_message_is_retried():
    ports = shop_ports(**{RETURN_GID: HydrationFailed(f"Shopify has no {RETURN_GID} (yet)")})
    notice = delivered(ports)

    with pytest.raises(HydrationFailed):
        ingest_notification(notice, ports, NOW)

    assert not ports.event_log.seen(notice.event_id)


def test_the_return_parcels_tracking_is_linked_to_the_return():
    delivery = "gid://shopify/ReverseDelivery/9007199254743001"
    ports = shop_ports(**{RETURN_GID: [shopify_order(), shopify_return()],
                          delivery: [ParcelLinked("9007199254740993", "dhl-express", "JD0146")]})
    ingest_notification(delivered(ports), ports, NOW)

    ingest_notification(delivered(ports, "reverse_deliveries/attach_deliverable",
                                  {"admin_graphql_api_id": delivery}, webhook_id="rd-1"), ports, NOW)

    assert ports.shipments.get("dhl-express", "JD0146").return_id == RETURN_ID


def merchant_refund(return_id=None, ref="9007199254742001", total="12.50"):
    return MarketplaceRefunded(refund_ref=ref, order_id="9007199254741001", return_id=return_id, currency="USD",
                               total=total, units={"9007199254741302": 1}, created_at="2026-11-22T07:30:00Z")


def test_a_refund_the_merchant_made_in_the_admin_is_in_the_ledger_as_paid_by_the_marketplace_once():
    refund_gid = "gid://shopify/Refund/9007199254742001"
    ports = shop_ports(**{refund_gid: [shopify_order(), merchant_refund()]})
    payload = fixture("webhook_refunds_create")

    ingest_notification(delivered(ports, "refunds/create", payload), ports, NOW)
    again = ingest_notification(delivered(ports, "refunds/create", payload, webhook_id="second"), ports, NOW)

    record = ports.ledger.get(f"RF-{SHOP}.refund-9007199254742001")
    assert (record.paid_by, record.payment_status, record.total, record.marketplace_refund_id) == (
        "marketplace", PaymentStatus.CONFIRMED, "12.50", "9007199254742001")
    assert record.return_id is None
    assert "is in the ledger" in again
    account = ports.orders.get(ORDER_ID).account
    assert (account.refunded_total, account.refunded_units) == (1250, {"9007199254741302": 1})
    assert [detail["refund_id"] for detail in ports.bus.of("RefundIssued")] == [
        "RF-shopify-acme.refund-9007199254742001"]


def test_a_return_the_merchant_refunded_in_the_admin_is_never_paid_again_by_the_workflow():
    refund_gid = "gid://shopify/Refund/9007199254742001"
    ports = shop_ports(**{RETURN_GID: [shopify_order(), shopify_return()],
                          refund_gid: [shopify_order(), merchant_refund("9007199254740993", total="22.50")]})
    ingest_notification(delivered(ports), ports, NOW)
    ingest_notification(delivered(ports, "refunds/create", fixture("webhook_refunds_create"), webhook_id="r"), ports, NOW)

    result = dispatch_refund(RETURN_ID, ports, NOW, RETRY)

    assert (result["refund_id"], result["payment"], result["total"]) == (refund_id_for(RETURN_ID), "confirmed", "22.50")
    assert ports.marketplaces.actions(SHOP).calls == []
    assert ports.payments.requests == []


# The decision and the refund, in Shopify.

def test_a_shop_of_our_own_has_no_marketplace_to_answer():
    ports = shop_ports()
    ports.returns.create(__import__("chalicelib.services.ingest_event", fromlist=["x"]).return_record(
        canonical(return_requested("generic/RT-1", "generic/O-1"), "generic")))

    assert answer_marketplace("generic/RT-1", "approve", ports, NOW)["outcome"] == "no marketplace to answer"


def test_the_decision_is_told_to_shopify_with_the_rules_code_never_the_reviewers_note():
    ports = shop_ports(**{RETURN_GID: [shopify_order(), shopify_return()]})
    ingest_notification(delivered(ports), ports, NOW)
    ports.returns.update(RETURN_ID, {"decision": {"outcome": "reject", "code": "WINDOW_EXPIRED"},
                                     "review": {"note": "internal: checked twice"}})

    answer_marketplace(RETURN_ID, "approve", ports, NOW)
    answer_marketplace(RETURN_ID, "decline", ports, NOW)

    assert ports.marketplaces.actions(SHOP).calls == [("approve", RETURN_ID), ("decline", RETURN_ID, "WINDOW_EXPIRED")]
    assert ports.returns.get(RETURN_ID).marketplace_answer["answer"] == "decline"


def test_a_review_that_expired_is_declined_as_not_decided_in_time():
    ports = shop_ports(**{RETURN_GID: [shopify_order(), shopify_return()]})
    ingest_notification(delivered(ports), ports, NOW)
    ports.returns.update(RETURN_ID, {"decision": {"outcome": "manual", "code": "HIGH_VALUE"}})

    answer_marketplace(RETURN_ID, "decline", ports, NOW)

    assert ports.marketplaces.actions(SHOP).calls == [("decline", RETURN_ID, "REVIEW_EXPIRED")]


def test_a_cancellation_is_answered_by_its_refund_and_a_rejected_one_is_declined_in_its_marketplace():
    # A marketplace that refunds by itself at its deadline (Taobao, JD) must hear a rejection; Shopify's actions
    # decline nothing for a cancellation (test_shopify_actions).
    from tests.unit.services.given import cancel_requested

    ports = shop_ports()
    ports.returns.create(return_record(canonical(cancel_requested(f"{SHOP}/C-1", ORDER_ID))))

    assert "answered by its refund" in answer_marketplace(f"{SHOP}/C-1", "approve", ports, NOW)["outcome"]
    assert ports.marketplaces.actions(SHOP).calls == []
    answer_marketplace(f"{SHOP}/C-1", "decline", ports, NOW)
    assert ports.marketplaces.actions(SHOP).calls == [("decline", f"{SHOP}/C-1", None)]


def test_our_cancellation_refund_named_by_its_note_is_the_ledger_record_it_pays_not_a_second():
    ports = shop_ports()
    ports.orders.upsert({**shopify_order().data.model_dump(mode="json", exclude_none=True),
                         "order_id": ORDER_ID, "customer_id": f"{SHOP}/C"}, "2026-11-20T08:00:00Z")
    ours = merchant_refund(total="12.50")
    from dataclasses import replace

    key = f"RF-{SHOP}.C-1"
    record = LedgerRecord(
        refund_id=key, return_id=f"{SHOP}/C-1", order_id=ORDER_ID, currency="USD", total="12.50", total_minor=1250,
        entries=[], policy_version="v1", issued_at="2026-11-22T08:00:00Z", issued_day="2026-11-22",
        idempotency_key=key, payment_ref="9007199254741501", paid_by="marketplace", payment_status=PaymentStatus.SENT,
    )
    ports.ledger.issue(record, RefundAccount(refunded_total=1250, refunded_units={"9007199254741302": 1}), 0)

    outcome = record_marketplace_refund(replace(ours, note=key), SHOP, ports, NOW)

    assert outcome == f"refund 9007199254742001 confirms {key}"
    assert ports.ledger.get(key).payment_status == PaymentStatus.CONFIRMED
    assert ports.ledger.get(f"RF-{SHOP}.refund-9007199254742001") is None
    assert ports.orders.get(ORDER_ID).account.refunded_total == 1250  # moved once
    assert [r["refund_id"] for r in ports.bus.of("RefundIssued")] == [key]


def test_what_the_marketplace_refuses_fails_the_step_with_its_words():
    ports = shop_ports(**{RETURN_GID: [shopify_order(), shopify_return()]})
    ingest_notification(delivered(ports), ports, NOW)
    ports.marketplaces.actions(SHOP).refuse = MarketplaceRefused("Shopify refused returnApproveRequest: id: Return is not approvable")

    with pytest.raises(MarketplaceRefused, match="not approvable"):
        answer_marketplace(RETURN_ID, "approve", ports, NOW)


def quoted_shopify_return():
    """The Shopify return requested, verified, inspected (its unit accepted) and quoted: due for its refund."""
    ports = shop_ports(**{RETURN_GID: [shopify_order(), shopify_return()]})
    ingest_notification(delivered(ports), ports, NOW)
    verify_return(RETURN_ID, ports)
    inspected(ports, RETURN_ID, [{"line_id": "9007199254741301", "accepted": 1}])
    quote_return(RETURN_ID, ports)
    return ports


def test_a_marketplace_orders_refund_is_paid_by_the_marketplace_once_and_recorded_so():
    ports = quoted_shopify_return()

    first = dispatch_refund(RETURN_ID, ports, NOW, RETRY)
    second = dispatch_refund(RETURN_ID, ports, NOW, RETRY)

    assert first == second
    record = ports.ledger.get(refund_id_for(RETURN_ID))
    assert (record.paid_by, record.payment_status, record.marketplace_refund_id) == (
        "marketplace", PaymentStatus.CONFIRMED, "1000")
    assert [call[0] for call in ports.marketplaces.actions(SHOP).calls] == ["refund"]
    assert ports.payments.requests == []
    assert record.finance_record()["paid_by"] == "marketplace"


def test_a_shopify_connection_must_be_named_after_its_domain_and_say_its_mode():
    with pytest.raises(ValueError, match="shopify-acme"):
        connection_of("acme", json.dumps(CONNECTION))
    with pytest.raises(ValueError):
        connection_of(SHOP, json.dumps({**CONNECTION, "mode": "sometimes"}))
    with pytest.raises(ValueError):
        connection_of(SHOP, json.dumps({k: v for k, v in CONNECTION.items() if k != "mode"}))
    with pytest.raises(ValueError, match="webhook route"):
        source_of("shopify", json.dumps({"kind": "shop", "secrets": [APP_SECRET]}))


class Token:
    """An access token as SSM keeps it: its value and when it was last written."""

    def __init__(self, modified_at: str) -> None:
        self.modified_at = modified_at

    def __call__(self) -> bytes:
        return b"shpat_token"


def test_an_uninstalled_app_sends_nothing_more_to_the_shop_until_its_new_token_is_put():
    from chalicelib.adapters.memory import MemoryAudit, MemoryShops
    from chalicelib.connectors.registry import Marketplaces

    token = Token("2026-11-01T00:00:00Z")
    shops = MemoryShops()
    ports = shop_ports(**{"app/uninstalled": [AppUninstalled("2026-11-22T07:59:58Z")]})
    marketplaces = Marketplaces(ports.connections, lambda parameter: token, MemoryAudit, lambda: shops)
    ports = ports.replacing(shops=shops)

    outcome = ingest_notification(delivered(ports, "app/uninstalled", {"domain": DOMAIN}), ports, NOW)

    assert outcome.startswith("app uninstalled at 2026-11-22T07:59:58Z")
    with pytest.raises(MarketplaceRefused, match="uninstalled from acme.myshopify.com"):
        marketplaces.actions(SHOP)
    with pytest.raises(HydrationFailed, match="uninstalled"):
        marketplaces.hydrate(delivered(ports), {})
    token.modified_at = "2026-11-23T10:00:00Z"  # reinstalled: the new token is put in its parameter
    assert marketplaces.actions(SHOP) is not None


def test_a_refund_for_an_uninstalled_shop_waits_for_finance_with_the_reason():
    ports = quoted_shopify_return()
    ports.marketplaces.refuse_actions = MarketplaceRefused("our app was uninstalled from acme.myshopify.com")

    result = dispatch_refund(RETURN_ID, ports, NOW, ())

    assert result["payment"] == "failed"
    assert result["error"]["type"] == "PaymentDeclined" and "uninstalled" in result["error"]["message"]
    assert ports.ledger.get(refund_id_for(RETURN_ID)).payment_status == PaymentStatus.FAILED


def test_shopifys_eventbridge_delivery_is_the_same_notification_without_an_hmac():
    from chalicelib.services.ingest_notification import queued_message

    ports = shop_ports()
    payload = fixture("webhook_returns_request")
    event = {
        "version": "0", "id": "0ae1b1a6-3a6d-4c1e-8d1b-1c0a4c1d2e3f", "detail-type": "shopifyWebhook",
        "source": "aws.partner/shopify.com/1234567/aftersales", "account": "123456789012",
        "time": "2026-11-22T07:59:58Z", "region": "us-east-1", "resources": [],
        "detail": {"payload": payload, "metadata": {
            "Content-Type": "application/json", "X-Shopify-Topic": "returns/request", "X-Shopify-Shop-Domain": DOMAIN,
            "X-Shopify-Webhook-Id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043", "X-Shopify-API-Version": "2026-04",
            "X-Shopify-Event-Id": "98880550-7158-44d4-b7cd-2c97c8a091b5", "X-Shopify-Triggered-At": "2026-11-22T07:59:58Z",
        }},
    }

    notice = queued_message(json.dumps(event), ports, NOW)

    assert notice == delivered(ports)  # the webhook's own notification: one dedupes the other
    with pytest.raises(NotAuthenticated):
        queued_message(json.dumps({**event, "detail": {**event["detail"], "metadata": {
            **event["detail"]["metadata"], "X-Shopify-Shop-Domain": "other.myshopify.com"}}}), ports, NOW)


def test_a_cancellation_of_a_shopify_order_is_held_in_shopify_and_goes_on_at_once():
    from chalicelib.services.hold_shipment import hold_shipment
    from chalicelib.services.ingest_event import return_record
    from chalicelib.services.wait_for_event import wait_for_event
    from tests.unit.services.given import cancel_requested

    ports = shop_ports()
    ports.returns.create(return_record(canonical(cancel_requested(f"{SHOP}/C-1", ORDER_ID))))

    assert hold_shipment(f"{SHOP}/C-1", ports, NOW) == {"requested": True, "marketplace": "held"}
    wait_for_event(f"{SHOP}/C-1", "hold", "tok-hold", ports, NOW)

    assert ports.marketplaces.actions(SHOP).calls == [("hold", f"{SHOP}/C-1")]
    assert ports.bus.of("HoldShipmentRequested") == []  # no warehouse of ours to ask
    assert ports.workflows.resumed == [("tok-hold", {"outcome": "held"})]


def test_a_shopify_exchange_is_processed_in_shopify_not_sent_by_our_warehouse():
    from chalicelib.services.notify_outcome import notify_outcome

    ports = shop_ports(**{RETURN_GID: [shopify_order(), shopify_return()]})
    ingest_notification(delivered(ports), ports, NOW)
    ports.returns.update(RETURN_ID, {"exchange": {"replacement": {"sku": "SHOE-43", "unit_price": "25.00", "quantity": 1},
                                                  "currency": "USD", "payment_due": "0.00", "payment_due_minor": 0}})

    assert notify_outcome(RETURN_ID, {"refund": {"exchange": True}}, ports, NOW) == {"outcome": "exchanged"}

    assert ports.marketplaces.actions(SHOP).calls == [("exchange", RETURN_ID)]
    assert ports.bus.of("ReplacementShipmentRequested") == [] and ports.bus.of("PaymentRequested") == []


def test_an_exchange_in_a_marketplace_that_ships_nothing_itself_is_sent_by_our_warehouse():
    from chalicelib.services.notify_outcome import notify_outcome

    ports = shop_ports(**{RETURN_GID: [shopify_order(), shopify_return()]})
    ingest_notification(delivered(ports), ports, NOW)
    ports.returns.update(RETURN_ID, {"exchange": {"replacement": {"sku": "SHOE-43", "unit_price": "25.00", "quantity": 1},
                                                  "currency": "USD", "payment_due": "0.00", "payment_due_minor": 0}})
    ports.marketplaces.actions(SHOP).exchange_outcome = None  # Taobao's and JD's answer

    assert notify_outcome(RETURN_ID, {"refund": {"exchange": True}}, ports, NOW) == {"outcome": "exchanged"}

    assert ports.marketplaces.actions(SHOP).calls == [("exchange", RETURN_ID)]
    [asked] = ports.bus.of("ReplacementShipmentRequested")
    assert asked["sku"] == "SHOE-43"


def test_a_merchant_refund_on_a_return_of_another_amount_is_not_taken_for_ours():
    from chalicelib.ports.errors import PaymentNotConfirmed

    ports = quoted_shopify_return()
    ports.marketplaces.actions(SHOP).refuse = PaymentNotConfirmed("no answer from Shopify")
    assert dispatch_refund(RETURN_ID, ports, NOW, RETRY)["payment"] == "retry"  # ours: sent, its answer lost

    outcome = record_marketplace_refund(merchant_refund("9007199254740993", ref="77", total="5.00"), SHOP, ports, NOW)

    assert outcome == f"refund 77 made in the marketplace recorded as RF-{SHOP}.refund-77"
    ours = ports.ledger.get(refund_id_for(RETURN_ID))
    assert (ours.payment_status, ours.marketplace_refund_id) == (PaymentStatus.SENT, None)


def test_a_dry_run_shops_refund_is_recorded_never_paid_and_leaves_the_orders_refund_account():
    ports = quoted_shopify_return()
    connection = ports.marketplaces.connections[SHOP]
    ports.marketplaces.connections[SHOP] = connection.model_copy(update={"mode": "dry_run"})
    actions = ports.marketplaces.actions(SHOP)
    actions.refund = lambda record, issued: {"dry_run": True}

    result = dispatch_refund(RETURN_ID, ports, NOW, RETRY)

    assert result["payment"] == "dry_run"
    record = ports.ledger.get(refund_id_for(RETURN_ID))
    assert (record.payment_status, record.published_at) == (PaymentStatus.DRY_RUN, None)
    assert ports.orders.get(ORDER_ID).account == RefundAccount()
    assert ports.bus.of("RefundIssued") == []
