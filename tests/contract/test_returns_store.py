"""ReturnStore: what the Protocol promises, on the twin and on DynamoDB alike."""

import random

import pytest

from chalicelib.domain.returns import MAX_ADDED_EVIDENCE, ReturnStatus, Waiting
from tests.contract.records import a_return, at, in_queue

PARCEL = {"carrier": "sf-express", "tracking_number": "SF100", "status": "in_transit", "return_id": "RT-1"}


def an_audit(return_id: str = "RT-1", entry: str | None = None, subject: str | None = None) -> dict:
    return {
        "subject": subject or f"return#{return_id}", "entry": entry or f"{at(22)}#{return_id}", "return_id": return_id,
        "action": "review.approve", "by": "ana", "at": at(22), "note": "photos are clear",
    }


REVIEW = {"decision": "approve", "note": "photos are clear", "by": "ana", "at": at(22)}


def in_review(returns, return_id: str = "RT-1", deadline: str = at(23)) -> None:
    """A return parked by AwaitReview: waiting for a review, in the manual queue."""
    returns.create(a_return(return_id))
    returns.wait_for(return_id, Waiting.REVIEW, f"token-{return_id}", ReturnStatus.IN_REVIEW,
                     in_queue("manual", deadline))


# get / create


def test_an_unknown_return_is_none(returns):
    assert returns.get("RT-NONE") is None


def test_create_stores_the_request_as_given(returns):
    record = a_return()

    assert returns.create(record) is True

    assert returns.get("RT-1") == record
    assert returns.get("RT-1").requested


def test_a_second_create_is_refused_and_the_first_request_kept(returns):
    # Given a stored request
    returns.create(a_return(reason="too_small"))
    # When the same return is requested again, differently
    again = returns.create(a_return(reason="damaged", customer_id="C-2"))
    # Then it is refused and the first stays
    assert again is False
    stored = returns.get("RT-1")
    assert (stored.reason, stored.customer_id) == ("too_small", "C-1")


def test_create_merges_into_an_item_tracking_created_first(returns):
    # Given tracking that arrived before the request
    returns.record_tracking("RT-1", PARCEL, at(19))
    assert returns.get("RT-1").requested is False
    # When the request arrives
    assert returns.create(a_return()) is True
    # Then the item holds both
    stored = returns.get("RT-1")
    assert stored.requested and stored.order_id == "TM-1001"
    assert (stored.parcel, stored.parcel_at) == (PARCEL, at(19))


# update / wait_for


def test_update_sets_fields_and_removes_others(returns):
    returns.create(a_return(note="call first"))

    returns.update("RT-1", {"status": ReturnStatus.VERIFIED, "decision": {"code": "AUTO_APPROVE"}}, remove=("note",))

    stored = returns.get("RT-1")
    assert stored.status == ReturnStatus.VERIFIED
    assert stored.decision == {"code": "AUTO_APPROVE"}
    assert stored.note is None
    assert stored.reason == "too_small"  # what the update does not name stays


def test_update_with_a_field_a_return_does_not_have_raises_and_writes_nothing(returns):
    returns.create(a_return())

    with pytest.raises(ValueError):
        returns.update("RT-1", {"stauts": "verified"})
    with pytest.raises(ValueError):
        returns.update("RT-1", {"status": "verified"}, remove=("nope",))

    assert returns.get("RT-1") == a_return()


def test_wait_for_parks_the_token_and_returns_the_record_as_it_is_now(returns):
    returns.create(a_return())

    record = returns.wait_for("RT-1", "review", "token-1", "in_review", in_queue("manual", at(23)))

    assert record.waiting_for == Waiting.REVIEW and isinstance(record.waiting_for, Waiting)
    assert record.status == ReturnStatus.IN_REVIEW and isinstance(record.status, ReturnStatus)
    assert (record.task_token, record.review_queue, record.sla_deadline) == ("token-1", "manual", at(23))
    assert record.reason == "too_small"
    assert returns.get("RT-1") == record


def test_wait_for_with_an_unknown_field_raises(returns):
    returns.create(a_return())

    with pytest.raises(ValueError):
        returns.wait_for("RT-1", "review", "token-1", "in_review", {"queue": "manual"})


# record_tracking


def test_record_tracking_keeps_the_newest_status_by_carrier_time(returns):
    returns.create(a_return(parcel_watch="waiting", tracking_due_at=at(25)))
    newer = {**PARCEL, "status": "delivered"}

    # When the newest status arrives first, then an older one
    first = returns.record_tracking("RT-1", newer, at(21, 12))
    older = returns.record_tracking("RT-1", PARCEL, at(21, 9))

    # Then the older is refused (None) and the newest stays
    assert first.parcel == newer and first.parcel_at == at(21, 12)
    assert older is None
    stored = returns.get("RT-1")
    assert (stored.parcel, stored.parcel_at) == (newer, at(21, 12))


def test_record_tracking_at_the_same_time_is_stored(returns):
    returns.create(a_return())
    returns.record_tracking("RT-1", PARCEL, at(21, 9))

    same_time = returns.record_tracking("RT-1", {**PARCEL, "status": "exception"}, at(21, 9))

    assert same_time is not None and same_time.parcel["status"] == "exception"


def test_record_tracking_stops_watching_for_the_parcel(returns):
    returns.create(a_return(parcel_watch="waiting", tracking_due_at=at(21)))
    assert returns.parcels_overdue(at(22)) == ["RT-1"]

    record = returns.record_tracking("RT-1", PARCEL, at(21, 9))

    assert record.parcel_watch is None and returns.get("RT-1").parcel_watch is None
    assert returns.parcels_overdue(at(22)) == []


# record_inspection / record_hold_answer / add_evidence


def test_record_inspection_keeps_the_first_inspection_and_its_event(returns):
    returns.create(a_return())
    first = {"items": [{"line_id": "L1", "quantity": 1, "condition": "as_new"}]}

    returns.record_inspection("RT-1", first, at(22, 9), "EV-1")
    again = returns.record_inspection("RT-1", {"items": [{"line_id": "L1", "quantity": 1, "condition": "damaged"}]},
                                      at(22, 10), "EV-2")

    assert (again.inspection, again.inspected_at, again.inspection_event_id) == (first, at(22, 9), "EV-1")
    assert returns.get("RT-1") == again


def test_record_hold_answer_keeps_the_warehouse_first_answer(returns):
    returns.create(a_return(kind="cancel"))

    first = returns.record_hold_answer("RT-1", {"outcome": "held"}, at(20, 9))
    again = returns.record_hold_answer("RT-1", {"outcome": "already_shipped"}, at(20, 10))

    assert (first.hold_answer, first.hold_answered_at) == ({"outcome": "held"}, at(20, 9))
    assert (again.hold_answer, again.hold_answered_at) == ({"outcome": "held"}, at(20, 9))
    assert returns.get("RT-1").hold_answer == {"outcome": "held"}


def test_add_evidence_is_a_set(returns):
    returns.create(a_return())
    photo_2, photo_1, photo_3 = (f"https://evidence.example/RT-1/added-{n}.jpg" for n in (2, 1, 3))

    returns.add_evidence("RT-1", [photo_2, photo_1])
    record = returns.add_evidence("RT-1", [photo_1, photo_3])

    assert record.added_evidence == [photo_1, photo_2, photo_3]  # each once (a set, read back sorted)
    assert record.evidence == ["https://evidence.example/RT-1/photo-1.jpg", photo_1, photo_2, photo_3]
    assert returns.get("RT-1") == record


def test_added_evidence_stops_at_its_limit_and_the_return_is_left_as_it_is(returns):
    returns.create(a_return())
    photos = [f"https://evidence.example/RT-1/added-{n:02}.jpg" for n in range(MAX_ADDED_EVIDENCE + 5)]

    returns.add_evidence("RT-1", photos[:MAX_ADDED_EVIDENCE - 2])
    full = returns.add_evidence("RT-1", photos[MAX_ADDED_EVIDENCE - 2:MAX_ADDED_EVIDENCE])
    refused = returns.add_evidence("RT-1", photos[MAX_ADDED_EVIDENCE:])

    assert len(full.added_evidence) == MAX_ADDED_EVIDENCE
    assert refused == full == returns.get("RT-1")


# flag_parcel_problem


LOGISTICS = in_queue("logistics", at(23), since=at(22))
PROBLEM = {"status": "exception", "at": at(22, 7)}


def test_flag_parcel_problem_puts_the_return_in_a_queue_once(returns):
    returns.create(a_return())

    assert returns.flag_parcel_problem("RT-1", PROBLEM, LOGISTICS) is True
    later = {"status": "expired", "at": at(22, 9)}
    assert returns.flag_parcel_problem("RT-1", later, in_queue("other", at(24))) is False

    stored = returns.get("RT-1")
    assert stored.parcel_problem == PROBLEM
    assert (stored.review_queue, stored.review_since, stored.sla_deadline) == ("logistics", at(22), at(23))


def test_flag_parcel_problem_only_for_a_requested_return(returns):
    # Given an item tracking created before the request, and no item at all
    returns.record_tracking("RT-1", PARCEL, at(21))

    assert returns.flag_parcel_problem("RT-1", PROBLEM, LOGISTICS) is False
    assert returns.flag_parcel_problem("RT-NONE", PROBLEM, LOGISTICS) is False

    assert returns.get("RT-1").parcel_problem is None and returns.get("RT-1").review_queue is None
    assert returns.get("RT-NONE") is None
    assert returns.waiting_for_review("logistics", 10, None) == ([], None)


def test_flag_parcel_problem_with_an_unknown_queue_field_raises(returns):
    returns.create(a_return())

    with pytest.raises(ValueError):
        returns.flag_parcel_problem("RT-1", PROBLEM, {"queue": "logistics"})


# parcels_overdue / count_requested


def test_parcels_overdue_are_the_watched_returns_due_before_now_earliest_first(returns):
    returns.create(a_return("RT-LATER", parcel_watch="waiting", tracking_due_at=at(21, 12)))
    returns.create(a_return("RT-EARLY", parcel_watch="waiting", tracking_due_at=at(21, 6)))
    returns.create(a_return("RT-NOW", parcel_watch="waiting", tracking_due_at=at(22)))  # due at now: not before
    returns.create(a_return("RT-FUTURE", parcel_watch="waiting", tracking_due_at=at(25)))
    returns.create(a_return("RT-UNWATCHED", tracking_due_at=at(20)))

    assert returns.parcels_overdue(at(22)) == ["RT-EARLY", "RT-LATER"]


def test_count_requested_within_inclusive_bounds_not_counting_the_one_excluded(returns):
    for return_id, customer, requested_at in [
        ("RT-SINCE", "C-1", at(10)), ("RT-MID", "C-1", at(15)), ("RT-UNTIL", "C-1", at(20)),
        ("RT-BEFORE", "C-1", at(9, 23, 59)), ("RT-AFTER", "C-1", at(20, 8, 1)), ("RT-OTHER", "C-2", at(15)),
        ("RT-THIS", "C-1", at(16)),
    ]:
        returns.create(a_return(return_id, customer_id=customer, requested_at=requested_at))

    assert returns.count_requested("C-1", at(10), at(20), excluding="RT-THIS") == 3
    assert returns.count_requested("C-1", at(10), at(20), excluding="RT-NONE") == 4
    assert returns.count_requested("C-3", at(10), at(20), excluding="RT-THIS") == 0


# waiting_for_review / overdue_reviews / mark_breached


def test_waiting_for_review_is_the_queue_by_sla_deadline(returns):
    for return_id, deadline in [("RT-B", at(23, 12)), ("RT-A", at(23, 6)), ("RT-C", at(24))]:
        in_review(returns, return_id, deadline)
    returns.create(a_return("RT-ELSEWHERE", **in_queue("logistics", at(21))))
    returns.create(a_return("RT-NO-QUEUE", sla_deadline=at(21)))

    page, position = returns.waiting_for_review("manual", 10, None)

    assert [record.return_id for record in page] == ["RT-A", "RT-B", "RT-C"]
    assert position is None  # a short page is the last
    assert page[0] == returns.get("RT-A")  # the whole record


def test_waiting_for_review_pages_through_the_queue_each_item_once_in_order(returns):
    # Given eleven returns in a queue, some with the same deadline, stored in a random order
    deadlines = [at(23, hour) for hour in (1, 2, 2, 3, 5, 5, 5, 8, 9, 13, 21)]
    ids = [f"RT-{n:02d}" for n in range(len(deadlines))]
    stored = list(zip(ids, deadlines))
    random.Random(20261122).shuffle(stored)
    for return_id, deadline in stored:
        returns.create(a_return(return_id, **in_queue("manual", deadline)))

    # When the queue is read three at a time, feeding each position back
    seen, position, pages = [], None, 0
    while True:
        page, position = returns.waiting_for_review("manual", 3, position)
        pages += 1
        assert len(page) <= 3
        seen += page
        if position is None:
            break
        assert pages < 10

    # Then every item came exactly once, by deadline
    assert sorted(record.return_id for record in seen) == ids
    assert [record.sla_deadline for record in seen] == sorted(deadlines)
    assert pages == 4


def test_a_queue_that_fills_its_last_page_exactly_ends_there_or_with_one_empty_page(returns):
    """A full page may be followed by more: DynamoDB gives a position whenever a page is full (the twin does
    too), moto only when an item follows. Either way the caller reads on until None and sees each item once."""
    for n in range(4):
        returns.create(a_return(f"RT-{n}", **in_queue("manual", at(23, n))))

    first, position = returns.waiting_for_review("manual", 2, None)
    second, position = returns.waiting_for_review("manual", 2, position)
    rest, end = returns.waiting_for_review("manual", 2, position) if position else ([], None)

    assert [record.return_id for record in first + second] == ["RT-0", "RT-1", "RT-2", "RT-3"]
    assert (rest, end) == ([], None)


def test_overdue_reviews_are_past_their_deadline_and_not_yet_breached(returns):
    in_review(returns, "RT-OVERDUE", at(21))
    in_review(returns, "RT-BREACHED", at(20))
    returns.mark_breached("RT-BREACHED", at(20), at(20, 9))
    in_review(returns, "RT-DUE-NOW", at(22))  # a deadline at now is not past
    in_review(returns, "RT-LATER", at(23))

    overdue = returns.overdue_reviews("manual", at(22))

    assert [record.return_id for record in overdue] == ["RT-OVERDUE"]
    assert returns.overdue_reviews("logistics", at(22)) == []


def test_mark_breached_while_the_item_waits_with_that_deadline(returns):
    in_review(returns, "RT-1", at(21))

    returns.mark_breached("RT-1", at(21), at(22))

    assert returns.get("RT-1").sla_breached_at == at(22)


def test_mark_breached_with_another_deadline_changes_nothing(returns):
    # Given a return whose deadline moved (it was queued again)
    in_review(returns, "RT-1", at(23))

    returns.mark_breached("RT-1", at(21), at(22))

    assert returns.get("RT-1").sla_breached_at is None


def test_mark_breached_leaves_a_decided_item_as_it_was_decided(returns):
    in_review(returns, "RT-1", at(21))
    returns.decide("RT-1", "review", "in_review", "review", REVIEW, an_audit())

    returns.mark_breached("RT-1", at(21), at(22))

    assert returns.get("RT-1").sla_breached_at is None


def test_mark_breached_of_an_unknown_return_writes_nothing(returns):
    returns.mark_breached("RT-NONE", at(21), at(22))

    assert returns.get("RT-NONE") is None


# decide


def test_decide_keeps_the_decision_leaves_the_queue_and_writes_the_audit_entry(side, returns):
    in_review(returns, "RT-1", at(23))

    assert returns.decide("RT-1", "review", "in_review", "review", REVIEW, an_audit()) is True

    stored = returns.get("RT-1")
    assert stored.review == REVIEW
    assert stored.review_queue is None
    assert (stored.waiting_for, stored.status) == (Waiting.REVIEW, ReturnStatus.IN_REVIEW)  # the workflow moves them
    assert returns.waiting_for_review("manual", 10, None) == ([], None)
    assert side.audit_entries() == [an_audit()]


def test_a_second_decision_is_refused_and_writes_no_audit_entry(side, returns):
    in_review(returns, "RT-1", at(23))
    returns.decide("RT-1", "review", "in_review", "review", REVIEW, an_audit())

    second = {**REVIEW, "decision": "reject", "by": "bo"}
    assert returns.decide("RT-1", "review", "in_review", "review", second, an_audit(entry=f"{at(22)}#second")) is False

    assert returns.get("RT-1").review == REVIEW
    assert side.audit_entries() == [an_audit()]


def test_decide_is_refused_when_the_return_no_longer_waits_for_it(side, returns):
    in_review(returns, "RT-1", at(23))

    # Waiting for another thing, in another status, or not there at all
    assert returns.decide("RT-1", "failure_review", "in_review", "failure_review", REVIEW, an_audit()) is False
    assert returns.decide("RT-1", "review", "failed", "review", REVIEW, an_audit()) is False
    assert returns.decide("RT-NONE", "review", "in_review", "review", REVIEW, an_audit("RT-NONE")) is False

    stored = returns.get("RT-1")
    assert (stored.review, stored.failure_review, stored.review_queue) == (None, None, "manual")
    assert returns.get("RT-NONE") is None
    assert side.audit_entries() == []


def test_decide_is_refused_when_its_audit_entry_exists(side, returns):
    # Given a decision whose audit entry (subject, entry) was written
    in_review(returns, "RT-1", at(23))
    in_review(returns, "RT-2", at(23))
    returns.decide("RT-1", "review", "in_review", "review", REVIEW, an_audit("RT-1", entry="E-1", subject="S"))

    # When another decision comes with the same audit key: nothing is written
    same_key = an_audit("RT-2", entry="E-1", subject="S")
    assert returns.decide("RT-2", "review", "in_review", "review", REVIEW, same_key) is False

    assert returns.get("RT-2").review is None and returns.get("RT-2").review_queue == "manual"
    assert [entry["return_id"] for entry in side.audit_entries()] == ["RT-1"]


def test_audit_entries_of_different_subjects_may_share_an_entry_key(side, returns):
    # The audit table's key is (subject, entry): the same entry under two subjects is two entries
    in_review(returns, "RT-1", at(23))
    in_review(returns, "RT-2", at(23))

    assert returns.decide("RT-1", "review", "in_review", "review", REVIEW, an_audit("RT-1", entry="E-1")) is True
    assert returns.decide("RT-2", "review", "in_review", "review", REVIEW, an_audit("RT-2", entry="E-1")) is True

    assert [entry["subject"] for entry in side.audit_entries()] == ["return#RT-1", "return#RT-2"]


def test_decide_under_an_unknown_key_raises(returns):
    in_review(returns, "RT-1", at(23))

    with pytest.raises(ValueError):
        returns.decide("RT-1", "review", "in_review", "verdict", REVIEW, an_audit())


# copies


def test_a_returned_record_is_a_copy(returns):
    returns.create(a_return())

    returns.get("RT-1").items.append({"line_id": "L2", "quantity": 1})
    returns.wait_for("RT-1", "review", "t", "in_review").evidence_urls.clear()

    assert returns.get("RT-1").items == [{"line_id": "L1", "quantity": 1}]
    assert returns.get("RT-1").evidence_urls == ["https://evidence.example/RT-1/photo-1.jpg"]


def test_what_is_passed_in_is_copied(side, returns):
    record = a_return()
    returns.create(record)
    record.items[0]["quantity"] = 9
    decision = {"code": "HIGH_VALUE", "facts": {"estimate": "2500.00"}}
    returns.update("RT-1", {"decision": decision})
    decision["facts"]["estimate"] = "0.00"
    parcel = dict(PARCEL)
    returns.record_tracking("RT-1", parcel, at(21))
    parcel["status"] = "delivered"
    review, audit = dict(REVIEW), an_audit()
    returns.update("RT-1", in_queue("manual", at(23)))
    returns.wait_for("RT-1", "review", "t", "in_review")
    returns.decide("RT-1", "review", "in_review", "review", review, audit)
    review["decision"], audit["by"] = "reject", "mallory"

    stored = returns.get("RT-1")
    assert stored.items == [{"line_id": "L1", "quantity": 1}]
    assert stored.decision["facts"] == {"estimate": "2500.00"}
    assert stored.parcel["status"] == "in_transit"
    assert stored.review["decision"] == "approve"
    assert side.audit_entries()[0]["by"] == "ana"


def test_entering_a_queue_again_starts_a_new_stay_whose_breach_is_announced_again(returns):
    # Given a return whose first stay in a queue was breached
    in_review(returns, "RT-1", at(21))
    returns.mark_breached("RT-1", at(21), at(22))
    # When it is queued again with a new deadline (parked again, or its parcel in trouble)
    returns.wait_for("RT-1", Waiting.REVIEW, "token-2", ReturnStatus.IN_REVIEW, in_queue("manual", at(23)))
    # Then the new stay is not breached yet, and is overdue once its own deadline passes
    assert returns.get("RT-1").sla_breached_at is None
    assert [record.return_id for record in returns.overdue_reviews("manual", at(24))] == ["RT-1"]


def test_a_parcel_problem_starts_a_new_stay_in_the_logistics_queue(returns):
    in_review(returns, "RT-1", at(21))
    returns.mark_breached("RT-1", at(21), at(22))

    assert returns.flag_parcel_problem("RT-1", {"status": "exception", "at": at(22)}, in_queue("logistics", at(23)))

    assert returns.get("RT-1").sla_breached_at is None


def test_returns_are_found_by_their_shops_own_id_in_every_shop(returns):
    returns.create(a_return("tmall/RT-7"))
    returns.create(a_return("jd-acme/RT-7", customer_id="jd-acme/C-9"))
    returns.create(a_return("tmall/RT-8"))

    assert sorted(returns.with_reference("RT-7")) == ["jd-acme/RT-7", "tmall/RT-7"]
    assert returns.with_reference("RT-9") == []


def test_a_customers_requests_are_every_return_they_asked_for(returns):
    returns.create(a_return("tmall/RT-1", customer_id="tmall/C-1"))
    returns.create(a_return("tmall/RT-2", customer_id="tmall/C-1"))
    returns.create(a_return("tmall/RT-3", customer_id="tmall/C-2"))

    assert sorted(returns.requested_by("tmall/C-1")) == ["tmall/RT-1", "tmall/RT-2"]
