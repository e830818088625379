"""The tenant registry: who may send what, about which shop, and with which secrets.

A source is a shop (it owns its orders and returns), the warehouse or a
carrier (they send follow-up events about the shops they are granted). Each
entry is one SecureString under the sources path, named by the source:

    {"kind": "shop", "secrets": ["<current>", "<previous>"]}
    {"kind": "warehouse", "secrets": ["..."], "shops": ["generic", "outlet"]}
    {"kind": "carrier", "secrets": ["..."], "shops": ["*"]}

`event_types` narrows (or, for a shop, widens) what the kind sends by default. How a shop on a marketplace is
reached there is its connection, kept apart (domain/connections.py).
"""

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from chalicelib.domain.events import EVENT_TYPES, SHOP_PATTERN

SOURCE_NAME = re.compile(SHOP_PATTERN)
EVERY_SHOP = "*"
# Names the webhook routes take for themselves (/v1/webhooks/shopify, /v1/webhooks/carriers/...).
RESERVED_NAMES = frozenset({"shopify", "carriers"})


class SourceKind(StrEnum):
    SHOP = "shop"
    WAREHOUSE = "warehouse"
    CARRIER = "carrier"


# Tracking is about a parcel, which may be any shop's: carriers send it, and a shop only when granted it.
DEFAULT_EVENT_TYPES = {
    SourceKind.SHOP: frozenset({"OrderUpserted", "ReturnRequested", "CancelRequested", "EvidenceAdded"}),
    SourceKind.WAREHOUSE: frozenset({"InspectionCompleted", "HoldShipmentAnswered", "ReplacementShipped"}),
    SourceKind.CARRIER: frozenset({"TrackingUpdated"}),
}


@dataclass(frozen=True)
class Source:
    name: str
    kind: SourceKind
    secrets: tuple[bytes, ...]  # the current one first, then the previous one during a rotation
    event_types: frozenset[str]
    shops: frozenset[str]  # the shops it acts for; a shop acts for itself

    def acts_for(self, shop: str) -> bool:
        return shop in self.shops or EVERY_SHOP in self.shops

    def only_shop(self) -> str | None:
        """The shop an event means when it names none: the sender's own, or the one shop it serves."""
        return next(iter(self.shops)) if len(self.shops) == 1 and EVERY_SHOP not in self.shops else None


Secret = Annotated[str, StringConstraints(min_length=16, max_length=512)]


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: SourceKind
    secrets: Annotated[list[Secret], Field(min_length=1, max_length=2)]
    event_types: list[Literal[EVENT_TYPES]] | None = None  # type: ignore[valid-type]
    shops: list[str] = []

    @field_validator("shops")
    @classmethod
    def _shop_names(cls, shops: list[str]) -> list[str]:
        for shop in shops:
            if shop != EVERY_SHOP and not SOURCE_NAME.fullmatch(shop):
                raise ValueError(f"{shop!r} is not a shop name")
        return shops


def source_of(name: str, document: str) -> Source:
    """One registry entry; ValueError (pydantic's) when it is not one."""
    if name in RESERVED_NAMES:
        raise ValueError(f"{name!r} is the name of a webhook route, not of a source")
    entry = _Entry.model_validate_json(document)
    shops = frozenset([name] if entry.kind is SourceKind.SHOP else entry.shops)
    types = frozenset(entry.event_types) if entry.event_types is not None else DEFAULT_EVENT_TYPES[entry.kind]
    return Source(name, entry.kind, tuple(secret.encode() for secret in entry.secrets), types, shops)
