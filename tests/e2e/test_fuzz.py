"""`make fuzz` at test size against the session's local cloud: seeded mutated requests on every route, and no 5xx,
no forged or unauthorized request accepted, every accepted event applied by the consumer (localcloud/fuzz.py)."""

import pytest

from localcloud.fuzz import DEFAULT_SEED, ROUTES, run_fuzz

pytestmark = pytest.mark.e2e

REQUESTS = 300


def test_seeded_fuzzing_finds_no_5xx_no_forgery_accepted_and_no_accepted_event_left_unapplied(cloud):
    report = run_fuzz(cloud.cloud.api_url, REQUESTS, DEFAULT_SEED, cloud=cloud.cloud, timeout=60)

    assert report.ok, report.render()
    assert report.requests == REQUESTS
    assert set(report.histogram) == set(ROUTES), report.render()  # every route was tried
    # The run reached validation (authentic requests accepted and refused) and tried forgeries of each kind.
    assert report.histogram["webhook"][202] and report.histogram["webhook"][422], report.render()
    assert report.histogram["carrier"][202] and report.histogram["carrier"][401], report.render()
    for refusal in ("forged signature", "wrong staff key", "staff key without the role"):
        assert report.refused_expected[refusal] > 0, report.render()
    # The consumer side was checked, and applied every accepted event.
    assert report.consumer_checked and report.accepted_events > 0
    assert report.applied == report.accepted_events
    assert sum(report.executions.values()) > 0 and not report.executions["FAILED"]
