"""RFM tiers (POLICY.md section 5): each score at its thresholds, the tier from their sum, money per currency."""

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain.events import OrderData
from chalicelib.domain.policy import DEFAULT_POLICY
from chalicelib.domain.tiers import PaidOrder, paid_total_minor, rfm_tier

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=timezone.utc)
RFM = DEFAULT_POLICY.resolve(None, "normal").rfm  # recency 30/90/180/365 d, orders 2/4/8/15, spent 200/1000/3000/10000


def history(count: int, days_ago: int = 1, each: int = 10000, currency: str = "CNY") -> list[PaidOrder]:
    return [
        PaidOrder(order_id=f"O{n}", paid_at=NOW - timedelta(days=days_ago + n), currency=currency, paid_total_minor=each)
        for n in range(count)
    ]


def test_no_orders_is_normal():
    assert rfm_tier([], NOW, RFM) == ("normal", {"orders": 0})


@pytest.mark.parametrize("days, score", [(30, 5), (31, 4), (90, 4), (91, 3), (180, 3), (365, 2), (366, 1)])
def test_recency_score_at_its_thresholds(days, score):
    assert rfm_tier(history(1, days_ago=days), NOW, RFM)[1]["scores"]["recency"] == score


@pytest.mark.parametrize("count, score", [(1, 1), (2, 2), (3, 2), (4, 3), (8, 4), (14, 4), (15, 5)])
def test_frequency_score_at_its_thresholds(count, score):
    assert rfm_tier(history(count, each=1), NOW, RFM)[1]["scores"]["frequency"] == score


@pytest.mark.parametrize("spent, score", [(19999, 1), (20000, 2), (100000, 3), (299999, 3), (300000, 4), (1000000, 5)])
def test_monetary_score_at_its_thresholds(spent, score):
    assert rfm_tier(history(1, each=spent), NOW, RFM)[1]["scores"]["monetary"] == score


def test_monetary_thresholds_scale_with_the_currency_and_the_best_currency_counts():
    yen = history(1, each=10000, currency="JPY")  # 10000 yen: the top threshold of 0-decimal currencies
    assert rfm_tier(yen, NOW, RFM)[1]["scores"]["monetary"] == 5
    mixed = history(1, each=20000, currency="CNY") + history(1, each=1000, currency="JPY")
    assert rfm_tier(mixed, NOW, RFM)[1]["spent_minor"] == {"CNY": 20000, "JPY": 1000}
    assert rfm_tier(mixed, NOW, RFM)[1]["scores"]["monetary"] == 3  # 1000 yen beats 200.00 CNY


@pytest.mark.parametrize(
    "orders, tier",
    [
        (history(8, each=40000), "vip"),  # 5 + 4 + 4 = 13
        (history(8, each=20000), "potential"),  # 5 + 4 + 3 = 12
        (history(4, days_ago=100, each=30000), "potential"),  # 3 + 3 + 3 (1200.00 in all) = 9
        (history(4, days_ago=200, each=30000), "normal"),  # 2 + 3 + 3 = 8
    ],
)
def test_the_tier_comes_from_the_sum_of_the_scores(orders, tier):
    assert rfm_tier(orders, NOW, RFM)[0] == tier


def test_paid_total_is_line_totals_less_the_coupon_plus_shipping():
    order = OrderData.model_validate({
        "order_id": "O", "customer_id": "C", "currency": "CNY", "status": "paid", "shipping_fee": "12.00",
        "order_discount": "30.00", "lines": [
            {"line_id": "L1", "unit_price": "299.00", "quantity": 1},
            {"line_id": "L2", "unit_price": "33.33", "quantity": 3, "line_discount": "9.99"},
        ],
    })
    assert paid_total_minor(order) == 29900 + 9000 - 3000 + 1200
