"""An entry of the append-only audit table: who did what to which subject, when, and from where."""

import uuid

from chalicelib.domain.clock import iso_utc
from chalicelib.domain.staff_keys import Staff


def audit_entry(subject: str, action: str, staff: Staff, now, **details) -> dict:
    """`subject` is what the entry is about ("return#<id>", "refunds"); the entry key keeps entries apart even
    within one second."""
    at = iso_utc(now)
    return {
        "subject": subject, "entry": f"{at}#{uuid.uuid4().hex}", "action": action, "by": staff.key_id,
        "from": staff.address, "at": at, **{key: value for key, value in details.items() if value is not None},
    }
