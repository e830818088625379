"""The Notify step on the twins: the return closed with the outcome its execution's state says, out of every
queue, ReturnClosed published; for an exchange the replacement (and a dearer one's payment) asked for.

Each state is the one the ASL builds: each step's result under its ResultPath, got by running the steps on the
twins and taking what each parked task was resumed (or failed) with."""

from datetime import timedelta

from chalicelib.domain.ledger import PaymentStatus
from chalicelib.domain.returns import ReturnStatus
from chalicelib.services.dispatch_refund import dispatch_refund
from chalicelib.services.notify_outcome import notify_outcome
from chalicelib.services.quote_return import quote_return
from chalicelib.services.report_refund_failure import report_refund_failure
from chalicelib.services.review_return import review_return
from chalicelib.services.verify_return import verify_return
from chalicelib.services.wait_for_event import wait_for_event
from chalicelib.services.watch_parcels import watch_parcels
from tests.unit.services.given import (
    NOW,
    RETRY,
    a_return,
    an_order,
    delivered_on,
    ingested,
    inspected,
    staff,
    tracking_updated,
    twins,
)

CLOSED_AT = NOW + timedelta(hours=3)


def resumed_with(ports, token: str) -> dict:
    [output] = [output for resumed, output in ports.workflows.resumed if resumed == token]
    return output


def through_inspection(ports, accepted: list[dict] | None = None, shop: str | None = None, **request) -> dict:
    """An approved return whose parcel arrived and was inspected: the state up to CalculateRefund. With a shop, the
    ids are the shop's as the edge stores them ("shop/RT-1")."""
    return_id, order_id = (f"{shop}/RT-1", f"{shop}/TM-1001") if shop else ("RT-1", "TM-1001")
    an_order(ports, order_id, **({"customer_id": f"{shop}/C-1"} if shop else {}))
    a_return(ports, return_id, order_id, **request)
    state = {"return_id": return_id, "verification": verify_return(return_id, ports)}
    wait_for_event(return_id, "parcel", "tok-parcel", ports, NOW)
    ingested(ports, tracking_updated(return_id, status="delivered", tracking_number="SF-RT-1"), source="sf")
    state["parcel"] = resumed_with(ports, "tok-parcel")
    wait_for_event(return_id, "inspection", "tok-inspection", ports, NOW)
    inspected(ports, return_id, items=accepted)
    state["inspection"] = resumed_with(ports, "tok-inspection")
    return state


def refunded(ports, shop: str | None = None, **request) -> dict:
    """The state of an execution whose refund the provider confirmed."""
    state = through_inspection(ports, shop=shop, **request)
    state["refund"] = quote_return(state["return_id"], ports)
    state["dispatch"] = dispatch_refund(state["return_id"], ports, NOW, RETRY)
    return state


def test_a_refunded_return_is_closed_as_refunded_and_announced():
    # Given an execution whose refund of 275.94 was confirmed
    ports = twins()
    state = refunded(ports)
    # When Notify runs
    result = notify_outcome("RT-1", state, ports, CLOSED_AT)
    # Then the return is closed as refunded, waiting for nothing
    assert result == {"outcome": ReturnStatus.REFUNDED}
    record = ports.returns.get("RT-1")
    assert (record.status, record.closed_at, record.waiting_for) == (ReturnStatus.REFUNDED, "2026-11-22T11:00:00Z", None)
    # And ReturnClosed says so, with the decision and the refund
    assert ports.bus.of("ReturnClosed") == [{
        "return_id": "RT-1", "order_id": "TM-1001", "marketplace": "tmall", "outcome": "refunded",
        "decision_code": "APPROVED", "refund_id": "RF-RT-1", "expiry_reason": None, "closed_at": "2026-11-22T11:00:00Z",
    }]


def test_a_return_rejected_by_verification_is_closed_as_rejected():
    # Given a return out of its window: the execution went from Verify to Notify
    ports = twins()
    an_order(ports, **delivered_on("2026-11-10T09:00:00Z"))
    a_return(ports)
    state = {"return_id": "RT-1", "verification": verify_return("RT-1", ports)}
    # When Notify runs
    notify_outcome("RT-1", state, ports, CLOSED_AT)
    # Then it is closed as rejected, with its rule and no refund
    assert ports.returns.get("RT-1").status == ReturnStatus.REJECTED
    [closed] = ports.bus.of("ReturnClosed")
    assert (closed["outcome"], closed["decision_code"], closed["refund_id"]) == ("rejected", "WINDOW_EXPIRED", None)


def test_a_return_whose_inspection_accepted_nothing_is_closed_as_rejected_at_inspection():
    # Given an execution whose quote found nothing accepted (RefundDue went to Notify)
    ports = twins()
    state = through_inspection(ports, accepted=[{"line_id": "L1", "accepted": 0}])
    state["refund"] = quote_return("RT-1", ports)
    # When Notify runs
    notify_outcome("RT-1", state, ports, CLOSED_AT)
    # Then the outcome is the quote's
    assert ports.returns.get("RT-1").status == ReturnStatus.REJECTED_AT_INSPECTION
    assert ports.bus.of("ReturnClosed")[0]["outcome"] == "rejected_at_inspection"


def test_a_return_whose_parcel_never_showed_up_is_closed_as_expired_with_the_reason():
    # Given an approved return with no tracking, failed by the parcel watch after the policy's 7 days
    ports = twins()
    an_order(ports)
    a_return(ports)
    state = {"return_id": "RT-1", "verification": verify_return("RT-1", ports)}
    wait_for_event("RT-1", "parcel", "tok-parcel", ports, NOW)
    watch_parcels(ports, NOW + timedelta(days=8))
    [(_, error, cause)] = ports.workflows.failed
    state["expired"] = {"Error": error, "Cause": cause}
    # When Notify runs
    notify_outcome("RT-1", state, ports, CLOSED_AT)
    # Then it is closed as expired, and ReturnClosed says why
    assert ports.returns.get("RT-1").status == ReturnStatus.EXPIRED
    [closed] = ports.bus.of("ReturnClosed")
    assert (closed["outcome"], closed["expiry_reason"]) == ("expired", "no tracking by 2026-11-29T08:00:00Z")


def test_a_parcel_wait_that_timed_out_leaves_the_parcel_watch():
    # Given an approved return watched for its tracking, whose parcel wait timed out first
    ports = twins()
    an_order(ports)
    a_return(ports)
    state = {"return_id": "RT-1", "verification": verify_return("RT-1", ports)}
    wait_for_event("RT-1", "parcel", "tok-parcel", ports, NOW)
    assert ports.returns.get("RT-1").parcel_watch == "waiting"
    ports.workflows.time_out("tok-parcel")
    state["expired"] = {"Error": "States.Timeout", "Cause": ""}
    # When Notify runs
    notify_outcome("RT-1", state, ports, CLOSED_AT)
    # Then the closed return is no longer watched
    record = ports.returns.get("RT-1")
    assert (record.status, record.parcel_watch) == (ReturnStatus.EXPIRED, None)
    assert ports.returns.parcels_overdue("2027-01-01T00:00:00Z") == []


def test_a_review_that_timed_out_closes_the_return_as_expired_and_out_of_its_queue():
    # Given a quality claim waiting for evidence in the product_quality queue, whose review wait timed out
    ports = twins()
    an_order(ports)
    a_return(ports, reason="quality_issue")
    state = {"return_id": "RT-1", "verification": verify_return("RT-1", ports)}
    wait_for_event("RT-1", "review", "tok-review", ports, NOW)
    assert ports.returns.get("RT-1").review_queue == "product_quality"
    ports.workflows.time_out("tok-review")
    state["expired"] = {"Error": "States.Timeout", "Cause": ""}
    # When Notify runs
    notify_outcome("RT-1", state, ports, CLOSED_AT)
    # Then it is closed as expired and no reviewer sees it any more
    record = ports.returns.get("RT-1")
    assert (record.status, record.review_queue, record.waiting_for) == (ReturnStatus.EXPIRED, None, None)
    assert ports.returns.waiting_for_review("product_quality", 10, None) == ([], None)


def exchanged(ports, unit_price: str, shop: str | None = None) -> dict:
    """The state of an exchange of L1 (worth 275.94) for a replacement at `unit_price`."""
    replacement = {"sku": "SHOE-43", "unit_price": unit_price, "quantity": 1}
    state = through_inspection(ports, shop=shop, resolution="exchange", replacement=replacement)
    state["refund"] = quote_return(state["return_id"], ports)
    if state["refund"]["outcome"] == "refund":
        state["dispatch"] = dispatch_refund(state["return_id"], ports, NOW, RETRY)
    return state


def test_an_exchange_for_a_cheaper_replacement_is_closed_as_exchanged_and_the_replacement_asked_for():
    # Given an exchange for a 250.00 replacement, the 25.94 difference refunded
    ports = twins()
    state = exchanged(ports, "250.00")
    # When Notify runs
    notify_outcome("RT-1", state, ports, CLOSED_AT)
    # Then it is closed as exchanged, the warehouse asked to ship the replacement, nothing asked of the buyer
    assert ports.returns.get("RT-1").status == ReturnStatus.EXCHANGED
    assert ports.bus.of("ReplacementShipmentRequested") == [{
        "return_id": "RT-1", "order_id": "TM-1001", "marketplace": "tmall",
        "sku": "SHOE-43", "unit_price": "250.00", "quantity": 1,
    }]
    assert ports.bus.of("PaymentRequested") == []
    assert ports.bus.of("ReturnClosed")[0]["outcome"] == "exchanged"


def test_an_exchange_for_a_dearer_replacement_asks_the_buyer_for_the_difference():
    # Given an exchange for a 320.00 replacement: nothing refunded (RefundDue went to Notify)
    ports = twins()
    state = exchanged(ports, "320.00")
    assert "dispatch" not in state
    # When Notify runs
    notify_outcome("RT-1", state, ports, CLOSED_AT)
    # Then the replacement is asked for, and the buyer for 320.00 - 275.94 = 44.06
    assert ports.returns.get("RT-1").status == ReturnStatus.EXCHANGED
    assert len(ports.bus.of("ReplacementShipmentRequested")) == 1
    assert ports.bus.of("PaymentRequested") == [{
        "return_id": "RT-1", "order_id": "TM-1001", "marketplace": "tmall", "currency": "CNY",
        "amount": "44.06", "amount_minor": 4406, "reason": "dearer exchange replacement",
    }]


def test_a_refund_finance_wrote_off_is_closed_as_written_off_in_the_ledger_too():
    # Given a refund the provider declined for a whole round, reported, and written off by finance
    ports = twins()
    state = through_inspection(ports)
    state["refund"] = quote_return("RT-1", ports)
    ports.payments.decline = ("account_closed", "the buyer's account was closed")
    for _ in range(len(RETRY) + 1):
        state["dispatch"] = dispatch_refund("RT-1", ports, NOW, RETRY)
    state["refund_failed"] = report_refund_failure("RT-1", state["dispatch"], ports, NOW)
    wait_for_event("RT-1", "finance_review", "tok-finance", ports, NOW)
    review_return("RT-1", {"decision": "write_off", "note": "paid by bank transfer"}, staff("finance", key_id="fin-1"),
                  ports, NOW)
    state["finance_review"] = resumed_with(ports, "tok-finance")
    # When Notify runs
    notify_outcome("RT-1", state, ports, CLOSED_AT)
    # Then the return is closed as written off and so is its ledger record, at the same time
    assert ports.returns.get("RT-1").status == ReturnStatus.REFUND_WRITTEN_OFF
    record = ports.ledger.get("RF-RT-1")
    assert (record.payment_status, record.written_off_at) == (PaymentStatus.WRITTEN_OFF, "2026-11-22T11:00:00Z")
    [closed] = ports.bus.of("ReturnClosed")
    assert (closed["outcome"], closed["refund_id"]) == ("refund_written_off", "RF-RT-1")


def test_a_refunded_return_leaves_its_ledger_record_confirmed():
    # Given a confirmed refund
    ports = twins()
    state = refunded(ports)
    # When Notify runs
    notify_outcome("RT-1", state, ports, CLOSED_AT)
    # Then the ledger record is not touched
    record = ports.ledger.get("RF-RT-1")
    assert (record.payment_status, record.written_off_at) == (PaymentStatus.CONFIRMED, None)


# Tenants: what goes out on the bus names the shop's own ids and the shop.

def test_return_closed_of_a_shops_return_names_its_own_ids_and_the_shop():
    # Given tmall's RT-1 (behind the edge "tmall/RT-1") refunded
    ports = twins()
    state = refunded(ports, shop="tmall")
    # When Notify runs
    notify_outcome("tmall/RT-1", state, ports, CLOSED_AT)
    # Then ReturnClosed says RT-1 of tmall, and its refund by the ledger's key
    assert ports.bus.of("ReturnClosed") == [{
        "return_id": "RT-1", "order_id": "TM-1001", "shop": "tmall", "marketplace": "tmall", "outcome": "refunded",
        "decision_code": "APPROVED", "refund_id": "RF-tmall.RT-1", "expiry_reason": None,
        "closed_at": "2026-11-22T11:00:00Z",
    }]
    assert ports.returns.get("tmall/RT-1").status == ReturnStatus.REFUNDED


def test_a_shops_exchange_asks_for_the_replacement_and_the_payment_with_its_own_ids_and_the_shop():
    # Given tmall's exchange for a dearer replacement
    ports = twins()
    state = exchanged(ports, "320.00", shop="tmall")
    # When Notify runs
    notify_outcome("tmall/RT-1", state, ports, CLOSED_AT)
    # Then every event names RT-1 and TM-1001 of tmall
    assert ports.bus.of("ReplacementShipmentRequested") == [{
        "return_id": "RT-1", "order_id": "TM-1001", "shop": "tmall", "marketplace": "tmall",
        "sku": "SHOE-43", "unit_price": "320.00", "quantity": 1,
    }]
    assert ports.bus.of("PaymentRequested") == [{
        "return_id": "RT-1", "order_id": "TM-1001", "shop": "tmall", "marketplace": "tmall", "currency": "CNY",
        "amount": "44.06", "amount_minor": 4406, "reason": "dearer exchange replacement",
    }]
    [closed] = ports.bus.of("ReturnClosed")
    assert (closed["return_id"], closed["shop"], closed["outcome"]) == ("RT-1", "tmall", "exchanged")


def test_events_of_ids_no_shop_qualifies_name_no_shop():
    ports = twins()
    state = exchanged(ports, "320.00")

    notify_outcome("RT-1", state, ports, CLOSED_AT)

    for kind in ("ReturnClosed", "ReplacementShipmentRequested", "PaymentRequested"):
        [told] = ports.bus.of(kind)
        assert "shop" not in told and (told["return_id"], told["order_id"]) == ("RT-1", "TM-1001")
