"""The interfaces services depend on; AWS adapters and test fakes both implement them."""

from typing import Protocol

from chalicelib.domain.policy import PolicyDocument


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


class ProviderUnavailable(Exception):
    """The provider's settlement report could not be read (no answer, or an error): try again later."""


class PaymentMismatch(Exception):
    """The provider holds a different refund under our key: a person must look (never retried)."""


class SecretStore(Protocol):
    def secret(self, name: str) -> bytes | None:
        """The secret stored under `name` (a webhook source, a staff key id), or None when there is none."""


class Archive(Protocol):
    def put(self, key: str, body: bytes, content_type: str = "application/json") -> None: ...


class QueueUnavailable(Exception):
    """The queue did not take the message (an error or no answer): it is not queued; the sender sends it again."""


class EventQueue(Protocol):
    def send(self, body: str, attributes: dict[str, str]) -> None:
        """Raises QueueUnavailable when the message may not be queued."""


class EventLog(Protocol):
    def seen(self, event_id: str) -> bool: ...

    def record(self, event: dict) -> None:
        """Keep the whole canonical event under its id: the audit trail, and the dedupe key."""

    def record_failure(self, message_key: str, error_type: str, error: str, at: str) -> None:
        """Keep why a queued message failed (and how often), so it can be read beside the DLQ."""

    def failure(self, message_key: str) -> dict | None: ...


class OrderStore(Protocol):
    def get(self, order_id: str) -> dict | None: ...

    def upsert(self, order: dict, occurred_at: str) -> bool:
        """Store the order unless a newer version is already stored; True when stored."""

    def paid_orders(self, customer_id: str) -> list[dict]:
        """The customer's paid orders: order_id, paid_at, currency, paid_total_minor, status."""


class CustomerStore(Protocol):
    def get(self, customer_id: str) -> dict | None: ...

    def set_tier(self, customer_id: str, tier: str, facts: dict, at: str, policy_version: str) -> None: ...


class ReturnStore(Protocol):
    def get(self, return_id: str) -> dict | None: ...

    def create(self, record: dict) -> bool:
        """Create the return once; False when it already exists."""

    def update(self, return_id: str, fields: dict, remove: tuple[str, ...] = ()) -> None:
        """Set `fields` and delete the attributes named in `remove`."""

    def wait_for(self, return_id: str, waiting_for: str, task_token: str, status: str, fields: dict | None = None) -> dict:
        """Park the workflow's task token on the return (with `fields`); returns the whole record as it is now."""

    def record_tracking(self, return_id: str, tracking: dict, at: str) -> dict | None:
        """Keep the parcel's latest status by carrier time; the record, or None when a newer status is stored."""

    def record_inspection(self, return_id: str, inspection: dict, at: str, event_id: str) -> dict:
        """Keep the first inspection (and the id of its event); returns the whole record."""

    def flag_parcel_problem(self, return_id: str, problem: dict, queue: dict) -> bool:
        """Put the return in a review queue for its parcel's trouble, once; True when flagged now."""

    def record_hold_answer(self, return_id: str, answer: dict, at: str) -> dict:
        """Keep the warehouse's first answer; returns the whole record."""

    def add_evidence(self, return_id: str, urls: list[str]) -> dict:
        """Add evidence to the return (a set: adding the same twice changes nothing); returns the whole record."""

    def parcels_overdue(self, now: str) -> list[dict]:
        """Approved returns whose tracking was due before `now` and has not come."""

    def count_requested(self, customer_id: str, since: str, until: str, excluding: str) -> int:
        """The customer's return requests made in [since, until], not counting `excluding`."""


class ShipmentStore(Protocol):
    def get(self, carrier: str, tracking_number: str) -> dict | None: ...

    def record(self, carrier: str, tracking_number: str, checkpoint_id: str, checkpoint: dict, return_id: str | None) -> dict:
        """Keep the checkpoint (once) and move the current status when it supersedes; returns the shipment."""

    def link(self, carrier: str, tracking_number: str, return_id: str) -> dict | None:
        """Link the parcel to its return; None when another return has it."""

    def schedule_poll(self, carrier: str, tracking_number: str, next_poll_at: str | None, attempts: int = 0) -> None:
        """When to ask the carrier's API next; None: never."""

    def due_for_poll(self, now: str, limit: int) -> list[dict]:
        """At most `limit` shipments due to be asked about, the longest overdue first."""


class CarrierApi(Protocol):
    def checkpoints(self, carrier: str, tracking_number: str) -> list[dict]:
        """The parcel's checkpoints as the carrier knows them: status (normalized), at (UTC), location, description."""


class PolicyStore(Protocol):
    def current(self) -> PolicyDocument:
        """The policy in force: the newest valid document (an invalid one is refused and logged)."""


class Ledger(Protocol):
    def get(self, refund_id: str) -> dict | None: ...

    def issue(self, record: dict, order_id: str, account: dict, expected_version: int) -> bool:
        """Write the record and the order's refund account at once; False when the record exists."""

    def mark_published(self, refund_id: str, at: str) -> None: ...

    def update_payment(self, refund_id: str, fields: dict, attempt: bool = False) -> dict | None:
        """Set payment fields (payment_status, ...; `attempt` counts one in payment_attempts and round_attempts)
        unless the payment is already confirmed; the record as it is now, or None when it was confirmed."""

    def issued_on(self, day: str, since: str, until: str, limit: int, start: dict | None) -> tuple[list[dict], dict | None]:
        """A page of the records issued on a day within [since, until], oldest first, and where to go on."""


class PaymentProvider(Protocol):
    """Refunds through the payment provider. It makes at most one refund per idempotency key: asking again
    with the same key answers the refund already made (a declined request does not use up the key)."""

    def refund(self, payment_ref: str, currency: str, amount: str, idempotency_key: str) -> dict:
        """The provider's refund: provider_refund_id, currency, amount, created_at; raises PaymentDeclined or
        PaymentNotConfirmed."""

    def refunds_between(self, since: str, until: str) -> list[dict]:
        """Every refund the provider made in [since, until) (its settlement report), with its idempotency key."""


class EventBus(Protocol):
    def publish(self, detail_type: str, detail: dict) -> None: ...


class Workflows(Protocol):
    def start(self, name: str, payload: dict) -> None:
        """Start the workflow execution `name` once; a duplicate start is not an error."""

    def resume(self, task_token: str, output: dict) -> bool:
        """Complete a waiting task; False when it is no longer waiting (a duplicate resume)."""

    def fail(self, task_token: str, error: str, cause: str) -> bool:
        """Fail a waiting task with an error the workflow catches; False when it is no longer waiting."""


class ReviewStore(Protocol):
    def waiting(self, queue: str, limit: int, start: dict | None) -> tuple[list[dict], dict | None]:
        """A page of a review queue by SLA deadline, and where the next page starts (None at the end)."""

    def decide(self, return_id: str, waiting_for: str, status: str, key: str, review: dict, audit: dict) -> bool:
        """Keep a reviewer's decision under `key` with its audit entry; False when the return no longer waits for it."""

    def overdue(self, queue: str, now: str) -> list[dict]:
        """Items past their SLA deadline not yet marked as breached."""

    def mark_breached(self, return_id: str, sla_deadline: str, at: str) -> None: ...
