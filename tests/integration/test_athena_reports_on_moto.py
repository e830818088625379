"""The reports on Athena (adapters/aws/athena_reports.py) on moto: started in the workgroup and database with the
parameters as Athena literals, polled (RUNNING, then SUCCEEDED) without sleeping, read page by page, typed, and a
failed, cancelled or overdue query said so.

moto does not run SQL: each query's result is seeded into its queue. moto 5.2.5 also answers GetQueryResults in
a single page and never fails a query, so `LikeAthena` pages moto's answer by MaxResults (the header row opening
the first page, as Athena does) and fails a query on demand with Athena's reason.
"""

import boto3
import pytest
from moto import mock_aws
from moto.athena.models import QueryResults, athena_backends
from moto.core import DEFAULT_ACCOUNT_ID
from moto.moto_api import state_manager

from chalicelib.adapters.aws.athena_reports import AthenaQueryFailed, AthenaQueryTimeout, AthenaReports
from chalicelib.domain.reports import LATEST_DAY_SQL, sql_text

REGION = "us-east-1"
WORKGROUP, DATABASE = "aftersales-reports", "aftersales_lake"
EXECUTION = "athena::execution"


class LikeAthena:
    """moto's client, paging GetQueryResults; the queries started while `failure` is set fail with it as the reason,
    those started while `cancel` is set are stopped at once (by moto's StopQueryExecution)."""

    def __init__(self, client, backend) -> None:
        self._client = client
        self._backend = backend
        self._reasons: dict[str, str] = {}
        self.failure: str | None = None
        self.cancel = False

    def __getattr__(self, name):
        return getattr(self._client, name)

    def start_query_execution(self, **request):
        started = self._client.start_query_execution(**request)
        if self.failure:
            self._backend.executions[started["QueryExecutionId"]].status = "FAILED"
            self._reasons[started["QueryExecutionId"]] = self.failure
        if self.cancel:
            self._client.stop_query_execution(QueryExecutionId=started["QueryExecutionId"])
        return started

    def get_query_execution(self, **request):
        answer = self._client.get_query_execution(**request)
        if request["QueryExecutionId"] in self._reasons:
            answer["QueryExecution"]["Status"]["StateChangeReason"] = self._reasons[request["QueryExecutionId"]]
        return answer

    def get_query_results(self, QueryExecutionId, MaxResults, NextToken="0"):  # noqa: N803 (boto3's names)
        whole = self._client.get_query_results(QueryExecutionId=QueryExecutionId)
        start, rows = int(NextToken), whole["ResultSet"]["Rows"]
        page = {"ResultSet": {**whole["ResultSet"], "Rows": rows[start:start + MaxResults]}}
        if start + MaxResults < len(rows):
            page["NextToken"] = str(start + MaxResults)
        return page


class FakeTime:
    """The adapter's clock and sleep: every sleep moves the clock on, and is remembered."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def athena(monkeypatch):
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    with mock_aws():
        client = boto3.client("athena", region_name=REGION)
        client.create_work_group(Name=WORKGROUP)
        backend = athena_backends[DEFAULT_ACCOUNT_ID][REGION]
        # Each execution moves on one state per GetQueryExecution: RUNNING on the first poll, SUCCEEDED on the next.
        state_manager.set_transition(model_name=EXECUTION, transition={"progression": "manual", "times": 1})
        try:
            yield LikeAthena(client, backend), backend
        finally:
            state_manager.unset_transition(EXECUTION)


def seed(backend, columns, rows):
    """The next query's result as Athena gives it: the header row first, every value text, NULL no value."""
    header = {"Data": [{"VarCharValue": name} for name, _ in columns]}
    data = [{"Data": [{} if value is None else {"VarCharValue": value} for value in row]} for row in rows]
    info = [{"Name": name, "Label": name, "Type": kind, "CatalogName": "hive", "SchemaName": DATABASE,
             "TableName": "", "Precision": 0, "Scale": 0, "Nullable": "UNKNOWN", "CaseSensitive": False}
            for name, kind in columns]
    backend.query_results_queue.append(QueryResults(rows=[header, *data], column_info=info))


def reports_on(client, time: FakeTime, timeout_seconds: float = 60.0) -> AthenaReports:
    return AthenaReports(client, WORKGROUP, DATABASE, timeout_seconds=timeout_seconds, poll_seconds=2.0,
                         sleep=time.sleep, clock=time.clock)


ANOMALY_COLUMNS = [("kind", "varchar"), ("scope", "varchar"), ("item", "varchar"), ("recent_events", "bigint"),
                   ("recent_base", "bigint"), ("recent_rate", "double"), ("baseline_events", "bigint"),
                   ("baseline_base", "bigint"), ("baseline_rate", "double"), ("ratio", "double")]


def test_a_report_is_started_waited_for_and_typed(athena):
    client, backend = athena
    seed(backend, ANOMALY_COLUMNS, [
        ("route", "dhl", "DE -> NL", "5", "10", "0.5", "0", "21", "0.0", None),
        ("sku", "shop-eu", "O'HARE-1", "6", "20", "0.3", "5", "100", "0.05", "6.0"),
    ])
    time = FakeTime()

    columns, rows = reports_on(client, time).run_report("anomalies", {"as_of": "2026-04-28", "min_count": 6})

    assert columns == [name for name, _ in ANOMALY_COLUMNS]
    assert rows == [
        ("route", "dhl", "DE -> NL", 5, 10, 0.5, 0, 21, 0.0, None),
        ("sku", "shop-eu", "O'HARE-1", 6, 20, 0.3, 5, 100, 0.05, 6.0),
    ]
    assert time.sleeps == [2.0]  # RUNNING once, then SUCCEEDED
    (execution_id,) = client.list_query_executions(WorkGroup=WORKGROUP)["QueryExecutionIds"]
    started = client.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]
    assert started["Query"] == sql_text("anomalies")
    assert started["QueryExecutionContext"] == {"Database": DATABASE}
    assert started["ExecutionParameters"] == ["'2026-04-28'", "'2026-04-28'", "6", "2.0"]


def test_the_as_of_day_defaults_to_the_latest_dt_asked_of_athena(athena):
    client, backend = athena
    seed(backend, [("latest_day", "varchar")], [("2026-04-29",)])
    seed(backend, ANOMALY_COLUMNS, [])

    assert reports_on(client, FakeTime()).run_report("anomalies") == ([name for name, _ in ANOMALY_COLUMNS], [])

    executions = [client.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]
                  for execution_id in client.list_query_executions(WorkGroup=WORKGROUP)["QueryExecutionIds"]]
    assert [execution["Query"] for execution in executions] == [LATEST_DAY_SQL, sql_text("anomalies")]
    assert "ExecutionParameters" not in executions[0]  # none, not an empty list (which Athena refuses)
    assert executions[1]["ExecutionParameters"] == ["'2026-04-29'", "'2026-04-29'", "5", "2.0"]


def test_results_over_several_pages_are_read_whole(athena):
    client, backend = athena
    # 2,500 refunds + the header: pages of 1,000, 1,000 and 501 rows; only the first opens with the header.
    seed(backend, [("paid_day", "varchar"), ("refunds", "bigint")], [(f"day-{n:04}", str(n)) for n in range(2500)])

    columns, rows = reports_on(client, FakeTime()).run_report("refunds_by_day")

    assert columns == ["paid_day", "refunds"]
    assert rows == [(f"day-{n:04}", n) for n in range(2500)]


def test_a_failed_query_raises_with_athenas_reason(athena):
    client, _ = athena
    client.failure = "COLUMN_NOT_FOUND: line 3:12: Column 'sku' cannot be resolved"

    with pytest.raises(AthenaQueryFailed) as failed:
        reports_on(client, FakeTime()).run_report("returns_by_sku")

    assert failed.value.state == "FAILED"
    assert failed.value.reason == client.failure
    assert str(failed.value) == f"Athena query {failed.value.execution_id} FAILED: {client.failure}"


def test_a_query_past_its_deadline_is_stopped(athena):
    client, backend = athena
    state_manager.set_transition(model_name=EXECUTION, transition={"progression": "manual", "times": 1000})
    time = FakeTime()

    with pytest.raises(AthenaQueryTimeout, match="still QUEUED after 5 s"):
        reports_on(client, time, timeout_seconds=5).run_report("cycle_times")

    assert time.sleeps == [2.0, 2.0, 2.0]  # polled at 0, 2, 4 and 6 s: past the deadline at 6
    (execution,) = backend.executions.values()
    assert execution.status == "CANCELLED"


def test_a_cancelled_query_says_so(athena):
    client, _ = athena
    client.cancel = True

    with pytest.raises(AthenaQueryFailed, match="CANCELLED: Athena gave no reason"):
        reports_on(client, FakeTime()).run_report("cycle_times")
