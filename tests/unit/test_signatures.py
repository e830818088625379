import pytest

from chalicelib.domain.signatures import SignatureError, sign, verify_signature

SECRET = b"s3cret"
PREVIOUS = b"old-s3cret"
SECRETS = (SECRET,)
BODY = b'{"event_id": "e1"}'
NOW = 1_800_000_000


def test_good_signature_passes():
    verify_signature(SECRETS, str(NOW), sign(SECRET, str(NOW), BODY), BODY, NOW)


def test_upper_case_hex_passes():
    verify_signature(SECRETS, str(NOW), sign(SECRET, str(NOW), BODY).upper(), BODY, NOW)


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
        ("1800000000²", "ab", BODY, "Unix seconds"),
        ("²", "ab", BODY, "Unix seconds"),
        ("１８００００００００", "ab", BODY, "Unix seconds"),
        ("1" * 13, "ab", BODY, "Unix seconds"),
        (f"{NOW}\n", "ab", BODY, "Unix seconds"),
        (f" {NOW}", "ab", BODY, "Unix seconds"),
    ],
    ids=["wrong secret", "body changed", "timestamp changed", "stale", "future", "no timestamp", "no signature",
         "empty signature", "iso timestamp", "negative timestamp", "superscript two after digits",
         "superscript two", "full-width digits", "13 digits", "trailing newline", "leading space"],
)
def test_bad_signatures_are_refused(timestamp, signature, body, words):
    with pytest.raises(SignatureError, match=words):
        verify_signature(SECRETS, timestamp, signature, body, NOW)


def test_edges_of_the_tolerance_pass():
    for ts in (NOW - 300, NOW + 300):
        verify_signature(SECRETS, str(ts), sign(SECRET, str(ts), BODY), BODY, NOW)


# Rotation: the current secret and, while a rotation is under way, the previous one.

@pytest.mark.parametrize("signed_with", [SECRET, PREVIOUS], ids=["current", "previous"])
def test_during_a_rotation_either_secret_verifies(signed_with):
    verify_signature((SECRET, PREVIOUS), str(NOW), sign(signed_with, str(NOW), BODY), BODY, NOW)


def test_during_a_rotation_a_secret_that_is_neither_is_refused():
    with pytest.raises(SignatureError, match="does not match"):
        verify_signature((SECRET, PREVIOUS), str(NOW), sign(b"unknown", str(NOW), BODY), BODY, NOW)


def test_once_the_rotation_is_over_the_previous_secret_is_refused():
    with pytest.raises(SignatureError, match="does not match"):
        verify_signature(SECRETS, str(NOW), sign(PREVIOUS, str(NOW), BODY), BODY, NOW)


def test_a_source_with_no_secret_verifies_nothing():
    with pytest.raises(SignatureError, match="does not match"):
        verify_signature((), str(NOW), sign(SECRET, str(NOW), BODY), BODY, NOW)


# A header of any characters is a mismatch, never another error.

@pytest.mark.parametrize(
    "signature",
    ["é" * 64, "签名", sign(SECRET, str(NOW), BODY)[:-1] + "é", "\x00" * 64, "\udc80" * 64, "\ud800",
     "\udfff" * 64, sign(SECRET, str(NOW), BODY)[:-1] + "\ud83d"],
    ids=["latin", "cjk", "last character not ascii", "nul", "escaped byte surrogate", "lone high surrogate",
         "lone low surrogate", "signature ending in a lone surrogate"],
)
def test_a_signature_header_that_is_not_ascii_is_a_mismatch(signature):
    with pytest.raises(SignatureError, match="does not match"):
        verify_signature(SECRETS, str(NOW), signature, BODY, NOW)
