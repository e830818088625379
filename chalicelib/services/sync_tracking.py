"""Follow every return parcel by itself: checkpoints go to the parcel's shipment (timeline, current status by
carrier time and rank), and a shipment linked to a return hands its current status to the return, which
resumes the workflow waiting for the parcel.

A tracking number is linked by the checkpoint itself (the carrier knew our return id), by the return request
(`shipment`), or by staff (PUT /v1/returns/{id}/tracking). Checkpoints that arrive before the link are kept on
the shipment and handed over when the link is made.
"""

from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, ValidationError

from chalicelib.bootstrap import Ports
from chalicelib.domain.audit import audit_entry
from chalicelib.domain.clock import iso_utc
from chalicelib.domain.errors import from_validation_error
from chalicelib.domain.events import Id, TrackingUpdated
from chalicelib.domain.policy import DEFAULT_TIER, return_policy
from chalicelib.domain.review import queue_fields
from chalicelib.domain.staff_keys import Role, Staff
from chalicelib.domain.tenancy import unqualified
from chalicelib.domain.tracking import PROBLEMS, Shipment, checkpoint_key
from chalicelib.ports.errors import Conflict
from chalicelib.services.authenticate_staff import require
from chalicelib.services.stored_return import load_staff_return
from chalicelib.services.wait_for_event import resume_if_ready


def record_checkpoint(event: TrackingUpdated, ports: Ports) -> str:
    """Keep a checkpoint on its shipment (once, however many sources relay it) and hand the shipment's status to its
    return (as of the event's arrival).

    A parcel still moving is asked about again if it stays quiet for the policy's stale-tracking hours; a final
    one never."""
    data = event.data
    checkpoint = {
        "status": data.status, "at": iso_utc(event.occurred_at),
        **data.model_dump(mode="json", exclude_none=True, include={"location", "description"}),
    }
    key = checkpoint_key(data.carrier, data.tracking_number, checkpoint["at"], data.status, data.description)
    shipment = ports.shipments.record(data.carrier, data.tracking_number, key, checkpoint, data.return_id)
    stale_hours = ports.policies.current().resolve(None, DEFAULT_TIER).stale_tracking_hours
    quiet_until = None if shipment.final else iso_utc(event.received_at + timedelta(hours=stale_hours))
    ports.shipments.schedule_poll(data.carrier, data.tracking_number, quiet_until)
    if shipment.return_id is None:
        return "tracking_unlinked"  # kept on the shipment until its return is known
    return apply_to_return(shipment, ports, event.received_at)


def apply_to_return(shipment: Shipment, ports: Ports, now: datetime) -> str:
    """Hand the shipment's current status to its return; resume the workflow when it waits for the parcel.

    A parcel in trouble (exception, returned to sender, expired) puts its return in the logistics queue, with
    the review SLA of the policy the return is held to. The parcel of a refund-only request is the outbound one
    it intercepts: that one returned to sender is what the request waits for, not trouble.
    """
    if shipment.status is None:
        return "tracking_linked"
    detail = shipment.status_detail
    parcel = {
        **{key: detail[key] for key in ("location", "description") if key in detail},
        "carrier": shipment.carrier, "tracking_number": shipment.tracking_number, "status": shipment.status,
        "return_id": shipment.return_id,
    }
    record = ports.returns.record_tracking(shipment.return_id, parcel, shipment.status_at)
    if record is None:
        return "tracking_stale"
    trouble = PROBLEMS - {"returned_to_sender"} if record.refund_only else PROBLEMS
    if shipment.status in trouble and not record.closed and record.inspection is None:
        sla_hours = return_policy(record, ports.policies.current).review_sla_hours
        problem = {"status": shipment.status, "at": shipment.status_at}
        if ports.returns.flag_parcel_problem(record.return_id, problem, queue_fields("logistics", sla_hours, now, record.marketplace_deadline)):
            return "tracking_stored, parcel in trouble: logistics review"
    return "tracking_stored, workflow resumed" if resume_if_ready(record, ports.workflows) else "tracking_stored"


def link_tracking(return_id: str, carrier: str, tracking_number: str, ports: Ports, now: datetime) -> dict | None:
    """Link a tracking number to a return and hand over what is known of it; None when another return has it."""
    shipment = ports.shipments.link(carrier, tracking_number, return_id)
    if shipment is None:
        return None
    apply_to_return(shipment, ports, now)
    return {key: getattr(shipment, key) for key in ("carrier", "tracking_number", "return_id", "status", "status_at")}


class TrackingLink(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    carrier: Id
    tracking_number: Id


def put_return_tracking(return_id: str, payload: object, staff: Staff, ports: Ports, now: datetime) -> dict:
    """PUT /v1/returns/{shop}/{id}/tracking: staff link a parcel to its return (audited)."""
    require(staff, Role.AFTER_SALES)
    try:
        link = TrackingLink.model_validate(payload)
    except ValidationError as error:
        raise from_validation_error(error) from None
    load_staff_return(return_id, ports)
    linked = link_tracking(return_id, link.carrier, link.tracking_number, ports, now)
    if linked is None:
        other = unqualified({"return_id": ports.shipments.get(link.carrier, link.tracking_number).return_id})
        of_shop = f" of shop {other['shop']}" if "shop" in other else ""
        raise Conflict(
            f"{link.carrier} {link.tracking_number} is the parcel of return {other['return_id']}{of_shop}", "tracking_taken"
        )
    ports.audit.append(audit_entry(
        f"return#{return_id}", "tracking.link", staff, now, return_id=return_id, carrier=link.carrier,
        tracking_number=link.tracking_number,
    ))
    return unqualified(linked)
