"""accept_carrier_push on the twins: a carrier's own signature, its checkpoints queued as canonical events, the raw
body archived; nothing written for a refused push. First the styles signed in a header, then the form styles
(Kuaidi100, SF's open platform), whose signature is a field of the form."""

import json
from pathlib import Path
from urllib.parse import urlencode

import pytest

from chalicelib.adapters.memory import MemoryQueue
from chalicelib.connectors.carriers import CARRIER_STYLES, kuaidi100, route_push, sf_open_platform
from chalicelib.domain.errors import InvalidInput, InvalidJson
from chalicelib.domain.events import TrackingUpdated, canonical_events
from chalicelib.domain.tenancy import qualify
from chalicelib.ports.errors import NotAuthenticated, QueueUnavailable, TooLarge
from chalicelib.services.accept_carrier_push import accept_carrier_push
from chalicelib.services.accept_webhook import MAX_BODY_BYTES
from tests.unit.services.given import NOW, registry, twins

FIXTURES = Path(__file__).parents[2] / "fixtures" / "carriers"
SECRETS = {"aftership": b"aftership-key-0001", "17track": b"17track-key-00001", "sf-express": b"sf-checkword-0001",
           "kuaidi100": b"kuaidi100-salt-001"}
# The header each style signs in, spelled as the carrier sends it (header names are case-insensitive).
HEADERS = {"aftership": "Aftership-Hmac-Sha256", "17track": "Sign", "sf-express": "msgDigest"}
CARRIERS = sorted(HEADERS)
FORM = {"Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"}


def carriers(*names: str, shops: tuple[str, ...] = ("generic",)):
    """The carriers registered for `shops` (one shop: the return ids they pass on are that shop's)."""
    return registry(**{
        name: {"kind": "carrier", "secrets": [SECRETS[name].decode()], "shops": list(shops)}
        for name in names or SECRETS
    })


def carrier_ports(**overrides):
    return twins(**{"sources": carriers(), **overrides})


def as_queued(events: list[TrackingUpdated], shop: str | None = "generic") -> list[TrackingUpdated]:
    """What the edge queues: event ids qualified by the carrier, return ids by the carrier's one shop."""
    return [qualify(event, shop if event.data.return_id else None) for event in events]


def fixture_body(carrier: str) -> bytes:
    return (FIXTURES / f"{carrier}.json").read_bytes()


def signed(carrier: str, body: bytes, secret: bytes | None = None) -> dict:
    signature = CARRIER_STYLES[carrier].sign(secret or SECRETS[carrier], body)
    return {"Content-Type": "application/json", HEADERS[carrier]: signature}


def push(ports, carrier: str, body: bytes, headers: dict | None = None) -> int:
    return accept_carrier_push(carrier, signed(carrier, body) if headers is None else headers, body, ports, NOW)


def nothing_written(ports) -> bool:
    return ports.queue.messages == [] and ports.archive.objects == {}


def queued_events(ports) -> list[TrackingUpdated]:
    return [canonical_events.validate_json(body) for body, _ in ports.queue.messages]


@pytest.mark.parametrize("carrier", CARRIERS)
def test_each_checkpoint_of_a_signed_push_is_queued_once_as_a_tracking_event(carrier):
    ports = carrier_ports()
    body = fixture_body(carrier)
    expected = CARRIER_STYLES[carrier].parse(json.loads(body), carrier, NOW)

    queued = push(ports, carrier, body)

    assert queued == len(expected) > 0
    assert queued_events(ports) == as_queued(expected)
    fixture_return = {"aftership": "RT-3001", "17track": "RT-3002", "sf-express": "RT-3003"}[carrier]
    assert {event.data.return_id for event in queued_events(ports)} == {f"generic/{fixture_return}"}
    assert len({event.event_id for event in queued_events(ports)}) == queued


@pytest.mark.parametrize("carrier", CARRIERS)
def test_each_queued_checkpoint_carries_its_type_source_and_event_id_as_attributes(carrier):
    ports = carrier_ports()

    push(ports, carrier, fixture_body(carrier))

    for (body, attributes), event in zip(ports.queue.messages, queued_events(ports)):
        assert attributes == {"type": "TrackingUpdated", "source": carrier, "event_id": event.event_id}
        assert (event.source, event.received_at) == (carrier, NOW)


@pytest.mark.parametrize("carrier", CARRIERS)
def test_the_raw_body_of_a_push_is_archived_once_by_carrier_and_day(carrier):
    ports = carrier_ports()
    body = fixture_body(carrier)

    push(ports, carrier, body)

    [(key, raw)] = ports.archive.objects.items()
    assert raw == body
    assert key.startswith(f"webhooks/{carrier}/2026/11/22/trk-")


def test_the_same_push_delivered_again_queues_the_same_event_ids_for_the_consumer_to_dedupe():
    ports = carrier_ports()
    body = fixture_body("aftership")

    first = push(ports, "aftership", body)
    push(ports, "aftership", body)

    ids = [attributes["event_id"] for _, attributes in ports.queue.messages]
    assert ids[:first] == ids[first:]
    assert len(ports.archive.objects) == 1


def test_the_17track_signature_is_accepted_in_upper_case_hex():
    ports = carrier_ports()
    body = fixture_body("17track")

    queued = push(ports, "17track", body, {"sign": CARRIER_STYLES["17track"].sign(SECRETS["17track"], body).upper()})

    assert queued == len(ports.queue.messages) > 0


@pytest.mark.parametrize("carrier", CARRIERS)
def test_a_push_signed_with_another_key_is_not_authenticated_and_nothing_is_written(carrier):
    ports = carrier_ports()
    body = fixture_body(carrier)

    with pytest.raises(NotAuthenticated) as refused:
        push(ports, carrier, body, signed(carrier, body, secret=b"not-the-key"))

    assert refused.value.code == "invalid_signature"
    assert nothing_written(ports)


@pytest.mark.parametrize("carrier", CARRIERS)
def test_a_push_whose_body_was_changed_after_signing_is_not_authenticated(carrier):
    ports = carrier_ports()
    body = fixture_body(carrier)

    with pytest.raises(NotAuthenticated) as refused:
        push(ports, carrier, body + b" ", signed(carrier, body))

    assert refused.value.code == "invalid_signature"
    assert nothing_written(ports)


@pytest.mark.parametrize("carrier", CARRIERS)
def test_a_push_without_its_signature_header_is_not_authenticated(carrier):
    ports = carrier_ports()

    with pytest.raises(NotAuthenticated) as refused:
        push(ports, carrier, fixture_body(carrier), {"Content-Type": "application/json"})

    assert refused.value.code == "invalid_signature"
    assert nothing_written(ports)


def test_a_push_signed_in_another_carriers_style_is_not_authenticated():
    ports = carrier_ports()
    body = fixture_body("aftership")

    with pytest.raises(NotAuthenticated):
        push(ports, "aftership", body, {"sign": CARRIER_STYLES["17track"].sign(SECRETS["aftership"], body)})

    assert nothing_written(ports)


@pytest.mark.parametrize("carrier", ["dhl", "../aftership", "AfterShip", ""])
def test_a_carrier_with_no_style_is_not_authenticated(carrier):
    ports = carrier_ports()
    body = fixture_body("aftership")

    with pytest.raises(NotAuthenticated) as refused:
        accept_carrier_push(carrier, signed("aftership", body), body, ports, NOW)

    assert refused.value.code == "invalid_signature"
    assert nothing_written(ports)


def test_a_carrier_with_a_style_but_not_registered_is_answered_like_a_wrong_signature():
    ports = twins(sources=carriers("aftership"))
    body = fixture_body("sf-express")

    with pytest.raises(NotAuthenticated) as unregistered:
        push(ports, "sf-express", body)
    with pytest.raises(NotAuthenticated) as wrong_key:
        push(carrier_ports(), "sf-express", body, signed("sf-express", body, secret=b"not-the-key"))

    assert (unregistered.value.code, str(unregistered.value)) == (wrong_key.value.code, str(wrong_key.value))
    assert nothing_written(ports)


def test_a_carrier_serving_several_shops_passes_no_return_on_but_its_checkpoints_are_queued():
    ports = twins(sources=carriers(shops=("generic", "outlet")))
    body = fixture_body("aftership")

    queued = push(ports, "aftership", body)

    assert queued > 0 and {event.data.return_id for event in queued_events(ports)} == {None}


def test_the_previous_secret_still_verifies_during_a_rotation():
    entry = {"kind": "carrier", "secrets": ["aftership-key-0002", SECRETS["aftership"].decode()], "shops": ["generic"]}
    ports = twins(sources=registry(aftership=entry))

    assert push(ports, "aftership", fixture_body("aftership")) > 0


def test_a_shop_is_not_a_carrier():
    """The carrier route takes carriers only: a shop's secret signing a tracking push there is not authenticated."""
    ports = twins(sources=registry(aftership={"kind": "shop", "secrets": [SECRETS["aftership"].decode()]}))

    with pytest.raises(NotAuthenticated):
        push(ports, "aftership", fixture_body("aftership"))
    assert nothing_written(ports)


def test_a_body_over_the_limit_is_too_large_before_anything_else_is_checked():
    ports = carrier_ports()
    body = b" " * (MAX_BODY_BYTES + 1)

    with pytest.raises(TooLarge):
        accept_carrier_push("aftership", {}, body, ports, NOW)

    assert nothing_written(ports)


def test_a_signed_body_that_is_not_json_is_invalid_json():
    ports = carrier_ports()

    with pytest.raises(InvalidJson):
        push(ports, "aftership", b"{not json")

    assert nothing_written(ports)


@pytest.mark.parametrize(
    "carrier, payload, field",
    [
        ("aftership", {"event": "tracking_update"}, "msg"),
        ("aftership", {"msg": {"slug": "ups", "checkpoints": []}}, "msg.tracking_number"),
        ("17track", {"data": {"number": "X", "carrier": "yun", "track_info": {"tracking": {}}}}, "data.carrier"),
        ("sf-express", {"waybillNo": "SF1", "routes": [{"acceptTime": "yesterday", "opCode": "50"}]},
         "routes[0].acceptTime"),
    ],
    ids=["no msg", "no tracking number", "carrier not a number", "time not a time"],
)
def test_a_signed_push_that_breaks_its_style_is_invalid_input_naming_the_field(carrier, payload, field):
    ports = carrier_ports()

    with pytest.raises(InvalidInput) as refused:
        push(ports, carrier, json.dumps(payload).encode())

    assert refused.value.field == field
    assert nothing_written(ports)


def test_a_push_with_no_checkpoints_queues_nothing():
    ports = carrier_ports()
    payload = json.loads(fixture_body("aftership"))
    payload["msg"]["checkpoints"] = []

    assert push(ports, "aftership", json.dumps(payload).encode()) == 0
    assert ports.queue.messages == []


def test_checkpoints_with_a_tag_the_vocabulary_does_not_know_are_not_queued():
    ports = carrier_ports()
    payload = json.loads(fixture_body("aftership"))
    known = len(payload["msg"]["checkpoints"])
    payload["msg"]["checkpoints"].append({"checkpoint_time": "2026-11-21T15:00:00+08:00", "tag": "Teleported"})

    assert push(ports, "aftership", json.dumps(payload).encode()) == known
    assert len(ports.queue.messages) == known


def test_a_queue_that_does_not_take_the_checkpoints_is_queue_unavailable():
    ports = carrier_ports(queue=MemoryQueue(available=False))

    with pytest.raises(QueueUnavailable) as refused:
        push(ports, "sf-express", fixture_body("sf-express"))

    assert refused.value.code == "queue_unavailable"


# --- The form styles: Kuaidi100's poll callback, SF's open-platform route push (the same scans as sf-express.json).


def fixture_text(name: str) -> str:
    return (FIXTURES / f"{name}.json").read_text()


def kuaidi100_form(param: str, secret: bytes = SECRETS["kuaidi100"], **fields: str) -> bytes:
    """`param` last, so that bytes appended to the body change what is signed."""
    return urlencode({"sign": kuaidi100.sign(secret, param.encode()), **fields, "param": param}).encode()


def sf_form(msg_data: str, secret: bytes = SECRETS["sf-express"], timestamp: str = "1763798400000") -> bytes:
    digest = sf_open_platform.digests(secret, msg_data, timestamp)[0]
    return urlencode({"partnerID": "AFTERSALES01", "requestID": "6e3f1c2a-9d7b-4a51-8c0e-2b5d7f9a1c33",
                      "serviceCode": "RoutePushService", "timestamp": timestamp, "msgDigest": digest,
                      "msgData": msg_data}).encode()


FORM_PUSHES = {"kuaidi100": lambda: kuaidi100_form(fixture_text("kuaidi100")),
               "sf-express": lambda: sf_form(fixture_text("sf-express-open-platform"))}


def push_form(ports, carrier: str, body: bytes) -> int:
    return accept_carrier_push(carrier, FORM, body, ports, NOW)


@pytest.mark.parametrize("carrier, return_id", [("kuaidi100", None), ("sf-express", "generic/RT-3003")])
def test_each_checkpoint_of_a_signed_form_push_is_queued_and_its_raw_body_archived(carrier, return_id):
    ports = carrier_ports()
    body = FORM_PUSHES[carrier]()

    queued = push_form(ports, carrier, body)

    assert queued == 4
    assert {event.data.return_id for event in queued_events(ports)} == {return_id}
    assert len({event.event_id for event in queued_events(ports)}) == 4
    [(key, raw)] = ports.archive.objects.items()
    assert raw == body and key.startswith(f"webhooks/{carrier}/2026/11/22/trk-")


@pytest.mark.parametrize("carrier", sorted(FORM_PUSHES))
def test_a_form_push_delivered_again_queues_the_same_event_ids(carrier):
    ports = carrier_ports()

    push_form(ports, carrier, FORM_PUSHES[carrier]())
    push_form(ports, carrier, FORM_PUSHES[carrier]())

    ids = [attributes["event_id"] for _, attributes in ports.queue.messages]
    assert ids[:4] == ids[4:] and len(set(ids)) == 4


def test_sfs_form_and_the_json_shape_queue_the_same_checkpoints_as_the_same_events():
    ports = carrier_ports()

    push_form(ports, "sf-express", FORM_PUSHES["sf-express"]())
    push(ports, "sf-express", fixture_body("sf-express"))

    events = queued_events(ports)
    assert events[:4] == events[4:]


def test_a_form_to_a_carrier_name_without_a_form_style_is_read_as_json():
    ports = carrier_ports()
    body = kuaidi100_form(fixture_text("kuaidi100"), SECRETS["aftership"])

    with pytest.raises(InvalidJson):
        accept_carrier_push("aftership", {**FORM, "aftership-hmac-sha256": CARRIER_STYLES["aftership"].sign(
            SECRETS["aftership"], body)}, body, ports, NOW)

    assert nothing_written(ports)


@pytest.mark.parametrize(
    "carrier, body",
    [("kuaidi100", lambda: kuaidi100_form(fixture_text("kuaidi100"), b"not-the-salt")),
     ("kuaidi100", lambda: kuaidi100_form(fixture_text("kuaidi100")) + b" "),
     ("kuaidi100", lambda: urlencode({"param": fixture_text("kuaidi100")}).encode()),
     ("sf-express", lambda: sf_form(fixture_text("sf-express-open-platform"), b"not-the-check-word")),
     ("sf-express",
      lambda: sf_form(fixture_text("sf-express-open-platform")).replace(b"1763798400000", b"1763798400001")),
     ("sf-express", lambda: sf_form(fixture_text("sf-express-open-platform")).replace(b"&msgDigest=", b"&digest="))],
    ids=["kuaidi100 other salt", "kuaidi100 param changed", "kuaidi100 no sign", "sf other check word",
         "sf timestamp changed", "sf no msgDigest"],
)
def test_a_form_push_not_signed_by_the_carriers_secret_is_not_authenticated_and_nothing_is_written(carrier, body):
    ports = carrier_ports()

    with pytest.raises(NotAuthenticated) as refused:
        push_form(ports, carrier, body())

    assert refused.value.code == "invalid_signature"
    assert nothing_written(ports)


@pytest.mark.parametrize("carrier", sorted(FORM_PUSHES))
def test_a_form_style_not_registered_is_answered_like_a_wrong_signature(carrier):
    body = FORM_PUSHES[carrier]()
    others = [name for name in SECRETS if name != carrier]

    with pytest.raises(NotAuthenticated) as unregistered:
        push_form(twins(sources=carriers(*others)), carrier, body)
    with pytest.raises(NotAuthenticated) as wrong_key:
        push_form(carrier_ports(), carrier, body.replace(b"sign=", b"sign=0").replace(b"msgDigest=", b"msgDigest=0"))

    assert (unregistered.value.code, str(unregistered.value)) == (wrong_key.value.code, str(wrong_key.value))


def test_the_previous_salt_still_verifies_during_a_rotation():
    entry = {"kind": "carrier", "secrets": ["kuaidi100-salt-002", SECRETS["kuaidi100"].decode()], "shops": ["generic"]}

    assert push_form(twins(sources=registry(kuaidi100=entry)), "kuaidi100", FORM_PUSHES["kuaidi100"]()) == 4


def _kuaidi100_param(**last_result) -> str:
    last_result = {"com": "yuantong", "nu": "YT1", "state": "0", **last_result}
    return json.dumps({"status": "polling", "lastResult": last_result})


@pytest.mark.parametrize(
    "carrier, body, field",
    [("kuaidi100", lambda: urlencode({"sign": "ABC"}).encode(), "param"),
     ("kuaidi100", lambda: kuaidi100_form("{not json"), "param"),
     ("kuaidi100", lambda: kuaidi100_form('"a string"'), "param"),
     ("kuaidi100", lambda: kuaidi100_form('{"lastResult": "\\ud800"}'), "param"),
     ("kuaidi100", lambda: kuaidi100_form(json.dumps({"status": "polling"})), "lastResult"),
     ("kuaidi100", lambda: kuaidi100_form(json.dumps({"lastResult": {"com": "yuantong"}})), "lastResult.nu"),
     ("kuaidi100", lambda: kuaidi100_form(_kuaidi100_param(nu="")), "lastResult.nu"),
     ("kuaidi100", lambda: kuaidi100_form(_kuaidi100_param(nu="YT/1")), "lastResult.nu"),
     ("kuaidi100", lambda: kuaidi100_form(_kuaidi100_param(com="")), "lastResult.com"),
     ("kuaidi100", lambda: kuaidi100_form(_kuaidi100_param(data=[{"ftime": "yesterday"}])), "lastResult.data[0].ftime"),
     ("kuaidi100", lambda: kuaidi100_form(_kuaidi100_param(data=[{"context": "no time"}])), "lastResult.data[0].ftime"),
     ("kuaidi100", lambda: kuaidi100_form(_kuaidi100_param(data={"ftime": "2026-11-21 10:00:00"})), "lastResult.data"),
     ("kuaidi100", lambda: kuaidi100_form("{}") + b"&param=%7B%7D", "param"),
     ("kuaidi100", lambda: b"sign=ABC&param=%FF", "body"),
     ("sf-express", lambda: urlencode({"timestamp": "1", "msgDigest": "x"}).encode(), "msgData"),
     ("sf-express", lambda: urlencode({"msgData": "{}", "msgDigest": "x"}).encode(), "timestamp"),
     ("sf-express", lambda: sf_form("<Request/>"), "msgData"),
     ("sf-express", lambda: sf_form("{}"), "WaybillRoute"),
     ("sf-express", lambda: sf_form('{"Body": {}}'), "WaybillRoute"),
     ("sf-express", lambda: sf_form(json.dumps({"WaybillRoute": [{"acceptTime": "2026-11-20 10:00:00",
                                                                   "opCode": "50"}]})), "WaybillRoute[0].mailno"),
     ("sf-express", lambda: sf_form(json.dumps({"Body": {"WaybillRoute": [
         {"mailno": "SF1", "acceptTime": "20/11/2026", "opCode": "50"}]}})), "WaybillRoute[0].acceptTime"),
     ("sf-express", lambda: sf_form(json.dumps({"WaybillRoute": [
         {"mailno": "SF1", "acceptTime": "0001-01-01 00:00:00", "opCode": "50"}]})), "WaybillRoute[0].acceptTime")],
    ids=["no param", "param not json", "param not an object", "param escapes a lone surrogate", "no lastResult",
         "no nu", "empty nu", "nu with a slash", "empty com", "time not a time", "no time", "data not a list",
         "param twice", "not utf-8", "no msgData", "no timestamp", "msgData not json", "no WaybillRoute",
         "empty Body", "no mailno", "acceptTime not a time", "acceptTime out of range"],
)
def test_a_form_push_that_breaks_its_style_is_invalid_input_naming_the_field(carrier, body, field):
    ports = carrier_ports()

    with pytest.raises(InvalidInput) as refused:
        push_form(ports, carrier, body())

    assert refused.value.field == field
    assert nothing_written(ports)


def test_a_kuaidi100_push_with_no_checkpoints_queues_nothing():
    """An abort (nothing known for 3 days, nothing new for 60) can come with an empty timeline: it is received."""
    ports = carrier_ports()

    assert push_form(ports, "kuaidi100", kuaidi100_form(_kuaidi100_param(data=[]))) == 0
    assert nothing_written(ports)


def test_the_sf_json_shape_keeps_its_header_signature_and_the_form_its_field():
    """A form to sf-express is SF's open platform: the JSON shape's msgDigest header does not sign it."""
    ports = carrier_ports()
    body = fixture_body("sf-express")

    with pytest.raises(InvalidInput) as refused:
        headers = {**FORM, "msgDigest": route_push.sign(SECRETS["sf-express"], body)}
        accept_carrier_push("sf-express", headers, body, ports, NOW)

    assert refused.value.field == "msgData"
    assert nothing_written(ports)
