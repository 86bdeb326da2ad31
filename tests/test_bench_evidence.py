"""The replay benchmark's floor: what a run costs before any data, measured in a fresh process."""

from __future__ import annotations

import pytest

from scripts.bench_evidence import floor


@pytest.mark.slow
def test_the_floor_is_measured_in_a_fresh_process_that_loads_what_a_run_loads() -> None:
    r = floor(runs=1)
    # Dagster, pandas and Great Expectations alone are well over 150 MB: a child that skipped the run's
    # imports (a bare interpreter is about 10 MB) would not land in this range.
    assert 150 < r["floor_rss_mb"] < 2000
    assert 0.3 < r["floor_s"] < 120
