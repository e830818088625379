"""Make in-process moto as safe under threads as AWS is, and fast enough for a few hundred returns.

AWS applies each API call atomically; moto, called from many threads at
once, does not always: a failed DynamoDB transaction restores deep copies of
whole tables taken before it began (undoing another thread's write
meanwhile), and two S3 puts of one key race on the object's buffer. The
local cloud runs executions, the API and the SQS poller on threads, so
every DynamoDB request moto answers takes one lock, and every S3 request
another. (One lock for all of moto is correct too, but measured 7x slower.)
"""

import functools
import threading

_locks = {"dynamodb": threading.Lock(), "s3": threading.Lock()}


def _service(request) -> str | None:
    target = request.headers.get("X-Amz-Target") or b""
    if isinstance(target, bytes):
        target = target.decode()
    if target.startswith("DynamoDB_"):
        return "dynamodb"
    return "s3" if ".s3." in request.url or "//s3." in request.url else None


def serialize_moto_requests() -> None:
    """Idempotent: wraps moto's request dispatch once per process."""
    from moto.core.botocore_stubber import BotocoreStubber

    dispatch = BotocoreStubber.process_request
    if getattr(dispatch, "_serialized", False):
        return

    @functools.wraps(dispatch)
    def process_request(self, request):
        lock = _locks.get(_service(request))
        if lock is None:
            return dispatch(self, request)
        with lock:
            return dispatch(self, request)

    process_request._serialized = True
    BotocoreStubber.process_request = process_request


def reuse_lambda_clients() -> None:
    """moto's Step Functions builds a new boto3 Lambda client for every task, which scans botocore's
    data directory each time: most of the local cloud's CPU. Clients are thread-safe, so reuse one per
    region and Invoke endpoint."""
    import os

    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

    if getattr(lambda_eval_utils.boto_client_for, "_reused", False):
        return
    build = lambda_eval_utils.boto_client_for

    @functools.lru_cache(maxsize=8)
    def client(region: str, service: str, endpoint: str | None):
        return build(region=region, service=service)

    def boto_client_for(region: str, service: str, state_credentials=None):
        return client(region, service, os.environ.get(f"AWS_ENDPOINT_URL_{service.upper()}"))

    boto_client_for._reused = True
    lambda_eval_utils.boto_client_for = boto_client_for


def parse_each_definition_once() -> None:
    """moto's Step Functions parses the ASL (an ANTLR grammar) again for every execution it starts: a sixth of
    the local cloud's CPU under load. The parsed program keeps no execution's state (that lives in each
    execution's Environment), so one parse per definition serves them all."""
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    if getattr(AmazonStateLanguageParser.parse, "_cached", False):
        return
    parse = functools.lru_cache(maxsize=16)(AmazonStateLanguageParser.parse)
    parse._cached = True
    AmazonStateLanguageParser.parse = staticmethod(parse)


_ITEM_OPERATIONS = frozenset({
    "GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "TransactWriteItems", "TransactGetItems",
    "BatchGetItem", "BatchWriteItem",
})


def answer_item_operations_as_json() -> None:
    """moto walks every DynamoDB answer through botocore's output shape to serialize it: a third of the local
    cloud's CPU. The answers of the item operations are already DynamoDB JSON (attribute values as {"S": ...}),
    so they are dumped as they are (checked equal to the serializer's output for every operation this app uses;
    anything else, errors included, still goes through moto's serializer)."""
    import json

    from moto.dynamodb.responses import DynamoResult

    serialize = DynamoResult.execute_result
    if getattr(serialize, "_fast", False):
        return

    @functools.wraps(serialize)
    def execute_result(self, context):
        if context.operation_model.name not in _ITEM_OPERATIONS:
            return serialize(self, context)
        try:
            body = json.dumps(self.result)
        except TypeError:  # something the shape must convert (a timestamp, bytes)
            return serialize(self, context)
        return 200, {"Content-Type": "application/x-amz-json-1.0"}, body

    execute_result._fast = True
    DynamoResult.execute_result = execute_result


def receive_without_recounting_the_queue() -> None:
    """moto's SQS checks each message's retention on receive by asking for every queue attribute, which counts
    every message of the queue again: a receive costs the square of the queue's depth. The retention period is
    read directly instead (same rule: a message older than the queue's retention period is not delivered)."""
    from moto.core.utils import unix_time
    from moto.sqs.models import SQSBackend

    if getattr(SQSBackend.is_message_valid_based_on_retention_period, "_direct", False):
        return

    def is_message_valid_based_on_retention_period(self, queue_name: str, message) -> bool:
        retention_period = int(self.get_queue(queue_name).message_retention_period)
        return retention_period + message.sent_timestamp / 1000 > unix_time()

    is_message_valid_based_on_retention_period._direct = True
    SQSBackend.is_message_valid_based_on_retention_period = is_message_valid_based_on_retention_period


def read_the_clock_cheaply_in_sqs() -> None:
    """moto's SQS asks whether each message is visible or delayed by building two datetimes and subtracting
    them, for every message of the queue on every receive and attribute read: a tenth of the local cloud's
    CPU. The same epoch time is read from time.time() (an explicit datetime still goes through moto's)."""
    import time

    from moto.core import utils
    from moto.sqs import models

    if getattr(models.unix_time_millis, "_cheap", False):
        return

    def unix_time(dt=None) -> float:
        return time.time() if dt is None else utils.unix_time(dt)

    def unix_time_millis(dt=None) -> float:
        return unix_time(dt) * 1000.0

    unix_time_millis._cheap = True
    models.unix_time, models.unix_time_millis = unix_time, unix_time_millis
