"""The refund calculator as one pure call on JSON-able dicts (CONTRACTS.md "Refund quote").

The HTTP endpoint and the workflow's refund step both call `quote`, so what a
quote says is what finance receives.
"""

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.money import format_minor
from chalicelib.domain.quote_request import parse_quote_request
from chalicelib.domain.refund_calculation import calculate_refund

__all__ = ["InvalidInput", "quote"]


def quote(request: dict) -> dict:
    """Quote a refund; raises InvalidInput naming the field for anything a caller can fix."""
    model, exponent = parse_quote_request(request)
    result = calculate_refund(model, exponent)
    return {
        "currency": model["currency"],
        "total": format_minor(result.total, exponent),
        "total_minor": result.total,
        "capped": result.capped,
        "entries": [
            {
                "code": entry.code,
                "line_id": entry.line_id,
                "amount": format_minor(entry.amount, exponent),
                "reason": entry.reason,
            }
            for entry in result.entries
        ],
    }
