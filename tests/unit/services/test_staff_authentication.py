"""authenticate_staff on the twins: `X-Api-Key: <key id>.<secret>` names who acts; every bad key is the same refusal."""

import pytest

from chalicelib.adapters.memory import MemorySecrets
from chalicelib.ports.errors import NotAuthenticated
from chalicelib.services.authenticate_staff import authenticate_staff
from tests.unit.services.given import twins


@pytest.fixture
def keys():
    return twins(staff_keys=MemorySecrets({"ana": b"secret", "finance-bot_2": b"s.e.c.r.e.t"})).staff_keys


def refusal(api_key, keys) -> NotAuthenticated:
    with pytest.raises(NotAuthenticated) as refused:
        authenticate_staff(api_key, keys)
    return refused.value


def test_a_valid_key_names_its_key_id(keys):
    assert authenticate_staff("ana.secret", keys) == "ana"


def test_a_secret_may_itself_contain_dots(keys):
    assert authenticate_staff("finance-bot_2.s.e.c.r.e.t", keys) == "finance-bot_2"


@pytest.mark.parametrize(
    "api_key",
    ["bob.secret", "ana.wrong", "ana.secret ", "ana.Secret", "ana.secre", "ana", "ana.", ".secret", "ANA.secret",
     "../ana.secret", "ana/x.secret", "-ana.secret", "a" * 65 + ".secret"],
    ids=["unknown id", "wrong secret", "trailing space", "wrong case", "short secret", "no dot", "empty secret",
         "empty id", "id case", "path in id", "slash in id", "leading dash", "id too long"],
)
def test_an_invalid_key_is_refused_with_one_answer_for_every_kind_of_mistake(keys, api_key):
    unknown_id = refusal("bob.secret", keys)

    refused = refusal(api_key, keys)

    assert (refused.code, refused.message) == (unknown_id.code, unknown_id.message) == (
        "not_authenticated", "the API key is not valid"
    )


@pytest.mark.parametrize("api_key", [None, ""])
def test_a_missing_key_is_not_authenticated_and_says_which_header_is_needed(keys, api_key):
    refused = refusal(api_key, keys)

    assert refused.code == "not_authenticated"
    assert "X-Api-Key" in refused.message


def test_a_key_no_longer_in_the_store_is_refused():
    keys = MemorySecrets({"ana": b"secret"})
    assert authenticate_staff("ana.secret", keys) == "ana"

    del keys.secrets["ana"]  # revoked (the SSM store notices within its cache's lifetime)

    assert refusal("ana.secret", keys).message == "the API key is not valid"
