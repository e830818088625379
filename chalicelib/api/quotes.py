"""POST /v1/refund-quotes: the refund calculator over HTTP (CONTRACTS.md "Refund quote")."""

from chalice import Blueprint

from chalicelib.api.errors import answer
from chalicelib.domain.errors import load_json

quotes_api = Blueprint(__name__)


@quotes_api.route("/v1/refund-quotes", methods=["POST"])
def create_refund_quote():
    from chalicelib.refunds import quote

    return answer(lambda: quote(load_json(quotes_api.current_request.raw_body)))
