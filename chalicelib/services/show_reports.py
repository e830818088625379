"""The dashboard's reports (GET /v1/reports, GET /v1/reports/{name}): the catalog, and one report run over the lake
(Athena on AWS; in the local cloud moto's Athena, which runs it with DuckDB), with its chart hint so a page draws it."""

from dataclasses import asdict

from chalicelib.bootstrap import Ports
from chalicelib.domain.reports import REPORTS, report
from chalicelib.domain.staff_keys import Role, Staff
from chalicelib.ports.errors import Unavailable, UnknownSubject
from chalicelib.services.authenticate_staff import require_any


def list_reports(staff: Staff) -> dict:
    require_any(staff, Role.AFTER_SALES, Role.FINANCE)
    return {"reports": [_described(found) for found in REPORTS.values()]}


def show_report(name: str, params: dict, staff: Staff, ports: Ports) -> dict:
    require_any(staff, Role.AFTER_SALES, Role.FINANCE)
    if name not in REPORTS:
        raise UnknownSubject(f"no report {name!r}: GET /v1/reports lists them", "unknown_report")
    found = report(name)
    found.bind(params, lambda: None)  # a bad parameter is the caller's 422 before anything runs
    try:
        columns, rows = ports.reports.run_report(name, params)
    except (RuntimeError, TimeoutError) as error:  # Athena's failure or its timeout: nothing the caller can fix
        raise Unavailable(f"the report could not be run now: {error}", "report_unavailable") from None
    return {**_described(found), "columns": columns, "rows": [list(row) for row in rows]}


def _described(found) -> dict:
    return {"name": found.name, "title": found.title, "question": found.question, "chart": asdict(found.chart),
            "parameters": [asdict(parameter) for parameter in found.parameters]}
