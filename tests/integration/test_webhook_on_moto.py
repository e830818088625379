"""POST /v1/webhooks/{source} through Chalice's test client against moto's SSM, S3 and SQS."""

import json
import time

from chalice.test import Client

from app import app
from tests.integration.conftest import SECRET
from tests.webhook_events import encode, return_requested, signed_headers


def post(body: bytes, headers: dict, source: str = "generic"):
    with Client(app) as client:
        return client.http.post(f"/v1/webhooks/{source}", headers=headers, body=body)


def queued(aws) -> list[dict]:
    messages = aws["sqs"].receive_message(QueueUrl=aws["queue_url"], MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def test_signed_webhook_is_archived_queued_and_acknowledged(aws):
    body = encode(return_requested())
    response = post(body, signed_headers(SECRET, body, int(time.time())))
    assert response.status_code == 202
    assert response.json_body == {"event_id": "evt-return-RT-1", "status": "accepted"}
    [event] = queued(aws)
    assert (event["type"], event["source"], event["data"]["return_id"]) == ("ReturnRequested", "generic", "RT-1")
    [archived] = aws["s3"].list_objects_v2(Bucket="aftersales-archive")["Contents"]
    assert aws["s3"].get_object(Bucket="aftersales-archive", Key=archived["Key"])["Body"].read() == body


def test_rejected_webhooks_queue_and_archive_nothing(aws):
    body = encode(return_requested(reason="meh"))
    now = int(time.time())
    cases = [
        (post(body, signed_headers(SECRET, body, now)), 422),
        (post(body, signed_headers(b"wrong", body, now)), 401),
        (post(body, {"Content-Type": "application/json"}), 401),
        (post(body, signed_headers(SECRET, body, now), source="nobody"), 404),
        (post(b"{x", signed_headers(SECRET, b"{x", now)), 400),
    ]
    assert [r.status_code for r, _ in cases] == [s for _, s in cases]
    for response, _ in cases:
        assert set(response.json_body["error"]) == {"code", "message", "field"}
    assert cases[0][0].json_body["error"]["field"] == "data.reason"
    assert queued(aws) == []
    assert aws["s3"].list_objects_v2(Bucket="aftersales-archive").get("KeyCount") == 0


def test_a_queue_gone_missing_answers_503_with_nothing_queued_and_the_resend_is_accepted(aws, monkeypatch):
    from chalicelib.bootstrap import bootstrap

    body = encode(return_requested())
    queue_url = aws["queue_url"]
    monkeypatch.setattr(bootstrap().queue, "_url", queue_url + "-gone")  # SQS answers QueueDoesNotExist
    down = post(body, signed_headers(SECRET, body, int(time.time())))
    assert (down.status_code, down.json_body["error"]["code"]) == (503, "queue_unavailable")
    monkeypatch.setattr(bootstrap().queue, "_url", queue_url)
    assert post(body, signed_headers(SECRET, body, int(time.time()))).status_code == 202
    assert [event["event_id"] for event in queued(aws)] == ["evt-return-RT-1"]
