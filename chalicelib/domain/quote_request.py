"""The refund quote request of CONTRACTS.md: its pydantic schema and its cross-field checks.

The schema is a set of TypedDicts validated by a pydantic TypeAdapter rather
than BaseModel classes: the quote is on the hot path of verification and of
every refund, and building model instances measured twice the cost of
building dicts (see README, "Benchmark"). Validation yields fresh dicts with
the contract's defaults filled in, so the domain reads every field directly.

Amounts are checked against the order currency inside pydantic-core: the
TypedDicts are generic in their money type and each currency exponent gets
its own validator whose amounts are a Rust-side pattern, leaving Python only
the conversion to integer minor units. Checking every amount in a Python
validator made validation 1.8 times as slow.
"""

from functools import cache
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import (
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    StrictBool,
    StrictInt,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    with_config,
)
from pydantic_core import CoreSchema, SchemaValidator, core_schema
from typing_extensions import TypedDict

from chalicelib.domain.errors import InvalidInput, field_path, from_validation_error
from chalicelib.domain.money import CURRENCY_EXPONENTS, amount_pattern, amount_problem, valid_to_minor

Id = Annotated[str, StringConstraints(min_length=1, max_length=128)]
Label = Annotated[str, StringConstraints(max_length=128)]
Units = Annotated[StrictInt, Field(ge=0, le=1_000_000)]
PositiveUnits = Annotated[StrictInt, Field(ge=1, le=1_000_000)]

SELLER_FAULT_REASONS = frozenset(
    {"quality_issue", "not_as_described", "wrong_item", "damaged_in_transit", "missing_parts"}
)
Reason = Literal[
    "quality_issue", "not_as_described", "wrong_item", "damaged_in_transit", "missing_parts",
    "changed_mind", "wrong_size", "no_longer_needed", "other",
]
Tier = Literal["vip", "potential", "normal"]
_STRICT = ConfigDict(extra="forbid")
_INVALID_AMOUNT = "invalid_amount"


class AmountOf:
    """An amount of a currency with this exponent, validated to integer minor units.

    Every failure becomes one `invalid_amount` error carrying the input, which
    `parse_quote_request` explains with money's own wording.
    """

    def __init__(self, exponent: int) -> None:
        self.pattern = f"^(?:{amount_pattern(exponent)})$"

    def __get_pydantic_core_schema__(self, source: object, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.custom_error_schema(
            core_schema.no_info_after_validator_function(
                valid_to_minor, core_schema.str_schema(pattern=self.pattern, strict=True)
            ),
            custom_error_type=_INVALID_AMOUNT,
            custom_error_message="is not a valid amount",
        )


Money = TypeVar("Money")


@with_config(_STRICT)
class QuoteLine(TypedDict, Generic[Money]):
    line_id: Id
    sku: Annotated[Label | None, Field(default=None)]
    category: Annotated[Label | None, Field(default=None)]
    unit_price: Money
    quantity: PositiveUnits
    line_discount: Annotated[Money, Field(default=0)]
    returned_before: Annotated[Units, Field(default=0)]
    is_gift: Annotated[StrictBool, Field(default=False)]
    gift_for: Annotated[Id | None, Field(default=None)]
    gift_value: Annotated[Money, Field(default=0)]


@with_config(_STRICT)
class QuoteOrder(TypedDict, Generic[Money]):
    order_id: Id
    shipping_fee: Money
    order_discount: Annotated[Money, Field(default=0)]
    refunded_total: Annotated[Money, Field(default=0)]
    shipping_refunded: Annotated[StrictBool, Field(default=False)]
    lines: Annotated[list[QuoteLine[Money]], Field(min_length=1, max_length=500)]


@with_config(_STRICT)
class ReturnItem(TypedDict):
    line_id: Id
    quantity: PositiveUnits


@with_config(_STRICT)
class ReturnRequest(TypedDict, Generic[Money]):
    kind: Literal["refund_only", "return", "cancel"]  # refund_only: no parcel back (POLICY.md section 8)
    reason: Reason
    return_shipping_paid: Annotated[Money, Field(default=0)]
    items: Annotated[list[ReturnItem], Field(min_length=1, max_length=500)]


@with_config(_STRICT)
class QuoteDeduction(TypedDict, Generic[Money]):
    code: Id
    amount: Money


@with_config(_STRICT)
class QuoteInspectedLine(TypedDict, Generic[Money]):
    line_id: Id
    accepted: Units
    deductions: Annotated[list[QuoteDeduction[Money]], Field(default_factory=list, max_length=50)]


@with_config(_STRICT)
class QuoteInspection(TypedDict, Generic[Money]):
    items: Annotated[list[QuoteInspectedLine[Money]], Field(max_length=500)]
    kept_gifts: Annotated[list[Id], Field(default_factory=list, max_length=500)]


@with_config(_STRICT)
class QuoteCustomer(TypedDict):
    customer_id: Annotated[Id | None, Field(default=None)]
    tier: Annotated[Tier, Field(default="normal")]


@with_config(ConfigDict(extra="ignore"))
class RefundPolicy(TypedDict, Generic[Money]):
    """The refund knobs of the policy document; its other keys belong to verification."""

    max_return_shipping_reimbursement: Annotated[Money | None, Field(default=None)]


def _request_of(money: object) -> type:
    """The whole request for one money type; functional syntax because "return" is a keyword."""
    return with_config(_STRICT)(
        TypedDict(
            "QuoteRequest",
            {
                "currency": str,
                "order": QuoteOrder[money],
                "return": ReturnRequest[money],
                "inspection": Annotated[QuoteInspection[money] | None, Field(default=None)],
                "customer": Annotated[QuoteCustomer, Field(default_factory=lambda: {"tier": "normal", "customer_id": None})],
                "policy": Annotated[
                    RefundPolicy[money], Field(default_factory=lambda: {"max_return_shipping_reimbursement": None})
                ],
            },
        )
    )


# The request as the domain reads it: every amount in integer minor units.
QuoteRequest = _request_of(int)


@cache
def _validator(exponent: int) -> SchemaValidator:
    """Built on the first quote in a currency with this exponent, not at import: few Lambdas quote.

    The core validator itself, because TypeAdapter.validate_python's keyword
    plumbing cost a twentieth of a quote.
    """
    return TypeAdapter(_request_of(Annotated[int, AmountOf(exponent)])).validator


def parse_quote_request(data: object) -> tuple[QuoteRequest, int]:
    """Validate a JSON-able request and fill in its defaults; returns it and its currency's exponent."""
    if not isinstance(data, dict):
        raise InvalidInput("", "the request must be a JSON object", "invalid_body")
    currency = data.get("currency")
    exponent = CURRENCY_EXPONENTS.get(currency) if isinstance(currency, str) else None
    if exponent is None:
        raise InvalidInput(
            "currency",
            f"{currency!r} is not a supported currency; use one of {', '.join(sorted(CURRENCY_EXPONENTS))}",
            "missing_field" if currency is None else "unknown_currency",
        )
    try:
        request = _validator(exponent).validate_python(data)
    except ValidationError as error:
        first = error.errors(include_url=False, include_context=False)[0]
        if first["type"] == _INVALID_AMOUNT:
            raise InvalidInput(field_path(first["loc"]), amount_problem(first["input"], exponent)) from None
        raise from_validation_error(error) from None
    check_quote_request(request)
    return request, exponent


def check_quote_request(request: QuoteRequest) -> None:
    """The rules that span fields, each refused with the exact field that breaks it."""
    order = request["order"]
    lines = {}
    line_totals = 0
    for i, line in enumerate(order["lines"]):
        line_id = line["line_id"]
        if line_id in lines:
            raise InvalidInput(f"order.lines[{i}].line_id", f"line id {line_id!r} appears twice", "duplicate_line")
        lines[line_id] = line
        gross = line["unit_price"] * line["quantity"]
        if line["line_discount"] > gross:
            raise InvalidInput(
                f"order.lines[{i}].line_discount",
                "is larger than unit_price * quantity of the line",
                "discount_exceeds_total",
            )
        if line["returned_before"] > line["quantity"]:
            raise InvalidInput(
                f"order.lines[{i}].returned_before",
                f"{line['returned_before']} units returned before, but only {line['quantity']} bought",
                "quantity_exceeded",
            )
        if line["is_gift"]:
            if gross:
                raise InvalidInput(f"order.lines[{i}].unit_price", "a gift line must have unit_price 0", "invalid_gift")
        elif line["gift_for"] is not None or line["gift_value"]:
            field = "gift_for" if line["gift_for"] is not None else "gift_value"
            raise InvalidInput(
                f"order.lines[{i}].{field}", "is only allowed on a gift line (is_gift: true)", "invalid_gift"
            )
        line_totals += gross - line["line_discount"]
    for i, line in enumerate(order["lines"]):
        parent_id = line["gift_for"]
        if parent_id is not None and (parent_id not in lines or lines[parent_id]["is_gift"]):
            raise InvalidInput(
                f"order.lines[{i}].gift_for", f"{parent_id!r} is not a non-gift line of the order", "unknown_line"
            )
    if order["order_discount"] > line_totals:
        raise InvalidInput("order.order_discount", "is larger than the sum of the line totals", "discount_exceeds_total")
    if order["refunded_total"] > line_totals - order["order_discount"] + order["shipping_fee"]:
        raise InvalidInput("order.refunded_total", "is larger than what the buyer paid for the order", "refund_exceeds_paid")

    ask = request["return"]
    requested = {}
    for i, item in enumerate(ask["items"]):
        line_id = item["line_id"]
        line = lines.get(line_id)
        if line is None:
            raise InvalidInput(f"return.items[{i}].line_id", f"{line_id!r} is not a line of the order", "unknown_line")
        if line_id in requested:
            raise InvalidInput(f"return.items[{i}].line_id", f"line {line_id!r} is requested twice", "duplicate_line")
        requested[line_id] = item["quantity"]
        left = line["quantity"] - line["returned_before"]
        if item["quantity"] > left:
            raise InvalidInput(
                f"return.items[{i}].quantity",
                f"{item['quantity']} units requested, but only {left} of line {line_id!r} are left to return "
                f"({line['quantity']} bought, {line['returned_before']} returned before)",
                "quantity_exceeded",
            )

    inspection = request["inspection"]
    if ask["kind"] != "return":
        what, code = _NO_PARCEL[ask["kind"]]
        if inspection is not None:
            raise InvalidInput("inspection", f"{what} has no inspection", code)
        if ask["return_shipping_paid"]:
            raise InvalidInput("return.return_shipping_paid", f"{what} has no return parcel", code)
    elif inspection is not None:
        _check_inspection(inspection, requested, lines)


# The kinds with no parcel coming back: how a refusal names them, and its error code.
_NO_PARCEL = {
    "cancel": ("a cancellation before shipment", "invalid_for_cancel"),
    "refund_only": ("a refund-only request", "invalid_for_refund_only"),
}


def _check_inspection(inspection: QuoteInspection, requested: dict[str, int], lines: dict[str, QuoteLine]) -> None:
    inspected = set()
    for i, item in enumerate(inspection["items"]):
        line_id = item["line_id"]
        if line_id not in requested:
            raise InvalidInput(f"inspection.items[{i}].line_id", f"{line_id!r} is not a line of this return", "unknown_line")
        if line_id in inspected:
            raise InvalidInput(f"inspection.items[{i}].line_id", f"line {line_id!r} is inspected twice", "duplicate_line")
        inspected.add(line_id)
        if item["accepted"] > requested[line_id]:
            raise InvalidInput(
                f"inspection.items[{i}].accepted",
                f"{item['accepted']} units accepted, but only {requested[line_id]} were returned",
                "quantity_exceeded",
            )
    for line_id in requested:
        if line_id not in inspected and not lines[line_id]["is_gift"]:
            raise InvalidInput("inspection.items", f"has no result for returned line {line_id!r}", "missing_field")
    for i, gift_id in enumerate(inspection["kept_gifts"]):
        if gift_id not in lines or not lines[gift_id]["is_gift"]:
            raise InvalidInput(f"inspection.kept_gifts[{i}]", f"{gift_id!r} is not a gift line of the order", "unknown_line")
