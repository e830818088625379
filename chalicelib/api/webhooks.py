"""POST /v1/webhooks/{source} (signed marketplace events) and /v1/webhooks/carriers/{carrier} (tracking pushes):
202 once they are durably queued."""

from datetime import datetime, timezone

from chalice import Blueprint, Response

from chalicelib.api.errors import error_response
from chalicelib.bootstrap import webhook_ports
from chalicelib.services.accept_carrier_push import accept_carrier_push
from chalicelib.services.accept_webhook import WebhookRejected, accept_webhook

webhooks_api = Blueprint(__name__)


@webhooks_api.route("/v1/webhooks/carriers/{carrier}", methods=["POST"])
def receive_carrier_push(carrier: str) -> Response:
    request = webhooks_api.current_request
    try:
        queued = accept_carrier_push(carrier, dict(request.headers), request.raw_body, webhook_ports(), _now())
    except WebhookRejected as rejected:
        return error_response(rejected.status, rejected.code, rejected.message, rejected.field)
    return Response(body={"checkpoints": queued, "status": "accepted"}, status_code=202)


@webhooks_api.route("/v1/webhooks/{source}", methods=["POST"])
def receive_webhook(source: str) -> Response:
    request = webhooks_api.current_request
    try:
        event = accept_webhook(
            source,
            request.headers.get("x-aftersales-timestamp"),
            request.headers.get("x-aftersales-signature"),
            request.raw_body,
            webhook_ports(),
            _now(),
        )
    except WebhookRejected as rejected:
        return error_response(rejected.status, rejected.code, rejected.message, rejected.field)
    return Response(body={"event_id": event.event_id, "status": "accepted"}, status_code=202)


def _now() -> datetime:
    return datetime.now(timezone.utc)
