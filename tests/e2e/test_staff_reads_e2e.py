"""The staff reads behind the ops console, over HTTP on the local cloud: a return's case view, search by return id,
order id or tracking number, and the dashboard's reports run by moto's Athena (with DuckDB) over the lake the
workflow wrote."""

import pytest

from tests.e2e.test_return_workflow_e2e import ask, order, parcel_and_inspection

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def refunded(cloud):
    cloud.deliver(order("TM-V1"), ask("RT-V1", "TM-V1"))
    cloud.wait_for_status("RT-V1", "awaiting_parcel")
    cloud.deliver(*parcel_and_inspection("RT-V1"))
    assert cloud.wait_for_end("RT-V1")["status"] == "SUCCEEDED"
    return "RT-V1"


def test_the_case_view_has_the_order_each_decision_the_tracking_the_refund_and_the_workflows_steps(cloud, refunded):
    status, case = cloud.staff("GET", f"/v1/returns/generic/{refunded}")

    assert status == 200, case
    assert (case["return_id"], case["shop"], case["standing"]["status"]) == (refunded, "generic", "refunded")
    assert case["order"]["order_id"] == "TM-V1" and case["order"]["lines"][0]["line_id"] == "L1"
    assert case["customer"] == {"customer_id": "C-TM-V1", "tier": case["customer"]["tier"]}
    [rules] = case["decisions"]
    assert (rules["by"], rules["code"], rules["policy_version"]) == ("rules", "APPROVED", rules["policy_version"])
    assert rules["facts"] and rules["at"]
    assert [c["status"] for c in case["tracking"]["checkpoints"]] == ["delivered"]
    assert case["inspection"]["items"] == [{"line_id": "L1", "accepted": 1, "deductions": []}]
    assert (case["refund"]["refund_id"], case["refund"]["payment_status"]) == ("RF-generic.RT-V1", "confirmed")
    states = [step["state"] for step in case["workflow"]]
    assert states[:2] == ["Start", "Verify"] and "DispatchRefund" in states and states[-1] == "Notify"


def test_an_unknown_return_is_a_404_and_a_bad_id_a_422_naming_it(cloud):
    assert cloud.staff("GET", "/v1/returns/generic/RT-NOPE")[0] == 404
    status, answer = cloud.staff("GET", "/v1/returns/generic/RT%20V1")
    assert status == 422 and answer["error"]["field"] == "return_id"


@pytest.mark.parametrize("text, matched", [("RT-V1", "return_id"), ("TM-V1", "order_id"), ("SF-RT-V1", "tracking_number")])
def test_search_finds_the_return_by_its_id_its_order_or_its_tracking_number(cloud, refunded, text, matched):
    status, found = cloud.staff("GET", f"/v1/returns?q={text}")

    assert status == 200, found
    assert [(item["shop"], item["return_id"], item["matched"]) for item in found["items"]] == [
        ("generic", refunded, matched)]


def test_a_search_without_what_to_look_for_is_a_422_naming_q(cloud):
    status, answer = cloud.staff("GET", "/v1/returns?q=")
    assert status == 422 and answer["error"]["field"] == "q"


def test_the_dashboards_reports_run_over_the_lake_the_workflow_wrote(cloud, refunded):
    status, catalog = cloud.staff("GET", "/v1/reports")
    assert status == 200 and "cycle_times" in [report["name"] for report in catalog["reports"]]

    status, report = cloud.staff("GET", "/v1/reports/zero_touch_by_shop")

    assert status == 200, report
    rows = [dict(zip(report["columns"], row)) for row in report["rows"]]
    generic = next(row for row in rows if row["shop"] == "generic")
    assert generic["returns"] >= 1 and 0 <= generic["zero_touch_rate"] <= 1
    assert report["chart"]["kind"] == "bar"


def test_a_report_parameter_that_is_wrong_is_a_422_and_an_unknown_report_a_404(cloud):
    status, answer = cloud.staff("GET", "/v1/reports/anomalies?threshold=-1")
    assert status == 422 and answer["error"]["field"] == "params.threshold"
    assert cloud.staff("GET", "/v1/reports/nope")[0] == 404
