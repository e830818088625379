"""Keep a customer's tier current: recomputed from the order history each time one of their orders arrives."""

from datetime import datetime

from chalicelib.bootstrap import Ports
from chalicelib.domain.clock import iso_utc
from chalicelib.domain.policy import DEFAULT_TIER
from chalicelib.domain.tiers import rfm_tier


def rank_customer(customer_id: str, marketplace: str, ports: Ports, now: datetime) -> str:
    policy = ports.policies.current()
    tier, facts = rfm_tier(ports.orders.paid_orders(customer_id), now, policy.resolve(marketplace, DEFAULT_TIER).rfm)
    ports.customers.set_tier(customer_id, tier, facts, iso_utc(now), policy.version)
    return tier
