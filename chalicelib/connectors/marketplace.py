"""What a marketplace connector is (CONNECTORS.md, "What a connector is"): the effects hydration finds besides
canonical events, and the actions a connector takes in its marketplace instead of a person.

Ids here are the shop's own (the consumer qualifies them by the shop the notification came from).
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from chalicelib.domain.ledger import LedgerRecord
    from chalicelib.domain.returns import Return


@dataclass(frozen=True)
class ParcelLinked:
    """The return parcel's tracking, attached to the return in the marketplace."""

    return_id: str
    carrier: str
    tracking_number: str


@dataclass(frozen=True)
class ReturnStatusSeen:
    """Where the return stands in the marketplace (requested, open, declined, canceled, closed)."""

    return_id: str
    status: str
    version: str | None = None  # the marketplace's optimistic lock (refund_version, sysVersion)
    deadline: str | None = None  # when the marketplace acts by itself if the seller has not (UTC, ISO)


@dataclass(frozen=True)
class MarketplaceRefunded:
    """A refund the marketplace holds: one of ours, or one the merchant or the marketplace made by itself."""

    refund_ref: str
    order_id: str
    return_id: str | None
    currency: str
    total: str
    units: dict[str, int]
    created_at: str
    note: str | None = None  # ours carry the ledger key they pay (refundCreate's note)


@dataclass(frozen=True)
class MarketplaceRefundFailed:
    """A refund the marketplace had agreed to pay and could not (JD finance, status 4): no money moved. The ledger
    record it was to pay (the one its note names, or its return's) is marked failed with the reason, for finance;
    the refund's next dispatch reads the same in the marketplace and hands it to finance's queue."""

    refund_ref: str
    order_id: str
    return_id: str | None
    currency: str
    total: str
    reason: str
    at: str
    note: str | None = None  # the ledger key our approval named


@dataclass(frozen=True)
class LeftInMarketplace:
    """A marketplace record that is no request of ours (a JD repair): the shop's people handle it in the
    marketplace's back office, where it waits for them; the consumer only records why."""

    record_id: str
    why: str


@dataclass(frozen=True)
class Disputed:
    """The marketplace's own people took the request up (a Taobao intervention): ours answer it there."""

    return_id: str
    why: str


@dataclass(frozen=True)
class AppUninstalled:
    """The shop removed our app (at that time): nothing more may be done in its name."""

    at: str


class MarketplaceActions(Protocol):
    """The seller's back-office actions, done through the marketplace's API. Each write is checked against the
    marketplace first (a call that timed out may have acted), so sending it again never acts twice."""

    def approve(self, record: "Return") -> str:
        """Approve the return request; what was done, for the log. MarketplaceRefused / MarketplaceUnavailable."""

    def decline(self, record: "Return", code: str | None) -> str:
        """Decline it with our rule's code (mapped to the marketplace's reasons) and its explanation."""

    def hold(self, record: "Return") -> str | None:
        """Keep a cancelled order from shipping: "held", or "already_shipped" when it has left; None when the
        marketplace ships nothing itself (the warehouse is asked)."""

    def intercept(self, record: "Return") -> str:
        """Have a refund-only request's parcel in transit stopped and sent back to us (the platform's or the carrier's
        interception); what was done, for the log. It only asks: the refund waits for the parcel's tracking to show
        it returned to sender, or for the warehouse's receipt. MarketplaceRefused when the marketplace cannot
        intercept, MarketplaceUnavailable."""

    def exchange(self, record: "Return") -> str | None:
        """Have the marketplace send an exchange's replacement (and collect a dearer one's difference); None when
        the marketplace ships nothing itself (our warehouse is asked, as for a shop of our own)."""

    def replacement_shipped(self, record: "Return", parcel: dict) -> str:
        """Tell the marketplace the parcel ({carrier, tracking_number}) our warehouse sent an exchange's replacement
        in; what was done, for the log. MarketplaceRefused / MarketplaceUnavailable."""

    def refund(self, record: "Return", issued: "LedgerRecord") -> dict:
        """Pay the ledger record through the marketplace: {marketplace_refund_id, created_at}, or {"dry_run": True}
        when the shop runs dry; PaymentDeclined (refused, with the marketplace's words) or PaymentNotConfirmed."""
