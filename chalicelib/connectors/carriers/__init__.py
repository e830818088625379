"""Carrier tracking pushes in the styles carriers send them, each with its own signature scheme and answer, turned
into canonical TrackingUpdated events in the normalized status vocabulary (one per checkpoint).

A style is a module with:
- `verify(headers, raw_body, secrets)`: raises CarrierSignatureError unless one of the secrets (a rotation's) signed
  the push; a form without the fields that are signed is invalid input naming the field;
- `decode(raw_body)`: the payload `parse` reads (the JSON body, or the JSON in a form field);
- `parse(payload, source, received_at, context)`: its checkpoints as events;
- `reply(queued)` -> (status, body) and `refusal(status, error)` -> body: what its carrier expects back.

A checkpoint's event id is derived from what identifies it at the carrier (tracking number, time, status),
so a checkpoint pushed again, alone or within a longer timeline, is applied once.
"""

from chalicelib.connectors.carriers import (
    aftership,
    kuaidi100,
    route_push,
    seventeen_track,
    sf_open_platform,
    sf_route_service,
)

# `POST /v1/webhooks/carriers/{carrier}`: the style each carrier name speaks.
CARRIER_STYLES = {"aftership": aftership, "17track": seventeen_track, "sf-express": route_push, "kuaidi100": kuaidi100}
# Where a carrier name speaks a second style as a form: SF's open platform posts its route push as one, while the
# JSON style stays for the integrations built on it.
FORM_STYLES = {"sf-express": sf_open_platform}
FORM = "application/x-www-form-urlencoded"


def style_of(carrier: str, headers: dict):
    """The style of a push to this carrier name (None for a name with none): by its content type where the name has
    two. No content type is JSON, as the API takes it."""
    content_type = next((value for key, value in headers.items() if key.lower() == "content-type"), "")
    if content_type.split(";")[0].strip().lower() == FORM and carrier in FORM_STYLES:
        return FORM_STYLES[carrier]
    if carrier == "sf-express" and sf_route_service.pushed_here(headers):
        return sf_route_service  # SF's own JSON push, keyed by its address
    return CARRIER_STYLES.get(carrier)
