"""The reports on DuckDB (localcloud/lake_reports.py) over small lakes written here by hand, as JSON lines under
analytics/<table>/dt=YYYY-MM-DD/, with rows written twice as a retried step writes them; every expected figure is
worked out in a comment."""

import csv
import json
from datetime import datetime, timezone

import pytest

from chalicelib.domain.lake import TABLES
from chalicelib.domain.reports import REPORTS
from localcloud.lake_reports import DUCKDB_TYPES, connect, run_all, run_report

EU, US = "shop-eu", "shop-us"
START = int(datetime(2026, 3, 1, tzinfo=timezone.utc).timestamp())
HOUR = 3600


def write(lake, table, day, rows, part="part-0"):
    folder = lake / "analytics" / table / f"dt={day}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{part}.json").write_text("".join(json.dumps(row) + "\n" for row in rows))


def at(hours):
    return None if hours is None else START + int(hours * HOUR)


def order_line(shop, order_id, line_id, sku, category, units):
    return {"order_id": order_id, "shop": shop, "platform": "shopify", "line_id": line_id, "sku": sku,
            "category": category, "units": units, "ordered_at": START}


def return_line(shop, return_id, line_id, sku, category, reason, requested, accepted, deductions_minor=0):
    return {"return_id": return_id, "shop": shop, "platform": "shopify", "line_id": line_id, "sku": sku,
            "category": category, "reason": reason, "units_requested": requested, "units_accepted": accepted,
            "deductions_minor": deductions_minor, "currency": "EUR", "closed_at": START}


def a_return(shop, return_id, platform, zero_touch, hours=(), tier="normal", queue=None, sla_met=None):
    """`hours` after START: requested, decided, parcel shipped, delivered, inspected, refunded, closed."""
    stages = ("requested_at", "decided_at", "parcel_shipped_at", "delivered_at", "inspected_at", "refunded_at",
              "closed_at")
    deadline = at(48) if queue else None
    return {"return_id": return_id, "shop": shop, "platform": platform, "zero_touch": zero_touch,
            "customer_tier": tier, "review_queue": queue, "sla_deadline": deadline, "sla_met": sla_met,
            **{stage: at(hour) for stage, hour in zip(stages, hours)}}


def decision(shop, return_id, hours, decided_by, outcome, rule_code):
    return {"return_id": return_id, "shop": shop, "platform": "shopify", "decided_at": at(hours),
            "decided_by": decided_by, "outcome": outcome, "rule_code": rule_code}


def checkpoint(shop, return_id, carrier, tracking_number, status, hours, origin="DE", destination="NL"):
    return {"return_id": return_id, "shop": shop, "carrier": carrier, "tracking_number": tracking_number,
            "status": status, "occurred_at": at(hours), "origin_region": origin, "destination_region": destination}


def refund(shop, refund_id, return_id, platform, amount_minor, currency):
    return {"refund_id": refund_id, "return_id": return_id, "shop": shop, "platform": platform,
            "amount_minor": amount_minor, "currency": currency, "paid_by": "us", "paid_at": START}


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    lake = tmp_path_factory.mktemp("lake")
    write(lake, "order_lines", "2026-03-01", [
        order_line(EU, "O1", "L1", "SHOE-42", "footwear", 4),
        order_line(EU, "O2", "L1", "SHOE-42", "footwear", 6),
        order_line(EU, "O2", "L2", "SOCK-3P", "apparel", 10),
        order_line(US, "O1", "L1", "SHOE-42", "footwear", 5),  # another shop's order O1: another line
    ])
    write(lake, "order_lines", "2026-03-01", [order_line(EU, "O1", "L1", "SHOE-42", "footwear", 4)], part="again")
    short = return_line(EU, "R3", "L1", "SHOE-42", "footwear", "wrong_size", 1, 0)
    write(lake, "return_lines", "2026-03-05", [
        return_line(EU, "R1", "L1", "SHOE-42", "footwear", "wrong_size", 2, 2),
        return_line(EU, "R2", "L1", "SHOE-42", "footwear", "quality_issue", 1, 1, deductions_minor=500),
        short,
        return_line(EU, "R4", "L2", "SOCK-3P", "apparel", "changed_mind", 1, 0),
        return_line(EU, "R5", "L9", "HAT-1", "apparel", "quality_issue", 1, 1),
    ])
    write(lake, "return_lines", "2026-03-05", [short], part="again")
    r5 = a_return(EU, "R5", "shopify", False, (0, 10, None, None, None, None, 12), queue="high_value", sla_met=True)
    write(lake, "returns", "2026-03-05", [
        a_return(EU, "R1", "shopify", True, (0, 1, 25, 73, 97, 98, 98)),
        a_return(EU, "R2", "shopify", False, (0, 2, 50, 74, 80, 81, 82), tier="vip", queue="evidence", sla_met=True),
        a_return(EU, "R3", "shopify", True, (0, 3.5, None, None, 4.5, None, 5)),
        a_return(EU, "R4", "shopify", False, (0, 4, None, None, None, None, 6), queue="high_value", sla_met=False),
        r5,
        a_return(US, "R9", "taobao", False, queue="high_value"),  # no times; its SLA outcome unknown
    ])
    write(lake, "returns", "2026-03-05", [r5], part="again")
    again = decision(EU, "R4", 1, "rules", "review", "high_value")
    write(lake, "decisions", "2026-03-01", [
        decision(EU, "R1", 1, "rules", "approve", "within_policy"),
        decision(EU, "R2", 1, "rules", "review", "evidence_required"),
        decision(EU, "R2", 2, "rules", "review", "evidence_required"),  # verified again with the new evidence
        decision(EU, "R2", 3, "ana", "approve", None),
        again,
        decision(US, "R2", 1, "rules", "review", "evidence_required"),
    ])
    write(lake, "decisions", "2026-03-01", [again], part="again")
    scanned = checkpoint(EU, "R1", "dhl", "TN1", "in_transit", 26)
    write(lake, "checkpoints", "2026-03-02", [
        checkpoint(EU, "R1", "dhl", "TN1", "info_received", 25, origin=None, destination=None),
        scanned,
        checkpoint(EU, "R2", "dhl", "TN2", "exception", 51),
        checkpoint(EU, "R3", "dhl", "TN3", "in_transit", 26),
        checkpoint(EU, "R4", "ups", "TN4", "attempt_fail", 26, origin=None, destination=None),
        checkpoint(US, "R2", "dhl", "TN1", "in_transit", 26),  # shop-us's parcel TN1, carrying shop-us's R2
    ])
    write(lake, "checkpoints", "2026-03-02", [scanned], part="again")
    write(lake, "checkpoints", "2026-03-04", [
        checkpoint(EU, "R1", "dhl", "TN1", "delivered", 73, destination="FR"),  # not the route: not the earliest
        checkpoint(EU, "R2", "dhl", "TN2", "delivered", 74),
        checkpoint(EU, "R3", "dhl", "TN3", "delivered", 74),
    ])
    paid_twice = refund(EU, "F1", "R1", "shopify", 12000, "EUR")
    write(lake, "refunds", "2026-03-05", [
        paid_twice, refund(EU, "F2", "R2", "shopify", 3000, "EUR"), refund(EU, "F3", "R3", "shopify", 500, "USD"),
    ])
    write(lake, "refunds", "2026-03-05", [paid_twice], part="again")
    write(lake, "refunds", "2026-03-06", [refund(US, "F1", "R9", "taobao", 9900, "CNY")])
    return lake


def rows_of(lake, name, params=None):
    return run_report(lake, name, params)[1]


def test_returns_by_sku(lake):
    # shop-eu SHOE-42: sold 4 (O1 L1, written twice) + 6 = 10; returned 2 + 1 + 1 (R3, written twice) = 4 -> 0.4;
    #   wrong_size 3 of the 4 units -> 0.75.
    # shop-eu SOCK-3P: sold 10, returned 1 -> 0.1, all changed_mind. shop-us SHOE-42: sold 5, none back -> 0.0.
    # shop-eu HAT-1: none sold in the lake, 1 back: no rate, last.
    assert rows_of(lake, "returns_by_sku") == [
        (EU, "SHOE-42", 10, 4, 0.4, "wrong_size", 0.75),
        (EU, "SOCK-3P", 10, 1, 0.1, "changed_mind", 1.0),
        (US, "SHOE-42", 5, 0, 0.0, None, None),
        (EU, "HAT-1", 0, 1, None, "quality_issue", 1.0),
    ]


def test_returns_by_category(lake):
    # shop-eu footwear is SHOE-42: 4 / 10. shop-eu apparel: sold 10 (SOCK-3P), back 1 + 1 (HAT-1) -> 0.2, reasons
    #   tied 1 to 1: changed_mind leads (first by name) with half. shop-us footwear: 0 / 5.
    assert rows_of(lake, "returns_by_category") == [
        (EU, "footwear", 10, 4, 0.4, "wrong_size", 0.75),
        (EU, "apparel", 10, 2, 0.2, "changed_mind", 0.5),
        (US, "footwear", 5, 0, 0.0, None, None),
    ]


def test_carrier_routes(lake):
    # dhl DE -> NL: eu TN1 (its first checkpoint names no regions, the next DE -> NL; the later DE -> FR does not
    #   count), eu TN2, eu TN3 and us TN1: 4 parcels. Exception: TN2 -> 1/4. Damaged: TN2 (R2 inspected, 500
    #   deducted) and TN3 (R3 inspected, 0 of 1 accepted) -> 2/4; us TN1 carries shop-us's R2, not shop-eu's.
    # ups: TN4 names no regions -> unknown; attempt_fail -> 1/1; R4 was never inspected -> not damaged.
    assert rows_of(lake, "carrier_routes") == [
        ("dhl", "DE -> NL", 4, 1, 0.25, 2, 0.5),
        ("ups", "unknown", 1, 1, 1.0, 0, 0.0),
    ]


def test_cycle_times(lake):
    # requested->decided over R1..R5 (R5 written twice, counted once): 1, 2, 3.5, 4, 10 h; p50 = rank ceil(2.5) = 3
    #   -> 3.5; p90 = rank ceil(4.5) = 5 -> 10. decided->parcel_shipped: R1 24, R2 48 -> ranks 1 and 2.
    # parcel_shipped->delivered: 48, 24 -> 24, 48. delivered->inspected: 24, 6 -> 6, 24 (R3 has no delivery).
    # inspected->refunded: 1, 1 (R3 has no refund). requested->closed: 98, 82, 5, 6, 12 -> sorted rank 3 = 12,
    #   rank 5 = 98. R9 has no times.
    assert rows_of(lake, "cycle_times") == [
        ("requested->decided", 5, 3.5, 10.0),
        ("decided->parcel_shipped", 2, 24.0, 48.0),
        ("parcel_shipped->delivered", 2, 24.0, 48.0),
        ("delivered->inspected", 2, 6.0, 24.0),
        ("inspected->refunded", 2, 1.0, 1.0),
        ("requested->closed", 5, 12.0, 98.0),
    ]


def test_zero_touch_by_shop(lake):
    # shopify shop-eu: R1 and R3 of R1..R5 (R5 once) -> 2/5. taobao shop-us: R9 was not -> 0/1.
    assert rows_of(lake, "zero_touch_by_shop") == [
        ("shopify", EU, 5, 2, 0.4),
        ("taobao", US, 1, 0, 0.0),
    ]


def test_review_rules(lake):
    # The rules sent to review: eu R2 twice and us R2 for evidence_required (3 decisions, 2 returns), eu R4 for
    # high_value (written twice, counted once): 4 decisions -> 0.75 and 0.25. Approvals and ana's decision are not.
    assert rows_of(lake, "review_rules") == [
        ("evidence_required", 3, 2, 0.75),
        ("high_value", 1, 1, 0.25),
    ]


def test_sla_by_tier_and_queue(lake):
    # With a deadline: normal/high_value R4 (missed), R5 (met, written twice), R9 (unknown: not met) -> 1/3;
    # vip/evidence R2 (met) -> 1/1. R1 and R3 had no deadline.
    assert rows_of(lake, "sla_by_tier_and_queue") == [
        ("normal", "high_value", 3, 1, 0.3333),
        ("vip", "evidence", 1, 1, 1.0),
    ]


def test_refunds_by_day(lake):
    # 03-05 shopify EUR: F1 (written twice) 12000 + F2 3000; USD: F3 500. 03-06 taobao CNY: shop-us's own F1.
    assert rows_of(lake, "refunds_by_day") == [
        ("2026-03-05", "shopify", "EUR", 2, 15000),
        ("2026-03-05", "shopify", "USD", 1, 500),
        ("2026-03-06", "taobao", "CNY", 1, 9900),
    ]


@pytest.fixture(scope="module")
def anomaly_lake(tmp_path_factory):
    """As of 2026-04-28 the recent week is dt 04-22..04-28 and the baseline 03-25..04-21."""
    lake = tmp_path_factory.mktemp("anomaly-lake")
    for day, sold in (("2026-04-01", {"HOT": 100, "WARM": 100, "FEW": 100}), ("2026-04-25", {"HOT": 20, "WARM": 50,
                                                                                             "FEW": 10})):
        write(lake, "order_lines", day, [
            order_line(EU, f"O-{sku}-{day}", "L1", sku, "misc", units) for sku, units in sold.items()
        ])
    returned = {
        "2026-03-20": [("HOT", "R-H0", 50)],  # before both windows
        "2026-04-10": [("HOT", "R-H1", 5), ("WARM", "R-W0", 10), ("FEW", "R-F0", 1)],
        "2026-04-26": [("HOT", "R-H2", 6), ("WARM", "R-W1", 4), ("WARM", "R-W2", 4), ("WARM", "R-W3", 1),
                       ("FEW", "R-F1", 4)],
        "2026-04-29": [("HOT", "R-H3", 2)],  # after as_of; the latest dt of the lake
    }
    for day, lines in returned.items():
        write(lake, "return_lines", day, [
            return_line(EU, return_id, "L1", sku, "misc", "quality_issue", units, units)
            for sku, return_id, units in lines
        ])
    write(lake, "return_lines", "2026-04-26", [return_line(EU, "R-W3", "L1", "WARM", "misc", "quality_issue", 1, 1)],
          part="again")
    troubles = ("exception", "attempt_fail", "expired", "returned_to_sender")
    by_day: dict[str, list] = {}

    def parcels(destination, name, count, troubled, day, trouble_day):
        for n in range(count):
            number = f"{name}{n}"
            by_day.setdefault(day, []).append(checkpoint(EU, number, "dhl", number, "in_transit", 0, "DE", destination))
            if n < troubled:
                by_day.setdefault(trouble_day, []).append(
                    checkpoint(EU, number, "dhl", number, troubles[n % 4], 1, "DE", destination)
                )

    parcels("NL", "NL-B", 20, 1, "2026-04-05", "2026-04-06")
    parcels("NL", "NL-R", 10, 5, "2026-04-24", "2026-04-25")
    parcels("FR", "FR-B", 20, 4, "2026-04-05", "2026-04-06")
    parcels("FR", "FR-R", 13, 5, "2026-04-24", "2026-04-25")
    by_day["2026-04-20"] = [checkpoint(EU, "NL-R9", "dhl", "NL-R9", "in_transit", 0, "DE", "NL")]  # in both windows
    for day, rows in by_day.items():
        write(lake, "checkpoints", day, rows)
    return lake


def test_anomalies_at_their_defaults_of_a_given_day(anomaly_lake):
    # route dhl DE -> NL: recent 5 exception parcels of 10 = 0.5; baseline 1 of 21 (NL-R9 also moved on 04-20)
    #   = 0.0476; 0.5 / (1/21) = 10.5 >= 2 and 5 >= 5: listed. DE -> FR: 5 / 13 = 0.3846 against 2 x 4/20 = 0.4:
    #   just below.
    # sku HOT: 6 back of 20 sold = 0.3 against 5 / 100 = 0.05 (R-H0 is older, R-H3 later): 6 x, listed.
    #   WARM: 4 + 4 + 1 (R-W3 written twice, once) = 9 of 50 = 0.18 against 2 x 10/100 = 0.2: just below (counting
    #   R-W3 twice would make it 0.2 and list it). FEW: 4/10 = 40 x 1/100, but 4 < min_count 5.
    assert rows_of(anomaly_lake, "anomalies", {"as_of": "2026-04-28"}) == [
        ("route", "dhl", "DE -> NL", 5, 10, 0.5, 1, 21, 0.0476, 10.5),
        ("sku", EU, "HOT", 6, 20, 0.3, 5, 100, 0.05, 6.0),
    ]


def test_anomalies_with_a_lower_threshold_and_count(anomaly_lake):
    # 1.5 x: DE -> FR (0.3846 / 0.2 = 1.92) and WARM (0.18 / 0.1 = 1.8) are in; min_count 4 lets FEW in.
    assert rows_of(anomaly_lake, "anomalies", {"as_of": "2026-04-28", "threshold": 1.5, "min_count": 4}) == [
        ("route", "dhl", "DE -> NL", 5, 10, 0.5, 1, 21, 0.0476, 10.5),
        ("route", "dhl", "DE -> FR", 5, 13, 0.3846, 4, 20, 0.2, 1.92),
        ("sku", EU, "FEW", 4, 10, 0.4, 1, 100, 0.01, 40.0),
        ("sku", EU, "HOT", 6, 20, 0.3, 5, 100, 0.05, 6.0),
        ("sku", EU, "WARM", 9, 50, 0.18, 10, 100, 0.1, 1.8),
    ]


def test_anomalies_as_of_the_latest_day_by_default(anomaly_lake):
    # The latest dt is 04-29: HOT's recent week now holds R-H3 too, 8 of 20 = 0.4 (8 x); the rest is as on 04-28.
    assert rows_of(anomaly_lake, "anomalies") == [
        ("route", "dhl", "DE -> NL", 5, 10, 0.5, 1, 21, 0.0476, 10.5),
        ("sku", EU, "HOT", 8, 20, 0.4, 5, 100, 0.05, 8.0),
    ]


def test_every_report_runs_on_an_empty_and_on_a_partial_lake(tmp_path):
    for name in REPORTS:
        columns, rows = run_report(tmp_path, name)
        assert rows == [] or name == "cycle_times", name  # cycle_times lists every stage, with 0 returns
    write(tmp_path, "refunds", "2026-03-06", [refund(US, "F1", "R9", "taobao", 9900, "CNY")])
    assert rows_of(tmp_path, "refunds_by_day") == [("2026-03-06", "taobao", "CNY", 1, 9900)]
    assert {stage[1] for stage in rows_of(tmp_path, "cycle_times")} == {0}


def test_views_have_the_lake_types_present_or_absent(lake, tmp_path):
    for where in (lake, tmp_path):
        with connect(where) as connection:
            for table, columns in TABLES.items():
                described = connection.execute(f"DESCRIBE {table}").fetchall()
                expected = [(name, DUCKDB_TYPES[kind]) for name, kind in columns] + [("dt", "VARCHAR")]
                assert [(row[0], row[1]) for row in described] == expected


def test_run_all_writes_one_csv_per_report(lake, tmp_path):
    written = run_all(lake, tmp_path / "reports")
    assert sorted(written) == sorted(REPORTS)
    with written["refunds_by_day"].open(newline="") as file:
        assert list(csv.reader(file)) == [
            ["paid_day", "platform", "currency", "refunds", "amount_minor"],
            ["2026-03-05", "shopify", "EUR", "2", "15000"],
            ["2026-03-05", "shopify", "USD", "1", "500"],
            ["2026-03-06", "taobao", "CNY", "1", "9900"],
        ]
