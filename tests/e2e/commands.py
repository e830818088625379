"""The `python -m localcloud` commands the e2e tests run in processes of their own.

They start with the first end-to-end test of the worker that runs them
(tests/e2e/conftest.py), so they run while the in-process tests do; each test
then waits for its command's result.
"""

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(tempfile.mkdtemp(prefix="aftersales-make-run-"))

COMMANDS = {
    "test_make_run_with_a_small_sample": ["run", "--returns", "12", "--out", str(OUT), "--timeout", "120"],
    # 10% faults instead of 5% so that every kind happens at this size.
    "test_the_chaos_replay_keeps_money_exact_under_injected_faults": [
        "chaos", "--returns", "30", "--fault-rate", "0.1", "--timeout", "240",
    ],
}
_running: dict[str, subprocess.Popen] = {}


def start(test_name: str) -> None:
    if test_name in COMMANDS and test_name not in _running:
        _running[test_name] = subprocess.Popen(
            [sys.executable, "-m", "localcloud", *COMMANDS[test_name]], cwd=ROOT,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )


def result(test_name: str, timeout: float = 400) -> subprocess.CompletedProcess:
    start(test_name)
    process = _running[test_name]
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
