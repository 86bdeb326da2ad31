"""The national crawl benchmark's own arithmetic (the bound, the busiest-host trace, the kept runs), and
one tiny run of the whole script so it cannot rot between the sessions that run it at full size."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from scripts.bench_national import host_trace, politeness_bound, recorded_runs

REPO = Path(__file__).resolve().parents[1]


def test_the_bound_is_the_busiest_host_or_the_global_throughput_whichever_is_larger() -> None:
    hosts = Counter({"vendor.example": 100, "a.example": 30, "b.example": 30})
    bound, busiest, busiest_s, throughput = politeness_bound(hosts, {"a.example": 5.0}, 1.0, 0.2, 4)
    assert (busiest, busiest_s) == ("a.example", 150.0)       # a robots Crawl-delay of 5 s beats 100 x 1 s
    assert throughput == pytest.approx(160 * 0.2 / 4)
    assert bound == 150.0
    # With no delay to speak of, a slow web and little concurrency make throughput the bound.
    bound, *_, throughput = politeness_bound(hosts, {}, 0.0, 0.5, 1)
    assert bound == throughput == pytest.approx(80.0)


def test_the_busiest_host_trace_counts_only_gaps_beyond_delay_and_service_time() -> None:
    # (host, path, start, end, status, bytes)
    records = [("site.example", "/", 0.0, 0.1, 200, 1),
               ("vendor.example", "/1", 2.0, 2.3, 200, 1),    # first request 2 s in
               ("vendor.example", "/2", 3.0, 4.5, 200, 1),    # 1 s delay: 2.0 -> 3.0 is no gap
               ("vendor.example", "/3", 5.0, 5.1, 200, 1),    # a 1.5 s service time: 3.0 -> 5.0 idles 0.5 s
               ("vendor.example", "/4", 8.0, 8.2, 200, 1),    # idles 2 s
               ("site.example", "/late", 9.0, 9.7, 200, 1)]   # the crawl ends 1.5 s after the host's last
    assert host_trace(records, "vendor.example", 1.0) == {"first_request_s": 2.0, "idle_s": 2.5, "tail_s": 1.5}
    assert host_trace(records, "absent.example", 1.0)["first_request_s"] is None


def test_a_new_run_replaces_the_same_configuration_and_keeps_the_others() -> None:
    old_small = {"cities": 300, "delay_s": 1.0, "concurrency": 32, "latency_ms": [50, 300], "wall_s": 700}
    national = {"cities": 1500, "delay_s": 0.25, "concurrency": 32, "latency_ms": [50, 300], "wall_s": 900}
    new_small = {**old_small, "wall_s": 600}
    runs = recorded_runs({"national_crawl_runs": [national, old_small]}, new_small)
    assert [(r["cities"], r["wall_s"]) for r in runs] == [(300, 600), (1500, 900)]
    # A file written before runs were kept: its one run is carried over.
    assert recorded_runs({"national_crawl": national}, new_small) == [new_small, national]


@pytest.mark.slow
def test_a_small_benchmark_runs_end_to_end_without_writing(tmp_path: Path) -> None:
    scrapy = importlib.util.find_spec("scrapy") is not None
    cmd = [sys.executable, str(REPO / "scripts" / "bench_national.py"), "--cities", "8", "--delay", "0.05",
           "--latency-ms", "5,20", "--sequential-sample", "1", "--no-write"] + ([] if scrapy else ["--skip-scrapy"])
    before = {p: p.read_bytes() for p in (REPO / "docs" / "BENCHMARKS.md", REPO / "docs" / "benchmarks.json")}
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, timeout=600, check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    figures = json.loads(next(line for line in out.stdout.splitlines() if line.startswith("{")))
    assert 0 < figures["cities"] <= 8 and figures["requests"] > 3 * figures["cities"]
    assert 0.8 < figures["politeness_bound_ratio"] < 20
    assert 0 <= figures["incremental_bytes_ratio"] < 0.2       # a refresh of an unchanged web is mostly 304s
    if scrapy:
        assert figures["scrapy_host_difference"] <= 0.05       # the two crawlers asked for the same pages
    assert {p: p.read_bytes() for p in before} == before       # --no-write leaves the docs alone


def test_the_kept_run_renders_its_section_and_the_table_of_runs(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """What ``--render-only`` does, into a copy: the section is rebuilt from the run kept in the JSON."""
    import scripts.bench_national as bench
    import scripts.benchlib as benchlib

    docs, data = tmp_path / "BENCHMARKS.md", tmp_path / "benchmarks.json"
    docs.write_text("# Benchmarks\n\n## Other\n\nuntouched\n", encoding="utf-8")
    data.write_bytes((REPO / "docs" / "benchmarks.json").read_bytes())
    monkeypatch.setattr(benchlib, "DOCS", docs)
    monkeypatch.setattr(bench, "JSON_OUT", data)
    run = json.loads(data.read_text())["national_crawl"]
    bench.write({k: v for k, v in run.items() if k not in ("command", "machine")}, run["command"], run["machine"])
    text = docs.read_text()
    assert "## Other\n\nuntouched" in text and f"Command: `{run['command']}`" in text
    assert f"measured {run['machine']['date']}" in text
    table = text[text.index("### Every recorded configuration"):]
    assert f"| {run['cities']:,} | {run['delay_s']:g} | {run['requests']:,} |" in table
    kept = json.loads(data.read_text())
    assert kept["politeness_bound_ratio"] == run["politeness_bound_ratio"]
    assert sum(x["command"] == run["command"] for x in kept["national_crawl_runs"]) == 1
