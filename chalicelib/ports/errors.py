"""The errors services raise, by what the caller can do about them; `api/errors.py` maps each kind to HTTP."""


class ServiceError(Exception):
    """A refusal with a stable code for machines and a message for people."""

    code = "error"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.code


class NotAuthenticated(ServiceError):
    """The caller is not who it says (no key, a wrong key, a bad signature)."""

    code = "not_authenticated"


class Forbidden(ServiceError):
    """The caller is known but may not do this (an event type or a shop it is not granted, a role it lacks)."""

    code = "forbidden"


class UnknownSubject(ServiceError):
    """What the call names does not exist here (a source, a carrier, a return)."""

    code = "not_found"


class TooLarge(ServiceError):
    code = "body_too_large"


class Conflict(ServiceError):
    """The request is valid but the record's state refuses it (inspected already, no longer waiting, taken)."""

    code = "conflict"


class Unavailable(ServiceError):
    """Something this service depends on did not answer; nothing was done and the caller may try again."""

    code = "unavailable"


class QueueUnavailable(Unavailable):
    """The queue did not take the message (an error or no answer): it is not queued; the sender sends it again."""

    code = "queue_unavailable"


class ProviderUnavailable(Unavailable):
    """The provider's settlement report could not be read (no answer, or an error): try again later."""

    code = "provider_unavailable"


class ReturnNotFound(Exception):
    """A workflow step names a return that was never stored: not transient, so it goes to RecordFailure."""


class StaleQuote(Exception):
    """Someone refunded on the order after the quote was made; the workflow quotes again (see the ASL)."""


class PaymentDeclined(Exception):
    """The provider refused the refund and made none (its code and message say why); retrying may succeed."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class PaymentNotConfirmed(Exception):
    """No answer (timeout, connection lost, 5xx): the refund may or may not exist; only the same key may ask again."""


class PaymentMismatch(Exception):
    """The provider holds a different refund under our key: a person must look (never retried)."""


class MarketplaceRefused(Exception):
    """The marketplace answered and refused (its userErrors, a refused token, a return in the wrong state): nothing
    was done there; a person must look, with the marketplace's own words (never retried blindly)."""


class MarketplaceUnavailable(Exception):
    """The marketplace did not answer usefully (timeout, 5xx, throttled beyond the wait we allow): for a read, try
    again; for a write, its outcome is unknown and it is checked against the marketplace before it is sent again."""


class HydrationFailed(Exception):
    """The resource a notification names could not be read as a record of ours (gone, or not what it should be):
    retried with the message, and kept beside it in the DLQ with this reason."""


class TooManyPages(Exception):
    """A paged source did not end within its bound (or came back to a page it gave): nothing is returned."""
