"""Execution names from return ids: always a name Step Functions takes, the same for the same id, different for
different ids (properties, derandomized by the hypothesis profile of tests/conftest.py), readable when they can be."""

import hashlib
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.execution_names import execution_arn, execution_name, restart_name

STEP_FUNCTIONS_NAME = re.compile(r"^[A-Za-z0-9._-]{1,80}$")
SHOP = st.from_regex(r"\A[a-z0-9][a-z0-9_-]{0,63}\Z")
OWN_ID = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9._:-]{0,127}\Z")
QUALIFIED = st.builds(lambda shop, own: f"{shop}/{own}", SHOP, OWN_ID)
# Ids that stress the forms: short ones over a small alphabet (so "/" and "." swap places and ids end in hex
# digits), the grammar's own ids, qualified or not, and any text at all.
CLOSE = st.text(alphabet="ab01./-_:#", min_size=1, max_size=24)
ANY_ID = st.one_of(CLOSE, OWN_ID, QUALIFIED, st.text(min_size=1, max_size=200))


@given(ANY_ID)
def test_every_name_is_one_step_functions_takes(return_id):
    assert STEP_FUNCTIONS_NAME.fullmatch(execution_name(return_id))


@given(ANY_ID, st.integers(min_value=1, max_value=1000))
def test_every_restart_name_is_one_step_functions_takes_and_begins_with_a_dot(return_id, generation):
    name = restart_name(return_id, generation)
    assert STEP_FUNCTIONS_NAME.fullmatch(name) and name.startswith(".")


@given(st.lists(ANY_ID, min_size=2, max_size=30, unique=True))
def test_distinct_ids_give_distinct_names_and_the_same_id_the_same_name(return_ids):
    names = [execution_name(return_id) for return_id in return_ids]
    assert len(set(names)) == len(return_ids)
    assert names == [execution_name("".join(return_id)) for return_id in return_ids]


@given(st.lists(st.one_of(CLOSE, OWN_ID, QUALIFIED), min_size=1, max_size=10, unique=True),
       st.integers(min_value=1, max_value=5))
def test_a_restart_name_is_never_another_execution_s_name(return_ids, generations):
    """Return ids never hold "#"; the grammar's ids, and short ones with every other sign, stand for them."""
    return_ids = [return_id for return_id in return_ids if "#" not in return_id]
    first = {execution_name(return_id) for return_id in return_ids}
    restarts = {restart_name(return_id, n) for return_id in return_ids for n in range(1, generations + 1)}
    assert len(restarts) == len(return_ids) * generations
    assert not first & restarts


@given(QUALIFIED)
def test_a_qualified_id_that_fits_in_the_name_alphabet_reads_as_shop_dot_id(return_id):
    readable = return_id.replace("/", ".")
    if len(readable) <= 80 and ":" not in readable:
        assert execution_name(return_id) == readable
    else:
        assert "." not in execution_name(return_id)


@pytest.mark.parametrize(("return_id", "name"), [
    ("RT-1", "RT-1"),  # an unqualified id keeps the name executions always had
    ("generic/RT-1", "generic.RT-1"),
    ("acme/RT.1", "acme.RT.1"),
    ("shop_1/A-b_C.9", "shop_1.A-b_C.9"),
])
def test_readable_names(return_id, name):
    assert execution_name(return_id) == name


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@pytest.mark.parametrize(("return_id", "slug"), [
    ("acme/gid:shopify:Return:123", "acme_gid_shopify_Return_123"),  # ":" is refused
    ("RT.1", "RT_1"),  # would read as the qualified "RT/1"
    ("RT-0123456789abcdef", "RT-0123456789abcdef"),  # would read as a digested name
    ("a/b/c", "a_b_c"),  # a second "/" would make "a/b.c"'s name
    ("a.b/c", "a_b_c"),  # a shop has no ".", else "a/b.c" and "a.b/c" would both be "a.b.c"
    ("", ""),
])
def test_other_ids_are_slugged_and_digested(return_id, slug):
    assert execution_name(return_id) == f"{slug}-{digest(return_id)}"


def test_a_long_id_is_cut_to_80_with_the_digest_of_the_whole_id():
    return_id = "shop-" + "s" * 59 + "/" + "R" * 128
    name = execution_name(return_id)
    assert len(name) == 80
    assert name == f"{return_id[:63]}-{digest(return_id)}"
    assert execution_name(return_id + "x") != name  # the same first 63 characters


def test_names_of_ids_that_differ_only_where_a_slash_or_a_dot_stands_differ():
    names = {execution_name(i) for i in ("a/b.c", "a.b/c", "a/b/c", "a.b.c", "a/b_c", "a_b/c", "a_b_c")}
    assert len(names) == 7


def test_restart_names_by_generation():
    assert restart_name("generic/RT-1", 1) == f".generic_RT-1_1-{digest('generic/RT-1#1')}"
    assert restart_name("generic/RT-1", 2) != restart_name("generic/RT-1", 1)
    with pytest.raises(ValueError):
        restart_name("RT-1", 0)


def test_the_execution_arn_of_a_name_under_a_state_machine():
    machine = "arn:aws:states:eu-west-1:123456789012:stateMachine:aftersales-return-workflow"
    assert execution_arn(machine, "acme.RT-1") == (
        "arn:aws:states:eu-west-1:123456789012:execution:aftersales-return-workflow:acme.RT-1")
    assert execution_arn(machine + ":7", "RT-1").endswith(":execution:aftersales-return-workflow:RT-1")
    with pytest.raises(ValueError):
        execution_arn("arn:aws:lambda:eu-west-1:123456789012:function:f", "RT-1")
