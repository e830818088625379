"""Apply one queued canonical event exactly once: dedupe on its id, then route it.

The event id is recorded only after its effects, and every effect is itself
idempotent (conditional writes, executions named by the return id, a task
token completes once), so a crash in between is repaired by the redelivery,
never doubled. Tracking and inspections resume the workflow waiting for them.
"""

from chalicelib.bootstrap import Ports
from chalicelib.domain.clock import iso_utc
from chalicelib.domain.events import (
    CancelRequested,
    CanonicalEvent,
    EvidenceAdded,
    HoldShipmentAnswered,
    OrderUpserted,
    ReturnRequested,
    TrackingUpdated,
)
from chalicelib.domain.orders import Order
from chalicelib.domain.returns import Return, ReturnStatus
from chalicelib.domain.tiers import paid_total_minor
from chalicelib.services.rank_customer import rank_customer
from chalicelib.services.sync_tracking import link_tracking, record_checkpoint
from chalicelib.services.wait_for_event import resume_if_ready


def ingest_event(event: CanonicalEvent, ports: Ports) -> str:
    """Returns what was done, for the log."""
    if ports.event_log.seen(event.event_id):
        return "duplicate"
    if isinstance(event, OrderUpserted):
        order = {
            **event.data.model_dump(mode="json", exclude_none=True),
            "marketplace": event.source,
            "paid_total_minor": paid_total_minor(event.data),
        }
        if ports.orders.upsert(order, iso_utc(event.occurred_at)):
            tier = rank_customer(event.data.customer_id, event.source, ports, event.received_at)
            outcome = f"order_stored, customer {tier}"
        else:
            outcome = "order_stale"
    elif isinstance(event, (ReturnRequested, CancelRequested)):
        ports.returns.create(return_record(event, ports.orders.get(event.data.order_id)))
        shipment = getattr(event.data, "shipment", None)
        if shipment is not None:
            link_tracking(event.data.return_id, shipment.carrier, shipment.tracking_number, ports, event.received_at)
        ports.workflows.start(event.data.return_id, {"return_id": event.data.return_id})
        outcome = "workflow_started"
    elif isinstance(event, EvidenceAdded):
        record = ports.returns.add_evidence(event.data.return_id, event.data.evidence_urls)
        outcome = _resumed("evidence_stored", record, ports)
    elif isinstance(event, HoldShipmentAnswered):
        answer = event.data.model_dump(mode="json", exclude_none=True)
        record = ports.returns.record_hold_answer(event.data.return_id, answer, iso_utc(event.occurred_at))
        outcome = _resumed(f"hold_{event.data.outcome}", record, ports)
    elif isinstance(event, TrackingUpdated):
        outcome = record_checkpoint(event, ports)
    else:
        inspection = event.data.model_dump(mode="json", exclude_none=True)
        record = ports.returns.record_inspection(event.data.return_id, inspection, iso_utc(event.occurred_at), event.event_id)
        outcome = _resumed("inspection_stored", record, ports)
    ports.event_log.record({**event.model_dump(mode="json"), "outcome": outcome})
    return outcome


def _resumed(outcome: str, record: Return, ports: Ports) -> str:
    return f"{outcome}, workflow resumed" if resume_if_ready(record, ports.workflows) else outcome


def return_record(event: ReturnRequested | CancelRequested, order: Order | None = None) -> Return:
    """The stored request; with its customer as soon as the order is known, so that the abuse signal (rule 8)
    counts it from the start, not only once it is verified."""
    return Return(
        **event.data.model_dump(mode="json", exclude_none=True),
        customer_id=order.customer_id if order else None,
        kind="cancel" if isinstance(event, CancelRequested) else "return",
        marketplace=event.source,
        requested_at=iso_utc(event.occurred_at),
        status=ReturnStatus.REQUESTED,
    )
