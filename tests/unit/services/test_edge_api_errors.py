"""The one mapping from what services raise to HTTP (chalicelib/api/errors.py `answer`): every refusal is
{"error": {"code", "message", "field"}} with the status of its kind; a result is the body of a 200 (or the status
the route gives)."""

import pytest
from chalice import Response

from chalicelib.api.errors import answer
from chalicelib.domain.errors import InvalidInput, InvalidJson
from chalicelib.ports.errors import (
    Conflict,
    NotAuthenticated,
    ProviderUnavailable,
    QueueUnavailable,
    ServiceError,
    TooLarge,
    Unavailable,
    UnknownSubject,
)


def raising(error: Exception):
    def work():
        raise error

    return work


def test_a_body_that_is_not_json_is_a_400_invalid_json():
    response = answer(raising(InvalidJson("the body is not valid JSON: Expecting value")))

    assert response.status_code == 400
    assert response.body == {"error": {"code": "invalid_json", "message": "the body is not valid JSON: Expecting value",
                                       "field": None}}


def test_invalid_input_is_a_422_naming_its_field_and_code():
    response = answer(raising(InvalidInput("data.items[0].quantity", "must be at least 1", "missing_field")))

    assert response.status_code == 422
    assert response.body == {"error": {"code": "missing_field", "message": "must be at least 1",
                                       "field": "data.items[0].quantity"}}


def test_invalid_input_on_no_single_field_is_a_422_with_a_null_field():
    response = answer(raising(InvalidInput("", "`to` must be after `from`")))

    assert (response.status_code, response.body["error"]["field"]) == (422, None)
    assert response.body["error"]["code"] == "invalid_value"


@pytest.mark.parametrize(
    "error, status, code",
    [(NotAuthenticated("no key"), 401, "not_authenticated"),
     (UnknownSubject("no return RT-9"), 404, "not_found"),
     (Conflict("already reviewed"), 409, "conflict"),
     (TooLarge("the body is too large"), 413, "body_too_large"),
     (Unavailable("the table did not answer"), 503, "unavailable"),
     (QueueUnavailable("the queue is down"), 503, "queue_unavailable"),
     (ProviderUnavailable("no settlement report"), 503, "provider_unavailable")],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else None,
)
def test_each_kind_of_service_error_has_its_status_and_default_code(error, status, code):
    response = answer(raising(error))

    assert response.status_code == status
    assert response.body == {"error": {"code": code, "message": error.message, "field": None}}


@pytest.mark.parametrize(
    "error, status",
    [(NotAuthenticated("bad signature", "invalid_signature"), 401),
     (UnknownSubject("no carrier", "unknown_carrier"), 404),
     (Conflict("inspected already", "already_inspected"), 409),
     (Unavailable("try later", "table_unavailable"), 503)],
)
def test_a_service_errors_own_code_is_kept(error, status):
    response = answer(raising(error))

    assert (response.status_code, response.body["error"]["code"]) == (status, error.code)


def test_a_service_error_of_no_known_kind_is_a_500():
    response = answer(raising(ServiceError("something refused")))

    assert (response.status_code, response.body["error"]["code"]) == (500, "error")


@pytest.mark.parametrize("error", [InvalidJson("x"), InvalidInput("f", "x"), Conflict("x")],
                         ids=["invalid json", "invalid input", "service error"])
def test_a_refusal_is_json(error):
    assert answer(raising(error)).headers["Content-Type"] == "application/json"


def test_a_result_is_the_body_of_a_200():
    response = answer(lambda: {"queued": 3})

    assert (response.status_code, response.body) == (200, {"queued": 3})


def test_a_result_takes_the_status_the_route_gives():
    response = answer(lambda: {"event_id": "evt-1"}, status=202)

    assert (response.status_code, response.body) == (202, {"event_id": "evt-1"})


def test_a_response_the_work_made_is_answered_as_it_is():
    made = Response(body="refund_id\n", status_code=200, headers={"Content-Type": "text/csv; charset=utf-8"})

    assert answer(lambda: made, status=201) is made
