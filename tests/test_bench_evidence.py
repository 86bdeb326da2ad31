"""The replay benchmark's floor and collector figures: measured in fresh processes that load what a run loads."""

from __future__ import annotations

import pytest

from scripts.bench_evidence import collector, floor


@pytest.mark.slow
def test_the_floor_is_measured_in_a_fresh_process_that_loads_what_a_run_loads() -> None:
    r = floor(runs=1)
    # Dagster, pandas and Great Expectations alone are well over 150 MB: a child that skipped the run's
    # imports (a bare interpreter is about 10 MB) would not land in this range.
    assert 150 < r["floor_rss_mb"] < 2000
    assert 0.3 < r["floor_s"] < 120


@pytest.mark.slow
def test_the_commands_collector_settings_spare_the_full_collections() -> None:
    r = collector(runs=1)
    # Python's defaults run several full collections over the ~0.5 M run-long objects of a sample run; with
    # those frozen and a larger youngest generation, at most one runs, and the collector's time drops.
    assert r["gc_tuned_full"] < r["gc_default_full"]
    assert r["gc_tuned_gc_s"] < r["gc_default_gc_s"]
