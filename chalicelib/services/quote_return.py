"""The workflow's CalculateRefund step: quote with `chalicelib.refunds.quote`, so finance gets what a quote says.

The quote is kept on the return with the order's refund account as it will be
after this refund, and the account version it was computed from: the
dispatch writes that account only if nobody refunded on the order since.
"""

from chalicelib.bootstrap import Ports
from chalicelib.domain.exchange import plan_exchange
from chalicelib.domain.ledger import refund_id_for
from chalicelib.domain.money import CURRENCY_EXPONENTS, format_minor, major_to_minor
from chalicelib.domain.orders import Order
from chalicelib.domain.policy import Policy
from chalicelib.domain.returns import Return, ReturnStatus
from chalicelib.domain.tenancy import own_id
from chalicelib.refunds import quote
from chalicelib.services.stored_return import load_return

# A dispatch that finds the order refunded since its quote sends the workflow back here; this bounds the loop.
MAX_QUOTES = 5


class QuoteKeepsChanging(Exception):
    """Not transient: the workflow records the failure for a person."""


def quote_return(return_id: str, ports: Ports) -> dict:
    record = load_return(return_id, ports)
    if record.quote and ports.ledger.get(refund_id_for(return_id)):
        # Refunded under this quote already (a person retried a later step): quoting again would count the
        # return's own units as returned before; the ledger record and the quote stay as they are.
        return {"outcome": "refund", "total_minor": record.quote["total_minor"], "exchange": record.exchange is not None}
    quotes = record.quotes + 1
    if quotes > MAX_QUOTES:
        raise QuoteKeepsChanging(f"the order of return {return_id} changed under {MAX_QUOTES} quotes in a row")
    order = ports.orders.get(record.order_id)
    result = quote(quote_request(order, record, Policy.model_validate(record.policy)))
    accepted = _refunded_units(record)
    exchange = None
    if record.refund_kind == "return" and not any(accepted.values()):
        outcome = "rejected_at_inspection"
    else:
        if record.resolution == "exchange" and record.refund_kind == "return":
            exponent = CURRENCY_EXPONENTS[order.currency]
            plan = plan_exchange(result, record.replacement, exponent)
            result = plan.refund
            exchange = {
                "replacement": record.replacement, "currency": order.currency,
                "payment_due": format_minor(plan.payment_due_minor, exponent), "payment_due_minor": plan.payment_due_minor,
            }
        outcome = "refund" if result["total_minor"] > 0 else "nothing_to_refund"
    ports.returns.update(return_id, {
        "quote": result, "account_after": order.account.after(result, accepted).as_fields(),
        "account_version": order.refund_version, "quotes": quotes, "status": ReturnStatus.QUOTED, "exchange": exchange,
    })
    return {"outcome": outcome, "total_minor": result["total_minor"], "exchange": exchange is not None}


def quote_request(order: Order, record: Return, policy: Policy) -> dict:
    """The CONTRACTS.md quote request for a stored return of a stored order, under the return's policy."""
    exponent = CURRENCY_EXPONENTS[order.currency]
    kind = record.refund_kind
    refunded_units = order.account.refunded_units
    lines = [
        {**line.model_dump(exclude_unset=True), "returned_before": refunded_units.get(line.line_id, 0)}
        for line in order.lines
    ]
    request = {
        "currency": order.currency,
        "order": {
            "order_id": own_id(order.order_id),  # the quote contract's id: the shop's own (at most 128)
            "shipping_fee": order.shipping_fee,
            "order_discount": order.order_discount,
            "refunded_total": format_minor(order.account.refunded_total, exponent),
            "shipping_refunded": order.account.shipping_refunded,
            "lines": lines,
        },
        "return": {"kind": kind, "reason": record.reason, "items": record.items},
        "customer": {"customer_id": own_id(order.customer_id), "tier": policy.tier},
        "policy": {
            "max_return_shipping_reimbursement": format_minor(
                major_to_minor(policy.max_return_shipping_reimbursement, exponent), exponent
            )
        },
    }
    if kind == "return":
        request["return"]["return_shipping_paid"] = record.return_shipping_paid or "0"
        request["inspection"] = {"items": record.inspection["items"], "kept_gifts": record.inspection.get("kept_gifts", [])}
    return request


def _refunded_units(record: Return) -> dict[str, int]:
    """What the refund pays for: the accepted units of a parcel back, else (a cancellation, a refund-only request)
    every requested unit."""
    if record.refund_kind != "return":
        return {item["line_id"]: item["quantity"] for item in record.items}
    return {item["line_id"]: item["accepted"] for item in record.inspection["items"]}
