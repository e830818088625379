import pytest

from chalicelib.domain.signatures import SignatureError, sign, verify_signature

SECRET = b"s3cret"
BODY = b'{"event_id": "e1"}'
NOW = 1_800_000_000


def test_good_signature_passes():
    verify_signature(SECRET, str(NOW), sign(SECRET, str(NOW), BODY), BODY, NOW)


def test_upper_case_hex_passes():
    verify_signature(SECRET, str(NOW), sign(SECRET, str(NOW), BODY).upper(), BODY, NOW)


@pytest.mark.parametrize(
    "timestamp, signature, body, words",
    [
        (str(NOW), sign(b"other", str(NOW), BODY), BODY, "does not match"),
        (str(NOW), sign(SECRET, str(NOW), BODY), BODY + b" ", "does not match"),
        (str(NOW), sign(SECRET, str(NOW - 1), BODY), BODY, "does not match"),
        (str(NOW - 301), sign(SECRET, str(NOW - 301), BODY), BODY, "301 s old"),
        (str(NOW + 301), sign(SECRET, str(NOW + 301), BODY), BODY, "in the future"),
        (None, sign(SECRET, str(NOW), BODY), BODY, "missing X-Aftersales-Timestamp"),
        (str(NOW), None, BODY, "missing X-Aftersales-Signature"),
        (str(NOW), "", BODY, "missing X-Aftersales-Signature"),
        ("2026-11-22T08:00:00Z", "ab", BODY, "Unix seconds"),
        ("-5", "ab", BODY, "Unix seconds"),
    ],
    ids=["wrong secret", "body changed", "timestamp changed", "stale", "future", "no timestamp", "no signature",
         "empty signature", "iso timestamp", "negative timestamp"],
)
def test_bad_signatures_are_refused(timestamp, signature, body, words):
    with pytest.raises(SignatureError, match=words):
        verify_signature(SECRET, timestamp, signature, body, NOW)


def test_edges_of_the_tolerance_pass():
    for ts in (NOW - 300, NOW + 300):
        verify_signature(SECRET, str(ts), sign(SECRET, str(ts), BODY), BODY, NOW)
