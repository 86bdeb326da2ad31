"""Benchmark: how fast pages are classified, and how long a city's website crawl takes.

1. Classification: every labeled page of tests/fixtures/evidence/eval_set.jsonl, repeated, through the
   same path as the pipeline (HTML to text, then the rules), single thread; and PDF reading (pypdf) of a
   20-page synthetic report.
2. Crawl: N synthetic cities of the simulated web (served from a separate process so its memory does
   not count), with realistic latency per request and the fetcher's politeness settings, crawled by the
   pipeline's own ``crawl_cities`` in a measured child process. Reported: wall time per city
   (median, 90th percentile), requests and bytes per city, and the child's peak RSS.

Results go to docs/BENCHMARKS.md (section "Website evidence") and docs/benchmarks.json (key
"website_evidence").

    python scripts/bench_evidence.py [--cities 40] [--latency-ms 50,150] [--delay 1.0]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from scripts.benchlib import machine_facts, machine_line, peak_rss_kb, write_json, write_section  # noqa: E402

SECTION = "Website evidence"
EVAL_SET = REPO / "tests" / "fixtures" / "evidence" / "eval_set.jsonl"


def classification(rounds: int = 8) -> dict:
    from sources.evidence.classify import classify, classify_record
    from sources.evidence.documents import from_pdf
    from tests.simweb.formats.pdf import text_pdf

    lines = [json.loads(x) for x in EVAL_SET.read_text(encoding="utf-8").splitlines() if x.strip()]
    t0 = time.perf_counter()
    for _ in range(rounds):
        for r in lines:
            classify_record(r)
    t1 = time.perf_counter()
    report = [f"Measure {k}: target {90 + k % 7}%, actual {80 + k % 17}%, on track." for k in range(900)]
    data = text_pdf(report, title="Annual Performance Report")
    t2 = time.perf_counter()
    doc = from_pdf(data, max_pages=40)
    classify(doc)
    t3 = time.perf_counter()
    return {"pages": rounds * len(lines), "pages_per_s": round(rounds * len(lines) / (t1 - t0), 1),
            "html_share": round(sum("html" in r for r in lines) / len(lines), 2),
            "pdf_pages": doc.pages, "pdf_pages_per_s": round((doc.pages or 0) / (t3 - t2), 1)}


def child(spec: dict) -> dict:
    """Runs in the measured process: the pipeline's crawl of every city, nothing else."""
    import pandas as pd

    from sources.evidence.crawl import crawl_cities
    from sources.http.config import FetcherConfig
    from sources.http.fetcher import Fetcher
    from tests.simweb.server import crawl_limits

    cities = pd.DataFrame(spec["cities"])
    cfg = FetcherConfig(resolve=spec["resolve"], allow_addresses=("127.0.0.1",), min_delay_s=spec["delay"],
                        max_crawl_delay_s=spec["delay"] * 2, read_timeout_s=30.0)
    with tempfile.TemporaryDirectory() as tmp, Fetcher(cfg, run_dir=Path(tmp)) as f:
        t0 = time.perf_counter()
        pages, evidence, summaries = crawl_cities(f, cities, limits=crawl_limits(), workers=spec["workers"])
        wall = time.perf_counter() - t0
    per_city = sorted(summaries["seconds"])
    return {"cities": len(cities), "workers": spec["workers"], "wall_s": round(wall, 1),
            "city_median_s": round(statistics.median(per_city), 1),
            "city_p90_s": round(per_city[int(0.9 * (len(per_city) - 1))], 1),
            "requests": len(pages), "requests_per_city": round(len(pages) / len(cities), 1),
            "mb_per_city": round(pages["bytes"].sum() / len(cities) / 1e6, 2),
            "evidence_rows": len(evidence), "stopped_by": summaries["stopped_by"].value_counts().to_dict(),
            "peak_rss_mb": round(peak_rss_kb() / 1024, 1)}


def crawl(n_cities: int, latency: tuple[float, float], delay: float, workers: int) -> dict:
    from tests.simweb.population import build_population
    from tests.simweb.server import SimWeb

    population = build_population(n_cities, seed=21)
    cities = [{"geoid": c.geoid, "website_url": c.website} for c in population.cities if c.website]
    with SimWeb(population, latency=latency, slow_seconds=2.0) as sim:
        resolve = {k: v for k, v in sim.resolve_map().items() if v}
        spec = json.dumps({"cities": cities, "resolve": resolve, "delay": delay, "workers": workers})
        out = subprocess.run([sys.executable, __file__, "--child", spec], capture_output=True, text=True,
                             check=False, cwd=REPO)
    if out.returncode != 0:
        raise SystemExit(f"crawl benchmark child failed\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def write(cls: dict, crawled: dict, command: str, latency: tuple[float, float], delay: float) -> None:
    facts = machine_facts()
    body = "\n".join([
        f"## {SECTION}", "",
        f"Command: `{command}`", "",
        machine_line(facts), "",
        "**Classification** (single thread; the same path as the pipeline: HTML to visible text, then the rules "
        "in sources/evidence/rules.yaml), over the project's labeled pages repeated:", "",
        "| pages | HTML share | pages/s | PDF pages read | PDF pages/s (pypdf + rules) |",
        "|---:|---:|---:|---:|---:|",
        f"| {cls['pages']:,} | {cls['html_share']:.0%} | {cls['pages_per_s']:,.0f} | {cls['pdf_pages']} | "
        f"{cls['pdf_pages_per_s']:,.0f} |", "",
        f"**Crawl** of {crawled['cities']} synthetic city websites on the simulated web (served from another "
        f"process), {latency[0] * 1000:.0f}-{latency[1] * 1000:.0f} ms latency per request, {delay:g} s "
        f"politeness delay per host, {crawled['workers']} cities at a time, default budget (40 pages, depth 3, "
        "30 MB). The sites include huge (500 MB) and bomb PDFs, slow pages (2 s), redirect chains and "
        "robots-blocked pages. Wall time per city is bounded below by requests x delay: the crawl is polite "
        "by construction, so it is the delay, not the client, that sets the pace; the slowest tenth are "
        "the sites whose robots.txt asks for a 2 s Crawl-delay.", "",
        "| cities | wall s | per city: median s | per city: p90 s | requests per city | MB per city | evidence rows | peak RSS MB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {crawled['cities']} | {crawled['wall_s']} | {crawled['city_median_s']} | {crawled['city_p90_s']} | "
        f"{crawled['requests_per_city']} | {crawled['mb_per_city']} | {crawled['evidence_rows']} | "
        f"{crawled['peak_rss_mb']} |", "",
        f"Why crawls stopped: {', '.join(f'{k} {v}' for k, v in crawled['stopped_by'].items())}.", ""])
    write_section(SECTION, body)
    write_json("website_evidence", {"command": command, "machine": facts, "classification": cls, "crawl": crawled})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cities", type=int, default=40)
    ap.add_argument("--latency-ms", default="50,150")
    ap.add_argument("--delay", type=float, default=1.0, help="politeness delay per host, seconds")
    ap.add_argument("--workers", type=int, default=16)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return
    lo, hi = (float(x) / 1000 for x in args.latency_ms.split(","))
    cls = classification()
    print(f"classification: {cls['pages_per_s']:,.0f} pages/s; PDF {cls['pdf_pages_per_s']:,.0f} pages/s", flush=True)
    crawled = crawl(args.cities, (lo, hi), args.delay, args.workers)
    print(f"crawl: {crawled['cities']} cities in {crawled['wall_s']} s; per city median {crawled['city_median_s']} s, "
          f"p90 {crawled['city_p90_s']} s, {crawled['requests_per_city']} requests; peak RSS "
          f"{crawled['peak_rss_mb']} MB", flush=True)
    command = (f"python scripts/bench_evidence.py --cities {args.cities} --latency-ms {args.latency_ms} "
               f"--delay {args.delay:g} --workers {args.workers}")
    write(cls, crawled, command, (lo, hi), args.delay)
    print("wrote docs/BENCHMARKS.md and docs/benchmarks.json")


if __name__ == "__main__":
    main()
