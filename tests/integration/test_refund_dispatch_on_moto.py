"""CalculateRefund and DispatchRefund on moto's DynamoDB and EventBridge, paying through the simulated provider
over HTTP: one finance record and one provider refund per return, ever.

The records are generic's, stored as the edge keys them ("generic/RT-1", "generic/TM-1001", "generic/C-1"): the
refund id is "RF-generic.RT-1", and what finance and the provider see carries the shop's own ids."""

import threading
from datetime import datetime, timezone

import pytest

from chalicelib.bootstrap import bootstrap
from chalicelib.domain.events import canonical_events
from chalicelib.domain.finance_export import FINANCE_FIELDS
from chalicelib.domain.policy import DEFAULT_POLICY, Policy
from chalicelib.ports.errors import StaleQuote
from chalicelib.refunds import quote
from chalicelib.services.dispatch_refund import dispatch_refund
from chalicelib.services.ingest_event import return_record
from chalicelib.services.quote_return import quote_request, quote_return
from chalicelib.services.report_refund_failure import report_refund_failure
from tests.bus import watch_bus
from tests.webhook_events import order_upserted, return_requested

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=timezone.utc)
RETRY = (1, 2)  # two waits: three attempts a round
RT1, RT2, ORDER = "generic/RT-1", "generic/RT-2", "generic/TM-1001"
REFUND = "RF-generic.RT-1"  # refund_id_for("generic/RT-1"): the ledger key and the provider's idempotency key


@pytest.fixture(autouse=True)
def provider(payment_service):
    return payment_service


@pytest.fixture
def finance(aws):
    """The RefundIssued details a finance consumer subscribed to the bus receives."""
    received = watch_bus(aws["session"], "finance", {"detail-type": ["RefundIssued"]})
    return lambda: [envelope["detail"] for envelope in received()]


def store(return_id: str, quantity: int = 3, line_id: str = "L2") -> None:
    """generic's order and a verified, inspected return of it (`return_id` qualified), as the earlier steps leave
    them."""
    ports = bootstrap()
    order = canonical_events.validate_python(
        {**order_upserted(ORDER, customer_id="generic/C-1"), "source": "tmall", "received_at": NOW}
    )
    ports.orders.upsert({**order.data.model_dump(mode="json", exclude_none=True), "marketplace": "tmall"}, "2026-11-20T08:00:00Z")
    event = canonical_events.validate_python(
        {**return_requested(return_id, ORDER, reason="quality_issue", items=[{"line_id": line_id, "quantity": quantity}]),
         "source": "tmall", "received_at": NOW}
    )
    ports.returns.create(return_record(event))
    ports.returns.update(return_id, {
        "decision": {"policy_version": "default-2026-11"}, "customer_id": "generic/C-1",
        "policy": DEFAULT_POLICY.resolve("tmall", "normal").model_dump(mode="json"),
    })
    ports.returns.record_inspection(
        return_id, {"items": [{"line_id": line_id, "accepted": quantity}]}, "2026-11-21T08:00:00Z", f"ins-{return_id}"
    )


def stored_order(aws, order_id: str) -> dict:
    """The order's item as stored, with its refund account."""
    return aws["dynamodb"].Table("aftersales-orders").get_item(Key={"order_id": order_id})["Item"]


def ledger(aws) -> list[dict]:
    return aws["dynamodb"].Table("aftersales-refund-ledger").scan()["Items"]


def test_the_finance_record_equals_the_quote_and_is_written_paid_and_published_once(aws, finance, provider):
    store(RT1)
    ports = bootstrap()
    assert quote_return(RT1, ports) == {"outcome": "refund", "total_minor": 8306, "exchange": False}
    record = ports.returns.get(RT1)
    expected = quote(quote_request(ports.orders.get(ORDER), record, Policy.model_validate(record.policy)))
    first = dispatch_refund(RT1, ports, NOW, RETRY)
    again = dispatch_refund(RT1, ports, NOW, RETRY)
    assert first == again == {
        "refund_id": REFUND, "total": expected["total"], "payment": "confirmed", "attempts": 1,
        "retry_in_seconds": 0, "error": None,
    }
    [paid] = provider.refunds()
    # The provider is asked with the shop's own order id (the order named no payment reference).
    assert (paid["idempotency_key"], paid["amount"], paid["currency"], paid["payment_ref"]) == (
        REFUND, expected["total"], "CNY", "TM-1001")
    [record] = finance()
    assert record == {
        "refund_id": REFUND, "return_id": "RT-1", "order_id": "TM-1001", "marketplace": "tmall",
        "customer_id": "C-1", "currency": "CNY", "total": expected["total"], "total_minor": expected["total_minor"],
        "entries": expected["entries"], "policy_version": "default-2026-11", "issued_at": "2026-11-22T08:00:00Z",
        "idempotency_key": REFUND, "payment_ref": "TM-1001", "payment_status": "confirmed",
        "provider_refund_id": paid["refund_id"], "confirmed_at": paid["created_at"], "shop": "generic",
        "paid_by": "payment_provider", "marketplace_refund_id": None,
    }
    assert list(record) == list(FINANCE_FIELDS)  # the shop, then who paid, are the last fields
    [stored] = ledger(aws)
    assert stored["issued_day"] == "2026-11-22"  # the finance API's index by day
    assert (stored["refund_id"], stored["return_id"], stored["order_id"]) == (REFUND, RT1, ORDER)  # keyed by tenant
    assert len(ledger(aws)) == 1
    assert bootstrap().returns.get(RT1).refund_id == REFUND
    account = stored_order(aws, ORDER)
    assert (account["refunded_total"], account["refunded_units"], account["refund_version"]) == (8306, {"L2": 3}, 1)


def test_racing_dispatchers_write_one_record_and_make_one_provider_refund(aws, provider):
    store(RT1)
    quote_return(RT1, bootstrap())
    results, errors = [], []

    def dispatch() -> None:
        try:
            results.append(dispatch_refund(RT1, bootstrap(), NOW, RETRY))
        except Exception as error:  # noqa: BLE001  collected for the assertion
            errors.append(error)

    threads = [threading.Thread(target=dispatch) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(results) == 8 and {r["refund_id"] for r in results} == {REFUND}
    assert len(ledger(aws)) == 1
    assert stored_order(aws, ORDER)["refunded_total"] == 8306
    assert len(provider.refunds()) == 1
    assert ledger(aws)[0]["payment_status"] == "confirmed"


def test_a_quote_made_before_another_refund_on_the_order_is_refused_and_requoted(aws):
    store(RT1, quantity=1, line_id="L1")
    store(RT2, quantity=3, line_id="L2")
    ports = bootstrap()
    quote_return(RT1, ports)
    quote_return(RT2, ports)  # both quoted against the same account version
    dispatch_refund(RT1, ports, NOW, RETRY)
    with pytest.raises(StaleQuote):
        dispatch_refund(RT2, ports, NOW, RETRY)
    assert len(ledger(aws)) == 1
    quote_return(RT2, ports)  # what the ASL's Catch does: quote again, with L1 now returned
    dispatch_refund(RT2, ports, NOW, RETRY)
    by_return = {item["return_id"]: item for item in ledger(aws)}
    assert sorted(by_return) == [RT1, RT2]
    account = stored_order(aws, ORDER)
    assert account["refunded_total"] == sum(int(item["total_minor"]) for item in by_return.values())
    # The second return completes the order with a seller-fault reason: outbound shipping comes back, once.
    assert [e["code"] for e in by_return[RT2]["entries"]].count("shipping_refund") == 1
    assert account["shipping_refunded"] is True


def test_a_provider_timeout_then_success_makes_one_provider_refund(aws, finance, provider):
    """The provider made the refund but answered after the client gave up: asking again with the same key
    answers that refund; nothing is paid twice and RefundIssued goes out once, after the confirmation."""
    store(RT1)
    ports = bootstrap()
    quote_return(RT1, ports)
    provider.time_out_next()
    first = dispatch_refund(RT1, ports, NOW, RETRY)
    assert (first["payment"], first["attempts"], first["retry_in_seconds"]) == ("retry", 1, 1)
    assert first["error"]["type"] == "PaymentNotConfirmed"
    [pending] = ledger(aws)
    assert pending["payment_status"] == "sent"  # unknown: the provider may have paid
    assert finance() == []
    assert len(provider.refunds()) == 1  # it had
    second = dispatch_refund(RT1, ports, NOW, RETRY)
    assert second["payment"] == "confirmed"
    assert len(provider.refunds()) == 1
    assert (provider.calls["made"], provider.calls["replayed"]) == (1, 1)
    [issued] = finance()
    assert issued["provider_refund_id"] == provider.refunds()[0]["refund_id"]
    assert (issued["refund_id"], issued["shop"], issued["return_id"]) == (REFUND, "generic", "RT-1")
    [confirmed] = ledger(aws)
    assert (confirmed["payment_status"], confirmed["payment_attempts"]) == ("confirmed", 2)


def test_declines_use_up_a_round_then_finance_is_told_and_a_retry_pays_once(aws, provider):
    received = watch_bus(aws["session"], "finance-failures", {"detail-type": ["RefundFailed", "RefundIssued"]})
    store(RT1)
    ports = bootstrap()
    quote_return(RT1, ports)
    provider.decline_next(3, code="account_frozen", message="the buyer's account is frozen")
    results = [dispatch_refund(RT1, ports, NOW, RETRY) for _ in range(3)]
    assert [(r["payment"], r["retry_in_seconds"]) for r in results] == [("retry", 1), ("retry", 2), ("failed", 0)]
    [failed] = ledger(aws)
    assert failed["payment_status"] == "failed"
    assert failed["payment_error"]["code"] == "account_frozen"
    assert provider.refunds() == []
    report_refund_failure(RT1, results[-1], ports, NOW)
    record = ports.returns.get(RT1)
    assert record.status == "refund_failed"
    assert record.failure["error"] == "PaymentDeclined"
    [envelope] = received()  # received() hands each message over once
    told = envelope["detail"]
    assert (told["refund_id"], told["payment_status"], told["payment_attempts"]) == (REFUND, "failed", 3)
    assert (told["shop"], told["return_id"], told["order_id"], told["customer_id"]) == ("generic", "RT-1", "TM-1001", "C-1")
    assert told["payment_error"]["code"] == "account_frozen"
    # Finance retries: a new round of attempts, the same idempotency key.
    assert dispatch_refund(RT1, ports, NOW, RETRY)["payment"] == "confirmed"
    assert len(provider.refunds()) == 1
    assert [envelope["detail-type"] for envelope in received()] == ["RefundIssued"]
