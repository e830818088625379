"""What every marketplace's translator shares: a record of theirs made one of our events, or refused with why."""

from pydantic import ValidationError

from chalicelib.domain.events import OrderUpserted, check_order_amounts
from chalicelib.ports.errors import HydrationFailed


def validated(model, fields: dict, context: dict, what: str):
    """`model` (a canonical event) of `fields`, validated as at the edge; HydrationFailed naming `what` and the
    first problem (the notification goes to the DLQ with it)."""
    try:
        return model.model_validate(fields, context=context)
    except ValidationError as error:
        raise HydrationFailed(f"{what} is not one we can take: {error.errors(include_url=False)[0]}") from None


def compact(at: object) -> str:
    """A marketplace's time (or version) as part of an event id: its letters and digits, at most 20."""
    return "".join(c for c in str(at or "") if c.isalnum())[:20]


def order_upserted(fields: dict, context: dict, what: str):
    """The order as our event: the data's unset fields left out, every amount at its currency's exact decimals."""
    data = {key: value for key, value in fields["data"].items() if value is not None}
    event = validated(OrderUpserted, {**fields, "data": data}, context, what)
    try:
        check_order_amounts(event.data)
    except ValueError as error:
        raise HydrationFailed(f"{what}: {error}") from None
    return event
