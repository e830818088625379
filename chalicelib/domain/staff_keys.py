"""Staff API keys: `X-Api-Key: <key id>.<secret>`, stored as the SHA-256 of the secret with the key's roles.

Each key is one SecureString under the staff keys path, named by its id:

    {"sha256": "<hex SHA-256 of the secret>", "roles": ["after_sales", "finance"]}

The secrets are random (at least 128 bits), so a plain SHA-256 is as good as a slow hash here, and a leaked
parameter does not give the key away.
"""

import hashlib
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

KEY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


class Role(StrEnum):
    AFTER_SALES = "after_sales"  # review queues, previews, tracking links
    FINANCE = "finance"  # the finance queue, write-offs, refund records, exports, reconciliation
    ADMIN = "admin"  # everything


@dataclass(frozen=True)
class StaffKey:
    key_id: str
    sha256: bytes
    roles: frozenset[Role]

    def allows(self, role: Role) -> bool:
        return role in self.roles or Role.ADMIN in self.roles


@dataclass(frozen=True)
class Staff:
    """Who makes a staff call: their key, and the address the call came from (for the audit trail)."""

    key: StaffKey
    address: str | None = None

    @property
    def key_id(self) -> str:
        return self.key.key_id


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    roles: Annotated[list[Role], Field(min_length=1)]


def staff_key_of(key_id: str, document: str) -> StaffKey:
    entry = _Entry.model_validate_json(document)
    return StaffKey(key_id, bytes.fromhex(entry.sha256), frozenset(entry.roles))


def secret_hash(secret: str) -> str:
    """What is stored for a key: `python -c` this, or `printf %s "$SECRET" | sha256sum`."""
    return hashlib.sha256(secret.encode()).hexdigest()
