"""Manual review, the only human step: which queue an item goes to and what a reviewer may decide (pure).

POLICY.md section 6 routes by problem type; returns whose workflow failed wait
in their own queue. A verified return sent to review waits for `approve` or
`reject`; a failed one for `retry` (the workflow starts over from Verify,
every step being idempotent) or `reject`; one whose parcel is in trouble
(exception, returned to sender, expired) for `keep_waiting` or `reject`; a refund the payment provider did
not confirm waits in finance's queue for `retry` (another round, same idempotency key) or `write_off`
(finance settles it outside the provider).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, StringConstraints

from chalicelib.domain.clock import iso_utc
from chalicelib.domain.returns import Return, ReturnStatus, Waiting
from chalicelib.domain.tenancy import unqualified

LOGISTICS_REASONS = frozenset({"damaged_in_transit"})
PRODUCT_QUALITY_REASONS = frozenset({"quality_issue", "not_as_described", "missing_parts", "wrong_item"})
FAILURE_QUEUE = "failures"
FINANCE_QUEUE = "finance"
QUEUES = ("product_quality", "logistics", "service", FAILURE_QUEUE, FINANCE_QUEUE)


class ReviewKind(NamedTuple):
    decisions: tuple[str, ...]
    status: str  # the return's status while it waits for this decision
    key: str  # where the decision is kept on the return


# What a reviewer may decide, by what the return's workflow waits for.
KINDS = {
    Waiting.REVIEW: ReviewKind(("approve", "reject"), ReturnStatus.IN_REVIEW, "review"),
    Waiting.FAILURE_REVIEW: ReviewKind(("retry", "reject"), ReturnStatus.FAILED, "failure_review"),
    Waiting.PARCEL: ReviewKind(("keep_waiting", "reject"), ReturnStatus.AWAITING_PARCEL, "parcel_review"),
    Waiting.FINANCE_REVIEW: ReviewKind(("retry", "write_off"), ReturnStatus.REFUND_FAILED, "finance_review"),
}


def problem_type(reason: str) -> str:
    if reason in LOGISTICS_REASONS:
        return "logistics"
    if reason in PRODUCT_QUALITY_REASONS:
        return "product_quality"
    return "service"


# A marketplace that acts by itself at its deadline (Taobao's refund_remind_timeout: it agrees or closes the
# request) is beaten to it: a person's deadline is at the latest this long before the marketplace's.
BEFORE_MARKETPLACE_DEADLINE = timedelta(hours=6)


def queue_fields(queue: str, sla_hours: int, now: datetime, marketplace_deadline: str | None = None) -> dict:
    """What puts a return in a review queue, with the deadline of its tier's service level, or earlier: before the
    marketplace's own deadline (so the SLA sweep escalates it, and the queue puts it first, while there is time)."""
    return {
        "review_queue": queue,
        "review_since": iso_utc(now),
        "sla_deadline": sla_deadline(now + timedelta(hours=sla_hours), marketplace_deadline),
    }


def sla_deadline(by_tier: datetime, marketplace_deadline: str | None) -> str:
    if marketplace_deadline is None:
        return iso_utc(by_tier)
    before = datetime.fromisoformat(marketplace_deadline) - BEFORE_MARKETPLACE_DEADLINE
    return iso_utc(min(by_tier, before))


class ReviewDecision(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    decision: Literal["approve", "reject", "retry", "keep_waiting", "write_off"]
    note: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


@dataclass(frozen=True, slots=True, kw_only=True)
class ReviewItem:
    """A return as a reviewer sees it in a queue: the request, why it waits, and the deadline; its ids as its shop
    knows them."""

    shop: str | None
    return_id: str
    order_id: str | None
    marketplace: str | None
    customer_id: str | None
    kind: str | None
    reason: str | None
    items: list[dict]
    status: str | None
    queue: str | None
    review_since: str | None
    sla_deadline: str | None
    sla_breached_at: str | None
    failure: dict | None
    evidence_urls: list[str]
    decision: dict  # its code, facts and policy version
    decisions: list[str]  # what a reviewer may decide on it now

    @classmethod
    def of(cls, record: Return) -> "ReviewItem":
        decision = record.decision or {}
        ids = unqualified({"return_id": record.return_id, "order_id": record.order_id, "customer_id": record.customer_id})
        return cls(
            shop=ids.get("shop"), return_id=ids["return_id"], order_id=ids["order_id"], marketplace=record.marketplace,
            customer_id=ids["customer_id"], kind=record.kind, reason=record.reason, items=record.items,
            status=record.status, queue=record.review_queue, review_since=record.review_since,
            sla_deadline=record.sla_deadline, sla_breached_at=record.sla_breached_at, failure=record.failure,
            evidence_urls=record.evidence,
            decision={key: decision.get(key) for key in ("code", "facts", "policy_version")},
            decisions=list(KINDS[record.waiting_for].decisions) if record.waiting_for in KINDS else [],
        )
