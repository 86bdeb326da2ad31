"""The revisit policy: which pages a refresh asks again, which it carries forward, and what it records.

Decisions are tested as a pure function; the refresh end to end on the simulated web, counted on the
server's side (requests that never left the crawler are the point), then replayed from the refresh's own
archive.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from sources.evidence.crawl import crawl_cities
from sources.http.config import FetcherConfig
from sources.http.fetcher import Fetcher
from sources.http.revisit import (
    Observation,
    PageMemory,
    RevisitLedger,
    RevisitPolicy,
    decide,
    format_time,
    modified_since,
    parse_time,
    spread,
)
from tests.simweb.population import build_population, evidence_pages
from tests.simweb.server import SimWeb, crawl_limits

T0 = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
POLICY = RevisitPolicy()


def _memory(**kw) -> PageMemory:
    base = dict(url="https://a.example/p", final_url="https://a.example/p", content_type="text/html",
                sha256="0" * 64, content_key="k", verified_at=format_time(T0), changed_at=format_time(T0),
                interval_days=56.0, checks=2, changes=0, evidence=False, hub=False, run_id="r1", lastmod=None)
    return PageMemory(**{**base, **kw})


# ----------------------------------------------------------------------------------------- decisions
def test_a_page_never_seen_is_asked() -> None:
    assert decide(None, T0, POLICY).reason == "new"


def test_an_unchanged_page_is_carried_until_its_interval_runs_out() -> None:
    m = _memory(interval_days=56.0)
    carried = decide(m, T0 + timedelta(days=31), POLICY)
    assert not carried.ask and carried.reason == "fresh"
    assert carried.describe() == "fresh until 2027-01-26"
    assert decide(m, T0 + timedelta(days=56), POLICY).reason == "due"
    # a run a couple of days early still asks what is nearly due (slack), a week early does not
    assert decide(m, T0 + timedelta(days=54), POLICY).ask
    assert not decide(m, T0 + timedelta(days=49), POLICY).ask


def test_evidence_pages_and_their_hubs_are_asked_every_run() -> None:
    soon = T0 + timedelta(days=1)
    assert decide(_memory(evidence=True), soon, POLICY).reason == "evidence"
    assert decide(_memory(hub=True), soon, POLICY).reason == "hub"
    assert decide(_memory(), soon, replace(POLICY, enabled=False)).reason == "off"


def test_a_newer_sitemap_lastmod_asks_again_whatever_the_interval() -> None:
    m = _memory(interval_days=180.0)
    assert decide(m, T0 + timedelta(days=2), POLICY, lastmod=format_time(T0 + timedelta(days=1))).reason == \
        "sitemap_lastmod"
    # a lastmod at or before the verification says nothing new
    assert not decide(m, T0 + timedelta(days=2), POLICY, lastmod=format_time(T0 - timedelta(days=90))).ask
    assert not decide(m, T0 + timedelta(days=2), POLICY, lastmod=format_time(T0)).ask


def test_a_sitemap_lastmod_is_read_at_the_precision_it_was_written() -> None:
    verified = T0                                             # 2026-12-01 06:00 UTC
    assert modified_since("2026-12-01T15:30:00Z", verified)   # the same day, after the verification
    assert modified_since("2026-12-01T10:00:00-05:00", verified)
    assert not modified_since("2026-12-01T05:00:00Z", verified)
    assert modified_since("2026-12-01", verified)             # a day that holds the verification may be after it
    assert not modified_since("2026-11-30", verified)
    assert modified_since("2026-12", verified) and not modified_since("2026-11", verified)
    assert modified_since("2027", verified) and not modified_since("2025", verified)
    assert not modified_since("last tuesday", verified) and not modified_since(None, verified)
    assert parse_time("2026-11") == datetime(2026, 11, 1, tzinfo=UTC) and parse_time("2026-13") is None
    assert parse_time("2026/11") is None and parse_time("2026x11") is None   # W3C year-month is YYYY-MM
    m = _memory(interval_days=180.0)
    assert decide(m, T0 + timedelta(days=30), POLICY, lastmod="2026-12-01T15:30:00Z").reason == "sitemap_lastmod"


def test_a_page_the_index_stood_on_that_went_away_is_asked_again_next_run(tmp_path: Path) -> None:
    ledger = RevisitLedger(tmp_path, POLICY)
    url = "https://a.example/policy"

    def seen(key: str, *, evidence: bool, status: int = 200) -> Observation:
        return Observation(url=url, final_url=url, content_type="text/html", sha256=key * 64, content_key=key,
                           verified=True, evidence=evidence, hub=False, status=status)

    for month in range(4):     # an evidence page, asked every run and never changed: its interval grows
        ledger.remember([seen("a", evidence=True)], now=T0 + timedelta(days=30 * month), run_id=f"r{month}")
    assert ledger.recall(url).interval_days == POLICY.max_interval_days
    # down once (a CMS move): no evidence this run, and the next run asks again rather than carrying a 404
    ledger.remember([seen("absent:404", evidence=False, status=404)], now=T0 + timedelta(days=120), run_id="r4")
    gone = ledger.recall(url)
    assert gone.absent and gone.interval_days == POLICY.min_interval_days
    assert decide(gone, T0 + timedelta(days=150), POLICY).reason == "due"
    # back, without evidence yet (a holding page): asked again next run too
    ledger.remember([seen("b", evidence=False)], now=T0 + timedelta(days=150), run_id="r5")
    assert ledger.recall(url).interval_days == POLICY.min_interval_days
    ledger.close()


def test_shards_writing_one_url_at_once_lose_no_update(tmp_path: Path) -> None:
    # Two crawl shards (two connections) finish cities that both read a shared document host's page. The
    # first holds its transaction open between reading the old row and writing; the second must wait and
    # then build on what the first wrote, not on the row both saw before.
    import threading
    import time

    url = "https://library.example/codes"
    ob = Observation(url=url, final_url=url, content_type="text/html", sha256="a" * 64, content_key="a",
                     verified=True, evidence=True, hub=False)
    RevisitLedger(tmp_path, POLICY).remember([ob], now=T0, run_id="r0")
    first, second = RevisitLedger(tmp_path, POLICY), RevisitLedger(tmp_path, POLICY)
    read = threading.Event()
    real = first._recall_locked

    def slow(key: str):
        row = real(key)
        read.set()
        time.sleep(0.3)
        return row

    first._recall_locked = slow   # type: ignore[method-assign]
    newer = replace(ob, sha256="b" * 64, content_key="b")
    worker = threading.Thread(target=first.remember, args=([newer],),
                              kwargs={"now": T0 + timedelta(days=30), "run_id": "r1"})
    worker.start()
    assert read.wait(5)
    second.remember([replace(ob, verified=False)], now=T0 + timedelta(days=30), run_id="r1")   # carried there
    second.remember([newer], now=T0 + timedelta(days=31), run_id="r1")                       # asked there
    worker.join()
    final = RevisitLedger(tmp_path, POLICY).recall(url)
    assert (final.content_key, final.checks, final.changes) == ("b", 3, 1)
    for ledger in (first, second):
        ledger.close()


def test_the_interval_adapts_within_its_bounds() -> None:
    # first sight: a tenth of the age the server reports (RFC 9111 heuristic), within [min, max]
    assert POLICY.first_interval(T0, T0 - timedelta(days=500)) == POLICY.base_interval_days
    assert POLICY.first_interval(T0, T0 - timedelta(days=1200)) == 120.0
    assert POLICY.first_interval(T0, T0 - timedelta(days=5000)) == POLICY.max_interval_days
    assert POLICY.first_interval(T0, T0 - timedelta(days=30)) == POLICY.base_interval_days
    assert POLICY.first_interval(T0, None) == POLICY.base_interval_days
    assert POLICY.first_interval(T0, T0 + timedelta(days=3)) == POLICY.base_interval_days   # a clock gone wrong
    assert POLICY.next_interval(60.0, changed=False) == 120.0
    assert POLICY.next_interval(120.0, changed=False) == POLICY.max_interval_days
    assert POLICY.next_interval(120.0, changed=True) == 60.0
    assert POLICY.next_interval(40.0, changed=True) == POLICY.min_interval_days


def test_the_ledger_remembers_changes_and_keeps_a_carried_pages_verification(tmp_path: Path) -> None:
    ledger = RevisitLedger(tmp_path, POLICY)
    url = "https://a.example/p"

    def seen(key: str, *, verified: bool = True, evidence: bool = False, hub: bool = False) -> Observation:
        return Observation(url=url, final_url=url, content_type="text/html", sha256=key * 64, content_key=key,
                           verified=verified, evidence=evidence, hub=hub,
                           last_modified="Mon, 01 Sep 2025 00:00:00 GMT")

    ledger.remember([seen("a")], now=T0, run_id="r1")
    first = ledger.recall(url)
    assert first.checks == 1 and first.changes == 0 and first.run_id == "r1"
    # a tenth of the 456 days since Last-Modified is less than the base: 60 days, within the jitter
    assert first.interval_days == pytest.approx(60.0 * (0.7 + 0.6 * spread(url, 0)))
    ledger.remember([seen("a")], now=T0 + timedelta(days=60), run_id="r2")
    same = ledger.recall(url)
    assert same.interval_days == pytest.approx(POLICY.next_interval(first.interval_days, False, spread(url, 1)))
    assert same.interval_days > first.interval_days and same.changed_at == first.changed_at
    ledger.remember([seen("b")], now=T0 + timedelta(days=180), run_id="r3")
    changed = ledger.recall(url)
    assert changed.changes == 1 and changed.interval_days < same.interval_days
    assert changed.interval_days == pytest.approx(POLICY.next_interval(same.interval_days, True, spread(url, 2)))
    assert changed.changed_at == format_time(T0 + timedelta(days=180))
    # a page that disappears (404) changed: it is remembered as absent and asked again sooner
    other = "https://a.example/q"
    ledger.remember([replace(seen("a"), url=other, final_url=other)], now=T0, run_id="r1")
    ledger.remember([Observation(url=other, final_url=other, content_type="", sha256="", content_key="absent:404",
                                 verified=True, evidence=False, hub=False, status=404)],
                    now=T0 + timedelta(days=60), run_id="r2")
    gone = ledger.recall(other)
    assert gone.absent and gone.changes == 1 and gone.interval_days <= 40.0   # halved: due within a month or so
    # carried: nothing about the content or its verification moves, the flags do
    ledger.remember([seen("b", verified=False, evidence=True)], now=T0 + timedelta(days=200), run_id="r4")
    carried = ledger.recall(url)
    assert carried.evidence and carried.verified_at == changed.verified_at and carried.run_id == "r3"
    ledger.close()


def test_jitter_spreads_the_pages_a_crawl_saw_over_the_months_around_their_due_date() -> None:
    """Without jitter every page a first crawl saw would fall due on one day and that refresh would be a
    full crawl again; with it, first intervals spread evenly over base +- 30 %, reproducibly."""
    days = [POLICY.first_interval(T0, None, spread(f"https://a.example/p{i}", 0)) for i in range(2000)]
    assert min(days) >= 42.0 and max(days) <= 78.0 and max(days) - min(days) > 34.0
    assert sum(days) / len(days) == pytest.approx(60.0, abs=1.0)
    assert sum(d < 57.0 for d in days) == pytest.approx(900, abs=120)   # due at the second monthly run or not
    assert spread("https://a.example/p1", 0) == spread("https://a.example/p1", 0) != spread("https://a.example/p1", 1)
    assert POLICY.first_interval(T0, None) == POLICY.base_interval_days     # the middle of the jitter


# ------------------------------------------------------------------------------ a refresh, end to end
NOW = datetime.now(UTC)   # the fetches are dated by the clock; the refreshes happen in its future
POP = build_population(10, seed=11)
CITIES = pd.DataFrame([{"geoid": c.geoid, "website_url": c.website} for c in POP.cities if c.website])


def _crawl(sim: SimWeb, home: Path, run: str, now: datetime, policy: RevisitPolicy = POLICY
           ) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """One crawl of every city as run ``run`` at ``now``; returns (pages, evidence, requests the server saw)."""
    sim.reset_stats()
    # (no Crawl-delay: the cities that ask for 2 s would make this a minutes-long test of nothing more)
    cfg = sim.fetcher_config(cache_dir=home / "cache", revisit=policy, max_crawl_delay_s=0.0)
    with Fetcher(cfg, run_dir=home / run, run_id=run) as f:
        pages, evidence, _ = crawl_cities(f, CITIES, limits=crawl_limits(), workers=4, now=now)
    return pages, evidence, len(sim.stats()["requests"])


def _kinds(evidence: pd.DataFrame) -> set[tuple[str, str, str]]:
    return set(zip(evidence["geoid"], evidence["url"], evidence["kind"], strict=True))


@pytest.mark.slow
def test_a_refresh_asks_only_what_may_have_changed_and_says_what_it_carried(tmp_path: Path) -> None:
    with SimWeb(POP) as sim:
        pages1, evidence1, requests1 = _crawl(sim, tmp_path, "run-1", NOW)
        pages2, evidence2, requests2 = _crawl(sim, tmp_path, "run-2", NOW + timedelta(days=30))
    assert requests2 < 0.7 * requests1, (requests1, requests2)
    carried = pages2[pages2["outcome"] == "carried"]
    assert len(carried) > 0.3 * len(pages2)
    # a carried page says so, with the verification and the archive it stands on
    first = pages1.set_index(["geoid", "url"])
    for row in carried.itertuples():
        before = first.loc[(row.geoid, row.url)]
        assert row.verified_at == before["verified_at"] == row.fetched_at
        assert row.carried_from_run == "run-1" and row.sha256 == before["sha256"]
        assert row.revisit.startswith("fresh until ")
    # a broken link (404) is remembered as absent and carried as such: no request, its original answer
    absent = pages2[(pages2["outcome"] == "http_error") & pages2["carried_from_run"].notna()]
    assert len(absent) and set(absent["status"]) <= {404, 410}
    for row in absent.itertuples():
        assert row.verified_at == first.loc[(row.geoid, row.url)]["verified_at"] and row.revisit.startswith("fresh")
    asked_again = pages2[pages2["revisit"] == "new"]
    assert set(asked_again["outcome"]) <= {"robots_disallowed", "too_large", "timeout", "connection_error"}
    # what is never carried: the home page, evidence pages, hubs that led to evidence
    home = pages2[pages2["found_via"] == "seed"]
    assert (home["outcome"] != "carried").all() and home["revisit"].isna().all()
    had_evidence = set(zip(evidence1["geoid"], evidence1["url"], strict=True))
    rechecked = pages2[[(g, u) in had_evidence and dup is None for g, u, dup
                        in zip(pages2["geoid"], pages2["final_url"], pages2["duplicate_of"], strict=True)]]
    assert len(rechecked) and (rechecked["outcome"] != "carried").all()
    assert set(rechecked["revisit"]) <= {"evidence", "hub", "no_body"}
    assert (pages2["revisit"] == "hub").any()
    # nothing found is lost: the same evidence, carried rows marked and dated by their verification
    assert _kinds(evidence2) == _kinds(evidence1)
    # (every page with evidence was asked again, so none of it stands on a carried page here)
    assert not evidence2["carried"].any() and evidence2["verified_at"].notna().all()


@pytest.mark.slow
def test_a_change_is_found_in_the_run_that_follows_it(tmp_path: Path) -> None:
    """A page the sitemap dates after our last look is asked, even with months of interval left; an
    evidence page is asked every run, so new text on it is read the same day."""
    city = next(c for c in POP.cities if c.website and any(not p.offsite for p in evidence_pages(c)))
    host = city.website_host
    news_text = (f"<h1>City launches open data portal</h1><p>The City of {city.name} today launched its open data portal, "
                 "a searchable catalog of public datasets residents can download: budgets, permits, 311 service "
                 "requests and crime data, updated weekly.</p>")
    later = NOW + timedelta(days=20)
    with SimWeb(POP) as sim:
        pages1, evidence1, _ = _crawl(sim, tmp_path, "run-1", NOW)
        candidates = pages1[(pages1["geoid"] == city.geoid) & (pages1["found_via"] == "sitemap")
                            & (pages1["evidence_kinds"] == "") & (pages1["outcome"] == "ok")]
        target = candidates["url"].iloc[0]
        path = target.split(host, 1)[1]
        sim.set_override(host, path, f"<html><head><title>News</title></head><body><main>{news_text}</main>"
                                     "</body></html>", modified=later)
        pages2, evidence2, _ = _crawl(sim, tmp_path, "run-2", NOW + timedelta(days=30))
    asked = pages2[(pages2["geoid"] == city.geoid) & (pages2["url"] == target)].iloc[0]
    assert asked["outcome"] == "ok" and asked["revisit"] == "sitemap_lastmod"
    found = evidence2[(evidence2["geoid"] == city.geoid) & (evidence2["url"] == target)]
    assert "open_data_portal" in set(found["kind"]) and not found["carried"].any()
    assert not set(evidence1[evidence1["url"] == target]["kind"])


@pytest.mark.slow
def test_a_refresh_replays_from_its_own_archive(tmp_path: Path) -> None:
    with SimWeb(POP) as sim:
        _crawl(sim, tmp_path, "run-1", NOW)
        pages2, evidence2, _ = _crawl(sim, tmp_path, "run-2", NOW + timedelta(days=30))
    replay = FetcherConfig(replay=(str(tmp_path / "run-2" / "warc"),))
    with Fetcher(replay, run_id="replay") as f:
        assert f.ledger is None
        pages3, evidence3, _ = crawl_cities(f, CITIES, limits=crawl_limits(), workers=1)
    key = ["geoid", "url"]
    a = pages2.sort_values(key).reset_index(drop=True)
    b = pages3.sort_values(key).reset_index(drop=True)
    assert list(a["outcome"]) == list(b["outcome"]) and (a["outcome"] == "carried").any()
    assert list(a["sha256"]) == list(b["sha256"]) and list(a["final_url"]) == list(b["final_url"])
    carried = a["outcome"] == "carried"
    assert list(a.loc[carried, "fetched_at"]) == list(b.loc[carried, "fetched_at"])   # the verified fetch's date
    assert _kinds(evidence3) == _kinds(evidence2)


@pytest.mark.slow
def test_without_a_policy_every_page_is_asked(tmp_path: Path) -> None:
    with SimWeb(POP) as sim:
        _, _, requests1 = _crawl(sim, tmp_path, "run-1", NOW)
        pages2, _, requests2 = _crawl(sim, tmp_path, "run-2", NOW + timedelta(days=30), replace(POLICY, enabled=False))
    assert not (pages2["outcome"] == "carried").any() and requests2 == requests1


# ------------------------------------------------------------- live, against a small local web server
class _Site:
    """A city's site on a local HTTP server whose pages, sitemap and robots.txt a test changes between
    runs; ``hits`` lists the paths the server was asked for."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.pages: dict[str, str] = {}
        self.hits: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server hook's name
                site.hits.append(self.path)
                body = site.pages.get(self.path)
                if body is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                data = body.encode()
                kind = {"txt": "text/plain", "xml": "application/xml"}.get(self.path.rsplit(".", 1)[-1], "text/html")
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def crawl(self, home: Path, run: str, now: datetime | None):
        from sources.evidence.crawl import crawl_city

        config = FetcherConfig(resolve={"*": f"127.0.0.1:{self.server.server_port}"}, allow_addresses=("127.0.0.1",),
                               min_delay_s=0.0, cache_dir=home / "cache", revisit=POLICY)
        self.hits.clear()
        with Fetcher(config, run_dir=home / run, run_id=run) as f:
            return {p["url"]: p for p in crawl_city(f, "0600001", "http://city.example/", now=now).pages}


def test_a_live_refresh_reads_sitemap_dates_as_pages_are_keyed_and_obeys_todays_robots(tmp_path: Path) -> None:
    # Runs follow each other within seconds on the real clock: what the ledger stamps is the fetch's own
    # time, so only the sitemap's dates and robots.txt can make a run ask a page it asked moments ago.
    site = _Site()
    about = "http://city.example/about/"
    try:
        site.pages.update({
            "/": '<html><title>City</title><body><a href="/about/">About the city</a></body></html>',
            "/robots.txt": "User-agent: *\nAllow: /\nSitemap: http://city.example/sitemap.xml\n",
            "/about/": "<html><title>About</title><body><p>The mayor is Alice.</p></body></html>"})

        def sitemap(lastmod: str) -> str:   # lists the page without its trailing slash, as many CMSs do
            return ('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url>'
                    f"<loc>http://city.example/about</loc><lastmod>{lastmod}</lastmod></url></urlset>")

        site.pages["/sitemap.xml"] = sitemap("2024-10-01")
        first = site.crawl(tmp_path, "r1", None)
        assert (first[about]["outcome"], first[about]["revisit"]) == ("ok", "new")
        # The page changed after that fetch and the sitemap dates it: asked again at once.
        site.pages["/about/"] = "<html><title>About</title><body><p>The mayor is Bob.</p></body></html>"
        site.pages["/sitemap.xml"] = sitemap(format_time(datetime.now(UTC)))
        second = site.crawl(tmp_path, "r2", None)
        assert (second[about]["outcome"], second[about]["revisit"]) == ("ok", "sitemap_lastmod")
        assert "/about/" in site.hits
        # Nothing new since: carried, not asked.
        third = site.crawl(tmp_path, "r3", None)
        assert third[about]["outcome"] == "carried" and "/about/" not in site.hits
        # robots.txt now disallows it: not carried as if nothing had changed, and still not asked.
        site.pages["/robots.txt"] = "User-agent: *\nDisallow: /about\n"
        fourth = site.crawl(tmp_path, "r4", None)
        assert fourth[about]["outcome"] == "robots_disallowed" and "/about/" not in site.hits
        assert fourth[about]["revisit"] == "robots"   # the row says why it was not carried
    finally:
        site.server.shutdown()
