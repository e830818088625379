"""The after-sales policy as a versioned document (defaults: POLICY.md), with overrides (pure).

Operators change it without a deploy; every decision keeps the version it
was made under. Settings resolve from the general to the specific, the last
one set winning: POLICY.md, the document's defaults, the customer's tier,
then the marketplace's own defaults and tier. Categories may override their
return window and whether they are returnable, globally or per marketplace.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    StringConstraints,
    ValidationError,
    model_validator,
)

from chalicelib.domain.errors import from_validation_error
from chalicelib.domain.money import MAJOR_AMOUNT, major_to_minor
from chalicelib.domain.quote_request import Tier

if TYPE_CHECKING:
    from chalicelib.domain.returns import Return

def _policy_amount(value: str) -> str:
    if not MAJOR_AMOUNT.fullmatch(value):
        raise ValueError('must be an amount in major units as a string, like "2000.00" or "30"')
    return value



# A money threshold in the currency's major units, scaled by its exponent: "2000.00" is 200000 fen or 2000 yen.
PolicyAmount = Annotated[StrictStr, AfterValidator(_policy_amount)]
Days = Annotated[StrictInt, Field(ge=0, le=3650)]
Count = Annotated[StrictInt, Field(ge=1, le=100_000)]
Hours = Annotated[StrictInt, Field(ge=1, le=24 * 365)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=128)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


def _ascending(values: list) -> list:
    keys = [major_to_minor(value, 2) if isinstance(value, str) else value for value in values]
    if keys != sorted(keys) or len(set(keys)) != len(keys):
        raise ValueError("must be 4 thresholds in increasing order")
    return values


class Rfm(_Strict):
    """Recency, frequency, monetary: four thresholds each make scores 1 to 5; the sum decides the tier."""

    recency_days: Annotated[list[Days], Field(min_length=4, max_length=4), AfterValidator(_ascending)]
    frequency_orders: Annotated[list[Count], Field(min_length=4, max_length=4), AfterValidator(_ascending)]
    monetary: Annotated[list[PolicyAmount], Field(min_length=4, max_length=4), AfterValidator(_ascending)]
    vip_min_score: Annotated[StrictInt, Field(ge=3, le=15)]
    potential_min_score: Annotated[StrictInt, Field(ge=3, le=15)]

    @model_validator(mode="after")
    def _vip_above_potential(self) -> "Rfm":
        if self.potential_min_score > self.vip_min_score:
            raise ValueError("potential_min_score must not be above vip_min_score")
        return self


class Settings(_Strict):
    """One layer of settings; a field left out inherits from the layer below."""

    return_window_days: Days | None = None
    non_returnable_categories: Annotated[list[Name], Field(max_length=1000)] | None = None
    manual_review_above: PolicyAmount | None = None
    # A refund-only request for a delivered item refunded at most this much is approved with no return (the buyer
    # keeps it): what a parcel back would cost more than it saves. "0" turns it off: every such request is reviewed.
    returnless_refund_below: PolicyAmount | None = None
    abuse_returns_30d: Count | None = None
    parcel_wait_days: Annotated[StrictInt, Field(ge=1, le=365)] | None = None
    review_wait_days: Annotated[StrictInt, Field(ge=1, le=365)] | None = None
    hold_wait_hours: Annotated[StrictInt, Field(ge=1, le=24 * 30)] | None = None
    tracking_wait_days: Annotated[StrictInt, Field(ge=1, le=365)] | None = None
    stale_tracking_hours: Annotated[StrictInt, Field(ge=1, le=24 * 60)] | None = None
    max_return_shipping_reimbursement: PolicyAmount | None = None
    review_sla_hours: Hours | None = None
    rfm: Rfm | None = None


class CategoryRules(_Strict):
    return_window_days: Days | None = None
    non_returnable: StrictBool | None = None


class Overrides(_Strict):
    defaults: Settings = Settings()
    tiers: dict[Tier, Settings] = {}
    categories: dict[Name, CategoryRules] = {}


DEFAULT_SETTINGS = Settings(
    return_window_days=7,
    non_returnable_categories=["perishable", "customized", "digital", "intimate"],
    manual_review_above="2000.00",
    returnless_refund_below="0",
    abuse_returns_30d=5,
    parcel_wait_days=14,
    review_wait_days=14,
    hold_wait_hours=24,
    tracking_wait_days=7,
    stale_tracking_hours=72,
    max_return_shipping_reimbursement="30.00",
    review_sla_hours=8,
    rfm=Rfm(
        recency_days=[30, 90, 180, 365],
        frequency_orders=[2, 4, 8, 15],
        monetary=["200.00", "1000.00", "3000.00", "10000.00"],
        vip_min_score=13,
        potential_min_score=9,
    ),
)
# The tier of a customer with no ranked order history, and of settings that belong to no customer.
DEFAULT_TIER = "normal"
DEFAULT_TIERS = {"vip": Settings(review_sla_hours=2), "potential": Settings(review_sla_hours=4)}


class PolicyDocument(_Strict):
    version: Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:\-]*$")]
    defaults: Settings = Settings()
    tiers: dict[Tier, Settings] = {}
    categories: dict[Name, CategoryRules] = {}
    marketplaces: dict[Name, Overrides] = {}

    def resolve(self, marketplace: str | None, tier: Tier) -> "Policy":
        """The settings in force for a marketplace's customer of a tier."""
        market = self.marketplaces.get(marketplace or "", Overrides())
        layers = [
            DEFAULT_SETTINGS, self.defaults, DEFAULT_TIERS.get(tier), self.tiers.get(tier),
            market.defaults, market.tiers.get(tier),
        ]
        merged: dict = {}
        for layer in layers:
            if layer is not None:
                merged.update(layer.model_dump(exclude_none=True))
        categories = {name: rules.model_dump(exclude_none=True) for name, rules in self.categories.items()}
        for name, rules in market.categories.items():
            categories[name] = {**categories.get(name, {}), **rules.model_dump(exclude_none=True)}
        return Policy(version=self.version, marketplace=marketplace, tier=tier, categories=categories, **merged)


class Policy(_Strict):
    """The policy as resolved for one request: every setting has a value."""

    version: str
    marketplace: str | None
    tier: Tier
    return_window_days: int
    non_returnable_categories: list[str]
    manual_review_above: str
    returnless_refund_below: str = "0"  # a default: policies kept on returns verified before the setting existed
    abuse_returns_30d: int
    parcel_wait_days: int
    review_wait_days: int
    hold_wait_hours: int
    tracking_wait_days: int
    stale_tracking_hours: int
    max_return_shipping_reimbursement: str
    review_sla_hours: int
    rfm: Rfm
    categories: dict[str, dict]

    def window_days(self, category: str | None) -> int:
        return self.categories.get(category or "", {}).get("return_window_days", self.return_window_days)

    def non_returnable(self, category: str | None) -> bool:
        rules = self.categories.get(category or "", {})
        if "non_returnable" in rules:
            return rules["non_returnable"]
        return category in self.non_returnable_categories


DEFAULT_POLICY = PolicyDocument(version="default-2026-11")


def return_policy(record: "Return", current: Callable[[], PolicyDocument]) -> Policy:
    """The policy a return is held to: the one resolved for its customer's tier when it was verified, else
    (not verified yet) the policy in force for its marketplace. `current` is only called in the second case."""
    if record.policy is not None:
        return Policy.model_validate(record.policy)
    return current().resolve(record.marketplace, DEFAULT_TIER)


def parse_policy(document: object) -> PolicyDocument:
    """A policy document from its JSON text or data; refused with the first invalid field named."""
    try:
        if isinstance(document, (str, bytes)):
            return PolicyDocument.model_validate_json(document)
        return PolicyDocument.model_validate(document)
    except ValidationError as error:
        raise from_validation_error(error) from None
