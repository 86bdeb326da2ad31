"""The website crawl: budgets, robots, scope and byte caps, counted on the server side of the simulated web."""

from __future__ import annotations

from pathlib import Path

import pytest

from sources.evidence.crawl import CrawlLimits, crawl_city, link_priority
from sources.http.config import FetcherConfig
from sources.http.fetcher import Fetcher
from tests.simweb.population import build_population
from tests.simweb.server import SimWeb

POP = build_population(24, seed=3)
PRIVATE = next(c for c in POP.cities if c.website_host and c.robots == "private")


def _fetcher(sim: SimWeb, tmp_path: Path, **kw) -> Fetcher:
    return Fetcher(FetcherConfig(resolve=sim.resolve_map(), allow_addresses=("127.0.0.1",), min_delay_s=0.0, **kw),
                   run_dir=tmp_path)


def _requests(sim: SimWeb, host: str) -> list[str]:
    return [path for h, path, *_ in sim.stats()["requests"] if h == host]


def _home_with_links(host: str, links: list[tuple[str, str]]) -> str:
    items = "".join(f'<li><a href="{href}">{text}</a></li>' for href, text in links)
    return f"<!DOCTYPE html><html><head><title>Home</title></head><body><main><ul>{items}</ul></main></body></html>"


def test_links_that_name_a_topic_outrank_the_rest() -> None:
    assert link_priority("https://x.example/open-data-policy", "Open Data Policy", 1) > \
        link_priority("https://x.example/news/2024/05/parade", "Parade returns", 1)
    assert link_priority("https://x.example/performance", "How are we doing?", 1) > \
        link_priority("https://x.example/performance", "How are we doing?", 3)
    assert link_priority("https://x.example/pay-bill", "Pay your utility bill online", 1) < 0
    assert link_priority("https://x.example/seal.png", "", 1) < -5


def test_crawl_obeys_robots_scope_and_the_page_budget(tmp_path: Path) -> None:
    host = PRIVATE.website_host
    links = [("/private/staff", "Staff data governance team"), ("https://elsewhere.example/open-data", "Open Data"),
             ("https://library.municode.example/x/policy.html", "Open data ordinance")] + [
        (f"/dept/{k}", f"Department {k}") for k in range(60)]
    with SimWeb(POP) as sim, _fetcher(sim, tmp_path) as f:
        sim.set_override(host, "/", _home_with_links(host, links))
        result = crawl_city(f, PRIVATE.geoid, PRIVATE.website, CrawlLimits(max_pages=12))
        seen = _requests(sim, host)
        elsewhere = _requests(sim, "elsewhere.example")
    assert "/private/staff" not in seen                       # robots.txt: Disallow: /private/
    blocked = [p for p in result.pages if p["url"].endswith("/private/staff")]
    assert [p["outcome"] for p in blocked] == ["robots_disallowed"]
    assert elsewhere == []                                   # another domain is out of scope
    assert len(result.pages) == 12 and result.stopped_by == "max_pages"
    page_requests = [p for p in seen if p not in ("/robots.txt", "/sitemap.xml")]
    assert len(page_requests) <= 12                           # counted where it matters: at the server
    assert any("municode" in p["url"] for p in result.pages)  # a document host cities use is in scope
    assert result.summary()["robots_blocked"] == 1


def test_a_huge_document_is_cut_at_the_cap_and_recorded(tmp_path: Path) -> None:
    host = PRIVATE.website_host
    big = b"%PDF-1.4\n" + b"0" * (3 * 1024 * 1024)
    with SimWeb(POP) as sim, _fetcher(sim, tmp_path) as f:
        sim.set_override(host, "/", _home_with_links(host, [("/docs/performance-report.pdf", "Performance report")]))
        sim.set_override(host, "/docs/performance-report.pdf", big, "application/pdf")
        result = crawl_city(f, PRIVATE.geoid, PRIVATE.website, CrawlLimits(max_document_bytes=1024 * 1024))
    [pdf] = [p for p in result.pages if p["url"].endswith("/docs/performance-report.pdf")]
    assert pdf["outcome"] == "too_large" and pdf["bytes"] <= 1024 * 1024 and pdf["evidence_kinds"] == ""


def test_an_unreachable_site_stops_at_once_and_says_why(tmp_path: Path) -> None:
    dead = build_population(30, seed=3, unresolvable=1).flagged("unresolvable")[0]
    with SimWeb(POP) as sim, _fetcher(sim, tmp_path, timeout_retries=0) as f:
        result = crawl_city(f, dead.geoid, dead.website)
    assert result.stopped_by == "seed_unreachable" and len(result.pages) == 1
    assert result.pages[0]["outcome"] not in ("ok", "http_error")


@pytest.mark.parametrize("max_bytes", [40_000])
def test_the_byte_budget_ends_the_crawl(tmp_path: Path, max_bytes: int) -> None:
    host = PRIVATE.website_host
    links = [(f"/report-{k}", f"Performance report {k}") for k in range(10)]
    with SimWeb(POP) as sim, _fetcher(sim, tmp_path) as f:
        sim.set_override(host, "/", _home_with_links(host, links))
        for k in range(10):
            sim.set_override(host, f"/report-{k}", "<html><body><main>" + "x" * 15_000 + "</main></body></html>")
        result = crawl_city(f, PRIVATE.geoid, PRIVATE.website, CrawlLimits(max_bytes=max_bytes))
    assert result.stopped_by == "max_bytes"
    assert sum(p["bytes"] for p in result.pages) <= max_bytes + 15_100
