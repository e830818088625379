"""The three carrier styles on recorded-shape pushes: signatures, the normalized status vocabulary, UTC times,
and checkpoint identity (the same checkpoint pushed again has the same event id)."""

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from pydantic import ValidationError

from chalicelib.connectors.carriers import CARRIER_STYLES, aftership, route_push, seventeen_track
from chalicelib.connectors.carriers.checkpoints import CarrierSignatureError

SAMPLES = Path(__file__).parent.parent / "fixtures" / "carriers"
NOW = datetime(2026, 11, 22, 8, 0, tzinfo=timezone.utc)


def sample(carrier: str) -> dict:
    return json.loads((SAMPLES / f"{carrier}.json").read_text())


def timeline(carrier: str, payload: dict | None = None) -> list[tuple[str, str, str | None]]:
    events = CARRIER_STYLES[carrier].parse(payload or sample(carrier), carrier, NOW)
    return [(e.occurred_at.strftime("%Y-%m-%dT%H:%M:%SZ"), e.data.status, e.data.return_id) for e in events]


def test_aggregator_style_maps_tags_and_keeps_the_checkpoint_times_in_utc():
    assert timeline("aftership") == [
        ("2026-11-20T01:12:00Z", "info_received", "RT-3001"),
        ("2026-11-20T10:40:00Z", "in_transit", "RT-3001"),
        ("2026-11-21T00:05:00Z", "out_for_delivery", "RT-3001"),
        ("2026-11-21T06:31:00Z", "delivered", "RT-3001"),
    ]
    [event] = aftership.parse(sample("aftership"), "aftership", NOW)[-1:]
    assert (event.data.carrier, event.data.tracking_number, event.data.location) == ("ups", "1Z999AA10123456784", "Hangzhou, CN")


@pytest.mark.parametrize(
    "tag, subtag, status",
    [("Pending", None, "pending"), ("AttemptFail", "AttemptFail_001", "attempt_fail"),
     ("AvailableForPickup", None, "available_for_pickup"), ("Exception", "Exception_004", "exception"),
     ("Exception", "Exception_011", "returned_to_sender"), ("Expired", None, "expired")],
)
def test_aggregator_tags(tag, subtag, status):
    payload = sample("aftership")
    payload["msg"]["checkpoints"] = [{"checkpoint_time": "2026-11-20T09:12:00Z", "tag": tag, "subtag": subtag}]
    assert timeline("aftership", payload)[0][1] == status


def test_main_and_sub_status_style_maps_stages_and_returned_to_sender():
    assert sorted(timeline("17track")) == [
        ("2026-11-20T00:30:00Z", "in_transit", "RT-3002"),
        ("2026-11-20T03:00:00Z", "in_transit", "RT-3002"),
        ("2026-11-21T07:20:00Z", "attempt_fail", "RT-3002"),
        ("2026-11-22T01:00:00Z", "returned_to_sender", "RT-3002"),
    ]
    assert seventeen_track.parse(sample("17track"), "17track", NOW)[0].data.carrier == "190012"


def test_route_push_style_reads_china_standard_time_and_operation_codes():
    assert timeline("sf-express") == [
        ("2026-11-20T02:02:11Z", "in_transit", "RT-3003"),
        ("2026-11-20T13:45:03Z", "in_transit", "RT-3003"),
        ("2026-11-21T00:10:37Z", "out_for_delivery", "RT-3003"),
        ("2026-11-21T03:26:50Z", "delivered", "RT-3003"),
    ]
    [first] = route_push.parse(sample("sf-express"), "sf-express", NOW)[:1]
    assert (first.data.location, first.data.description) == ("深圳市", "顺丰速运 已收取快件")


@pytest.mark.parametrize("carrier", sorted(CARRIER_STYLES))
def test_the_same_checkpoint_pushed_again_has_the_same_event_id(carrier):
    full = CARRIER_STYLES[carrier].parse(sample(carrier), carrier, NOW)
    again = CARRIER_STYLES[carrier].parse(sample(carrier), carrier, datetime(2026, 11, 23, tzinfo=timezone.utc))
    assert [e.event_id for e in full] == [e.event_id for e in again]
    assert len({e.event_id for e in full}) == len(full)


@pytest.mark.parametrize(
    "style, secret, header",
    [(aftership, b"as-key", "aftership-hmac-sha256"), (seventeen_track, b"17-key", "sign"),
     (route_push, b"sf-checkword", "msgdigest")],
)
def test_each_style_checks_its_own_signature(style, secret, header):
    body = b'{"any": "body"}'
    style.verify({header: style.sign(secret, body)}, body, secret)
    for headers in ({}, {header: style.sign(b"other-key", body)}, {header: style.sign(secret, body + b" ")}):
        with pytest.raises(CarrierSignatureError):
            style.verify(headers, body, secret)


@pytest.mark.parametrize(
    "carrier, broken",
    [("aftership", {"msg": {"slug": "ups", "checkpoints": []}}),
     ("17track", {"data": {"number": "X", "carrier": "yun", "track_info": {"tracking": {}}}}),
     ("sf-express", {"waybillNo": "SF1", "routes": [{"acceptTime": "yesterday", "opCode": "50"}]})],
)
def test_a_push_that_breaks_its_style_is_refused(carrier, broken):
    with pytest.raises(ValidationError):
        CARRIER_STYLES[carrier].parse(broken, carrier, NOW)
