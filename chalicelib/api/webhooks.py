"""POST /v1/webhooks/{source} (signed events in the generic envelope), /v1/webhooks/shopify (Shopify's own
deliveries) and /v1/webhooks/carriers/{carrier} (tracking pushes): 202 once they are durably queued."""

from datetime import datetime, timezone

from chalice import Blueprint, Response

from chalicelib.api.errors import answer
from chalicelib.bootstrap import bootstrap

webhooks_api = Blueprint(__name__)


@webhooks_api.route("/v1/webhooks/carriers/{carrier}", methods=["POST"])
def receive_carrier_push(carrier: str) -> Response:
    from chalicelib.services.accept_carrier_push import accept_carrier_push

    request = webhooks_api.current_request

    def work() -> dict:
        queued = accept_carrier_push(carrier, dict(request.headers), request.raw_body, bootstrap(), _now())
        return {"checkpoints": queued, "status": "accepted"}

    return answer(work, 202)


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
