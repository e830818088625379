"""The carrier styles on recorded-shape pushes: signatures, the normalized status vocabulary, UTC times,
and checkpoint identity (the same checkpoint pushed again has the same event id). The form styles' own
(Kuaidi100, SF's open platform) are in tests/unit/connectors."""

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from pydantic import ValidationError

from chalicelib.connectors.carriers import CARRIER_STYLES, aftership, route_push, seventeen_track
from chalicelib.connectors.carriers.checkpoints import CarrierSignatureError
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.events import edge_context

SAMPLES = Path(__file__).parent.parent / "fixtures" / "carriers"
NOW = datetime(2026, 11, 22, 8, 0, tzinfo=timezone.utc)
EDGE = edge_context(NOW, 3650, 24)  # the defaults of chalicelib.config.Config
STYLES = [(aftership, b"as-key", "aftership-hmac-sha256"), (seventeen_track, b"17-key", "sign"),
          (route_push, b"sf-checkword", "msgdigest")]


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


@pytest.mark.parametrize("style, secret, header", STYLES)
def test_each_style_checks_its_own_signature(style, secret, header):
    body = b'{"any": "body"}'
    style.verify({header: style.sign(secret, body)}, body, (secret,))
    for headers in ({}, {header: style.sign(b"other-key", body)}, {header: style.sign(secret, body + b" ")}):
        with pytest.raises(CarrierSignatureError):
            style.verify(headers, body, (secret,))


@pytest.mark.parametrize("style, secret, header", STYLES)
def test_during_a_rotation_each_style_takes_the_current_and_the_previous_secret_and_no_other(style, secret, header):
    body = b'{"any": "body"}'
    secrets = (secret, b"previous-key")
    style.verify({header: style.sign(secret, body)}, body, secrets)
    style.verify({header: style.sign(b"previous-key", body)}, body, secrets)
    with pytest.raises(CarrierSignatureError):
        style.verify({header: style.sign(b"unknown-key", body)}, body, secrets)
    with pytest.raises(CarrierSignatureError):  # the rotation over: the previous secret no longer verifies
        style.verify({header: style.sign(b"previous-key", body)}, body, (secret,))


@pytest.mark.parametrize("style, secret, header", STYLES)
def test_a_carrier_with_no_secret_verifies_nothing(style, secret, header):
    body = b'{"any": "body"}'
    with pytest.raises(CarrierSignatureError):
        style.verify({header: style.sign(secret, body)}, body, ())


@pytest.mark.parametrize("style, secret, header", STYLES)
@pytest.mark.parametrize("signature", ["é" * 44, "签名", "\x00", "\udc80" * 44, "\ud800", "\udfff" * 44],
                         ids=["latin", "cjk", "nul", "escaped byte surrogate", "lone high surrogate",
                              "lone low surrogate"])
def test_a_signature_header_that_is_not_ascii_is_a_mismatch(style, secret, header, signature):
    with pytest.raises(CarrierSignatureError):
        style.verify({header: signature}, b'{"any": "body"}', (secret,))


@pytest.mark.parametrize(
    "carrier, broken",
    [("aftership", {"msg": {"slug": "ups", "checkpoints": []}}),
     ("17track", {"data": {"number": "X", "carrier": "yun", "track_info": {"tracking": {}}}}),
     ("sf-express", {"waybillNo": "SF1", "routes": [{"acceptTime": "yesterday", "opCode": "50"}]})],
)
def test_a_push_that_breaks_its_style_is_refused(carrier, broken):
    with pytest.raises(ValidationError):
        CARRIER_STYLES[carrier].parse(broken, carrier, NOW)


# The edge's window: with the edge's context, the times a push carries are within it.

def test_a_push_within_the_window_parses_the_same_with_the_edges_context():
    for carrier in CARRIER_STYLES:
        assert CARRIER_STYLES[carrier].parse(sample(carrier), carrier, NOW, EDGE) == CARRIER_STYLES[carrier].parse(
            sample(carrier), carrier, NOW
        )


@pytest.mark.parametrize("carrier", sorted(CARRIER_STYLES))
def test_a_checkpoint_time_outside_the_window_is_refused_with_the_edges_context(carrier):
    late = sample(carrier)
    if carrier == "aftership":
        late["msg"]["checkpoints"][0]["checkpoint_time"] = "2026-11-30T08:00:00Z"
    elif carrier == "17track":
        late["data"]["track_info"]["tracking"]["providers"][0]["events"][0]["time_utc"] = "2026-11-30T08:00:00Z"
    elif carrier == "kuaidi100":
        late["lastResult"]["data"][0]["ftime"] = "2026-11-30 16:00:00"
    else:
        late["routes"][0]["acceptTime"] = "2026-11-30 16:00:00"

    with pytest.raises(ValidationError, match="within 3650 days before and 24 hours after now"):
        CARRIER_STYLES[carrier].parse(late, carrier, NOW, EDGE)


# AfterShip's `ts`: when it sent the push, Unix seconds.

def with_ts(ts) -> dict:
    return {**sample("aftership"), "ts": ts}


@pytest.mark.parametrize("ts", [int(NOW.timestamp()), int(NOW.timestamp()) + 24 * 3600,
                                int(NOW.timestamp()) - 3650 * 24 * 3600],
                         ids=["now", "the window's future end", "the window's past end"])
def test_an_aftership_push_sent_within_the_window_is_taken(ts):
    assert len(aftership.parse(with_ts(ts), "aftership", NOW, EDGE)) == 4


def test_an_aftership_push_without_ts_is_taken():
    payload = sample("aftership")
    del payload["ts"]

    assert len(aftership.parse(payload, "aftership", NOW, EDGE)) == 4


@pytest.mark.parametrize(
    "ts",
    [int(NOW.timestamp()) + 24 * 3600 + 1, int(NOW.timestamp()) - 3650 * 24 * 3600 - 1, 0, -1],
    ids=["just after the window", "just before the window", "the epoch", "negative"],
)
def test_an_aftership_push_sent_outside_the_window_is_invalid_input_on_ts(ts):
    with pytest.raises(InvalidInput) as refused:
        aftership.parse(with_ts(ts), "aftership", NOW, EDGE)

    assert refused.value.field == "ts"


@pytest.mark.parametrize("ts", [10**20, -(10**20), 2**63, 253402300800],
                         ids=["far future", "far past", "beyond 64 bits", "after year 9999"])
def test_an_aftership_ts_out_of_range_is_invalid_input_on_ts_not_an_error(ts):
    for context in (EDGE, None):
        with pytest.raises(InvalidInput) as refused:
            aftership.parse(with_ts(ts), "aftership", NOW, context)

        assert refused.value.field == "ts"


@pytest.mark.parametrize("ts", ["1763706660", 1763706660.0, True, [1763706660]],
                         ids=["a string", "a float", "a boolean", "a list"])
def test_an_aftership_ts_that_is_not_an_integer_is_refused_on_ts(ts):
    with pytest.raises(ValidationError) as refused:
        aftership.parse(with_ts(ts), "aftership", NOW, EDGE)

    assert refused.value.errors()[0]["loc"][0] == "ts"
