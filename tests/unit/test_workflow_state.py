"""Reading where a return stands: what resumes a parked task, the closing outcome, the failed step."""

import pytest

from chalicelib.domain.returns import Return
from chalicelib.domain.review import problem_type
from chalicelib.domain.workflow_state import closing_outcome, failed_step


@pytest.mark.parametrize(
    "record, expected",
    [
        ({"waiting_for": "parcel"}, None),
        ({"waiting_for": "parcel", "parcel": {"status": "in_transit"}}, None),
        ({"waiting_for": "parcel", "parcel": {"status": "delivered"}}, {"decision": "arrived", "arrived": "delivered"}),
        ({"waiting_for": "parcel", "inspection": {"items": []}}, {"decision": "arrived", "arrived": "inspected"}),
        ({"waiting_for": "inspection", "parcel": {"status": "delivered"}}, None),
        ({"waiting_for": "inspection", "inspection": {"items": []}, "inspected_at": "T"}, {"inspected_at": "T"}),
        ({"waiting_for": "review", "review": {"decision": "approve"}}, {"decision": "approve"}),
        ({"waiting_for": "review", "decision": {"code": "EVIDENCE_REQUIRED"}}, None),
        ({"waiting_for": "review", "decision": {"code": "EVIDENCE_REQUIRED"}, "added_evidence": ["u"]},
         {"decision": "reverify"}),
        ({"waiting_for": "review", "decision": {"code": "HIGH_VALUE"}, "evidence_urls": ["u"]}, None),
        ({"waiting_for": "failure_review"}, None),
        ({"waiting_for": "hold"}, None),
        ({"waiting_for": "parcel", "parcel_review": {"decision": "reject"}}, {"decision": "reject"}),
        ({"waiting_for": "parcel", "parcel_review": {"decision": "keep_waiting"}}, None),
        ({"waiting_for": "hold", "hold_answer": {"outcome": "already_shipped"}}, {"outcome": "already_shipped"}),
        ({"waiting_for": "failure_review", "failure_review": {"decision": "retry"}}, {"decision": "retry"}),
        ({"parcel": {"status": "delivered"}}, None),
    ],
)
def test_wait_result(record, expected):
    assert Return(return_id="RT-1", **record).wait_result() == expected


@pytest.mark.parametrize(
    "state, outcome",
    [
        ({"verification": {"decision": "reject"}}, "rejected"),
        ({"verification": {"decision": "manual"}, "review": {"decision": "reject"}}, "rejected"),
        ({"verification": {"decision": "return"}, "expired": {"Error": "States.Timeout"}}, "expired"),
        ({"verification": {"decision": "return"}, "refund": {"outcome": "rejected_at_inspection"}}, "rejected_at_inspection"),
        ({"verification": {"decision": "return"}, "refund": {"outcome": "refund"}, "dispatch": {"payment": "confirmed"}}, "refunded"),
        ({"verification": {"decision": "return"}, "refund": {"outcome": "refund"}, "dispatch": {"payment": "dry_run"}},
         "dry_run_refunded"),
        # The provider never confirmed: finance wrote it off, or retried and the next round was confirmed.
        ({"verification": {"decision": "return"}, "refund": {"outcome": "refund"}, "dispatch": {"payment": "failed"},
          "finance_review": {"decision": "write_off"}}, "refund_written_off"),
        ({"verification": {"decision": "return"}, "refund": {"outcome": "refund"}, "dispatch": {"payment": "confirmed"},
          "finance_review": {"decision": "retry"}}, "refunded"),
        ({"verification": {"decision": "return"}, "refund": {"outcome": "refund"}, "failure_review": {}}, "rejected"),
        ({"verification": {"decision": "manual"}, "expired": {"Error": "States.Timeout"}}, "expired"),
        ({"verification": {"decision": "return"}, "parcel": {"decision": "reject"}}, "rejected"),
    ],
)
def test_closing_outcome(state, outcome):
    assert closing_outcome(state) == outcome


@pytest.mark.parametrize(
    "state, step",
    [
        ({}, "Verify"),
        ({"verification": {"decision": "reject"}}, "DeclineInMarketplace"),
        ({"verification": {"decision": "reject"}, "marketplace": {}}, "Notify"),
        ({"verification": {"decision": "cancel"}}, "HoldShipment"),
        ({"verification": {"decision": "cancel"}, "hold": {}}, "AwaitHold"),
        ({"verification": {"decision": "cancel"}, "hold": {}, "hold_answer": {"outcome": "held"}}, "CalculateRefund"),
        ({"verification": {"decision": "cancel"}, "hold": {}, "hold_answer": {"outcome": "already_shipped"}},
         "AwaitParcel"),
        ({"verification": {"decision": "return"}}, "ApproveInMarketplace"),
        ({"verification": {"decision": "return"}, "marketplace": {}}, "AwaitParcel"),
        ({"verification": {"decision": "return"}, "marketplace": {}, "parcel": {}}, "AwaitInspection"),
        ({"verification": {"decision": "return"}, "marketplace": {}, "parcel": {"decision": "reject"}}, "Notify"),
        ({"verification": {"decision": "return"}, "expired": {}}, "Notify"),
        ({"verification": {"decision": "manual"}}, "AwaitReview"),
        ({"verification": {"decision": "manual"}, "expired": {}}, "DeclineInMarketplace"),
        ({"verification": {"decision": "manual"}, "expired": {}, "marketplace": {}}, "Notify"),
        ({"verification": {"decision": "manual"}, "review": {"decision": "reject"}}, "DeclineInMarketplace"),
        ({"verification": {"decision": "manual"}, "review": {"decision": "reject"}, "marketplace": {}}, "Notify"),
        ({"verification": {"decision": "manual"}, "review": {"decision": "approve"}}, "ApproveInMarketplace"),
        ({"verification": {"decision": "manual"}, "review": {"decision": "approve"}, "marketplace": {}}, "AwaitParcel"),
        ({"verification": {"decision": "return"}, "marketplace": {}, "parcel": {}, "inspection": {},
          "refund": {"outcome": "refund"}}, "DispatchRefund"),
        ({"verification": {"decision": "return"}, "marketplace": {}, "parcel": {}, "inspection": {},
          "refund": {"outcome": "nothing_to_refund"}}, "Notify"),
    ],
)
def test_failed_step_is_the_first_step_on_the_path_without_a_result(state, step):
    assert failed_step(state) == step


@pytest.mark.parametrize(
    "reason, queue",
    [("damaged_in_transit", "logistics"), ("quality_issue", "product_quality"), ("wrong_item", "product_quality"),
     ("missing_parts", "product_quality"), ("not_as_described", "product_quality"), ("changed_mind", "service"),
     ("other", "service")],
)
def test_problem_type_routes_to_the_review_queue(reason, queue):
    assert problem_type(reason) == queue


REFUND_ONLY = {"resolution": "refund_only", "waiting_for": "parcel"}


@pytest.mark.parametrize(
    "record, expected",
    [
        ({}, None),
        ({"parcel": {"status": "in_transit"}}, None),
        ({"parcel": {"status": "returned_to_sender"}}, {"decision": "refund", "because": "returned_to_sender"}),
        ({"inspection": {"items": []}}, {"decision": "refund", "because": "received"}),
        ({"parcel": {"status": "delivered"}}, {"decision": "delivered"}),
        ({"parcel": {"status": "delivered"}, "review": {"decision": "approve"}},
         {"decision": "refund", "because": "approved"}),
        ({"review": {"decision": "approve"}}, {"decision": "refund", "because": "approved"}),
        ({"parcel": {"status": "exception"}, "parcel_review": {"decision": "reject"}}, {"decision": "reject"}),
    ],
)
def test_wait_result_of_a_refund_only_request_is_its_outbound_parcel_s_fate(record, expected):
    assert Return(return_id="RT-1", **REFUND_ONLY, **record).wait_result() == expected


@pytest.mark.parametrize(
    "hold_answer, kind",
    [(None, "refund_only"), ({"outcome": "held"}, "cancel"), ({"outcome": "already_shipped"}, "refund_only")],
)
def test_a_refund_only_request_is_quoted_as_one_unless_it_was_held_before_shipment(hold_answer, kind):
    record = Return(return_id="RT-1", kind="return", resolution="refund_only", hold_answer=hold_answer)
    assert record.refund_kind == kind


@pytest.mark.parametrize(
    "state, outcome",
    [
        ({"verification": {"decision": "refund"}, "refund": {"outcome": "refund"},
          "dispatch": {"payment": "confirmed"}}, "refunded"),
        ({"verification": {"decision": "intercept"}, "parcel": {"decision": "refund"}, "refund": {"outcome": "refund"},
          "dispatch": {"payment": "confirmed"}}, "refunded"),
        ({"verification": {"decision": "intercept"}, "parcel": {"decision": "delivered"},
          "review": {"decision": "reject"}}, "rejected"),
        ({"verification": {"decision": "intercept"}, "parcel": {"decision": "delivered"}, "expired": {}}, "expired"),
        ({"verification": {"decision": "intercept"}, "expired": {}}, "expired"),
    ],
)
def test_closing_outcome_of_a_refund_only_request(state, outcome):
    assert closing_outcome(state) == outcome


INTERCEPT = {"verification": {"decision": "intercept"}}
DELIVERED_ANYWAY = {**INTERCEPT, "interception": {}, "parcel": {"decision": "delivered"}}


@pytest.mark.parametrize(
    "state, step",
    [
        ({"verification": {"decision": "refund"}}, "ApproveRefundOnly"),
        ({"verification": {"decision": "refund"}, "marketplace": {}}, "CalculateRefund"),
        (INTERCEPT, "InterceptParcel"),
        ({**INTERCEPT, "interception": {}}, "AwaitParcel"),
        ({**INTERCEPT, "interception": {}, "parcel": {"decision": "refund"}}, "CalculateRefund"),
        ({**INTERCEPT, "interception": {}, "parcel": {"decision": "reject"}}, "Notify"),
        ({**INTERCEPT, "interception": {}, "expired": {}}, "Notify"),
        (DELIVERED_ANYWAY, "AwaitReview"),
        ({**DELIVERED_ANYWAY, "review": {"decision": "reject"}}, "DeclineInMarketplace"),
        ({**DELIVERED_ANYWAY, "expired": {}}, "DeclineInMarketplace"),
        ({**DELIVERED_ANYWAY, "review": {"decision": "approve"}}, "ApproveInMarketplace"),
        ({**DELIVERED_ANYWAY, "review": {"decision": "approve"}, "marketplace": {}, "parcel": {"decision": "refund"}},
         "CalculateRefund"),
        ({"verification": {"decision": "manual"}, "review": {"decision": "approve"}, "marketplace": {},
          "parcel": {"decision": "refund"}}, "CalculateRefund"),
        ({"verification": {"decision": "cancel"}, "hold": {}, "hold_answer": {"outcome": "already_shipped"},
          "parcel": {"decision": "refund"}}, "CalculateRefund"),
    ],
)
def test_failed_step_of_a_refund_only_request(state, step):
    assert failed_step(state) == step


def test_a_failure_declining_goods_that_failed_the_inspection_is_that_steps():
    from chalicelib.domain.workflow_state import failed_step

    state = {"verification": {"decision": "return"}, "marketplace": {}, "parcel": {}, "inspection": {},
             "refund": {"outcome": "rejected_at_inspection"}}
    assert failed_step(state) == "DeclineAfterInspection"
    assert failed_step({**state, "marketplace_rejection": {}}) == "Notify"
