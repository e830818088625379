"""`make report` (dev only): every analytics report over a local lake (localcloud/lake_reports.py, DuckDB), as CSV
and as one page, out/report.html, with a Plotly chart per report. The page carries plotly.js inline: it opens
offline, from a file, with no CDN.

    python -m localcloud.report_page [LAKE_DIR] [OUT_DIR]     (defaults: out/lake, out)
"""

import argparse
import csv
import html
import time
from pathlib import Path

from chalicelib.domain.reports import REPORTS, Report
from localcloud.lake_reports import connect, run_on

ROOT = Path(__file__).resolve().parent.parent
TABLE_ROWS = 50  # the page shows this many rows of a report; its CSV has them all


def write_report(lake_dir: Path, out_dir: Path) -> Path:
    """Run every report at its defaults; writes out_dir/reports/<name>.csv and out_dir/report.html (its path)."""
    import plotly.graph_objects as go
    from plotly.offline import get_plotlyjs

    (out_dir / "reports").mkdir(parents=True, exist_ok=True)
    sections = []
    with connect(lake_dir) as connection:
        for name, found in REPORTS.items():
            columns, rows = run_on(connection, name, None)
            with (out_dir / "reports" / f"{name}.csv").open("w", newline="") as file:
                writer = csv.writer(file)
                writer.writerow(columns)
                writer.writerows(rows)
            figure = go.Figure(_traces(go, found, columns, rows))
            figure.update_layout(barmode="group", height=380, margin={"t": 20, "r": 10, "b": 80, "l": 60},
                                 legend={"orientation": "h"}, template="plotly_white")
            chart = figure.to_html(full_html=False, include_plotlyjs=False, div_id=f"chart-{name}",
                                   config={"displayModeBar": False, "responsive": True})
            sections.append(_section(found, columns, rows, chart))
    page = out_dir / "report.html"
    page.write_text(_page(get_plotlyjs(), "\n".join(sections), lake_dir))
    return page


def _traces(go, found: Report, columns: list[str], rows: list[tuple]) -> list:
    spec = found.chart
    at = {name: i for i, name in enumerate(columns)}
    groups: dict[str, list[tuple]] = {}
    for row in rows:
        groups.setdefault(str(row[at[spec.series]]) if spec.series else "", []).append(row)
    traces = []
    for y in spec.y:
        for series, members in groups.items():
            label = " · ".join(part for part in (series, y if len(spec.y) > 1 else "") if part) or y
            x, values = [row[at[spec.x]] for row in members], [row[at[y]] for row in members]
            traces.append(go.Scatter(x=x, y=values, name=label, mode="lines+markers") if spec.kind == "line"
                          else go.Bar(x=x, y=values, name=label))
    return traces


def _section(found: Report, columns: list[str], rows: list[tuple], chart: str) -> str:
    head = "".join(f"<th>{html.escape(column)}</th>" for column in columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape('' if cell is None else str(cell))}</td>" for cell in row)
                   + "</tr>" for row in rows[:TABLE_ROWS])
    more = f"<p class=meta>{len(rows) - TABLE_ROWS} more rows in reports/{found.name}.csv</p>" if len(rows) > TABLE_ROWS else ""
    return (f'<section id="{found.name}"><h2>{html.escape(found.title)}</h2><p class=meta>{html.escape(found.question)}'
            f' &middot; <a href="reports/{found.name}.csv">{found.name}.csv</a> &middot; {len(rows)} rows</p>{chart}'
            f"<details><summary>rows</summary><div class=scroll><table><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table></div>{more}</details></section>")


def _page(plotly_js: str, sections: str, lake_dir: Path) -> str:
    made = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>aftersales report</title>
<style>
body {{ font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1100px; padding: 1rem; color: #1d2330; }}
section {{ border-top: 1px solid #d9dde5; padding: .5rem 0 1rem; }} .meta {{ color: #5d6677; }}
table {{ border-collapse: collapse; font-size: .85rem; }} th, td {{ padding: .2rem .5rem; border-bottom: 1px solid #eee; text-align: left; }}
.scroll {{ overflow-x: auto; }}
</style>
<script>{plotly_js}</script></head>
<body><h1>aftersales report</h1>
<p class=meta>The analytics reports over the lake in {html.escape(str(lake_dir))}, made {made}; the SQL is analytics/&lt;name&gt;.sql, the same text Athena runs.</p>
{sections}
</body></html>
"""


def main() -> None:
    parser = argparse.ArgumentParser(description="Every analytics report over a local lake: CSVs and report.html.")
    parser.add_argument("lake_dir", type=Path, nargs="?", default=ROOT / "out" / "lake")
    parser.add_argument("out_dir", type=Path, nargs="?", default=ROOT / "out")
    arguments = parser.parse_args()
    if not (arguments.lake_dir / "analytics").is_dir():
        raise SystemExit(f"no lake in {arguments.lake_dir}: `make run` writes one there")
    started = time.perf_counter()
    page = write_report(arguments.lake_dir, arguments.out_dir)
    print(f"report: {page} ({len(REPORTS)} reports, CSVs in {arguments.out_dir / 'reports'}, "
          f"{time.perf_counter() - started:.2f} s)")


if __name__ == "__main__":
    main()
