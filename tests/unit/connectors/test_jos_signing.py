"""JOS's signature and its China time, pinned by hand-computed values."""

import hashlib
from datetime import datetime, timezone

import pytest

from chalicelib.connectors.china import china_time, from_china_time
from chalicelib.connectors.jd.jos_api import response_key, sign

PARAMS = {
    "method": "jingdong.asc.query.view", "app_key": "testappkey", "access_token": "testtoken",
    "timestamp": "2026-11-22 16:00:00", "v": "2.0", "format": "json",
    "360buy_param_json": '{"serviceId":9007199254742001}',
}
# The names sorted ("360buy_param_json" sorts first: digits before letters), each followed by its value.
UNSIGNED = ('360buy_param_json{"serviceId":9007199254742001}access_tokentesttokenapp_keytestappkeyformatjson'
            "methodjingdong.asc.query.viewtimestamp2026-11-22 16:00:00v2.0")


def test_the_signature_is_the_upper_case_md5_of_the_secret_the_sorted_parameters_and_the_secret():
    assert hashlib.md5(b"testsecret" + UNSIGNED.encode() + b"testsecret").hexdigest().upper() == (
        "95396698AAA77BAFBC8E10E472CD389A")
    assert sign(PARAMS, b"testsecret") == "95396698AAA77BAFBC8E10E472CD389A"


def test_the_signature_leaves_out_itself_and_empty_parameters():
    assert sign({**PARAMS, "sign": "WHATEVER", "extra": ""}, b"testsecret") == "95396698AAA77BAFBC8E10E472CD389A"


def test_a_different_secret_or_parameter_signs_differently():
    assert sign(PARAMS, b"othersecret") != sign(PARAMS, b"testsecret")
    assert sign({**PARAMS, "timestamp": "2026-11-22 16:00:01"}, b"testsecret") != sign(PARAMS, b"testsecret")


def test_china_time_is_utc_plus_eight_without_a_zone():
    assert china_time(datetime(2026, 11, 22, 8, 0, tzinfo=timezone.utc)) == "2026-11-22 16:00:00"
    assert china_time(datetime(2026, 11, 22, 20, 30, 5, tzinfo=timezone.utc)) == "2026-11-23 04:30:05"


def test_a_china_time_read_back_is_the_same_moment_in_utc():
    assert from_china_time("2026-11-23 04:30:05") == datetime(2026, 11, 22, 20, 30, 5, tzinfo=timezone.utc)


@pytest.mark.parametrize("text", ["2026-11-23T04:30:05", "2026-11-23 04:30", "2026-11-23 04:30:05+08:00", ""])
def test_anything_but_jds_time_format_is_refused(text):
    with pytest.raises(ValueError):
        from_china_time(text)


def test_a_moment_without_a_zone_has_no_china_time():
    with pytest.raises(ValueError):
        china_time(datetime(2026, 11, 22, 8, 0))


def test_the_answer_is_wrapped_in_the_method_with_underscores_and_jds_spelling():
    assert response_key("jingdong.asc.query.view") == "jingdong_asc_query_view_responce"
