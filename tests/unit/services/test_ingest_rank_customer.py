"""rank_customer on the in-memory twins: a customer's tier from their paid order history, under the policy in force."""

from datetime import timedelta

from chalicelib.adapters.memory import MemoryPolicies
from chalicelib.domain.policy import parse_policy
from chalicelib.services.rank_customer import rank_customer
from tests.unit.services.given import NOW, an_order, twins

LENIENT_TMALL = {
    "version": "tmall-lenient",
    "marketplaces": {"tmall": {"defaults": {"rfm": {
        "recency_days": [30, 90, 180, 365], "frequency_orders": [2, 4, 8, 15],
        "monetary": ["200.00", "1000.00", "3000.00", "10000.00"], "vip_min_score": 8, "potential_min_score": 5,
    }}}},
}


def test_a_customer_without_paid_orders_is_normal():
    # Given no order of C-9
    ports = twins()
    # When C-9 is ranked
    tier = rank_customer("C-9", "tmall", ports, NOW)
    # Then C-9 is normal, with no orders as the fact, as of now under the policy's version
    assert tier == "normal"
    customer = ports.customers.get("C-9")
    assert (customer.tier, customer.rfm) == ("normal", {"orders": 0})
    assert (customer.tier_computed_at, customer.policy_version) == ("2026-11-22T08:00:00Z", "default-2026-11")


def test_orders_not_paid_do_not_count():
    # Given a paid order and one still waiting for payment
    ports = twins()
    an_order(ports, "TM-1")
    an_order(ports, "TM-2", status="pending_payment", paid_at=None, shipped_at=None, delivered_at=None)
    # When the customer is ranked
    rank_customer("C-1", "tmall", ports, NOW)
    # Then only the paid order is counted
    assert ports.customers.get("C-1").rfm["orders"] == 1


def test_a_cancelled_order_does_not_count():
    # Given one order, cancelled after payment
    ports = twins()
    an_order(ports, status="cancelled")
    # When the customer is ranked
    rank_customer("C-1", "tmall", ports, NOW)
    # Then it has no paid order
    assert ports.customers.get("C-1").rfm == {"orders": 0}


def test_recency_falls_as_the_last_order_ages():
    # Given one order paid on 2026-11-15
    ports = twins()
    an_order(ports)
    # When the customer is ranked 400 days later
    rank_customer("C-1", "tmall", ports, NOW + timedelta(days=400))
    # Then the order is 407 days old: recency 1
    rfm = ports.customers.get("C-1").rfm
    assert (rfm["days_since_last_order"], rfm["scores"]["recency"]) == (407, 1)


def test_money_is_summed_per_currency_and_the_best_currency_scores():
    # Given a CNY order of 371.00 and a JPY order of 1100 yen
    ports = twins()
    an_order(ports, "TM-CNY")
    an_order(ports, "TM-JPY", currency="JPY", shipping_fee="100", order_discount="0",
             lines=[{"line_id": "L1", "unit_price": "1000", "quantity": 1}])
    # When the customer is ranked
    rank_customer("C-1", "tmall", ports, NOW)
    # Then each currency has its own total and the monetary score is the better one
    rfm = ports.customers.get("C-1").rfm
    assert rfm["spent_minor"] == {"CNY": 37100, "JPY": 1100}
    assert rfm["scores"]["monetary"] == 3  # 1100 yen passes 200 and 1000; 371.00 CNY passes only 200.00


def test_the_marketplace_s_own_thresholds_rank_its_customers():
    # Given a policy with lower tier scores on tmall only, and one order
    ports = twins(policies=MemoryPolicies(parse_policy(LENIENT_TMALL)))
    an_order(ports)
    # When the customer is ranked for tmall, and for jd
    on_tmall = rank_customer("C-1", "tmall", ports, NOW)
    on_jd = rank_customer("C-1", "jd", ports, NOW)
    # Then the score of 8 is vip on tmall and normal elsewhere, each under the policy's version
    assert (on_tmall, on_jd) == ("vip", "normal")
    assert ports.customers.get("C-1").policy_version == "tmall-lenient"


def test_ranking_again_replaces_the_tier():
    # Given a customer ranked potential on one large order
    ports = twins()
    an_order(ports, "TM-0", shipping_fee="10000.00")
    assert rank_customer("C-1", "tmall", ports, NOW) == "potential"
    # When three more large orders are paid and the customer is ranked a day later
    for n in range(1, 4):
        an_order(ports, f"TM-{n}", shipping_fee="10000.00")
    tier = rank_customer("C-1", "tmall", ports, NOW + timedelta(days=1))
    # Then the new tier and its time replace the old ones
    customer = ports.customers.get("C-1")
    assert (tier, customer.tier, customer.tier_computed_at) == ("vip", "vip", "2026-11-23T08:00:00Z")
