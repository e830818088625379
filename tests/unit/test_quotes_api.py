"""POST /v1/refund-quotes through Chalice's test client."""

import json

import pytest
from chalice.test import Client
from hypothesis import given
from hypothesis import strategies as st

from app import app
from chalicelib.refunds import quote
from tests.quote_requests import contract_request

JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def client():
    with Client(app) as client:
        yield client


def post(client, body: bytes | str):
    return client.http.post("/v1/refund-quotes", headers=JSON, body=body)


def test_quote_answers_200_with_the_contract_response(client):
    response = post(client, json.dumps(contract_request()))
    assert response.status_code == 200
    assert response.json_body == quote(contract_request())
    assert response.json_body["total"] == "369.00"


def test_invalid_input_answers_422_naming_the_field(client):
    body = contract_request()
    body["order"]["shipping_fee"] = 12.0
    response = post(client, json.dumps(body))
    assert response.status_code == 422
    assert response.json_body == {
        "error": {
            "code": "invalid_value",
            "message": "must be a decimal string like '199.00', not a number",
            "field": "order.shipping_fee",
        }
    }


def test_unknown_line_answers_422(client):
    body = contract_request()
    body["return"]["items"][0]["line_id"] = "NOPE"
    response = post(client, json.dumps(body))
    assert response.status_code == 422
    assert response.json_body["error"]["field"] == "return.items[0].line_id"


@pytest.mark.parametrize("body", ["{not json", "", "\xff", "[" * 50_000, '{"currency": "CNY",}'])
def test_a_body_that_is_not_json_answers_400(client, body):
    response = post(client, body)
    assert response.status_code == 400
    assert response.json_body["error"]["code"] == "invalid_json"


@pytest.mark.parametrize("body", ["[]", "null", "42", '"quote"'])
def test_json_that_is_not_an_object_answers_422(client, body):
    response = post(client, body)
    assert response.status_code == 422
    assert response.json_body["error"]["code"] == "invalid_body"


def test_nan_is_not_money(client):
    body = json.dumps(contract_request()).replace('"12.00"', "NaN")
    response = post(client, body)
    assert response.status_code == 422
    assert response.json_body["error"]["field"] == "order.shipping_fee"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


def mutate(body, path, value):
    target = body
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return body


def paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from paths(child, prefix + (key,))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            yield from paths(child, prefix + (i,))


CONTRACT_PATHS = [p for p in paths(contract_request()) if p]


@given(st.sampled_from(CONTRACT_PATHS), json_values)
def test_no_input_gets_a_5xx(path, value):
    body = mutate(contract_request(), path, value)
    with Client(app) as client:
        response = post(client, json.dumps(body))
    assert response.status_code in (200, 422), response.body
    if response.status_code == 422:
        assert set(response.json_body["error"]) == {"code", "message", "field"}


@given(json_values)
def test_no_body_gets_a_5xx(value):
    with Client(app) as client:
        response = post(client, json.dumps(value))
    assert response.status_code in (400, 422)
