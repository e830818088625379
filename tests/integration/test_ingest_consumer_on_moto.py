"""The ingest consumer on moto, fed by the local cloud's SQS event source (real batches, partial failures, DLQ)."""

import json
import time

from app import app  # noqa: F401  registers the blueprints
from functions.ingest_events import handle_ingest_events
from localcloud.sqs_event_source import SqsEventSource, queue_empty
from tests.webhook_events import order_upserted, return_requested

RECEIVED = "2026-11-22T08:00:00Z"


def canonical(payload: dict, source: str = "tmall") -> str:
    return json.dumps({**payload, "source": source, "received_at": RECEIVED})


def tracking(return_id: str, status: str, at: str, event_id: str) -> dict:
    return {"event_id": event_id, "type": "TrackingUpdated", "occurred_at": at,
            "data": {"carrier": "sf", "tracking_number": "SF123", "status": status, "return_id": return_id}}


def send(aws, *bodies: str) -> None:
    for body in bodies:
        aws["sqs"].send_message(QueueUrl=aws["queue_url"], MessageBody=body)


def source(aws) -> SqsEventSource:
    return SqsEventSource(aws["sqs"], aws["queue_url"], handle_ingest_events)


def drain(aws, deadline_s: float = 15.0) -> None:
    """Poll until the queue has nothing visible or in flight, within a deadline."""
    poller = source(aws)
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        poller.poll_once()
        if queue_empty(aws["sqs"], aws["queue_url"]):
            return
        time.sleep(0.1)
    raise AssertionError("the queue did not drain before the deadline")


def executions(aws) -> list[str]:
    return sorted(e["name"] for e in aws["sfn"].list_executions(stateMachineArn=aws["workflow_arn"])["executions"])


def item(aws, table: str, key: dict) -> dict | None:
    return aws["dynamodb"].Table(table).get_item(Key=key).get("Item")


def test_partial_batch_failure_leaves_exactly_the_failed_record_on_the_queue(aws):
    send(aws, canonical(order_upserted()), "not an event", canonical(return_requested()),
         canonical(return_requested("RT-2", event_id="evt-2")))
    delivered, failed = source(aws).poll_once()
    assert (delivered, failed) == (4, 1)
    assert item(aws, "aftersales-orders", {"order_id": "TM-1001"})["marketplace"] == "tmall"
    assert executions(aws) == ["RT-1", "RT-2"]
    time.sleep(1.2)  # the failed record's visibility timeout
    left = aws["sqs"].receive_message(QueueUrl=aws["queue_url"], MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in left] == ["not an event"]


def test_poison_message_ends_in_the_dlq_and_the_rest_completes(aws):
    send(aws, '{"type": "ReturnRequested"}', canonical(return_requested()))
    drain(aws)
    dead = aws["sqs"].receive_message(QueueUrl=aws["dlq_url"], MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in dead] == ['{"type": "ReturnRequested"}']
    assert executions(aws) == ["RT-1"]


def test_duplicate_deliveries_start_one_execution_and_write_once(aws):
    first = canonical(return_requested())
    send(aws, first)
    drain(aws)
    send(aws, first, canonical(return_requested(event_id="evt-resent-with-new-id")))
    drain(aws)
    assert executions(aws) == ["RT-1"]
    log = aws["dynamodb"].Table("aftersales-event-log").scan()["Items"]
    assert sorted((e["event_id"], e["outcome"]) for e in log) == [
        ("evt-resent-with-new-id", "workflow_started"), ("evt-return-RT-1", "workflow_started"),
    ]


def test_an_older_order_version_never_overwrites_a_newer_one(aws):
    newer = {**order_upserted(status="delivered"), "occurred_at": "2026-11-20T10:00:00Z", "event_id": "o-new"}
    older = {**order_upserted(status="paid"), "occurred_at": "2026-11-20T09:00:00Z", "event_id": "o-old"}
    send(aws, canonical(newer))
    drain(aws)
    send(aws, canonical(older))
    drain(aws)
    assert item(aws, "aftersales-orders", {"order_id": "TM-1001"})["status"] == "delivered"


def test_tracking_before_its_return_is_kept_and_merged(aws):
    send(aws, canonical(tracking("RT-1", "delivered", "2026-11-21T10:00:00Z", "t-2")))
    drain(aws)
    send(aws, canonical(tracking("RT-1", "in_transit", "2026-11-21T08:00:00Z", "t-1")), canonical(return_requested()))
    drain(aws)
    record = item(aws, "aftersales-returns", {"return_id": "RT-1"})
    assert (record["order_id"], record["status"], record["parcel"]["status"]) == ("TM-1001", "requested", "delivered")
    assert executions(aws) == ["RT-1"]


def test_an_execution_running_with_another_input_counts_as_started(aws):
    aws["sfn"].start_execution(stateMachineArn=aws["workflow_arn"], name="RT-1", input='{"other": true}')
    send(aws, canonical(return_requested()))
    drain(aws)
    assert executions(aws) == ["RT-1"]
    assert aws["sqs"].receive_message(QueueUrl=aws["dlq_url"]).get("Messages") is None


def test_an_aborted_execution_is_not_done_its_return_is_restarted_into_the_failures_queue(aws):
    from chalicelib.domain.execution_names import restart_name

    send(aws, canonical(return_requested()))
    drain(aws)
    [first] = aws["sfn"].list_executions(stateMachineArn=aws["workflow_arn"])["executions"]
    aws["sfn"].stop_execution(executionArn=first["executionArn"])  # an operator stopped it, say
    send(aws, canonical(return_requested(event_id="evt-resent")))
    drain(aws)
    restart = restart_name("RT-1", 1)
    assert executions(aws) == sorted(["RT-1", restart])
    [second] = [e for e in aws["sfn"].list_executions(stateMachineArn=aws["workflow_arn"])["executions"]
                if e["name"] == restart]
    started = json.loads(aws["sfn"].describe_execution(executionArn=second["executionArn"])["input"])
    assert started["restart_of"] == {"execution": "RT-1", "status": "ABORTED"}
    assert started["failure"]["Error"] == "ExecutionAborted"
    log = {e["event_id"]: e["outcome"] for e in aws["dynamodb"].Table("aftersales-event-log").scan()["Items"]}
    assert log["evt-resent"] == f"workflow_aborted, restarted for review as {restart}"
    assert aws["sqs"].receive_message(QueueUrl=aws["dlq_url"]).get("Messages") is None


def test_a_failing_message_lands_in_the_dlq_with_its_error_and_a_redrive_after_the_fix_applies_it_once(aws, monkeypatch):
    from chalicelib.bootstrap import bootstrap
    from infra.redrive import dead_letters, redrive

    def broken(event, ports):
        raise RuntimeError("orders table throttled")

    body = canonical(return_requested())
    with monkeypatch.context() as patch:  # until the fix is deployed
        patch.setattr("chalicelib.services.ingest_event.ingest_event", broken)
        send(aws, body)
        drain(aws)
    [letter] = dead_letters(aws["sqs"], aws["dlq_url"], bootstrap().event_log, hide_seconds=1)
    assert letter["body"] == body
    assert (letter["failure"]["error_type"], letter["failure"]["error"], letter["failure"]["failures"]) == (
        "RuntimeError", "orders table throttled", 2
    )
    assert executions(aws) == []

    time.sleep(1.1)  # dead_letters left them invisible for a moment; redrive reads them again
    aws["sqs"].send_message(QueueUrl=aws["dlq_url"], MessageBody=body)  # and a second copy, as after a crash
    assert redrive(aws["sqs"], aws["dlq_url"], aws["queue_url"]) == 2
    drain(aws)
    assert executions(aws) == ["RT-1"]
    log = aws["dynamodb"].Table("aftersales-event-log").scan()["Items"]
    assert [item["outcome"] for item in log if item["event_id"] == "evt-return-RT-1"] == ["workflow_started"]
    assert aws["sqs"].receive_message(QueueUrl=aws["dlq_url"]).get("Messages") is None
