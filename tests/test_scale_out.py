"""Scale-out on one machine: the website crawl split into shards that Dagster's multiprocess executor runs
side by side, with politeness per host holding across the processes, and the same results as one crawl."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from assets.evidence import shard_of
from tests.simweb.population import build_population
from tests.simweb.server import SimWeb
from warehouse.paths import WarehousePaths

REPO = Path(__file__).resolve().parents[1]

_CHILD = textwrap.dedent("""
    import contextlib, json, sys, time
    from pathlib import Path
    from sources.http.config import FetcherConfig
    from sources.http.fetcher import Fetcher
    spec = json.loads(sys.argv[1])
    cfg = FetcherConfig(resolve=spec["resolve"], allow_addresses=("127.0.0.1",), min_delay_s=spec["delay"],
                        shared_gate_dir=Path(spec["gates"]), concurrency=4)
    granted = []
    with Fetcher(cfg) as f:
        real_slot = f.gate.slot

        @contextlib.contextmanager
        def timed_slot(host):   # the real gate, with the wall-clock time it let each request start
            with real_slot(host):
                granted.append((host, time.time()))
                yield

        f.gate.slot = timed_slot
        out = [f.get(u).outcome.value for u in spec["urls"]]
    print(json.dumps({"outcomes": out, "granted": granted}))
""")


@pytest.mark.slow
def test_host_politeness_holds_across_processes(tmp_path: Path) -> None:
    pop = build_population(6, seed=5)
    city = next(c for c in pop.cities if c.website_host and c.robots != "crawl_delay")
    delay = 0.3
    with SimWeb(pop, latency=(0.02, 0.05)) as sim:
        spec = {"resolve": {k: v for k, v in sim.resolve_map().items() if v}, "delay": delay,
                "gates": str(tmp_path / "gates")}
        procs = [subprocess.Popen([sys.executable, "-c", _CHILD, json.dumps(
                    {**spec, "urls": [f"https://{city.website_host}/{p}" for p in ("", "about", "news", "contact")]})],
                    cwd=REPO, stdout=subprocess.PIPE, text=True) for _ in range(3)]
        outs = [p.communicate(timeout=60)[0] for p in procs]
        stats = sim.stats()
    assert all(p.returncode == 0 for p in procs), outs
    # What the gate guarantees: across the three processes, each request to the host starts at least the
    # delay after the previous one (wall clock, shared by the processes) ...
    granted = sorted(t for out in outs for host, t in json.loads(out)["granted"] if host == city.website_host)
    assert len(granted) == 15          # robots.txt once per process (each reads its own) + 12 pages
    gaps = [b - a for a, b in zip(granted, granted[1:], strict=False)]
    assert min(gaps) >= delay - 0.001, f"the gate let requests start {min(gaps):.3f}s apart, delay is {delay}s"
    # ... and the server saw it: never two requests at once, and the twelve pages spread over at least
    # eleven delays (arrival times carry the network's and the scheduler's jitter, so no single gap is
    # held to the delay at the server).
    arrivals = sorted(r[2] for r in stats["requests"] if r[0] == city.website_host and r[1] != "/robots.txt")
    assert len(arrivals) == 12
    assert stats["max_in_flight"][city.website_host] == 1, "three processes, still one request at a time"
    assert arrivals[-1] - arrivals[0] >= 11 * delay * 0.95


def test_shards_split_cities_by_site_and_never_split_a_site() -> None:
    sites = [f"https://www.city{i}.example/" for i in range(200)]
    for shards in (1, 3, 8):
        got = [shard_of(s, shards) for s in sites]
        assert set(got) == set(range(shards)) if shards > 1 else set(got) == {0}
        assert got == [shard_of(s, shards) for s in sites], "stable across calls"
    assert shard_of("https://www.alder.example/", 5) == shard_of("http://alder.example/council", 5)


@pytest.mark.slow
def test_three_shards_in_three_processes_give_the_single_crawls_results(sample_home: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CDPI_")}
    proc = subprocess.run([sys.executable, "-m", "pipelines.cli", "run", "--sample", "--home", str(home),
                           "--workers", "3"], cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    # The summary names this run's home: the step processes' settings do not leak into the launching one.
    assert f"cdpi dev --home {home}" in proc.stdout, proc.stdout
    # Each shard's process reports its own stage, since bars cannot cross processes.
    for k in (1, 2, 3):
        assert f"website crawl ({k} of 3): " in proc.stderr, proc.stderr
    queries = {
        "staging.crawl_pages": "SELECT geoid, url, outcome, status, bytes, sha256, evidence_kinds FROM staging.crawl_pages",
        "marts.evidence": "SELECT geoid, url, kind, confidence, snippet FROM marts.evidence",
        "marts.city_index": "SELECT geoid, expected_points, p_silver_or_better, predicted_tier, top_gaps "
                            "FROM marts.city_index"}
    for name, query in queries.items():
        one = _frame(sample_home, query)
        three = _frame(home, query)
        assert len(one) > 0, name
        pd.testing.assert_frame_equal(one, three, obj=name)
    runs = _frame(home, "SELECT run_id FROM ops.runs")
    warcs = list((home / "runs" / runs["run_id"][0] / "warc").glob("*.warc.gz"))
    assert not warcs, "a sample replay archives nothing"
    # Each shard ran as its own step (the multiprocess executor gives every step its own process).
    assert _shard_steps(home) == 3


def _frame(home: Path, query: str) -> pd.DataFrame:
    con = duckdb.connect(str(WarehousePaths(home).published), read_only=True)
    try:
        frame = con.execute(query).df()
    finally:
        con.close()
    return frame.sort_values(list(frame.columns[:3])).reset_index(drop=True)


def _shard_steps(home: Path) -> int:
    return len(list((home / "dagster_storage").glob("website_crawl_shard_*")))
