"""Shopify's notifications through the real consumer on moto: hydrated with the shop's access token from SSM and
applied; one that cannot be hydrated is retried and lands in the DLQ with its reason; app/uninstalled kept in the
shops table stops what is sent to the shop."""

import json
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.bootstrap import bootstrap
from chalicelib.connectors.shopify.webhook import number_of
from chalicelib.domain.events import MarketplaceNotified
from chalicelib.ports.errors import MarketplaceRefused
from infra.redrive import dead_letters
from localcloud.cloud import SHOPIFY_SOURCE, clear_caches, shopify_connection
from localcloud.shopify_service import ShopifyService
from tests.integration.test_ingest_consumer_on_moto import drain, executions, send

DOMAIN, SHOP, TOKEN = "acme.myshopify.com", "shopify-acme", "shpat_moto_token"
NOW = datetime.now(timezone.utc).replace(microsecond=0)


@pytest.fixture
def shopify(aws):
    service = ShopifyService({DOMAIN: TOKEN}).start()
    connection = shopify_connection(DOMAIN, "live", service.url)
    ssm = aws["session"].client("ssm")
    ssm.put_parameter(Name=f"/aftersales/sources/{SHOP}", Value=json.dumps(SHOPIFY_SOURCE), Type="SecureString")
    ssm.put_parameter(Name=f"/aftersales/connections/{SHOP}", Value=json.dumps(connection), Type="SecureString")
    ssm.put_parameter(Name=connection["access_token_parameter"], Value=TOKEN, Type="SecureString")
    clear_caches(aws["session"])
    yield service
    service.stop()


def notice(topic: str, resource: str | None, webhook_id: str, at: datetime = NOW) -> str:
    return MarketplaceNotified(
        event_id=f"{SHOP}/wh-{webhook_id}", source=SHOP, occurred_at=at, received_at=at,
        data={"platform": "shopify", "topic": topic, "resource": resource},
    ).model_dump_json()


def test_a_return_request_is_hydrated_with_the_shops_token_and_starts_its_workflow(aws, shopify):
    order = shopify.create_order(DOMAIN, [{"sku": "SHOE-42", "quantity": 1, "price": "25.00"}])
    shopify.fulfill(DOMAIN, order["order"], delivered_at=NOW)
    returned = shopify.request_return(DOMAIN, order["order"], [(order["lines"][0], 1, "size_too_small")])

    send(aws, notice("returns/request", returned, "1"), notice("returns/request", returned, "1"))
    drain(aws)

    assert executions(aws) == [f"{SHOP}.{number_of(returned, 'Return')}"]
    stored = aws["dynamodb"].Table("aftersales-returns").get_item(
        Key={"return_id": f"{SHOP}/{number_of(returned, 'Return')}"})["Item"]
    assert (stored["reason"], stored["marketplace_status"]) == ("wrong_size", "requested")
    assert shopify.calls["AftersalesReturn"] == 1  # the second copy was a duplicate: not hydrated again


def test_a_notification_shopify_cannot_answer_lands_in_the_dlq_with_the_reason(aws, shopify):
    send(aws, notice("returns/request", "gid://shopify/Return/1", "2"))
    drain(aws)

    [letter] = dead_letters(aws["sqs"], aws["dlq_url"], bootstrap().event_log, hide_seconds=1)
    assert letter["failure"]["error_type"] == "HydrationFailed"
    assert letter["failure"]["error"] == "Shopify has no gid://shopify/Return/1 (yet)"
    assert letter["failure"]["failures"] == 2  # retried once, then dead


def test_app_uninstalled_is_kept_and_nothing_more_is_sent_to_the_shop(aws, shopify):
    later = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(seconds=2)  # after the token was put
    send(aws, notice("app/uninstalled", None, "3", later))
    drain(aws)

    item = aws["dynamodb"].Table("aftersales-shops").get_item(Key={"shop": SHOP})["Item"]
    assert item["uninstalled_at"] == later.strftime("%Y-%m-%dT%H:%M:%SZ")
    with pytest.raises(MarketplaceRefused, match="uninstalled"):
        bootstrap().marketplaces.actions(SHOP)
