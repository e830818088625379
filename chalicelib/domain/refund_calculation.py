"""The refund quote of POLICY.md section 3, in integer minor units.

Pure: the same request always gives the same cents, which is what finance
reconciles against.
"""

from chalicelib.domain.money import format_minor, round_half_up
from chalicelib.domain.order_amounts import order_amounts
from chalicelib.domain.quote_request import SELLER_FAULT_REASONS, QuoteRequest

DEFAULT_MAX_RETURN_SHIPPING_UNITS = 30


def calculate_refund(request: QuoteRequest, exponent: int) -> dict:
    """The quote of CONTRACTS.md for a request completed and checked by `parse_quote_request`.

    Entries are built in their contract shape as the rules go (amounts as
    strings, the total kept in minor units alongside): the quote is on the
    hot path, and a second pass turning records into dicts cost a tenth of it.

    A refund-only request (POLICY.md section 8) is the item refund of its
    requested units and nothing else: no deductions and no return postage (no
    parcel comes back), and no outbound shipping either. Rule 4 refunds that
    fee when every unit "has been returned", and here none is: the buyer keeps
    the goods, or the carrier brings an intercepted parcel back, the shipping
    having been used. Only the order cap still applies. A refund-only request
    made before shipment is a cancellation, and quoted as one.
    """
    order = request["order"]
    ask = request["return"]
    kind = ask["kind"]
    cancel = kind == "cancel"
    parcel_back = kind == "return"
    seller_fault = ask["reason"] in SELLER_FAULT_REASONS
    inspection = request["inspection"]
    net_lines, paid_total = order_amounts(order)
    requested = {item["line_id"]: item["quantity"] for item in ask["items"]}
    kept_gifts = ()
    if inspection:
        inspected = {item["line_id"]: item for item in inspection["items"]}
        if inspection["kept_gifts"]:
            kept_gifts = [line for line in order["lines"] if line["line_id"] in inspection["kept_gifts"]]
        verb = "accepted"
    else:
        verb = _VERBS[kind]

    entries = []
    total = 0
    units_bought = 0
    units_back = 0
    units_accepted = 0
    for line in order["lines"]:
        if line["is_gift"]:
            continue
        line_id = line["line_id"]
        n = line["quantity"]
        p = line["returned_before"]
        units_bought += n
        k = requested.get(line_id)
        if k is None:
            units_back += p
            continue
        deductions = ()
        if inspection:
            result = inspected[line_id]
            k = result["accepted"]
            deductions = result["deductions"]
        units_back += p + k
        units_accepted += k
        net = net_lines[line_id]
        item = round_half_up(net * (p + k), n) - round_half_up(net * p, n)
        entries.append(
            {
                "code": "item",
                "line_id": line_id,
                "amount": format_minor(item, exponent),
                "reason": f"{k} of {n} units {verb} ({p} returned before); "
                f"the line cost the buyer {format_minor(net, exponent)}",
            }
        )
        remaining = item
        for deduction in deductions:
            applied = min(deduction["amount"], remaining)
            remaining -= applied
            reason = _limited(f"warehouse deduction {deduction['code']}", deduction["amount"], applied, exponent)
            entries.append(
                {"code": "deduction", "line_id": line_id, "amount": format_minor(-applied, exponent), "reason": reason}
            )
        if kept_gifts and k and p + k == n:
            for gift in kept_gifts:
                if gift["gift_for"] == line_id and gift["gift_value"]:
                    applied = min(gift["gift_value"], remaining)
                    remaining -= applied
                    reason = f"free gift {gift['line_id']} kept although every unit of {line_id} came back"
                    entries.append(
                        {
                            "code": "kept_gift",
                            "line_id": gift["line_id"],
                            "amount": format_minor(-applied, exponent),
                            "reason": _limited(reason, gift["gift_value"], applied, exponent),
                        }
                    )
        total += remaining

    rejected_at_inspection = inspection is not None and units_accepted == 0
    shipping_fee = order["shipping_fee"]
    if (
        shipping_fee
        and not order["shipping_refunded"]
        and not rejected_at_inspection
        and units_back == units_bought
        and (cancel or (parcel_back and seller_fault))
    ):
        why = "every item cancelled before shipment" if cancel else f"seller-fault reason {ask['reason']} and every item returned"
        total += shipping_fee
        entries.append(
            {
                "code": "shipping_refund",
                "line_id": None,
                "amount": format_minor(shipping_fee, exponent),
                "reason": f"outbound shipping refunded: {why}",
            }
        )

    postage = ask["return_shipping_paid"]
    if postage and parcel_back and not rejected_at_inspection and (seller_fault or request["customer"]["tier"] == "vip"):
        limit = request["policy"]["max_return_shipping_reimbursement"]
        if limit is None:
            limit = DEFAULT_MAX_RETURN_SHIPPING_UNITS * 10**exponent
        amount = min(postage, limit)
        why = f"seller-fault reason {ask['reason']}" if seller_fault else "free returns for VIP customers"
        reason = f"return postage reimbursed: {why}"
        if amount < postage:
            reason += f"; {format_minor(postage, exponent)} paid, capped at {format_minor(limit, exponent)}"
        total += amount
        entries.append(
            {
                "code": "return_postage_reimbursement",
                "line_id": None,
                "amount": format_minor(amount, exponent),
                "reason": reason,
            }
        )

    available = paid_total - order["refunded_total"]
    capped = total > available
    if capped:
        entries.append(
            {
                "code": "cap_adjustment",
                "line_id": None,
                "amount": format_minor(available - total, exponent),
                "reason": f"refund limited to {format_minor(available, exponent)}: paid {format_minor(paid_total, exponent)} "
                f"less {format_minor(order['refunded_total'], exponent)} already refunded",
            }
        )
        total = available
    return {
        "currency": request["currency"],
        "total": format_minor(total, exponent),
        "total_minor": total,
        "capped": capped,
        "entries": entries,
    }


# How an item entry names its units when no inspection counted them.
_VERBS = {"return": "requested", "cancel": "cancelled", "refund_only": "refunded without return"}


def _limited(reason: str, assessed: int, applied: int, exponent: int) -> str:
    if applied == assessed:
        return reason
    return (
        f"{reason}: {format_minor(assessed, exponent)} assessed, {format_minor(applied, exponent)} applied "
        "so the line stays at 0 or above"
    )
