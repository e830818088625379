"""POST /v1/refund-quotes: the refund calculator over HTTP (CONTRACTS.md "Refund quote")."""

from chalice import Blueprint

from chalicelib.api.errors import InvalidBody, error_response, invalid_input_response, parse_json_body
from chalicelib.refunds import InvalidInput, quote

quotes_api = Blueprint(__name__)


@quotes_api.route("/v1/refund-quotes", methods=["POST"])
def create_refund_quote():
    try:
        return quote(parse_json_body(quotes_api.current_request.raw_body))
    except InvalidBody as error:
        return error_response(400, "invalid_json", str(error))
    except InvalidInput as error:
        return invalid_input_response(error)
