"""Shopify's records, as the Admin API answers them, turned into canonical events and effects (pure).

Ids: a shop's own id is the number of the resource's GID, as text ("gid://shopify/Order/9007199254740993" ->
"9007199254740993"; never through a float), and the GID is rebuilt from it to act (webhook.gid). Money comes from
the `*Set.presentmentMoney` strings, in the order's presentment currency, to the currency's exact decimals
("10.0" USD -> "10.00"; "10.005" is refused). Times are UTC already.
"""

import re
from decimal import Decimal, InvalidOperation

from chalicelib.connectors.marketplace import MarketplaceRefunded, ParcelLinked
from chalicelib.connectors.shopify.webhook import number_of
from chalicelib.connectors.translated import compact, order_upserted, validated
from chalicelib.domain.events import SOURCE_ID_PATTERN, OrderUpserted, ReturnRequested
from chalicelib.domain.money import CURRENCY_EXPONENTS, format_minor
from chalicelib.ports.errors import HydrationFailed

# Shopify's return reasons (webhooks write them lower-case, the Admin API upper-case) and ours (POLICY.md).
REASONS = {
    "defective": "quality_issue",
    "not_as_described": "not_as_described",
    "wrong_item": "wrong_item",
    "unwanted": "changed_mind",
    "style": "changed_mind",
    "color": "changed_mind",
    "size_too_small": "wrong_size",
    "size_too_large": "wrong_size",
    "other": "other",
    "unknown": "other",
}
# A return has one reason here and one per line in Shopify: the line whose reason puts the most on the seller
# decides (a defective line makes the return a quality claim, whatever else came back with it).
REASON_PRIORITY = ("quality_issue", "not_as_described", "wrong_item", "wrong_size", "changed_mind", "other")

_PAID = frozenset({"PAID", "PARTIALLY_PAID", "PARTIALLY_REFUNDED", "REFUNDED"})
_PAYMENTS = frozenset({"SALE", "CAPTURE"})
_NOTE_LIMIT = 512
_ID = re.compile(SOURCE_ID_PATTERN)


def order_event(order: dict, shop: str, received_at, context: dict) -> OrderUpserted:
    number = _number(order, "Order")
    currency = order.get("presentmentCurrencyCode")
    if currency not in CURRENCY_EXPONENTS:
        raise HydrationFailed(f"order {number} is in {currency!r}, which is not a supported currency")
    lines = order.get("lineItems") or {}
    if (lines.get("pageInfo") or {}).get("hasNextPage"):
        raise HydrationFailed(f"order {number} has more than 250 lines")
    fulfillments = [f for f in order.get("fulfillments") or [] if f.get("status") == "SUCCESS"]
    delivered = sorted(f["deliveredAt"] for f in fulfillments if f.get("deliveredAt"))
    paid = order.get("displayFinancialStatus") in _PAID
    customer = number_of((order.get("customer") or {}).get("id"), "Customer")
    data = {
        "order_id": number,
        "customer_id": customer or f"guest-{number}",
        "currency": currency,
        "status": _order_status(order, paid, fulfillments, delivered),
        "paid_at": order.get("processedAt") if paid else None,
        "shipped_at": min((f["createdAt"] for f in fulfillments), default=None),
        "delivered_at": delivered[-1] if delivered else None,
        "shipment": _outbound_parcel(fulfillments),
        "payment_ref": _payment(order),
        "shipping_fee": amount(order.get("totalShippingPriceSet"), currency),
        "lines": [_line(line, currency) for line in lines.get("nodes") or [] if line.get("quantity")],
    }
    return order_upserted({
        "event_id": f"order-{number}-{compact(order.get('updatedAt'))}", "source": shop,
        "occurred_at": order.get("updatedAt"), "received_at": received_at, "data": data,
    }, context, f"order {number}")


def return_event(
    record: dict, order_number: str, currency: str, shop: str, received_at, context: dict,
) -> ReturnRequested:
    number = _number(record, "Return")
    units: dict[str, int] = {}
    reasons, notes = [], []
    for line in (record.get("returnLineItems") or {}).get("nodes") or []:
        line_id = number_of(((line.get("fulfillmentLineItem") or {}).get("lineItem") or {}).get("id"), "LineItem")
        if line_id is None or not line.get("quantity"):
            continue
        units[line_id] = units.get(line_id, 0) + line["quantity"]
        reasons.append(REASONS.get(str(line.get("returnReason") or "other").lower(), "other"))
        notes += [text for text in (line.get("customerNote"), line.get("returnReasonNote")) if text]
    data = {
        "return_id": number, "order_id": order_number,
        "reason": min(reasons, key=REASON_PRIORITY.index) if reasons else "other",
        "items": [{"line_id": line_id, "quantity": quantity} for line_id, quantity in units.items()],
    }
    if notes:
        data["note"] = "; ".join(notes)[:_NOTE_LIMIT]
    parcel = return_parcel(record)
    if parcel:
        data["shipment"] = {"carrier": parcel[0], "tracking_number": parcel[1]}
    replacement = _replacement(record, currency)
    if replacement:
        data.update(resolution="exchange", replacement=replacement)
    return validated(ReturnRequested, {
        "event_id": f"return-{number}-requested", "source": shop, "occurred_at": record.get("createdAt"),
        "received_at": received_at, "data": data,
    }, context, f"return {number}")


def _replacement(record: dict, currency: str) -> dict | None:
    """What the buyer asked for instead of money: the return's exchange line (one per return here)."""
    for line in (record.get("exchangeLineItems") or {}).get("nodes") or []:
        for item in line.get("lineItems") or []:
            if item.get("sku") and line.get("quantity"):
                return {"sku": item["sku"], "unit_price": amount(item.get("originalUnitPriceSet"), currency),
                        "quantity": line["quantity"]}
    return None


def return_parcel(record: dict) -> tuple[str, str] | None:
    """The return parcel's carrier and tracking number: the latest reverse delivery that has them."""
    found = None
    for order in (record.get("reverseFulfillmentOrders") or {}).get("nodes") or []:
        for delivery in (order.get("reverseDeliveries") or {}).get("nodes") or []:
            found = parcel_of(delivery) or found
    return found


def parcel_of(delivery: dict) -> tuple[str, str] | None:
    tracking = (delivery.get("deliverable") or {}).get("tracking") or {}
    return _parcel(tracking.get("carrierName"), tracking.get("number"))


def parcel_link(delivery: dict) -> ParcelLinked | None:
    parcel = parcel_of(delivery)
    returned = number_of((((delivery.get("reverseFulfillmentOrder") or {}).get("return")) or {}).get("id"), "Return")
    return ParcelLinked(returned, *parcel) if parcel and returned else None


def refund_effect(refund: dict, currency: str) -> MarketplaceRefunded:
    number = _number(refund, "Refund")
    total = amount(refund.get("totalRefundedSet"), currency)
    units: dict[str, int] = {}
    for line in (refund.get("refundLineItems") or {}).get("nodes") or []:
        line_id = number_of((line.get("lineItem") or {}).get("id"), "LineItem")
        if line_id and line.get("quantity"):
            units[line_id] = units.get(line_id, 0) + line["quantity"]
    return MarketplaceRefunded(
        refund_ref=number,
        order_id=number_of((refund.get("order") or {}).get("id"), "Order") or "",
        return_id=number_of((refund.get("return") or {}).get("id"), "Return"),
        currency=currency, total=total, units=units, created_at=refund.get("createdAt") or "", note=refund.get("note"),
    )


def amount(money_set: dict | None, currency: str) -> str:
    """A `*Set` amount in the currency's exact decimals; an amount with more decimals than it has is refused."""
    money = (money_set or {}).get("presentmentMoney") or {}
    exponent = CURRENCY_EXPONENTS[currency]
    try:
        value = Decimal(str(money.get("amount", "0")))
        minor = value.scaleb(exponent)
    except (InvalidOperation, ValueError):
        raise HydrationFailed(f"{money.get('amount')!r} is not an amount") from None
    if money.get("currencyCode", currency) != currency:
        raise HydrationFailed(f"an amount is in {money.get('currencyCode')}, the order in {currency}")
    if not minor.is_finite() or minor != minor.to_integral_value() or minor < 0:
        raise HydrationFailed(f"{money.get('amount')!r} is not an amount in {currency}")
    return format_minor(int(minor), exponent)


def carrier_id(name: str) -> str:
    """Shopify's carrier name as a carrier id of ours: "DHL Express" -> "dhl-express"."""
    return "-".join("".join(c if c.isascii() and c.isalnum() else " " for c in name.lower()).split())


def _order_status(order: dict, paid: bool, fulfillments: list, delivered: list) -> str:
    if order.get("cancelledAt"):
        return "cancelled"
    if delivered:
        return "delivered"
    if fulfillments:
        return "shipped"
    return "paid" if paid else "pending_payment"


def _line(line: dict, currency: str) -> dict:
    discount = sum(
        (Decimal(amount(allocation.get("allocatedAmountSet"), currency)) for allocation in line.get("discountAllocations") or []),
        Decimal(0),
    )
    sku = line.get("sku") or None
    category = (line.get("product") or {}).get("productType") or None
    return {
        "line_id": _number(line, "LineItem"), "quantity": line["quantity"],
        "unit_price": amount(line.get("originalUnitPriceSet"), currency),
        "line_discount": format_minor(int(discount.scaleb(CURRENCY_EXPONENTS[currency])), CURRENCY_EXPONENTS[currency]),
        **({"sku": sku} if sku else {}), **({"category": category} if category else {}),
    }


def _outbound_parcel(fulfillments: list) -> dict | None:
    for fulfillment in fulfillments:
        for tracking in fulfillment.get("trackingInfo") or []:
            parcel = _parcel(tracking.get("company"), tracking.get("number"))
            if parcel:
                return {"carrier": parcel[0], "tracking_number": parcel[1]}
    return None


def _parcel(carrier: object, number: object) -> tuple[str, str] | None:
    if not (isinstance(carrier, str) and isinstance(number, str)):
        return None
    carrier = carrier_id(carrier)
    return (carrier, number) if _ID.fullmatch(carrier) and _ID.fullmatch(number) else None


def _payment(order: dict) -> str | None:
    """The order's payment a refund goes back to (the parent transaction of Shopify's refund)."""
    for transaction in order.get("transactions") or []:
        if transaction.get("kind") in _PAYMENTS and transaction.get("status") == "SUCCESS":
            return number_of(transaction.get("id"), "OrderTransaction")
    return None


def _number(record: dict, kind: str) -> str:
    number = number_of(record.get("id"), kind)
    if number is None:
        raise HydrationFailed(f"Shopify answered a {kind} without its id: {record.get('id')!r}")
    return number
