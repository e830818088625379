"""Tenants are walls: what one source sends never changes, answers for or dedupes away another shop's records.

Each attack of issue 14 is tried as an attacker with a second valid source would, through the edge
(accept_webhook) and then the consumer (ingest_event) on the twins, exactly as the queue hands events over.
"""

import json
from types import SimpleNamespace

import pytest

from chalicelib.api.errors import answer
from chalicelib.domain.events import canonical_events
from chalicelib.domain.execution_names import NAME, execution_name
from chalicelib.services.accept_webhook import accept_webhook
from chalicelib.services.ingest_event import ingest_event
from chalicelib.services.verify_return import verify_return
from tests.unit.services.given import NOW, registry, twins
from tests.webhook_events import encode, order_upserted, return_requested, signed_headers

SECRETS = {"generic": "generic-secret-0001", "outlet": "outlet-secret-00001", "warehouse": "warehouse-secret-01"}
SOURCES = {
    "generic": {"kind": "shop", "secrets": [SECRETS["generic"]]},
    "outlet": {"kind": "shop", "secrets": [SECRETS["outlet"]]},
    "warehouse": {"kind": "warehouse", "secrets": [SECRETS["warehouse"]], "shops": ["generic", "outlet"]},
    "outlet-wh": {"kind": "warehouse", "secrets": ["outlet-wh-secret-001"], "shops": ["outlet"]},
}
SECRETS["outlet-wh"] = "outlet-wh-secret-001"


@pytest.fixture
def ports():
    return twins(sources=registry(**SOURCES))


def send(ports, source: str, payload: dict | None = None, body: bytes | None = None, secret: str | None = None,
         timestamp: str | None = None, signature: str | None = None):
    """POST /v1/webhooks/{source} as the API answers it, then the consumer applies whatever was queued."""
    body = body if body is not None else encode(payload)
    headers = signed_headers((secret or SECRETS[source]).encode(), body, int(NOW.timestamp()))
    queued = len(ports.queue.messages)
    response = answer(lambda: accept_webhook(
        source, timestamp or headers["X-Aftersales-Timestamp"], signature or headers["X-Aftersales-Signature"],
        body, ports, NOW,
    ), 202)
    for message, _ in ports.queue.messages[queued:]:
        ingest_event(canonical_events.validate_json(message), ports)
    error = response.body.get("error", {}) if isinstance(response.body, dict) else {}
    return SimpleNamespace(status=response.status_code, code=error.get("code"), field=error.get("field"))


def receipt(return_id: str = "RT-1", receipt_id: str = "WR-1", **fields) -> dict:
    return {"receipt_id": receipt_id, "return_id": return_id, "inspected_at": "2026-11-21T12:00:00Z",
            "lines": [{"line_id": "L1", "accepted": 1}], **fields}


def test_a_second_shop_sending_the_same_order_id_gets_its_own_order_and_cannot_touch_the_first(ports):
    assert send(ports, "generic", order_upserted(payment_ref="PAY-GENERIC")).status == 202
    assert send(ports, "outlet", order_upserted(payment_ref="PAY-ATTACKER", customer_id="C-9")).status == 202

    mine, theirs = ports.orders.get("generic/TM-1001"), ports.orders.get("outlet/TM-1001")
    assert (mine.payment_ref, mine.customer_id) == ("PAY-GENERIC", "generic/C-1"), "where the refund is paid"
    assert (theirs.payment_ref, theirs.customer_id) == ("PAY-ATTACKER", "outlet/C-9")


def test_a_return_opened_by_another_shop_is_against_its_own_order_not_the_first_shops(ports):
    send(ports, "generic", order_upserted())
    assert send(ports, "outlet", return_requested()).status == 202

    assert ports.returns.get("generic/RT-1") is None
    attacker = ports.returns.get("outlet/RT-1")
    assert attacker.order_id == "outlet/TM-1001" and attacker.customer_id is None, "no order of outlet's: no customer"


def test_naming_another_shop_in_the_envelope_is_forbidden_and_changes_nothing(ports):
    send(ports, "generic", order_upserted())
    refused = send(ports, "outlet", {**return_requested(), "shop": "generic"})

    assert (refused.status, refused.code) == (403, "shop_not_granted")
    assert ports.returns.get("generic/RT-1") is None and len(ports.queue.messages) == 1


def test_a_shop_may_not_post_inspections_so_the_warehouses_receipt_still_counts(ports):
    send(ports, "generic", order_upserted())
    send(ports, "generic", return_requested())
    forged = {"event_id": "ins-1", "type": "InspectionCompleted", "occurred_at": "2026-11-21T12:00:00Z",
              "data": {"return_id": "RT-1", "items": [{"line_id": "L1", "accepted": 0}]}}

    refused = send(ports, "outlet", forged)
    real = send(ports, "warehouse", receipt(shop="generic"))

    assert (refused.status, refused.code) == (403, "event_type_not_granted")
    assert real.status == 202
    assert ports.returns.get("generic/RT-1").inspection_event_id == "warehouse/WR-1"


def test_a_warehouse_serving_one_shop_cannot_inspect_another_shops_return(ports):
    send(ports, "generic", order_upserted())
    send(ports, "generic", return_requested())

    refused = send(ports, "outlet-wh", receipt(shop="generic"))

    assert (refused.status, refused.code) == (403, "shop_not_granted")
    assert ports.returns.get("generic/RT-1").inspection_event_id is None


def test_a_warehouse_serving_several_shops_must_name_the_shop(ports):
    refused = send(ports, "warehouse", receipt())

    assert (refused.status, refused.field, refused.code) == (422, "shop", "missing_field")


def test_a_warehouse_serving_one_shop_needs_not_name_it(ports):
    send(ports, "outlet", order_upserted())
    send(ports, "outlet", return_requested())

    assert send(ports, "outlet-wh", receipt()).status == 202
    assert ports.returns.get("outlet/RT-1").inspection_event_id == "outlet-wh/WR-1"


def test_claiming_another_sources_event_id_first_does_not_drop_its_real_event(ports):
    send(ports, "outlet", order_upserted(event_id="evt-1"))
    send(ports, "generic", order_upserted(event_id="evt-1", order_id="TM-7"))

    assert ports.orders.get("generic/TM-7") is not None, "applied, not deduped away as outlet's duplicate"
    assert ports.event_log.seen("generic/evt-1") and ports.event_log.seen("outlet/evt-1")


def test_the_same_event_from_the_same_source_is_still_applied_once(ports):
    send(ports, "generic", order_upserted())
    send(ports, "generic", return_requested())
    send(ports, "generic", return_requested())

    assert list(ports.workflows.started) == [execution_name("generic/RT-1")]


def test_a_warehouse_may_send_hold_answers_in_the_generic_envelope_naming_the_shop(ports):
    answer_ = {"event_id": "ha-1", "type": "HoldShipmentAnswered", "occurred_at": "2026-11-21T12:00:00Z",
               "shop": "outlet", "data": {"return_id": "RT-1", "outcome": "held"}}

    assert send(ports, "warehouse", answer_).status == 202
    [(message, _)] = ports.queue.messages
    assert json.loads(message)["data"]["return_id"] == "outlet/RT-1"


def test_a_warehouse_may_not_send_orders(ports):
    refused = send(ports, "warehouse", {**order_upserted(), "shop": "generic"})

    assert (refused.status, refused.code) == (403, "event_type_not_granted")


def test_the_previous_secret_verifies_during_a_rotation_and_an_old_one_does_not():
    rotating = {"kind": "shop", "secrets": ["generic-secret-0002", SECRETS["generic"]]}
    ports = twins(sources=registry(generic=rotating))

    assert send(ports, "generic", order_upserted(), secret="generic-secret-0002").status == 202
    assert send(ports, "generic", order_upserted(), secret=SECRETS["generic"]).status == 202
    assert send(ports, "generic", order_upserted(), secret="generic-secret-0000").status == 401


def test_a_carrier_is_not_a_webhook_source():
    carrier = {"kind": "carrier", "secrets": ["aftership-key-0001"], "shops": ["generic"]}
    ports = twins(sources=registry(aftership=carrier))

    refused = send(ports, "aftership", order_upserted(), secret="aftership-key-0001")

    assert (refused.status, refused.code) == (401, "invalid_signature")


# The edge: no input is a 5xx, and whatever is accepted can be processed.

@pytest.mark.parametrize("moment", [
    "9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00", "2099-01-01T00:00:00Z", "1990-01-01T00:00:00Z",
])
@pytest.mark.parametrize("field", ["occurred_at", "data.paid_at", "data.delivered_at"])
def test_a_date_outside_the_window_is_a_422_naming_the_field(ports, field, moment):
    payload = order_upserted()
    if field == "occurred_at":
        payload["occurred_at"] = moment
    else:
        payload["data"][field.removeprefix("data.")] = moment

    refused = send(ports, "generic", payload)

    assert (refused.status, refused.field) == (422, field)
    assert ports.orders.get("generic/TM-1001") is None


def test_the_window_is_a_setting(ports):
    from chalicelib.config import Config

    narrow = twins(sources=ports.sources, config=Config.model_validate(
        {"AFTERSALES_INGEST_QUEUE_URL": "q", "AFTERSALES_TIME_WINDOW_PAST_DAYS": "1"}
    ))

    assert (send(narrow, "generic", order_upserted()).field) == "occurred_at"


@pytest.mark.parametrize("return_id", ["RT:2026:1", "R" * 128, "a.b_c-d:e"])
def test_any_valid_return_id_is_accepted_and_its_workflow_can_start(ports, return_id):
    send(ports, "generic", order_upserted())

    assert send(ports, "generic", return_requested(return_id, event_id="evt-1")).status == 202

    [name] = ports.workflows.started
    assert NAME.fullmatch(name) and name == execution_name(f"generic/{return_id}")


@pytest.mark.parametrize("return_id", ["generic/RT-1", "R" * 129, "RT 1", "RT#1", "", "ŘT-1"])
def test_an_id_outside_the_documented_charset_is_a_422(ports, return_id):
    refused = send(ports, "generic", return_requested(return_id, event_id="evt-1"))

    assert (refused.status, refused.field) == (422, "data.return_id")


@pytest.mark.parametrize("timestamp", ["²", "１２３", "1e9", "-1", "0" * 13, " 1"])
def test_a_timestamp_that_is_not_ascii_unix_seconds_is_a_401(ports, timestamp):
    refused = send(ports, "generic", order_upserted(), timestamp=timestamp)

    assert (refused.status, refused.code) == (401, "invalid_signature")


@pytest.mark.parametrize("signature", ["é" * 64, "\udcff" * 64, "ＡＢ", "0" * 10_000])
def test_a_signature_of_any_characters_is_a_401(ports, signature):
    refused = send(ports, "generic", order_upserted(), signature=signature)

    assert (refused.status, refused.code) == (401, "invalid_signature")


@pytest.mark.parametrize("body", [
    json.dumps(order_upserted()).encode("utf-16"), b"\xff\xfe{}", b'{"event_id": "\\ud800"}',
    json.dumps(order_upserted()).encode("utf-8-sig"), b'{"event_id": "\\uffff"}', b'{"note": "\\ufffe"}',
], ids=["utf-16", "bad bytes", "lone surrogate", "bom", "non-character ffff", "non-character fffe"])
def test_a_body_that_is_not_valid_utf8_text_is_a_400(ports, body):
    assert send(ports, "generic", body=body).status == 400


def test_a_lone_surrogate_in_any_text_field_is_refused_before_it_is_queued(ports):
    body = encode(order_upserted()).replace(b'"SHOE-42"', b'"SHOE-\\udc80"')

    assert send(ports, "generic", body=body).status == 400
    assert ports.queue.messages == []


def test_the_registry_unreadable_is_a_503_and_nothing_is_accepted(ports):
    ports.sources.available = False

    refused = send(ports, "generic", order_upserted())

    assert (refused.status, refused.code) == (503, "registry_unavailable")


def test_the_longest_ids_the_grammar_takes_still_verify_once_qualified_by_the_shop(ports):
    """A 128-character order, customer and return id becomes 136 characters behind the edge; every step still
    takes it (the refund calculator is given the shop's own ids)."""
    order_id, customer_id, return_id = "O" * 128, "C" * 128, "R" * 128
    send(ports, "generic", order_upserted(order_id, event_id="evt-o", customer_id=customer_id))
    send(ports, "generic", return_requested(return_id, order_id, event_id="evt-r"))

    assert verify_return(f"generic/{return_id}", ports)["code"] == "APPROVED"
