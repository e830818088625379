"""Canonical events: every marketplace, carrier or warehouse payload becomes one of these.

`event_id` is the source's own id (the dedupe key), `occurred_at` the source's
time, `received_at` when our webhook accepted it.
"""

from datetime import datetime, timedelta, timezone
from typing import Annotated, Literal, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    TypeAdapter,
    ValidationInfo,
    field_validator,
    model_validator,
)

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.money import ANY_AMOUNT_PATTERN, CURRENCY_EXPONENTS, AmountError, parse_minor
from chalicelib.domain.quote_request import Label, PositiveUnits, Reason, Units

SOURCE_ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}"
SHOP_PATTERN = r"[a-z0-9][a-z0-9_-]{0,63}"


def _as_sent(value: str, info: ValidationInfo) -> str:
    """What a source sends is its own id; inside, ids are tenant-qualified ("shop/id") and only those carry a "/"."""
    if "/" in value and isinstance(info.context, dict) and "now" in info.context:
        raise ValueError("must not contain '/': use letters, digits and . _ : - (at most 128 characters)")
    return value


# A source's own id, or one qualified by its tenant (domain/tenancy.py). Letters, digits and ". _ : -", at most 128:
# what DynamoDB keys, S3 keys, SQS attributes and (through execution_names) Step Functions all accept.
Id = Annotated[
    str,
    StringConstraints(min_length=1, max_length=193, pattern=rf"^(?:{SHOP_PATTERN}/)?{SOURCE_ID_PATTERN}$"),
    AfterValidator(_as_sent),
]
# A shop's (and a source's) name: lower-case, without "." or "/", so it can prefix ids and execution names.
ShopName = Annotated[str, StringConstraints(pattern=rf"^{SHOP_PATTERN}$")]
Text = Annotated[str, StringConstraints(max_length=512)]
# An amount whose currency is not in the same event: its exact scale is checked when the order is known.
Amount = Annotated[str, StringConstraints(pattern=ANY_AMOUNT_PATTERN)]

TrackingStatus = Literal[
    "pending", "info_received", "in_transit", "out_for_delivery", "attempt_fail", "delivered",
    "available_for_pickup", "exception", "expired", "returned_to_sender",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


def _utc(value: datetime, info: ValidationInfo) -> datetime:
    """In UTC; at the edge (a context with "now") also within the window around our clock, so that no date
    accepted there overflows later or freezes a record with a time from the far future."""
    if value.tzinfo is None:
        raise ValueError("must carry a time zone, e.g. 2026-11-22T08:00:00Z")
    try:
        value = value.astimezone(timezone.utc)
    except OverflowError:
        raise ValueError("is out of range") from None
    window = info.context if isinstance(info.context, dict) else {}
    if "now" in window:
        now = window["now"]
        if not now - window["past"] <= value <= now + window["future"]:
            raise ValueError(
                f"must be within {window['past'].days} days before and {window['future'].total_seconds() / 3600:g}"
                " hours after now"
            )
    return value


UtcTime = Annotated[datetime, AfterValidator(_utc)]


def edge_context(now: datetime, past_days: int, future_hours: int) -> dict:
    """The validation context of what arrives from outside: its ids as sent, its times within the window."""
    return {"now": now, "past": timedelta(days=past_days), "future": timedelta(hours=future_hours)}


class OrderLine(_Model):
    line_id: Id
    sku: Label | None = None
    category: Label | None = None
    unit_price: Amount
    quantity: PositiveUnits
    line_discount: Amount = "0"
    is_gift: StrictBool = False
    gift_for: Id | None = None
    gift_value: Amount = "0"


class ParcelRef(_Model):
    """A parcel by its carrier and tracking number, as a source names it."""

    carrier: Id
    tracking_number: Id


class OrderData(_Model):
    order_id: Id
    customer_id: Id
    currency: str
    status: Literal["pending_payment", "paid", "shipped", "delivered", "cancelled"]
    paid_at: UtcTime | None = None
    shipped_at: UtcTime | None = None
    delivered_at: UtcTime | None = None
    shipment: ParcelRef | None = None
    payment_ref: Id | None = None  # what the payment provider knows the payment as; the order id when absent
    shipping_fee: Amount
    order_discount: Amount = "0"
    lines: Annotated[list[OrderLine], Field(min_length=1, max_length=500)]

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        if value not in CURRENCY_EXPONENTS:
            raise ValueError(f"{value!r} is not a supported currency")
        return value


class ReturnLine(_Model):
    line_id: Id
    quantity: PositiveUnits


EvidenceUrl = Annotated[str, StringConstraints(min_length=1, max_length=2048)]


class Replacement(_Model):
    """What the buyer gets instead of a refund, in an exchange."""

    sku: Id
    unit_price: Amount
    quantity: PositiveUnits = 1
    # A swap like for like (a Tmall exchange): worth what the goods sent back are, whatever its price says, so it
    # refunds nothing and asks for nothing.
    like_for_like: StrictBool | None = None


class ReturnData(_Model):
    return_id: Id
    order_id: Id
    reason: Reason
    items: Annotated[list[ReturnLine], Field(min_length=1, max_length=500)]
    # "refund_only": money without sending the goods back (POLICY.md section 8; Taobao's dispute_type REFUND).
    resolution: Literal["refund", "exchange", "refund_only"] = "refund"
    evidence_urls: Annotated[list[EvidenceUrl], Field(max_length=20)] = []
    return_shipping_paid: Amount = "0"
    shipment: ParcelRef | None = None  # the return parcel; of a refund-only request, the outbound one to intercept
    note: Text | None = None
    replacement: Replacement | None = None

    @model_validator(mode="after")
    def _exchange_names_its_replacement(self) -> "ReturnData":
        if self.resolution == "exchange" and self.replacement is None:
            raise ValueError("an exchange needs its replacement (sku, unit_price, quantity)")
        if self.resolution == "refund_only" and self.replacement is not None:
            raise ValueError("a refund-only request has no replacement: ask for an exchange instead")
        return self


class CancelData(_Model):
    return_id: Id
    order_id: Id
    reason: Reason
    items: Annotated[list[ReturnLine], Field(min_length=1, max_length=500)]


class EvidenceData(_Model):
    """Photos or documents added to a return after its request (a quality claim's evidence)."""

    return_id: Id
    evidence_urls: Annotated[list[EvidenceUrl], Field(min_length=1, max_length=20)]


class HoldAnswerData(_Model):
    """The warehouse's answer to HoldShipmentRequested: the cancelled lines are held, or they had already left."""

    return_id: Id
    outcome: Literal["held", "already_shipped"]
    shipment: ParcelRef | None = None


class TrackingData(_Model):
    carrier: Id
    tracking_number: Id
    status: TrackingStatus
    return_id: Id | None = None
    location: Text | None = None
    description: Text | None = None


class Deduction(_Model):
    code: Id
    amount: Amount


class InspectedLine(_Model):
    line_id: Id
    accepted: Units
    deductions: Annotated[list[Deduction], Field(max_length=50)] = []


class InspectionData(_Model):
    return_id: Id
    items: Annotated[list[InspectedLine], Field(min_length=1, max_length=500)]
    kept_gifts: Annotated[list[Id], Field(max_length=500)] = []


class ReplacementData(_Model):
    """The warehouse sent an exchange's replacement: the parcel it went in."""

    return_id: Id
    shipment: ParcelRef


class _Event(_Model):
    event_id: Id
    source: Id
    occurred_at: UtcTime
    received_at: UtcTime


class OrderUpserted(_Event):
    type: Literal["OrderUpserted"] = "OrderUpserted"
    data: OrderData


class ReturnRequested(_Event):
    type: Literal["ReturnRequested"] = "ReturnRequested"
    data: ReturnData


class CancelRequested(_Event):
    type: Literal["CancelRequested"] = "CancelRequested"
    data: CancelData


class EvidenceAdded(_Event):
    type: Literal["EvidenceAdded"] = "EvidenceAdded"
    data: EvidenceData


class HoldShipmentAnswered(_Event):
    type: Literal["HoldShipmentAnswered"] = "HoldShipmentAnswered"
    data: HoldAnswerData


class TrackingUpdated(_Event):
    type: Literal["TrackingUpdated"] = "TrackingUpdated"
    data: TrackingData


class InspectionCompleted(_Event):
    type: Literal["InspectionCompleted"] = "InspectionCompleted"
    data: InspectionData


class ReplacementShipped(_Event):
    type: Literal["ReplacementShipped"] = "ReplacementShipped"
    data: ReplacementData


_EVENT_CLASSES = (
    OrderUpserted, ReturnRequested, CancelRequested, EvidenceAdded, HoldShipmentAnswered, TrackingUpdated,
    InspectionCompleted, ReplacementShipped,
)
CanonicalEvent = Annotated[Union[_EVENT_CLASSES], Field(discriminator="type")]
EVENT_TYPES = tuple(cls.model_fields["type"].default for cls in _EVENT_CLASSES)
# Built once per cold start and shared by the webhook and the consumer.
canonical_events = TypeAdapter(CanonicalEvent, config=ConfigDict(defer_build=True))

# A marketplace's resource id as the marketplace writes it ("gid://shopify/Return/9007199254740993").
# What a notification is about: a Shopify GID, or "<platform>/<kind>/<id>" (taobao/refund/..., jd/service/...).
PlatformId = Annotated[str, StringConstraints(
    pattern=r"^(gid://shopify/[A-Za-z]{1,40}/[0-9]{1,20}|(taobao|jd)/[a-z_]{1,40}/[0-9]{1,20})$",
)]


class NotificationData(_Model):
    platform: Literal["shopify", "taobao", "jd"]
    # Shopify's "returns/request", TMC's "taobao_refund_RefundCreated", "jd/asc_sync" for a JD poll's change.
    topic: Annotated[str, StringConstraints(pattern=r"^[A-Za-z_]{1,60}(/[a-z_]{1,40})?$")]
    resource: PlatformId | None = None  # what it is about; none for the shop itself (app/uninstalled)
    platform_event_id: Annotated[str, StringConstraints(max_length=128)] | None = None


class MarketplaceNotified(_Event):
    """A marketplace's notification: a hint, not a fact. The consumer reads the resource it names from the
    marketplace (hydration) and applies the canonical events that come of it; no source can send it as one."""

    type: Literal["MarketplaceNotified"] = "MarketplaceNotified"
    data: NotificationData


# What the ingest queue carries: the canonical events, and the notifications the consumer hydrates.
queued_messages = TypeAdapter(
    Annotated[Union[(*_EVENT_CLASSES, MarketplaceNotified)], Field(discriminator="type")],
    config=ConfigDict(defer_build=True),
)


def check_order_amounts(order: OrderData, prefix: str = "data") -> None:
    """Every amount of an order must have exactly its currency's decimals; names the first that does not."""
    exponent = CURRENCY_EXPONENTS[order.currency]
    fields = [("shipping_fee", order.shipping_fee), ("order_discount", order.order_discount)]
    for i, line in enumerate(order.lines):
        fields += [(f"lines[{i}].{name}", getattr(line, name)) for name in ("unit_price", "line_discount", "gift_value")]
    for name, value in fields:
        try:
            parse_minor(value, exponent)
        except AmountError as error:
            raise InvalidInput(f"{prefix}.{name}", f"{error} ({order.currency})") from None
