"""Athena for the local cloud: moto keeps query executions but runs no SQL, so a query started on it is run here
by DuckDB over the local lake (what LakeDelivery wrote to the analytics bucket), and its rows kept as moto's
query results. The staff API's Athena adapter then starts, polls and pages the query exactly as on AWS.

Athena puts each execution parameter into the text as the literal it is given; here the literals are read back
into values for DuckDB's `?` marks. A query DuckDB refuses ends FAILED.
"""

import tempfile
import threading
from pathlib import Path

from moto.athena import models

from localcloud.lake_delivery import LakeDelivery
from localcloud.lake_reports import connect

_ATHENA_TYPES = {"VARCHAR": "varchar", "BIGINT": "bigint", "INTEGER": "integer", "HUGEINT": "bigint",
                 "DOUBLE": "double", "FLOAT": "float", "BOOLEAN": "boolean", "DATE": "date"}


class LakeQueries:
    """The local lake as DuckDB holds it, loaded again only when the delivery wrote more rows."""

    def __init__(self, lake: LakeDelivery) -> None:
        self._lake = lake
        self._lock = threading.Lock()
        self._loaded_at: int | None = None
        self._connection = None
        self._dir = tempfile.TemporaryDirectory(prefix="aftersales-lake-")

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def run(self, sql: str, parameters: list[str]) -> tuple[list[dict], list[dict]]:
        with self._lock:
            self._lake.flush()
            delivered = self._lake.delivered  # before the dump: rows delivered during it are loaded again next time
            if self._loaded_at != delivered:
                into = Path(self._dir.name) / str(delivered)
                self._lake.dump(into)
                self.close()
                self._connection = connect(into)
                self._loaded_at = delivered
            cursor = self._connection.execute(sql, [_value(literal) for literal in parameters])
            names = [column[0] for column in cursor.description]
            info = [{"Name": name, "Label": name, "Type": _ATHENA_TYPES.get(str(column[1]).split("(")[0], "varchar")}
                    for name, column in zip(names, cursor.description)]
            rows = [{"Data": [{"VarCharValue": name} for name in names]}]
            rows += [{"Data": [_cell(value) for value in found]} for found in cursor.fetchall()]
            return rows, info


def run_athena_queries_on(lake: LakeDelivery):
    """From now on, every query started on moto's Athena runs over this lake; call what it answers to stop."""
    queries = LakeQueries(lake)
    stored = models.AthenaBackend._store_predefined_query_results

    def store_results(backend, exec_id: str) -> None:
        stored(backend, exec_id)
        if exec_id in backend.query_results:
            return
        execution = backend.executions[exec_id]
        try:
            rows, info = queries.run(execution.query, execution.execution_parameters or [])
        except Exception:  # noqa: BLE001 - any refusal of DuckDB's is the query's failure, as Athena reports it
            execution.status = "FAILED"
            return
        backend.query_results[exec_id] = models.QueryResults(rows, info)

    models.AthenaBackend._store_predefined_query_results = store_results

    def restore() -> None:
        models.AthenaBackend._store_predefined_query_results = stored
        queries.close()

    return restore


def _value(literal: str):
    if literal == "NULL":
        return None
    if literal.startswith("'") and literal.endswith("'"):
        return literal[1:-1].replace("''", "'")
    return float(literal) if any(mark in literal for mark in ".eE") else int(literal)


def _cell(value) -> dict:
    if value is None:
        return {}
    return {"VarCharValue": ("true" if value else "false") if isinstance(value, bool) else str(value)}
