"""Where a return stands in its workflow, read from its stored record and the execution's state (pure)."""

from chalicelib.domain.review import REVERIFY

# Parcel statuses that mean the return parcel reached the warehouse.
ARRIVED = frozenset({"delivered"})
# Outcomes a return is closed with; "failed" and "in_review" wait on a person.
CLOSED = (
    "refunded", "exchanged", "rejected", "rejected_at_inspection", "nothing_to_refund", "expired", "refund_written_off",
)


def wait_result(record: dict) -> dict | None:
    """What resumes the task parked on this return, once the record holds it; None while it must wait."""
    waiting_for = record.get("waiting_for")
    if waiting_for == "parcel":
        if (record.get("parcel_review") or {}).get("decision") == "reject":
            return {"decision": "reject"}  # a reviewer gave up on a parcel in trouble
        if record.get("inspection"):
            return {"decision": "arrived", "arrived": "inspected"}  # the warehouse inspected it, so it is there
        parcel = record.get("parcel") or {}
        if parcel.get("status") in ARRIVED:
            return {"decision": "arrived", "arrived": parcel["status"]}
    elif waiting_for == "inspection" and record.get("inspection"):
        return {"inspected_at": record["inspected_at"]}
    elif waiting_for == "review":
        if record.get("review"):
            return {"decision": record["review"]["decision"]}
        if (record.get("decision") or {}).get("code") == "EVIDENCE_REQUIRED" and evidence(record):
            return {"decision": REVERIFY}
    elif waiting_for == "hold" and record.get("hold_answer"):
        return {"outcome": record["hold_answer"]["outcome"]}
    elif waiting_for in ("failure_review", "finance_review") and record.get(waiting_for):
        return {"decision": record[waiting_for]["decision"]}
    return None


def refund_kind(record: dict) -> str:
    """A cancellation whose order had already shipped (the warehouse said so) is refunded as a return."""
    if (record.get("hold_answer") or {}).get("outcome") == "already_shipped":
        return "return"
    return record["kind"]


def evidence(record: dict) -> list[str]:
    """The evidence of a return: sent with its request, and added since (EvidenceAdded)."""
    return list(record.get("evidence_urls", [])) + list(record.get("added_evidence", []))


def closing_outcome(state: dict) -> str:
    """The outcome a finished execution closes the return with, from the results its steps left in the state."""
    if state.get("refund", {}).get("exchange"):
        return "exchanged"  # a replacement went out, with the difference refunded or asked for
    if state.get("dispatch", {}).get("payment") == "confirmed":
        return "refunded"
    if "finance_review" in state:
        return "refund_written_off"  # the provider never confirmed it and finance settled it outside
    if "failure_review" in state or state.get("parcel", {}).get("decision") == "reject":
        return "rejected"  # a failed return, or one whose parcel is lost, that a person rejected
    if "refund" in state:
        return state["refund"]["outcome"]
    if "expired" in state:
        return "expired"
    return "rejected"  # by verification, or by a reviewer


_RESULT_KEYS = {
    "Verify": "verification", "AwaitReview": "review", "HoldShipment": "hold", "AwaitHold": "hold_answer",
    "AwaitParcel": "parcel",
    "AwaitInspection": "inspection", "CalculateRefund": "refund", "DispatchRefund": "dispatch", "Notify": "notified",
}


def failed_step(state: dict) -> str:
    """The step that was running when the workflow caught an error: the first on its path without a result."""
    for step in _path(state):
        if _RESULT_KEYS[step] not in state:
            return step
    return "Notify"


def _path(state: dict) -> list[str]:
    """The steps this execution has taken or would take next, as the ASL's choices send it."""
    decision = state.get("verification", {}).get("decision")
    if decision is None:
        return ["Verify"]
    path = ["Verify"]
    if decision == "reject":
        return path + ["Notify"]
    if decision == "manual":
        path.append("AwaitReview")
        if "review" in state and state["review"].get("decision") != "approve":
            return path + ["Notify"]
    if decision == "cancel":
        path += ["HoldShipment", "AwaitHold"]
        if state.get("hold_answer", {}).get("outcome", "held") != "held":
            path += ["AwaitParcel", "AwaitInspection"]  # it had shipped: a return after all
    elif "expired" in state:
        return path + ["Notify"]  # AwaitParcel ended by its timeout
    else:
        path.append("AwaitParcel")
        if state.get("parcel", {}).get("decision") == "reject":
            return path + ["Notify"]
        path.append("AwaitInspection")
    path.append("CalculateRefund")
    if "refund" in state and state["refund"].get("outcome") != "refund":
        return path + ["Notify"]
    return path + ["DispatchRefund", "Notify"]
