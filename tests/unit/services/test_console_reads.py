"""The console's staff reads on the in-memory twins: a return's case view, search by return id, order id or
tracking number across shops, and the dashboard's reports."""

import pytest

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.returns import ReturnStatus
from chalicelib.ports.errors import Unavailable, UnknownSubject
from chalicelib.services.search_returns import search_returns
from chalicelib.services.show_reports import list_reports, show_report
from chalicelib.services.show_return import show_return
from tests.contract.records import a_checkpoint, a_ledger_record, a_return, account_after, an_order, at
from tests.unit.services.given import staff, twins


def stored(ports, return_id, order_id, customer_id, **fields):
    ports.orders.upsert(an_order(order_id, customer_id=customer_id), at(1))
    ports.returns.create(a_return(return_id, order_id=order_id, customer_id=customer_id, **fields))


def test_a_case_has_the_order_the_customer_each_decision_in_time_order_the_tracking_and_the_refund():
    ports = twins()
    stored(ports, "tmall/RT-1", "tmall/TM-1", "tmall/C-1", status=ReturnStatus.REFUNDED, refund_id="RF-tmall.RT-1",
           parcel={"carrier": "sf-express", "tracking_number": "SF1"},
           decision={"outcome": "manual", "code": "HIGH_VALUE", "facts": {}, "policy_version": "p1", "at": at(20, 9)},
           review={"decision": "approve", "note": "ok", "by": "ana", "at": at(20, 11), "queue": "product_quality"},
           finance_review={"decision": "retry", "note": None, "by": "fin", "at": at(20, 10)})
    ports.shipments.record("sf-express", "SF1", "b", a_checkpoint("delivered", at(22)), "tmall/RT-1")
    ports.shipments.record("sf-express", "SF1", "a", a_checkpoint("in_transit", at(21)), "tmall/RT-1")
    ports.ledger.issue(a_ledger_record("tmall/RT-1", "tmall/TM-1", refund_id="RF-tmall.RT-1"), account_after(1250), 0)
    ports.workflows.history["tmall.RT-1"] = [{"state": "Start", "entered_at": at(20), "left_at": at(20), "failed": False}]

    case = show_return("tmall/RT-1", staff("finance"), ports)

    assert (case["shop"], case["return_id"], case["order"]["order_id"], case["customer"]["customer_id"]) == (
        "tmall", "RT-1", "TM-1", "C-1")
    assert [(d["by"], d.get("code") or d.get("decision")) for d in case["decisions"]] == [
        ("rules", "HIGH_VALUE"), ("fin", "retry"), ("ana", "approve")]
    assert [c["status"] for c in case["tracking"]["checkpoints"]] == ["in_transit", "delivered"]
    assert case["refund"]["order_id"] == "TM-1" and case["refund"]["refund_id"] == "RF-tmall.RT-1"
    assert [step["state"] for step in case["workflow"]] == ["Start"]


def test_a_return_not_requested_is_no_case():
    with pytest.raises(UnknownSubject):
        show_return("tmall/RT-9", staff("after_sales"), twins())


def test_search_finds_a_return_id_in_every_shop_or_in_the_one_named():
    ports = twins()
    stored(ports, "tmall/RT-7", "tmall/TM-1", "tmall/C-1")
    stored(ports, "jd-acme/RT-7", "jd-acme/TM-2", "jd-acme/C-2")

    found = search_returns("RT-7", None, staff("after_sales"), ports)["items"]
    assert sorted((i["shop"], i["return_id"], i["matched"]) for i in found) == [
        ("jd-acme", "RT-7", "return_id"), ("tmall", "RT-7", "return_id")]
    assert [i["shop"] for i in search_returns("RT-7", "jd-acme", staff("after_sales"), ports)["items"]] == ["jd-acme"]


def test_search_by_order_id_finds_that_orders_returns_not_the_customers_others():
    ports = twins()
    stored(ports, "tmall/RT-1", "tmall/TM-1", "tmall/C-1")
    stored(ports, "tmall/RT-2", "tmall/TM-2", "tmall/C-1")

    found = search_returns("TM-1", None, staff("after_sales"), ports)["items"]
    assert [(i["return_id"], i["order_id"], i["matched"]) for i in found] == [("RT-1", "TM-1", "order_id")]


def test_search_by_tracking_number_finds_the_return_its_parcel_follows():
    ports = twins()
    stored(ports, "tmall/RT-1", "tmall/TM-1", "tmall/C-1")
    ports.shipments.record("zto", "ZT9", "a", a_checkpoint("in_transit", at(21)), "tmall/RT-1")
    ports.shipments.record("zto", "ZT8", "a", a_checkpoint("in_transit", at(21)), None)  # a parcel of no return

    assert [(i["return_id"], i["matched"]) for i in search_returns("ZT9", None, staff("after_sales"), ports)["items"]] == [
        ("RT-1", "tracking_number")]
    assert search_returns("ZT8", None, staff("after_sales"), ports)["items"] == []


def test_a_parcel_tracked_before_its_request_is_not_found_as_a_return():
    ports = twins()
    ports.shipments.record("zto", "ZT9", "a", a_checkpoint("in_transit", at(21)), "tmall/RT-1")
    ports.returns.record_tracking("tmall/RT-1", {"status": "in_transit"}, at(21))

    assert search_returns("RT-1", None, staff("after_sales"), ports)["items"] == []


def test_the_catalog_lists_every_report_with_its_chart_and_parameters():
    names = [report["name"] for report in list_reports(staff("after_sales"))["reports"]]
    anomalies = next(r for r in list_reports(staff("finance"))["reports"] if r["name"] == "anomalies")

    assert "cycle_times" in names and len(names) == len(set(names))
    assert [p["name"] for p in anomalies["parameters"]] == ["as_of", "threshold", "min_count"]


def test_a_report_answers_its_columns_and_rows_run_with_the_parameters_given():
    ports = twins()
    ports.reports.results["anomalies"] = (["kind", "item"], [("sku", "SHIRT-M")])

    answer = show_report("anomalies", {"threshold": "3"}, staff("after_sales"), ports)

    assert (answer["columns"], answer["rows"], answer["chart"]["kind"]) == (["kind", "item"], [["sku", "SHIRT-M"]], "bar")
    assert ports.reports.calls == [("anomalies", {"threshold": "3"})]


def test_an_unknown_report_is_not_found_and_a_bad_parameter_names_itself_before_anything_runs():
    ports = twins()
    with pytest.raises(UnknownSubject):
        show_report("nope", {}, staff("after_sales"), ports)
    with pytest.raises(InvalidInput) as refused:
        show_report("anomalies", {"min_count": "0"}, staff("after_sales"), ports)
    assert refused.value.field == "params.min_count" and ports.reports.calls == []


def test_a_report_the_engine_could_not_run_is_unavailable_not_an_error():
    ports = twins()
    ports.reports.failure = TimeoutError("Athena query q-1 still RUNNING after 20 s")

    with pytest.raises(Unavailable, match="still RUNNING"):
        show_report("cycle_times", {}, staff("after_sales"), ports)
