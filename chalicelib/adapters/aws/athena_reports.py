"""The analytics reports on Athena (engine v3) over the Glue tables of the lake: the same SQL text as DuckDB runs.

A query is started, polled until it ends or its deadline passes (then stopped, so it costs nothing more), and
its result read page by page. Athena substitutes each execution parameter into the text as written, so a string
goes as a quoted SQL literal. Values come back as text; they are typed here by the column types Athena reports,
so a report's rows look the same from both runners.
"""

import time
from collections.abc import Callable, Sequence
from decimal import Decimal

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.domain.reports import LATEST_DAY_SQL, report, sql_text

DONE_BADLY = ("FAILED", "CANCELLED")
PAGE_SIZE = 1000  # the most GetQueryResults returns at once
_TYPES: dict[str, Callable[[str], object]] = {
    "tinyint": int, "smallint": int, "integer": int, "bigint": int,
    "real": float, "float": float, "double": float, "decimal": Decimal,
    "boolean": lambda text: text == "true",
}


class AthenaQueryFailed(RuntimeError):
    """Athena ended the query FAILED or CANCELLED; the message names its reason."""

    def __init__(self, execution_id: str, state: str, reason: str | None) -> None:
        super().__init__(f"Athena query {execution_id} {state}: {reason or 'Athena gave no reason'}")
        self.execution_id = execution_id
        self.state = state
        self.reason = reason


class AthenaQueryTimeout(TimeoutError):
    """The query had not ended by its deadline; it was stopped."""


class AthenaReports:
    def __init__(
        self,
        athena_client,
        workgroup: str,
        database: str,
        *,
        timeout_seconds: float = 300.0,
        poll_seconds: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._athena = athena_client
        self._workgroup = workgroup
        self._database = database
        self._timeout = timeout_seconds
        self._poll = poll_seconds
        self._sleep = sleep
        self._clock = clock

    def run_report(self, name: str, params: dict | None = None) -> tuple[list[str], list[tuple]]:
        """The report's columns and rows; a day parameter left None is the lake's latest dt (one query more)."""
        deadline = self._clock() + self._timeout  # one for the report, however many queries it takes
        try:
            values = report(name).bind(params, lambda: self.query(LATEST_DAY_SQL, deadline=deadline)[1][0][0])
            return self.query(sql_text(name), values, deadline)
        except (ClientError, BotoCoreError) as error:  # throttled, refused, unreachable: Athena did not run it
            raise AthenaQueryFailed("-", "NOT_RUN", str(error)) from None

    def query(
        self, sql: str, parameters: Sequence[str | float | int | None] = (), deadline: float | None = None,
    ) -> tuple[list[str], list[tuple]]:
        execution_id = self._start(sql, parameters)
        self._wait(execution_id, self._clock() + self._timeout if deadline is None else deadline)
        return self._results(execution_id)

    def _start(self, sql: str, parameters: Sequence[str | float | int | None]) -> str:
        request = {
            "QueryString": sql, "QueryExecutionContext": {"Database": self._database}, "WorkGroup": self._workgroup,
        }
        if parameters:  # Athena refuses an empty list
            request["ExecutionParameters"] = [sql_literal(value) for value in parameters]
        return self._athena.start_query_execution(**request)["QueryExecutionId"]

    def _wait(self, execution_id: str, deadline: float) -> None:
        while True:
            status = self._athena.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]["Status"]
            state = status["State"]
            if state == "SUCCEEDED":
                return
            if state in DONE_BADLY:
                reason = status.get("StateChangeReason") or status.get("AthenaError", {}).get("ErrorMessage")
                raise AthenaQueryFailed(execution_id, state, reason)
            if self._clock() >= deadline:
                self._athena.stop_query_execution(QueryExecutionId=execution_id)
                raise AthenaQueryTimeout(f"Athena query {execution_id} still {state} after {self._timeout:g} s")
            self._sleep(self._poll)

    def _results(self, execution_id: str) -> tuple[list[str], list[tuple]]:
        """Every page's rows, less the header row that opens the first page."""
        page = self._athena.get_query_results(QueryExecutionId=execution_id, MaxResults=PAGE_SIZE)
        info = page["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]
        typers = [_TYPES.get(column["Type"].lower(), str) for column in info]
        found = page["ResultSet"]["Rows"][1:]
        rows: list[tuple] = []
        while True:
            rows.extend(
                tuple(typer(cell["VarCharValue"]) if "VarCharValue" in cell else None
                      for typer, cell in zip(typers, row["Data"]))
                for row in found
            )
            if not page.get("NextToken"):
                return [column["Name"] for column in info], rows
            page = self._athena.get_query_results(
                QueryExecutionId=execution_id, MaxResults=PAGE_SIZE, NextToken=page["NextToken"]
            )
            found = page["ResultSet"]["Rows"]


def sql_literal(value: str | float | int | None) -> str:
    """An execution parameter as Athena wants it: the literal it puts in place of the `?`."""
    if value is None:
        return "NULL"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return repr(value)
