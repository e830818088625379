"""The interfaces services depend on. The AWS and HTTP adapters implement them, and so do the in-memory twins
of `adapters/memory/` (a contract test suite runs the same tests on both). Records are the domain's."""

from typing import TYPE_CHECKING, Protocol, TypeVar

if TYPE_CHECKING:
    from chalicelib.domain.ledger import LedgerRecord
    from chalicelib.domain.orders import Order, RefundAccount
    from chalicelib.domain.policy import PolicyDocument
    from chalicelib.domain.returns import Return
    from chalicelib.domain.tiers import Customer, PaidOrder
    from chalicelib.domain.tracking import Shipment

Entry = TypeVar("Entry", covariant=True)
# A position in a paged source, as the source gave it; None: from the start, or (returned) at the end.
Position = dict | None


class EventLog(Protocol):
    """Event ids kept forever, so a duplicate redriven from the DLQ days later is still recognised."""

    def seen(self, event_id: str) -> bool: ...

    def record(self, event: dict) -> None:
        """Keep the whole canonical event under its id: the audit trail, and the dedupe key."""

    def record_failure(self, message_key: str, error_type: str, error: str, at: str) -> None:
        """Keep why a queued message failed (and how often), so it can be read beside the DLQ."""

    def failure(self, message_key: str) -> dict | None: ...


class OrderStore(Protocol):
    def get(self, order_id: str) -> "Order | None": ...

    def upsert(self, order: dict, occurred_at: str) -> bool:
        """Store the order's fields unless a newer version is stored; True when stored. The refund account stays."""

    def paid_orders(self, customer_id: str) -> "list[PaidOrder]":
        """The customer's orders that were paid (and not cancelled), for RFM."""

    def with_reference(self, reference: str) -> list[str]:
        """The ids of the orders whose shop's own id is `reference`, in any shop."""


class CustomerStore(Protocol):
    def get(self, customer_id: str) -> "Customer | None": ...

    def set_tier(self, customer_id: str, tier: str, facts: dict, at: str, policy_version: str) -> None: ...


class ReturnStore(Protocol):
    """Returns, their review queues (by queue and SLA deadline) and, with each decision, its audit entry."""

    def get(self, return_id: str) -> "Return | None":
        """The stored item, also one that tracking created before its request (`requested` is False)."""

    def create(self, record: "Return") -> bool:
        """Store the request once (merged into an item tracking created first); False when it exists."""

    def update(self, return_id: str, fields: dict, remove: tuple[str, ...] = ()) -> None:
        """Set `fields` and delete the fields named in `remove` (names of Return's fields)."""

    def wait_for(self, return_id: str, waiting_for: str, task_token: str, status: str, fields: dict | None = None) -> "Return":
        """Park the workflow's task token on the return (with `fields`); returns the record as it is now. Fields
        that put it in a review queue start a new stay there: the breach of an earlier one is forgotten."""

    def record_tracking(self, return_id: str, parcel: dict, at: str) -> "Return | None":
        """Keep the parcel's latest status by carrier time; the record, or None when a newer status is stored."""

    def record_inspection(self, return_id: str, inspection: dict, at: str, event_id: str) -> "Return":
        """Keep the first inspection (and the id of its event); returns the record."""

    def flag_parcel_problem(self, return_id: str, problem: dict, queue: dict) -> bool:
        """Put a requested return in a review queue for its parcel's trouble, once (a new stay, as in wait_for);
        True when flagged now."""

    def record_hold_answer(self, return_id: str, answer: dict, at: str) -> "Return":
        """Keep the warehouse's first answer; returns the record."""

    def add_evidence(self, return_id: str, urls: list[str]) -> "Return":
        """Add evidence (a set: adding the same twice changes nothing); returns the record."""

    def parcels_overdue(self, now: str) -> list[str]:
        """The returns watched for tracking that was due before `now`."""

    def with_reference(self, reference: str) -> list[str]:
        """The ids of the returns whose shop's own id is `reference`, in any shop."""

    def requested_by(self, customer_id: str) -> list[str]:
        """The ids of every return the customer requested (of any shop: a customer id is qualified by its shop)."""

    def count_requested(self, customer_id: str, since: str, until: str, excluding: str) -> int:
        """The customer's return requests made in [since, until], not counting `excluding`."""

    def waiting_for_review(self, queue: str, limit: int, start: Position) -> "tuple[list[Return], Position]":
        """A page of a review queue by SLA deadline, and where the next page starts (None at the end)."""

    def overdue_reviews(self, queue: str, now: str) -> "list[Return]":
        """The queue's items past their SLA deadline not yet marked as breached."""

    def mark_breached(self, return_id: str, sla_deadline: str, at: str) -> None:
        """Only while the item still waits with that deadline: a decided item stays as it was decided."""

    def decide(self, return_id: str, waiting_for: str, status: str, key: str, review: dict, audit: dict) -> bool:
        """Keep a reviewer's decision under `key` with its audit entry, and leave the queue, in one write; False
        (and nothing written) when the return no longer waits for it."""


class ShipmentStore(Protocol):
    def get(self, carrier: str, tracking_number: str) -> "Shipment | None": ...

    def with_tracking_number(self, tracking_number: str) -> list[tuple[str, str]]:
        """(carrier, tracking number) of every parcel known by that number."""

    def record(self, carrier: str, tracking_number: str, checkpoint_id: str, checkpoint: dict, return_id: str | None) -> "Shipment":
        """Keep the checkpoint (once) and move the current status when it supersedes; returns the shipment."""

    def link(self, carrier: str, tracking_number: str, return_id: str) -> "Shipment | None":
        """Link the parcel to its return; None when another return has it."""

    def schedule_poll(self, carrier: str, tracking_number: str, next_poll_at: str | None, attempts: int = 0) -> None:
        """When to ask the carrier's API next; None: never."""

    def due_for_poll(self, now: str, limit: int) -> "list[Shipment]":
        """At most `limit` shipments due to be asked about, the longest overdue first (without their checkpoints)."""


class Ledger(Protocol):
    def get(self, refund_id: str) -> "LedgerRecord | None": ...

    def issue(self, record: "LedgerRecord", account: "RefundAccount", expected_version: int) -> bool:
        """Write the record and its order's refund account at once; False when the record exists; raises
        StaleQuote (nothing written) when the account is no longer at `expected_version`."""

    def mark_published(self, refund_id: str, at: str) -> None: ...

    def update_payment(self, refund_id: str, fields: dict, attempt: bool = False) -> "LedgerRecord | None":
        """Set payment fields (`attempt` counts one in payment_attempts and round_attempts) unless the payment is
        settled (confirmed, or dry run); the record as it is now, or None when it was settled (or does not exist)."""

    def issued_on(self, day: str, since: str, until: str, limit: int, start: Position) -> "tuple[list[LedgerRecord], Position]":
        """A page of the records issued on a day (YYYY-MM-DD) within [since, until], oldest first, and where to go on."""


class ShopStore(Protocol):
    """A marketplace shop's connection, as far as the marketplace told us: our app uninstalled, and when."""

    def uninstalled_at(self, shop: str) -> str | None: ...

    def mark_uninstalled(self, shop: str, at: str) -> None: ...

    def cursor(self, shop: str, name: str) -> str | None:
        """How far a poller has read the shop's marketplace (an ISO time in UTC), by the poller's name."""

    def move_cursor(self, shop: str, name: str, value: str) -> None:
        """Move the cursor forward to `value`; a value behind it is ignored."""


class Directory(Protocol[Entry]):
    def get(self, name: str) -> Entry | None:
        """The registered entry named `name` (a source, a staff key id), or None; Unavailable when the registry
        cannot be read at all."""

    def entries(self) -> dict[str, Entry]:
        """Every registered entry, by name (what a scheduled poller goes through)."""


class Audit(Protocol):
    def append(self, entry: dict) -> None:
        """Add an entry (domain/audit.py); entries are never changed or removed."""


class Archive(Protocol):
    def put(self, key: str, body: bytes, content_type: str = "application/json") -> None: ...


class EventQueue(Protocol):
    def send(self, body: str, attributes: dict[str, str]) -> None:
        """Raises QueueUnavailable when the message may not be queued."""


class CarrierApi(Protocol):
    def checkpoints(self, carrier: str, tracking_number: str) -> list[dict]:
        """The parcel's checkpoints as the carrier knows them: status (normalized), at (UTC), location, description."""


class PolicyStore(Protocol):
    def current(self) -> "PolicyDocument":
        """The policy in force: the newest valid document (an invalid one is refused and logged)."""


class PaymentProvider(Protocol):
    """Refunds through the payment provider. It makes at most one refund per idempotency key: asking again
    with the same key answers the refund already made (a declined request does not use up the key)."""

    def refund(self, payment_ref: str, currency: str, amount: str, idempotency_key: str) -> dict:
        """The provider's refund: provider_refund_id, currency, amount, created_at; raises PaymentDeclined,
        PaymentNotConfirmed or PaymentMismatch."""

    def refunds_between(self, since: str, until: str) -> list[dict]:
        """Every refund the provider made in [since, until) (its settlement report), with its idempotency key;
        raises ProviderUnavailable when it cannot be read to its end."""


class EventBus(Protocol):
    def publish(self, detail_type: str, detail: dict) -> None: ...

    def publish_many(self, detail_type: str, details: list[dict]) -> None:
        """Every detail as its own event, in as few calls as the bus takes; EventNotPublished if any was not."""


class Workflows(Protocol):
    def start(self, name: str, payload: dict) -> dict:
        """Start the execution `name` once: {execution, status, error, cause}; RUNNING when it runs (started now or
        already running), else SUCCEEDED, or FAILED / TIMED_OUT / ABORTED with its error and cause."""

    def steps(self, name: str, most: int = 200) -> list[dict] | None:
        """The states the execution entered, oldest first: {state, entered_at, left_at, failed}; None when they
        cannot be read now."""

    def resume(self, task_token: str, output: dict) -> bool:
        """Complete a waiting task; False when it is no longer waiting (a duplicate resume)."""

    def fail(self, task_token: str, error: str, cause: str) -> bool:
        """Fail a waiting task with an error the workflow catches; False when it is no longer waiting."""
