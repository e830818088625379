"""Kuaidi100's poll callback (chalicelib/connectors/carriers/kuaidi100.py), on pushes written from its documented
fields (China time without a zone, Chinese text): the sign of `param` + salt, its state table in the normalized
vocabulary, whose state each checkpoint gets, the carrier it relays, and the answers it expects."""

import json
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlencode

import pytest
from pydantic import ValidationError

from chalicelib.connectors.carriers import kuaidi100
from chalicelib.connectors.carriers.checkpoints import CarrierSignatureError
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.events import edge_context

FIXTURES = Path(__file__).parents[2] / "fixtures" / "carriers"
NOW = datetime(2026, 11, 22, 8, 0, tzinfo=timezone.utc)
EDGE = edge_context(NOW, 3650, 24)
SALT = b"kd100-salt"


def sample(name: str = "kuaidi100") -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def form(param: str, sign: str | None = None, secret: bytes = SALT) -> bytes:
    sign = kuaidi100.sign(secret, param.encode()) if sign is None else sign
    return urlencode({"param": param, "sign": sign}).encode()


def timeline(payload: dict) -> list[tuple[str, str]]:
    events = kuaidi100.parse(payload, "kuaidi100", NOW)
    return [(e.occurred_at.strftime("%Y-%m-%dT%H:%M:%SZ"), e.data.status) for e in events]


def one_checkpoint(state: str | int | None = None, **checkpoint) -> dict:
    return {"lastResult": {"com": "yuantong", "nu": "YT1", "state": state,
                           "data": [{"ftime": "2026-11-21 10:00:00", "context": "scan", **checkpoint}]}}


def status_of_state(state: str) -> str:
    """The status of a lone checkpoint, the newest, that has no state of its own: the parcel's."""
    [event] = kuaidi100.parse(one_checkpoint(state), "kuaidi100", NOW)
    return event.data.status


# The sign: UPPER(hex(MD5(param + salt))).

def test_the_sign_is_the_upper_case_hex_md5_of_param_and_salt():
    # Computed apart: printf '%s' '{"lastResult":{"nu":"YT1","com":"yuantong"}}kd100-salt' | md5sum
    assert kuaidi100.sign(SALT, b'{"lastResult":{"nu":"YT1","com":"yuantong"}}') == "C66A519B9C4DCB4892650133AEA14389"


def test_a_form_signed_with_the_salt_verifies_in_either_case_of_hex():
    param = json.dumps(sample(), ensure_ascii=False)  # Chinese text, URL-encoded as UTF-8 in the form
    kuaidi100.verify({}, form(param), (SALT,))
    kuaidi100.verify({}, form(param, kuaidi100.sign(SALT, param.encode()).lower()), (SALT,))


@pytest.mark.parametrize(
    "body, secrets",
    [(form("{}", secret=b"other-salt"), (SALT,)), (form("{}"), (b"other-salt",)), (form("{}"), ()),
     (form("{}").replace(b"param=%7B%7D", b"param=%7B+%7D"), (SALT,)), (urlencode({"param": "{}"}).encode(), (SALT,)),
     (form("{}", sign="签名"), (SALT,)), (form("{}", sign=""), (SALT,))],
    ids=["another salt", "not this source's salt", "no salt", "param changed", "no sign", "sign not ascii",
         "empty sign"],
)
def test_a_form_not_signed_with_the_salt_is_refused(body, secrets):
    with pytest.raises(CarrierSignatureError):
        kuaidi100.verify({}, body, secrets)


def test_during_a_rotation_the_current_and_the_previous_salt_verify_and_no_other():
    body = form("{}", secret=b"previous-salt")
    kuaidi100.verify({}, body, (SALT, b"previous-salt"))
    with pytest.raises(CarrierSignatureError):
        kuaidi100.verify({}, body, (SALT, b"another-salt"))


def test_a_form_without_param_is_invalid_input_on_param_before_any_signature():
    with pytest.raises(InvalidInput) as refused:
        kuaidi100.verify({}, urlencode({"sign": "C66A519B9C4DCB4892650133AEA14389"}).encode(), (SALT,))

    assert (refused.value.field, refused.value.code) == ("param", "missing_field")


def test_decode_reads_param_as_json():
    assert kuaidi100.decode(form(json.dumps(sample(), ensure_ascii=False))) == sample()


# The timeline: China time to UTC, the newest checkpoint takes the parcel's state.

def test_a_plain_push_gives_the_newest_checkpoint_the_parcels_state_and_the_older_ones_in_transit():
    assert timeline(sample()) == [
        ("2026-11-21T03:26:50Z", "delivered"),
        ("2026-11-21T00:10:37Z", "in_transit"),
        ("2026-11-20T13:45:03Z", "in_transit"),
        ("2026-11-20T02:02:11Z", "in_transit"),
    ]
    newest = kuaidi100.parse(sample(), "kuaidi100", NOW)[0]
    assert (newest.data.carrier, newest.data.tracking_number, newest.data.return_id, newest.data.location) == (
        "zto", "78123456789012", None, None)
    assert newest.data.description == "【杭州市】快件已签收，签收人：仓库，感谢使用中通快递，期待再次为您服务"


def test_with_resultv2_each_checkpoint_has_its_own_state_and_its_area():
    assert timeline(sample("kuaidi100-resultv2")) == [
        ("2026-11-21T01:40:12Z", "available_for_pickup"),
        ("2026-11-20T23:55:00Z", "out_for_delivery"),
        ("2026-11-20T15:10:31Z", "in_transit"),
        ("2026-11-20T06:03:09Z", "in_transit"),
        ("2026-11-20T02:02:11Z", "in_transit"),
    ]
    first = kuaidi100.parse(sample("kuaidi100-resultv2"), "kuaidi100", NOW)[0]
    assert (first.data.carrier, first.data.location) == ("sf-express", "浙江,杭州市,滨江区")


def test_the_newest_checkpoint_is_the_latest_in_time_whatever_the_order():
    payload = sample()
    payload["lastResult"]["data"].reverse()  # oldest first
    assert sorted(timeline(payload), reverse=True) == timeline(sample())


def test_a_checkpoints_own_state_name_is_used_without_a_code_and_the_code_wins_over_the_name():
    [named] = kuaidi100.parse(one_checkpoint("3", status="派件"), "kuaidi100", NOW)
    [coded] = kuaidi100.parse(one_checkpoint("3", status="在途", statusCode="501"), "kuaidi100", NOW)
    [unknown_name] = kuaidi100.parse(one_checkpoint("3", status="某状态"), "kuaidi100", NOW)
    assert (named.data.status, coded.data.status, unknown_name.data.status) == (
        "out_for_delivery", "available_for_pickup", "delivered")


def test_states_sent_as_json_numbers_are_read_as_codes():
    [event] = kuaidi100.parse(one_checkpoint(3, statusCode=301), "kuaidi100", NOW)
    assert event.data.status == "delivered"


def test_the_formatted_time_is_used_and_the_raw_time_without_it():
    [formatted] = kuaidi100.parse(one_checkpoint(time="2026-11-21 09:00:00"), "kuaidi100", NOW)
    payload = one_checkpoint()
    payload["lastResult"]["data"] = [{"time": "2026-11-21 09:00:00", "context": "scan"}]
    [raw] = kuaidi100.parse(payload, "kuaidi100", NOW)
    assert formatted.occurred_at == datetime(2026, 11, 21, 2, tzinfo=timezone.utc)
    assert raw.occurred_at == datetime(2026, 11, 21, 1, tzinfo=timezone.utc)


def test_a_time_with_a_zone_keeps_it():
    [event] = kuaidi100.parse(one_checkpoint(ftime="2026-11-21T10:00:00+09:00"), "kuaidi100", NOW)
    assert event.occurred_at == datetime(2026, 11, 21, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize("com, carrier", [("shunfeng", "sf-express"), ("zhongtong", "zto"), ("yuantong", "yto"),
                                          ("jd", "jd-logistics"), ("ups", "ups"), ("NewCarrier", "newcarrier")])
def test_the_relayed_carrier_is_ours_where_we_have_one_and_else_its_code(com, carrier):
    payload = one_checkpoint()
    payload["lastResult"]["com"] = com
    assert kuaidi100.parse(payload, "kuaidi100", NOW)[0].data.carrier == carrier


# Kuaidi100's state table (state, and statusCode with resultv2), one group at a time: sub-states as their parent.

@pytest.mark.parametrize("state", ["0", "1001", "1002", "1003"])
def test_in_transit_states(state):
    assert status_of_state(state) == "in_transit"


@pytest.mark.parametrize("state, status", [("1", "in_transit"), ("101", "info_received"), ("102", "info_received"),
                                           ("103", "in_transit")])
def test_collection_states(state, status):
    assert status_of_state(state) == status


@pytest.mark.parametrize("state", ["2", "201", "202", "203", "204", "205", "206", "207", "208", "209", "210"])
def test_trouble_states(state):
    assert status_of_state(state) == "exception"


@pytest.mark.parametrize("state", ["3", "301", "302", "303", "304"])
def test_delivered_states(state):
    assert status_of_state(state) == "delivered"


@pytest.mark.parametrize("state", ["4", "401", "14"])
def test_returned_and_refused_states(state):
    assert status_of_state(state) == "returned_to_sender"


def test_a_parcel_on_its_way_back_is_not_back_yet():
    # An intercepted refund-only parcel is refunded when it is back (退签, 4), not while it travels (退回, 6).
    assert status_of_state("6") == "in_transit"


@pytest.mark.parametrize("state, status", [("5", "out_for_delivery"), ("501", "available_for_pickup")])
def test_delivery_states(state, status):
    assert status_of_state(state) == status


def test_transferred_to_another_carrier_is_in_transit():
    assert status_of_state("7") == "in_transit"


@pytest.mark.parametrize("state, status", [("8", "in_transit"), ("10", "in_transit"), ("11", "in_transit"),
                                           ("12", "in_transit"), ("13", "exception")])
def test_customs_states(state, status):
    assert status_of_state(state) == status


@pytest.mark.parametrize("state", ["9", "99", "601", "999", "10000", "x", ""])
def test_a_state_the_table_does_not_have_is_in_transit(state):
    assert status_of_state(state) == "in_transit"


# Identity: the same checkpoint pushed again is the same event.

def test_the_same_push_again_has_the_same_event_ids():
    again = kuaidi100.parse(sample(), "kuaidi100", datetime(2026, 11, 23, tzinfo=timezone.utc))
    assert [e.event_id for e in kuaidi100.parse(sample(), "kuaidi100", NOW)] == [e.event_id for e in again]


def test_with_resultv2_a_grown_timeline_repeats_the_ids_of_the_checkpoints_already_pushed():
    earlier = sample("kuaidi100-resultv2")
    del earlier["lastResult"]["data"][0]
    earlier_ids = [e.event_id for e in kuaidi100.parse(earlier, "kuaidi100", NOW)]
    assert [e.event_id for e in kuaidi100.parse(sample("kuaidi100-resultv2"), "kuaidi100", NOW)][1:] == earlier_ids


def test_without_resultv2_the_checkpoint_that_was_newest_comes_again_as_in_transit_once_the_timeline_grows():
    """Its state was the parcel's then: the one queued again as in transit never supersedes it (a lower rank at the
    same time), so the parcel's status holds; subscribe with resultv2 to keep one event per checkpoint."""
    earlier = sample()
    del earlier["lastResult"]["data"][0]
    earlier["lastResult"]["state"] = "5"
    [then, *_] = kuaidi100.parse(earlier, "kuaidi100", NOW)
    now = kuaidi100.parse(sample(), "kuaidi100", NOW)[1]
    assert (then.occurred_at, then.data.status, now.data.status) == (now.occurred_at, "out_for_delivery", "in_transit")
    assert then.event_id != now.event_id


# Refusals: the field named.

@pytest.mark.parametrize(
    "payload, field",
    [({}, "lastResult"), ({"lastResult": {"com": "zto"}}, "lastResult.nu"),
     ({"lastResult": {"nu": "YT1"}}, "lastResult.com"),
     ({"lastResult": {"nu": "YT1", "com": "x" * 65}}, "lastResult.com"),
     ({"lastResult": {"nu": "YT1", "com": "yuantong", "data": [{"ftime": "soon"}]}}, "lastResult.data.0.ftime"),
     ({"lastResult": {"nu": "YT1", "com": "yuantong", "state": "9" * 17}}, "lastResult.state")],
)
def test_a_param_that_breaks_the_style_is_refused_on_its_field(payload, field):
    with pytest.raises(ValidationError) as refused:
        kuaidi100.parse(payload, "kuaidi100", NOW)

    assert ".".join(str(part) for part in refused.value.errors()[0]["loc"]) == field


def test_a_checkpoint_outside_the_edges_window_is_refused():
    with pytest.raises(ValidationError, match="within 3650 days before and 24 hours after now"):
        kuaidi100.parse(one_checkpoint(ftime="2026-11-30 16:00:00"), "kuaidi100", NOW, EDGE)


# What Kuaidi100 is answered.

def test_a_received_push_is_answered_as_kuaidi100_documents():
    assert kuaidi100.reply(4) == (200, {"result": True, "returnCode": "200", "message": "成功"})
    assert kuaidi100.reply(0) == kuaidi100.reply(4)


def test_a_refusal_is_kuaidi100s_failure_with_our_status_and_error():
    error = {"code": "missing_field", "message": "Field required", "field": "lastResult.nu"}
    assert kuaidi100.refusal(422, error) == {
        "result": False, "returnCode": "422", "message": "lastResult.nu: Field required", "error": error}
    unsigned = {"code": "invalid_signature", "message": "sign does not match the body", "field": None}
    assert kuaidi100.refusal(401, unsigned)["message"] == "sign does not match the body"
