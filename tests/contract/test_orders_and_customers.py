"""OrderStore (each order as its newest version said, its refund account kept) and CustomerStore (tiers)."""

from datetime import datetime, timezone

from chalicelib.domain.orders import OrderStatus, RefundAccount
from chalicelib.domain.tiers import Customer, PaidOrder
from tests.contract.records import a_ledger_record, account_after, an_order, at

# OrderStore


def test_an_unknown_order_is_none(orders):
    assert orders.get("TM-NONE") is None


def test_upsert_stores_the_order_at_its_source_time(orders):
    assert orders.upsert(an_order(), at(1, 10)) is True

    stored = orders.get("TM-1001")
    assert stored.order_data() == {key: value for key, value in an_order().items()
                                   if key not in ("marketplace", "paid_total_minor")}
    assert stored.status == OrderStatus.PAID and isinstance(stored.status, OrderStatus)
    assert (stored.marketplace, stored.paid_total_minor, stored.updated_at) == ("tmall", 2990, at(1, 10))
    assert (stored.account, stored.refund_version) == (RefundAccount(), 0)


def test_a_newer_version_replaces_the_fields_it_carries(orders):
    orders.upsert(an_order(), at(1, 10))

    assert orders.upsert(an_order(status="shipped", shipped_at=at(2, 9)), at(2, 9)) is True

    stored = orders.get("TM-1001")
    assert (stored.status, stored.shipped_at, stored.updated_at) == (OrderStatus.SHIPPED, at(2, 9), at(2, 9))


def test_an_older_version_is_refused_and_the_newest_kept(orders):
    # Given the shipped version stored
    orders.upsert(an_order(status="shipped", shipped_at=at(2, 9)), at(2, 9))

    # When the paid version arrives late
    assert orders.upsert(an_order(status="paid"), at(1, 10)) is False

    stored = orders.get("TM-1001")
    assert (stored.status, stored.updated_at) == (OrderStatus.SHIPPED, at(2, 9))


def test_a_version_of_the_same_time_is_stored(orders):
    orders.upsert(an_order(status="paid"), at(2, 9))

    assert orders.upsert(an_order(status="shipped"), at(2, 9)) is True

    assert orders.get("TM-1001").status == OrderStatus.SHIPPED


def test_a_field_a_newer_version_leaves_out_stays_as_stored(orders):
    orders.upsert(an_order(shipment={"carrier": "sf-express", "tracking_number": "SF1"}), at(1, 10))
    newer = {key: value for key, value in an_order(status="delivered").items() if key != "shipment"}

    orders.upsert(newer, at(3, 9))

    assert orders.get("TM-1001").shipment == {"carrier": "sf-express", "tracking_number": "SF1"}


def test_a_new_version_keeps_the_refund_account(orders, ledger):
    # Given an order refunded once
    orders.upsert(an_order(), at(1, 10))
    ledger.issue(a_ledger_record(), account_after(1250), 0)

    # When a newer version of the order arrives
    assert orders.upsert(an_order(status="delivered", delivered_at=at(3, 9)), at(3, 9)) is True

    # Then the account and its version are as the refund left them
    stored = orders.get("TM-1001")
    assert stored.status == OrderStatus.DELIVERED
    assert (stored.account, stored.refund_version) == (account_after(1250), 1)


def test_paid_orders_are_the_customer_orders_paid_and_not_cancelled_by_payment_time(orders):
    for order_id, status, paid_at in [
        ("TM-3", "delivered", at(3)), ("TM-1", "paid", at(1)), ("TM-2", "shipped", at(2)),
        ("TM-PENDING", "pending_payment", at(4)), ("TM-CANCELLED", "cancelled", at(5)),
    ]:
        orders.upsert(an_order(order_id, status=status, paid_at=paid_at, paid_total_minor=1000), at(6))
    unpaid = an_order("TM-NEVER-PAID", status="pending_payment")
    del unpaid["paid_at"]
    orders.upsert(unpaid, at(6))
    orders.upsert(an_order("TM-OTHER", customer_id="C-2"), at(6))

    paid = orders.paid_orders("C-1")

    assert paid == [
        PaidOrder(order_id=f"TM-{n}", paid_at=datetime(2026, 11, n, 8, tzinfo=timezone.utc), currency="EUR",
                  paid_total_minor=1000)
        for n in (1, 2, 3)
    ]
    assert orders.paid_orders("C-NONE") == []


def test_paid_orders_leave_out_an_order_without_its_paid_total(orders):
    orders.upsert({key: value for key, value in an_order().items() if key != "paid_total_minor"}, at(1, 10))

    assert orders.paid_orders("C-1") == []


def test_an_order_passed_in_and_given_back_is_a_copy(orders):
    order = an_order()
    orders.upsert(order, at(1, 10))
    order["lines"][0]["quantity"] = 9
    order["status"] = "cancelled"

    stored = orders.get("TM-1001")
    assert stored.order_data()["lines"] == an_order()["lines"]
    assert stored.status == OrderStatus.PAID


# CustomerStore


FACTS = {"orders": 3, "days_since_last_order": 4, "spent_minor": {"EUR": 8970},
         "scores": {"recency": 5, "frequency": 2, "monetary": 2, "total": 9}}


def test_an_unknown_customer_is_none(customers):
    assert customers.get("C-NONE") is None


def test_set_tier_keeps_the_tier_with_its_facts(customers):
    customers.set_tier("C-1", "potential", FACTS, at(22), "default-2026-11")

    assert customers.get("C-1") == Customer(
        customer_id="C-1", tier="potential", rfm=FACTS, tier_computed_at=at(22), policy_version="default-2026-11",
    )


def test_set_tier_again_replaces_it(customers):
    customers.set_tier("C-1", "potential", FACTS, at(22), "default-2026-11")

    customers.set_tier("C-1", "vip", {"orders": 9}, at(23), "default-2026-12")

    assert customers.get("C-1") == Customer(
        customer_id="C-1", tier="vip", rfm={"orders": 9}, tier_computed_at=at(23), policy_version="default-2026-12",
    )


def test_facts_passed_in_and_given_back_are_copies(customers):
    facts = {"orders": 3, "spent_minor": {"EUR": 8970}}
    customers.set_tier("C-1", "potential", facts, at(22), "default-2026-11")
    facts["spent_minor"]["EUR"] = 0

    customers.get("C-1").rfm["orders"] = 0

    assert customers.get("C-1").rfm == {"orders": 3, "spent_minor": {"EUR": 8970}}


def test_orders_are_found_by_their_shops_own_id_in_every_shop(orders):
    orders.upsert(an_order("tmall/TM-7"), at(20))
    orders.upsert(an_order("jd-acme/TM-7"), at(20))
    orders.upsert(an_order("tmall/TM-8"), at(20))

    assert sorted(orders.with_reference("TM-7")) == ["jd-acme/TM-7", "tmall/TM-7"]
    assert orders.with_reference("TM-9") == []
