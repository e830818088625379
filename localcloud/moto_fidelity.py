"""Make moto's DynamoDB as atomic under threads as DynamoDB is.

moto applies a transaction item by item and, when one fails, restores deep
copies of the whole tables taken before it began: a write another thread
made meanwhile (another return's ledger record) is silently undone. AWS
isolates transactions instead. The local cloud runs many executions on
threads, so every moto DynamoDB operation here takes one lock; each stays
atomic, as on AWS, and nothing is lost to a neighbour's rollback.
"""

import functools
import threading

_OPERATIONS = ("put_item", "get_item", "query", "scan", "update_item", "delete_item", "transact_write_items")
_lock = threading.RLock()


def serialize_dynamodb() -> None:
    """Idempotent: wraps moto's DynamoDB backend operations once per process."""
    from moto.dynamodb.models import DynamoDBBackend

    for name in _OPERATIONS:
        operation = getattr(DynamoDBBackend, name)
        if getattr(operation, "_serialized", False):
            continue
        setattr(DynamoDBBackend, name, _locked(operation))


def _locked(operation):
    @functools.wraps(operation)
    def run(*args, **kwargs):
        with _lock:
            return operation(*args, **kwargs)

    run._serialized = True
    return run
