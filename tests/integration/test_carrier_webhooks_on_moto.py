"""POST /v1/webhooks/carriers/{carrier} on moto: each style's signature, every checkpoint queued as a
canonical TrackingUpdated, the raw push archived; refusals queue and archive nothing.

A checkpoint's event id is qualified by its carrier ("aftership/trk-..."); the return id the carrier passes on is
qualified by the one shop the carrier is registered for ("generic/RT-3001"), and dropped when it serves several."""

import json
from pathlib import Path

import pytest
from chalice.test import Client

from app import app
from chalicelib.connectors.carriers import CARRIER_STYLES
from localcloud.cloud import clear_caches
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
    assert {(e["type"], e["source"], e["data"]["return_id"]) for e in events} == {
        ("TrackingUpdated", carrier, f"generic/{return_id}")  # the carrier serves generic alone
    }
    assert len({e["event_id"] for e in events}) == 4
    assert all(e["event_id"].startswith(f"{carrier}/trk-") for e in events)
    [key] = archived(aws)
    assert key.startswith(f"webhooks/{carrier}/")
    assert key.split("/")[-1].startswith("trk-")  # the archive names the carrier's checkpoint by its own id


def test_refused_pushes_queue_and_archive_nothing(aws):
    body = (SAMPLES / "aftership.json").read_bytes()
    cases = [
        (push("aftership", body, "bm90IGl0"), 401),
        (push("aftership", body, False), 401),
        (push("dhl", body, "x"), 401),  # no such carrier style: answered like a bad signature
        (push("aftership", b"{not json"), 400),
        (push("sf-express", json.dumps({"routes": []}).encode()), 422),
    ]
    assert [response.status_code for response, _ in cases] == [status for _, status in cases]
    assert [response.json_body["error"]["code"] for response, _ in cases[:3]] == ["invalid_signature"] * 3
    assert cases[-1][0].json_body["error"]["field"] == "waybillNo"
    assert queued(aws) == [] and archived(aws) == []


def registered(aws, carrier: str, entry: dict | None) -> None:
    """Change the carrier's registry entry (None: unregister it); the next call reads the registry again."""
    ssm, name = aws["session"].client("ssm"), f"/aftersales/sources/{carrier}"
    if entry is None:
        ssm.delete_parameter(Name=name)
    else:
        ssm.put_parameter(Name=name, Value=json.dumps(entry), Type="SecureString", Overwrite=True)
    clear_caches()


def test_a_carrier_style_that_is_not_registered_is_refused_like_a_bad_signature(aws):
    body = (SAMPLES / "17track.json").read_bytes()
    badly_signed = push("17track", body, "bm90IGl0")  # while it is registered
    registered(aws, "17track", None)
    response = push("17track", body)  # signed with the secret it had
    assert (response.status_code, response.json_body["error"]["code"]) == (401, "invalid_signature")
    # Word for word what a registered carrier's bad signature gets: registrations cannot be enumerated.
    assert response.json_body == badly_signed.json_body
    assert queued(aws) == [] and archived(aws) == []


@pytest.mark.parametrize("shops", [["generic", "outlet"], ["*"]])
def test_a_carrier_serving_several_shops_links_no_return_by_the_id_it_passes(aws, shops):
    """Which shop's RT-3001 it means it cannot say: the checkpoints are queued for the parcel alone."""
    registered(aws, "aftership", {"kind": "carrier", "secrets": [CARRIER_SECRETS["aftership"]], "shops": shops})
    response = push("aftership", (SAMPLES / "aftership.json").read_bytes())
    assert (response.status_code, response.json_body) == (202, {"checkpoints": 4, "status": "accepted"})
    events = queued(aws)
    assert len(events) == 4
    assert {(e["data"]["return_id"], e["data"]["tracking_number"]) for e in events} == {(None, "1Z999AA10123456784")}
    assert all(e["event_id"].startswith("aftership/trk-") for e in events)
