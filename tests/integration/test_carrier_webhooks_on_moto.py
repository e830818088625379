"""POST /v1/webhooks/carriers/{carrier} on moto: each style's signature, every checkpoint queued as a
canonical TrackingUpdated, the raw push archived; refusals queue and archive nothing."""

import json
from pathlib import Path

import pytest
from chalice.test import Client

from app import app
from chalicelib.connectors.carriers import CARRIER_STYLES
from tests.integration.conftest import CARRIER_SECRETS

SAMPLES = Path(__file__).parent.parent / "fixtures" / "carriers"
HEADERS = {"aftership": "aftership-hmac-sha256", "17track": "sign", "sf-express": "msgDigest"}


def push(carrier: str, body: bytes, signature: str | None = None):
    headers = {"Content-Type": "application/json"}
    if signature is not False:
        headers[HEADERS.get(carrier, "sign")] = signature or CARRIER_STYLES[carrier].sign(CARRIER_SECRETS[carrier].encode(), body)
    with Client(app) as client:
        return client.http.post(f"/v1/webhooks/carriers/{carrier}", headers=headers, body=body)


def queued(aws) -> list[dict]:
    bodies = []
    while messages := aws["sqs"].receive_message(QueueUrl=aws["queue_url"], MaxNumberOfMessages=10).get("Messages"):
        for message in messages:
            bodies.append(json.loads(message["Body"]))
            aws["sqs"].delete_message(QueueUrl=aws["queue_url"], ReceiptHandle=message["ReceiptHandle"])
    return bodies


def archived(aws) -> list[str]:
    return [o["Key"] for o in aws["s3"].list_objects_v2(Bucket="aftersales-archive").get("Contents", [])]


@pytest.mark.parametrize("carrier, return_id", [("aftership", "RT-3001"), ("17track", "RT-3002"), ("sf-express", "RT-3003")])
def test_a_signed_push_queues_every_checkpoint(aws, carrier, return_id):
    body = (SAMPLES / f"{carrier}.json").read_bytes()
    response = push(carrier, body)
    assert (response.status_code, response.json_body) == (202, {"checkpoints": 4, "status": "accepted"})
    events = queued(aws)
    assert {(e["type"], e["source"], e["data"]["return_id"]) for e in events} == {("TrackingUpdated", carrier, return_id)}
    assert len({e["event_id"] for e in events}) == 4
    [key] = archived(aws)
    assert key.startswith(f"webhooks/{carrier}/")


def test_refused_pushes_queue_and_archive_nothing(aws):
    body = (SAMPLES / "aftership.json").read_bytes()
    cases = [
        (push("aftership", body, "bm90IGl0"), 401),
        (push("aftership", body, False), 401),
        (push("dhl", body, "x"), 404),
        (push("aftership", b"{not json"), 400),
        (push("sf-express", json.dumps({"routes": []}).encode()), 422),
    ]
    assert [response.status_code for response, _ in cases] == [status for _, status in cases]
    assert cases[-1][0].json_body["error"]["field"] == "waybillNo"
    assert queued(aws) == [] and archived(aws) == []
