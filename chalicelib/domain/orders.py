"""An order as stored: what its last OrderUpserted said, and its refund account (pure).

The refund account (refunded so far, units refunded per line, whether the
outbound shipping was refunded, and its version) lives on the same item and
moves only with a ledger record, in one transaction; new versions of the
order never touch it.
"""

from dataclasses import dataclass, field
from enum import StrEnum

from chalicelib.domain.events import OrderLine
from chalicelib.domain.tenancy import own_id


class OrderStatus(StrEnum):
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


NOT_PAID = frozenset({OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED})


@dataclass(frozen=True, slots=True, kw_only=True)
class RefundAccount:
    refunded_total: int = 0  # minor units
    refunded_units: dict[str, int] = field(default_factory=dict)
    shipping_refunded: bool = False

    def after(self, quote: dict, accepted: dict[str, int]) -> "RefundAccount":
        """The account once this quote is refunded for these accepted units."""
        units = dict(self.refunded_units)
        for line_id, count in accepted.items():
            units[line_id] = units.get(line_id, 0) + count
        return RefundAccount(
            refunded_total=self.refunded_total + quote["total_minor"],
            refunded_units=units,
            shipping_refunded=self.shipping_refunded or any(e["code"] == "shipping_refund" for e in quote["entries"]),
        )

    def as_fields(self) -> dict:
        return {
            "refunded_total": self.refunded_total, "refunded_units": self.refunded_units,
            "shipping_refunded": self.shipping_refunded,
        }


# The fields OrderUpserted carries (the canonical OrderData), as stored.
ORDER_DATA_FIELDS = (
    "order_id", "customer_id", "currency", "status", "paid_at", "shipped_at", "delivered_at", "shipment",
    "payment_ref", "shipping_fee", "order_discount", "lines",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Order:
    order_id: str
    customer_id: str
    currency: str
    status: OrderStatus
    shipping_fee: str
    lines: tuple[OrderLine, ...]  # the canonical order line, amounts as decimal strings
    order_discount: str = "0"
    paid_at: str | None = None
    shipped_at: str | None = None
    delivered_at: str | None = None
    shipment: dict | None = None  # {"carrier", "tracking_number"} of the outbound parcel
    payment_ref: str | None = None
    marketplace: str | None = None
    paid_total_minor: int | None = None
    updated_at: str | None = None  # the source time of the version stored
    account: RefundAccount = field(default_factory=RefundAccount)
    refund_version: int = 0

    @property
    def payment_reference(self) -> str:
        """What the payment provider knows the payment as; the shop's own order id when the shop did not say."""
        return self.payment_ref or own_id(self.order_id)

    def order_data(self) -> dict:
        """The order as its last OrderUpserted said, without the bookkeeping stored next to it."""
        values = {name: getattr(self, name) for name in ORDER_DATA_FIELDS}
        values["lines"] = [line.model_dump(exclude_unset=True) for line in self.lines]
        return {name: value for name, value in values.items() if value is not None}
