"""POST /v1/refund-quotes: the refund calculator over HTTP (CONTRACTS.md "Refund quote")."""

from chalice import Blueprint

from chalicelib.api.errors import error_response, invalid_input_response
from chalicelib.domain.errors import InvalidJson, load_json
from chalicelib.refunds import InvalidInput, quote

quotes_api = Blueprint(__name__)


@quotes_api.route("/v1/refund-quotes", methods=["POST"])
def create_refund_quote():
    try:
        return quote(load_json(quotes_api.current_request.raw_body))
    except InvalidJson as error:
        return error_response(400, "invalid_json", str(error))
    except InvalidInput as error:
        return invalid_input_response(error)
