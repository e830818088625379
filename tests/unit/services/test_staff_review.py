"""review_queue and review_return on the twins: the queues by SLA deadline, a reviewer's decision kept once with its
audit entry and resuming the waiting workflow, and the refusals that say what happened instead. The finance queue
and its decisions are finance's, the others after-sales' (admin has both); a return's ids go out as its shop
knows them."""

import random
from dataclasses import asdict
from datetime import timedelta

import pytest

from chalicelib.domain.errors import InvalidInput
from chalicelib.ports.errors import Conflict, Forbidden, UnknownSubject
from chalicelib.services.record_failure import record_failure
from chalicelib.services.review_return import review_queue, review_return
from chalicelib.services.verify_return import verify_return
from chalicelib.services.wait_for_event import wait_for_event
from tests.unit.services.given import NOW, a_return, an_order, ingested, staff, twins

APPROVE = {"decision": "approve", "note": "photos show the defect"}
ADDRESS = "203.0.113.7"  # where given.staff's calls come from
ANA = staff("after_sales", key_id="ana")  # after-sales reviewers
BO = staff("after_sales", key_id="bo")
FIN = staff("finance", key_id="ana")  # a finance reviewer


def reviewer(wait: str, key_id: str = "ana"):
    """A key with the role a wait's decisions need: finance for a refund finance must decide, else after-sales."""
    return staff("finance" if wait == "finance_review" else "after_sales", key_id=key_id)


def queue_page(queue, limit, cursor, ports, who=None):
    """review_queue's page with each item as the API answers it (by default for a key with the queue's role)."""
    who = who or staff("finance" if queue == "finance" else "after_sales")
    items, position = review_queue(queue, limit, cursor, who, ports)
    return [asdict(item) for item in items], position


@pytest.fixture
def ports():
    ports = twins()
    an_order(ports)
    return ports


# Given-steps: a return parked by each kind of wait for a person, as the workflow leaves it.

def in_review(ports, return_id="RT-1", reason="quality_issue", at=NOW, order_id="TM-1001") -> None:
    """Verified into manual review (a quality claim with no evidence: EVIDENCE_REQUIRED), parked by AwaitReview."""
    a_return(ports, return_id, order_id, reason=reason)
    assert verify_return(return_id, ports)["decision"] == "manual"
    wait_for_event(return_id, "review", f"token-{return_id}", ports, at)


def failed(ports, return_id="RT-1", order_id="TM-1001") -> None:
    a_return(ports, return_id, order_id)
    record_failure(return_id, {"failure": {"Error": "States.TaskFailed", "Cause": "boom"}}, ports, NOW)
    wait_for_event(return_id, "failure_review", f"token-{return_id}", ports, NOW)


def refund_unconfirmed(ports, return_id="RT-1") -> None:
    a_return(ports, return_id)
    wait_for_event(return_id, "finance_review", f"token-{return_id}", ports, NOW)


def tracking(ports, status: str, at: str = "2026-11-21T12:00:00Z", return_id="RT-1") -> None:
    ingested(ports, {
        "event_id": f"trk-{status}-{at}", "type": "TrackingUpdated", "occurred_at": at,
        "data": {"carrier": "ups", "tracking_number": f"1Z-{return_id}", "status": status, "return_id": return_id},
    }, source="aftership")


def parcel_in_trouble(ports, return_id="RT-1", order_id="TM-1001") -> None:
    """Approved and waiting for its parcel, whose carrier then reported an exception."""
    a_return(ports, return_id, order_id)
    assert verify_return(return_id, ports)["decision"] == "return"
    wait_for_event(return_id, "parcel", f"token-{return_id}", ports, NOW)
    tracking(ports, "exception", return_id=return_id)


WAITS = {"review": in_review, "failure_review": failed, "finance_review": refund_unconfirmed,
         "parcel": parcel_in_trouble}


def untouched(ports, return_id="RT-1") -> bool:
    record = ports.returns.get(return_id)
    return (ports.workflows.resumed == [] and ports.audit.entries == [] and record.review_queue is not None
            and not any((record.review, record.failure_review, record.finance_review, record.parcel_review)))


# Decisions.

def test_approve_resumes_the_waiting_workflow_with_the_decision(ports):
    in_review(ports)

    review_return("RT-1", APPROVE, ANA, ports, NOW)

    assert ports.workflows.resumed == [("token-RT-1", {"decision": "approve"})]


def test_a_decision_answers_who_decided_what_and_when_with_the_note_trimmed(ports):
    in_review(ports)

    answer = review_return("RT-1", {"decision": "approve", "note": "  looks right \n"}, ANA, ports, NOW)

    assert answer == {"return_id": "RT-1", "decision": "approve", "note": "looks right", "by": "ana",
                      "at": "2026-11-22T08:00:00Z"}


def test_a_decision_is_kept_on_the_return(ports):
    in_review(ports)

    review_return("RT-1", APPROVE, ANA, ports, NOW)

    review = ports.returns.get("RT-1").review
    assert (review["decision"], review["note"], review["by"], review["at"]) == (
        "approve", "photos show the defect", "ana", "2026-11-22T08:00:00Z"
    )


def test_a_decision_writes_one_audit_entry(ports):
    in_review(ports)

    review_return("RT-1", APPROVE, ANA, ports, NOW)

    [entry] = ports.audit.entries
    assert set(entry) == {"subject", "entry", "return_id", "action", "by", "from", "at", "note", "decision_code"}
    assert {key: entry[key] for key in set(entry) - {"entry"}} == {
        "subject": "return#RT-1", "return_id": "RT-1", "action": "review.approve", "by": "ana", "from": ADDRESS,
        "at": "2026-11-22T08:00:00Z", "note": "photos show the defect", "decision_code": "EVIDENCE_REQUIRED",
    }
    assert entry["entry"].startswith("2026-11-22T08:00:00Z#")


def test_a_decided_return_leaves_its_queue(ports):
    in_review(ports)

    review_return("RT-1", APPROVE, ANA, ports, NOW)

    assert ports.returns.get("RT-1").review_queue is None
    assert queue_page("product_quality", 10, None, ports) == ([], None)


def test_reject_resumes_the_workflow_with_reject(ports):
    in_review(ports)

    review_return("RT-1", {"decision": "reject", "note": "no defect visible"}, ANA, ports, NOW)

    assert ports.workflows.resumed == [("token-RT-1", {"decision": "reject"})]


@pytest.mark.parametrize(
    "wait, decision",
    [("review", "approve"), ("review", "reject"), ("failure_review", "retry"), ("failure_review", "reject"),
     ("finance_review", "retry"), ("finance_review", "write_off"), ("parcel", "reject")],
)
def test_each_decision_a_wait_allows_resumes_it_and_is_audited_under_its_kind(ports, wait, decision):
    WAITS[wait](ports)

    review_return("RT-1", {"decision": decision, "note": "decided"}, reviewer(wait), ports, NOW)

    assert ports.workflows.resumed == [("token-RT-1", {"decision": decision})]
    assert [entry["action"] for entry in ports.audit.entries] == [f"{wait}.{decision}"]


def test_a_second_decision_is_a_conflict_naming_the_first_reviewer(ports):
    in_review(ports)
    review_return("RT-1", APPROVE, ANA, ports, NOW)

    with pytest.raises(Conflict) as refused:
        review_return("RT-1", {"decision": "reject", "note": "second thoughts"}, BO, ports,
                      NOW + timedelta(minutes=5))

    assert refused.value.code == "not_waiting_for_review"
    assert "already reviewed: approve by ana at 2026-11-22T08:00:00Z" in refused.value.message


def test_a_second_decision_changes_nothing(ports):
    in_review(ports)
    review_return("RT-1", APPROVE, ANA, ports, NOW)

    with pytest.raises(Conflict):
        review_return("RT-1", {"decision": "reject", "note": "second thoughts"}, BO, ports, NOW)

    assert ports.workflows.resumed == [("token-RT-1", {"decision": "approve"})]
    assert len(ports.audit.entries) == 1 and ports.returns.get("RT-1").review["by"] == "ana"


@pytest.mark.parametrize(
    "wait, decision",
    [("review", "retry"), ("review", "keep_waiting"), ("review", "write_off"),
     ("failure_review", "approve"), ("failure_review", "keep_waiting"), ("failure_review", "write_off"),
     ("finance_review", "approve"), ("finance_review", "reject"), ("finance_review", "keep_waiting"),
     ("parcel", "approve"), ("parcel", "retry"), ("parcel", "write_off")],
)
def test_a_decision_the_wait_does_not_allow_is_invalid_input_on_decision_and_writes_nothing(ports, wait, decision):
    WAITS[wait](ports)

    with pytest.raises(InvalidInput) as refused:
        review_return("RT-1", {"decision": decision, "note": "x"}, reviewer(wait), ports, NOW)

    assert refused.value.field == "decision"
    assert untouched(ports)


def test_the_refusal_of_a_decision_says_which_ones_the_return_waits_for(ports):
    failed(ports)

    with pytest.raises(InvalidInput) as refused:
        review_return("RT-1", APPROVE, ANA, ports, NOW)

    assert refused.value.message == "return RT-1 waits for retry or reject"


@pytest.mark.parametrize(
    "payload, field, code",
    [({"decision": "maybe", "note": "x"}, "decision", "invalid_value"),
     ({"note": "x"}, "decision", "missing_field"),
     ({"decision": "approve"}, "note", "missing_field"),
     ({"decision": "approve", "note": "   "}, "note", "invalid_value"),
     ({"decision": "approve", "note": "x" * 2001}, "note", "invalid_value"),
     ({**APPROVE, "by": "someone else"}, "by", "unknown_field")],
    ids=["unknown decision", "no decision", "no note", "blank note", "note too long", "extra field"],
)
def test_an_invalid_decision_body_is_invalid_input_naming_the_field_and_writes_nothing(ports, payload, field, code):
    in_review(ports)

    with pytest.raises(InvalidInput) as refused:
        review_return("RT-1", payload, ANA, ports, NOW)

    assert (refused.value.field, refused.value.code) == (field, code)
    assert untouched(ports)


def test_a_decision_on_an_unknown_return_is_an_unknown_subject(ports):
    with pytest.raises(UnknownSubject) as refused:
        review_return("RT-NOPE", APPROVE, ANA, ports, NOW)

    assert refused.value.code == "unknown_return"


def test_a_return_known_only_from_its_tracking_is_an_unknown_subject(ports):
    tracking(ports, "in_transit", return_id="RT-EARLY")  # the parcel's checkpoint came before the request

    with pytest.raises(UnknownSubject):
        review_return("RT-EARLY", APPROVE, ANA, ports, NOW)


def test_a_return_that_waits_for_no_review_is_a_conflict_saying_its_status(ports):
    a_return(ports)

    with pytest.raises(Conflict) as refused:
        review_return("RT-1", APPROVE, ANA, ports, NOW)

    assert refused.value.code == "not_waiting_for_review"
    assert refused.value.message == "return RT-1 does not wait for a review (status requested)"
    assert ports.audit.entries == []


def test_a_return_waiting_for_a_parcel_that_is_not_in_trouble_is_no_reviewers(ports):
    a_return(ports)
    verify_return("RT-1", ports)
    wait_for_event("RT-1", "parcel", "token-RT-1", ports, NOW)

    with pytest.raises(Conflict):
        review_return("RT-1", {"decision": "reject", "note": "x"}, ANA, ports, NOW)

    assert ports.workflows.resumed == [] and ports.audit.entries == []


def test_a_decision_after_the_wait_timed_out_is_refused(ports):
    in_review(ports)
    ports.workflows.time_out("token-RT-1")

    with pytest.raises(Conflict) as refused:
        review_return("RT-1", APPROVE, ANA, ports, NOW)

    assert refused.value.code == "not_waiting_for_review" and "timed out" in refused.value.message
    assert ports.workflows.resumed == []


def test_a_decision_after_the_wait_timed_out_is_kept_marked_not_applied(ports):
    in_review(ports)
    ports.workflows.time_out("token-RT-1")

    with pytest.raises(Conflict):
        review_return("RT-1", APPROVE, ANA, ports, NOW)

    review = ports.returns.get("RT-1").review
    assert (review["decision"], review["by"], review["applied"]) == ("approve", "ana", False)


def test_a_decision_on_a_return_closed_by_its_review_timeout_is_a_conflict_saying_so(ports):
    in_review(ports)
    ports.workflows.time_out("token-RT-1")
    ports.returns.update("RT-1", {"status": "expired"}, remove=("waiting_for",))

    with pytest.raises(Conflict) as refused:
        review_return("RT-1", APPROVE, ANA, ports, NOW)

    assert refused.value.message == (
        "return RT-1 is closed (expired) after its review timed out; it no longer waits for a review"
    )


def test_keep_waiting_on_a_parcel_problem_clears_the_problem_without_resuming_the_workflow(ports):
    parcel_in_trouble(ports)
    assert ports.returns.get("RT-1").parcel_problem == {"status": "exception", "at": "2026-11-21T12:00:00Z"}

    review_return("RT-1", {"decision": "keep_waiting", "note": "carrier says it is moving"}, ANA, ports, NOW)

    record = ports.returns.get("RT-1")
    assert (record.parcel_problem, record.parcel_review, record.review_queue) == (None, None, None)
    assert (record.waiting_for, record.status) == ("parcel", "awaiting_parcel")
    assert ports.workflows.resumed == []


def test_keep_waiting_is_audited(ports):
    parcel_in_trouble(ports)

    review_return("RT-1", {"decision": "keep_waiting", "note": "carrier says it is moving"}, ANA, ports, NOW)

    assert [(entry["action"], entry["by"]) for entry in ports.audit.entries] == [("parcel.keep_waiting", "ana")]


def test_after_keep_waiting_the_next_parcel_problem_puts_the_return_in_the_queue_again(ports):
    parcel_in_trouble(ports)
    review_return("RT-1", {"decision": "keep_waiting", "note": "moving"}, ANA, ports, NOW)

    tracking(ports, "returned_to_sender", at="2026-11-22T12:00:00Z")

    [item] = queue_page("logistics", 10, None, ports)[0]
    assert item["return_id"] == "RT-1"
    review_return("RT-1", {"decision": "reject", "note": "sent back"}, BO, ports, NOW)
    assert ports.workflows.resumed == [("token-RT-1", {"decision": "reject"})]


# Queues.

def test_a_queue_pages_by_sla_deadline_until_the_cursor_is_none(ports):
    minutes = list(range(7))
    random.Random(20261122).shuffle(minutes)  # parked in an order unlike their deadlines
    for n in minutes:
        in_review(ports, f"RT-{n}", at=NOW + timedelta(minutes=n))

    seen, cursor, pages = [], None, 0
    while True:
        items, cursor = queue_page("product_quality", 2, cursor, ports)
        seen += items
        pages += 1
        if cursor is None:
            break
        assert pages < 10, "the queue never ended"

    assert [item["return_id"] for item in seen] == [f"RT-{n}" for n in range(7)]
    assert [item["sla_deadline"] for item in seen] == sorted(item["sla_deadline"] for item in seen)


def test_a_page_is_at_most_the_limit(ports):
    for n in range(3):
        in_review(ports, f"RT-{n}", at=NOW + timedelta(minutes=n))

    items, cursor = queue_page("product_quality", 2, None, ports)

    assert [item["return_id"] for item in items] == ["RT-0", "RT-1"] and cursor is not None


def test_each_return_waits_in_the_queue_of_its_problem(ports):
    an_order(ports, "TM-2000",
             lines=[{"line_id": "L1", "category": "footwear", "unit_price": "2100.00", "quantity": 1}])
    in_review(ports, "RT-QUALITY", reason="quality_issue")
    in_review(ports, "RT-TRANSIT", reason="damaged_in_transit")
    a_return(ports, "RT-PRICEY", "TM-2000", reason="changed_mind")
    assert verify_return("RT-PRICEY", ports)["code"] == "HIGH_VALUE"
    wait_for_event("RT-PRICEY", "review", "token-RT-PRICEY", ports, NOW)
    failed(ports, "RT-FAILED")
    refund_unconfirmed(ports, "RT-UNPAID")
    an_order(ports, "TM-3000", customer_id="C-3")  # another customer: C-1's five requests are an abuse signal
    parcel_in_trouble(ports, "RT-LOST", "TM-3000")

    queues = {queue: {item["return_id"] for item in queue_page(queue, 10, None, ports)[0]}
              for queue in ("product_quality", "logistics", "service", "failures", "finance")}

    assert queues == {"product_quality": {"RT-QUALITY"}, "logistics": {"RT-TRANSIT", "RT-LOST"},
                      "service": {"RT-PRICEY"}, "failures": {"RT-FAILED"}, "finance": {"RT-UNPAID"}}


def test_a_queue_item_shows_the_reviewer_the_request_the_deadline_and_the_decision_facts(ports):
    in_review(ports)

    [item] = queue_page("product_quality", 10, None, ports)[0]

    assert {key: item[key] for key in ("shop", "return_id", "order_id", "customer_id", "reason", "items", "queue",
                                       "review_since", "sla_deadline", "evidence_urls")} == {
        "shop": None, "return_id": "RT-1", "order_id": "TM-1001", "customer_id": "C-1", "reason": "quality_issue",
        "items": [{"line_id": "L1", "quantity": 1}],
        "queue": "product_quality", "review_since": "2026-11-22T08:00:00Z", "sla_deadline": "2026-11-22T16:00:00Z",
        "evidence_urls": [],
    }  # 8 h for a normal customer
    assert (item["decision"]["code"], item["decision"]["policy_version"]) == ("EVIDENCE_REQUIRED", "default-2026-11")
    assert item["decision"]["facts"]["reason"] == "quality_issue"


def test_a_failed_return_shows_the_reviewer_its_failure(ports):
    failed(ports)

    [item] = queue_page("failures", 10, None, ports)[0]

    assert (item["failure"]["step"], item["failure"]["error"]) == ("Verify", "States.TaskFailed")


def test_an_empty_queue_is_an_empty_page_with_no_cursor(ports):
    assert queue_page("service", 50, None, ports) == ([], None)


# Tenants: behind the edge a return is "shop/own id"; the reviewer sees (and is answered) the shop's own ids.

def the_shops(ports, shop: str = "tmall") -> None:
    an_order(ports, f"{shop}/TM-1001", customer_id=f"{shop}/C-1")


def shops_review(ports, return_id: str = "RT-1", shop: str = "tmall") -> None:
    """A return of the shop (its request named the shop's order) in the product-quality queue."""
    in_review(ports, f"{shop}/{return_id}", order_id=f"{shop}/TM-1001")


def test_a_queue_item_of_a_shop_names_the_shops_own_ids_and_the_shop(ports):
    the_shops(ports)
    shops_review(ports)
    assert (ports.returns.get("tmall/RT-1").order_id, ports.returns.get("tmall/RT-1").customer_id) == (
        "tmall/TM-1001", "tmall/C-1"
    )

    [item] = queue_page("product_quality", 10, None, ports)[0]

    assert list(item)[0] == "shop"
    assert {key: item[key] for key in ("shop", "return_id", "order_id", "customer_id")} == {
        "shop": "tmall", "return_id": "RT-1", "order_id": "TM-1001", "customer_id": "C-1",
    }


def test_a_decision_on_a_shops_return_answers_its_own_id_and_the_shop(ports):
    the_shops(ports)
    shops_review(ports)

    answer = review_return("tmall/RT-1", APPROVE, ANA, ports, NOW)

    assert answer == {"return_id": "RT-1", "shop": "tmall", "decision": "approve", "note": "photos show the defect",
                      "by": "ana", "at": "2026-11-22T08:00:00Z"}
    assert ports.workflows.resumed == [("token-tmall/RT-1", {"decision": "approve"})]


def test_a_decision_on_a_shops_return_is_audited_under_its_qualified_key(ports):
    the_shops(ports)
    shops_review(ports)

    review_return("tmall/RT-1", APPROVE, ANA, ports, NOW)

    [entry] = ports.audit.entries
    assert (entry["subject"], entry["return_id"], entry["action"], entry["by"], entry["from"]) == (
        "return#tmall/RT-1", "tmall/RT-1", "review.approve", "ana", ADDRESS
    )


def test_a_decision_on_one_shops_return_leaves_another_shops_return_of_the_same_id_waiting(ports):
    for shop in ("tmall", "jd"):
        the_shops(ports, shop)
        shops_review(ports, shop=shop)

    review_return("jd/RT-1", APPROVE, ANA, ports, NOW)

    assert ports.workflows.resumed == [("token-jd/RT-1", {"decision": "approve"})]
    assert ports.returns.get("tmall/RT-1").review is None
    [item] = queue_page("product_quality", 10, None, ports)[0]
    assert (item["shop"], item["return_id"]) == ("tmall", "RT-1")


def test_the_refusals_about_a_shops_return_name_it_as_its_shop_does(ports):
    the_shops(ports)
    shops_review(ports)
    review_return("tmall/RT-1", APPROVE, ANA, ports, NOW)
    failed(ports, "tmall/RT-2", "tmall/TM-1001")

    with pytest.raises(Conflict) as again:
        review_return("tmall/RT-1", {"decision": "reject", "note": "x"}, BO, ports, NOW)
    with pytest.raises(InvalidInput) as not_allowed:
        review_return("tmall/RT-2", APPROVE, ANA, ports, NOW)

    assert again.value.message.startswith("return RT-1 was already reviewed: approve by ana")
    assert not_allowed.value.message == "return RT-2 waits for retry or reject"


def test_a_shops_own_id_alone_is_not_its_return(ports):
    the_shops(ports)
    shops_review(ports)

    with pytest.raises(UnknownSubject):
        review_return("RT-1", APPROVE, ANA, ports, NOW)
    with pytest.raises(UnknownSubject):
        review_return("jd/RT-1", APPROVE, ANA, ports, NOW)

    assert untouched(ports, "tmall/RT-1")


# Roles: the finance queue and its decisions need finance; every other queue after-sales; admin has both.

def test_an_after_sales_key_may_not_list_the_finance_queue(ports):
    refund_unconfirmed(ports)

    with pytest.raises(Forbidden) as refused:
        review_queue("finance", 10, None, staff("after_sales", key_id="clerk-1"), ports)

    assert (refused.value.code, refused.value.message) == (
        "role_required", "key 'clerk-1' does not have the finance role"
    )


@pytest.mark.parametrize("queue", ["product_quality", "logistics", "service", "failures"])
def test_a_finance_key_may_not_list_an_after_sales_queue(ports, queue):
    with pytest.raises(Forbidden) as refused:
        review_queue(queue, 10, None, FIN, ports)

    assert refused.value.code == "role_required"


@pytest.mark.parametrize("decision", ["write_off", "retry"])
def test_an_after_sales_key_may_not_decide_a_finance_review_and_nothing_changes(ports, decision):
    refund_unconfirmed(ports)

    with pytest.raises(Forbidden) as refused:
        review_return("RT-1", {"decision": decision, "note": "paid by bank transfer"}, ANA, ports, NOW)

    assert refused.value.code == "role_required"
    assert untouched(ports)
    assert ports.returns.get("RT-1").review_queue == "finance"


def test_the_role_is_checked_before_the_decision_the_wait_allows(ports):
    refund_unconfirmed(ports)

    with pytest.raises(Forbidden):
        review_return("RT-1", APPROVE, ANA, ports, NOW)  # not a finance decision either: the role is said first

    assert untouched(ports)


@pytest.mark.parametrize("wait, decision", [("review", "approve"), ("review", "reject"), ("failure_review", "retry"),
                                            ("parcel", "reject")])
def test_a_finance_key_may_not_decide_an_after_sales_review_and_nothing_changes(ports, wait, decision):
    WAITS[wait](ports)

    with pytest.raises(Forbidden) as refused:
        review_return("RT-1", {"decision": decision, "note": "x"}, FIN, ports, NOW)

    assert refused.value.code == "role_required"
    assert untouched(ports)


def test_a_finance_key_may_not_keep_a_parcel_waiting(ports):
    parcel_in_trouble(ports)

    with pytest.raises(Forbidden):
        review_return("RT-1", {"decision": "keep_waiting", "note": "x"}, FIN, ports, NOW)

    assert ports.returns.get("RT-1").parcel_problem is not None and ports.audit.entries == []


def test_a_finance_key_lists_and_decides_the_finance_queue(ports):
    refund_unconfirmed(ports)

    [item] = queue_page("finance", 10, None, ports, who=FIN)[0]
    review_return("RT-1", {"decision": "write_off", "note": "paid by bank transfer"}, FIN, ports, NOW)

    assert item["return_id"] == "RT-1"
    assert ports.workflows.resumed == [("token-RT-1", {"decision": "write_off"})]
    assert [(entry["action"], entry["by"]) for entry in ports.audit.entries] == [("finance_review.write_off", "ana")]


@pytest.mark.parametrize("wait, decision, queue", [
    ("review", "approve", "product_quality"), ("failure_review", "retry", "failures"),
    ("finance_review", "write_off", "finance"), ("parcel", "reject", "logistics"),
])
def test_an_admin_key_lists_every_queue_and_decides_every_review(ports, wait, decision, queue):
    admin = staff(key_id="root")
    WAITS[wait](ports)

    [item] = queue_page(queue, 10, None, ports, who=admin)[0]
    review_return("RT-1", {"decision": decision, "note": "decided"}, admin, ports, NOW)

    assert item["return_id"] == "RT-1"
    assert ports.workflows.resumed == [("token-RT-1", {"decision": decision})]
    assert [(entry["action"], entry["by"]) for entry in ports.audit.entries] == [(f"{wait}.{decision}", "root")]


# The audit trail: each decision is one entry saying who, from where, when and what.

@pytest.mark.parametrize("wait, decision", [("review", "approve"), ("failure_review", "reject"),
                                            ("finance_review", "retry"), ("parcel", "keep_waiting")])
def test_each_decision_leaves_exactly_one_audit_entry_with_who_from_where_when_and_what(ports, wait, decision):
    WAITS[wait](ports)
    who = staff("finance" if wait == "finance_review" else "after_sales", key_id="rev-7", address="192.0.2.44")

    review_return("RT-1", {"decision": decision, "note": "decided"}, who, ports, NOW + timedelta(minutes=3))

    [entry] = ports.audit.entries
    assert (entry["subject"], entry["action"], entry["by"], entry["from"], entry["at"]) == (
        "return#RT-1", f"{wait}.{decision}", "rev-7", "192.0.2.44", "2026-11-22T08:03:00Z"
    )


def test_a_decision_that_came_too_late_is_still_on_the_audit_trail_once(ports):
    in_review(ports)
    ports.workflows.time_out("token-RT-1")

    with pytest.raises(Conflict):
        review_return("RT-1", APPROVE, ANA, ports, NOW)

    assert [(entry["action"], entry["by"]) for entry in ports.audit.entries] == [("review.approve", "ana")]
