"""Records as the services write them, with real ISO 8601 UTC times; a test names only what it is about."""

from chalicelib.domain.ledger import LedgerRecord
from chalicelib.domain.orders import RefundAccount
from chalicelib.domain.returns import Return, ReturnStatus


def at(day: int, hour: int = 8, minute: int = 0) -> str:
    """A time in November 2026, as the system writes times (ISO 8601, UTC, "Z")."""
    return f"2026-11-{day:02d}T{hour:02d}:{minute:02d}:00Z"


def a_return(return_id: str = "RT-1", **fields) -> Return:
    """A requested return, as the consumer stores ReturnRequested."""
    request = {
        "order_id": "TM-1001", "kind": "return", "marketplace": "tmall", "customer_id": "C-1", "reason": "too_small",
        "items": [{"line_id": "L1", "quantity": 1}], "requested_at": at(20), "resolution": "refund",
        "evidence_urls": ["https://evidence.example/RT-1/photo-1.jpg"], "status": ReturnStatus.REQUESTED,
    }
    return Return(return_id=return_id, **{**request, **fields})


def in_queue(queue: str, sla_deadline: str, since: str = at(20)) -> dict:
    """The fields that put a return in a review queue (as domain.review.queue_fields gives them)."""
    return {"review_queue": queue, "review_since": since, "sla_deadline": sla_deadline}


def an_order(order_id: str = "TM-1001", **fields) -> dict:
    """An order as the consumer upserts OrderUpserted (the canonical OrderData, and what it adds)."""
    order = {
        "order_id": order_id, "customer_id": "C-1", "currency": "EUR", "status": "paid", "paid_at": at(1, 10),
        "shipping_fee": "4.90", "order_discount": "0", "payment_ref": f"PAY-{order_id}",
        "lines": [{"line_id": "L1", "sku": "SKU-1", "quantity": 2, "unit_price": "12.50", "line_discount": "0"}],
        "marketplace": "tmall", "paid_total_minor": 2990,
    }
    return {**order, **fields}


def a_ledger_record(
    return_id: str = "RT-1", order_id: str = "TM-1001", issued_at: str = at(21), **fields
) -> LedgerRecord:
    refund_id = f"RF-{return_id}"
    record = {
        "refund_id": refund_id, "return_id": return_id, "order_id": order_id, "marketplace": "tmall",
        "customer_id": "C-1", "currency": "EUR", "total": "12.50", "total_minor": 1250,
        "entries": [{"code": "item_refund", "line_id": "L1", "quantity": 1, "amount": "12.50"}],
        "policy_version": "default-2026-11", "issued_at": issued_at, "issued_day": issued_at[:10],
        "idempotency_key": refund_id, "payment_ref": f"PAY-{order_id}",
    }
    return LedgerRecord(**{**record, **fields})


def account_after(total: int = 1250, units: dict | None = None, shipping: bool = False) -> RefundAccount:
    units = {"L1": 1} if units is None else units
    return RefundAccount(refunded_total=total, refunded_units=units, shipping_refunded=shipping)


def a_checkpoint(status: str, when: str, location: str = "Hangzhou") -> dict:
    """A checkpoint as record_checkpoint keeps it: normalized status, carrier time (UTC), location."""
    return {"status": status, "at": when, "location": location, "description": f"{status} at {location}"}
