"""The one mapping from what services raise to HTTP: every refusal is {"error": {"code", "message", "field"}}."""

from collections.abc import Callable

from chalice import Response

from chalicelib.domain.errors import InvalidInput, InvalidJson
from chalicelib.ports.errors import (
    Conflict,
    Forbidden,
    NotAuthenticated,
    ServiceError,
    TooLarge,
    Unavailable,
    UnknownSubject,
)

_STATUS = (
    (NotAuthenticated, 401), (Forbidden, 403), (UnknownSubject, 404), (Conflict, 409), (TooLarge, 413), (Unavailable, 503),
)


def error_response(status: int, code: str, message: str, field: str | None = None) -> Response:
    return Response(
        body={"error": {"code": code, "message": message, "field": field}},
        status_code=status,
        headers={"Content-Type": "application/json"},
    )


def answer(work: Callable[[], dict | Response], status: int = 200) -> Response:
    """Run a route's work; its result is the body (or the whole response), a refusal its error."""
    try:
        result = work()
    except InvalidJson as error:
        return error_response(400, "invalid_json", str(error))
    except InvalidInput as error:
        return error_response(422, error.code, error.message, error.field or None)
    except ServiceError as error:
        return error_response(status_of(error), error.code, error.message)
    return result if isinstance(result, Response) else Response(body=result, status_code=status)


def status_of(error: ServiceError) -> int:
    return next((status for kind, status in _STATUS if isinstance(error, kind)), 500)
