"""Endpoints for after-sales staff and finance, authenticated by API key (see services/authenticate_staff.py)."""

from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime, timezone

from chalice import Blueprint, Response

from chalicelib.api.errors import answer
from chalicelib.bootstrap import Ports, bootstrap
from chalicelib.domain.errors import load_json

staff_api = Blueprint(__name__)


@staff_api.route("/v1/verification-previews", methods=["POST"])
def preview_return_verification() -> Response:
    from chalicelib.services.preview_verification import preview_verification

    return _as_staff(lambda request, ports, who: preview_verification(load_json(request.raw_body), ports, _now()))


@staff_api.route("/v1/reviews", methods=["GET"])
def list_review_queue() -> Response:
    from chalicelib.api.queries import encode_cursor, review_query
    from chalicelib.services.review_return import review_queue

    def work(request, ports, who):
        queue, limit, cursor = review_query(request.query_params or {})
        items, last = review_queue(queue, limit, cursor, ports)
        return {"queue": queue, "items": [asdict(item) for item in items], "next_cursor": encode_cursor(last)}

    return _as_staff(work)


@staff_api.route("/v1/reviews/{return_id}", methods=["POST"])
def decide_review(return_id: str) -> Response:
    from chalicelib.services.review_return import review_return

    return _as_staff(lambda request, ports, who: review_return(return_id, load_json(request.raw_body), who, ports, _now()))


@staff_api.route("/v1/returns/{return_id}/tracking", methods=["PUT"])
def link_return_tracking(return_id: str) -> Response:
    from chalicelib.services.sync_tracking import put_return_tracking

    return _as_staff(lambda request, ports, who: put_return_tracking(return_id, load_json(request.raw_body), ports, _now()))


@staff_api.route("/v1/refunds", methods=["GET"])
def list_refund_records() -> Response:
    from chalicelib.api.queries import encode_cursor, refund_query
    from chalicelib.services.list_refunds import list_refunds

    def work(request, ports, who):
        query, limit, cursor = refund_query(request.query_params or {})
        items, last = list_refunds(query, limit, cursor, ports)
        return {"items": items, "next_cursor": encode_cursor(last)}

    return _as_staff(work)


@staff_api.route("/v1/refunds/reconciliation", methods=["GET"])
def reconcile_refund_records() -> Response:
    from chalicelib.api.queries import refund_query
    from chalicelib.services.list_refunds import reconcile_refunds

    return _as_staff(lambda request, ports, who: reconcile_refunds(
        refund_query(request.query_params or {}, paged=False)[0], ports, _now()
    ))


@staff_api.route("/v1/refunds/export.csv", methods=["GET"])
def export_refund_records() -> Response:
    from chalicelib.api.queries import refund_query
    from chalicelib.services.list_refunds import export_refunds_csv

    def work(request, ports, who):
        body = export_refunds_csv(refund_query(request.query_params or {}, paged=False)[0], ports)
        return Response(body=body, status_code=200, headers={"Content-Type": "text/csv; charset=utf-8"})

    return _as_staff(work)


def _as_staff(work: Callable[..., dict | Response]) -> Response:
    from chalicelib.services.authenticate_staff import authenticate_staff

    request = staff_api.current_request
    ports: Ports = bootstrap()

    def authenticated():
        return work(request, ports, authenticate_staff(request.headers.get("x-api-key"), ports.staff_keys))

    return answer(authenticated)


def _now() -> datetime:
    return datetime.now(timezone.utc)
