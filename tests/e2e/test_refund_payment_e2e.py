"""Refunds paid through the simulated provider by the real state machine: timeouts, declines, finance's queue."""

import pytest

from tests.bus import watch_bus
from tests.e2e.test_return_workflow_e2e import ask, inspection, order, tracking

pytestmark = pytest.mark.e2e


def returned_and_inspected(cloud, return_id: str, order_id: str) -> None:
    cloud.deliver(order(order_id), ask(return_id, order_id),
                  tracking(return_id, "delivered", "2026-11-21T10:00:00Z", f"t-{return_id}"),
                  inspection(return_id, [{"line_id": "L1", "accepted": 1}]))


def provider_refunds(cloud, return_id: str) -> list[dict]:
    return [r for r in cloud.cloud.payment_service.refunds() if r["idempotency_key"] == f"RF-generic.{return_id}"]


def test_a_provider_timeout_is_asked_again_with_the_same_key_and_pays_once(cloud):
    cloud.cloud.payment_service.time_out_next(2)  # it pays, then answers too late, twice
    returned_and_inspected(cloud, "RT-P1", "TM-P1")
    assert cloud.wait_for_end("RT-P1")["status"] == "SUCCEEDED"
    assert cloud.states_entered("RT-P1")[-9:] == [
        "DispatchRefund", "RefundPaid", "AwaitPaymentRetry", "DispatchRefund", "RefundPaid", "AwaitPaymentRetry",
        "DispatchRefund", "RefundPaid", "Notify",
    ]
    [paid] = provider_refunds(cloud, "RT-P1")
    [record] = cloud.refunds("RT-P1")
    assert (record["payment_status"], record["payment_attempts"]) == ("confirmed", 3)
    assert (record["provider_refund_id"], paid["amount"], paid["currency"]) == (paid["refund_id"], record["total"], record["currency"])
    assert cloud.record("RT-P1")["status"] == "refunded"


def test_a_refund_the_provider_keeps_declining_waits_for_finance_who_retry_or_write_off(cloud):
    failed = watch_bus(cloud.cloud.session, "watch-refund-failed", {"detail-type": ["RefundFailed"]})
    cloud.cloud.payment_service.decline_next(8, code="account_frozen", message="the buyer's account is frozen")
    returned_and_inspected(cloud, "RT-P2", "TM-P2")
    returned_and_inspected(cloud, "RT-P3", "TM-P3")
    for return_id in ("RT-P2", "RT-P3"):
        cloud.wait_for_status(return_id, "refund_failed")
        cloud.cloud.wait_until(lambda waiting=return_id: cloud.record(waiting).get("review_queue") == "finance", 30)
    assert sorted(e["detail"]["refund_id"] for e in failed()) == ["RF-generic.RT-P2", "RF-generic.RT-P3"]
    status, queue = cloud.staff("GET", "/v1/reviews?queue=finance")
    assert status == 200
    waiting = {item["return_id"]: item for item in queue["items"]}
    assert waiting["RT-P2"]["failure"]["error"] == "PaymentDeclined"
    assert "account_frozen" in waiting["RT-P2"]["failure"]["cause"]
    [record] = cloud.refunds("RT-P2")
    assert (record["payment_status"], record["payment_attempts"]) == ("failed", 4)
    status, answer = cloud.staff("POST", "/v1/reviews/generic/RT-P2", {"decision": "approve", "note": "wrong decision"})
    assert (status, answer["error"]["field"]) == (422, "decision")

    assert cloud.staff("POST", "/v1/reviews/generic/RT-P2", {"decision": "retry", "note": "account unfrozen"})[0] == 200
    assert cloud.staff("POST", "/v1/reviews/generic/RT-P3", {"decision": "write_off", "note": "paid by bank transfer"})[0] == 200
    assert cloud.wait_for_end("RT-P2")["status"] == cloud.wait_for_end("RT-P3")["status"] == "SUCCEEDED"
    assert cloud.record("RT-P2")["status"] == "refunded"
    assert len(provider_refunds(cloud, "RT-P2")) == 1
    assert cloud.record("RT-P3")["status"] == "refund_written_off"
    [written_off] = cloud.refunds("RT-P3")
    assert written_off["payment_status"] == "written_off"
    assert provider_refunds(cloud, "RT-P3") == []
