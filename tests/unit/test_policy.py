"""The policy document: defaults of POLICY.md, the order overrides apply in, and invalid documents refused."""

import pytest

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.money import major_to_minor
from chalicelib.domain.policy import DEFAULT_POLICY, Policy, parse_policy


def test_defaults_are_policy_md():
    normal, vip, potential = (DEFAULT_POLICY.resolve(None, tier) for tier in ("normal", "vip", "potential"))
    assert (normal.return_window_days, normal.manual_review_above, normal.abuse_returns_30d) == (7, "2000.00", 5)
    assert normal.max_return_shipping_reimbursement == "30.00"
    assert set(normal.non_returnable_categories) == {"perishable", "customized", "digital", "intimate"}
    assert (vip.review_sla_hours, potential.review_sla_hours, normal.review_sla_hours) == (2, 4, 8)
    assert normal.returnless_refund_below == "0"  # section 8: off


def test_a_policy_kept_on_a_return_before_the_returnless_threshold_existed_is_read_with_it_off():
    kept = DEFAULT_POLICY.resolve("tmall", "normal").model_dump(mode="json")
    del kept["returnless_refund_below"]
    assert Policy.model_validate(kept).returnless_refund_below == "0"


def test_the_most_specific_setting_wins():
    document = parse_policy({
        "version": "v1",
        "defaults": {"return_window_days": 10, "review_sla_hours": 6},
        "tiers": {"vip": {"return_window_days": 20}},
        "marketplaces": {"tmall": {"defaults": {"return_window_days": 5}, "tiers": {"vip": {"return_window_days": 30}}}},
    })
    assert document.resolve("jd", "normal").return_window_days == 10
    assert document.resolve("jd", "vip").return_window_days == 20
    assert document.resolve("tmall", "normal").return_window_days == 5
    assert document.resolve("tmall", "vip").return_window_days == 30
    assert document.resolve("jd", "vip").review_sla_hours == 2  # a tier's own default beats the general one
    assert document.resolve("jd", "normal").review_sla_hours == 6


@pytest.mark.parametrize("currency_exponent, minor", [(2, 200000), (0, 2000), (3, 2000000)])
def test_policy_amounts_scale_with_the_currency_exponent(currency_exponent, minor):
    assert major_to_minor("2000.00", currency_exponent) == minor
    assert major_to_minor("2000", currency_exponent) == minor


@pytest.mark.parametrize(
    "document, field",
    [
        ({}, "version"),
        ({"version": "v1", "defaults": {"return_window_days": -1}}, "defaults.return_window_days"),
        ({"version": "v1", "defaults": {"return_window_days": "7"}}, "defaults.return_window_days"),
        ({"version": "v1", "defaults": {"manual_review_above": "2000.5"}}, "defaults.manual_review_above"),
        ({"version": "v1", "tiers": {"vip": {"returnless_refund_below": 50}}}, "tiers.vip.returnless_refund_below"),
        ({"version": "v1", "defaults": {"abuse_returns_30d": 0}}, "defaults.abuse_returns_30d"),
        ({"version": "v1", "defaults": {"window": 7}}, "defaults.window"),
        ({"version": "v1", "tiers": {"gold": {}}}, "tiers.gold.[key]"),
        ({"version": "v1", "categories": {"books": {"non_returnable": "yes"}}}, "categories.books.non_returnable"),
        ({"version": "v1", "marketplaces": {"tmall": {"defaults": {"parcel_wait_days": 0}}}},
         "marketplaces.tmall.defaults.parcel_wait_days"),
        ("{not json", ""),
    ],
)
def test_invalid_documents_are_refused_naming_the_field(document, field):
    with pytest.raises(InvalidInput) as refused:
        parse_policy(document)
    assert refused.value.field == field
