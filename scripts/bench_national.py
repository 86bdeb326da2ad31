"""Benchmark: a national-size website crawl on the simulated web, against the politeness bound, Scrapy,
a naive sequential loop, and an incremental refresh.

The simulated web (this process) serves N synthetic cities with 50-300 ms latency per request; every
crawl runs in its own child process with the same politeness: robots.txt obeyed, one request at a time
per host, the same delay between requests to a host, the same global concurrency, the same budgets
(40 pages, depth 3 per city, in-scope links only). Phases:

1. cdpi: the pipeline's own crawl (``sources.evidence.crawl.crawl_cities``: fetch, archive to WARC,
   read HTML/PDF, classify), with a conditional-GET cache.
2. cdpi again, nothing changed: the incremental refresh (conditional GETs against that cache).
3. Scrapy (benchmark-only extra ``.[bench]``) with the same settings and Scrapy's broad-crawl queue.
4. A naive sequential ``requests`` loop over a sample of cities, extrapolated to N (it would take hours).

The politeness bound is the larger of (busiest host's requests x max(its delay, mean latency)) and
(total requests x mean latency / global concurrency), from the cdpi phase's server-side request log:
no polite crawler of these requests can finish sooner. Ratios go to docs/BENCHMARKS.md (section
"National crawl") and to docs/benchmarks.json (top-level keys, plus "national_crawl").

    python scripts/bench_national.py [--cities 1500] [--delay 1.0] [--concurrency 32] [--latency-ms 50,300]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from scripts.benchlib import JSON_OUT, machine_facts, machine_line, peak_rss_kb, write_json, write_section  # noqa: E402

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
        pages, evidence, _ = crawl_cities(f, cities, workers=spec["concurrency"])
        wall = time.perf_counter() - t0
        delays = f.gate.custom_delays()
    return {"wall_s": wall, "pages": len(pages), "evidence_rows": len(evidence), "delays": delays,
            "from_cache": int((pages["outcome"] == "ok").sum()), "peak_rss_mb": peak_rss_kb() / 1024}


def child_scrapy(spec: dict) -> dict:
    """Scrapy's own scheduler, robots handling and per-domain slots; the spider only decides what to follow."""
    os.environ["http_proxy"] = f"http://{spec['proxy']}"    # the simulated web answers absolute-form requests
    os.environ.pop("no_proxy", None)
    import scrapy
    from scrapy.crawler import CrawlerProcess

    from sources.evidence.crawl import DEFAULT_DOC_HOSTS
    from sources.portals.registries import registrable_domain

    doc_domains = set(DEFAULT_DOC_HOSTS)
    counts: Counter[str] = Counter()

    def http(url: str) -> str:
        return "http://" + url.split("://", 1)[1] if url.startswith("https://") else url

    class CitySpider(scrapy.Spider):
        name = "cities"

        async def start(self):   # Scrapy 2.13+: the start requests come from an async generator
            for c in spec["cities"]:
                home = http(c["website_url"])
                dom = registrable_domain(home.split("/")[2])
                counts[c["geoid"]] += 2
                meta = {"city": c["geoid"], "site": dom}
                yield scrapy.Request(home, meta=meta, dont_filter=True)
                yield scrapy.Request(home.rstrip("/") + "/sitemap.xml", meta=meta, callback=self.sitemap)

        def sitemap(self, response):   # as cdpi reads /sitemap.xml: its pages, in scope, within the budget
            meta = response.meta
            for url in re.findall(r"<loc>\s*([^<\s]+)\s*</loc>", response.text):
                url = http(url)
                if url.startswith("http://") and registrable_domain(url.split("/")[2].split(":")[0]) == meta["site"] \
                        and counts[meta["city"]] < BUDGET_PAGES:
                    counts[meta["city"]] += 1
                    yield scrapy.Request(url, meta={"city": meta["city"], "site": meta["site"]})

        def parse(self, response):
            if not isinstance(response, scrapy.http.HtmlResponse):
                return
            meta = response.meta
            for href in response.css("a::attr(href)").getall():
                url = http(response.urljoin(href))
                if not url.startswith("http://"):
                    continue
                dom = registrable_domain(url.split("/")[2].split(":")[0])
                if dom != meta["site"] and dom not in doc_domains:
                    continue
                if counts[meta["city"]] >= BUDGET_PAGES:
                    return
                counts[meta["city"]] += 1
                yield scrapy.Request(url, meta={"city": meta["city"], "site": meta["site"]})

    process = CrawlerProcess(settings={
        "ROBOTSTXT_OBEY": True, "CONCURRENT_REQUESTS": spec["concurrency"], "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
        "DOWNLOAD_DELAY": spec["delay"], "RANDOMIZE_DOWNLOAD_DELAY": False, "AUTOTHROTTLE_ENABLED": False,
        "DEPTH_LIMIT": BUDGET_DEPTH, "DOWNLOAD_MAXSIZE": 20 * 1024 * 1024, "DOWNLOAD_WARNSIZE": 0,
        "DOWNLOAD_TIMEOUT": 30, "RETRY_TIMES": 2, "COOKIES_ENABLED": False, "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": os.environ.get("BENCH_SCRAPY_LOG", "ERROR"), "USER_AGENT": "cdpi-bench-scrapy/1.0",
        # Scrapy's documented broad-crawl settings: a queue that prefers idle domains, breadth-first order.
        "SCHEDULER_PRIORITY_QUEUE": "scrapy.pqueues.DownloaderAwarePriorityQueue",
        "DEPTH_PRIORITY": 1, "SCHEDULER_DISK_QUEUE": "scrapy.squeues.PickleFifoDiskQueue",
        "SCHEDULER_MEMORY_QUEUE": "scrapy.squeues.FifoMemoryQueue", "REACTOR_THREADPOOL_MAXSIZE": 20})
    process.crawl(CitySpider)
    t0 = time.perf_counter()
    process.start()
    return {"wall_s": time.perf_counter() - t0, "peak_rss_mb": peak_rss_kb() / 1024}


def child_sequential(spec: dict) -> dict:
    """One request at a time with requests and the standard library's robots parser: what a first script
    would do. Same budgets and scope."""
    import urllib.robotparser
    from collections import deque

    import requests
    from bs4 import BeautifulSoup

    from sources.evidence.crawl import DEFAULT_DOC_HOSTS
    from sources.portals.registries import registrable_domain

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
                if dom and (dom == site or dom in DEFAULT_DOC_HOSTS) and link not in seen:
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
    result["mean_server_s"] = statistics.fmean(r[3] - r[2] for r in records) if records else 0.0
    print(f"  {kind}: {result['wall_s']:.0f} s, {len(records):,} requests, {result['server_bytes'] / 1e6:.1f} MB",
          flush=True)
    return result


def politeness_bound(hosts: Counter, delays: dict[str, float], default_delay: float, latency: float,
                     concurrency: int) -> tuple[float, str, float, float]:
    per_host = {h: n * max(delays.get(h, default_delay), latency) for h, n in hosts.items()}
    busiest = max(per_host, key=per_host.get)
    throughput = sum(hosts.values()) * latency / concurrency
    return max(per_host[busiest], throughput), busiest, per_host[busiest], throughput


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
        "scrapy_wall_s": round(scrapy["wall_s"], 1) if scrapy else None,
        "scrapy_requests": scrapy["server_requests"] if scrapy else None,
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


def write(r: dict, command: str) -> None:
    facts = machine_facts()
    scrapy_line = (f"| Scrapy, same settings | {r['scrapy_wall_s']:,} | {r['scrapy_requests']:,} | "
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
        "Reading: the two crawlers do not make the same requests. The Scrapy spider is the simple crawl a "
        "Scrapy user would write (home page and /sitemap.xml, then links in arrival order up to the page "
        "budget, no link priorities, no robots-declared sitemaps), so it reaches the shared code library far "
        "less and its own bound is lower; compare each crawler with its own bound as well as with the other's "
        "wall time.", ""])
    write_section(SECTION, body)
    write_json("national_crawl", {"command": command, "machine": facts, **r})
    data = json.loads(JSON_OUT.read_text())
    for key in ("cities", "requests", "politeness_bound_ratio", "scrapy_ratio", "sequential_ratio",
                "incremental_bytes_ratio", "incremental_wall_ratio", "peak_rss_mb"):
        data[key] = r[key]
    JSON_OUT.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cities", type=int, default=1500)
    ap.add_argument("--delay", type=float, default=1.0, help="politeness delay per host, seconds")
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--latency-ms", default="50,300")
    ap.add_argument("--sequential-sample", type=int, default=20, help="cities the sequential loop crawls")
    ap.add_argument("--skip-scrapy", action="store_true", help="when the bench extra is not installed")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        kind, path = args.child
        print(json.dumps(CHILDREN[kind](json.loads(Path(path).read_text()))))
        return
    lo, hi = (float(x) / 1000 for x in args.latency_ms.split(","))
    r = measure(args.cities, args.delay, args.concurrency, (lo, hi), args.sequential_sample, args.skip_scrapy)
    command = (f"python scripts/bench_national.py --cities {args.cities} --delay {args.delay:g} --concurrency "
               f"{args.concurrency} --latency-ms {args.latency_ms} --sequential-sample {args.sequential_sample}")
    write(r, command)
    print(json.dumps({k: r[k] for k in ("cities", "requests", "politeness_bound_ratio", "scrapy_ratio",
                                        "sequential_ratio", "incremental_bytes_ratio", "incremental_wall_ratio",
                                        "peak_rss_mb")}))
    print("wrote docs/BENCHMARKS.md and docs/benchmarks.json")


if __name__ == "__main__":
    main()
