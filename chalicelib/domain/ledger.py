"""A refund record of the ledger, and how its payment moves (pure).

pending -> sent -> confirmed, or failed with the provider's reason (then sent
again by a retry); written_off when finance settles it outside the provider.
A confirmed payment is final.
"""

from dataclasses import dataclass
from enum import StrEnum

from chalicelib.domain.connections import PAYMENT_PROVIDER
from chalicelib.domain.finance_export import finance_record


class PaymentStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    CONFIRMED = "confirmed"
    FAILED = "failed"
    WRITTEN_OFF = "written_off"
    DRY_RUN = "dry_run"  # a dry-run shop's refund: recorded as it would have been sent, never paid


# The policy version of a refund our policy did not decide (the merchant or the marketplace made it).
DECIDED_IN_MARKETPLACE = "marketplace"
# Payments that are final: nothing moves them again.
SETTLED = frozenset({PaymentStatus.CONFIRMED, PaymentStatus.DRY_RUN})
# Payments still under way: not a mismatch in reconciliation unless the provider paid them.
OPEN_PAYMENTS = frozenset({PaymentStatus.PENDING, PaymentStatus.SENT, PaymentStatus.FAILED})



def refund_id_for(return_id: str) -> str:
    """One refund per return: the ledger key, and the provider's idempotency key. "RF-shop.own id": a shop name
    has no dot, so the first one separates the two (and the key carries no "/")."""
    return f"RF-{return_id.replace('/', '.', 1)}"


@dataclass(frozen=True, slots=True, kw_only=True)
class LedgerRecord:
    refund_id: str
    return_id: str | None = None  # None: a refund the marketplace made on the order, for no return of ours
    order_id: str
    marketplace: str | None = None
    customer_id: str | None = None
    currency: str
    total: str
    total_minor: int
    entries: list[dict]
    policy_version: str
    issued_at: str
    issued_day: str  # the partition of the ledger's index by time (finance queries)
    idempotency_key: str
    payment_ref: str
    payment_status: PaymentStatus = PaymentStatus.PENDING
    payment_attempts: int = 0
    round_attempts: int = 0  # attempts in the current round; a retry after finance's review starts a new one
    sent_at: str | None = None
    provider_refund_id: str | None = None
    confirmed_at: str | None = None
    payment_error: dict | None = None
    published_at: str | None = None
    written_off_at: str | None = None
    paid_by: str = PAYMENT_PROVIDER  # or the marketplace, which holds a marketplace order's money
    marketplace_refund_id: str | None = None

    @property
    def confirmed(self) -> bool:
        return self.payment_status == PaymentStatus.CONFIRMED

    @property
    def settled(self) -> bool:
        """Nothing more is to be paid: paid, or (dry run) recorded as it would have been."""
        return self.payment_status in SETTLED

    def finance_record(self) -> dict:
        """The finance record of CONTRACTS.md."""
        return finance_record({name: getattr(self, name) for name in self.__slots__})
