"""`make run` at a small size, in its own process: it exits 0, reports, and writes the finance files."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def test_make_run_with_a_small_sample(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "localcloud", "run", "--returns", "12", "--out", str(tmp_path), "--timeout", "120"],
        cwd=ROOT, capture_output=True, text=True, timeout=240,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = result.stdout
    for line in ("returns by outcome:", "verification decisions:", "cancellations:", "manual review:",
                 "refunds issued:", "zero-touch rate:", "reconciliation:", " 0 mismatches", "aftership", "17track", "sf-express", "warehouse"):
        assert line in report
    records = [json.loads(line) for line in (tmp_path / "refunds.jsonl").read_text().splitlines()]
    csv_rows = (tmp_path / "refunds.csv").read_text().splitlines()
    assert records and len(csv_rows) == len(records) + 1
    assert len({record["refund_id"] for record in records}) == len(records)
