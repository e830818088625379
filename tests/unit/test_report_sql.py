"""The reports' SQL (analytics/*.sql) and their catalog (domain/reports.py): every text reads alike as DuckDB and as
Athena (Trino) SQL, uses only functions both engines have with one meaning, puts its `?` marks where Athena takes
them, opens with the header the catalog describes, and charts columns it has."""

from pathlib import Path

import pytest
import sqlglot
from sqlglot import ErrorLevel, exp

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.reports import ANALYTICS_DIR, LATEST_DAY_SQL, REPORTS, report, sql_text

DIALECTS = ("duckdb", "athena", "trino")
# Functions DuckDB and Trino both have with the same meaning (as sqlglot names them). Not here on purpose: concat
# (DuckDB skips NULLs; the operator `||` is NULL in both), approx_percentile and quantile (one engine each).
COMMON_FUNCTIONS = {
    "CAST", "CEIL", "COALESCE", "COUNT", "DATEDIFF", "MAX", "MIN", "NULLIF", "ROUND", "ROW_NUMBER", "SUM",
}
NAMES = sorted(REPORTS)


def parsed(name: str, dialect: str) -> list[exp.Expression]:
    return sqlglot.parse(sql_text(name), read=dialect, error_level=ErrorLevel.RAISE)


def test_the_sql_files_are_the_catalog():
    assert ANALYTICS_DIR == Path(__file__).resolve().parents[2] / "analytics"
    assert sorted(path.stem for path in ANALYTICS_DIR.glob("*.sql")) == NAMES


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("name", NAMES)
def test_each_report_is_one_statement_in_each_dialect(name, dialect):
    statements = parsed(name, dialect)
    assert len(statements) == 1 and isinstance(statements[0], exp.Query)


@pytest.mark.parametrize("name", NAMES + ["latest day"])
def test_only_functions_both_engines_have(name):
    text = LATEST_DAY_SQL if name == "latest day" else sql_text(name)
    for dialect in DIALECTS:
        used = {
            node.sql_name()
            for node in sqlglot.parse_one(text, read=dialect).find_all(exp.Func)
            if not isinstance(node, (exp.Connector, exp.Case, exp.If, exp.Anonymous))
        }
        unknown = {node.name for node in sqlglot.parse_one(text, read=dialect).find_all(exp.Anonymous)}
        assert used <= COMMON_FUNCTIONS and not unknown, (dialect, used - COMMON_FUNCTIONS, unknown)


@pytest.mark.parametrize("name", NAMES)
def test_the_header_says_title_question_and_parameters(name):
    entry = REPORTS[name]
    title, question, parameters = sql_text(name).splitlines()[:3]
    assert title == f"-- Title: {entry.title}"
    assert question == f"-- Question: {entry.question}"
    if entry.placeholders:
        assert parameters == f"-- Parameters, in the order of the ? marks: {', '.join(entry.placeholders)}."
        for parameter in entry.parameters:
            assert f"--   {parameter.name} " in sql_text(name)
    else:
        assert parameters == "-- Parameters: none."


@pytest.mark.parametrize("name", NAMES)
def test_placeholders_match_and_sit_in_where_clauses_as_athena_requires(name):
    entry = REPORTS[name]
    for dialect in DIALECTS:
        marks = list(parsed(name, dialect)[0].find_all(exp.Placeholder))
        assert len(marks) == len(entry.placeholders)
        assert all(mark.find_ancestor(exp.Where) is not None for mark in marks)
    assert set(entry.placeholders) == {parameter.name for parameter in entry.parameters}


@pytest.mark.parametrize("name", NAMES)
def test_the_chart_names_output_columns(name):
    chart = REPORTS[name].chart
    columns = parsed(name, "trino")[0].named_selects
    assert {chart.x, *chart.y, *([chart.series] if chart.series else [])} <= set(columns)
    assert chart.kind in ("bar", "line") and chart.y


def test_anomaly_defaults_and_the_latest_day_only_when_needed():
    asked = []

    def latest_day():
        asked.append(True)
        return "2026-04-29"

    anomalies = report("anomalies")
    assert {p.name: p.default for p in anomalies.parameters} == {"as_of": None, "threshold": 2.0, "min_count": 5}
    assert anomalies.bind(None, latest_day) == ["2026-04-29", "2026-04-29", 5, 2.0]
    assert anomalies.bind({"as_of": "2026-04-01", "threshold": "1.5", "min_count": 3}, latest_day) == [
        "2026-04-01", "2026-04-01", 3, 1.5,
    ]
    assert len(asked) == 1
    assert report("cycle_times").bind(None, latest_day) == [] and len(asked) == 1


@pytest.mark.parametrize(
    "params, field",
    [
        ({"as_of": "2026-4-1"}, "params.as_of"),
        ({"as_of": "2026-02-30"}, "params.as_of"),
        ({"threshold": 0}, "params.threshold"),
        ({"threshold": "a lot"}, "params.threshold"),
        ({"min_count": 0}, "params.min_count"),
        ({"min_count": 2.5}, "params.min_count"),
        ({"min_count": True}, "params.min_count"),
        ({"min_count": None}, "params.min_count"),
        ({"since": "2026-04-01"}, "params.since"),
    ],
)
def test_bad_parameters_are_refused_by_name(params, field):
    with pytest.raises(InvalidInput) as refused:
        report("anomalies").bind(params, lambda: "2026-04-29")
    assert refused.value.field == field


def test_an_unknown_report_is_refused():
    with pytest.raises(InvalidInput) as refused:
        report("returns_by_colour")
    assert refused.value.code == "unknown_report"
