"""The project's timestamps: UTC, ISO 8601 to the second, with "Z" (text order is time order)."""

from datetime import datetime, timezone


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
