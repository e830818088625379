"""Our rules' decisions in words, for the people who read them outside (a marketplace's decline note)."""

# A request that waited in review longer than the shop allows.
REVIEW_EXPIRED = "REVIEW_EXPIRED"
# Returned goods the warehouse accepted none of (nothing refunded; they go back to the buyer).
REJECTED_AT_INSPECTION = "REJECTED_AT_INSPECTION"
# A refund-only request whose parcel was delivered although it was to be intercepted, declined by a reviewer.
DELIVERED_DESPITE_INTERCEPT = "DELIVERED_DESPITE_INTERCEPT"

_TEXT = {
    "ORDER_NOT_ELIGIBLE": "The order is not paid, or was cancelled, so nothing can be returned on it.",
    "QUANTITY_EXCEEDED": "More units were asked back than are left to return on the order.",
    "WINDOW_EXPIRED": "The return was requested after the return window of this item had ended.",
    "NON_RETURNABLE": "This item cannot be returned for this reason (final sale category).",
    "EVIDENCE_REQUIRED": "A quality claim needs photos of the fault.",
    "HIGH_VALUE": "A refund of this size is checked by our staff.",
    "RETURN_ABUSE_SIGNAL": "This request was checked by our staff.",
    REVIEW_EXPIRED: "The request could not be decided within the time the shop allows.",
    "CANCEL_BEFORE_SHIPMENT": "The order had not shipped yet: it is cancelled and refunded once it is held back.",
    "INTERCEPT_IN_TRANSIT": "The parcel is on its way: it is stopped and sent back, and refunded once it is back.",
    "RETURNLESS_REFUND": "The item is refunded without being sent back; there is no need to return it.",
    "REFUND_ONLY_DELIVERED": "A refund without returning a delivered item is checked by our staff.",
    REJECTED_AT_INSPECTION: "The returned goods did not pass our inspection, so nothing is refunded; they are sent "
    "back to you.",
    DELIVERED_DESPITE_INTERCEPT: "The parcel was delivered although it was to be stopped; a refund without returning "
    "it was not granted, a return can be requested instead.",
}


def explain(code: str | None) -> str:
    return _TEXT.get(code or "", "The return request was declined by the shop's return policy.")
