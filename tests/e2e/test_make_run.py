"""`make run` at a small size, in its own process: it exits 0, reports, and writes the finance files."""

import json

import pytest

from tests.e2e import commands

pytestmark = pytest.mark.e2e


def test_make_run_with_a_small_sample():
    result = commands.result("test_make_run_with_a_small_sample")
    assert result.returncode == 0, result.stderr[-3000:]
    report = result.stdout
    for line in ("returns by outcome:", "verification decisions:", "cancellations:", "manual review:",
                 "refunds issued:", "zero-touch rate:", "reconciliation:", " 0 mismatches", "aftership", "17track", "sf-express", "warehouse"):
        assert line in report
    records = [json.loads(line) for line in (commands.OUT / "refunds.jsonl").read_text().splitlines()]
    csv_rows = (commands.OUT / "refunds.csv").read_text().splitlines()
    assert records and len(csv_rows) == len(records) + 1
    assert len({record["refund_id"] for record in records}) == len(records)
    # A Shopify shop beside the generic one: a line per marketplace, its refunds paid by Shopify and reconciled
    # with the refunds the simulated shop holds.
    assert "  generic: " in report and "  shopify-acme: " in report and "Shopify's " in report
    assert "  tmall-acme: " in report and "Tmall's " in report
    assert "  jd-acme: " in report and "JD's " in report
    assert {record["paid_by"] for record in records} == {"payment_provider", "marketplace"}
    assert all(record["marketplace_refund_id"] for record in records if record["paid_by"] == "marketplace")
