"""The EventBridge bus "aftersales": finance and notification consumers subscribe by rule, and the analytics lake
takes its rows from it (LakeRow, to Firehose)."""

import json

SOURCE = "aftersales"
BATCH = 10  # PutEvents takes at most 10 entries a call


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

    def publish_many(self, detail_type: str, details: list[dict]) -> None:
        """Sends every batch before it raises: a retry publishes the failed ones again, and the others twice (their
        consumers dedupe)."""
        failed = []
        for start in range(0, len(details), BATCH):
            entries = [{"EventBusName": self._bus, "Source": SOURCE, "DetailType": detail_type, "Detail": json.dumps(d)}
                       for d in details[start:start + BATCH]]
            response = self._events.put_events(Entries=entries)
            if response.get("FailedEntryCount"):
                failed += [f"{e.get('ErrorCode')} {e.get('ErrorMessage')}" for e in response["Entries"] if e.get("ErrorCode")]
        if failed:
            raise EventNotPublished(f"{detail_type}: {len(failed)} of {len(details)} not published ({failed[0]})")


class EventNotPublished(Exception):
    """Raised so the workflow's Retry publishes again."""
