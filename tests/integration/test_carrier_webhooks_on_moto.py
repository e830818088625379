"""POST /v1/webhooks/carriers/{carrier} on moto: each style's signature, every checkpoint queued as a
canonical TrackingUpdated, the raw push archived; refusals queue and archive nothing. JSON styles first, then the
form styles (Kuaidi100, SF's open platform) with the answers their carriers expect.

A checkpoint's event id is qualified by its carrier ("aftership/trk-..."); the return id the carrier passes on is
qualified by the one shop the carrier is registered for ("generic/RT-3001"), and dropped when it serves several."""

import json
from pathlib import Path
from urllib.parse import urlencode

import pytest
from chalice.test import Client

from app import app
from chalicelib.connectors.carriers import CARRIER_STYLES, kuaidi100, sf_open_platform
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


# --- The form styles over HTTP: Kuaidi100's poll callback and SF's open-platform route push, answered as each
# documents (200 and its own body), refused with its own failure body and our status.

FORM = "application/x-www-form-urlencoded;charset=UTF-8"
KUAIDI100_SALT = "kuaidi100-salt-001"


def post_form(carrier: str, fields: dict):
    with Client(app) as client:
        return client.http.post(f"/v1/webhooks/carriers/{carrier}", headers={"Content-Type": FORM},
                                body=urlencode(fields).encode())


def kuaidi100_fields(param: str | None = None, salt: str = KUAIDI100_SALT) -> dict:
    param = (SAMPLES / "kuaidi100.json").read_text() if param is None else param
    return {"param": param, "sign": kuaidi100.sign(salt.encode(), param.encode())}


def sf_fields(msg_data: str | None = None, check_word: str = CARRIER_SECRETS["sf-express"]) -> dict:
    msg_data = (SAMPLES / "sf-express-open-platform.json").read_text() if msg_data is None else msg_data
    timestamp = "1763798400000"
    return {"partnerID": "AFTERSALES01", "requestID": "6e3f1c2a-9d7b-4a51-8c0e-2b5d7f9a1c33",
            "serviceCode": "RoutePushService", "timestamp": timestamp,
            "msgDigest": sf_open_platform.digests(check_word.encode(), msg_data, timestamp)[0], "msgData": msg_data}


@pytest.fixture
def with_kuaidi100(aws):
    registered(aws, "kuaidi100", {"kind": "carrier", "secrets": [KUAIDI100_SALT], "shops": ["generic"]})
    return aws


def test_a_kuaidi100_push_is_answered_as_kuaidi100_documents_and_its_checkpoints_queued_once(with_kuaidi100):
    aws = with_kuaidi100
    first, again = post_form("kuaidi100", kuaidi100_fields()), post_form("kuaidi100", kuaidi100_fields())

    for response in (first, again):
        assert response.status_code == 200
        assert response.json_body == {"result": True, "returnCode": "200", "message": "成功"}
        assert "成功".encode() in response.body  # the text itself, as documented, not \u escapes
        assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    events = queued(aws)
    ids = [e["event_id"] for e in events]
    assert len(ids) == 8 and ids[:4] == ids[4:] and all(i.startswith("kuaidi100/trk-") for i in ids)
    assert {(e["data"]["carrier"], e["data"]["tracking_number"], e["data"]["return_id"]) for e in events} == {
        ("zto", "78123456789012", None)}
    assert [e["data"]["status"] for e in events[:4]] == ["delivered", "in_transit", "in_transit", "in_transit"]
    [key] = archived(aws)
    assert key.startswith("webhooks/kuaidi100/")


def test_an_sf_open_platform_push_is_answered_as_sf_documents_and_links_our_return(aws):
    response = post_form("sf-express", sf_fields())

    assert (response.status_code, response.json_body) == (200, {"return_code": "0000", "return_msg": "成功"})
    events = queued(aws)
    assert len(events) == 4
    assert {(e["data"]["carrier"], e["data"]["return_id"]) for e in events} == {("sf-express", "generic/RT-3003")}


def test_refused_form_pushes_get_the_carriers_failure_body_with_our_status_and_nothing_is_written(with_kuaidi100):
    aws = with_kuaidi100
    bad_sign = post_form("kuaidi100", kuaidi100_fields(salt="not-the-salt"))
    no_param = post_form("kuaidi100", {"sign": "C66A519B9C4DCB4892650133AEA14389"})
    not_json = post_form("kuaidi100", kuaidi100_fields("{not json"))
    no_number = post_form("kuaidi100", kuaidi100_fields(json.dumps({"lastResult": {"com": "yuantong", "data": []}})))
    sf_bad_digest = post_form("sf-express", sf_fields(check_word="not-the-check-word"))
    sf_not_json = post_form("sf-express", sf_fields("<Request/>"))
    sf_no_time = post_form("sf-express", sf_fields(json.dumps({"WaybillRoute": [{"mailno": "SF1", "opCode": "50"}]})))

    assert [(r.status_code, r.json_body["error"]["field"]) for r in (
        bad_sign, no_param, not_json, no_number, sf_bad_digest, sf_not_json, sf_no_time)] == [
        (401, None), (422, "param"), (422, "param"), (422, "lastResult.nu"), (401, None), (422, "msgData"),
        (422, "WaybillRoute[0].acceptTime")]
    assert {k: bad_sign.json_body[k] for k in ("result", "returnCode", "message")} == {
        "result": False, "returnCode": "401", "message": "sign does not match the body"}
    assert bad_sign.json_body["error"]["code"] == "invalid_signature"
    assert (no_number.json_body["result"], no_number.json_body["returnCode"]) == (False, "422")
    assert no_number.json_body["message"].startswith("lastResult.nu: ")
    assert {k: sf_bad_digest.json_body[k] for k in ("return_code", "return_msg")} == {
        "return_code": "1000", "return_msg": "msgDigest does not match the body"}
    assert sf_no_time.json_body["return_code"] == "1000"
    assert queued(aws) == [] and archived(aws) == []


def test_a_form_style_not_registered_is_refused_like_a_bad_signature(aws):
    """kuaidi100 has a style but is not registered here: word for word what a wrong salt gets."""
    unregistered = post_form("kuaidi100", kuaidi100_fields())
    registered(aws, "kuaidi100", {"kind": "carrier", "secrets": [KUAIDI100_SALT], "shops": ["generic"]})
    wrong_salt = post_form("kuaidi100", kuaidi100_fields(salt="not-the-salt"))

    assert (unregistered.status_code, unregistered.json_body) == (401, wrong_salt.json_body)
    assert queued(aws) == [] and archived(aws) == []


def test_a_content_type_the_route_does_not_take_is_refused_before_any_work(aws):
    with Client(app) as client:
        response = client.http.post("/v1/webhooks/carriers/kuaidi100", headers={"Content-Type": "text/plain"},
                                    body=urlencode(kuaidi100_fields()).encode())

    assert response.status_code == 415
    assert queued(aws) == [] and archived(aws) == []


def sf_documented_push(key: str | None, body: dict | None = None):
    """SF's RoutePushService as SF documents it: JSON in a Body, no signature; the secret is in the push address."""
    nodes = json.loads(sf_fields()["msgData"])
    body = body or (nodes if "Body" in nodes else {"Body": nodes})
    path = "/v1/webhooks/carriers/sf-express" + (f"?key={key}" if key is not None else "")
    with Client(app) as client:
        return client.http.post(path, headers={"Content-Type": "application/json"}, body=json.dumps(body).encode())


def test_sfs_documented_json_push_is_taken_with_the_secret_in_its_address(aws):
    response = sf_documented_push(CARRIER_SECRETS["sf-express"])

    assert (response.status_code, response.json_body) == (200, {"return_code": "0000", "return_msg": "成功"})
    assert len(queued(aws)) == 4


@pytest.mark.parametrize("key", [None, "", "not-the-secret"])
def test_sfs_documented_json_push_without_the_addresss_secret_is_refused_and_nothing_queued(aws, key):
    response = sf_documented_push(key)

    assert response.status_code == 401
    if key is None:  # no key, no msgDigest header: the old JSON shape's refusal
        assert response.json_body["error"]["code"] == "invalid_signature"
    else:  # SF's own push, with a key that is not the secret: SF's failure body
        assert (response.json_body["return_code"], response.json_body["error"]["code"]) == ("1000", "invalid_signature")
    assert queued(aws) == []
