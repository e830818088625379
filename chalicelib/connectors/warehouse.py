"""The warehouse's receipt and inspection webhook (`POST /v1/webhooks/warehouse`, signed like the generic source):

    {"receipt_id": "WR-1", "return_id": "RT-1", "inspected_at": "2026-11-21T12:00:00Z",
     "lines": [{"line_id": "L1", "accepted": 1, "deductions": [{"code": "scratch", "amount": "10.00"}]}],
     "kept_gifts": ["G1"]}

becomes the canonical InspectionCompleted, with the receipt id as its event id. `shop` names the shop of the
return when the warehouse serves several. The warehouse's other events (HoldShipmentAnswered) come in the generic
envelope, told apart by its `type`.
"""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chalicelib.connectors.generic import parse_generic_event
from chalicelib.domain.errors import InvalidInput, from_validation_error
from chalicelib.domain.events import CanonicalEvent, Id, InspectedLine, InspectionCompleted, ShopName, UtcTime


class Receipt(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    receipt_id: Id
    shop: ShopName | None = None
    return_id: Id
    inspected_at: UtcTime
    lines: Annotated[list[InspectedLine], Field(min_length=1, max_length=500)]
    kept_gifts: Annotated[list[Id], Field(max_length=500)] = []


def parse_warehouse_message(
    payload: object, source: str, received_at: datetime, context: dict | None = None
) -> tuple[CanonicalEvent, str | None]:
    """A receipt, or an event in the generic envelope; and the shop it names."""
    if isinstance(payload, dict) and "type" in payload:
        return parse_generic_event(payload, source, received_at, context)
    return parse_warehouse_receipt(payload, source, received_at, context)


def parse_warehouse_receipt(
    payload: object, source: str, received_at: datetime, context: dict | None = None
) -> tuple[InspectionCompleted, str | None]:
    if not isinstance(payload, dict):
        raise InvalidInput("", "the body must be a JSON object", "invalid_body")
    try:
        receipt = Receipt.model_validate(payload, context=context)
    except ValidationError as error:
        raise from_validation_error(error) from None
    event = InspectionCompleted(
        event_id=receipt.receipt_id, source=source, occurred_at=receipt.inspected_at, received_at=received_at,
        data={"return_id": receipt.return_id, "items": receipt.lines, "kept_gifts": receipt.kept_gifts},
    )
    return event, receipt.shop
