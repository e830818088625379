"""Builders for refund quote requests in tests."""

import copy
import json
from pathlib import Path

CONTRACT_REQUEST = json.loads((Path(__file__).parent / "fixtures" / "contract_quote_request.json").read_text())


def contract_request() -> dict:
    return copy.deepcopy(CONTRACT_REQUEST)


def line(line_id: str, unit_price: str, quantity: int = 1, **extra) -> dict:
    return {"line_id": line_id, "sku": f"SKU-{line_id}", "category": "apparel",
            "unit_price": unit_price, "quantity": quantity, **extra}


def request(
    lines: list[dict],
    items: list[tuple[str, int]],
    *,
    currency: str = "CNY",
    shipping_fee: str = "10.00",
    reason: str = "quality_issue",
    kind: str = "return",
    accepted: dict[str, int] | None = None,
    deductions: dict[str, list[str]] | None = None,
    kept_gifts: list[str] | None = None,
    inspect: bool = True,
    tier: str = "normal",
    return_shipping_paid: str | None = None,
    policy: dict | None = None,
    **order_fields,
) -> dict:
    """A request whose inspection accepts every requested unit unless `accepted` says otherwise."""
    body = {
        "currency": currency,
        "order": {"order_id": "TM-1", "shipping_fee": shipping_fee, "lines": lines, **order_fields},
        "return": {"kind": kind, "reason": reason, "items": [{"line_id": i, "quantity": q} for i, q in items]},
        "customer": {"tier": tier},
    }
    if return_shipping_paid is not None:
        body["return"]["return_shipping_paid"] = return_shipping_paid
    if policy is not None:
        body["policy"] = policy
    if kind == "return" and inspect:
        accepted = accepted or {}
        deductions = deductions or {}
        body["inspection"] = {
            "items": [
                {
                    "line_id": i,
                    "accepted": accepted.get(i, q),
                    "deductions": [{"code": f"d{n}", "amount": a} for n, a in enumerate(deductions.get(i, []))],
                }
                for i, q in items
            ],
            "kept_gifts": kept_gifts or [],
        }
    return body


def amounts(quote: dict) -> list[tuple[str, str | None, str]]:
    """(code, line_id, amount) of every entry, in order: what finance reconciles."""
    return [(e["code"], e["line_id"], e["amount"]) for e in quote["entries"]]
