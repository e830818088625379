"""Where a return's workflow execution stands, read from the results its steps left in its state (pure)."""


def closing_outcome(state: dict) -> str:
    """The outcome a finished execution closes the return with, from the results its steps left in the state."""
    if state.get("refund", {}).get("exchange"):
        return "exchanged"  # a replacement went out, with the difference refunded or asked for
    if state.get("dispatch", {}).get("payment") == "confirmed":
        return "refunded"
    if state.get("dispatch", {}).get("payment") == "dry_run":
        return "dry_run_refunded"
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
    "AwaitParcel": "parcel", "ApproveInMarketplace": "marketplace", "DeclineInMarketplace": "marketplace",
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
        return path + ["DeclineInMarketplace", "Notify"]
    if decision == "manual":
        if "expired" in state:
            return path + ["DeclineInMarketplace", "Notify"]  # AwaitReview ended by its timeout
        path.append("AwaitReview")
        if "review" in state and state["review"].get("decision") != "approve":
            return path + ["DeclineInMarketplace", "Notify"]
    if decision == "cancel":
        path += ["HoldShipment", "AwaitHold"]
        if state.get("hold_answer", {}).get("outcome", "held") != "held":
            path += ["AwaitParcel", "AwaitInspection"]  # it had shipped: a return after all
    elif "expired" in state:
        return path + ["Notify"]  # AwaitParcel ended by its timeout
    else:
        path += ["ApproveInMarketplace", "AwaitParcel"]
        if state.get("parcel", {}).get("decision") == "reject":
            return path + ["Notify"]
        path.append("AwaitInspection")
    path.append("CalculateRefund")
    if "refund" in state and state["refund"].get("outcome") != "refund":
        return path + ["Notify"]
    return path + ["DispatchRefund", "Notify"]
