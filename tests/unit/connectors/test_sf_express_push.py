"""SF Express's route push on the `sf-express` name: SF's open-platform form (sf_open_platform.py: msgData signed
by msgDigest with the check word) and, still, the JSON shape with a msgDigest header (route_push.py), told apart by
the content type; both read the same scans as the same events. Pushes written from SF's documented WaybillRoute
fields (China time without a zone, Chinese text)."""

import json
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlencode

import pytest
from pydantic import ValidationError

from chalicelib.connectors.carriers import kuaidi100, route_push, sf_open_platform, style_of
from chalicelib.connectors.carriers.checkpoints import CarrierSignatureError
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.events import edge_context

FIXTURES = Path(__file__).parents[2] / "fixtures" / "carriers"
NOW = datetime(2026, 11, 22, 8, 0, tzinfo=timezone.utc)
EDGE = edge_context(NOW, 3650, 24)
CHECK_WORD = b"sf-checkword"


def sample(name: str = "sf-express-open-platform") -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def form(msg_data: str, timestamp: str = "1763700000000", digest: str | None = None,
         secret: bytes = CHECK_WORD) -> bytes:
    if digest is None:
        digest = sf_open_platform.digests(secret, msg_data, timestamp)[0]
    return urlencode({"partnerID": "AFTERSALES01", "requestID": "8d1b4c9e-1f0a-4e7d-9a53-0c6b2e4f7d18",
                      "serviceCode": "RoutePushService", "timestamp": timestamp, "msgDigest": digest,
                      "msgData": msg_data}).encode()


def routes(*route: dict) -> dict:
    defaults = {"mailno": "SF1", "acceptTime": "2026-11-21 10:00:00", "opCode": "30"}
    return {"WaybillRoute": [{**defaults, **r} for r in route]}


# msgDigest = base64(MD5(msgData + timestamp + check word)), URL-encoded first as SF does; taken without too.

def test_the_digest_is_of_the_url_encoded_text_and_also_of_the_text_as_it_is():
    # Computed apart: printf '%s' '%7B%22WaybillRoute%22%3A%5B%5D%7D1763700000000sf-checkword' | openssl dgst -md5
    # -binary | base64, and the same of '{"WaybillRoute":[]}1763700000000sf-checkword'.
    assert sf_open_platform.digests(CHECK_WORD, '{"WaybillRoute":[]}', "1763700000000") == [
        "rmxVpIfV/9chZSUh5C4Tow==", "aCYf3o8woREcx4798ZWo+g=="]


def test_the_url_encoding_is_javas():
    """Space as "+", "*" kept, "~" escaped: URLEncoder.encode(text, "UTF-8"), not Python's quote_plus."""
    # printf '%s' '%7B%22remark%22%3A%22a+b*%7E%22%7D1k' | openssl dgst -md5 -binary | base64
    assert sf_open_platform.digests(b"k", '{"remark":"a b*~"}', "1")[0] == "OTHWJKSOSXofbFgYtZhgmw=="


@pytest.mark.parametrize("variant", [0, 1], ids=["url-encoded", "as it is"])
def test_a_form_signed_with_the_check_word_verifies(variant):
    msg_data = json.dumps(sample(), ensure_ascii=False)
    digest = sf_open_platform.digests(CHECK_WORD, msg_data, "1763700000000")[variant]
    sf_open_platform.verify({}, form(msg_data, digest=digest), (CHECK_WORD,))


@pytest.mark.parametrize(
    "body, secrets",
    [(form("{}", secret=b"other"), (CHECK_WORD,)), (form("{}"), (b"other",)), (form("{}"), ()),
     (form("{}").replace(b"timestamp=1763700000000", b"timestamp=1763700000001"), (CHECK_WORD,)),
     (form("{}").replace(b"msgData=%7B%7D", b"msgData=%7B+%7D"), (CHECK_WORD,)),
     (form("{}", digest=""), (CHECK_WORD,)), (form("{}", digest="签名"), (CHECK_WORD,))],
    ids=["another check word", "not this source's", "no check word", "timestamp changed", "msgData changed",
         "no digest", "digest not ascii"],
)
def test_a_form_not_signed_with_the_check_word_is_refused(body, secrets):
    with pytest.raises(CarrierSignatureError):
        sf_open_platform.verify({}, body, secrets)


def test_during_a_rotation_the_previous_check_word_verifies():
    sf_open_platform.verify({}, form("{}", secret=b"previous"), (CHECK_WORD, b"previous"))


@pytest.mark.parametrize("field", ["msgData", "timestamp"])
def test_a_form_without_what_is_signed_is_invalid_input_on_that_field(field):
    fields = {"timestamp": "1", "msgDigest": "x", "msgData": "{}"}
    del fields[field]
    with pytest.raises(InvalidInput) as refused:
        sf_open_platform.verify({}, urlencode(fields).encode(), (CHECK_WORD,))

    assert refused.value.field == field


# The routes: China time to UTC, SF's operation codes, our return id as orderid.

def test_the_routes_are_read_in_utc_with_their_codes_and_our_return_id():
    events = sf_open_platform.parse(sample(), "sf-express", NOW)
    assert [(e.occurred_at.strftime("%Y-%m-%dT%H:%M:%SZ"), e.data.status, e.data.return_id) for e in events] == [
        ("2026-11-20T02:02:11Z", "in_transit", "RT-3003"),
        ("2026-11-20T13:45:03Z", "in_transit", "RT-3003"),
        ("2026-11-21T00:10:37Z", "out_for_delivery", "RT-3003"),
        ("2026-11-21T03:26:50Z", "delivered", "RT-3003"),
    ]
    assert (events[0].data.carrier, events[0].data.tracking_number, events[0].data.location,
            events[0].data.description) == ("sf-express", "SF1400123456789", "深圳市", "顺丰速运 已收取快件")


def test_the_form_and_the_json_shape_read_the_same_scans_as_the_same_events():
    legacy = json.loads((FIXTURES / "sf-express.json").read_text())
    assert sf_open_platform.parse(sample(), "sf-express", NOW) == route_push.parse(legacy, "sf-express", NOW)


def test_routes_are_read_the_same_inside_sfs_body_or_without_it():
    unwrapped = sf_open_platform.parse(sample()["Body"], "sf-express", NOW)
    assert unwrapped == sf_open_platform.parse(sample(), "sf-express", NOW)


@pytest.mark.parametrize("op_code, status", [("50", "in_transit"), ("36", "in_transit"), ("204", "out_for_delivery"),
                                             ("33", "attempt_fail"), ("70", "exception"), ("8000", "delivered"),
                                             ("99", "returned_to_sender"), ("648", "returned_to_sender"),
                                             ("607", "in_transit"), (80, "delivered")])
def test_operation_codes_as_the_json_shape_reads_them(op_code, status):
    [event] = sf_open_platform.parse(routes({"opCode": op_code}), "sf-express", NOW)
    assert event.data.status == status


def test_a_push_of_several_waybills_gives_each_its_own_and_an_empty_order_id_is_none():
    events = sf_open_platform.parse(routes({"mailno": "SF1", "orderid": "RT-1"}, {"mailno": "SF2", "orderid": ""}),
                                    "sf-express", NOW)
    assert [(e.data.tracking_number, e.data.return_id) for e in events] == [("SF1", "RT-1"), ("SF2", None)]


def test_the_same_push_again_has_the_same_event_ids():
    again = sf_open_platform.parse(sample(), "sf-express", datetime(2026, 11, 23, tzinfo=timezone.utc))
    assert [e.event_id for e in sf_open_platform.parse(sample(), "sf-express", NOW)] == [e.event_id for e in again]


@pytest.mark.parametrize(
    "payload, field",
    [({}, "WaybillRoute"), ({"Body": {}}, "WaybillRoute"), (routes({"mailno": ""}), "WaybillRoute.0.mailno"),
     (routes({"acceptTime": "yesterday"}), "WaybillRoute.0.acceptTime"),
     (routes({"opCode": None}), "WaybillRoute.0.opCode"),
     ({"WaybillRoute": {"mailno": "SF1"}}, "WaybillRoute")],
)
def test_msg_data_that_breaks_the_style_is_refused_on_its_field(payload, field):
    with pytest.raises(ValidationError) as refused:
        sf_open_platform.parse(payload, "sf-express", NOW)

    assert ".".join(str(part) for part in refused.value.errors()[0]["loc"]) == field


def test_an_order_id_with_a_slash_is_refused_at_the_edge():
    with pytest.raises(ValidationError) as refused:
        sf_open_platform.parse(routes({"orderid": "generic/RT-1"}), "sf-express", NOW, EDGE)

    assert refused.value.errors()[0]["loc"] == ("WaybillRoute", 0, "orderid")


def test_a_route_outside_the_edges_window_is_refused():
    with pytest.raises(ValidationError, match="within 3650 days before and 24 hours after now"):
        sf_open_platform.parse(routes({"acceptTime": "2026-11-30 16:00:00"}), "sf-express", NOW, EDGE)


def test_decode_reads_msg_data_as_json():
    assert sf_open_platform.decode(form(json.dumps(sample(), ensure_ascii=False))) == sample()


# Which style a push to sf-express is in.

@pytest.mark.parametrize(
    "headers, style",
    [({"content-type": "application/x-www-form-urlencoded"}, sf_open_platform),
     ({"Content-Type": "Application/X-WWW-Form-Urlencoded; charset=UTF-8"}, sf_open_platform),
     ({"content-type": "application/json"}, route_push),
     ({"Content-Type": "application/json;charset=UTF-8"}, route_push),
     ({}, route_push)],
    ids=["form", "form with charset", "json", "json with charset", "no content type"],
)
def test_sf_express_is_read_as_a_form_or_as_json_by_content_type(headers, style):
    assert style_of("sf-express", headers) is style


def test_kuaidi100_is_its_form_style_whatever_the_content_type_and_an_unknown_name_has_none():
    assert style_of("kuaidi100", {"content-type": "application/json"}) is kuaidi100
    assert style_of("kuaidi100", {"content-type": "application/x-www-form-urlencoded"}) is kuaidi100
    assert style_of("dhl", {"content-type": "application/x-www-form-urlencoded"}) is None


# What SF is answered.

def test_a_received_push_is_answered_as_sf_documents_and_a_refusal_with_its_failure_code():
    assert sf_open_platform.reply(4) == (200, {"return_code": "0000", "return_msg": "成功"})
    error = {"code": "missing_field", "message": "is missing from the form", "field": "msgData"}
    assert sf_open_platform.refusal(422, error) == {
        "return_code": "1000", "return_msg": "msgData: is missing from the form", "error": error}


def test_the_json_shape_keeps_our_own_answers():
    assert route_push.reply(4) == (202, {"checkpoints": 4, "status": "accepted"})
    error = {"code": "invalid_signature", "message": "msgDigest does not match the body", "field": None}
    assert route_push.refusal(401, error) == {"error": error}


def test_sfs_own_json_push_is_told_by_its_addresss_key_and_the_old_shape_by_its_header():
    from chalicelib.connectors.carriers import sf_route_service

    assert style_of("sf-express", {"Content-Type": "application/json", "x-aftersales-push-key": "k"}) is sf_route_service
    assert style_of("sf-express", {"Content-Type": "application/json", "msgDigest": "d"}) is route_push
    assert style_of("sf-express", {"x-aftersales-push-key": "k", "msgDigest": "d"}) is route_push
    assert style_of("17track", {"x-aftersales-push-key": "k"}) is not sf_route_service


def test_sfs_own_json_push_verifies_by_the_key_in_constant_time_against_every_secret():
    from chalicelib.connectors.carriers import sf_route_service

    sf_route_service.verify({"x-aftersales-push-key": "new"}, b"{}", (b"old", b"new"))
    with pytest.raises(CarrierSignatureError):
        sf_route_service.verify({"x-aftersales-push-key": "guess"}, b"{}", (b"old", b"new"))
    with pytest.raises(CarrierSignatureError):
        sf_route_service.verify({}, b"{}", (b"old",))


def test_sfs_own_json_push_reads_its_nodes_out_of_the_body():
    from chalicelib.connectors.carriers import sf_route_service

    events = sf_route_service.parse({"Body": routes({"mailno": "SF9", "opCode": "80"})}, "sf-express", NOW, EDGE)

    assert [(e.data.tracking_number, e.data.status) for e in events] == [("SF9", "delivered")]
