"""The refund calculator as one pure call on JSON-able dicts (CONTRACTS.md "Refund quote").

The HTTP endpoint and the workflow's refund step both call `quote`, so what a
quote says is what finance receives.
"""

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.quote_request import parse_quote_request
from chalicelib.domain.refund_calculation import calculate_refund

__all__ = ["InvalidInput", "quote"]


def quote(request: dict) -> dict:
    """Quote a refund; raises InvalidInput naming the field for anything a caller can fix."""
    return calculate_refund(*parse_quote_request(request))
