"""A queued message's stable name: the same body is the same message, in the queue, in the DLQ and redriven."""

import hashlib


def message_key(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()[:32]
