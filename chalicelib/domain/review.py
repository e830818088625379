"""Manual review, the only human step: which queue an item goes to and what a reviewer may decide (pure).

POLICY.md section 6 routes by problem type; returns whose workflow failed wait
in their own queue. A returned item waits for `approve` or `reject`; a failed
one for `retry` (the workflow starts over from Verify, every step being
idempotent) or `reject`.
"""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints

LOGISTICS_REASONS = frozenset({"damaged_in_transit"})
PRODUCT_QUALITY_REASONS = frozenset({"quality_issue", "not_as_described", "missing_parts", "wrong_item"})
FAILURE_QUEUE = "failures"
QUEUES = ("product_quality", "logistics", "service", FAILURE_QUEUE)
# What a reviewer may decide, by what the return waits for, and where the decision is kept on the return.
DECISIONS = {"review": ("approve", "reject"), "failure_review": ("retry", "reject")}
# A return waiting in EVIDENCE_REQUIRED is verified again once evidence arrives.
REVERIFY = "reverify"


def problem_type(reason: str) -> str:
    if reason in LOGISTICS_REASONS:
        return "logistics"
    if reason in PRODUCT_QUALITY_REASONS:
        return "product_quality"
    return "service"


class ReviewDecision(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    decision: Literal["approve", "reject", "retry"]
    note: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
