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
