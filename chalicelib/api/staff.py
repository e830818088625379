"""Endpoints for after-sales staff and finance, authenticated by API key (see services/authenticate_staff.py)."""

from collections.abc import Callable
from datetime import datetime, timezone

from chalice import Blueprint, Response

from chalicelib.adapters.ports import ProviderUnavailable
from chalicelib.api.errors import error_response, invalid_input_response
from chalicelib.bootstrap import staff_ports
from chalicelib.domain.errors import InvalidInput, InvalidJson, load_json
from chalicelib.services.authenticate_staff import NotAuthenticated, authenticate_staff
from chalicelib.services.list_refunds import export_refunds_csv, list_refunds, reconcile_refunds
from chalicelib.services.preview_verification import preview_verification
from chalicelib.services.review_return import ReviewConflict, review_queue, review_return
from chalicelib.services.staff_ports import StaffPorts, UnknownReturn
from chalicelib.services.sync_tracking import TrackingTaken, put_return_tracking

staff_api = Blueprint(__name__)


@staff_api.route("/v1/verification-previews", methods=["POST"])
def preview_return_verification() -> Response:
    return _answer(lambda request, ports, who: preview_verification(load_json(request.raw_body), ports, _now()))


@staff_api.route("/v1/reviews", methods=["GET"])
def list_review_queue() -> Response:
    def work(request, ports, who):
        query = request.query_params or {}
        return review_queue(query.get("queue"), query.get("limit"), query.get("cursor"), ports)

    return _answer(work)


@staff_api.route("/v1/returns/{return_id}/tracking", methods=["PUT"])
def link_return_tracking(return_id: str) -> Response:
    return _answer(lambda request, ports, who: put_return_tracking(return_id, load_json(request.raw_body), ports, _now()))


@staff_api.route("/v1/refunds", methods=["GET"])
def list_refund_records() -> Response:
    return _answer(lambda request, ports, who: list_refunds(request.query_params or {}, ports))


@staff_api.route("/v1/refunds/reconciliation", methods=["GET"])
def reconcile_refund_records() -> Response:
    return _answer(lambda request, ports, who: reconcile_refunds(request.query_params or {}, ports, _now()))


@staff_api.route("/v1/refunds/export.csv", methods=["GET"])
def export_refund_records() -> Response:
    def work(request, ports, who):
        body = export_refunds_csv(request.query_params or {}, ports)
        return Response(body=body, status_code=200, headers={"Content-Type": "text/csv; charset=utf-8"})

    return _answer(work)


@staff_api.route("/v1/reviews/{return_id}", methods=["POST"])
def decide_review(return_id: str) -> Response:
    return _answer(lambda request, ports, who: review_return(return_id, load_json(request.raw_body), who, ports, _now()))


def _answer(work: Callable[..., dict | Response]) -> Response:
    request = staff_api.current_request
    ports: StaffPorts = staff_ports()
    try:
        who = authenticate_staff(request.headers.get("x-api-key"), ports.keys)
        answer = work(request, ports, who)
        return answer if isinstance(answer, Response) else Response(body=answer, status_code=200)
    except NotAuthenticated as error:
        return error_response(401, "not_authenticated", str(error))
    except InvalidJson as error:
        return error_response(400, "invalid_json", str(error))
    except InvalidInput as error:
        return invalid_input_response(error)
    except UnknownReturn as error:
        return error_response(404, "unknown_return", str(error))
    except ReviewConflict as error:
        return error_response(409, "not_waiting_for_review", str(error))
    except TrackingTaken as error:
        return error_response(409, "tracking_taken", str(error))
    except ProviderUnavailable as error:
        return error_response(503, "provider_unavailable", str(error))


def _now() -> datetime:
    return datetime.now(timezone.utc)
