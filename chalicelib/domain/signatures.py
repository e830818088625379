"""HMAC-SHA256 webhook signatures over "{timestamp}.{raw body}" (the generic source format).

Computed over the raw bytes as received, compared in constant time, and only
within a tolerance around our clock, both ways, so a captured delivery
cannot be replayed later and a forged future timestamp buys nothing. The
signature is compared as bytes, so a header of any characters is a plain mismatch.
"""

import hashlib
import hmac
import re

TOLERANCE_SECONDS = 300
_UNIX_SECONDS = re.compile(r"[0-9]{1,12}")  # ASCII digits only: str.isdigit() also takes '²'


class SignatureError(ValueError):
    """Why a delivery is not authentic; the webhook answers 401 with this text."""


def sign(secret: bytes, timestamp: str, raw_body: bytes) -> str:
    return hmac.new(secret, timestamp.encode() + b"." + raw_body, hashlib.sha256).hexdigest()


def verify_signature(
    secrets: tuple[bytes, ...],
    timestamp: str | None,
    signature: str | None,
    raw_body: bytes,
    now: float,
    tolerance: int = TOLERANCE_SECONDS,
) -> None:
    """Any of the source's secrets (the current one, and the previous one while a rotation is under way)."""
    if not timestamp:
        raise SignatureError("missing X-Aftersales-Timestamp header")
    if not signature:
        raise SignatureError("missing X-Aftersales-Signature header")
    if not _UNIX_SECONDS.fullmatch(timestamp):
        raise SignatureError("X-Aftersales-Timestamp must be Unix seconds")
    skew = now - int(timestamp)
    if skew > tolerance:
        raise SignatureError(f"timestamp is {int(skew)} s old; the tolerance is {tolerance} s")
    if -skew > tolerance:
        raise SignatureError(f"timestamp is {int(-skew)} s in the future; the tolerance is {tolerance} s")
    given = signature.strip().lower().encode("utf-8", "surrogatepass")
    if not any(hmac.compare_digest(sign(secret, timestamp, raw_body).encode(), given) for secret in secrets):
        raise SignatureError("signature does not match the body")
