"""Signed webhooks over HTTP -> SQS -> consumer -> the real state machine on moto -> the refund ledger."""

import json

import pytest

from chalicelib.refunds import quote
from tests.bus import watch_bus
from tests.webhook_events import order_upserted, return_requested

pytestmark = pytest.mark.e2e


def order(order_id: str, **data) -> dict:
    data.setdefault("customer_id", f"C-{order_id}")  # one customer each, so no return counts against another
    return order_upserted(order_id, event_id=f"evt-order-{order_id}", **data)


def ask(return_id: str, order_id: str, **data) -> dict:
    data.setdefault("reason", "quality_issue")
    data.setdefault("evidence_urls", [f"https://img.example.com/{return_id}/1.jpg"])
    data.setdefault("items", [{"line_id": "L1", "quantity": 1}])
    return return_requested(return_id, order_id, event_id=f"evt-return-{return_id}", **data)


def tracking(return_id: str, status: str, at: str, event_id: str) -> dict:
    return {"event_id": event_id, "type": "TrackingUpdated", "occurred_at": at,
            "data": {"carrier": "sf", "tracking_number": f"SF-{return_id}", "status": status, "return_id": return_id}}


def inspection(return_id: str, items: list[dict], event_id: str | None = None) -> dict:
    return {"event_id": event_id or f"evt-inspection-{return_id}", "type": "InspectionCompleted",
            "occurred_at": "2026-11-21T12:00:00Z", "data": {"return_id": return_id, "items": items}}


def test_approved_return_with_parcel_and_inspection_gives_one_record_equal_to_the_quote(cloud):
    cloud.deliver(order("TM-E1"), ask("RT-E1", "TM-E1", return_shipping_paid="18.00"))
    cloud.wait_for_status("RT-E1", "awaiting_parcel")
    cloud.deliver(tracking("RT-E1", "delivered", "2026-11-21T10:00:00Z", "t-E1"))
    cloud.wait_for_status("RT-E1", "awaiting_inspection")
    cloud.deliver(inspection("RT-E1", [{"line_id": "L1", "accepted": 1}]))
    assert cloud.wait_for_end("RT-E1")["status"] == "SUCCEEDED"
    expected = quote({
        "currency": "CNY",
        "order": {"order_id": "TM-E1", "shipping_fee": "12.00", "order_discount": "30.00", "lines": [
            {"line_id": "L1", "unit_price": "299.00", "quantity": 1},
            {"line_id": "L2", "unit_price": "33.33", "quantity": 3, "line_discount": "9.99"}]},
        "return": {"kind": "return", "reason": "quality_issue", "return_shipping_paid": "18.00",
                   "items": [{"line_id": "L1", "quantity": 1}]},
        "inspection": {"items": [{"line_id": "L1", "accepted": 1}]},
    })
    [record] = cloud.refunds("RT-E1")
    assert (record["total"], record["entries"]) == (expected["total"], expected["entries"])
    # The ledger keys on the shop-qualified ids; finance sees the shop's own ids beside the shop (unit-tested).
    assert (record["refund_id"], record["order_id"], record["marketplace"]) == (
        "RF-generic.RT-E1", "generic/TM-E1", "generic"
    )
    assert cloud.record("RT-E1")["status"] == "refunded"


def test_an_auto_approved_return_takes_at_most_twelve_state_transitions(cloud):
    cloud.deliver(order("TM-E2"), ask("RT-E2", "TM-E2"),
                  tracking("RT-E2", "delivered", "2026-11-21T10:00:00Z", "t-E2"),
                  inspection("RT-E2", [{"line_id": "L1", "accepted": 1}]))
    cloud.wait_for_end("RT-E2")
    states = cloud.states_entered("RT-E2")
    assert states == ["Start", "Verify", "Decide", "ApproveInMarketplace", "AwaitParcel", "ParcelArrived",
                      "AwaitInspection", "CalculateRefund", "RefundDue", "DispatchRefund", "RefundPaid", "Notify"]


def test_a_request_after_the_window_is_rejected_with_no_refund(cloud):
    late = ask("RT-E3", "TM-E3")
    late["occurred_at"] = "2026-11-25T08:00:01Z"  # delivered 2026-11-18T08:00:00Z: 7 days and one second
    cloud.deliver(order("TM-E3"), late)
    assert cloud.wait_for_end("RT-E3")["status"] == "SUCCEEDED"
    record = cloud.record("RT-E3")
    assert (record["status"], record["decision"]["code"]) == ("rejected", "WINDOW_EXPIRED")
    assert cloud.refunds("RT-E3") == []


def test_the_same_webhooks_sent_twice_give_one_execution_and_one_record(cloud):
    events = [order("TM-E4"), ask("RT-E4", "TM-E4"), tracking("RT-E4", "delivered", "2026-11-21T10:00:00Z", "t-E4")]
    cloud.deliver(*events, *events)
    cloud.wait_for_status("RT-E4", "awaiting_inspection")
    done = inspection("RT-E4", [{"line_id": "L1", "accepted": 1}])
    cloud.deliver(done, done, inspection("RT-E4", [{"line_id": "L1", "accepted": 1}], event_id="evt-resent-new-id"))
    cloud.wait_for_end("RT-E4")
    cloud.deliver(*events, done)  # late duplicates after the end change nothing
    cloud.cloud.wait_until(cloud.cloud.queue_idle, 30)
    executions = cloud.cloud.sfn.list_executions(stateMachineArn=cloud.cloud.env["AFTERSALES_RETURN_WORKFLOW_ARN"])
    assert [e["name"] for e in executions["executions"]].count("generic.RT-E4") == 1
    assert len(cloud.refunds("RT-E4")) == 1


def test_tracking_before_the_return_request_still_completes(cloud):
    cloud.deliver(tracking("RT-E5", "delivered", "2026-11-21T10:00:00Z", "t-E5"), order("TM-E5"))
    cloud.deliver(ask("RT-E5", "TM-E5"))
    cloud.wait_for_status("RT-E5", "awaiting_inspection")
    cloud.deliver(inspection("RT-E5", [{"line_id": "L1", "accepted": 1}]))
    assert cloud.wait_for_end("RT-E5")["status"] == "SUCCEEDED"
    assert len(cloud.refunds("RT-E5")) == 1


def cancel_request(return_id: str, order_id: str, items: list[dict]) -> dict:
    return {"event_id": f"evt-cancel-{return_id}", "type": "CancelRequested", "occurred_at": "2026-11-20T09:00:00Z",
            "data": {"return_id": return_id, "order_id": order_id, "reason": "changed_mind", "items": items}}


def hold_answer(return_id: str, outcome: str) -> dict:
    return {"event_id": f"evt-hold-{return_id}", "type": "HoldShipmentAnswered", "occurred_at": "2026-11-20T10:00:00Z",
            "data": {"return_id": return_id, "outcome": outcome}}


def unshipped(order_id: str) -> dict:
    return order(order_id, status="paid", shipped_at=None, delivered_at=None)


def test_cancel_before_shipment_waits_for_the_warehouse_hold_then_refunds_without_a_parcel(cloud):
    everything = [{"line_id": "L1", "quantity": 1}, {"line_id": "L2", "quantity": 3}]
    cloud.deliver(unshipped("TM-E6"), cancel_request("RT-E6", "TM-E6", everything))
    record = cloud.wait_for_status("RT-E6", "awaiting_hold")
    assert record["decision"]["code"] == "CANCEL_BEFORE_SHIPMENT"
    assert cloud.refunds("RT-E6") == []  # nothing before the warehouse confirms the hold
    cloud.deliver(hold_answer("RT-E6", "held"), hold_answer("RT-E6", "held"))
    assert cloud.wait_for_end("RT-E6")["status"] == "SUCCEEDED"
    assert cloud.states_entered("RT-E6")[:7] == [
        "Start", "Verify", "Decide", "HoldShipment", "AwaitHold", "HoldAnswered", "CalculateRefund"
    ]
    [record] = cloud.refunds("RT-E6")
    assert record["total"] == "371.00"  # everything paid: 359.00 of goods + 12.00 shipping


def test_a_partial_cancellation_refunds_only_its_lines(cloud):
    cloud.deliver(unshipped("TM-E11"), cancel_request("RT-E11", "TM-E11", [{"line_id": "L2", "quantity": 2}]),
                  hold_answer("RT-E11", "held"))
    assert cloud.wait_for_end("RT-E11")["status"] == "SUCCEEDED"
    [record] = cloud.refunds("RT-E11")
    # 2 of the 3 units of L2 (99.99 - 9.99 line discount - 6.94 of the coupon = 83.06), no shipping
    assert (record["total"], [entry["code"] for entry in record["entries"]]) == ("55.37", ["item"])


def test_already_shipped_goes_on_as_a_return_with_no_refund_until_the_parcel_is_back(cloud):
    cloud.deliver(unshipped("TM-E12"), cancel_request("RT-E12", "TM-E12", [{"line_id": "L1", "quantity": 1}]))
    cloud.wait_for_status("RT-E12", "awaiting_hold")
    cloud.deliver(hold_answer("RT-E12", "already_shipped"))
    cloud.wait_for_status("RT-E12", "awaiting_parcel")
    assert cloud.refunds("RT-E12") == []
    cloud.deliver(*parcel_and_inspection("RT-E12"))
    assert cloud.wait_for_end("RT-E12")["status"] == "SUCCEEDED"
    [refund] = cloud.refunds("RT-E12")
    assert [entry["code"] for entry in refund["entries"]] == ["item"]  # a buyer-fault return: no shipping back
    assert "AwaitParcel" in cloud.states_entered("RT-E12")


def test_a_step_that_fails_waits_in_the_failures_queue_for_a_retry_or_a_rejection(cloud):
    cloud.deliver(order("TM-E7"), ask("RT-E7", "TM-E7"), tracking("RT-E7", "delivered", "2026-11-21T10:00:00Z", "t-E7"))
    cloud.wait_for_status("RT-E7", "awaiting_inspection")
    cloud.deliver(inspection("RT-E7", [{"line_id": "L2", "accepted": 1}]))  # a line that was not returned
    cloud.cloud.wait_until(lambda: (cloud.record("RT-E7") or {}).get("waiting_for") == "failure_review", 30)
    record = cloud.record("RT-E7")
    assert (record["status"], record["review_queue"]) == ("failed", "failures")
    assert (record["failure"]["step"], record["failure"]["error"]) == ("CalculateRefund", "InvalidInput")
    assert "not a line of this return" in record["failure"]["cause"]
    status, queue = cloud.staff("GET", "/v1/reviews?queue=failures")
    assert status == 200 and "RT-E7" in [item["return_id"] for item in queue["items"]]

    # Retried, the same inspection fails the same way: the return is back in the queue, waiting again.
    assert cloud.staff("POST", "/v1/reviews/generic/RT-E7", {"decision": "retry", "note": "try again"})[0] == 200
    first_failure_at = record["failure"]["at"]
    cloud.cloud.wait_until(lambda: "failure_review" not in cloud.record("RT-E7")
                           and cloud.record("RT-E7").get("review_queue") == "failures", 30)
    assert cloud.execution("RT-E7")["status"] == "RUNNING"
    assert cloud.states_entered("RT-E7").count("Verify") == 2
    assert cloud.record("RT-E7")["failure"]["at"] >= first_failure_at

    status, answer = cloud.staff("POST", "/v1/reviews/generic/RT-E7", {"decision": "reject", "note": "inspection data is wrong"})
    assert (status, answer.get("decision"), answer.get("by")) == (200, "reject", "local-staff"), answer
    assert cloud.wait_for_end("RT-E7")["status"] == "SUCCEEDED"
    assert cloud.record("RT-E7")["status"] == "rejected"
    assert "review_queue" not in cloud.record("RT-E7")
    assert cloud.refunds("RT-E7") == []


def parcel_and_inspection(return_id: str) -> tuple[dict, dict]:
    return (tracking(return_id, "delivered", "2026-11-21T10:00:00Z", f"t-{return_id}"),
            inspection(return_id, [{"line_id": "L1", "accepted": 1}]))


def test_a_reviewer_approves_a_high_value_return_and_the_real_workflow_goes_on_to_the_refund(cloud):
    expensive = [{"line_id": "L1", "sku": "TV-85", "category": "electronics", "unit_price": "2499.00", "quantity": 1}]
    cloud.deliver(order("TM-E8", lines=expensive), ask("RT-E8", "TM-E8"))
    record = cloud.wait_for_status("RT-E8", "in_review")
    assert (record["decision"]["code"], record["review_queue"]) == ("HIGH_VALUE", "product_quality")
    status, queue = cloud.staff("GET", "/v1/reviews?queue=product_quality")
    [item] = [item for item in queue["items"] if item["return_id"] == "RT-E8"]
    assert item["decision"]["facts"]["estimate"] == "2481.00"  # 2499.00 - the 30.00 coupon + 12.00 shipping

    status, answer = cloud.staff("POST", "/v1/reviews/generic/RT-E8", {"decision": "approve", "note": "genuine defect"})
    assert (status, answer["decision"], answer["by"]) == (200, "approve", "local-staff")
    cloud.wait_for_status("RT-E8", "awaiting_parcel")
    status, again = cloud.staff("POST", "/v1/reviews/generic/RT-E8", {"decision": "reject", "note": "changed my mind"})
    assert status == 409 and "already reviewed: approve by local-staff" in again["error"]["message"]
    cloud.deliver(*parcel_and_inspection("RT-E8"))
    assert cloud.wait_for_end("RT-E8")["status"] == "SUCCEEDED"
    [refund] = cloud.refunds("RT-E8")
    assert refund["total"] == "2481.00"
    assert cloud.states_entered("RT-E8")[:5] == ["Start", "Verify", "Decide", "AwaitReview", "ReviewDecided"]


def test_a_reviewer_rejects_and_the_return_closes_with_no_refund(cloud):
    cloud.deliver(order("TM-E9", customer_id="C-ABUSER"))
    for n in range(5):  # five earlier requests in the 30 days before
        earlier = ask(f"RT-E9-{n}", "TM-E9", reason="changed_mind", items=[{"line_id": "L2", "quantity": 1}])
        cloud.deliver({**earlier, "occurred_at": f"2026-11-1{n}T09:00:00Z"})
    for n in range(5):
        cloud.wait_for_status(f"RT-E9-{n}", "awaiting_parcel", "in_review", "rejected")
    cloud.deliver(ask("RT-E9", "TM-E9", reason="changed_mind"))
    record = cloud.wait_for_status("RT-E9", "in_review")
    assert (record["decision"]["code"], record["review_queue"]) == ("RETURN_ABUSE_SIGNAL", "service")
    status, _ = cloud.staff("POST", "/v1/reviews/generic/RT-E9", {"decision": "reject", "note": "sixth return this month"})
    assert status == 200
    assert cloud.wait_for_end("RT-E9")["status"] == "SUCCEEDED"
    assert cloud.record("RT-E9")["status"] == "rejected"
    assert cloud.refunds("RT-E9") == []
    status, late = cloud.staff("POST", "/v1/reviews/generic/RT-E9", {"decision": "approve", "note": "too late"})
    assert status == 409 and "closed (rejected)" in late["error"]["message"]


def test_evidence_added_releases_a_return_waiting_for_evidence(cloud):
    cloud.deliver(order("TM-E10"), ask("RT-E10", "TM-E10", evidence_urls=[]))
    record = cloud.wait_for_status("RT-E10", "in_review")
    assert record["decision"]["code"] == "EVIDENCE_REQUIRED"
    evidence = {"event_id": "ev-E10", "type": "EvidenceAdded", "occurred_at": "2026-11-20T10:00:00Z",
                "data": {"return_id": "RT-E10", "evidence_urls": ["https://img.example.com/RT-E10/crack.jpg"]}}
    cloud.deliver(evidence, evidence)
    record = cloud.wait_for_status("RT-E10", "awaiting_parcel")
    assert record["decision"]["code"] == "APPROVED" and record["decision"]["facts"]["evidence"] == 1
    cloud.deliver(*parcel_and_inspection("RT-E10"))
    assert cloud.wait_for_end("RT-E10")["status"] == "SUCCEEDED"
    assert len(cloud.refunds("RT-E10")) == 1
    assert "StartOver" in cloud.states_entered("RT-E10")


def test_the_scheduled_sweep_emits_sla_breached_for_an_overdue_review(cloud):
    local = cloud.cloud
    breaches = watch_bus(local.session, "e2e-sla-watch", {"detail-type": ["SlaBreached"]})
    cloud.deliver(order("TM-E13"), ask("RT-E13", "TM-E13", evidence_urls=[]))
    record = cloud.wait_for_status("RT-E13", "in_review")
    # Eight hours later, as far as the deadline is concerned:
    local.dynamodb.Table("aftersales-returns").update_item(
        Key={"return_id": "generic/RT-E13"}, UpdateExpression="SET sla_deadline = :past",
        ExpressionAttributeValues={":past": "2026-11-20T00:00:00Z"},
    )
    assert "generic/RT-E13" in local.fire_schedules()["sweep_sla"]["breached"]
    assert "generic/RT-E13" not in local.fire_schedules()["sweep_sla"]["breached"]
    assert cloud.record("RT-E13")["sla_breached_at"] >= record["review_since"]
    details = [envelope["detail"] for envelope in breaches()]
    assert [(d["return_id"], d["decision_code"]) for d in details] == [("RT-E13", "EVIDENCE_REQUIRED")]


def test_a_carrier_push_moves_the_parcel_wait_and_its_duplicate_changes_nothing(cloud):
    cloud.deliver(order("TM-E14"), ask("RT-E14", "TM-E14"))
    cloud.wait_for_status("RT-E14", "awaiting_parcel")
    push = {"waybillNo": "SF1400000000014", "orderId": "RT-E14", "routes": [
        {"acceptTime": "2026-11-20 10:02:11", "acceptAddress": "深圳市", "remark": "已收取快件", "opCode": "50"},
        {"acceptTime": "2026-11-21 11:26:50", "acceptAddress": "杭州市", "remark": "快件已签收", "opCode": "80"}]}
    cloud.carrier_push("sf-express", push)
    cloud.carrier_push("sf-express", push)
    record = cloud.wait_for_status("RT-E14", "awaiting_inspection")
    assert (record["parcel"]["status"], record["parcel"]["carrier"]) == ("delivered", "sf-express")
    cloud.deliver(inspection("RT-E14", [{"line_id": "L1", "accepted": 1}]))
    assert cloud.wait_for_end("RT-E14")["status"] == "SUCCEEDED"
    assert len(cloud.refunds("RT-E14")) == 1


def sf_push(return_id: str, *routes: tuple[str, str]) -> dict:
    return {"waybillNo": f"SF14{return_id[-2:]}", "orderId": return_id,
            "routes": [{"acceptTime": at, "acceptAddress": "杭州市", "opCode": code} for code, at in routes]}


def test_a_parcel_in_trouble_goes_to_the_logistics_queue_and_a_reviewer_decides(cloud):
    cloud.deliver(order("TM-E15"), ask("RT-E15", "TM-E15"), order("TM-E16"), ask("RT-E16", "TM-E16"))
    cloud.wait_for_status("RT-E15", "awaiting_parcel")
    cloud.wait_for_status("RT-E16", "awaiting_parcel")
    cloud.carrier_push("sf-express", sf_push("RT-E15", ("50", "2026-11-20 10:00:00"), ("70", "2026-11-20 18:00:00")))
    cloud.carrier_push("sf-express", sf_push("RT-E16", ("50", "2026-11-20 10:00:00"), ("99", "2026-11-21 09:00:00")))
    cloud.cloud.wait_until(lambda: all(cloud.record(r).get("review_queue") == "logistics" for r in ("RT-E15", "RT-E16")), 30)
    status, queue = cloud.staff("GET", "/v1/reviews?queue=logistics")
    assert {"RT-E15", "RT-E16"} <= {item["return_id"] for item in queue["items"]}

    # The carrier sorted out its exception: keep waiting; the parcel then arrives and the return goes on.
    assert cloud.staff("POST", "/v1/reviews/generic/RT-E15", {"decision": "keep_waiting", "note": "carrier re-routed it"})[0] == 200
    assert "review_queue" not in cloud.record("RT-E15")
    cloud.carrier_push("sf-express", sf_push("RT-E15", ("80", "2026-11-21 11:00:00")))
    cloud.wait_for_status("RT-E15", "awaiting_inspection")

    # Returned to the buyer: the reviewer closes the return, with no refund.
    assert cloud.staff("POST", "/v1/reviews/generic/RT-E16", {"decision": "reject", "note": "parcel went back to buyer"})[0] == 200
    assert cloud.wait_for_end("RT-E16")["status"] == "SUCCEEDED"
    assert cloud.record("RT-E16")["status"] == "rejected" and cloud.refunds("RT-E16") == []


def test_the_warehouse_webhook_inspects_once_and_refuses_a_second_inspection(cloud):
    cloud.deliver(order("TM-E17"), ask("RT-E17", "TM-E17"), tracking("RT-E17", "delivered", "2026-11-21T10:00:00Z", "t-E17"))
    cloud.wait_for_status("RT-E17", "awaiting_inspection")
    receipt = {"receipt_id": "WR-E17", "return_id": "RT-E17", "inspected_at": "2026-11-21T12:00:00Z",
               "lines": [{"line_id": "L1", "accepted": 1, "deductions": [{"code": "scuffed_box", "amount": "5.00"}]}]}
    assert cloud.post(receipt, "warehouse")[0] == 202
    assert cloud.wait_for_end("RT-E17")["status"] == "SUCCEEDED"
    [refund] = cloud.refunds("RT-E17")
    assert ("deduction", "-5.00") in [(entry["code"], entry["amount"]) for entry in refund["entries"]]
    status, answer = cloud.post({**receipt, "receipt_id": "WR-E17-B"}, "warehouse")
    assert (status, answer["error"]["code"]) == (409, "already_inspected")
    status, answer = cloud.post(receipt, "warehouse")  # even the same receipt, once the return is finished
    assert (status, answer["error"]["code"]) == (409, "return_closed")
    assert len(cloud.refunds("RT-E17")) == 1


def test_no_tracking_within_the_policy_days_expires_the_return_and_tracking_in_time_does_not(cloud):
    local = cloud.cloud
    cloud.deliver(order("TM-E18"), ask("RT-E18", "TM-E18"), order("TM-E19"), ask("RT-E19", "TM-E19"))
    for return_id in ("RT-E18", "RT-E19"):
        record = cloud.wait_for_status(return_id, "awaiting_parcel")
        assert record["parcel_watch"] == "waiting"  # due 7 days after approval
    cloud.deliver(tracking("RT-E19", "in_transit", "2026-11-20T10:00:00Z", "t-E19"))
    local.wait_until(lambda: "parcel_watch" not in cloud.record("RT-E19"), 30)
    # A week later, as far as the due dates are concerned:
    for return_id in ("RT-E18", "RT-E19"):
        local.dynamodb.Table("aftersales-returns").update_item(
            Key={"return_id": f"generic/{return_id}"}, UpdateExpression="SET tracking_due_at = :past",
            ExpressionAttributeValues={":past": "2026-11-01T00:00:00Z"},
        )
    assert local.fire_schedules()["watch_parcels"] == {"expired": ["generic/RT-E18"]}
    assert cloud.wait_for_end("RT-E18")["status"] == "SUCCEEDED"
    record = cloud.record("RT-E18")
    assert (record["status"], record["expiry_reason"]) == ("expired", "no tracking by 2026-11-01T00:00:00Z")
    assert cloud.refunds("RT-E18") == []
    assert cloud.record("RT-E19")["status"] == "awaiting_parcel"


def test_the_poller_asks_the_carrier_about_a_quiet_parcel_and_its_delivery_moves_the_return(cloud):
    local = cloud.cloud
    cloud.deliver(order("TM-E20"), ask("RT-E20", "TM-E20"))
    cloud.wait_for_status("RT-E20", "awaiting_parcel")
    cloud.deliver(tracking("RT-E20", "in_transit", "2026-11-20T10:00:00Z", "t-E20"))
    local.wait_until(lambda: "parcel" in cloud.record("RT-E20"), 30)
    shipments = local.dynamodb.Table("aftersales-shipments")
    assert shipments.get_item(Key={"shipment_id": "sf#SF-RT-E20"})["Item"]["poll_state"] == "active"
    # Quiet for 72 hours (as far as the schedule is concerned); the carrier's API knows it was delivered.
    shipments.update_item(Key={"shipment_id": "sf#SF-RT-E20"}, UpdateExpression="SET next_poll_at = :past",
                          ExpressionAttributeValues={":past": "2026-11-01T00:00:00Z"})
    local.carrier_service.add("sf", "SF-RT-E20", "delivered", "2026-11-21T09:00:00+00:00", description="signed")
    result = local.fire_schedules()["poll_carriers"]
    assert result["moved"] >= 1
    cloud.wait_for_status("RT-E20", "awaiting_inspection")
    assert "poll_state" not in shipments.get_item(Key={"shipment_id": "sf#SF-RT-E20"})["Item"]  # final: no more polls


@pytest.mark.parametrize(
    "return_id, price, refunded, payment",
    [("RT-E21", "275.94", None, None), ("RT-E22", "200.00", "75.94", None), ("RT-E23", "300.00", None, "24.06")],
)
def test_an_exchange_sends_a_replacement_and_settles_the_difference(cloud, return_id, price, refunded, payment):
    pattern = {"detail-type": ["ReplacementShipmentRequested", "PaymentRequested"], "detail": {"return_id": [return_id]}}
    received = watch_bus(cloud.cloud.session, f"watch-{return_id}", pattern)
    order_id = return_id.replace("RT", "TM")
    replacement = {"sku": "SHOE-43", "unit_price": price, "quantity": 1}
    cloud.deliver(order(order_id), ask(return_id, order_id, reason="wrong_size", resolution="exchange",
                                       replacement=replacement))
    cloud.deliver(*parcel_and_inspection(return_id))
    assert cloud.wait_for_end(return_id)["status"] == "SUCCEEDED"
    assert cloud.record(return_id)["status"] == "exchanged"
    ledger = cloud.refunds(return_id)
    assert [record["total"] for record in ledger] == ([refunded] if refunded else [])
    if refunded:
        assert ledger[0]["entries"][-1]["code"] == "exchange_replacement"
    published = {envelope["detail-type"]: envelope["detail"] for envelope in received()}
    assert published["ReplacementShipmentRequested"]["sku"] == "SHOE-43"
    assert published.get("PaymentRequested", {}).get("amount") == payment


def test_an_inspection_accepting_nothing_closes_the_return_rejected_at_inspection_and_says_so(cloud):
    closed = watch_bus(cloud.cloud.session, "watch-closed-E24", {"detail-type": ["ReturnClosed"], "detail": {"return_id": ["RT-E24"]}})
    cloud.deliver(order("TM-E24"), ask("RT-E24", "TM-E24"), tracking("RT-E24", "delivered", "2026-11-21T10:00:00Z", "t-E24"))
    receipt = {"receipt_id": "WR-E24", "return_id": "RT-E24", "inspected_at": "2026-11-21T12:00:00Z",
               "lines": [{"line_id": "L1", "accepted": 0}]}
    assert cloud.post(receipt, "warehouse")[0] == 202
    assert cloud.wait_for_end("RT-E24")["status"] == "SUCCEEDED"
    assert cloud.record("RT-E24")["status"] == "rejected_at_inspection" and cloud.refunds("RT-E24") == []
    [envelope] = closed()
    assert envelope["detail"]["outcome"] == "rejected_at_inspection"


def restarted_execution(cloud, return_id: str) -> dict | None:
    """The execution that took over the return after its first one ended badly (its name begins with ".")."""
    sfn, machine = cloud.cloud.sfn, cloud.cloud.env["AFTERSALES_RETURN_WORKFLOW_ARN"]
    for execution in sfn.list_executions(stateMachineArn=machine)["executions"]:
        if execution["name"].startswith("."):
            described = sfn.describe_execution(executionArn=execution["executionArn"])
            if json.loads(described["input"])["return_id"].endswith(return_id):
                return described
    return None


def test_a_return_whose_execution_was_stopped_waits_in_the_failures_queue_when_asked_again_and_a_retry_refunds_it(
        cloud):
    cloud.deliver(order("TM-E40"), ask("RT-E40", "TM-E40"))
    cloud.wait_for_status("RT-E40", "awaiting_parcel")
    arn = cloud.execution("RT-E40")["executionArn"]

    def parked() -> bool:
        """The token task is submitted (its Lambda returned): a stop while the Lambda still runs ends FAILED on moto."""
        events = cloud.cloud.sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
        return events[-1]["type"] == "TaskSubmitted"

    cloud.cloud.wait_until(parked, 30)
    cloud.cloud.sfn.stop_execution(executionArn=arn)  # an operator stops it
    # moto's interpreter sees a stop once the parked task completes (AWS stops at once): complete it
    cloud.cloud.sfn.send_task_success(taskToken=cloud.record("RT-E40")["task_token"], output='{"decision": "wake"}')
    assert cloud.wait_for_end("RT-E40")["status"] == "ABORTED"

    # The marketplace sends the request again: the stopped execution is not taken as done.
    cloud.deliver(return_requested("RT-E40", "TM-E40", event_id="evt-return-RT-E40-again", reason="quality_issue",
                                   evidence_urls=["https://img.example.com/RT-E40/1.jpg"],
                                   items=[{"line_id": "L1", "quantity": 1}]))
    cloud.cloud.wait_until(lambda: (cloud.record("RT-E40") or {}).get("waiting_for") == "failure_review", 30)
    record = cloud.record("RT-E40")
    assert (record["status"], record["review_queue"]) == ("failed", "failures")
    assert (record["failure"]["step"], record["failure"]["error"]) == ("Workflow", "ExecutionAborted")
    assert "ended ABORTED; the return was awaiting_parcel" in record["failure"]["cause"]
    status, queue = cloud.staff("GET", "/v1/reviews?queue=failures")
    assert status == 200 and "RT-E40" in [item["return_id"] for item in queue["items"]]
    restarted = restarted_execution(cloud, "RT-E40")
    assert restarted["status"] == "RUNNING"
    states = cloud.cloud.sfn.get_execution_history(executionArn=restarted["executionArn"])["events"]
    assert [e["stateEnteredEventDetails"]["name"] for e in states if "stateEnteredEventDetails" in e] == [
        "Start", "RecordFailure", "AwaitFailureReview"]

    # A person retries it: Verify again, then the parcel and its inspection, and one refund.
    assert cloud.staff("POST", "/v1/reviews/generic/RT-E40", {"decision": "retry", "note": "stopped by mistake"})[0] == 200
    cloud.wait_for_status("RT-E40", "awaiting_parcel")
    cloud.deliver(tracking("RT-E40", "delivered", "2026-11-21T10:00:00Z", "t-E40"),
                  inspection("RT-E40", [{"line_id": "L1", "accepted": 1}]))
    cloud.cloud.wait_until(lambda: restarted_execution(cloud, "RT-E40")["status"] != "RUNNING", 30)
    assert restarted_execution(cloud, "RT-E40")["status"] == "SUCCEEDED"
    assert cloud.record("RT-E40")["status"] == "refunded"
    assert len(cloud.refunds("RT-E40")) == 1
