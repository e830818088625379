"""authenticate_staff on the twins: `X-Api-Key: <key id>.<secret>` names who acts and with which roles (the key
stored hashed); every bad key is the same refusal. require: a role the key lacks is Forbidden (admin has all)."""

import pytest

from chalicelib.domain.staff_keys import Role, Staff, secret_hash, staff_key_of
from chalicelib.ports.errors import Forbidden, NotAuthenticated, Unavailable
from chalicelib.services.authenticate_staff import authenticate_staff, require
from tests.unit.services.given import staff, staff_keys, twins


@pytest.fixture
def keys():
    return twins(staff_keys=staff_keys(
        ana=("secret", ["after_sales"]), **{"finance-bot_2": ("s.e.c.r.e.t", ["finance"])},
    )).staff_keys


def refusal(api_key, keys) -> NotAuthenticated:
    with pytest.raises(NotAuthenticated) as refused:
        authenticate_staff(api_key, keys)
    return refused.value


def test_a_valid_key_names_its_key_id(keys):
    assert authenticate_staff("ana.secret", keys).key_id == "ana"


def test_a_secret_may_itself_contain_dots(keys):
    assert authenticate_staff("finance-bot_2.s.e.c.r.e.t", keys).key_id == "finance-bot_2"


def test_a_valid_key_carries_its_roles(keys):
    assert authenticate_staff("ana.secret", keys).key.roles == frozenset({Role.AFTER_SALES})
    assert authenticate_staff("finance-bot_2.s.e.c.r.e.t", keys).key.roles == frozenset({Role.FINANCE})


def test_who_holds_the_key_is_named_with_the_address_the_call_came_from(keys):
    who = authenticate_staff("ana.secret", keys, "203.0.113.9")

    assert isinstance(who, Staff) and (who.key_id, who.address) == ("ana", "203.0.113.9")
    assert authenticate_staff("ana.secret", keys).address is None


def test_the_store_keeps_the_secrets_hash_not_the_secret(keys):
    stored = keys.get("ana")

    assert stored.sha256 == bytes.fromhex(secret_hash("secret")) and b"secret" not in stored.sha256


@pytest.mark.parametrize(
    "api_key",
    ["bob.secret", "ana.wrong", "ana.secret ", "ana.Secret", "ana.secre", "ana", "ana.", ".secret", "ANA.secret",
     "../ana.secret", "ana/x.secret", "-ana.secret", "a" * 65 + ".secret", "ana." + secret_hash("secret"),
     "finance-bot_2.secret", "ana.s.e.c.r.e.t"],
    ids=["unknown id", "wrong secret", "trailing space", "wrong case", "short secret", "no dot", "empty secret",
         "empty id", "id case", "path in id", "slash in id", "leading dash", "id too long", "the stored hash",
         "another key's secret", "secret of another key with dots"],
)
def test_an_invalid_key_is_refused_with_one_answer_for_every_kind_of_mistake(keys, api_key):
    unknown_id = refusal("bob.secret", keys)

    refused = refusal(api_key, keys)

    assert (refused.code, refused.message) == (unknown_id.code, unknown_id.message) == (
        "not_authenticated", "the API key is not valid"
    )


@pytest.mark.parametrize("api_key", ["ana.sécret", "ana.\udc80", "ana.\ud800", "ana.秘密"],
                         ids=["latin", "escaped byte surrogate", "lone surrogate", "cjk"])
def test_a_secret_of_any_characters_is_the_same_refusal(keys, api_key):
    assert refusal(api_key, keys).message == "the API key is not valid"


@pytest.mark.parametrize("api_key", [None, ""])
def test_a_missing_key_is_not_authenticated_and_says_which_header_is_needed(keys, api_key):
    refused = refusal(api_key, keys)

    assert refused.code == "not_authenticated"
    assert "X-Api-Key" in refused.message


def test_a_key_no_longer_in_the_store_is_refused():
    keys = staff_keys(ana=("secret", ["admin"]))
    assert authenticate_staff("ana.secret", keys).key_id == "ana"

    del keys.registered["ana"]  # revoked (the SSM directory notices within its cache's lifetime)

    assert refusal("ana.secret", keys).message == "the API key is not valid"


def test_a_key_whose_secret_was_rotated_takes_only_the_new_secret():
    keys = staff_keys(ana=("secret", ["after_sales"]))
    keys.registered["ana"] = staff_key_of("ana", f'{{"sha256": "{secret_hash("new-secret")}", "roles": ["after_sales"]}}')

    assert authenticate_staff("ana.new-secret", keys).key_id == "ana"
    assert refusal("ana.secret", keys).message == "the API key is not valid"


def test_a_store_that_cannot_be_read_is_unavailable_not_a_refusal():
    keys = staff_keys(ana=("secret", ["admin"]))
    keys.available = False

    with pytest.raises(Unavailable):
        authenticate_staff("ana.secret", keys)


# Roles.

@pytest.mark.parametrize(
    "roles, allowed",
    [(["after_sales"], {Role.AFTER_SALES}), (["finance"], {Role.FINANCE}),
     (["after_sales", "finance"], {Role.AFTER_SALES, Role.FINANCE}), (["admin"], set(Role))],
    ids=["after_sales", "finance", "both", "admin"],
)
def test_a_key_has_the_roles_it_was_given_and_admin_has_every_role(roles, allowed):
    for role in Role:
        if role in allowed:
            require(staff(*roles), role)
        else:
            with pytest.raises(Forbidden) as refused:
                require(staff(*roles), role)
            assert refused.value.code == "role_required"


def test_a_missing_role_is_refused_naming_the_key_and_the_role():
    with pytest.raises(Forbidden) as refused:
        require(staff("after_sales", key_id="clerk-1"), Role.FINANCE)

    assert (refused.value.code, refused.value.message) == (
        "role_required", "key 'clerk-1' does not have the finance role"
    )


def test_a_stored_key_without_a_role_is_not_a_key():
    with pytest.raises(ValueError):
        staff_key_of("ana", f'{{"sha256": "{secret_hash("secret")}", "roles": []}}')
