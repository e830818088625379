"""A shop's connection to its marketplace: one SecureString per connected shop under the connections path,
named by the shop (apart from the tenant registry, so that what calls the marketplace never reads a source's
webhook secrets):

    /aftersales/connections/shopify-acme
    {"platform": "shopify", "domain": "acme.myshopify.com", "mode": "live",
     "access_token_parameter": "/aftersales/shopify/acme/access-token", "api_version": "2026-04"}

    /aftersales/connections/tmall-acme
    {"platform": "taobao", "store": "tmall", "seller_id": "2206512345678", "seller_nick": "acme旗舰店",
     "mode": "live", "app_key": "12345678", "app_secret_parameter": "/aftersales/taobao/app-secret",
     "session_parameter": "/aftersales/taobao/acme/session", "seller_address_id": "1001"}

    /aftersales/connections/jd-acme
    {"platform": "jd", "vender_id": "10086", "mode": "live", "app_key": "...",
     "app_secret_parameter": "/aftersales/jd/app-secret", "access_token_parameter": "/aftersales/jd/acme/token",
     "operator": {"bu_id": "10086", "pin": "acme_pop", "nick": "aftersales"}, "return_address": {...}}

`mode` is required: `live` acts in the marketplace, `dry_run` records (in the audit table) and logs exactly what
it would have sent and sends nothing, for a shop that runs beside its people before it hands them the work.
"""

from enum import StrEnum
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints, TypeAdapter


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


_Digits = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,20}$")]
_Name = Annotated[str, StringConstraints(min_length=1, max_length=100)]
_Url = Annotated[str, StringConstraints(pattern=r"^https?://[^\s]{1,300}$")]


class TaobaoConnection(BaseModel):
    """A Taobao or Tmall store: TOP calls in the seller's name (its session key), TMC messages by its user id."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    platform: Literal["taobao"]
    # Tmall has a review step before agreeing, and larger per-call refund limits.
    store: Literal["taobao", "tmall"]
    seller_id: _Digits  # TMC's user_id
    seller_nick: _Name
    mode: Mode
    app_key: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z]{1,32}$")]
    app_secret_parameter: Annotated[str, StringConstraints(pattern=r"^/aftersales/taobao/[A-Za-z0-9._/-]{1,200}$")]
    session_parameter: Annotated[str, StringConstraints(pattern=r"^/aftersales/taobao/[A-Za-z0-9._/-]{1,200}$")]
    sign_method: Literal["md5", "hmac"] = "hmac"
    gateway_url: _Url = "https://eco.taobao.com/router/rest"
    tmc_group: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")] = "default"
    # The return address buyers are sent to (taobao.logistics.address.search's contact_id).
    seller_address_id: _Digits
    # The shop's own refuse_reason_id per rule code, over the defaults (connectors/taobao/actions.py).
    refuse_reasons: dict[str, _Digits] = {}


class JdOperator(BaseModel):
    """Who the seller's actions are made as (JD's buId, operatePin, operateNick)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    bu_id: _Digits
    pin: _Name
    nick: _Name


class JdReturnAddress(BaseModel):
    """Where buyers send the goods back: jingdong.asc.audit.send's return address (returnContactName,
    returnContactTel, returnContactMobile, returnZipcode, returnProvince, returnCity, returnCounty, returnVillage,
    returnDetailAddress, returnAddressType).

    JD takes the province, city, county (and town) as the ids of its own area tree, numbers, not names: the names
    are kept for people, the `*_code`s are sent. A connection without the three codes cannot approve in JD (the
    approval refuses before calling it). `address_type` is JD's returnAddressType, whose values JD does not
    publish with the method: the shop's, as its back office shows them; sent only when given. JD marks the zip code
    required too: give it.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    contact_name: _Name
    contact_phone: Annotated[str, StringConstraints(pattern=r"^[0-9+() -]{5,30}$")]
    contact_mobile: Annotated[str, StringConstraints(pattern=r"^[0-9+ -]{5,20}$")] | None = None
    province: _Name
    city: _Name
    county: _Name
    address: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    zip_code: Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")] | None = None
    # Ids of JD's area tree, JSON numbers.
    province_code: Annotated[int, Field(strict=True, ge=1, lt=10**12)] | None = None
    city_code: Annotated[int, Field(strict=True, ge=1, lt=10**12)] | None = None
    county_code: Annotated[int, Field(strict=True, ge=1, lt=10**12)] | None = None
    village_code: Annotated[int, Field(strict=True, ge=1, lt=10**12)] | None = None
    address_type: Annotated[int, Field(strict=True, ge=0, le=999)] | None = None


class JdConnection(BaseModel):
    """A JD POP store: JOS calls with the seller's access token, polled by update time (no push)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    platform: Literal["jd"]
    vender_id: _Digits
    mode: Mode
    app_key: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z]{1,64}$")]
    app_secret_parameter: Annotated[str, StringConstraints(pattern=r"^/aftersales/jd/[A-Za-z0-9._/-]{1,200}$")]
    access_token_parameter: Annotated[str, StringConstraints(pattern=r"^/aftersales/jd/[A-Za-z0-9._/-]{1,200}$")]
    gateway_url: _Url = "https://api.jd.com/routerjson"
    operator: JdOperator
    return_address: JdReturnAddress
    # The shop's own audit reason id per rule code, over the defaults (connectors/jd/actions.py).
    refuse_reasons: dict[str, _Digits] = {}


Connection = Annotated[Union[ShopifyConnection, TaobaoConnection, JdConnection], Field(discriminator="platform")]
_connection = TypeAdapter(Connection)

# The name a shop of each platform has in the registry starts with one of these (Shopify's is derived).
SHOP_NAME_PREFIXES = {"taobao": ("taobao-", "tmall-"), "jd": ("jd-",)}


def connection_of(name: str, document: str) -> Connection:
    """One connections entry; ValueError (pydantic's) when it is not one, or not the shop it is named after."""
    connection = _connection.validate_json(document)
    if isinstance(connection, ShopifyConnection):
        if shopify_shop_name(connection.domain) != name:
            raise ValueError(f"the connection of {connection.domain} is named {shopify_shop_name(connection.domain)!r}")
    elif not name.startswith(SHOP_NAME_PREFIXES[connection.platform]):
        prefixes = " or ".join(repr(p) for p in SHOP_NAME_PREFIXES[connection.platform])
        raise ValueError(f"a {connection.platform} shop's name starts with {prefixes}, not {name!r}")
    return connection
