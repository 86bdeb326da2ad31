"""Benchmark: a national-size website crawl on the simulated web, against the politeness bound, Scrapy,
a naive sequential loop, and an incremental refresh.

The simulated web (this process) serves N synthetic cities with 50-300 ms latency per request; every
crawl runs in its own child process with the same politeness: robots.txt obeyed (Crawl-delay included),
one request at a time per host, the same delay between requests to a host, the same global concurrency,
the same budgets (40 pages, depth 3 per city, in-scope links only). Phases:

1. cdpi: the pipeline's own crawl (``sources.evidence.crawl.crawl_cities``: fetch, archive to WARC,
   read HTML/PDF, classify), with a conditional-GET cache.
2. cdpi again, nothing changed: the incremental refresh (conditional GETs against that cache).
3. Scrapy (benchmark-only extra ``.[bench]``) running cdpi's crawl policy: per city the same best-first
   queue, sitemaps, scope, dedup key and budgets, one request in flight per city, each page read and
   classified as cdpi does (see ``child_scrapy``); Scrapy's own engine, scheduler (its broad-crawl
   queue), download slots and robots middleware do the fetching. The two crawls therefore ask for the
   same pages: the run prints the server-side request counts of both, in total, on the shared document
   hosts, and host by host and URL by URL, and stores them in the JSON. What differs is scheduling (and
   that cdpi also archives every response to WARC and keeps its conditional-GET cache).
4. A naive sequential ``requests`` loop over a sample of cities, extrapolated to N (it would take hours).

The politeness bound is the larger of (busiest host's requests x max(its delay, mean latency)) and
(total requests x mean latency / global concurrency), from a phase's server-side request log: no polite
crawler of these requests can finish sooner. Each crawler is compared with the bound of its own log.
Ratios go to docs/BENCHMARKS.md (section "National crawl") and to docs/benchmarks.json (top-level keys,
plus "national_crawl", and "national_crawl_runs": one run per configuration measured); ``--no-write`` only
prints them (trial runs), ``--render-only`` rewrites the section from the kept runs without measuring.

    python scripts/bench_national.py [--cities 1500] [--delay 1.0] [--concurrency 32] [--latency-ms 50,300]
        [--sequential-sample 20] [--skip-scrapy] [--no-write | --render-only]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from scripts.benchlib import JSON_OUT, machine_facts, machine_line, peak_rss_kb, write_section  # noqa: E402
from tests.simweb.server import crawl_limits  # noqa: E402

SECTION = "National crawl"
SEED = 31
BUDGET_PAGES, BUDGET_DEPTH = 40, 3


# ------------------------------------------------------------------------------------------ children
def child_cdpi(spec: dict) -> dict:
    import pandas as pd

    from sources.evidence.crawl import crawl_cities
    from sources.http.config import FetcherConfig
    from sources.http.fetcher import Fetcher

    cities = pd.DataFrame(spec["cities"])
    cfg = FetcherConfig(resolve=spec["resolve"], allow_addresses=("127.0.0.1",), min_delay_s=spec["delay"],
                        max_crawl_delay_s=spec["delay"] * 2, read_timeout_s=30.0, concurrency=spec["concurrency"],
                        cache_dir=Path(spec["cache_dir"]))
    with Fetcher(cfg, run_dir=Path(spec["run_dir"])) as f:
        t0 = time.perf_counter()
        pages, evidence, summaries = crawl_cities(f, cities, limits=crawl_limits(), workers=spec["concurrency"])
        wall = time.perf_counter() - t0
        delays = f.gate.custom_delays()
    return {"wall_s": wall, "pages": len(pages), "evidence_rows": len(evidence), "delays": delays,
            "robots_refused": int((pages["outcome"] == "robots_disallowed").sum()),
            "stopped": {k: int(v) for k, v in summaries["stopped_by"].value_counts().items()},
            "from_cache": int((pages["outcome"] == "ok").sum()), "peak_rss_mb": peak_rss_kb() / 1024}


def child_scrapy(spec: dict) -> dict:
    """cdpi's crawl policy (``CityCrawler``) run by Scrapy: Scrapy's engine, scheduler, per-domain slots,
    robots middleware, delay and concurrency do the fetching; the spider only decides what each city
    fetches next, with the same rules as cdpi.

    Per city: a best-first queue by ``link_priority`` (insertion order breaks ties), seeded with the home
    page; after the home page, the sitemaps its robots.txt declares (else /sitemap.xml; up to 3, one level
    of sitemap index, 3 children each; at most 2,000 URLs queued at depth 1); links followed on the city's
    registrable domain and the document hosts; one key per page (cdpi's ``_key``); depth 3; 40 page
    fetches, failures and robots refusals included (sitemaps and robots.txt not counted); 30 MB per city;
    the same per-request byte caps; the crawl stops after a dead home page. A city has one request in
    flight at a time, as in cdpi: its next request is yielded when the previous one's response or error
    has been handled. Each page is read and classified as cdpi's ``_page_row`` does, in Scrapy's thread
    pool (cdpi reads in its worker threads; neither blocks its network loop on parsing). Crawl-delay
    raises a host's delay as cdpi's fetcher does (clamped to twice the delay); Scrapy's robots middleware
    does not apply it by itself. Not mirrored: cdpi fetches a city's URL on a shared vendor host early when
    that host is free (the order changes, not the set of pages); Scrapy keeps its own scheduling."""
    os.environ["http_proxy"] = f"http://{spec['proxy']}"    # the simulated web answers absolute-form requests
    os.environ.pop("no_proxy", None)
    import hashlib
    import heapq
    import xml.etree.ElementTree as ET
    from collections import deque
    from urllib.parse import urlsplit

    import scrapy
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess
    from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
    from scrapy.http import TextResponse
    from scrapy.settings import default_settings
    from scrapy.spidermiddlewares.httperror import HttpError
    from scrapy.utils.defer import maybe_deferred_to_future
    from twisted.internet.defer import CancelledError
    from twisted.internet.threads import deferToThread

    from sources.evidence.classify import classify
    from sources.evidence.crawl import _SITEMAP_MAX_URLS, _key, link_priority
    from sources.evidence.documents import load, sniff
    from sources.http.urls import InvalidURL, normalize_url
    from sources.portals.registries import registrable_domain

    limits = crawl_limits()
    doc_domains = set(limits.doc_hosts)
    user_agent = "cdpi-bench-scrapy/1.0"
    declared: dict[str, list[str]] = {}          # netloc -> sitemaps its robots.txt declares
    raised_delays: dict[str, float] = {}         # host -> delay raised by its Crawl-delay
    totals = {"pages": 0, "evidence_rows": 0, "robots_refused": 0}
    stopped: Counter[str] = Counter()
    too_large = (DownloadCancelledError, CancelledError)   # a body over the request's byte cap

    def http(url: str) -> str:
        return "http://" + url.split("://", 1)[1] if url.startswith("https://") else url

    class City:
        """One city's crawl state: the same fields ``CityCrawler`` keeps."""

        def __init__(self, geoid: str, website: str):
            self.geoid, self.website = geoid, website
            self.site = registrable_domain(urlsplit(website).hostname)
            self.queue: list[tuple[float, int, str, int]] = []     # (-priority, order, url, depth)
            self.seen: set[str] = set()
            self.order = self.pages = self.spent = 0
            self.home_done = self.done = False
            self.sitemaps: list[str] | None = None                  # top-level sitemaps left to read
            self.children: deque[str] = deque()                     # children of the index being read
            self.sitemap_urls: list[str] = []
            self.push(website, 0, float("inf"))

        def push(self, url: str, depth: int, priority: float) -> None:   # CityCrawler._push
            key = _key(url)
            if key in self.seen or depth > limits.max_depth:
                return
            dom = registrable_domain(urlsplit(url).hostname or "")
            if not dom or (dom != self.site and dom not in doc_domains):
                return
            self.seen.add(key)
            self.order += 1
            heapq.heappush(self.queue, (-priority, self.order, url, depth))

    cities = {c["geoid"]: City(c["geoid"], c["website_url"]) for c in spec["cities"]}

    def read(response, final: str, depth: int) -> tuple[int, list[tuple[str, float]]]:
        """What cdpi does with a fetched page (``_page_row`` and the rest of ``CityCrawler._step``): sniff,
        load, hash, classify; the links to queue with their priorities."""
        body = response.body
        ctype = (response.headers.get(b"Content-Type") or b"").decode("latin-1").split(";")[0].strip().lower()
        kind = sniff(body, ctype, final)
        if kind == "binary":
            return 0, []
        text = response.text if kind in ("html", "text") and isinstance(response, TextResponse) else None
        doc = load(body, content_type=ctype, url=final, max_pdf_pages=limits.max_pdf_pages, text=text)
        hashlib.sha256(body).hexdigest()
        found = classify(doc) if doc.text else []
        links = []
        if doc.kind == "html" and depth < limits.max_depth:
            links = [(link, link_priority(link, anchor, depth + 1)) for link, anchor in doc.links
                     if link.startswith(("http://", "https://"))]
        return len(found), links

    class PlainHTTP:
        """The simulated web speaks plain HTTP through one proxy: a redirect to https:// is asked in http://."""

        def process_request(self, request, spider=None):
            return request.replace(url=http(request.url)) if request.url.startswith("https://") else None

    class CitySpider(scrapy.Spider):
        name = "cities"

        @classmethod
        def from_crawler(cls, crawler, *args, **kwargs):
            spider = super().from_crawler(crawler, *args, **kwargs)
            crawler.signals.connect(spider.robots_parsed, signal=signals.robots_parsed)
            return spider

        def robots_parsed(self, robotparser, request):
            """Keep the declared sitemaps; apply Crawl-delay to the host's download slot."""
            parts = urlsplit(request.url)
            rp = getattr(robotparser, "rp", None)          # Protego, Scrapy's default robots parser
            declared[parts.netloc] = list(rp.sitemaps) if rp is not None else []
            ask = robotparser.crawl_delay(user_agent)
            if ask:
                delay = max(spec["delay"], min(ask, 2 * spec["delay"]))
                downloader = self.crawler.engine.downloader
                downloader.per_slot_settings[parts.hostname] = {"delay": delay}
                if parts.hostname in downloader.slots:
                    downloader.slots[parts.hostname].delay = delay
                raised_delays[parts.hostname] = delay

        async def start(self):   # Scrapy 2.13+: the start requests come from an async generator
            for city in cities.values():
                for request in self.advance(city):
                    yield request

        # -------------------------------------------------------------------- the city's next request
        def finish(self, city: City, reason: str) -> list:
            city.done = True
            stopped[reason] += 1
            return []

        def advance(self, city: City) -> list:
            """The city's next request (sitemaps first while they are being read), or none when it ended."""
            while city.sitemaps is not None:
                if city.children:
                    url, child = city.children.popleft(), True
                elif city.sitemaps and len(city.sitemap_urls) < _SITEMAP_MAX_URLS:
                    url, child = city.sitemaps.pop(0), False
                else:
                    for url in city.sitemap_urls[:_SITEMAP_MAX_URLS]:
                        city.push(url, 1, link_priority(url, "", 1))
                    city.sitemaps = None
                    break
                try:
                    normalize_url(url)
                    return [scrapy.Request(http(url), callback=self.sitemap, errback=self.sitemap_failed,
                                           dont_filter=True, meta={"city": city.geoid, "child": child,
                                                                   "download_maxsize": 10 * 1024 * 1024})]
                except (InvalidURL, ValueError):
                    continue                       # cdpi: a sitemap that cannot be fetched is empty
            while True:
                if not city.queue:
                    return self.finish(city, "exhausted")
                if city.pages >= limits.max_pages:
                    return self.finish(city, "max_pages")
                if city.spent >= limits.max_bytes:
                    return self.finish(city, "max_bytes")
                _, _, url, depth = heapq.heappop(city.queue)
                room = limits.max_bytes - city.spent
                is_doc = url.lower().split("?")[0].endswith(".pdf")
                cap = max(1, min(room, limits.max_document_bytes if is_doc else limits.max_page_bytes))
                try:
                    normalize_url(url)
                    request = scrapy.Request(
                        http(url), callback=self.page, errback=self.failed, dont_filter=True,
                        meta={"city": city.geoid, "cdpi_depth": depth, "https": url.startswith("https://"),
                              "download_maxsize": cap, "cap_is_room": cap == room})
                except (InvalidURL, ValueError):
                    city.pages += 1                # cdpi records an invalid_url page: it counts
                    totals["pages"] += 1
                    if not city.home_done:
                        city.home_done = True
                        return self.finish(city, "seed_unreachable")
                    continue
                return [request]

        def after_page(self, city: City, final: str | None) -> list:
            """After a page (``final``: its URL when it has a body, None on failure): the home page's
            sitemaps, or a stop after a dead seed, then the next request."""
            city.pages += 1
            totals["pages"] += 1
            if not city.home_done:
                city.home_done = True
                origin = urlsplit(final or city.website)
                city.sitemaps = (declared.get(origin.netloc) or [f"{origin.scheme}://{origin.netloc}/sitemap.xml"])[:3]
            return self.advance(city)

        # -------------------------------------------------------------------- callbacks
        async def page(self, response):
            city = cities[response.meta["city"]]
            final = ("https://" + response.url.split("://", 1)[1]) if response.meta["https"] else response.url
            depth = response.meta["cdpi_depth"]
            found, links = await maybe_deferred_to_future(deferToThread(read, response, final, depth))
            city.spent += len(response.body)
            totals["evidence_rows"] += found
            for link, priority in links:
                city.push(link, depth + 1, priority)
            for request in self.after_page(city, final):
                yield request

        def failed(self, failure):
            request = failure.request
            city = cities[request.meta["city"]]
            if failure.check(HttpError):               # cdpi's http_error: a page row, not a dead seed
                city.spent += len(failure.value.response.body)
                return self.after_page(city, None)
            totals["robots_refused"] += bool(failure.check(IgnoreRequest))   # Scrapy's robots middleware
            if failure.check(*too_large) and request.meta["cap_is_room"]:
                city.pages += 1
                totals["pages"] += 1
                city.home_done = True
                return self.finish(city, "max_bytes")  # the city's remaining bytes, not the page cap, cut it
            if not city.home_done:                     # robots refusal, timeout, connection error...
                city.pages += 1
                totals["pages"] += 1
                city.home_done = True
                return self.finish(city, "seed_unreachable")
            return self.after_page(city, None)

        def sitemap(self, response):
            city = cities[response.meta["city"]]
            try:
                root = ET.fromstring(response.body)
            except ET.ParseError:
                return self.advance(city)
            locs = [el.text.strip() for el in root.iter() if el.tag.endswith("loc") and el.text]
            if root.tag.endswith("sitemapindex"):
                if not response.meta["child"]:     # one level of index, as cdpi reads it
                    city.children.extend(locs[:3])
            else:
                city.sitemap_urls.extend(locs)
            return self.advance(city)

        def sitemap_failed(self, failure):
            return self.advance(cities[failure.request.meta["city"]])

    jitter = ({"DOWNLOAD_DELAY_JITTER": 0} if hasattr(default_settings, "DOWNLOAD_DELAY_JITTER")
              else {"RANDOMIZE_DOWNLOAD_DELAY": False})
    process = CrawlerProcess(settings={
        "ROBOTSTXT_OBEY": True, "CONCURRENT_REQUESTS": spec["concurrency"], "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
        "DOWNLOAD_DELAY": spec["delay"], **jitter, "AUTOTHROTTLE_ENABLED": False,
        "DOWNLOAD_MAXSIZE": limits.max_document_bytes, "DOWNLOAD_WARNSIZE": 0, "DOWNLOAD_TIMEOUT": 30,
        # cdpi's fetcher: 3 retries on connection errors, 429 and 5xx; at most 10 redirects; no meta refresh
        "RETRY_TIMES": 3, "RETRY_HTTP_CODES": [429, *range(500, 600)], "REDIRECT_MAX_TIMES": 10,
        "METAREFRESH_ENABLED": False, "COOKIES_ENABLED": False, "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": os.environ.get("BENCH_SCRAPY_LOG", "ERROR"), "USER_AGENT": user_agent,
        "DOWNLOADER_MIDDLEWARES": {PlainHTTP: 50},
        # Scrapy's documented broad-crawl queue, which prefers idle domains; the spider holds every city's
        # own queue, so Scrapy's scheduler only ever sees each city's one next request.
        "SCHEDULER_PRIORITY_QUEUE": "scrapy.pqueues.DownloaderAwarePriorityQueue",
        "REACTOR_THREADPOOL_MAXSIZE": 20})
    process.crawl(CitySpider)
    t0 = time.perf_counter()
    process.start()
    return {"wall_s": time.perf_counter() - t0, **totals,
            "stopped": dict(stopped), "delays": raised_delays, "unfinished": sum(not c.done for c in cities.values()),
            "peak_rss_mb": peak_rss_kb() / 1024}


def child_sequential(spec: dict) -> dict:
    """One request at a time with requests and the standard library's robots parser: what a first script
    would do. Same budgets and scope."""
    import urllib.robotparser
    from collections import deque

    import requests
    from bs4 import BeautifulSoup

    from sources.portals.registries import registrable_domain

    doc_hosts = crawl_limits().doc_hosts
    session = requests.Session()
    session.trust_env = False
    proxies = {"http": f"http://{spec['proxy']}"}
    robots: dict[str, urllib.robotparser.RobotFileParser] = {}
    last: dict[str, float] = {}
    t0 = time.perf_counter()
    fetched = 0

    def http(url: str) -> str:
        return "http://" + url.split("://", 1)[1] if url.startswith("https://") else url

    def polite_get(url: str):
        nonlocal fetched
        host = url.split("/")[2]
        wait = last.get(host, -1e9) + spec["delay"] - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        last[host] = time.monotonic()
        fetched += 1
        try:
            return session.get(url, proxies=proxies, timeout=30)
        except requests.RequestException:
            return None

    for c in spec["cities"]:
        home = http(c["website_url"])
        site = registrable_domain(home.split("/")[2])
        queue, seen, pages = deque([(home, 0)]), {home}, 0
        while queue and pages < BUDGET_PAGES:
            url, depth = queue.popleft()
            host = url.split("/")[2]
            if host not in robots:
                rp = urllib.robotparser.RobotFileParser()
                r = polite_get(f"http://{host}/robots.txt")
                rp.parse(r.text.splitlines() if r is not None and r.ok else [])
                robots[host] = rp
            if not robots[host].can_fetch("cdpi-bench", url):
                continue
            r = polite_get(url)
            pages += 1
            if r is None or "html" not in r.headers.get("content-type", "") or depth >= BUDGET_DEPTH:
                continue
            for a in BeautifulSoup(r.text, "html.parser").find_all("a", href=True):
                link = http(requests.compat.urljoin(url, a["href"]))
                dom = registrable_domain(link.split("/")[2].split(":")[0]) if link.startswith("http://") else None
                if dom and (dom == site or dom in doc_hosts) and link not in seen:
                    seen.add(link)
                    queue.append((link, depth + 1))
    return {"wall_s": time.perf_counter() - t0, "requests": fetched, "cities": len(spec["cities"])}


CHILDREN = {"cdpi": child_cdpi, "scrapy": child_scrapy, "sequential": child_sequential}


# ------------------------------------------------------------------------------------------- parent
def run_child(kind: str, spec: dict) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(spec, fh)
    try:
        out = subprocess.run([sys.executable, __file__, "--child", kind, fh.name], capture_output=True, text=True,
                             check=False, cwd=REPO)
    finally:
        os.unlink(fh.name)
    if out.returncode != 0:
        raise SystemExit(f"{kind} child failed\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def phase(sim, kind: str, spec: dict) -> dict:
    sim.reset_stats()
    result = run_child(kind, spec)
    records = sim.stats()["requests"]
    result["server_requests"] = len(records)
    result["server_bytes"] = sum(r[5] for r in records)
    result["hosts"] = Counter(r[0] for r in records)
    result["urls"] = Counter((r[0], r[1]) for r in records)
    result["mean_server_s"] = statistics.fmean(r[3] - r[2] for r in records) if records else 0.0
    result["records"] = records
    print(f"  {kind}: {result['wall_s']:.0f} s, {len(records):,} requests, {result['server_bytes'] / 1e6:.1f} MB",
          flush=True)
    return result


def politeness_bound(hosts: Counter, delays: dict[str, float], default_delay: float, latency: float,
                     concurrency: int) -> tuple[float, str, float, float]:
    per_host = {h: n * max(delays.get(h, default_delay), latency) for h, n in hosts.items()}
    busiest = max(per_host, key=per_host.get)
    throughput = sum(hosts.values()) * latency / concurrency
    return max(per_host[busiest], throughput), busiest, per_host[busiest], throughput


def host_trace(records: list, host: str, delay: float) -> dict:
    """Where a crawl's time over the bound went on its busiest host, from the server's log: how long
    before its first request, the idle time between its requests beyond max(delay, that request's own
    service time), and how long the crawl ran on after its last request ended."""
    mine = sorted((r for r in records if r[0] == host), key=lambda r: r[2])
    if not mine:
        return {"first_request_s": None, "idle_s": None, "tail_s": None}
    begin, end = min(r[2] for r in records), max(r[3] for r in records)
    idle = sum(max(0.0, nxt[2] - cur[2] - max(delay, cur[3] - cur[2])) for cur, nxt in zip(mine, mine[1:], strict=False))
    return {"first_request_s": round(mine[0][2] - begin, 1), "idle_s": round(idle, 1),
            "tail_s": round(end - mine[-1][3], 1)}


def request_comparison(cdpi: dict, other: dict) -> dict:
    """How far two crawls' server-side request logs are apart: totals, the shared document hosts
    (grouped by registrable domain, so every city's agenda host counts as one vendor), the host-by-host
    difference sum(|cdpi - other|) / cdpi's total (0 when every host got as many requests), and the same
    per (host, path)."""
    from sources.portals.registries import registrable_domain

    doc_hosts = crawl_limits().doc_hosts

    def group(host: str) -> str:
        dom = registrable_domain(host)
        return dom if dom in doc_hosts else "city sites"

    def difference(a: Counter, b: Counter) -> float:
        return round(sum(abs(a[k] - b[k]) for k in a.keys() | b.keys()) / max(1, sum(a.values())), 4)

    urls = difference(cdpi["urls"], other["urls"])
    cdpi, other = cdpi["hosts"], other["hosts"]
    groups: dict[str, list[int]] = {}
    for host in cdpi.keys() | other.keys():
        pair = groups.setdefault(group(host), [0, 0])
        pair[0] += cdpi[host]
        pair[1] += other[host]
    return {"cdpi": sum(cdpi.values()), "other": sum(other.values()),
            "host_difference": difference(cdpi, other), "url_difference": urls,
            "groups": {g: {"cdpi": a, "other": b} for g, (a, b) in sorted(groups.items())}}


def print_comparison(cmp: dict, cdpi: dict, other: dict) -> None:
    def pct(a: int, b: int) -> str:
        return f"{(b - a) / a:+.1%}" if a else "n/a"

    print(f"  requests, cdpi vs Scrapy: {cmp['cdpi']:,} vs {cmp['other']:,} ({pct(cmp['cdpi'], cmp['other'])}); "
          f"pages {cdpi['pages']:,} vs {other['pages']:,}; evidence rows {cdpi['evidence_rows']:,} vs "
          f"{other['evidence_rows']:,}; robots refusals {cdpi['robots_refused']:,} vs {other['robots_refused']:,}",
          flush=True)
    for g, n in cmp["groups"].items():
        print(f"    {g}: {n['cdpi']:,} vs {n['other']:,} ({pct(n['cdpi'], n['other'])})", flush=True)
    print(f"    difference host by host {cmp['host_difference']:.1%}, URL by URL {cmp['url_difference']:.1%} of "
          f"cdpi's requests; hosts with a Crawl-delay {len(cdpi['delays'])} vs {len(other['delays'])}; cities "
          f"stopped by {cdpi['stopped']} vs {other['stopped']}", flush=True)


def measure(n: int, delay: float, concurrency: int, latency: tuple[float, float], sequential_sample: int,
            skip_scrapy: bool) -> dict:
    from tests.simweb.population import build_population
    from tests.simweb.server import SimWeb

    population = build_population(n, seed=SEED)
    cities = [{"geoid": c.geoid, "website_url": c.website} for c in population.cities if c.website]
    mean_latency = sum(latency) / 2
    with SimWeb(population, latency=latency, slow_seconds=2.0, seed=SEED) as sim, \
            tempfile.TemporaryDirectory() as tmp:
        resolve = {k: v for k, v in sim.resolve_map().items() if v}
        base = {"cities": cities, "resolve": resolve, "delay": delay, "concurrency": concurrency,
                "cache_dir": str(Path(tmp) / "cache"), "proxy": sim.base}
        print(f"{len(cities)} city websites, delay {delay:g} s, concurrency {concurrency}, latency "
              f"{latency[0] * 1000:.0f}-{latency[1] * 1000:.0f} ms", flush=True)
        full = phase(sim, "cdpi", {**base, "run_dir": str(Path(tmp) / "run1")})
        again = phase(sim, "cdpi", {**base, "run_dir": str(Path(tmp) / "run2")})
        scrapy = None if skip_scrapy else phase(sim, "scrapy", base)
        cmp = request_comparison(full, scrapy) if scrapy else None
        if scrapy:
            print_comparison(cmp, full, scrapy)
        sample = cities[:: max(1, len(cities) // max(1, sequential_sample))][:sequential_sample]
        seq = phase(sim, "sequential", {**base, "cities": sample})
    bound, busiest, busiest_s, throughput_s = politeness_bound(full["hosts"], full["delays"], delay, mean_latency,
                                                               concurrency)
    seq_estimate = seq["wall_s"] * len(cities) / max(1, len(sample))
    scrapy_bound = (politeness_bound(scrapy["hosts"], full["delays"], delay, mean_latency, concurrency)[0]
                    if scrapy else None)
    return {
        "cities": len(cities), "requests": full["server_requests"], "delay_s": delay, "concurrency": concurrency,
        "latency_ms": [latency[0] * 1000, latency[1] * 1000], "wall_s": round(full["wall_s"], 1),
        "politeness_bound_s": round(bound, 1), "bound_busiest_host": busiest,
        "bound_busiest_host_s": round(busiest_s, 1), "bound_throughput_s": round(throughput_s, 1),
        "politeness_bound_ratio": round(full["wall_s"] / bound, 3),
        "busiest_host_trace": host_trace(full["records"], busiest, full["delays"].get(busiest, delay)),
        "scrapy_busiest_host_trace": (host_trace(scrapy["records"], busiest, full["delays"].get(busiest, delay))
                                      if scrapy else None),
        "scrapy_wall_s": round(scrapy["wall_s"], 1) if scrapy else None,
        "scrapy_requests": scrapy["server_requests"] if scrapy else None,
        "scrapy_pages": scrapy["pages"] if scrapy else None, "pages": full["pages"],
        "scrapy_evidence_rows": scrapy["evidence_rows"] if scrapy else None,
        "scrapy_host_difference": cmp["host_difference"] if cmp else None,
        "scrapy_url_difference": cmp["url_difference"] if cmp else None,
        "scrapy_shared_hosts": ({g: [n["cdpi"], n["other"]] for g, n in cmp["groups"].items()} if cmp else None),
        "scrapy_ratio": round(full["wall_s"] / scrapy["wall_s"], 3) if scrapy else None,
        "scrapy_bound_s": round(scrapy_bound, 1) if scrapy else None,
        "scrapy_bound_ratio": round(scrapy["wall_s"] / scrapy_bound, 3) if scrapy else None,
        "sequential_sample_cities": len(sample), "sequential_sample_wall_s": round(seq["wall_s"], 1),
        "sequential_estimate_s": round(seq_estimate, 1),
        "sequential_ratio": round(full["wall_s"] / seq_estimate, 4),
        "bytes": full["server_bytes"], "incremental_bytes": again["server_bytes"],
        "incremental_bytes_ratio": round(again["server_bytes"] / max(1, full["server_bytes"]), 4),
        "incremental_wall_s": round(again["wall_s"], 1),
        "incremental_wall_ratio": round(again["wall_s"] / full["wall_s"], 3),
        "incremental_requests": again["server_requests"],
        "peak_rss_mb": round(max(full["peak_rss_mb"], again["peak_rss_mb"]), 1),
        "scrapy_peak_rss_mb": round(scrapy["peak_rss_mb"], 1) if scrapy else None,
        "evidence_rows": full["evidence_rows"], "mean_server_ms": round(full["mean_server_s"] * 1000, 1),
        "bench_peak_rss_mb": round(peak_rss_kb() / 1024, 1)}


def reading(r: dict) -> str:
    """The paragraph under the table: whether the two crawls asked for the same pages, and what differs."""
    if not r["scrapy_wall_s"]:
        return "Reading: Scrapy was not run; cdpi is compared with the politeness bound of its own requests."
    shared = "; ".join(f"{g} {a:,} vs {b:,}" for g, (a, b) in r["scrapy_shared_hosts"].items() if g != "city sites")
    same = r["scrapy_host_difference"] <= 0.05
    return (
        "Reading: " + ("both crawlers ask for the same pages. " if same else
                       "the two crawlers' requests still differ, so compare each with its own bound first. ")
        + "The Scrapy spider runs cdpi's crawl policy (per city the same best-first queue by link priority, "
        "the sitemaps robots.txt declares, the same scope, dedup key, depth and 40-fetch budget, one request "
        "in flight per city, every page read and classified), with Scrapy's own engine, broad-crawl queue, "
        "per-host download slots and robots middleware doing the fetching. The server counted "
        f"{r['requests']:,} requests from cdpi and {r['scrapy_requests']:,} from Scrapy; host by host they differ "
        f"by {r['scrapy_host_difference']:.1%} of cdpi's requests, URL by URL by {r['scrapy_url_difference']:.1%} "
        f"(shared document hosts, cdpi vs Scrapy: {shared}); page fetches {r['pages']:,} vs "
        f"{r['scrapy_pages']:,}, evidence rows {r['evidence_rows']:,} vs {r['scrapy_evidence_rows']:,}. What differs is how each "
        "schedules that work: Scrapy's queue and slots, against cdpi's scheduler, which keeps the shared "
        "vendor hosts busy from the start. cdpi also archives every response to WARC and keeps its "
        "conditional-GET cache; the Scrapy spider does neither. Each crawler against the politeness bound of "
        f"its own request log: cdpi {r['politeness_bound_ratio']} x, Scrapy {r['scrapy_bound_ratio']} x. "
        "No polite crawler of these requests finishes before the bound, so cdpi / Scrapy cannot fall below "
        f"the bound / Scrapy's wall time, {r['politeness_bound_s'] / r['scrapy_wall_s']:.3f} in this run: a "
        "goal of 0.8 is reachable only where Scrapy runs more than 1.25 x over the bound.")


def write(r: dict, command: str, facts: dict | None = None) -> None:
    """Write the run's section of docs/BENCHMARKS.md and its keys of docs/benchmarks.json; ``facts``
    are the machine facts of a run measured earlier (``--render-only``), else this machine's."""
    facts = facts or machine_facts()
    run = {"command": command, "machine": facts, **r}
    runs = recorded_runs(json.loads(JSON_OUT.read_text()) if JSON_OUT.exists() else {}, run)
    scrapy_line = (f"| Scrapy, same crawl policy and settings (fetch, read, classify) | {r['scrapy_wall_s']:,} | {r['scrapy_requests']:,} | "
                   f"cdpi / Scrapy {r['scrapy_ratio']}; Scrapy is {r['scrapy_bound_ratio']} x its own bound "
                   f"({r['scrapy_bound_s']:,} s) |" if r["scrapy_wall_s"] else "| Scrapy | not run | | |")
    body = "\n".join([
        f"## {SECTION}", "", f"Command: `{command}`", "", machine_line(facts), "",
        f"{r['cities']:,} synthetic city websites on the simulated web (served by the benchmark process; each "
        f"crawler in its own process), {r['latency_ms'][0]:.0f}-{r['latency_ms'][1]:.0f} ms latency per "
        f"request, {r['delay_s']:g} s between requests to a host (2x for sites whose robots.txt asks), one "
        f"request at a time per host, {r['concurrency']} requests at a time overall, robots.txt obeyed, "
        f"budget {BUDGET_PAGES} pages and depth {BUDGET_DEPTH} per city. Every city also links the shared "
        "code-library host (as real cities link one vendor), which makes that host the busiest.", "",
        "| crawler | wall s | requests | ratio |", "|---|---:|---:|---:|",
        f"| politeness bound | {r['politeness_bound_s']:,} | | busiest host {r['bound_busiest_host']}: "
        f"{r['bound_busiest_host_s']:,} s; throughput: {r['bound_throughput_s']:,} s |",
        f"| cdpi (fetch, archive, read, classify) | {r['wall_s']:,} | {r['requests']:,} | "
        f"**{r['politeness_bound_ratio']}** x the bound |",
        scrapy_line,
        f"| naive sequential loop ({r['sequential_sample_cities']} cities, extrapolated) | "
        f"{r['sequential_estimate_s']:,} | | {r['sequential_ratio']} (cdpi / sequential) |",
        f"| cdpi again, nothing changed (conditional GET) | {r['incremental_wall_s']:,} | "
        f"{r['incremental_requests']:,} | wall {r['incremental_wall_ratio']}, bytes "
        f"**{r['incremental_bytes_ratio']}** of the full run |", "",
        f"Bytes served: full run {r['bytes'] / 1e6:,.1f} MB, refresh {r['incremental_bytes'] / 1e6:,.1f} MB. "
        f"Peak RSS of the cdpi crawl process {r['peak_rss_mb']} MB"
        + (f" (Scrapy {r['scrapy_peak_rss_mb']} MB)" if r["scrapy_peak_rss_mb"] else "") + ". "
        "A refresh still asks for every page (politeness paces it like a full run); what it saves is bytes.", "",
        reading(r), "", where_time_went(r), "",
        "### Every recorded configuration", "",
        "Each size and delay measured so far (docs/benchmarks.json, `national_crawl_runs`; a new run of the same "
        "configuration replaces the old one). The top-level keys of docs/benchmarks.json are the latest run's.", "",
        runs_table(runs), ""])
    write_section(SECTION, body)
    data = json.loads(JSON_OUT.read_text()) if JSON_OUT.exists() else {}
    data["national_crawl"] = run
    data["national_crawl_runs"] = runs
    for key in ("cities", "requests", "politeness_bound_ratio", "scrapy_ratio", "sequential_ratio",
                "incremental_bytes_ratio", "incremental_wall_ratio", "peak_rss_mb"):
        data[key] = r[key]
    JSON_OUT.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


RUN_KEYS = ("cities", "delay_s", "concurrency", "latency_ms")


def recorded_runs(data: dict, run: dict) -> list[dict]:
    """The runs kept so far, one per configuration, with ``run`` replacing an earlier one like it."""
    runs = data.get("national_crawl_runs") or ([data["national_crawl"]] if "national_crawl" in data else [])
    runs = [x for x in runs if any(x.get(k) != run.get(k) for k in RUN_KEYS)] + [run]
    return sorted(runs, key=lambda x: (x["cities"], x["delay_s"], x["concurrency"]))


def runs_table(runs: list[dict]) -> str:
    fmt = lambda v, spec="": "" if v is None else format(v, spec)  # noqa: E731
    lines = ["| cities | delay s | requests | cdpi wall s | bound s | cdpi / bound | cdpi / Scrapy | "
             "Scrapy / its bound | refresh bytes / full | peak RSS MB | measured |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for x in runs:
        lines.append(f"| {x['cities']:,} | {x['delay_s']:g} | {x['requests']:,} | {x['wall_s']:,} | "
                     f"{x['politeness_bound_s']:,} | {x['politeness_bound_ratio']} | {fmt(x.get('scrapy_ratio'))} | "
                     f"{fmt(x.get('scrapy_bound_ratio'))} | {x['incremental_bytes_ratio']} | {x['peak_rss_mb']} | "
                     f"{x.get('machine', {}).get('date', '')} |")
    return "\n".join(lines)


def where_time_went(r: dict) -> str:
    """One sentence per crawler on its busiest host: the time the bound does not account for."""
    def said(t: dict | None) -> str:
        return (f"first request {t['first_request_s']} s in, idle {t['idle_s']} s between requests, "
                f"{t['tail_s']} s of crawl after its last one") if t and t["first_request_s"] is not None else "not reached"
    trace, other = r.get("busiest_host_trace"), r.get("scrapy_busiest_host_trace")
    if not trace:
        return ""
    return (f"Where the time over the bound went, on the busiest host ({r['bound_busiest_host']}), from the "
            f"server's log: cdpi {said(trace)}" + (f"; Scrapy {said(other)}" if r.get("scrapy_wall_s") else "")
            + ". Idle time counts only the gaps longer than max(delay, the request's own service time).")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cities", type=int, default=1500)
    ap.add_argument("--delay", type=float, default=1.0, help="politeness delay per host, seconds")
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--latency-ms", default="50,300")
    ap.add_argument("--sequential-sample", type=int, default=20, help="cities the sequential loop crawls")
    ap.add_argument("--skip-scrapy", action="store_true", help="when the bench extra is not installed")
    ap.add_argument("--no-write", action="store_true",
                    help="a trial run: print the figures, leave docs/BENCHMARKS.md and docs/benchmarks.json alone")
    ap.add_argument("--render-only", action="store_true",
                    help="measure nothing: rewrite the section from the latest run kept in docs/benchmarks.json")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        kind, path = args.child
        print(json.dumps(CHILDREN[kind](json.loads(Path(path).read_text()))))
        return
    if args.render_only:
        run = json.loads(JSON_OUT.read_text())["national_crawl"]
        write({k: v for k, v in run.items() if k not in ("command", "machine")}, run["command"], run["machine"])
        print("rewrote docs/BENCHMARKS.md and docs/benchmarks.json from the kept run")
        return
    lo, hi = (float(x) / 1000 for x in args.latency_ms.split(","))
    r = measure(args.cities, args.delay, args.concurrency, (lo, hi), args.sequential_sample, args.skip_scrapy)
    command = (f"python scripts/bench_national.py --cities {args.cities} --delay {args.delay:g} --concurrency "
               f"{args.concurrency} --latency-ms {args.latency_ms} --sequential-sample {args.sequential_sample}")
    print(json.dumps({k: r[k] for k in ("cities", "requests", "scrapy_requests", "scrapy_host_difference",
                                        "wall_s", "scrapy_wall_s", "politeness_bound_ratio", "scrapy_ratio",
                                        "scrapy_bound_ratio", "sequential_ratio", "incremental_bytes_ratio",
                                        "incremental_wall_ratio", "peak_rss_mb")}))
    if args.no_write:
        print("trial run (--no-write): docs left unchanged")
        return
    write(r, command)
    print("wrote docs/BENCHMARKS.md and docs/benchmarks.json")


if __name__ == "__main__":
    main()
