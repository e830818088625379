"""Apply one queued canonical event exactly once: dedupe on its id, then route it.

The event id is recorded only after its effects, and every effect is itself
idempotent (conditional writes, executions named after the return id, a task
token completes once), so a crash in between is repaired by the redelivery,
never doubled. Tracking and inspections resume the workflow waiting for them.

A request whose execution is found ended badly (FAILED, TIMED_OUT, ABORTED) is
not taken as done: the return is restarted under the next generation's name
into the failures queue (the ASL's Start sends such an execution straight to
RecordFailure), where a person retries it from Verify or rejects it.
"""

from chalicelib.bootstrap import Ports
from chalicelib.domain.clock import iso_utc
from chalicelib.domain.events import (
    CancelRequested,
    CanonicalEvent,
    EvidenceAdded,
    HoldShipmentAnswered,
    OrderUpserted,
    ReplacementShipped,
    ReturnRequested,
    TrackingUpdated,
)
from chalicelib.domain.execution_names import ENDED_BADLY, execution_name, restart_name
from chalicelib.domain.orders import Order
from chalicelib.domain.returns import Return, ReturnStatus
from chalicelib.domain.tiers import paid_total_minor
from chalicelib.services.rank_customer import rank_customer
from chalicelib.services.record_in_lake import record_order
from chalicelib.services.sync_tracking import link_tracking, record_checkpoint
from chalicelib.services.tell_replacement_shipped import tell_replacement_shipped
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
            if event.data.status not in UNSOLD:
                record_order(order, event.source, iso_utc(event.data.paid_at or event.occurred_at), ports)
            tier = rank_customer(event.data.customer_id, event.source, ports, event.received_at)
            outcome = f"order_stored, customer {tier}"
        else:
            outcome = "order_stale"
    elif isinstance(event, (ReturnRequested, CancelRequested)):
        ports.returns.create(return_record(event, ports.orders.get(event.data.order_id)))
        shipment = getattr(event.data, "shipment", None)
        if shipment is not None:
            link_tracking(event.data.return_id, shipment.carrier, shipment.tracking_number, ports, event.received_at)
        outcome = start_workflow(event.data.return_id, ports)
    elif isinstance(event, EvidenceAdded):
        record = ports.returns.add_evidence(event.data.return_id, event.data.evidence_urls)
        outcome = _resumed("evidence_stored", record, ports)
    elif isinstance(event, HoldShipmentAnswered):
        answer = event.data.model_dump(mode="json", exclude_none=True)
        record = ports.returns.record_hold_answer(event.data.return_id, answer, iso_utc(event.occurred_at))
        outcome = _resumed(f"hold_{event.data.outcome}", record, ports)
    elif isinstance(event, TrackingUpdated):
        outcome = record_checkpoint(event, ports)
    elif isinstance(event, ReplacementShipped):
        outcome = tell_replacement_shipped(event, ports, event.received_at)
    else:
        inspection = event.data.model_dump(mode="json", exclude_none=True)
        record = ports.returns.record_inspection(event.data.return_id, inspection, iso_utc(event.occurred_at), event.event_id)
        outcome = _resumed("inspection_stored", record, ports)
    ports.event_log.record({**event.model_dump(mode="json"), "outcome": outcome})
    return outcome


# Orders that sold nothing (yet): their lines are no part of a return rate.
UNSOLD = frozenset({"pending_payment", "cancelled"})
# How many executions of one return may end badly before its requests go back to the queue (and to the DLQ).
MAX_GENERATIONS = 5


class WorkflowNotRestarted(Exception):
    """Every generation of the return's execution ended badly: a person must look (the message's error says why)."""


def start_workflow(return_id: str, ports: Ports) -> str:
    """Start the return's execution once; one found ended badly is followed by the next generation, which waits in
    the failures queue with what happened. Returns the outcome, for the log."""
    found = ports.workflows.start(execution_name(return_id), {"return_id": return_id})
    if found["status"] not in ENDED_BADLY:
        return "workflow_started"
    first = found
    for generation in range(1, MAX_GENERATIONS + 1):
        name = restart_name(return_id, generation)
        found = ports.workflows.start(name, restart_input(return_id, found, name, ports))
        if found["status"] not in ENDED_BADLY:
            return f"workflow_{first['status'].lower()}, restarted for review as {name}"
    raise WorkflowNotRestarted(
        f"{MAX_GENERATIONS + 1} executions of return {return_id} ended badly, the last {found['execution']} "
        f"{found['status']}: {found.get('error')}: {found.get('cause')}"
    )


def restart_input(return_id: str, ended: dict, name: str, ports: Ports) -> dict:
    """What a restarted execution starts with: the earlier execution's end, as the failure RecordFailure keeps (in
    Step Functions' words: {"Error", "Cause"}), and where the return stood. Starting it again while it runs is
    answered as running whatever the input (the return has moved on to `failed` by then)."""
    status = ended["status"]
    record = ports.returns.get(return_id)
    cause = f"the workflow execution {ended['execution']} ended {status}"
    if ended.get("error"):
        cause += f" with {ended['error']}"
    if ended.get("cause"):
        cause += f": {ended['cause']}"
    if record is not None and record.status:
        cause += f"; the return was {record.status}"
    return {
        "return_id": return_id,
        "restart_of": {"execution": ended["execution"], "status": status},
        "failure": {"Error": "Execution" + status.title().replace("_", ""), "Cause": f"{cause}; restarted as {name}"},
    }


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
