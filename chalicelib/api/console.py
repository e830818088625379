"""The ops console's page and its charting library; the page signs in with a staff key and calls the staff API."""

from chalice import Blueprint, Response

console_api = Blueprint(__name__)
# The library changes only with the plotly pin; the page may change with any deploy.
_LIBRARY_CACHE = "public, max-age=86400"


@console_api.route("/console", methods=["GET"])
def console_page() -> Response:
    from chalicelib.console import page

    return Response(body=page(), status_code=200, headers={
        "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-cache",
        "Content-Security-Policy": "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
                                   "style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
        "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
    })


@console_api.route("/console/plotly.min.js", methods=["GET"])
def console_chart_library() -> Response:
    from chalicelib.console import chart_library

    return Response(body=chart_library(), status_code=200, headers={
        "Content-Type": "application/javascript; charset=utf-8", "Cache-Control": _LIBRARY_CACHE,
        "X-Content-Type-Options": "nosniff",
    })
