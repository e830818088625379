"""The ops console: one page (index.html) the staff API serves, and the charting library it draws with (Plotly's
plotly.min.js, from the plotly package: infra/package.py puts it in the Lambda bundle as console_assets/, and a
checkout reads it from the installed package). Nothing comes from a CDN."""

import importlib.util
from functools import cache
from pathlib import Path

PAGE = Path(__file__).with_name("index.html")
CHART_LIBRARY = "plotly.min.js"
# In the Lambda bundle, vendor/'s contents sit at the root beside chalicelib/.
BUNDLED = Path(__file__).resolve().parents[2] / "console_assets" / CHART_LIBRARY


@cache
def page() -> str:
    return PAGE.read_text()


@cache
def chart_library() -> str:
    return chart_library_path().read_text()


def chart_library_path() -> Path:
    if BUNDLED.exists():
        return BUNDLED
    spec = importlib.util.find_spec("plotly")  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"no {CHART_LIBRARY}: package the app with `make package`, or install plotly")
    return Path(next(iter(spec.submodule_search_locations))) / "package_data" / CHART_LIBRARY
