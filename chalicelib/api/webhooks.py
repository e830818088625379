"""POST /v1/webhooks/{source} (signed events in the generic envelope), /v1/webhooks/shopify (Shopify's own
deliveries) and /v1/webhooks/carriers/{carrier} (tracking pushes): 202 once they are durably queued (a carrier
that expects an answer of its own, 200 and that answer)."""

import json
from datetime import datetime, timezone

from chalice import Blueprint, Response

from chalicelib.api.errors import answer
from chalicelib.bootstrap import bootstrap

webhooks_api = Blueprint(__name__)


@webhooks_api.route(
    "/v1/webhooks/carriers/{carrier}", methods=["POST"],
    content_types=["application/json", "application/x-www-form-urlencoded"],  # Kuaidi100 and SF post forms
)
def receive_carrier_push(carrier: str) -> Response:
    """Answered as the carrier's style expects (its own body for a receipt and for a refusal), with our statuses."""
    from chalicelib.connectors.carriers import style_of
    from chalicelib.connectors.carriers.sf_route_service import KEY_HEADER
    from chalicelib.services.accept_carrier_push import accept_carrier_push

    request = webhooks_api.current_request
    headers = dict(request.headers)
    key = (request.query_params or {}).get("key")
    if key is not None:  # a push address's own secret (SF's RoutePushService signs nothing: sf_route_service.py)
        headers[KEY_HEADER] = key
    style = style_of(carrier, headers)

    def work() -> Response:
        queued = accept_carrier_push(carrier, headers, request.raw_body, bootstrap(), _now())
        return _utf8_json(*style.reply(queued))

    response = answer(work)
    if style is not None and response.status_code >= 400:
        return _utf8_json(response.status_code, style.refusal(response.status_code, response.body["error"]))
    return response


@webhooks_api.route("/v1/webhooks/shopify", methods=["POST"])
def receive_shopify_webhook() -> Response:
    from chalicelib.domain.tenancy import own_id
    from chalicelib.services.accept_shopify_webhook import accept_shopify_webhook

    request = webhooks_api.current_request

    def work() -> dict:
        event = accept_shopify_webhook(request.headers, request.raw_body, bootstrap(), _now())
        return {"event_id": own_id(event.event_id), "status": "accepted"}

    return answer(work, 202)


@webhooks_api.route("/v1/webhooks/{source}", methods=["POST"])
def receive_webhook(source: str) -> Response:
    from chalicelib.domain.tenancy import own_id
    from chalicelib.services.accept_webhook import accept_webhook

    request = webhooks_api.current_request

    def work() -> dict:
        event = accept_webhook(
            source, request.headers.get("x-aftersales-timestamp"), request.headers.get("x-aftersales-signature"),
            request.raw_body, bootstrap(), _now(),
        )
        return {"event_id": own_id(event.event_id), "status": "accepted"}

    return answer(work, 202)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _utf8_json(status: int, body: dict) -> Response:
    """Chinese text as itself ("成功", as Kuaidi100 and SF document their answers), not as \\u escapes."""
    return Response(
        body=json.dumps(body, ensure_ascii=False), status_code=status,
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
