"""The lake's rows (domain/lake.py) made from the records a fact leaves behind (pure).

A row names its table and its day (`_table`, `_dt`), which place it under `analytics/<table>/dt=<day>/`; the
engines read only the table's columns. Ids are as the shop sends them, beside the shop; times whole seconds since
the epoch. A row may be written twice (a step retried): the reports count each fact once.
"""

from datetime import datetime

from chalicelib.domain.lake import TABLES
from chalicelib.domain.ledger import LedgerRecord
from chalicelib.domain.money import CURRENCY_EXPONENTS, parse_minor
from chalicelib.domain.orders import Order
from chalicelib.domain.returns import Return
from chalicelib.domain.tenancy import own_id, shop_of
from chalicelib.domain.tracking import Shipment

# A person's decisions on a return, and the queue each is made in (a review's own queue is kept with it).
PERSON_DECISIONS = {"review": None, "parcel_review": "logistics", "failure_review": "failures",
                    "finance_review": "finance"}
# Where a parcel is once it has left: its first scan that is not a label waiting for the carrier.
_MOVING = frozenset({"in_transit", "out_for_delivery", "attempt_fail", "delivered", "available_for_pickup",
                     "exception", "returned_to_sender"})
_REGION_LIMIT = 64


def seconds(iso: str | None) -> int | None:
    """ISO 8601 UTC ("2026-11-22T08:00:00Z") as whole seconds since the epoch."""
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()) if iso else None


def row(table: str, day: str, **values) -> dict:
    """A row of `table` on `day` (YYYY-MM-DD, UTC): every column there, None where nothing is known."""
    columns = {name for name, _ in TABLES[table]}
    unknown = set(values) - columns
    if unknown:
        raise ValueError(f"{table} has no column {', '.join(sorted(unknown))}")
    return {"_table": table, "_dt": day, **{name: values.get(name) for name, _ in TABLES[table]}}


def closed_return_rows(
    record: Return, outcome: str, closed_at: str, platform: str, order: Order | None,
    parcel: Shipment | None, refund: LedgerRecord | None,
) -> list[dict]:
    """A return as it closes: its row, one per line, one per decision made on it, and its parcel's checkpoints."""
    day, shop, currency = closed_at[:10], shop_of(record.return_id), order.currency if order else None
    decision = record.decision or {}
    people = _person_decisions(record)
    last_person = people[-1] if people else None
    # Decided: by a reviewer when the rules sent it to one, else by the rules; a later person's step (a parcel in
    # trouble, a failure retried, a refund written off) is no decision of the request.
    decided_at = (record.review or {}).get("at") or decision.get("at")
    queue = last_person["queue"] if last_person else record.review_queue
    shared = {"return_id": own_id(record.return_id), "shop": shop, "platform": platform}
    rows = [row(
        "returns", day, **shared, order_id=own_id(record.order_id) if record.order_id else None, kind=record.kind,
        resolution=record.resolution or "refund", reason=record.reason,
        customer_tier=(decision.get("facts") or {}).get("tier") or (record.policy or {}).get("tier"),
        outcome=outcome, decision_code=record.decision_code, decided_by="person" if people else "rules",
        zero_touch=not people, review_queue=queue, sla_deadline=seconds(record.sla_deadline),
        sla_met=_sla_met(record, last_person), requested_at=seconds(record.requested_at),
        decided_at=seconds(decided_at), parcel_shipped_at=seconds(_shipped_at(parcel)),
        delivered_at=seconds(parcel.delivered_at if parcel else None), inspected_at=seconds(record.inspected_at),
        refunded_at=seconds(refund.confirmed_at if refund and refund.confirmed else None),
        closed_at=seconds(closed_at), carrier=(record.parcel or {}).get("carrier"),
        refund_minor=refund.total_minor if refund else None, currency=currency,
        policy_version=decision.get("policy_version"),
    )]
    rows += _line_rows(record, order, shared, day, closed_at)
    for made in [*record.earlier_decisions, *([decision] if decision else [])]:
        rows.append(row("decisions", (made.get("at") or closed_at)[:10], **shared,
                        decided_at=seconds(made.get("at")), decided_by="rules",
                        outcome="review" if made.get("outcome") == "manual" else made.get("outcome"),
                        rule_code=made.get("code"), review_queue=None, policy_version=made.get("policy_version")))
    rows += [row("decisions", person["at"][:10], **shared, decided_at=seconds(person["at"]), decided_by="person",
                 outcome=person["decision"], rule_code=record.decision_code, review_queue=person["queue"],
                 policy_version=decision.get("policy_version")) for person in people]
    if parcel is not None:
        rows += checkpoint_rows(parcel, shop)
    return rows


def checkpoint_rows(parcel: Shipment, shop: str) -> list[dict]:
    """A parcel's checkpoints in time order, each with the parcel's route: where it was first scanned with a
    place, and where it was delivered (or last scanned)."""
    checkpoints = sorted(parcel.checkpoints.values(), key=lambda c: c["at"])
    places = [c.get("location") for c in checkpoints if c.get("location")]
    arrived = [c.get("location") for c in checkpoints if c.get("status") == "delivered" and c.get("location")]
    origin = _region(places[0]) if places else None
    destination = _region(arrived[0] if arrived else places[-1]) if places else None
    return [row(
        "checkpoints", c["at"][:10], return_id=own_id(parcel.return_id) if parcel.return_id else None, shop=shop,
        carrier=parcel.carrier, tracking_number=parcel.tracking_number, status=c.get("status"),
        occurred_at=seconds(c["at"]), origin_region=origin, destination_region=destination,
        location=c.get("location"),
    ) for c in checkpoints]


def refund_row(refund: LedgerRecord, platform: str) -> dict:
    """A refund paid: by the payment provider or the marketplace (ours, or one it made by itself)."""
    paid_at = refund.confirmed_at or refund.issued_at
    return row(
        "refunds", paid_at[:10], refund_id=refund.refund_id, return_id=own_id(refund.return_id) if refund.return_id else None,
        shop=refund.marketplace or shop_of(refund.order_id), platform=platform, amount_minor=refund.total_minor,
        currency=refund.currency, paid_by=refund.paid_by, paid_at=seconds(paid_at),
    )


def order_line_rows(order: dict, shop: str, platform: str, ordered_at: str) -> list[dict]:
    """An order's lines as sold (its OrderUpserted's data): what return rates are rates of."""
    return [row(
        "order_lines", ordered_at[:10], order_id=own_id(order["order_id"]), shop=shop, platform=platform,
        line_id=line["line_id"], sku=line.get("sku"), category=line.get("category"), units=line["quantity"],
        ordered_at=seconds(ordered_at),
    ) for line in order["lines"]]


def _person_decisions(record: Return) -> list[dict]:
    """The decisions people made on the return, in time order, each with its queue."""
    made = []
    for key, queue in PERSON_DECISIONS.items():
        decided = getattr(record, key)
        if decided and decided.get("at"):
            made.append({**decided, "queue": decided.get("queue") or queue or record.review_queue})
    return sorted(made, key=lambda decided: decided["at"])


def _sla_met(record: Return, last_person: dict | None) -> bool | None:
    """Whether a person decided within the queue's SLA; None for a return no person was asked about."""
    if record.sla_deadline is None:
        return None
    if record.sla_breached_at or last_person is None:
        return False
    return last_person["at"] <= record.sla_deadline


def _shipped_at(parcel: Shipment | None) -> str | None:
    if parcel is None:
        return None
    return min((c["at"] for c in parcel.checkpoints.values() if c.get("status") in _MOVING), default=None)


def _line_rows(record: Return, order: Order | None, shared: dict, day: str, closed_at: str) -> list[dict]:
    lines = {line.line_id: line for line in order.lines} if order else {}
    exponent = CURRENCY_EXPONENTS.get(order.currency, 2) if order else 2
    inspected = {item["line_id"]: item for item in (record.inspection or {}).get("items", [])}
    rows = []
    for item in record.items:
        line, seen = lines.get(item["line_id"]), inspected.get(item["line_id"])
        rows.append(row(
            "return_lines", day, **shared, line_id=item["line_id"], sku=line.sku if line else None,
            category=line.category if line else None, reason=record.reason, units_requested=item["quantity"],
            units_accepted=seen["accepted"] if seen else None,
            deductions_minor=sum(parse_minor(d["amount"], exponent) for d in seen.get("deductions", [])) if seen else None,
            currency=order.currency if order else None, closed_at=seconds(closed_at),
        ))
    return rows


def _region(location: str) -> str:
    """A carrier's place as the region of a route: its text, trimmed (carriers write cities, hubs or provinces)."""
    return " ".join(location.split())[:_REGION_LIMIT]
