"""POST /v1/webhooks/{source} through Chalice's test client against moto's SSM, S3 and SQS.

Behind the edge every record is its shop's: what a shop sends is queued tenant-qualified ("generic/RT-1", its
event id "generic/evt-..."), and the webhook answers with the sender's own event id."""

import json
import time

import pytest
from chalice.test import Client

from app import app
from localcloud.cloud import clear_caches
from tests.integration.conftest import SECRET
from tests.integration.test_ingest_consumer_on_moto import drain
from tests.webhook_events import encode, order_upserted, return_requested, signed_headers

OUTLET_SECRET = b"outlet-secret-0001"


def post(body: bytes, headers: dict, source: str = "generic"):
    with Client(app) as client:
        return client.http.post(f"/v1/webhooks/{source}", headers=headers, body=body)


def send(payload: dict, source: str = "generic", secret: bytes = SECRET):
    body = encode(payload)
    return post(body, signed_headers(secret, body, int(time.time())), source)


def queued(aws) -> list[dict]:
    messages = aws["sqs"].receive_message(QueueUrl=aws["queue_url"], MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def archived(aws) -> list[str]:
    return [o["Key"] for o in aws["s3"].list_objects_v2(Bucket="aftersales-archive").get("Contents", [])]


def test_signed_webhook_is_archived_queued_and_acknowledged(aws):
    body = encode(return_requested())
    response = post(body, signed_headers(SECRET, body, int(time.time())))
    assert response.status_code == 202
    assert response.json_body == {"event_id": "evt-return-RT-1", "status": "accepted"}  # the sender's own id
    messages = aws["sqs"].receive_message(
        QueueUrl=aws["queue_url"], MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    )["Messages"]
    [message] = messages
    event = json.loads(message["Body"])
    # Queued as the records behind the edge know it: the event id qualified by its source, the ids by its shop.
    assert (event["type"], event["source"], event["event_id"]) == ("ReturnRequested", "generic", "generic/evt-return-RT-1")
    assert (event["data"]["return_id"], event["data"]["order_id"]) == ("generic/RT-1", "generic/TM-1001")
    assert {name: value["StringValue"] for name, value in message["MessageAttributes"].items()} == {
        "type": "ReturnRequested", "source": "generic", "event_id": "generic/evt-return-RT-1",
    }
    [key] = archived(aws)
    assert key.startswith("webhooks/generic/") and key.split("/")[-1].startswith("evt-return-RT-1-")
    assert aws["s3"].get_object(Bucket="aftersales-archive", Key=key)["Body"].read() == body


def test_rejected_webhooks_queue_and_archive_nothing(aws):
    body = encode(return_requested(reason="meh"))
    now = int(time.time())
    cases = [
        (post(body, signed_headers(SECRET, body, now)), 422, "invalid_value"),
        (post(body, signed_headers(b"wrong", body, now)), 401, "invalid_signature"),
        (post(body, {"Content-Type": "application/json"}), 401, "invalid_signature"),
        # An unknown source answers exactly like a bad signature: sources cannot be enumerated.
        (post(body, signed_headers(SECRET, body, now), source="nobody"), 401, "invalid_signature"),
        (post(b"{x", signed_headers(SECRET, b"{x", now)), 400, "invalid_json"),
    ]
    assert [(r.status_code, r.json_body["error"]["code"]) for r, _, _ in cases] == [(s, c) for _, s, c in cases]
    for response, _, _ in cases:
        assert set(response.json_body["error"]) == {"code", "message", "field"}
    assert cases[0][0].json_body["error"]["field"] == "data.reason"
    assert cases[3][0].json_body == cases[1][0].json_body  # word for word
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
    assert [event["event_id"] for event in queued(aws)] == ["generic/evt-return-RT-1"]


# Two shops: "outlet" registered beside "generic", a shop of the default kind (it sends its own orders, returns,
# cancellations and evidence, about itself only).


@pytest.fixture
def outlet(aws):
    aws["session"].client("ssm").put_parameter(
        Name="/aftersales/sources/outlet", Type="SecureString",
        Value=json.dumps({"kind": "shop", "secrets": [OUTLET_SECRET.decode()]}),
    )
    clear_caches()  # the registry is cached: what a cold Lambda (or the cache's 5 minutes) does
    return lambda payload: send(payload, "outlet", OUTLET_SECRET)




def item(aws, table: str, key: dict) -> dict | None:
    return aws["dynamodb"].Table(table).get_item(Key=key).get("Item")


def records_of(aws, shop: str) -> dict:
    """The shop's order, return and customer as stored (its own ids TM-1001, RT-1 and C-1)."""
    return {
        "order": item(aws, "aftersales-orders", {"order_id": f"{shop}/TM-1001"}),
        "return": item(aws, "aftersales-returns", {"return_id": f"{shop}/RT-1"}),
        "customer": item(aws, "aftersales-customers", {"customer_id": f"{shop}/C-1"}),
    }


def test_two_shops_with_the_same_order_and_return_ids_keep_two_records_neither_changing_the_other(aws, outlet):
    # generic's order and return, then outlet's with the same ids (event ids too) and other contents.
    generic_order = order_upserted(shipping_fee="12.00")
    outlet_order = order_upserted(shipping_fee="8.00", order_discount="0.00", currency="CNY")
    generic_return = return_requested(reason="changed_mind")
    outlet_return = return_requested(reason="wrong_size", items=[{"line_id": "L2", "quantity": 2}])
    answers = [send(generic_order), send(generic_return)]
    assert [(r.status_code, r.json_body) for r in answers] == [
        (202, {"event_id": "evt-order-TM-1001", "status": "accepted"}),
        (202, {"event_id": "evt-return-RT-1", "status": "accepted"}),
    ]
    drain(aws)
    generic_before = records_of(aws, "generic")
    assert all(generic_before.values())

    answers = [outlet(outlet_order), outlet(outlet_return)]
    assert [(r.status_code, r.json_body) for r in answers] == [
        (202, {"event_id": "evt-order-TM-1001", "status": "accepted"}),
        (202, {"event_id": "evt-return-RT-1", "status": "accepted"}),
    ]  # outlet's event ids are its own: not duplicates of generic's
    drain(aws)

    assert records_of(aws, "generic") == generic_before  # outlet changed nothing of generic's
    outlets = records_of(aws, "outlet")
    assert (outlets["order"]["shipping_fee"], outlets["order"]["marketplace"]) == ("8.00", "outlet")
    assert (generic_before["order"]["shipping_fee"], generic_before["order"]["marketplace"]) == ("12.00", "generic")
    assert (outlets["return"]["order_id"], outlets["return"]["reason"], outlets["return"]["items"]) == (
        "outlet/TM-1001", "wrong_size", [{"line_id": "L2", "quantity": 2}]
    )
    assert (generic_before["return"]["order_id"], generic_before["return"]["reason"]) == ("generic/TM-1001", "changed_mind")
    assert (outlets["return"]["customer_id"], generic_before["return"]["customer_id"]) == ("outlet/C-1", "generic/C-1")
    assert outlets["customer"] is not None
    # Exactly two of each, and nothing under the bare ids.
    assert sorted(i["order_id"] for i in aws["dynamodb"].Table("aftersales-orders").scan()["Items"]) == [
        "generic/TM-1001", "outlet/TM-1001"]
    assert sorted(i["return_id"] for i in aws["dynamodb"].Table("aftersales-returns").scan()["Items"]) == [
        "generic/RT-1", "outlet/RT-1"]
    log = aws["dynamodb"].Table("aftersales-event-log").scan()["Items"]
    assert sorted(entry["event_id"] for entry in log) == [
        "generic/evt-order-TM-1001", "generic/evt-return-RT-1", "outlet/evt-order-TM-1001", "outlet/evt-return-RT-1",
    ]
    executions = aws["sfn"].list_executions(stateMachineArn=aws["workflow_arn"])["executions"]
    assert sorted(e["name"] for e in executions) == ["generic.RT-1", "outlet.RT-1"]  # one workflow each

    # A follow-up from outlet about "its" RT-1 touches outlet's return only.
    evidence = {"event_id": "evt-evidence-1", "type": "EvidenceAdded", "occurred_at": "2026-11-20T10:00:00Z",
                "data": {"return_id": "RT-1", "evidence_urls": ["https://img.example.com/outlet.jpg"]}}
    assert outlet(evidence).status_code == 202
    drain(aws)
    assert records_of(aws, "generic") == generic_before
    from chalicelib.bootstrap import bootstrap

    assert bootstrap().returns.get("outlet/RT-1").evidence == ["https://img.example.com/outlet.jpg"]
    assert bootstrap().returns.get("generic/RT-1").evidence == []


def test_a_shop_sending_an_event_type_it_is_not_granted_is_refused_and_nothing_is_queued(aws, outlet):
    inspection = {"event_id": "evt-ins-1", "type": "InspectionCompleted", "occurred_at": "2026-11-21T12:00:00Z",
                  "data": {"return_id": "RT-1", "items": [{"line_id": "L1", "accepted": 1}]}}
    response = outlet(inspection)
    assert (response.status_code, response.json_body["error"]["code"]) == (403, "event_type_not_granted")
    assert "InspectionCompleted" in response.json_body["error"]["message"]
    assert queued(aws) == [] and archived(aws) == []
    assert send(inspection).status_code == 202  # generic is granted every type: the refusal is outlet's


def test_a_shop_naming_another_shop_is_refused_and_nothing_is_queued(aws, outlet):
    response = outlet({**return_requested(), "shop": "generic"})
    assert (response.status_code, response.json_body["error"]["code"]) == (403, "shop_not_granted")
    assert queued(aws) == [] and archived(aws) == []
    named_itself = outlet({**return_requested(), "shop": "outlet"})  # naming its own shop is what it may do
    assert named_itself.status_code == 202
    assert [event["data"]["return_id"] for event in queued(aws)] == ["outlet/RT-1"]
