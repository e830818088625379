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
    "DeclineAfterInspection": "marketplace_rejection",
    "ApproveRefundOnly": "marketplace", "InterceptParcel": "interception",
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
        if _rejected(state):
            return path + ["DeclineInMarketplace", "Notify"]
    if decision == "refund":
        path.append("ApproveRefundOnly")  # a refund-only request refunded with no parcel back
    elif decision == "cancel":
        path += ["HoldShipment", "AwaitHold"]
        if state.get("hold_answer", {}).get("outcome", "held") != "held":
            if state["hold_answer"].get("refund_only"):
                path.append("InterceptParcel")
            path += _parcel_steps(state)  # it had shipped: a return after all (a refund-only request: intercepted)
    elif "expired" in state and "parcel" not in state:
        return path + ["Notify"]  # AwaitParcel ended by its timeout
    else:
        path += ["InterceptParcel" if decision == "intercept" else "ApproveInMarketplace", *_parcel_steps(state)]
    if path[-1] == "Notify":
        return path
    path.append("CalculateRefund")
    if "refund" in state and state["refund"].get("outcome") == "rejected_at_inspection":
        return path + ["DeclineAfterInspection", "Notify"]
    if "refund" in state and state["refund"].get("outcome") != "refund":
        return path + ["Notify"]
    return path + ["DispatchRefund", "Notify"]


def _parcel_steps(state: dict) -> list[str]:
    """AwaitParcel and where ParcelArrived sends the execution before the quote; ending with Notify when the return
    closes without one."""
    steps = ["AwaitParcel"]
    parcel = state.get("parcel", {}).get("decision")
    if parcel == "reject":
        return steps + ["Notify"]
    if parcel == "delivered":  # a refund-only request's parcel, delivered although it was to be stopped
        if "expired" in state:
            return steps + ["DeclineInMarketplace", "Notify"]  # AwaitReview ended by its timeout
        steps.append("AwaitReview")
        if _rejected(state):
            return steps + ["DeclineInMarketplace", "Notify"]
        return steps + ["ApproveInMarketplace", "AwaitParcel"]
    if parcel != "refund":  # "refund": a refund-only request's parcel is back, or a person approved it: no inspection
        steps.append("AwaitInspection")
    return steps


def _rejected(state: dict) -> bool:
    return "review" in state and state["review"].get("decision") != "approve"
