"""The refresh benchmark's own arithmetic, on a web small enough to measure in seconds."""

from __future__ import annotations

import argparse

import pytest

from scripts.bench_refresh import measure, render


@pytest.mark.slow
def test_the_refresh_benchmark_counts_what_a_refresh_saves_and_finds() -> None:
    args = argparse.Namespace(cities=8, delay=0.0, latency=(0.0, 0.0), concurrency=4, changes=[0.0, 0.2], months=1,
                              crawl_delay_cap=0.0, verbose=False, steady=3)
    r = measure(args)
    unchanged, changed = r["refreshes"]
    assert 0 < unchanged["requests_ratio"] < 0.6 and unchanged["pages_carried"] > 0
    assert unchanged["evidence_lost"] == 0 and unchanged["changed_evidence"] == 0
    assert changed["pages_changed"] > 0 and changed["changed_evidence"] > 0
    assert changed["changed_evidence_found"] == changed["found_on_site"] + changed["found_vendor"]
    # a change on the city's own site is dated by its sitemap and read in the same run
    assert changed["found_on_site"] == changed["changed_evidence_on_site"] > 0
    # month after month: the every-run pages stay, the rest come back as their intervals run out
    assert [x["month"] for x in r["steady"]] == [1, 2, 3]
    assert r["steady"][1]["requests_ratio"] > r["steady"][0]["requests_ratio"]   # 60 days: the first look's due
    assert all(x["evidence_lost"] == 0 for x in r["steady"])
    text = render(r, "python scripts/bench_refresh.py --cities 8", {"system": "x", "machine": "y", "cpus": 2,
                                                                     "python": "3", "date": "2026-12-05"})
    assert "| 0% (0) |" in text and "| 20% (" in text
