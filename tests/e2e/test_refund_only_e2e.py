"""Refund-only requests (POLICY.md section 8) on the local cloud: signed webhooks -> the real ASL on moto -> the
refund ledger, with no parcel asked back."""

import json

import pytest

from chalicelib.resources import POLICY_PARAMETER
from localcloud.cloud import clear_caches
from tests.webhook_events import order_upserted, return_requested

pytestmark = pytest.mark.e2e


def refund_only(return_id: str, order_id: str) -> dict:
    return return_requested(return_id, order_id, event_id=f"evt-return-{return_id}", resolution="refund_only")


def order(order_id: str, **data) -> dict:
    return order_upserted(order_id, event_id=f"evt-order-{order_id}", customer_id=f"C-{order_id}", **data)


def test_a_parcel_in_transit_is_intercepted_and_refunded_once_it_is_returned_to_sender(cloud):
    outbound = {"carrier": "sf", "tracking_number": "SF-OUT-R1"}
    cloud.deliver(order("TM-R1", status="shipped", delivered_at=None, shipment=outbound), refund_only("RT-R1", "TM-R1"))
    record = cloud.wait_for_status("RT-R1", "awaiting_parcel")
    assert record["decision"]["code"] == "INTERCEPT_IN_TRANSIT"
    assert "interception" in record and cloud.refunds("RT-R1") == []
    cloud.deliver({"event_id": "t-R1", "type": "TrackingUpdated", "occurred_at": "2026-11-21T10:00:00Z",
                   "data": {**outbound, "status": "returned_to_sender"}})
    assert cloud.wait_for_end("RT-R1")["status"] == "SUCCEEDED"
    [refund] = cloud.refunds("RT-R1")
    assert (refund["total"], [entry["code"] for entry in refund["entries"]]) == ("275.94", ["item"])
    assert cloud.record("RT-R1")["status"] == "refunded"
    assert cloud.states_entered("RT-R1") == [
        "Start", "Verify", "Decide", "InterceptParcel", "AwaitParcel", "ParcelArrived", "CalculateRefund", "RefundDue",
        "DispatchRefund", "RefundPaid", "Notify"]


@pytest.fixture
def returnless_below_300(cloud):
    """The generic shop refunds a delivered item up to 300.00 without asking it back, for this test only."""
    ssm = cloud.cloud.session.client("ssm")
    generic = {"defaults": {"returnless_refund_below": "300.00"}}
    policy = {"version": "e2e-returnless", "marketplaces": {"generic": generic}}
    ssm.put_parameter(Name=POLICY_PARAMETER, Value=json.dumps(policy), Type="String", Overwrite=True)
    clear_caches()  # the handlers read the policy again
    yield
    ssm.delete_parameter(Name=POLICY_PARAMETER)
    clear_caches()


def test_a_delivered_item_under_the_shops_threshold_is_refunded_without_return(cloud, returnless_below_300):
    cloud.deliver(order("TM-R2"), refund_only("RT-R2", "TM-R2"))
    assert cloud.wait_for_end("RT-R2")["status"] == "SUCCEEDED"
    record = cloud.record("RT-R2")
    assert (record["status"], record["decision"]["code"], record["decision"]["policy_version"]) == (
        "refunded", "RETURNLESS_REFUND", "e2e-returnless")
    [refund] = cloud.refunds("RT-R2")
    assert refund["total"] == "275.94"  # L1: 299.00 less its 23.06 share of the coupon; no shipping, no parcel
    assert cloud.states_entered("RT-R2") == [
        "Start", "Verify", "Decide", "ApproveRefundOnly", "CalculateRefund", "RefundDue", "DispatchRefund",
        "RefundPaid", "Notify"]
