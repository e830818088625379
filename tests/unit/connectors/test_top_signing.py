"""TOP's signature and its China time: the published example, the hmac variant, what is left out, strict times."""

import hashlib
import hmac
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.connectors.china import china_time, from_china_time
from chalicelib.connectors.taobao.top_api import (
    TopRefused,
    is_read,
    response_key,
    sign,
    sms_code_required,
    stale_version,
)

# TOP's documented example (the md5 method).
EXAMPLE = {
    "app_key": "test", "fields": "nick", "format": "xml", "method": "taobao.user.seller.get", "session": "test",
    "sign_method": "md5", "timestamp": "2013-05-06 13:52:03", "v": "2.0",
}


def test_the_published_md5_example():
    assert sign(EXAMPLE, b"test", "md5") == "72CB4D809B375A54502C09360D879C64"


def test_hmac_is_hmac_md5_of_the_sorted_pairs_keyed_by_the_secret():
    params = {**EXAMPLE, "sign_method": "hmac"}
    text = ("app_keytestfieldsnickformatxmlmethodtaobao.user.seller.getsessiontestsign_methodhmac"
            "timestamp2013-05-06 13:52:03v2.0")
    assert sign(params, b"test", "hmac") == hmac.new(b"test", text.encode(), hashlib.md5).hexdigest().upper()
    assert sign(params, b"test", "hmac") == "FA15A9D5B42AB2D6F3397843851ED09A"


def test_empty_values_and_the_sign_itself_are_left_out_and_utf8_is_signed():
    padded = {**EXAMPLE, "sign": "ANYTHING", "empty": "", "none": None}
    assert sign(padded, b"test", "md5") == "72CB4D809B375A54502C09360D879C64"
    chinese = {"refuse_message": "商品已发货"}
    expected = hashlib.md5("srefuse_message商品已发货s".encode()).hexdigest().upper()
    assert sign(chinese, b"s", "md5") == expected


def test_an_unknown_sign_method_is_refused():
    with pytest.raises(ValueError, match="sha256"):
        sign(EXAMPLE, b"test", "sha256")


def test_china_time_round_trips_through_utc_plus_8():
    moment = datetime(2026, 11, 20, 17, 30, 5, tzinfo=timezone.utc)
    assert china_time(moment) == "2026-11-21 01:30:05"
    assert from_china_time("2026-11-21 01:30:05") == moment
    assert from_china_time(china_time(moment)).utcoffset() == timedelta(0)
    assert china_time(moment.astimezone(timezone(timedelta(hours=-5)))) == "2026-11-21 01:30:05"


@pytest.mark.parametrize("text", [
    "2026-11-21T01:30:05", "2026-11-21 01:30", "2026-11-21 1:30:05", "2026-11-21 01:30:05+08:00", " 2026-11-21 01:30:05",
    "2026-13-21 01:30:05", "", None, 1763659805,
])
def test_a_time_not_exactly_in_top_format_is_refused(text):
    with pytest.raises(ValueError):
        from_china_time(text)


def test_a_naive_datetime_has_no_china_time():
    with pytest.raises(ValueError, match="time zone"):
        china_time(datetime(2026, 11, 21, 1, 30, 5))


def test_the_answer_key_and_what_is_a_read():
    assert response_key("taobao.refund.get") == "refund_get_response"
    assert response_key("taobao.tmc.messages.consume") == "tmc_messages_consume_response"
    assert response_key("tmall.dispute.receive.get") == "tmall_dispute_receive_get_response"
    assert is_read("taobao.refunds.receive.get") and is_read("taobao.tmc.messages.consume")
    assert not is_read("taobao.rp.refunds.agree") and not is_read("taobao.tmc.messages.confirm")


def test_a_stale_version_and_the_sms_step_are_recognized_in_errors_and_in_answers():
    stale = TopRefused("x", "taobao.rp.returngoods.agree", code=15, sub_code="isv.refund-version-expired")
    other = TopRefused("x", "taobao.rp.returngoods.agree", code=15, sub_code="isv.refund-not-exist", sub_msg="退款不存在")
    assert stale_version(stale) and not stale_version(other)
    assert stale_version({"refund_id": 1, "succ": False, "message": "refund_version已过期"})
    assert not stale_version({"refund_id": 1, "succ": True, "message": "succ"})
    assert sms_code_required({"msg_code": "SEND_CODE_SUCC", "succ": False})
    assert sms_code_required({"message": "发送二次验证短信成功"})
    assert not sms_code_required({"msg_code": "OP_SUCC", "succ": True, "message": "操作成功"})
    assert sms_code_required(TopRefused("x", "taobao.rp.refunds.agree", code=15, sub_code="isv.sms-code-invalid"))
    assert not sms_code_required(other)
