"""The EventBridge bus "aftersales": finance and notification consumers subscribe by rule."""

import json

SOURCE = "aftersales"


class EventBridgeBus:
    def __init__(self, events_client, bus_name: str) -> None:
        self._events = events_client
        self._bus = bus_name

    def publish(self, detail_type: str, detail: dict) -> None:
        response = self._events.put_events(
            Entries=[{"EventBusName": self._bus, "Source": SOURCE, "DetailType": detail_type, "Detail": json.dumps(detail)}]
        )
        if response.get("FailedEntryCount"):
            entry = response["Entries"][0]
            raise EventNotPublished(f"{detail_type}: {entry.get('ErrorCode')} {entry.get('ErrorMessage')}")


class EventNotPublished(Exception):
    """Raised so the workflow's Retry publishes again."""
