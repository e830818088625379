import json
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

from chalicelib.adapters.memory import MemoryQueue, MemoryReturns, memory_ports
from chalicelib.api.errors import answer
from chalicelib.domain.events import ReturnRequested, canonical_events
from chalicelib.services.accept_webhook import MAX_BODY_BYTES, accept_webhook
from tests.unit.services.given import registry
from tests.webhook_events import encode, order_upserted, return_requested, signed_headers

SECRET = b"generic-secret-01"
NOW = datetime(2026, 11, 22, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def ports():
    return memory_ports(sources=registry(generic={"kind": "shop", "secrets": [SECRET.decode()]}))


def deliver(ports, payload=None, *, body=None, source="generic", secret=SECRET, timestamp=None):
    body = body if body is not None else encode(payload)
    headers = signed_headers(secret, body, timestamp or int(NOW.timestamp()))
    return accept_webhook(
        source, headers["X-Aftersales-Timestamp"], headers["X-Aftersales-Signature"], body, ports, NOW
    )


def test_accepted_event_is_archived_raw_and_queued_as_a_canonical_event(ports):
    body = encode(return_requested())
    event = deliver(ports, body=body)
    assert isinstance(event, ReturnRequested)
    assert (event.source, event.received_at) == ("generic", NOW)
    assert (event.event_id, event.data.return_id, event.data.order_id) == (
        "generic/evt-return-RT-1", "generic/RT-1", "generic/TM-1001"
    ), "queued with the shop's ids qualified by the shop, its event id by its source"
    [(key, raw)] = ports.archive.objects.items()
    assert raw == body and key.startswith("webhooks/generic/2026/11/22/evt-return-RT-1-")
    [(message, attributes)] = ports.queue.messages
    assert canonical_events.validate_json(message) == event
    assert attributes == {"type": "ReturnRequested", "source": "generic", "event_id": "generic/evt-return-RT-1"}


def test_order_event_is_accepted(ports):
    event = deliver(ports, order_upserted())
    assert event.data.lines[1].line_discount == "9.99"


def refused(call) -> SimpleNamespace:
    """The refusal as the API answers it: its status and error body (the one mapping of api/errors.py)."""
    response = answer(call)
    assert response.status_code >= 400, response.body
    return SimpleNamespace(status=response.status_code, **response.body["error"])


def rejection(ports, **kwargs) -> SimpleNamespace:
    error = refused(lambda: deliver(ports, **kwargs))
    assert not ports.archive.objects and not ports.queue.messages, "nothing is written for a rejected request"
    return error


def test_an_unknown_source_is_answered_exactly_like_a_bad_signature(ports):
    """Sources cannot be enumerated: an unknown name and a known one with a wrong signature look the same."""
    bad_signature = rejection(ports, payload=return_requested(), secret=b"wrong")
    assert (bad_signature.status, bad_signature.code) == (401, "invalid_signature")
    for source in ("shopify", "../etc", "GENERIC", "x" * 65):
        assert rejection(ports, payload=return_requested(), source=source) == bad_signature


def test_stale_timestamp_is_401(ports):
    error = rejection(ports, payload=return_requested(), timestamp=int(NOW.timestamp()) - 301)
    assert (error.status, error.code) == (401, "invalid_signature")


def test_body_over_256_kb_is_413(ports):
    assert rejection(ports, body=b" " * (MAX_BODY_BYTES + 1)).status == 413


def test_not_json_is_400(ports):
    assert rejection(ports, body=b"{nope").status == 400


@pytest.mark.parametrize(
    "payload, field, code",
    [
        (return_requested(items=[{"line_id": "L1", "quantity": 0}]), "data.items[0].quantity", "invalid_value"),
        (return_requested(reason="meh"), "data.reason", "invalid_value"),
        ({**return_requested(), "type": "Refund"}, "type", "invalid_value"),
        ({k: v for k, v in return_requested().items() if k != "type"}, "type", "missing_field"),
        ({k: v for k, v in return_requested().items() if k != "event_id"}, "event_id", "missing_field"),
        ({**return_requested(), "occurred_at": "2026-11-20T09:00:00"}, "occurred_at", "invalid_value"),
        ({**return_requested(), "extra": 1}, "extra", "unknown_field"),
        (order_upserted(shipping_fee="12.5"), "data.shipping_fee", "invalid_value"),
        (order_upserted(currency="XXX"), "data.currency", "invalid_value"),
        (order_upserted(lines=[{"line_id": "L1", "unit_price": "1.5", "quantity": 1}]), "data.lines[0].unit_price",
         "invalid_value"),
        ([1, 2], None, "invalid_body"),
    ],
    ids=["zero quantity", "unknown reason", "unknown type", "no type", "no event id", "naive time", "extra field",
         "wrong scale", "unknown currency", "line wrong scale", "not an object"],
)
def test_invalid_event_is_422_naming_the_field(ports, payload, field, code):
    error = rejection(ports, body=json.dumps(payload).encode())
    assert (error.status, error.field, error.code) == (422, field, code), error.message


RECEIPT = {
    "receipt_id": "WR-1", "return_id": "RT-1", "inspected_at": "2026-11-21T12:00:00+08:00",
    "lines": [{"line_id": "L1", "accepted": 1, "deductions": [{"code": "scratch", "amount": "10.00"}]}],
    "kept_gifts": ["G1"],
}


def warehouse_ports(record: dict | None = None):
    returns = MemoryReturns()
    if record:
        returns.update("generic/RT-1", record)
    return memory_ports(
        sources=registry(warehouse={"kind": "warehouse", "secrets": [SECRET.decode()], "shops": ["generic"]}),
        returns=returns,
    )


def test_a_warehouse_receipt_becomes_an_inspection():
    ports = warehouse_ports({"status": "awaiting_inspection"})
    event = deliver(ports, RECEIPT, source="warehouse")
    assert (event.type, event.event_id, event.source) == ("InspectionCompleted", "warehouse/WR-1", "warehouse")
    assert event.data.return_id == "generic/RT-1", "the return of the one shop this warehouse serves"
    assert event.occurred_at == datetime(2026, 11, 21, 4, 0, tzinfo=timezone.utc)
    assert event.data.items[0].deductions[0].amount == "10.00" and event.data.kept_gifts == ["G1"]
    assert len(ports.queue.messages) == 1


@pytest.mark.parametrize(
    "record, code",
    [({"status": "awaiting_inspection", "inspection_event_id": "WR-0"}, "already_inspected"),
     ({"status": "refunded", "inspection_event_id": "WR-0"}, "already_inspected"),
     ({"status": "rejected"}, "return_closed")],
)
def test_a_second_inspection_or_one_for_a_closed_return_is_a_conflict_and_nothing_is_queued(record, code):
    ports = warehouse_ports(record)
    rejected = refused(lambda: deliver(ports, RECEIPT, source="warehouse"))
    assert (rejected.status, rejected.code) == (409, code)
    assert ports.queue.messages == [] and ports.archive.objects == {}


def test_the_same_receipt_delivered_again_is_accepted_as_a_duplicate():
    ports = warehouse_ports({"status": "awaiting_inspection", "inspection_event_id": "warehouse/WR-1"})
    assert deliver(ports, RECEIPT, source="warehouse").event_id == "warehouse/WR-1"


@pytest.mark.parametrize(
    "change, field",
    [({"lines": []}, "lines"), ({"receipt_id": None}, "receipt_id"), ({"inspected_at": "2026-11-21 12:00"}, "inspected_at"),
     ({"lines": [{"line_id": "L1", "accepted": -1}]}, "lines[0].accepted"), ({"extra": 1}, "extra")],
)
def test_invalid_receipts_name_the_field(change, field):
    rejected = refused(lambda: deliver(warehouse_ports(), {**RECEIPT, **change}, source="warehouse"))
    assert (rejected.status, rejected.field) == (422, field)


def test_a_queue_that_does_not_take_the_event_is_a_503_to_send_again(ports):
    down = memory_ports(sources=ports.sources, archive=ports.archive, queue=MemoryQueue(available=False))
    raised = refused(lambda: deliver(down, return_requested()))
    assert (raised.status, raised.code) == (503, "queue_unavailable")
