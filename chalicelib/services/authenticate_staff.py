"""Staff endpoints take an API key `X-Api-Key: <key id>.<secret>`; the key id is who acts, for the audit trail.

Each key is one SSM SecureString under the staff keys path, named by its id,
so a key is issued or revoked without a deploy.
"""

import hmac
import re

from chalicelib.ports import SecretStore
from chalicelib.ports.errors import NotAuthenticated

_KEY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def authenticate_staff(api_key: str | None, keys: SecretStore) -> str:
    """The key id of a valid key; NotAuthenticated otherwise (the same answer for an unknown id and a wrong secret)."""
    if not api_key:
        raise NotAuthenticated("this endpoint needs the header X-Api-Key: <key id>.<secret>")
    key_id, _, secret = api_key.partition(".")
    expected = keys.secret(key_id) if _KEY_ID.fullmatch(key_id) and secret else None
    if expected is None or not hmac.compare_digest(expected, secret.encode()):
        raise NotAuthenticated("the API key is not valid")
    return key_id
