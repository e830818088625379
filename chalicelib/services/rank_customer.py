"""Keep a customer's tier current: recomputed from the order history each time one of their orders arrives."""

from datetime import datetime

from chalicelib.adapters.ports import CustomerStore, OrderStore, PolicyStore
from chalicelib.domain.events import iso_utc
from chalicelib.domain.policy import DEFAULT_TIER
from chalicelib.domain.tiers import PaidOrder, rfm_tier

_NOT_PAID = ("pending_payment", "cancelled")


def rank_customer(
    customer_id: str, marketplace: str, orders: OrderStore, customers: CustomerStore, policies: PolicyStore,
    now: datetime,
) -> str:
    policy = policies.current()
    history = [
        PaidOrder.model_validate(order)
        for order in orders.paid_orders(customer_id)
        if order.get("status") not in _NOT_PAID and "paid_total_minor" in order
    ]
    tier, facts = rfm_tier(history, now, policy.resolve(marketplace, DEFAULT_TIER).rfm)
    customers.set_tier(customer_id, tier, facts, iso_utc(now), policy.version)
    return tier
