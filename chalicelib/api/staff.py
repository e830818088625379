"""Endpoints for after-sales staff and finance, authenticated by API key (domain/staff_keys.py); each service
checks the role its work needs. A return is named by its shop and the shop's own return id."""

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

    return _as_staff(lambda request, ports, staff: preview_verification(load_json(request.raw_body), staff, ports, _now()))


@staff_api.route("/v1/reviews", methods=["GET"])
def list_review_queue() -> Response:
    from chalicelib.api.queries import encode_cursor, review_query
    from chalicelib.services.review_return import review_queue

    def work(request, ports, staff):
        queue, limit, cursor = review_query(request.query_params or {})
        items, last = review_queue(queue, limit, cursor, staff, ports)
        return {"queue": queue, "items": [asdict(item) for item in items], "next_cursor": encode_cursor(last)}

    return _as_staff(work)


@staff_api.route("/v1/reviews/{shop}/{return_id}", methods=["POST"])
def decide_review(shop: str, return_id: str) -> Response:
    from chalicelib.api.queries import return_key
    from chalicelib.services.review_return import review_return

    return _as_staff(lambda request, ports, staff: review_return(
        return_key(shop, return_id), load_json(request.raw_body), staff, ports, _now()
    ))


@staff_api.route("/v1/returns/{shop}/{return_id}/tracking", methods=["PUT"])
def link_return_tracking(shop: str, return_id: str) -> Response:
    from chalicelib.api.queries import return_key
    from chalicelib.services.sync_tracking import put_return_tracking

    return _as_staff(lambda request, ports, staff: put_return_tracking(
        return_key(shop, return_id), load_json(request.raw_body), staff, ports, _now()
    ))


@staff_api.route("/v1/returns", methods=["GET"])
def search_for_returns() -> Response:
    from chalicelib.api.queries import search_query
    from chalicelib.services.search_returns import search_returns

    return _as_staff(lambda request, ports, staff: search_returns(
        *search_query(request.query_params or {}), staff, ports))


@staff_api.route("/v1/returns/{shop}/{return_id}", methods=["GET"])
def show_return_case(shop: str, return_id: str) -> Response:
    from chalicelib.api.queries import return_key
    from chalicelib.services.show_return import show_return

    return _as_staff(lambda request, ports, staff: show_return(return_key(shop, return_id), staff, ports))


@staff_api.route("/v1/reports", methods=["GET"])
def list_dashboard_reports() -> Response:
    from chalicelib.services.show_reports import list_reports

    return _as_staff(lambda request, ports, staff: list_reports(staff))


@staff_api.route("/v1/reports/{name}", methods=["GET"])
def run_dashboard_report(name: str) -> Response:
    from chalicelib.services.show_reports import show_report

    return _as_staff(lambda request, ports, staff: show_report(name, dict(request.query_params or {}), staff, ports))


@staff_api.route("/v1/refunds/{shop}/{return_id}/sms-code", methods=["POST"])
def give_refund_sms_code(shop: str, return_id: str) -> Response:
    from chalicelib.api.queries import return_key
    from chalicelib.services.complete_sms_refund import complete_sms_refund

    return _as_staff(lambda request, ports, staff: complete_sms_refund(
        return_key(shop, return_id), load_json(request.raw_body), staff, ports, _now()
    ))


@staff_api.route("/v1/refunds", methods=["GET"])
def list_refund_records() -> Response:
    from chalicelib.api.queries import encode_cursor, refund_query
    from chalicelib.services.list_refunds import list_refunds

    def work(request, ports, staff):
        query, limit, cursor = refund_query(request.query_params or {}, _now(), ports.config)
        items, last = list_refunds(query, limit, cursor, staff, ports, _now())
        return {"items": items, "next_cursor": encode_cursor(last)}

    return _as_staff(work)


@staff_api.route("/v1/refunds/reconciliation", methods=["GET"])
def reconcile_refund_records() -> Response:
    from chalicelib.api.queries import refund_query
    from chalicelib.services.list_refunds import reconcile_refunds

    return _as_staff(lambda request, ports, staff: reconcile_refunds(
        refund_query(request.query_params or {}, _now(), ports.config, paged=False)[0], staff, ports, _now()
    ))


@staff_api.route("/v1/refunds/export.csv", methods=["GET"])
def export_refund_records() -> Response:
    from chalicelib.api.queries import refund_query
    from chalicelib.services.list_refunds import export_refunds_csv

    def work(request, ports, staff):
        query = refund_query(request.query_params or {}, _now(), ports.config, paged=False)[0]
        body = export_refunds_csv(query, staff, ports, _now())
        return Response(body=body, status_code=200, headers={"Content-Type": "text/csv; charset=utf-8"})

    return _as_staff(work)


def _as_staff(work: Callable[..., dict | Response]) -> Response:
    from chalicelib.services.authenticate_staff import authenticate_staff

    request = staff_api.current_request
    ports: Ports = bootstrap()
    address = ((request.context or {}).get("identity") or {}).get("sourceIp")

    def authenticated():
        return work(request, ports, authenticate_staff(request.headers.get("x-api-key"), ports.staff_keys, address))

    return answer(authenticated)


def _now() -> datetime:
    return datetime.now(timezone.utc)
