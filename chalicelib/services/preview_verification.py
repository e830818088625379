"""What the verifier would decide for a return request, with no side effects (a dry run for staff)."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from chalicelib.bootstrap import Ports
from chalicelib.domain.clock import iso_utc
from chalicelib.domain.errors import InvalidInput, from_validation_error
from chalicelib.domain.events import (
    Amount,
    EvidenceUrl,
    Id,
    OrderData,
    ReturnLine,
    ShopName,
    UtcTime,
    check_order_amounts,
    edge_context,
)
from chalicelib.domain.money import CURRENCY_EXPONENTS, AmountError, parse_minor
from chalicelib.domain.orders import Order, OrderStatus
from chalicelib.domain.policy import DEFAULT_TIER
from chalicelib.domain.quote_request import Reason, Tier
from chalicelib.domain.returns import Return
from chalicelib.domain.staff_keys import Role, Staff
from chalicelib.domain.tenancy import qualified
from chalicelib.services.authenticate_staff import require
from chalicelib.services.verify_return import customer_tier, decide


class PreviewRequest(BaseModel):
    """A return request as a marketplace would send it, with the order inline or stored (by `order_id`)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    shop: ShopName | None = None
    order_id: Id | None = None
    order: OrderData | None = None
    reason: Reason
    items: Annotated[list[ReturnLine], Field(min_length=1, max_length=500)]
    evidence_urls: Annotated[list[EvidenceUrl], Field(max_length=20)] = []
    return_shipping_paid: Amount = "0"
    marketplace: Id | None = None
    tier: Tier | None = None
    requested_at: UtcTime | None = None
    returns_30d: Annotated[int, Field(ge=0, le=100_000)] | None = None

    @model_validator(mode="after")
    def _one_order(self) -> "PreviewRequest":
        if self.order is None and self.order_id is None:
            raise ValueError("give the order inline (order) or the id of a stored one (order_id, with its shop)")
        return self


def preview_verification(payload: object, staff: Staff, ports: Ports, now: datetime) -> dict:
    require(staff, Role.AFTER_SALES)
    try:
        preview = PreviewRequest.model_validate(
            payload, context=edge_context(now, ports.config.past_days, ports.config.future_hours)
        )
    except ValidationError as error:
        raise from_validation_error(error) from None
    if preview.order is None and preview.shop is None:
        raise InvalidInput("shop", "a stored order is named by its shop and order_id: give the shop", "missing_field")
    if preview.order is not None:
        check_order_amounts(preview.order, prefix="order")
        data = preview.order.model_dump(mode="json", exclude_none=True)
        if preview.shop:  # the customer's tier and returns are the shop's records
            data["customer_id"] = qualified(preview.shop, data["customer_id"])
        order = Order(**{**data, "status": OrderStatus(data["status"]), "lines": preview.order.lines})
    else:
        order = ports.orders.get(qualified(preview.shop, preview.order_id))
    if order is not None:
        try:
            parse_minor(preview.return_shipping_paid, CURRENCY_EXPONENTS[order.currency])
        except AmountError as error:
            raise InvalidInput("return_shipping_paid", f"{error} ({order.currency})") from None
    marketplace = preview.marketplace or (order.marketplace if order else None)
    tier = preview.tier or (customer_tier(order.customer_id, ports) if order else DEFAULT_TIER)
    policy = ports.policies.current().resolve(marketplace, tier)
    record = Return(
        return_id="preview", reason=preview.reason, items=[item.model_dump() for item in preview.items],
        evidence_urls=list(preview.evidence_urls), return_shipping_paid=preview.return_shipping_paid,
        requested_at=iso_utc(preview.requested_at or now),
    )
    decision = decide(order, record, policy, ports, preview.returns_30d)
    return {**decision.model_dump(mode="json"), "policy": policy.model_dump(mode="json"), "dry_run": True}
