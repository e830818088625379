"""Staff endpoints take an API key `X-Api-Key: <key id>.<secret>` (domain/staff_keys.py); the key id is who acts,
for the audit trail, and the key's roles say what it may do."""

import hashlib
import hmac

from chalicelib.domain.staff_keys import KEY_ID, Role, Staff, StaffKey
from chalicelib.ports import Directory
from chalicelib.ports.errors import Forbidden, NotAuthenticated


def authenticate_staff(api_key: str | None, keys: Directory[StaffKey], address: str | None = None) -> Staff:
    """Who holds a valid key; NotAuthenticated otherwise (the same answer for an unknown id and a wrong secret)."""
    if not api_key:
        raise NotAuthenticated("this endpoint needs the header X-Api-Key: <key id>.<secret>")
    key_id, _, secret = api_key.partition(".")
    key = keys.get(key_id) if KEY_ID.fullmatch(key_id) and secret else None
    given = hashlib.sha256(secret.encode("utf-8", "surrogatepass")).digest()
    if key is None or not hmac.compare_digest(key.sha256, given):
        raise NotAuthenticated("the API key is not valid")
    return Staff(key, address)


def require(staff: Staff, role: Role) -> None:
    if not staff.key.allows(role):
        raise Forbidden(f"key {staff.key_id!r} does not have the {role} role", "role_required")


def require_any(staff: Staff, *roles: Role) -> None:
    if not any(staff.key.allows(role) for role in roles):
        raise Forbidden(f"key {staff.key_id!r} has none of the roles {', '.join(roles)}", "role_required")
