"""`make chaos` at test size, in its own process: duplicated, reordered webhooks, crashes after writes,
DynamoDB throttling, webhook calls dying after the enqueue or finding the queue unavailable, and provider
timeouts, and still every refund paid exactly once."""

import re

import pytest

from tests.e2e import commands

pytestmark = pytest.mark.e2e


def test_the_chaos_replay_keeps_money_exact_under_injected_faults():
    result = commands.result("test_the_chaos_replay_keeps_money_exact_under_injected_faults")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    lines = result.stdout.splitlines()
    faults = next(line for line in lines if line.startswith("handler calls"))
    kinds = ("crash after a write", "DynamoDB throttling", "crash after the enqueue", "queue unavailable", "timed out")
    injected = {name: int(n) for name, n in re.findall(rf"({'|'.join(kinds)}) (\d+)", faults)}
    assert all(injected[name] > 0 for name in kinds), faults
    assert re.search(r"webhooks refused 0;", faults), faults  # every webhook answered 5xx was accepted when sent again
    assert int(re.search(r"(\d+) extra copies", lines[0]).group(1)) > 0
    verdict = lines[-1]
    assert verdict.startswith("chaos result: refunds issued twice 0, returns lost 0, ledger total = sum of quotes per currency: yes")
    assert verdict.endswith("provider refunds without exactly one ledger record 0, reconciliation mismatches 0")
