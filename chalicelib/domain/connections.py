"""A shop's connection to its marketplace: one SecureString per connected shop under the connections path,
named by the shop (apart from the tenant registry, so that what calls the marketplace never reads a source's
webhook secrets):

    /aftersales/connections/shopify-acme
    {"platform": "shopify", "domain": "acme.myshopify.com", "mode": "live",
     "access_token_parameter": "/aftersales/shopify/acme/access-token", "api_version": "2026-04"}

`mode` is required: `live` acts in the marketplace, `dry_run` records (in the audit table) and logs exactly what
it would have sent and sends nothing, for a shop that runs beside its people before it hands them the work.
"""

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StrictBool, StringConstraints


class Mode(StrEnum):
    LIVE = "live"
    DRY_RUN = "dry_run"


# Who paid a refund (CONTRACTS.md, `paid_by`).
PAYMENT_PROVIDER = "payment_provider"
MARKETPLACE = "marketplace"

SHOPIFY_DOMAIN = r"[a-z0-9][a-z0-9-]{0,55}\.myshopify\.com"
# The shop name a Shopify shop has in the registry: "shopify-" and its myshopify subdomain (no "." and no "/",
# so it prefixes ids like every shop name).
SHOPIFY_SHOP_PREFIX = "shopify-"


class ShopifyConnection(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    platform: Literal["shopify"]
    domain: Annotated[str, StringConstraints(pattern=rf"^{SHOPIFY_DOMAIN}$")]
    mode: Mode
    # The SSM SecureString holding the app's Admin API access token for this shop.
    access_token_parameter: Annotated[str, StringConstraints(pattern=r"^/aftersales/shopify/[A-Za-z0-9._/-]{1,200}$")]
    api_version: Annotated[str, StringConstraints(pattern=r"^20[0-9]{2}-(01|04|07|10)$")] = "2026-04"
    notify_customer: StrictBool = True
    # The Admin API's origin; https://{domain} unless given (the local cloud's simulated Shopify).
    admin_url: Annotated[str, StringConstraints(pattern=r"^https?://[^\s]{1,300}$")] | None = None

    @property
    def origin(self) -> str:
        return (self.admin_url or f"https://{self.domain}").rstrip("/")


def shopify_shop_name(domain: str) -> str:
    return SHOPIFY_SHOP_PREFIX + domain.removesuffix(".myshopify.com")


Connection = ShopifyConnection


def connection_of(name: str, document: str) -> Connection:
    """One connections entry; ValueError (pydantic's) when it is not one, or not the shop it is named after."""
    connection = ShopifyConnection.model_validate_json(document)
    if shopify_shop_name(connection.domain) != name:
        raise ValueError(f"the connection of {connection.domain} is named {shopify_shop_name(connection.domain)!r}")
    return connection
