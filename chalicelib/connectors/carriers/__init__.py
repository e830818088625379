"""Carrier tracking pushes in three real-world styles, each with its own signature scheme, turned into
canonical TrackingUpdated events in the normalized status vocabulary (one per checkpoint).

A checkpoint's event id is derived from what identifies it at the carrier (tracking number, time, status),
so a checkpoint pushed again, alone or within a longer timeline, is applied once.
"""

from chalicelib.connectors.carriers import aftership, route_push, seventeen_track

# `POST /v1/webhooks/carriers/{carrier}`: the style each carrier name speaks.
CARRIER_STYLES = {"aftership": aftership, "17track": seventeen_track, "sf-express": route_push}
