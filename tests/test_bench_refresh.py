"""The refresh benchmark's own arithmetic, on a web small enough to measure in seconds."""

from __future__ import annotations

import argparse

import pytest

from scripts.bench_refresh import bound, measure, render


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


def test_the_bound_is_the_arithmetic_of_the_busiest_host() -> None:
    r = {"delay_s": 0.5, "full": {"wall_s": 100.0, "requests": 2000, "busiest_host": "library.codes.example",
                                  "busiest_host_requests": 200, "busiest_host_cities": 90},
         "refreshes": [{"changed_share": 0.05, "changed_evidence": 150, "changed_evidence_busiest_host": 12}]}
    text = " ".join(bound(r))
    assert "200 of its 2,000 requests, at least 100.0 s" in text
    assert "(35.0 s) can ask it at most 70 times" in text
    # 0.99 of 150 allows 1 miss of the 12 on the host: 92 % of its 200 pages, 183 requests, 91.7 s
    assert "12 of the 150" in text and "allows 1 miss" in text and "at least 92% of them (183 requests, 91.7 s)" in text
    assert "would take 90 requests, 45.0 s" in text
    assert bound({**r, "refreshes": [{**r["refreshes"][0], "changed_share": 0.2}]}) == []
