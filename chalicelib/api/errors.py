"""The error body every endpoint answers with: {"error": {"code", "message", "field"}}."""

import json

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


def parse_json_body(raw_body: bytes) -> object:
    """The request body as JSON; raises InvalidBody for anything json cannot read."""
    try:
        return json.loads(raw_body)
    except (ValueError, RecursionError) as error:
        raise InvalidBody(f"the body is not valid JSON: {error}") from None


class InvalidBody(ValueError):
    """A body that is not JSON at all: 400, as opposed to JSON that breaks the contract (422)."""
