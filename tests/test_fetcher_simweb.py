"""The live fetcher against the simulated web: politeness measured server-side, faults, replay."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest

from sources.http.config import FetcherConfig
from sources.http.fetcher import Fetcher
from sources.http.fetchlog import read_fetch_logs
from tests.simweb.faults import FAULT_OUTCOMES, FaultPlan
from tests.simweb.population import build_population
from tests.simweb.server import SimWeb

POP = build_population(12, seed=11)
SITES = [c for c in POP.cities if c.website_host]


def _config(sim: SimWeb, **kw) -> FetcherConfig:
    base = dict(resolve=sim.resolve_map(), allow_addresses=("127.0.0.1",), min_delay_s=0.05,
                connect_timeout_s=2, read_timeout_s=1.0, total_timeout_s=3.0, backoff_base_s=0.05,
                timeout_retries=0)
    base.update(kw)
    return FetcherConfig(**base)


def test_localhost_is_refused_unless_explicitly_allowed(tmp_path: Path) -> None:
    with SimWeb(POP) as sim:
        cfg = _config(sim, allow_addresses=())
        with Fetcher(cfg, run_dir=tmp_path) as f:
            result = f.get(SITES[0].website)
        assert result.outcome.value == "blocked_address"
        assert sim.stats()["total"] == {}, "no request may reach a blocked address"


def test_robots_disallow_is_honoured_and_the_page_never_requested(tmp_path: Path) -> None:
    city = next(c for c in SITES if c.robots == "private")
    with SimWeb(POP) as sim, Fetcher(_config(sim), run_dir=tmp_path) as f:
        blocked = f.get(f"https://{city.website_host}/private/staff")
        allowed = f.get(f"https://{city.website_host}/budget")
        paths = [r[1] for r in sim.stats()["requests"]]
    assert blocked.outcome.value == "robots_disallowed" and blocked.robots_blocked
    assert allowed.outcome.value == "ok"
    assert "/private/staff" not in paths and paths.count("/robots.txt") == 1


def test_per_host_limit_and_delay_hold_under_concurrency(tmp_path: Path) -> None:
    hosts = [c.website_host for c in SITES if c.robots != "crawl_delay"][:3]
    urls = [f"https://{h}/{p}" for h in hosts for p in ("", "news", "budget", "council", "departments",
                                                        "performance")]
    delay = 0.15
    with SimWeb(POP, latency=(0.02, 0.05)) as sim, Fetcher(_config(sim, min_delay_s=delay, concurrency=8),
                                                            run_dir=tmp_path) as f:
        results = f.fetch_many(urls)
        stats = sim.stats()
    assert all(r.outcome.value == "ok" for r in results)
    assert all(stats["max_in_flight"][h] == 1 for h in hosts), stats["max_in_flight"]
    for h in hosts:
        starts = sorted(r[2] for r in stats["requests"] if r[0] == h)
        gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
        assert min(gaps) >= delay - 0.01, (h, gaps)
    assert max(stats["max_in_flight"].values()) == 1


def test_retry_after_is_honoured(tmp_path: Path) -> None:
    city = SITES[0]
    faults = FaultPlan().add(city.website_host, "http_429", path="/news", n=1, retry_after=1)
    with SimWeb(POP, faults=faults) as sim, Fetcher(_config(sim), run_dir=tmp_path) as f:
        result = f.get(f"https://{city.website_host}/news")
        hits = sorted(r for r in sim.stats()["requests"] if r[1] == "/news")
    assert result.outcome.value == "ok" and result.attempts == 2
    assert hits[0][4] == 429 and hits[1][4] == 200
    assert hits[1][2] - hits[0][2] >= 0.99


def test_retry_after_beyond_the_cap_gives_up_with_the_reason(tmp_path: Path) -> None:
    city = SITES[0]
    faults = FaultPlan().add(city.website_host, "http_429", path="/news", n=5, retry_after=3600)
    with SimWeb(POP, faults=faults) as sim, Fetcher(_config(sim, retry_after_cap_s=2), run_dir=tmp_path) as f:
        result = f.get(f"https://{city.website_host}/news")
    assert result.outcome.value == "http_error" and result.status == 429
    assert "exceeds" in result.error


def test_oversized_body_is_capped_with_bounded_memory(tmp_path: Path) -> None:
    city = SITES[0]
    faults = (FaultPlan().add(city.website_host, "huge", path="/news", size_mb=60)
              .add(city.website_host, "gzip_bomb", path="/budget", size_mb=60))
    cap = 2 * 1024 * 1024
    with SimWeb(POP, faults=faults) as sim, Fetcher(_config(sim, max_bytes=cap, total_timeout_s=30),
                                                    run_dir=tmp_path) as f:
        tracemalloc.start()
        huge = f.get(f"https://{city.website_host}/news")
        bomb = f.get(f"https://{city.website_host}/budget")
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert huge.outcome.value == "too_large" and bomb.outcome.value == "too_large"
    assert peak < 6 * cap, f"peak {peak / 1e6:.1f} MB for a {cap / 1e6:.1f} MB cap"


BIG = build_population(40, seed=12)


def _fault_plan() -> tuple[FaultPlan, dict[str, str]]:
    kinds = ["timeout", "http_500", "http_404", "http_503_then_ok", "http_429", "truncated", "huge",
             "gzip_bomb", "redirect_loop", "redirect_private", "redirect_chain", "robots_disallow",
             "robots_5xx", "bad_encoding", "malformed_html", "slow_body"]
    plan = FaultPlan()
    expected = {}
    hosts = [c.website_host for c in BIG.cities if c.website_host and c.robots != "crawl_delay"]
    for host, kind in zip(hosts, kinds, strict=False):
        plan.add(host, kind, path="/robots.txt" if kind.startswith("robots") else "*",
                 **({"seconds": 3} if kind == "timeout" else {"size_mb": 8} if kind in ("huge", "gzip_bomb")
                    else {}))
        expected[f"https://{host}/"] = FAULT_OUTCOMES[kind]
    expected["https://www.gone.invalid/"] = "dns_error"
    expected["notaurl"] = "invalid_url"
    return plan, expected


@pytest.mark.slow
def test_every_fault_ends_as_its_own_outcome_and_replays_identically(tmp_path: Path) -> None:
    plan, expected = _fault_plan()
    faulty = {u.split("/")[2] for u in expected if "://" in u}
    healthy = [c.website for c in BIG.cities if c.website_host and c.website_host not in faulty][:4]
    urls = list(expected) + healthy
    cfg_kw = dict(max_bytes=1024 * 1024, total_timeout_s=2.0, read_timeout_s=1.0)
    with SimWeb(BIG, faults=plan) as sim, Fetcher(_config(sim, **cfg_kw), run_dir=tmp_path / "live",
                                                  run_id="live") as f:
        live = f.fetch_many(urls)
    got = {r.url: r.outcome.value for r in live}
    assert {u: got[u] for u in expected} == expected
    assert all(got[u] == "ok" for u in healthy)
    log = read_fetch_logs(tmp_path / "live")
    logged = {row["url"]: row["outcome"] for row in log}
    assert all(logged[u] == o for u, o in got.items()), "every fetch is in the fetch log with its outcome"

    with Fetcher(FetcherConfig(replay=(str(tmp_path / "live" / "warc"),)), run_dir=tmp_path / "replay") as f:
        replayed = f.fetch_many(urls + ["https://never.example/"])
    for a, b in zip(live, replayed, strict=False):
        assert (a.outcome, a.status, a.body, a.final_url) == (b.outcome, b.status, b.body, b.final_url), a.url
    assert replayed[-1].outcome.value == "not_archived"


def test_conditional_get_reuses_the_body_and_notices_changes(tmp_path: Path) -> None:
    city = SITES[0]
    url = f"https://{city.website_host}/budget"
    with SimWeb(POP) as sim:
        cfg = _config(sim, cache_dir=tmp_path / "cache")
        with Fetcher(cfg, run_dir=tmp_path / "r1") as f:
            first = f.get(url)
        with Fetcher(cfg, run_dir=tmp_path / "r2") as f:
            second = f.get(url)
        sim.set_override(city.website_host, "/budget", b"<html><title>new</title></html>")
        with Fetcher(cfg, run_dir=tmp_path / "r3") as f:
            third = f.get(url)
    assert first.outcome.value == "ok"
    assert second.outcome.value == "not_modified" and second.from_cache and second.body == first.body
    assert third.outcome.value == "ok" and b"new" in third.body
    # The 304 run's own archive is enough to replay it.
    with Fetcher(FetcherConfig(replay=(str(tmp_path / "r2" / "warc"),))) as f:
        again = f.get(url)
    assert again.outcome.value == "not_modified" and again.body == first.body


def test_crawl_delay_from_robots_raises_the_host_delay(tmp_path: Path) -> None:
    city = next(c for c in SITES if c.robots == "crawl_delay")
    with SimWeb(POP) as sim, Fetcher(_config(sim), run_dir=tmp_path) as f:
        f.get(city.website)
        assert f.gate.delay(city.website_host) == 2.0


def test_fetch_many_overlaps_hosts(tmp_path: Path) -> None:
    """With one URL on each of many hosts, wall time is near latency x hosts / concurrency."""
    hosts = [c.website_host for c in SITES][:8]
    with SimWeb(POP, latency=(0.2, 0.2)) as sim, Fetcher(_config(sim, concurrency=8), run_dir=tmp_path) as f:
        start = time.monotonic()
        f.fetch_many([f"https://{h}/" for h in hosts])
        elapsed = time.monotonic() - start
    # each host: robots.txt then the page, 0.2 s each; sequential would be 8 x 0.4 = 3.2 s
    assert elapsed < 1.6, elapsed


def test_a_refused_huge_body_is_not_sent_again_when_unchanged(tmp_path: Path) -> None:
    from tests.simweb.population import evidence_pages

    pop = build_population(60, seed=11)
    city = pop.quirked("huge_pdf")[0]
    page = next(p for p in evidence_pages(city) if "huge" in p.flags)
    url = f"https://{page.host}{page.path}"
    cap = 1024 * 1024
    with SimWeb(pop) as sim:
        cfg = _config(sim, cache_dir=tmp_path / "cache", max_bytes=cap, total_timeout_s=10)
        with Fetcher(cfg, run_dir=tmp_path / "r1") as f:
            first = f.get(url)
        sim.reset_stats()
        with Fetcher(cfg, run_dir=tmp_path / "r2") as f:
            second = f.get(url)
        sent = sum(r[5] for r in sim.stats()["requests"] if r[1] == page.path)
        with Fetcher(cfg, run_dir=tmp_path / "r3") as f:
            bigger = f.get(url, max_bytes=4 * cap)     # a larger cap than the refusal's: asked in full again
    assert first.outcome.value == "too_large" and not first.from_cache
    assert second.outcome.value == "too_large" and second.from_cache and second.status == 304
    assert "unchanged" in second.error and sent == 0
    assert bigger.outcome.value == "too_large" and not bigger.from_cache and bigger.status == 200
