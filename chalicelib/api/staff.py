"""Endpoints for after-sales staff, authenticated by API key (see services/authenticate_staff.py)."""

from datetime import datetime, timezone

from chalice import Blueprint, Response

from chalicelib.api.errors import error_response, invalid_input_response
from chalicelib.bootstrap import staff_ports
from chalicelib.domain.errors import InvalidInput, InvalidJson, load_json
from chalicelib.services.authenticate_staff import NotAuthenticated, authenticate_staff
from chalicelib.services.preview_verification import preview_verification

staff_api = Blueprint(__name__)


@staff_api.route("/v1/verification-previews", methods=["POST"])
def preview_return_verification() -> Response:
    request = staff_api.current_request
    ports = staff_ports()
    try:
        authenticate_staff(request.headers.get("x-api-key"), ports.keys)
        return Response(
            body=preview_verification(load_json(request.raw_body), ports, datetime.now(timezone.utc)), status_code=200
        )
    except NotAuthenticated as error:
        return error_response(401, "not_authenticated", str(error))
    except InvalidJson as error:
        return error_response(400, "invalid_json", str(error))
    except InvalidInput as error:
        return invalid_input_response(error)
