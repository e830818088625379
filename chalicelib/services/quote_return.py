"""The workflow's CalculateRefund step: quote with `chalicelib.refunds.quote`, so finance gets what a quote says.

The quote is kept on the return with the order's refund account as it will be
after this refund, and the account version it was computed from: the
dispatch writes that account only if nobody refunded on the order since.
"""

from chalicelib.domain.exchange import plan_exchange
from chalicelib.domain.money import CURRENCY_EXPONENTS, format_minor
from chalicelib.domain.policy import Policy, amount_minor
from chalicelib.domain.return_progress import refund_kind
from chalicelib.refunds import quote
from chalicelib.services.workflow_ports import WorkflowPorts, load_return

# A dispatch that finds the order refunded since its quote sends the workflow back here; this bounds the loop.
MAX_QUOTES = 5
_LINE_FIELDS = ("line_id", "sku", "category", "unit_price", "quantity", "line_discount", "is_gift", "gift_for", "gift_value")


def quote_return(return_id: str, ports: WorkflowPorts) -> dict:
    record = load_return(return_id, ports)
    quotes = record.get("quotes", 0) + 1
    if quotes > MAX_QUOTES:
        raise QuoteKeepsChanging(f"the order of return {return_id} changed under {MAX_QUOTES} quotes in a row")
    order = ports.orders.get(record["order_id"])
    request = quote_request(order, record, Policy.model_validate(record["policy"]))
    result = quote(request)
    accepted = _refunded_units(record)
    exchange = None
    if refund_kind(record) == "return" and not any(accepted.values()):
        outcome = "rejected_at_inspection"
    else:
        if record.get("resolution") == "exchange" and refund_kind(record) == "return":
            exponent = CURRENCY_EXPONENTS[order["currency"]]
            plan = plan_exchange(result, record["replacement"], exponent)
            result = plan.refund
            exchange = {
                "replacement": record["replacement"], "currency": order["currency"],
                "payment_due": format_minor(plan.payment_due_minor, exponent), "payment_due_minor": plan.payment_due_minor,
            }
        outcome = "refund" if result["total_minor"] > 0 else "nothing_to_refund"
    units = dict(order.get("refunded_units", {}))
    for line_id, count in accepted.items():
        units[line_id] = units.get(line_id, 0) + count
    account_after = {
        "refunded_total": order.get("refunded_total", 0) + result["total_minor"],
        "refunded_units": units,
        "shipping_refunded": order.get("shipping_refunded", False)
        or any(entry["code"] == "shipping_refund" for entry in result["entries"]),
    }
    ports.returns.update(
        return_id,
        {
            "quote": result,
            "account_after": account_after,
            "account_version": order.get("refund_version", 0),
            "quotes": quotes,
            "status": "quoted",
            "exchange": exchange,
        },
    )
    return {"outcome": outcome, "total_minor": result["total_minor"], "exchange": exchange is not None}


class QuoteKeepsChanging(Exception):
    """Not transient: the workflow records the failure for a person."""


def quote_request(order: dict, record: dict, policy: Policy) -> dict:
    """The CONTRACTS.md quote request for a stored return of a stored order, under the return's policy."""
    exponent = CURRENCY_EXPONENTS[order["currency"]]
    kind = refund_kind(record)
    refunded_units = order.get("refunded_units", {})
    lines = [
        {
            **{key: line[key] for key in _LINE_FIELDS if key in line},
            "returned_before": refunded_units.get(line["line_id"], 0),
        }
        for line in order["lines"]
    ]
    request = {
        "currency": order["currency"],
        "order": {
            "order_id": order["order_id"],
            "shipping_fee": order["shipping_fee"],
            "order_discount": order.get("order_discount", "0"),
            "refunded_total": format_minor(order.get("refunded_total", 0), exponent),
            "shipping_refunded": order.get("shipping_refunded", False),
            "lines": lines,
        },
        "return": {"kind": kind, "reason": record["reason"], "items": record["items"]},
        "customer": {"customer_id": order["customer_id"], "tier": policy.tier},
        "policy": {
            "max_return_shipping_reimbursement": format_minor(
                amount_minor(policy.max_return_shipping_reimbursement, exponent), exponent
            )
        },
    }
    if kind == "return":
        request["return"]["return_shipping_paid"] = record.get("return_shipping_paid", "0")
        request["inspection"] = {
            "items": record["inspection"]["items"],
            "kept_gifts": record["inspection"].get("kept_gifts", []),
        }
    return request


def _refunded_units(record: dict) -> dict[str, int]:
    if refund_kind(record) == "cancel":
        return {item["line_id"]: item["quantity"] for item in record["items"]}
    return {item["line_id"]: item["accepted"] for item in record["inspection"]["items"]}
