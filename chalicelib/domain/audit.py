"""An entry of the append-only audit table: who did what to which subject, when, and from where."""

import uuid

from chalicelib.domain.clock import iso_utc
from chalicelib.domain.staff_keys import Staff

# Who acted when the system itself did (a dry-run action, for one).
SYSTEM = "aftersales"


def audit_entry(subject: str, action: str, staff: Staff, now, **details) -> dict:
    """`subject` is what the entry is about ("return#<id>", "refunds"); the entry key keeps entries apart even
    within one second."""
    return _entry(subject, action, staff.key_id, staff.address, now, details)


def system_entry(subject: str, action: str, now, **details) -> dict:
    return _entry(subject, action, SYSTEM, None, now, details)


def _entry(subject: str, action: str, by: str, address: str | None, now, details: dict) -> dict:
    at = iso_utc(now)
    return {
        "subject": subject, "entry": f"{at}#{uuid.uuid4().hex}", "action": action, "by": by, "from": address,
        "at": at, **{key: value for key, value in details.items() if value is not None},
    }
