"""Our rules' decisions in words, for the people who read them outside (a marketplace's decline note)."""

# A request that waited in review longer than the shop allows.
REVIEW_EXPIRED = "REVIEW_EXPIRED"

_TEXT = {
    "ORDER_NOT_ELIGIBLE": "The order is not paid, or was cancelled, so nothing can be returned on it.",
    "QUANTITY_EXCEEDED": "More units were asked back than are left to return on the order.",
    "WINDOW_EXPIRED": "The return was requested after the return window of this item had ended.",
    "NON_RETURNABLE": "This item cannot be returned for this reason (final sale category).",
    "EVIDENCE_REQUIRED": "A quality claim needs photos of the fault.",
    "HIGH_VALUE": "A refund of this size is checked by our staff.",
    "RETURN_ABUSE_SIGNAL": "This request was checked by our staff.",
    REVIEW_EXPIRED: "The request could not be decided within the time the shop allows.",
}


def explain(code: str | None) -> str:
    return _TEXT.get(code or "", "The return request was declined by the shop's return policy.")
