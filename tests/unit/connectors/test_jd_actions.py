"""The JD connector's pure parts: our inspection as receive.register's states, the ledger key our approval writes
in a refund application's remark (how a service order's money is known as ours), and which application of an
order pays a service order."""

from decimal import Decimal
from types import SimpleNamespace

import pytest

from chalicelib.connectors.jd.actions import application_of, receipt_of
from chalicelib.connectors.jd.hydrate import ledger_keys, paid_return
from chalicelib.ports.errors import PaymentDeclined

KEY = "RF-jd-acme.service-9007199254742001"
ISSUED = SimpleNamespace(refund_id=KEY, total_minor=5990)


def application(number: int, status: int, amount: str = "59.9", remark: str = "") -> dict:
    return {"id": number, "orderId": 9007199254740993, "status": status, "applyRefundSum": Decimal(amount),
            "checkRemark": remark}


# --- the receipt -------------------------------------------------------------------------------------------------

def test_goods_back_as_sold_are_registered_as_expected():
    receipt = receipt_of({"items": [{"line_id": "L1", "accepted": 1, "deductions": []}]})

    assert {key: receipt[key] for key in ("packingState", "qualityState", "accessoryOrGift", "judgmentReason")} == {
        "packingState": 10, "qualityState": 10, "accessoryOrGift": 10, "judgmentReason": 1}
    assert receipt["receiveRemark"] == "inspected: L1: 1 accepted"


@pytest.mark.parametrize("code, flawed", [
    ("scuffed_box", "packingState"), ("damaged_packaging", "packingState"), ("missing_accessory", "accessoryOrGift"),
    ("scratch", "qualityState"), ("buyer_damage", "qualityState"),
])
def test_each_deduction_marks_what_it_names(code, flawed):
    deducted = {"line_id": "L1", "accepted": 1, "deductions": [{"code": code, "amount": "5.00"}]}
    receipt = receipt_of({"items": [deducted]})

    assert [key for key in ("packingState", "qualityState", "accessoryOrGift") if receipt[key] == 20] == [flawed]
    assert receipt["judgmentReason"] == 2 and f"{code} -5.00" in receipt["receiveRemark"]


def test_goods_refused_at_inspection_and_a_kept_gift_are_not_as_expected():
    receipt = receipt_of({"items": [{"line_id": "L1", "accepted": 0}], "kept_gifts": ["G1"]})

    assert (receipt["qualityState"], receipt["accessoryOrGift"], receipt["packingState"]) == (20, 20, 10)


def test_the_remark_stays_within_jds_length():
    lines = [{"line_id": f"LINE-{i}", "accepted": 1, "deductions": [{"code": "scratch", "amount": "1.00"}]}
             for i in range(40)]

    assert len(receipt_of({"items": lines})["receiveRemark"]) == 200


# --- our key in the remark ---------------------------------------------------------------------------------------

def test_the_remark_names_the_return_a_refund_application_pays():
    paid = application(1, 1, remark=f"aftersales {KEY}")

    assert ledger_keys(paid) == [KEY]
    assert paid_return(paid, "jd-acme") == "service-9007199254742001"
    assert paid_return(paid, "jd-beta") is None  # another shop's key names none of this shop's returns


@pytest.mark.parametrize("remark", ["", "同意取消", "RF-jd-acme.order-1", "RF-jd-acme.service-", "RF-JD.service-1"])
def test_a_remark_without_our_key_names_no_return(remark):
    assert ledger_keys(application(1, 1, remark=remark)) == [] and paid_return(application(1, 1, remark=remark),
                                                                                "jd-acme") is None


# --- which application pays a service order ---------------------------------------------------------------------

def test_the_application_our_approval_named_is_ours_whatever_its_status():
    ours = application(3, 1, remark=f"aftersales {KEY}")
    prefix = application(2, 1, remark=f"aftersales {KEY}1")  # another return whose id starts like ours

    assert application_of([application(1, 0), prefix, ours], ISSUED, "9007199254742001") is ours


def test_a_pending_application_of_our_amount_is_taken_before_another_pending_one():
    other, same = application(1, 0, amount="19.9"), application(2, 0)

    assert application_of([other, same], ISSUED, "1") is same
    assert application_of([other], ISSUED, "1") is other  # its amount is then refused (amount_differs)


def test_an_application_another_return_of_ours_claims_or_refused_is_not_this_ones():
    claimed = application(1, 0, remark="aftersales RF-jd-acme.service-77")
    refused, withdrawn = application(2, 2), application(3, 11)

    assert application_of([claimed, refused, withdrawn], ISSUED, "1") is None  # JD has not opened ours yet


@pytest.mark.parametrize("status", [1, 3, 6, 9])
def test_an_application_answered_without_us_is_for_a_person_not_paid_again(status):
    with pytest.raises(PaymentDeclined) as declined:
        application_of([application(1, status)], ISSUED, "9007199254742001")

    assert declined.value.code == "refunded_by_marketplace" and KEY in declined.value.message
