"""The workflow's ApproveInMarketplace / DeclineInMarketplace steps: the decision, made by our rules or by a
person, told to the marketplace the return came from, as its seller would click it in the back office.

A shop of our own has no marketplace: the step answers at once. What the marketplace refuses (its userErrors, a
return no longer in a state to answer) fails the step into the failures queue with the marketplace's words;
no answer is retried by the ASL, and every retry first reads where the return stands there. The buyer may be
sent the decline note: it is our rule's explanation, never a reviewer's internal note.
"""

from datetime import datetime

from chalicelib.bootstrap import Ports
from chalicelib.domain.clock import iso_utc
from chalicelib.domain.explanations import REVIEW_EXPIRED
from chalicelib.domain.tenancy import shop_of
from chalicelib.services.stored_return import load_return

ANSWERS = ("approve", "decline")


def decline_code(record) -> str | None:
    """The rule the buyer is told of: the decision's, or that nobody decided within the review's time."""
    if record.decision and record.decision.get("outcome") == "manual" and not record.review:
        return REVIEW_EXPIRED
    return record.decision_code


def answer_marketplace(return_id: str, answer: str, ports: Ports, now: datetime) -> dict:
    if answer not in ANSWERS:
        raise ValueError(f"{answer!r} is not an answer; use one of {', '.join(ANSWERS)}")
    record = load_return(return_id, ports)
    actions = ports.marketplaces.actions(shop_of(return_id))
    if actions is None:
        return {"answer": answer, "outcome": "no marketplace to answer"}
    if record.kind == "cancel":
        return {"answer": answer, "outcome": "a cancellation has no return in the marketplace to answer"}
    if answer == "approve":
        outcome = actions.approve(record)
    else:
        outcome = actions.decline(record, decline_code(record))
    ports.returns.update(return_id, {"marketplace_answer": {"answer": answer, "outcome": outcome, "at": iso_utc(now)}})
    return {"answer": answer, "outcome": outcome}
