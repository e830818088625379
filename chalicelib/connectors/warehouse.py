"""The warehouse's receipt and inspection webhook (`POST /v1/webhooks/warehouse`, signed like the generic source):

    {"receipt_id": "WR-1", "return_id": "RT-1", "inspected_at": "2026-11-21T12:00:00Z",
     "lines": [{"line_id": "L1", "accepted": 1, "deductions": [{"code": "scratch", "amount": "10.00"}]}],
     "kept_gifts": ["G1"]}

becomes the canonical InspectionCompleted, with the receipt id as its event id.
"""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chalicelib.domain.errors import InvalidInput, from_validation_error
from chalicelib.domain.events import Id, InspectedLine, InspectionCompleted, UtcTime

SOURCE = "warehouse"


class Receipt(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    receipt_id: Id
    return_id: Id
    inspected_at: UtcTime
    lines: Annotated[list[InspectedLine], Field(min_length=1, max_length=500)]
    kept_gifts: Annotated[list[Id], Field(max_length=500)] = []


def parse_warehouse_receipt(payload: object, source: str, received_at: datetime) -> InspectionCompleted:
    if not isinstance(payload, dict):
        raise InvalidInput("", "the body must be a JSON object", "invalid_body")
    try:
        receipt = Receipt.model_validate(payload)
    except ValidationError as error:
        raise from_validation_error(error) from None
    return InspectionCompleted(
        event_id=receipt.receipt_id, source=source, occurred_at=receipt.inspected_at, received_at=received_at,
        data={"return_id": receipt.return_id, "items": receipt.lines, "kept_gifts": receipt.kept_gifts},
    )
