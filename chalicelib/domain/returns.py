"""A return (or cancellation) as stored: its request, where its workflow stands, and what resumes it (pure).

The record is read whole from its table; the workflow's steps, the consumer
and staff each set their own fields. Sub-documents (the decision, the
resolved policy, the quote, the inspection, the parcel) stay the JSON their
writers produced: they are kept for audit and read back as written.
"""

from dataclasses import dataclass, field
from enum import StrEnum


class ReturnStatus(StrEnum):
    REQUESTED = "requested"
    VERIFIED = "verified"
    HOLD_REQUESTED = "hold_requested"
    AWAITING_HOLD = "awaiting_hold"
    AWAITING_PARCEL = "awaiting_parcel"
    AWAITING_INSPECTION = "awaiting_inspection"
    IN_REVIEW = "in_review"
    FAILED = "failed"
    QUOTED = "quoted"
    REFUND_PENDING = "refund_pending"
    REFUND_ISSUED = "refund_issued"
    REFUND_FAILED = "refund_failed"
    # The outcomes a return is closed with.
    REFUNDED = "refunded"
    EXCHANGED = "exchanged"
    REJECTED = "rejected"
    REJECTED_AT_INSPECTION = "rejected_at_inspection"
    NOTHING_TO_REFUND = "nothing_to_refund"
    EXPIRED = "expired"
    REFUND_WRITTEN_OFF = "refund_written_off"
    DRY_RUN_REFUNDED = "dry_run_refunded"  # a dry-run shop's return: refunded on paper, nothing paid


CLOSED = frozenset({
    ReturnStatus.REFUNDED, ReturnStatus.EXCHANGED, ReturnStatus.REJECTED, ReturnStatus.REJECTED_AT_INSPECTION,
    ReturnStatus.NOTHING_TO_REFUND, ReturnStatus.EXPIRED, ReturnStatus.REFUND_WRITTEN_OFF, ReturnStatus.DRY_RUN_REFUNDED,
})


class Waiting(StrEnum):
    """What a parked workflow task waits for."""

    PARCEL = "parcel"
    INSPECTION = "inspection"
    REVIEW = "review"
    FAILURE_REVIEW = "failure_review"
    HOLD = "hold"
    FINANCE_REVIEW = "finance_review"


# The status a return has while its workflow waits for each thing.
WAITING_STATUS = {
    Waiting.PARCEL: ReturnStatus.AWAITING_PARCEL, Waiting.INSPECTION: ReturnStatus.AWAITING_INSPECTION,
    Waiting.REVIEW: ReturnStatus.IN_REVIEW, Waiting.FAILURE_REVIEW: ReturnStatus.FAILED,
    Waiting.HOLD: ReturnStatus.AWAITING_HOLD, Waiting.FINANCE_REVIEW: ReturnStatus.REFUND_FAILED,
}
# Parcel statuses that mean the return parcel reached the warehouse.
ARRIVED = frozenset({"delivered"})
# A return waiting in EVIDENCE_REQUIRED is verified again once evidence arrives.
REVERIFY = "reverify"
# Evidence added after the request is kept up to this many URLs (as many as a request carries): a return's item
# stays far below DynamoDB's 400 KB however often a source sends more.
MAX_ADDED_EVIDENCE = 20


@dataclass(frozen=True, slots=True, kw_only=True)
class Return:
    return_id: str
    # The request, as ReturnRequested or CancelRequested said.
    order_id: str | None = None
    kind: str | None = None  # "return" or "cancel"
    marketplace: str | None = None
    customer_id: str | None = None
    reason: str | None = None
    items: list[dict] = field(default_factory=list)  # [{"line_id", "quantity"}]
    requested_at: str | None = None
    resolution: str | None = None  # "refund", "exchange" or "refund_only" (no parcel asked back)
    replacement: dict | None = None
    evidence_urls: list[str] = field(default_factory=list)
    added_evidence: list[str] = field(default_factory=list)
    return_shipping_paid: str | None = None
    shipment: dict | None = None  # the return parcel; of a refund-only request, the outbound parcel to intercept
    note: str | None = None
    status: ReturnStatus | None = None
    # Verification: the decision and the policy the return is held to from then on.
    decision: dict | None = None
    earlier_decisions: list[dict] = field(default_factory=list)  # a return verified again: what it was decided before
    policy: dict | None = None
    # The parked workflow task.
    waiting_for: Waiting | None = None
    task_token: str | None = None
    # The parcel, the warehouse and the hold.
    parcel: dict | None = None
    parcel_at: str | None = None
    parcel_watch: str | None = None
    tracking_due_at: str | None = None
    parcel_problem: dict | None = None
    expiry_reason: str | None = None
    inspection: dict | None = None
    inspected_at: str | None = None
    inspection_event_id: str | None = None
    hold_answer: dict | None = None
    hold_answered_at: str | None = None
    interception: dict | None = None  # a refund-only request's parcel in transit asked to be stopped: {"outcome", "at"}
    # A person's queue and decisions.
    review_queue: str | None = None
    review_since: str | None = None
    sla_deadline: str | None = None
    sla_breached_at: str | None = None
    review: dict | None = None
    parcel_review: dict | None = None
    failure_review: dict | None = None
    finance_review: dict | None = None
    failure: dict | None = None
    # The refund.
    quote: dict | None = None
    account_after: dict | None = None
    account_version: int | None = None
    quotes: int = 0
    exchange: dict | None = None
    replacement_shipment: dict | None = None  # the warehouse sent the replacement: its parcel, what the marketplace said
    refund_id: str | None = None
    closed_at: str | None = None
    # The marketplace the return came from: where it stands there, and what we told it.
    marketplace_status: str | None = None
    marketplace_answer: dict | None = None
    # Its version there (Taobao's refund_version, JD's sysVersion) and when the marketplace acts by itself.
    marketplace_version: str | None = None
    marketplace_deadline: str | None = None

    @property
    def requested(self) -> bool:
        """Tracking may create the item before its request arrives; such an item is not a return yet."""
        return self.order_id is not None

    @property
    def closed(self) -> bool:
        return self.status in CLOSED

    @property
    def evidence(self) -> list[str]:
        """The evidence of a return: sent with its request, and added since (EvidenceAdded)."""
        return [*self.evidence_urls, *self.added_evidence]

    @property
    def refund_only(self) -> bool:
        return self.resolution == "refund_only"

    @property
    def approved_in_review(self) -> bool:
        return (self.review or {}).get("decision") == "approve"

    @property
    def refund_kind(self) -> str:
        """A cancellation whose order had already shipped (the warehouse said so) is refunded as a return. A
        refund-only request is quoted as one (no parcel back), or as a cancellation once its unshipped order is
        held."""
        held = (self.hold_answer or {}).get("outcome")
        if self.refund_only:
            return "cancel" if held == "held" else "refund_only"
        if held == "already_shipped":
            return "return"
        return self.kind

    @property
    def decision_code(self) -> str | None:
        return (self.decision or {}).get("code")

    def wait_result(self) -> dict | None:
        """What resumes the task parked on this return, once the record holds it; None while it must wait."""
        waiting_for = self.waiting_for
        if waiting_for == Waiting.PARCEL:
            if (self.parcel_review or {}).get("decision") == "reject":
                return {"decision": "reject"}  # a reviewer gave up on a parcel in trouble
            if self.refund_only:
                return self._outbound_parcel_fate()
            if self.inspection:
                return {"decision": "arrived", "arrived": "inspected"}  # the warehouse inspected it, so it is there
            status = (self.parcel or {}).get("status")
            if status in ARRIVED:
                return {"decision": "arrived", "arrived": status}
        elif waiting_for == Waiting.INSPECTION and self.inspection:
            return {"inspected_at": self.inspected_at}
        elif waiting_for == Waiting.REVIEW:
            if self.review:
                return {"decision": self.review["decision"]}
            if self.decision_code == "EVIDENCE_REQUIRED" and self.evidence:
                return {"decision": REVERIFY}
        elif waiting_for == Waiting.HOLD and self.hold_answer:
            # A refund-only request found shipped has its parcel intercepted (HoldAnswered's choice).
            return {"outcome": self.hold_answer["outcome"], **({"refund_only": True} if self.refund_only else {})}
        elif waiting_for in (Waiting.FAILURE_REVIEW, Waiting.FINANCE_REVIEW):
            decided = getattr(self, waiting_for)
            if decided:
                return {"decision": decided["decision"]}
        return None

    def _outbound_parcel_fate(self) -> dict | None:
        """A refund-only request asks no parcel back: it waits for the outbound parcel it intercepts to come back to
        us (returned to sender, or received by the warehouse) or to be delivered anyway (a person decides then).
        One a person approved waits for nothing: the reviewer refunded it with no parcel."""
        if self.approved_in_review:
            return {"decision": "refund", "because": "approved"}
        if self.inspection:
            return {"decision": "refund", "because": "received"}
        status = (self.parcel or {}).get("status")
        if status == "returned_to_sender":
            return {"decision": "refund", "because": status}
        if status == "delivered":
            return {"decision": "delivered"}
        return None


def new_stay(fields: dict) -> tuple[str, ...]:
    """What a write putting a return in a review queue removes: a breach of an earlier stay is not this one's."""
    return ("sla_breached_at",) if "review_queue" in fields else ()
