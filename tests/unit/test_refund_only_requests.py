"""Refund-only requests (POLICY.md section 8) through the services on the twins: the request, its decision on stored
orders, the interception asked of the marketplace, the wait for the intercepted parcel's fate, the review queues of
section 8, and the quote the workflow refunds.

The order of `tests/webhook_events.order_upserted` (see tests/unit/services/given.py): L1 nets 275.94, L2 83.06
(3 units), shipping 12.00, paid 371.00; delivered 2026-11-18T08:00:00Z, the request at 2026-11-20T09:00:00Z.
"""

import pytest

from chalicelib.adapters.memory import MemoryMarketplaces
from chalicelib.connectors.shopify.actions import ShopifyActions
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.events import canonical_events
from chalicelib.domain.explanations import DELIVERED_DESPITE_INTERCEPT, REVIEW_EXPIRED
from chalicelib.domain.policy import Overrides, PolicyDocument, Settings
from chalicelib.domain.returns import Return, ReturnStatus, Waiting
from chalicelib.ports.errors import MarketplaceRefused
from chalicelib.refunds import quote
from chalicelib.services.answer_marketplace import NOBODY_TO_ASK, answer_marketplace, decline_code
from chalicelib.services.hold_shipment import hold_shipment
from chalicelib.services.quote_return import quote_return
from chalicelib.services.review_return import review_return
from chalicelib.services.verify_return import verify_return
from chalicelib.services.wait_for_event import wait_for_event
from tests.quote_requests import line, request
from tests.unit.services.given import (
    L1_NET,
    NOW,
    PAID_TOTAL,
    a_return,
    an_order,
    hold_answered,
    ingested,
    inspected,
    staff,
    twins,
    unshipped,
)
from tests.webhook_events import return_requested

OUTBOUND = {"carrier": "sf", "tracking_number": "SF-OUT-1"}
IN_TRANSIT = {"status": "shipped", "delivered_at": None, "shipment": OUTBOUND}
REFUND_ONLY = {"resolution": "refund_only"}
# The tmall shop refunds a delivered item up to 300.00 without asking it back.
RETURNLESS_300 = PolicyDocument(
    version="returnless-300", marketplaces={"tmall": Overrides(defaults=Settings(returnless_refund_below="300.00"))},
)


def outbound_scan(status: str, at: str = "2026-11-21T08:00:00Z") -> dict:
    """The carrier's scan of the order's outbound parcel: it names no return."""
    return {"event_id": f"evt-out-{status}", "type": "TrackingUpdated", "occurred_at": at,
            "data": {**OUTBOUND, "status": status}}


def intercepting(ports, **request) -> None:
    """A refund-only request on an order in transit, verified, its interception asked, its parcel waited for."""
    an_order(ports, **IN_TRANSIT)
    a_return(ports, **REFUND_ONLY, **request)
    assert verify_return("RT-1", ports)["decision"] == "intercept"
    answer_marketplace("RT-1", "intercept", ports, NOW)
    wait_for_event("RT-1", "parcel", "tok-parcel", ports, NOW)


# The request.

def test_a_refund_only_request_is_a_return_requested_with_resolution_refund_only():
    event = canonical_events.validate_python(
        {**return_requested(**REFUND_ONLY, shipment=OUTBOUND), "source": "tmall", "received_at": NOW})
    assert (event.data.resolution, event.data.shipment.tracking_number) == ("refund_only", "SF-OUT-1")


def test_a_refund_only_request_naming_a_replacement_is_refused():
    replacement = {"sku": "SHOE-43", "unit_price": "299.00"}
    with pytest.raises(ValueError, match="a refund-only request has no replacement"):
        canonical_events.validate_python(
            {**return_requested(**REFUND_ONLY, replacement=replacement), "source": "tmall", "received_at": NOW})


# The quote contract: kind refund_only.

@pytest.mark.parametrize(
    "extra, field",
    [({"inspection": {"items": [{"line_id": "L1", "accepted": 1}]}}, "inspection"),
     ({"return_shipping_paid": "8.00"}, "return.return_shipping_paid")],
)
def test_a_refund_only_quote_has_no_parcel_back_to_inspect_or_pay_postage_for(extra, field):
    body = request([line("L1", "100.00")], [("L1", 1)], kind="refund_only")
    if "inspection" in extra:
        body.update(extra)
    else:
        body["return"].update(extra)
    with pytest.raises(InvalidInput) as refused:
        quote(body)
    assert (refused.value.field, refused.value.code) == (field, "invalid_for_refund_only")


# Verify on stored orders.

def test_a_refund_only_request_in_transit_is_intercepted():
    ports = twins()
    an_order(ports, **IN_TRANSIT)
    a_return(ports, **REFUND_ONLY)
    result = verify_return("RT-1", ports)
    assert (result["decision"], result["code"]) == ("intercept", "INTERCEPT_IN_TRANSIT")
    facts = ports.returns.get("RT-1").decision["facts"]
    assert (facts["resolution"], facts["shipped_at"], facts["delivered_at"]) == (
        "refund_only", "2026-11-16T08:00:00Z", None)


def test_a_refund_only_request_for_an_unshipped_order_is_cancelled_before_shipment():
    ports = twins()
    an_order(ports, **unshipped())
    a_return(ports, **REFUND_ONLY)
    assert verify_return("RT-1", ports)["code"] == "CANCEL_BEFORE_SHIPMENT"


@pytest.mark.parametrize("document, outcome, code", [
    (None, "manual", "REFUND_ONLY_DELIVERED"),  # the default "0": off
    (RETURNLESS_300, "refund", "RETURNLESS_REFUND"),  # L1's refund-only quote, 275.94, is at most 300.00
])
def test_a_delivered_item_is_refunded_without_return_only_under_the_shops_threshold(document, outcome, code):
    ports = twins()
    if document is not None:
        ports.policies.document = document
    an_order(ports)
    a_return(ports, **REFUND_ONLY)
    result = verify_return("RT-1", ports)
    assert (result["decision"], result["code"]) == (outcome, code)
    facts = ports.returns.get("RT-1").decision["facts"]
    assert facts["estimate"] == "275.94"
    assert facts["returnless_refund_below"] == ("300.00" if document else "0.00")


# InterceptParcel.

def test_intercept_asks_a_marketplace_shop_and_keeps_its_answer():
    ports = twins(marketplaces=MemoryMarketplaces({"tb": object()}))
    an_order(ports, **IN_TRANSIT)
    ports.returns.create(Return(return_id="tb/RT-1", order_id="TM-1001", kind="return", resolution="refund_only",
                                reason="changed_mind", items=[{"line_id": "L1", "quantity": 1}]))
    result = answer_marketplace("tb/RT-1", "intercept", ports, NOW)
    assert result == {"answer": "intercept", "outcome": "interception asked"}
    assert ports.marketplaces.actions("tb").calls == [("intercept", "tb/RT-1")]
    assert ports.returns.get("tb/RT-1").interception == {"outcome": "interception asked", "at": "2026-11-22T08:00:00Z"}


def test_intercept_for_a_shop_of_our_own_answers_at_once_and_follows_the_orders_parcel():
    ports = twins()
    an_order(ports, **IN_TRANSIT)
    a_return(ports, **REFUND_ONLY)
    result = answer_marketplace("RT-1", "intercept", ports, NOW)
    assert result == {"answer": "intercept", "outcome": NOBODY_TO_ASK}
    assert ports.returns.get("RT-1").interception["outcome"] == NOBODY_TO_ASK
    assert ports.shipments.get("sf", "SF-OUT-1").return_id == "RT-1"  # its scans now move the return


def test_intercept_follows_the_parcel_the_request_names_rather_than_the_orders():
    ports = twins()
    an_order(ports, **IN_TRANSIT)
    a_return(ports, **REFUND_ONLY, shipment={"carrier": "sf", "tracking_number": "SF-SPLIT-2"})
    answer_marketplace("RT-1", "intercept", ports, NOW)
    assert ports.shipments.get("sf", "SF-SPLIT-2").return_id == "RT-1"
    assert ports.shipments.get("sf", "SF-OUT-1") is None


def test_a_second_request_on_a_parcel_another_return_follows_is_watched_by_a_person():
    ports = twins()
    an_order(ports, **IN_TRANSIT)
    a_return(ports, **REFUND_ONLY)
    answer_marketplace("RT-1", "intercept", ports, NOW)
    ports.returns.create(Return(return_id="RT-2", order_id="TM-1001", kind="return", resolution="refund_only",
                                reason="changed_mind", items=[{"line_id": "L1", "quantity": 1}]))

    answer_marketplace("RT-2", "intercept", ports, NOW)

    second = ports.returns.get("RT-2")
    assert (second.parcel_problem["status"], second.review_queue) == ("parcel_of_another_return", "logistics")
    assert ports.shipments.get("sf", "SF-OUT-1").return_id == "RT-1"


def test_shopify_cannot_intercept_and_says_what_a_person_does_instead():
    actions = ShopifyActions(admin=type("Admin", (), {"connection": None})(), audit=None, now=lambda: NOW)
    record = Return(return_id="acme/RT-1", order_id="acme/1001", resolution="refund_only")
    with pytest.raises(MarketplaceRefused, match="cannot intercept the parcel of order 1001: ask the carrier"):
        actions.intercept(record)


# AwaitParcel: the intercepted parcel's fate.

def test_the_intercepted_parcel_returned_to_sender_resumes_the_wait_to_refund_and_is_no_trouble():
    ports = twins()
    intercepting(ports)
    ingested(ports, outbound_scan("in_transit", "2026-11-20T10:00:00Z"), source="sf")
    assert ports.workflows.resumed == []
    ingested(ports, outbound_scan("returned_to_sender"), source="sf")
    assert ports.workflows.resumed == [("tok-parcel", {"decision": "refund", "because": "returned_to_sender"})]
    record = ports.returns.get("RT-1")
    assert (record.parcel_problem, record.review_queue) == (None, None)


def test_the_warehouse_receiving_the_intercepted_parcel_resumes_the_wait_to_refund():
    ports = twins()
    intercepting(ports)
    inspected(ports)
    assert ports.workflows.resumed == [("tok-parcel", {"decision": "refund", "because": "received"})]


def test_the_intercepted_parcel_delivered_anyway_goes_to_the_logistics_queue():
    ports = twins()
    intercepting(ports)
    ingested(ports, outbound_scan("delivered"), source="sf")
    assert ports.workflows.resumed == [("tok-parcel", {"decision": "delivered"})]
    result = wait_for_event("RT-1", "review", "tok-review", ports, NOW)
    assert result["review_queue"] == "logistics"


def test_an_intercepted_parcel_in_trouble_is_still_a_logistics_problem():
    ports = twins()
    intercepting(ports)
    ingested(ports, outbound_scan("exception"), source="sf")
    record = ports.returns.get("RT-1")
    assert (record.parcel_problem["status"], record.review_queue) == ("exception", "logistics")
    assert ports.workflows.resumed == []


def test_a_refund_only_request_a_reviewer_approved_waits_for_no_parcel():
    ports = twins()
    an_order(ports)
    a_return(ports, **REFUND_ONLY, reason="quality_issue")
    assert verify_return("RT-1", ports)["code"] == "REFUND_ONLY_DELIVERED"
    review = wait_for_event("RT-1", "review", "tok-review", ports, NOW)
    assert review["review_queue"] == "service"  # section 8, not the reason's product_quality
    review_return("RT-1", {"decision": "approve", "note": "keep it"}, staff(), ports, NOW)
    result = wait_for_event("RT-1", "parcel", "tok-parcel", ports, NOW)
    assert result == {"waiting_for": Waiting.PARCEL, "resumed": True}  # no parcel watch
    assert ports.workflows.resumed[-1] == ("tok-parcel", {"decision": "refund", "because": "approved"})


# The decline note.

def test_a_parcel_delivered_anyway_and_refused_by_a_reviewer_is_declined_for_that():
    ports = twins()
    intercepting(ports)
    ingested(ports, outbound_scan("delivered"), source="sf")
    wait_for_event("RT-1", "review", "tok-review", ports, NOW)
    assert decline_code(ports.returns.get("RT-1")) == REVIEW_EXPIRED  # nobody decided in time
    review_return("RT-1", {"decision": "reject", "note": "buyer has it"}, staff(), ports, NOW)
    assert decline_code(ports.returns.get("RT-1")) == DELIVERED_DESPITE_INTERCEPT


# CalculateRefund.

def test_an_intercepted_parcel_back_is_refunded_its_item_only():
    ports = twins()
    intercepting(ports)
    ingested(ports, outbound_scan("returned_to_sender"), source="sf")
    assert quote_return("RT-1", ports) == {"outcome": "refund", "total_minor": L1_NET, "exchange": False}
    record = ports.returns.get("RT-1")
    assert [entry["code"] for entry in record.quote["entries"]] == ["item"]
    assert record.account_after["refunded_units"] == {"L1": 1}


def test_a_returnless_refund_is_the_item_of_the_requested_units():
    ports = twins()
    ports.policies.document = RETURNLESS_300
    an_order(ports)
    a_return(ports, **REFUND_ONLY)
    verify_return("RT-1", ports)
    assert quote_return("RT-1", ports)["total_minor"] == L1_NET


def test_a_refund_only_request_held_before_shipment_is_quoted_as_the_cancellation_it_is():
    # Every unit, so the unused outbound shipping is refunded too: all that was paid.
    ports = twins()
    an_order(ports, **unshipped())
    a_return(ports, **REFUND_ONLY, items=[{"line_id": "L1", "quantity": 1}, {"line_id": "L2", "quantity": 3}])
    verify_return("RT-1", ports)
    hold_shipment("RT-1", ports, NOW)
    ingested(ports, hold_answered(), source="warehouse")
    assert quote_return("RT-1", ports)["total_minor"] == PAID_TOTAL
    assert ports.returns.get("RT-1").status == ReturnStatus.QUOTED


def test_a_refund_only_request_found_shipped_at_the_hold_waits_for_its_parcel_back_like_an_interception():
    ports = twins()
    an_order(ports, **unshipped())
    a_return(ports, **REFUND_ONLY)
    verify_return("RT-1", ports)
    hold_shipment("RT-1", ports, NOW)
    ingested(ports, hold_answered(outcome="already_shipped"), source="warehouse")
    wait_for_event("RT-1", "parcel", "tok-parcel", ports, NOW)
    inspected(ports)
    assert ports.workflows.resumed[-1] == ("tok-parcel", {"decision": "refund", "because": "received"})
    assert quote_return("RT-1", ports)["total_minor"] == L1_NET  # no inspection counted: the requested unit
