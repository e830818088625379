"""The analytics reports: what each answers, its parameters and how to chart it; the SQL is analytics/<name>.sql.

One SQL text per report runs unchanged on DuckDB (localcloud/lake_reports.py) and on Athena
(adapters/aws/athena_reports.py), so the runners share this catalog: the text, and `bind`, which turns a caller's
parameters into the values of the text's positional `?` marks. Athena takes `?` only in WHERE clauses and a
report may use one parameter at several marks, hence `placeholders`, the parameter of each mark in order.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Literal

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.lake import TABLES

# analytics/ sits at the repo root beside chalicelib/, in the checkout and in the Lambda bundle alike.
ANALYTICS_DIR = Path(__file__).resolve().parents[2] / "analytics"

# The day an as-of parameter left as None stands for: the latest partition of any lake table (NULL when empty).
LATEST_DAY_SQL = "SELECT max(dt) AS latest_day FROM (\n" + "\n    UNION ALL\n".join(
    f"    SELECT max(dt) AS dt FROM {table}" for table in TABLES
) + "\n) AS days"


MAX_COUNT = 2**63 - 1  # a BIGINT, in both engines


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    kind: Literal["day", "ratio", "count"]  # 'YYYY-MM-DD' (compared with dt), a number > 0, a whole number >= 1
    default: str | float | int | None  # None: the runner fills it (a day: the latest dt in the lake)
    description: str


@dataclass(frozen=True, slots=True)
class Chart:
    kind: Literal["bar", "line"]
    x: str
    y: tuple[str, ...]
    series: str | None = None  # a column whose values are drawn as separate bars or lines


@dataclass(frozen=True, slots=True)
class Report:
    name: str  # the stem of analytics/<name>.sql
    title: str
    question: str
    chart: Chart
    parameters: tuple[Parameter, ...] = ()
    placeholders: tuple[str, ...] = ()  # the parameter of each `?` of the text, in the order they appear

    def bind(self, params: Mapping[str, object] | None, latest_day: Callable[[], str | None]) -> list:
        """The values of the text's `?` marks, in order: the caller's, else the defaults, each checked for its kind.

        `latest_day` is asked only when a day is left None (on Athena it is a query); an empty lake has none, and
        the report then finds nothing rather than failing.
        """
        given = dict(params or {})
        declared = {parameter.name: parameter for parameter in self.parameters}
        unknown = sorted(set(given) - set(declared))
        if unknown:
            raise InvalidInput(f"params.{unknown[0]}", f"{self.name} takes no parameter {unknown[0]!r}",
                               code="unknown_field")
        values = {name: _checked(parameter, given.get(name, parameter.default)) for name, parameter in declared.items()}
        if any(value is None for value in values.values()):
            day = latest_day()
            values = {name: day if value is None else value for name, value in values.items()}
        return [values[name] for name in self.placeholders]


_AS_OF = Parameter("as_of", "day", None, "the last day of the recent week, compared with dt (default: the latest dt)")
_THRESHOLD = Parameter("threshold", "ratio", 2.0, "how many times its baseline rate a rate must reach")
_MIN_COUNT = Parameter("min_count", "count", 5, "the fewest returned units or exception parcels in the week")

REPORTS: dict[str, Report] = {
    report.name: report
    for report in (
        Report(
            "returns_by_sku", "Return rate and reasons by SKU",
            "Which SKUs come back most for what was sold, and for which leading reason?",
            Chart("bar", "sku", ("return_rate",), "shop"),
        ),
        Report(
            "returns_by_category", "Return rate and reasons by category",
            "Which categories come back most for what was sold, and for which leading reason?",
            Chart("bar", "category", ("return_rate",), "shop"),
        ),
        Report(
            "carrier_routes", "Exceptions and damage by carrier and route",
            "On which carriers and routes do return parcels run into trouble or arrive short or damaged?",
            Chart("bar", "route", ("exception_rate", "damage_rate"), "carrier"),
        ),
        Report(
            "cycle_times", "Cycle time per stage",
            "How many hours does each stage of a return take, at the median and the 90th percentile?",
            Chart("bar", "stage", ("p50_hours", "p90_hours")),
        ),
        Report(
            "zero_touch_by_shop", "Zero-touch rate by platform and shop",
            "What share of each shop's returns closed with no person involved?",
            Chart("bar", "shop", ("zero_touch_rate",), "platform"),
        ),
        Report(
            "review_rules", "Rules that send returns to people",
            "Which verification rules send returns to manual review, and how often?",
            Chart("bar", "rule_code", ("decisions",)),
        ),
        Report(
            "sla_by_tier_and_queue", "SLA met by customer tier and review queue",
            "Of the returns with an SLA deadline, what share met it, per customer tier and review queue?",
            Chart("bar", "review_queue", ("met_rate",), "customer_tier"),
        ),
        Report(
            "refunds_by_day", "Refunds by platform, currency and day",
            "How many refunds were paid each day, and how much, per platform and currency?",
            Chart("line", "paid_day", ("amount_minor",), "currency"),
        ),
        Report(
            "anomalies", "SKU and route anomalies",
            "Which SKUs and routes had a week well above their own return or exception rate of the 28 days before?",
            Chart("bar", "item", ("recent_rate", "baseline_rate"), "kind"),
            parameters=(_AS_OF, _THRESHOLD, _MIN_COUNT),
            placeholders=("as_of", "as_of", "min_count", "threshold"),
        ),
    )
}


def report(name: str) -> Report:
    try:
        return REPORTS[name]
    except KeyError:
        raise InvalidInput("report", f"no report named {name!r}", code="unknown_report") from None


@cache
def sql_text(name: str) -> str:
    """The report's SQL as both engines run it (read once per process: the files ship with the code)."""
    return (ANALYTICS_DIR / f"{report(name).name}.sql").read_text()


def _checked(parameter: Parameter, value: object) -> str | float | int | None:
    field = f"params.{parameter.name}"
    if value is None:
        if parameter.kind != "day":
            raise InvalidInput(field, "is required", code="missing_field")
        return None
    try:
        if parameter.kind == "day":
            if not isinstance(value, str) or len(value) != 10:
                raise ValueError
            return date.fromisoformat(value).isoformat()
        if isinstance(value, bool):
            raise ValueError
        if parameter.kind == "ratio":
            number = float(value)
            if not number > 0 or number == float("inf"):
                raise ValueError
            return number
        count = int(value)
        if not 1 <= count <= MAX_COUNT or count != float(value):
            raise ValueError
        return count
    except (TypeError, ValueError):
        expected = {"day": "a day as YYYY-MM-DD", "ratio": "a number above 0",
                    "count": f"a whole number from 1 to {MAX_COUNT}"}
        raise InvalidInput(field, f"must be {expected[parameter.kind]}, not {value!r}") from None
