"""The DispatchRefund and RefundFailed steps on the twins: one finance record per return, paid once under its
idempotency key; rounds of attempts on the schedule given; a stale quote refused; finance told of a failed round."""

from datetime import timedelta

import pytest

from chalicelib.adapters.memory import MemoryPayments
from chalicelib.domain.ledger import PaymentStatus
from chalicelib.domain.returns import ReturnStatus
from chalicelib.ports.errors import Forbidden, PaymentNotConfirmed, StaleQuote
from chalicelib.services.dispatch_refund import dispatch_refund
from chalicelib.services.quote_return import quote_return
from chalicelib.services.report_refund_failure import report_refund_failure
from chalicelib.services.review_return import review_return
from chalicelib.services.wait_for_event import wait_for_event
from tests.unit.services.given import L1_NET, NOW, RETRY, an_order, quoted, seller_fault, staff, twins

FROZEN = ("account_frozen", "the buyer's account is frozen")
LATER = NOW + timedelta(minutes=5)
FINANCE = staff("finance", key_id="fin-1")


class LostAnswers(MemoryPayments):
    """A provider whose answers are lost the first `lose` times: the refund is made, the caller hears nothing."""

    def __init__(self, lose: int) -> None:
        super().__init__()
        self.lose = lose

    def refund(self, payment_ref: str, currency: str, amount: str, idempotency_key: str) -> dict:
        answer = super().refund(payment_ref, currency, amount, idempotency_key)
        if self.lose:
            self.lose -= 1
            raise PaymentNotConfirmed("read timeout after 5 s")
        return answer


def a_quoted_return(ports, **order) -> None:
    """The order and a buyer-fault return of L1, inspected and quoted at 275.94 (L1's net line)."""
    an_order(ports, **order)
    quoted(ports)


def declined_round(ports) -> list[dict]:
    ports.payments.decline = FROZEN
    return [dispatch_refund("RT-1", ports, NOW, RETRY) for _ in range(len(RETRY) + 1)]


def test_a_dispatch_writes_the_quote_to_the_ledger_pays_it_and_publishes_the_finance_record():
    # Given a return quoted at 275.94
    ports = twins()
    a_quoted_return(ports)
    quote = ports.returns.get("RT-1").quote
    # When dispatched
    result = dispatch_refund("RT-1", ports, NOW, RETRY)
    # Then the provider confirmed it at the first attempt
    assert result == {
        "refund_id": "RF-RT-1", "total": "275.94", "payment": "confirmed", "attempts": 1, "retry_in_seconds": 0,
        "error": None,
    }
    # And the ledger holds the quote as its finance record, confirmed
    record = ports.ledger.get("RF-RT-1")
    assert (record.total, record.total_minor, record.entries, record.currency) == (
        quote["total"], quote["total_minor"], quote["entries"], "CNY",
    )
    assert (record.policy_version, record.issued_at, record.idempotency_key) == (
        "default-2026-11", "2026-11-22T08:00:00Z", "RF-RT-1",
    )
    assert (record.payment_status, record.provider_refund_id) == (PaymentStatus.CONFIRMED, "PR-1")
    # And RefundIssued carries that record
    assert ports.bus.of("RefundIssued") == [record.finance_record()]
    # And the return names its refund
    stored = ports.returns.get("RT-1")
    assert (stored.refund_id, stored.status) == ("RF-RT-1", ReturnStatus.REFUND_ISSUED)


def test_a_dispatch_moves_the_orders_refund_account_to_what_the_quote_said():
    # Given a return quoted at 275.94 for L1
    ports = twins()
    a_quoted_return(ports)
    # When dispatched
    dispatch_refund("RT-1", ports, NOW, RETRY)
    # Then the order's account is the one kept with the quote, at the next version
    order = ports.orders.get("TM-1001")
    assert order.account.as_fields() == ports.returns.get("RT-1").account_after
    assert (order.account.refunded_total, order.refund_version) == (L1_NET, 1)


def test_dispatching_twice_writes_one_record_pays_once_and_publishes_once():
    # Given a return dispatched once
    ports = twins()
    a_quoted_return(ports)
    first = dispatch_refund("RT-1", ports, NOW, RETRY)
    # When dispatched again (a retried Lambda, a redelivered step)
    again = dispatch_refund("RT-1", ports, LATER, RETRY)
    # Then the answer is the same, the provider was asked once, and RefundIssued went out once
    assert again == first
    assert list(ports.ledger.items) == ["RF-RT-1"]
    assert ports.payments.requests == ["RF-RT-1"]
    assert len(ports.payments.refunds) == 1
    assert len(ports.bus.of("RefundIssued")) == 1
    assert ports.orders.get("TM-1001").refund_version == 1


def test_a_declined_payment_is_retried_with_the_waits_given_then_fails_the_round():
    # Given a provider declining every refund
    ports = twins()
    a_quoted_return(ports)
    # When a whole round of attempts is dispatched
    results = declined_round(ports)
    # Then the first two attempts wait 60 s and 300 s, the third ends the round
    assert [(r["payment"], r["attempts"], r["retry_in_seconds"]) for r in results] == [
        ("retry", 1, 60), ("retry", 2, 300), ("failed", 3, 0),
    ]
    assert results[-1]["error"] == {"type": "PaymentDeclined", "message": "account_frozen: the buyer's account is frozen"}
    # And the record says why; nothing was paid or announced
    record = ports.ledger.get("RF-RT-1")
    assert record.payment_status == PaymentStatus.FAILED
    assert record.payment_error == {"code": "account_frozen", "message": "the buyer's account is frozen",
                                    "at": "2026-11-22T08:00:00Z"}
    assert ports.payments.refunds == {}
    assert ports.bus.of("RefundIssued") == []
    assert ports.returns.get("RT-1").status == ReturnStatus.REFUND_PENDING


def test_a_dispatch_after_a_decline_pays_with_the_same_idempotency_key():
    # Given a first attempt declined
    ports = twins()
    a_quoted_return(ports)
    ports.payments.decline = FROZEN
    assert dispatch_refund("RT-1", ports, NOW, RETRY)["payment"] == "retry"
    # When the provider accepts the next attempt
    ports.payments.decline = None
    result = dispatch_refund("RT-1", ports, LATER, RETRY)
    # Then the refund is made once, under the same key, and announced once
    assert (result["payment"], result["attempts"]) == ("confirmed", 2)
    assert ports.payments.requests == ["RF-RT-1", "RF-RT-1"]
    assert [refund["idempotency_key"] for refund in ports.payments.refunds.values()] == ["RF-RT-1"]
    assert len(ports.bus.of("RefundIssued")) == 1
    assert ports.ledger.get("RF-RT-1").payment_attempts == 2


def test_a_lost_answer_is_retried_and_the_refund_the_provider_made_is_confirmed_not_made_again():
    # Given a provider that makes the refund but whose first answer is lost
    ports = twins(payments=LostAnswers(lose=1))
    a_quoted_return(ports)
    # When dispatched: not confirmed
    first = dispatch_refund("RT-1", ports, NOW, RETRY)
    assert (first["payment"], first["retry_in_seconds"], first["error"]["type"]) == ("retry", 60, "PaymentNotConfirmed")
    assert ports.ledger.get("RF-RT-1").payment_status == PaymentStatus.SENT  # it may have paid
    assert ports.bus.of("RefundIssued") == []
    # And dispatched again
    second = dispatch_refund("RT-1", ports, LATER, RETRY)
    # Then the provider's one refund is confirmed
    assert second["payment"] == "confirmed"
    assert len(ports.payments.refunds) == 1
    assert ports.bus.of("RefundIssued")[0]["provider_refund_id"] == "PR-1"


def test_a_quote_made_before_another_refund_on_the_order_is_refused_as_stale():
    # Given two returns of one order quoted against the same account (version 0)
    ports = twins()
    an_order(ports)
    quoted(ports, "RT-1")
    quoted(ports, "RT-2", items=[{"line_id": "L2", "quantity": 3}], **seller_fault())
    # And the first refunded (the account moves to version 1)
    dispatch_refund("RT-1", ports, NOW, RETRY)
    # When the second is dispatched
    with pytest.raises(StaleQuote):
        dispatch_refund("RT-2", ports, NOW, RETRY)
    # Then nothing of it is written or paid; the account is the first refund's
    assert ports.ledger.get("RF-RT-2") is None
    assert ports.payments.requests == ["RF-RT-1"]
    order = ports.orders.get("TM-1001")
    assert (order.account.refunded_total, order.refund_version) == (L1_NET, 1)


def test_a_stale_quote_quoted_again_is_dispatched_with_what_the_order_now_allows():
    # Given a return refused as stale after another return of its order was refunded (what the ASL's Catch does next)
    ports = twins()
    an_order(ports)
    quoted(ports, "RT-1")
    quoted(ports, "RT-2", items=[{"line_id": "L2", "quantity": 3}], **seller_fault())
    dispatch_refund("RT-1", ports, NOW, RETRY)
    with pytest.raises(StaleQuote):
        dispatch_refund("RT-2", ports, NOW, RETRY)
    # When quoted again and dispatched
    quote_return("RT-2", ports)
    result = dispatch_refund("RT-2", ports, NOW, RETRY)
    # Then L2's 83.06 now comes with the 12.00 shipping (every unit back, seller fault): 95.06
    assert (result["payment"], result["total"]) == ("confirmed", "95.06")
    order = ports.orders.get("TM-1001")
    # 275.94 + 95.06 = 371.00, everything paid
    assert (order.account.refunded_total, order.account.shipping_refunded, order.refund_version) == (37100, True, 2)


@pytest.mark.parametrize("payment_ref, expected", [("ALIPAY-2026112200077", "ALIPAY-2026112200077"), (None, "TM-1001")])
def test_the_refund_is_paid_against_the_orders_payment_reference(payment_ref, expected):
    # Given an order whose source named its payment (or did not)
    ports = twins()
    a_quoted_return(ports, **({"payment_ref": payment_ref} if payment_ref else {}))
    # When dispatched
    dispatch_refund("RT-1", ports, NOW, RETRY)
    # Then the provider is asked to refund that payment (the order id when none was named)
    [refund] = ports.payments.refunds.values()
    assert (refund["payment_ref"], refund["currency"], refund["amount"]) == (expected, "CNY", "275.94")
    assert ports.ledger.get("RF-RT-1").payment_ref == expected


def test_a_failed_round_goes_to_finance_with_its_error_and_resets_the_round():
    # Given a round of declined attempts
    ports = twins()
    a_quoted_return(ports)
    last = declined_round(ports)[-1]
    # When the RefundFailed step runs with the last result
    result = report_refund_failure("RT-1", last, ports, LATER)
    # Then finance's queue is named, and the ledger record's round starts again (its attempts in all kept)
    assert result == {"queue": "finance", "refund_id": "RF-RT-1", "payment_status": PaymentStatus.FAILED}
    record = ports.ledger.get("RF-RT-1")
    assert (record.round_attempts, record.payment_attempts) == (0, 3)
    # And the return says what failed
    stored = ports.returns.get("RT-1")
    assert stored.status == ReturnStatus.REFUND_FAILED
    assert stored.failure == {
        "step": "DispatchRefund", "error": "PaymentDeclined", "cause": "account_frozen: the buyer's account is frozen",
        "at": "2026-11-22T08:05:00Z",
    }


def test_a_failed_round_publishes_refund_failed_with_the_providers_error():
    # Given a round of declined attempts
    ports = twins()
    a_quoted_return(ports)
    last = declined_round(ports)[-1]
    # When reported
    report_refund_failure("RT-1", last, ports, LATER)
    # Then RefundFailed carries the finance record, the attempts and the provider's reason
    [told] = ports.bus.of("RefundFailed")
    record = ports.ledger.get("RF-RT-1")
    assert told == {
        **record.finance_record(), "payment_attempts": 3,
        "payment_error": {"code": "account_frozen", "message": "the buyer's account is frozen", "at": "2026-11-22T08:00:00Z"},
    }
    assert told["payment_status"] == PaymentStatus.FAILED


def test_a_round_the_provider_never_answered_is_reported_as_not_confirmed():
    # Given a round in which every answer was lost
    ports = twins(payments=LostAnswers(lose=3))
    a_quoted_return(ports)
    last = [dispatch_refund("RT-1", ports, NOW, RETRY) for _ in range(3)][-1]
    assert last["payment"] == "failed"
    # When reported
    report_refund_failure("RT-1", last, ports, LATER)
    # Then RefundFailed says it was not confirmed, with the client's error as the message
    [told] = ports.bus.of("RefundFailed")
    assert told["payment_error"] == {"code": "not_confirmed", "message": "read timeout after 5 s"}
    assert told["payment_status"] == PaymentStatus.SENT


def test_after_a_reported_round_the_next_dispatch_starts_a_new_round():
    # Given a failed round reported to finance, and finance asking for another round
    ports = twins()
    a_quoted_return(ports)
    report_refund_failure("RT-1", declined_round(ports)[-1], ports, LATER)
    # When the provider declines again
    result = dispatch_refund("RT-1", ports, LATER, RETRY)
    # Then it is the first attempt of a new round, with the first wait
    assert (result["payment"], result["attempts"], result["retry_in_seconds"]) == ("retry", 1, 60)
    assert ports.ledger.get("RF-RT-1").payment_attempts == 4


def test_a_second_failed_round_waits_for_a_new_finance_decision():
    # Given finance retried a failed round (its decision kept on the return)
    ports = twins()
    a_quoted_return(ports)
    report_refund_failure("RT-1", declined_round(ports)[-1], ports, LATER)
    wait_for_event("RT-1", "finance_review", "tok-finance-1", ports, LATER)
    review_return("RT-1", {"decision": "retry", "note": "card unfrozen, try again"}, FINANCE, ports, LATER)
    # When the second round fails too and is reported
    report_refund_failure("RT-1", declined_round(ports)[-1], ports, LATER)
    # Then the earlier decision is gone: the next wait is not resumed by it
    assert ports.returns.get("RT-1").finance_review is None
    waited = wait_for_event("RT-1", "finance_review", "tok-finance-2", ports, LATER)
    assert waited["resumed"] is False
    assert [token for token, _ in ports.workflows.resumed] == ["tok-finance-1"]


def test_a_failed_round_waits_for_finance_not_for_after_sales():
    # Given a failed round reported to finance
    ports = twins()
    a_quoted_return(ports)
    report_refund_failure("RT-1", declined_round(ports)[-1], ports, LATER)
    wait_for_event("RT-1", "finance_review", "tok-finance-1", ports, LATER)
    # When an after-sales key asks for another round
    with pytest.raises(Forbidden) as refused:
        review_return("RT-1", {"decision": "retry", "note": "try again"}, staff("after_sales"), ports, LATER)
    # Then it is refused for its role, and the round still waits for finance
    assert refused.value.code == "role_required"
    assert ports.returns.get("RT-1").finance_review is None and ports.workflows.resumed == []


# Tenants: behind the edge the return is "shop/own id".

def a_shops_quoted_return(ports, shop: str = "tmall", **order) -> None:
    an_order(ports, f"{shop}/TM-1001", customer_id=f"{shop}/C-1", **order)
    quoted(ports, f"{shop}/RT-1", f"{shop}/TM-1001")


def test_a_shops_refund_is_keyed_by_the_shop_and_its_own_return_id():
    # Given tmall's RT-1 quoted
    ports = twins()
    a_shops_quoted_return(ports)
    # When dispatched
    result = dispatch_refund("tmall/RT-1", ports, NOW, RETRY)
    # Then the refund is "RF-tmall.RT-1" (no "/" in a key), the ledger's and the provider's idempotency key
    assert (result["refund_id"], result["payment"]) == ("RF-tmall.RT-1", "confirmed")
    assert list(ports.ledger.items) == ["RF-tmall.RT-1"]
    assert ports.payments.requests == ["RF-tmall.RT-1"]
    assert ports.returns.get("tmall/RT-1").refund_id == "RF-tmall.RT-1"


def test_two_shops_returns_of_the_same_id_are_two_refunds():
    ports = twins()
    a_shops_quoted_return(ports, "tmall")
    a_shops_quoted_return(ports, "jd")

    dispatch_refund("tmall/RT-1", ports, NOW, RETRY)
    dispatch_refund("jd/RT-1", ports, NOW, RETRY)

    assert sorted(ports.ledger.items) == ["RF-jd.RT-1", "RF-tmall.RT-1"]
    assert len(ports.payments.refunds) == 2


def test_the_provider_is_asked_to_refund_the_payment_as_the_shop_knows_it():
    # Given a shop's order whose source named no payment reference
    ports = twins()
    a_shops_quoted_return(ports)
    # When dispatched
    dispatch_refund("tmall/RT-1", ports, NOW, RETRY)
    # Then the provider is asked about the shop's own order id
    [refund] = ports.payments.refunds.values()
    assert refund["payment_ref"] == "TM-1001"
    assert ports.ledger.get("RF-tmall.RT-1").payment_ref == "TM-1001"


def test_a_shops_payment_reference_is_used_as_the_shop_gave_it():
    ports = twins()
    a_shops_quoted_return(ports, payment_ref="PAY-77")

    dispatch_refund("tmall/RT-1", ports, NOW, RETRY)

    assert [refund["payment_ref"] for refund in ports.payments.refunds.values()] == ["PAY-77"]


def test_refund_issued_names_the_shops_own_ids_and_the_shop():
    ports = twins()
    a_shops_quoted_return(ports)

    dispatch_refund("tmall/RT-1", ports, NOW, RETRY)

    [told] = ports.bus.of("RefundIssued")
    assert told == ports.ledger.get("RF-tmall.RT-1").finance_record()
    assert (told["refund_id"], told["return_id"], told["order_id"], told["customer_id"], told["shop"]) == (
        "RF-tmall.RT-1", "RT-1", "TM-1001", "C-1", "tmall"
    )


def test_refund_issued_of_ids_no_shop_qualifies_names_no_shop():
    ports = twins()
    a_quoted_return(ports)

    dispatch_refund("RT-1", ports, NOW, RETRY)

    [told] = ports.bus.of("RefundIssued")
    assert (told["return_id"], told["order_id"], told["shop"]) == ("RT-1", "TM-1001", None)


def test_refund_failed_names_the_shops_own_ids_and_the_shop():
    ports = twins()
    a_shops_quoted_return(ports)
    ports.payments.decline = FROZEN
    last = [dispatch_refund("tmall/RT-1", ports, NOW, RETRY) for _ in range(len(RETRY) + 1)][-1]

    report_refund_failure("tmall/RT-1", last, ports, LATER)

    [told] = ports.bus.of("RefundFailed")
    assert (told["refund_id"], told["return_id"], told["order_id"], told["shop"]) == (
        "RF-tmall.RT-1", "RT-1", "TM-1001", "tmall"
    )
