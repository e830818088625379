"""The error body every endpoint answers with: {"error": {"code", "message", "field"}}."""

from chalice import Response

from chalicelib.domain.errors import InvalidInput


def error_response(status: int, code: str, message: str, field: str | None = None) -> Response:
    return Response(
        body={"error": {"code": code, "message": message, "field": field}},
        status_code=status,
        headers={"Content-Type": "application/json"},
    )


def invalid_input_response(error: InvalidInput) -> Response:
    return error_response(422, error.code, error.message, error.field or None)
