"""Ledger: a refund record written once, with its order's refund account, in one conditional write."""

import random

import pytest

from chalicelib.domain.ledger import PaymentStatus
from chalicelib.domain.orders import RefundAccount
from chalicelib.ports.errors import StaleQuote
from tests.contract.records import a_ledger_record, account_after, an_order, at


@pytest.fixture
def order(orders):
    """The order the refunds are on, as the consumer stored it (no refund yet: version 0)."""
    orders.upsert(an_order("TM-1001"), at(1, 10))
    return "TM-1001"


def test_an_unknown_refund_is_none(ledger):
    assert ledger.get("RF-NONE") is None


def test_issue_writes_the_record_and_moves_the_order_account(ledger, orders, order):
    record = a_ledger_record()

    assert ledger.issue(record, account_after(1250), expected_version=0) is True

    assert ledger.get("RF-RT-1") == record
    stored = orders.get(order)
    assert stored.account == RefundAccount(refunded_total=1250, refunded_units={"L1": 1}, shipping_refunded=False)
    assert stored.refund_version == 1
    assert stored.customer_id == "C-1"  # the order itself is untouched


def test_issue_from_the_current_version_moves_the_account_again(ledger, orders, order):
    ledger.issue(a_ledger_record("RT-1"), account_after(1250), 0)

    assert ledger.issue(a_ledger_record("RT-2"), account_after(2500, {"L1": 2}, shipping=True), 1) is True

    stored = orders.get(order)
    assert stored.account == RefundAccount(refunded_total=2500, refunded_units={"L1": 2}, shipping_refunded=True)
    assert stored.refund_version == 2


def test_a_second_issue_of_the_same_refund_is_refused_and_moves_nothing(ledger, orders, order):
    # Given the refund issued once
    ledger.issue(a_ledger_record(), account_after(1250), 0)

    # When it is issued again (from the account's current version, so only the refund id can refuse it)
    again = ledger.issue(a_ledger_record(total="99.00", total_minor=9900), account_after(2500, {"L1": 2}), 1)

    # Then it is refused: the first record stays, the account moved once
    assert again is False
    assert ledger.get("RF-RT-1") == a_ledger_record()
    assert (orders.get(order).account.refunded_total, orders.get(order).refund_version) == (1250, 1)


def test_a_second_issue_from_a_stale_version_is_still_a_duplicate(ledger, orders, order):
    ledger.issue(a_ledger_record(), account_after(1250), 0)

    assert ledger.issue(a_ledger_record(), account_after(1250), 0) is False

    assert orders.get(order).refund_version == 1


def test_a_stale_quote_raises_and_writes_nothing(ledger, orders, order):
    # Given someone refunded on the order since the quote (version 0) was made
    ledger.issue(a_ledger_record("RT-1"), account_after(1250), 0)

    with pytest.raises(StaleQuote):
        ledger.issue(a_ledger_record("RT-2"), account_after(2500, {"L1": 2}), expected_version=0)

    assert ledger.get("RF-RT-2") is None
    assert orders.get(order).account == account_after(1250)
    assert orders.get(order).refund_version == 1


def test_a_quote_ahead_of_the_account_is_stale_too(ledger, orders, order):
    with pytest.raises(StaleQuote):
        ledger.issue(a_ledger_record(), account_after(1250), expected_version=3)

    assert ledger.get("RF-RT-1") is None
    assert orders.get(order).refund_version == 0


def test_issue_on_an_order_never_stored(ledger):
    """ADAPTER BEHAVIOUR (reported, possibly a gap of the adapter): the account update's condition
    `(attribute_not_exists(refund_version) AND :expected = 0) OR ...` holds on a missing order item, so a refund
    quoted at version 0 on an order the table does not hold is issued, and creates an order item that holds only
    the refund account. Any other version is stale."""
    with pytest.raises(StaleQuote):
        ledger.issue(a_ledger_record("RT-2", order_id="TM-NONE"), account_after(1250), expected_version=1)
    assert ledger.get("RF-RT-2") is None

    assert ledger.issue(a_ledger_record("RT-1", order_id="TM-NONE"), account_after(1250), expected_version=0) is True
    assert ledger.get("RF-RT-1") == a_ledger_record("RT-1", order_id="TM-NONE")


# update_payment


def test_update_payment_with_an_attempt_counts_it_in_both_counters(ledger, order):
    ledger.issue(a_ledger_record(), account_after(), 0)

    first = ledger.update_payment("RF-RT-1", {"payment_status": PaymentStatus.SENT, "sent_at": at(21, 9)}, True)
    second = ledger.update_payment("RF-RT-1", {"payment_status": PaymentStatus.SENT, "sent_at": at(21, 10)}, True)
    failed = ledger.update_payment("RF-RT-1", {"payment_status": PaymentStatus.FAILED,
                                               "payment_error": {"code": "card_expired", "message": "expired"}})

    assert (first.payment_attempts, first.round_attempts, first.sent_at) == (1, 1, at(21, 9))
    assert (second.payment_attempts, second.round_attempts, second.sent_at) == (2, 2, at(21, 10))
    assert (failed.payment_attempts, failed.round_attempts) == (2, 2)  # no attempt: not counted
    assert failed.payment_status == PaymentStatus.FAILED and isinstance(failed.payment_status, PaymentStatus)
    assert ledger.get("RF-RT-1") == failed


def test_update_payment_starts_a_new_round(ledger, order):
    ledger.issue(a_ledger_record(), account_after(), 0)
    ledger.update_payment("RF-RT-1", {"payment_status": "sent"}, attempt=True)

    record = ledger.update_payment("RF-RT-1", {"round_attempts": 0, "payment_status": "pending"})
    again = ledger.update_payment("RF-RT-1", {"payment_status": "sent"}, attempt=True)

    assert (record.payment_attempts, record.round_attempts) == (1, 0)
    assert (again.payment_attempts, again.round_attempts) == (2, 1)


def test_a_confirmed_payment_is_final(ledger, order):
    ledger.issue(a_ledger_record(), account_after(), 0)
    confirmed = ledger.update_payment("RF-RT-1", {
        "payment_status": PaymentStatus.CONFIRMED, "provider_refund_id": "PR-1", "confirmed_at": at(21, 9),
    }, attempt=True)

    # A late answer of an earlier attempt
    late = ledger.update_payment("RF-RT-1", {"payment_status": PaymentStatus.FAILED, "confirmed_at": None}, True)

    assert confirmed.confirmed
    assert late is None
    assert ledger.get("RF-RT-1") == confirmed


def test_update_payment_of_an_unknown_refund_is_none_and_writes_nothing(ledger):
    assert ledger.update_payment("RF-NONE", {"payment_status": "sent"}, attempt=True) is None

    assert ledger.get("RF-NONE") is None


def test_update_payment_of_a_field_a_record_does_not_have_raises(ledger, order):
    ledger.issue(a_ledger_record(), account_after(), 0)

    with pytest.raises(ValueError):
        ledger.update_payment("RF-RT-1", {"status": "sent"})

    assert ledger.get("RF-RT-1") == a_ledger_record()


def test_mark_published(ledger, order):
    ledger.issue(a_ledger_record(), account_after(), 0)

    ledger.mark_published("RF-RT-1", at(21, 9))

    assert ledger.get("RF-RT-1").published_at == at(21, 9)


# issued_on


def test_issued_on_is_the_day_within_inclusive_bounds_oldest_first(side, ledger):
    side.ports.orders.upsert(an_order("TM-1001"), at(1))
    times = {"RT-SINCE": at(21, 8), "RT-UNTIL": at(21, 18), "RT-MID": at(21, 12), "RT-EARLY": at(21, 7, 59),
             "RT-LATE": at(21, 18, 1), "RT-NEXT-DAY": at(22, 9)}
    for version, (return_id, issued_at) in enumerate(times.items()):
        ledger.issue(a_ledger_record(return_id, issued_at=issued_at), account_after(1250 * (version + 1)), version)

    records, position = ledger.issued_on("2026-11-21", at(21, 8), at(21, 18), 10, None)

    assert [record.return_id for record in records] == ["RT-SINCE", "RT-MID", "RT-UNTIL"]
    assert position is None
    assert records[0] == ledger.get("RF-RT-SINCE")
    assert ledger.issued_on("2026-11-20", at(20, 0), at(20, 23, 59), 10, None) == ([], None)


def test_issued_on_pages_through_the_day_each_record_once_in_order(side, ledger):
    # Given nine refunds of a day on nine orders, some at the same time, issued in a random order
    times = [at(21, hour) for hour in (1, 3, 3, 4, 7, 7, 9, 12, 23)]
    refunds = [(f"RT-{n}", f"TM-{n}", issued_at) for n, issued_at in enumerate(times)]
    random.Random(1122).shuffle(refunds)
    for return_id, order_id, issued_at in refunds:
        side.ports.orders.upsert(an_order(order_id), at(1))
        ledger.issue(a_ledger_record(return_id, order_id, issued_at=issued_at), account_after(), 0)

    # When read two at a time, feeding each position back
    seen, position, pages = [], None, 0
    while True:
        page, position = ledger.issued_on("2026-11-21", at(21, 0), at(21, 23, 59), 2, position)
        pages += 1
        assert len(page) <= 2
        seen += page
        if position is None:
            break
        assert pages < 10

    # Then each record came once, oldest first
    assert sorted(record.return_id for record in seen) == sorted(return_id for return_id, _, _ in refunds)
    assert [record.issued_at for record in seen] == times
    assert pages == 5


# copies


def test_what_is_passed_in_and_given_back_is_a_copy(ledger, orders, order):
    record, account = a_ledger_record(), account_after(1250, {"L1": 1})
    ledger.issue(record, account, 0)
    record.entries[0]["amount"] = "0.00"
    account.refunded_units["L1"] = 7
    fields = {"payment_error": {"code": "card_expired"}}
    ledger.update_payment("RF-RT-1", fields)
    fields["payment_error"]["code"] = "other"

    ledger.get("RF-RT-1").entries.clear()
    orders.get(order).account.refunded_units.clear()

    stored = ledger.get("RF-RT-1")
    assert stored.entries == a_ledger_record().entries
    assert stored.payment_error == {"code": "card_expired"}
    assert orders.get(order).account.refunded_units == {"L1": 1}
