"""Benchmark: how fast pages are classified, and how long a city's website crawl takes.

1. Classification: every labeled page of tests/fixtures/evidence/eval_set.jsonl, repeated, through the
   same path as the pipeline (HTML to text, then the rules), single thread; and PDF reading (pypdf) of a
   20-page synthetic report.
2. Crawl: N synthetic cities of the simulated web (served from a separate process so its memory does
   not count), with realistic latency per request and the fetcher's politeness settings, crawled by the
   pipeline's own ``crawl_cities`` in a measured child process. Reported: wall time per city
   (median, 90th percentile), requests and bytes per city, and the child's peak RSS.

3. Replay: the built-in sample archive (pipelines/sample/sample.warc.gz) read raw with warcio (every
   record, every body: the bound no replay can beat), indexed, and replayed through the Fetcher (every
   archived URL once, robots.txt and redirects included); then `cdpi run --sample` end to end, wall time
   and peak RSS; and the floor under both: a fresh process that only imports what a run imports, builds
   the Great Expectations context and reads a Parquet file with DuckDB, with no data and no run; and the
   time the garbage collector takes in a sample run, with Python's settings and with the command's.

Results go to docs/BENCHMARKS.md (sections "Website evidence" and "Replay") and docs/benchmarks.json (keys
"website_evidence" and "replay").

    python scripts/bench_evidence.py [--cities 40] [--latency-ms 50,150] [--delay 1.0]
    python scripts/bench_evidence.py --only replay      # just part 3
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

from scripts.benchlib import (  # noqa: E402
    TreeMemory,
    machine_facts,
    machine_line,
    peak_rss_kb,
    write_json,
    write_section,
)

SECTION = "Website evidence"
REPLAY_SECTION = "Replay"
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


def replay(runs: int = 5) -> dict:
    """Raw warcio read of the sample archive, then the replay index and replayed fetches, in this process;
    then ``runs`` runs of `cdpi run --sample`, each in a fresh process and a fresh home."""
    import resource

    from warcio.archiveiterator import ArchiveIterator

    from pipelines.resources import sample_archive
    from sources.http import archive as archive_mod
    from sources.http.archive import ReplayIndex
    from sources.http.config import FetcherConfig
    from sources.http.fetcher import Fetcher

    archive = sample_archive()
    size = archive.stat().st_size
    records = responses = content = 0
    t0 = time.perf_counter()
    with open(archive, "rb") as fh:
        for record in ArchiveIterator(fh):
            content += len(record.content_stream().read())
            records += 1
            responses += record.rec_type == "response"
    raw_s = time.perf_counter() - t0
    # Three ways a process comes by the index: reading the file record by record (what the first
    # replay of an archive does), loading the index kept beside it (every later process), and again in
    # the same process (a cache hit).
    resolved = archive.resolve()
    st = resolved.stat()
    t0 = time.perf_counter()
    archive_mod._FileIndex(resolved, (st.st_ino, st.st_size, st.st_mtime_ns))
    index_file_s = time.perf_counter() - t0
    archive_mod._FILE_INDEXES.clear()
    ReplayIndex([str(archive)])        # keeps the index beside the archive, if it was not kept yet
    archive_mod._FILE_INDEXES.clear()
    t0 = time.perf_counter()
    index = ReplayIndex([str(archive)])
    index_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    ReplayIndex([str(archive)])
    again_s = time.perf_counter() - t0
    urls = sorted(url for method, url in index.archived() if method == "GET")
    with Fetcher(FetcherConfig(replay=(str(archive),))) as f:
        t0 = time.perf_counter()
        results = f.fetch_many(urls)
        fetch_s = time.perf_counter() - t0
    body = sum(len(r.body) for r in results)
    runs_out, cpu_out, tree_mb, processes = [], [], [], 0
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as home:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            proc = subprocess.Popen([str(Path(sys.executable).with_name("cdpi")), "run", "--sample", "--home", home,
                                     "--quiet"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=REPO)
            with TreeMemory(proc.pid) as tree:
                _, err = proc.communicate()
            wall = time.perf_counter() - t0
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode != 0:
            raise SystemExit(f"cdpi run --sample failed\n{err[-3000:]}")
        if tree.peak_mb is not None:
            tree_mb.append(tree.peak_mb)
            processes = max(processes, tree.most_processes)
        runs_out.append(round(wall, 1))
        # CPU seconds (user + system) of the run: less sensitive than wall time to what else the machine runs.
        cpu_out.append(round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 1))
    # The high-water mark of the children waited for: the largest `cdpi run` (this process stays small).
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    base = floor()   # after the peak is read: its children must not count as a `cdpi run`
    base.update(collector())
    return {"archive": str(archive.relative_to(REPO)), "archive_mb": round(size / 1e6, 1), "records": records,
            "response_records": responses, "content_mb": round(content / 1e6, 1),
            "raw_read_s": round(raw_s, 2), "raw_records_per_s": round(records / raw_s),
            "raw_responses_per_s": round(responses / raw_s), "raw_mb_per_s": round(size / 1e6 / raw_s, 1),
            "raw_content_mb_per_s": round(content / 1e6 / raw_s, 1),
            "index_file_s": round(index_file_s, 2), "index_s": round(index_s, 3), "index_again_s": round(again_s, 4),
            "indexed_urls": len(index),
            "replayed_fetches": len(results), "replay_s": round(fetch_s, 2),
            "replay_fetches_per_s": round(len(results) / fetch_s), "replay_body_mb_per_s": round(body / 1e6 / fetch_s, 1),
            "replay_vs_raw": round(len(results) / fetch_s / (responses / raw_s), 2),
            "sample_run_wall_s": runs_out, "sample_run_cpu_s": cpu_out, "sample_run_peak_rss_mb": round(peak, 1),
            "sample_run_tree_pss_mb": round(max(tree_mb), 1) if tree_mb else None, "sample_run_processes": processes,
            **base}


def floor_child() -> dict:
    """What a run costs before it reads any data: the modules it imports (Dagster, pandas, pypdf,
    lxml...), the Great Expectations context its checks need, and DuckDB's code, touched by writing and
    reading a small Parquet file as the portal registry and the publish do. Run in a fresh process."""
    import os

    t0 = time.perf_counter()
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import duckdb

    import pipelines.definitions  # noqa: F401 - what the CLI loads before a run
    from expectations._context import _state

    _state()
    with tempfile.TemporaryDirectory() as tmp:
        con = duckdb.connect()
        con.execute(f"COPY (SELECT range AS a FROM range(10)) TO '{tmp}/t.parquet' (FORMAT PARQUET)")
        con.execute(f"SELECT * FROM read_parquet('{tmp}/t.parquet')").fetchdf()
        con.close()
    return {"floor_s": round(time.perf_counter() - t0, 2), "floor_rss_mb": round(peak_rss_kb() / 1024, 1)}


def floor(runs: int = 3) -> dict:
    """``floor_child`` in ``runs`` fresh processes: the least time and the peak RSS of the best run."""
    results = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--floor-child"], capture_output=True,
                             text=True, check=True, cwd=REPO)
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return min(results, key=lambda r: r["floor_s"])


def gc_child(tuned: bool, home: str) -> None:
    """`cdpi run --sample` through the command's own entry point, with the time the garbage collector
    takes summed by a callback; ``tuned`` False keeps Python's collector settings (pipelines/heap.py off).
    The figures are printed as JSON by an exit handler: ``entry`` ends the process right after those."""
    import atexit
    import gc

    import pipelines.cli as cli
    from pipelines import heap

    spent = {"collections": 0, "full": 0, "gc_s": 0.0}
    started = [0.0]

    def clock(phase: str, info: dict) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            spent["gc_s"] += time.perf_counter() - started[0]
            spent["collections"] += 1
            spent["full"] += info["generation"] == 2

    gc.callbacks.append(clock)
    if not tuned:
        heap.configure = lambda: None
    t0 = time.perf_counter()
    atexit.register(lambda: print(json.dumps({**spent, "gc_s": round(spent["gc_s"], 2),
                                              "wall_s": round(time.perf_counter() - t0, 1)})))
    sys.argv = ["cdpi", "run", "--sample", "--home", home, "--quiet"]
    cli.entry()


def collector(runs: int = 3) -> dict:
    """``gc_child`` with Python's settings and with the command's, ``runs`` each, interleaved (the
    machine's speed drifts over minutes): medians of the collector's seconds and of the wall time."""
    out: dict[str, list[dict]] = {"default": [], "tuned": []}
    for _ in range(runs):
        for mode in out:
            with tempfile.TemporaryDirectory() as home:
                proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--gc-child", mode, home],
                                      capture_output=True, text=True, check=True, cwd=REPO)
            out[mode].append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return {f"gc_{mode}_{key}": statistics.median(r[key] for r in rs)
            for mode, rs in out.items() for key in ("gc_s", "full", "wall_s")}


def write_replay(r: dict, command: str) -> None:
    facts = machine_facts()
    walls = r["sample_run_wall_s"]
    body = "\n".join([
        f"## {REPLAY_SECTION}", "",
        f"Command: `{command}`", "",
        machine_line(facts), "",
        f"The built-in sample archive ({r['archive']}, {r['archive_mb']} MB gzip, {r['records']:,} records, "
        f"{r['content_mb']} MB of record content). **Raw read**: warcio iterating every record and reading its "
        "content, nothing else: the bound for any replay. **Index** (offsets, not bodies): read from the file "
        "record by record, what the first replay of an archive does; then loaded from the index kept beside the "
        "archive (sources/http/replay_sidecar.py), what every later process does; then again in the same "
        "process, a cache hit. **Replay**: "
        f"the Fetcher in replay mode fetching each of the {r['replayed_fetches']:,} archived GET URLs once "
        "(robots.txt, redirects, the record read back by offset and decompressed), one thread.", "",
        "| raw read: records/s | raw: responses/s | raw: MB/s (gzip / content) | index s: file / kept (again) | "
        "replay: fetches/s | replay: body MB/s | replay / raw responses |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        f"| {r['raw_records_per_s']:,} | {r['raw_responses_per_s']:,} | {r['raw_mb_per_s']} / "
        f"{r['raw_content_mb_per_s']} | {r['index_file_s']} / {r['index_s']} ({r['index_again_s']}) | "
        f"{r['replay_fetches_per_s']:,} | "
        f"{r['replay_body_mb_per_s']} | {r['replay_vs_raw']} |", "",
        f"`cdpi run --sample --home <fresh> --quiet`, {len(walls)} runs: wall {min(walls)} s best, "
        f"{statistics.median(walls)} s median ({', '.join(map(str, walls))}); CPU (user + system) "
        f"{statistics.median(r['sample_run_cpu_s'])} s median ({', '.join(map(str, r['sample_run_cpu_s']))}), its "
        "page-reader process included; peak RSS of the `cdpi` process "
        f"{r['sample_run_peak_rss_mb']} MB (largest run)" + (
            f"; all its processes together (the reader, Dagster's helpers: {r['sample_run_processes']} at most), "
            f"sampled every 50 ms, at most {r['sample_run_tree_pss_mb']} MB PSS"
            if r.get("sample_run_tree_pss_mb") else "") +
        ". The machine is shared: wall times vary with its load, and the raw read speed above shows how fast it "
        "was that day.", "",
        f"**Floor**, before any data: a fresh process that only imports what a run imports, builds the Great "
        f"Expectations context and reads a Parquet file with DuckDB (`floor_child`, best of 3): "
        f"{r['floor_s']} s, peak RSS {r['floor_rss_mb']} MB. Whatever a run does with its data comes on top of "
        "this.", "",
        f"**Garbage collector** (pipelines/heap.py; 3 runs each way, interleaved, medians): with Python's "
        f"settings a run spends {r['gc_default_gc_s']} s in collections ({r['gc_default_full']:g} full ones), "
        f"wall {r['gc_default_wall_s']} s; with the command's (the run-long objects frozen, a youngest "
        f"generation of 7,000) {r['gc_tuned_gc_s']} s ({r['gc_tuned_full']:g} full), wall {r['gc_tuned_wall_s']} s.",
        ""])
    write_section(REPLAY_SECTION, body)
    write_json("replay", {"command": command, "machine": facts, **r})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cities", type=int, default=40)
    ap.add_argument("--latency-ms", default="50,150")
    ap.add_argument("--delay", type=float, default=1.0, help="politeness delay per host, seconds")
    ap.add_argument("--workers", type=int, default=16)
    ap.add_argument("--only", choices=["classify-crawl", "replay"], help="run one part only")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--floor-child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--gc-child", nargs=2, metavar=("MODE", "HOME"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.gc_child:
        gc_child(args.gc_child[0] == "tuned", args.gc_child[1])
        return
    if args.floor_child:
        print(json.dumps(floor_child()))
        return
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return
    if args.only != "classify-crawl":
        r = replay()
        print(f"replay: raw read {r['raw_responses_per_s']:,} responses/s, replay {r['replay_fetches_per_s']:,} "
              f"fetches/s; cdpi run --sample {r['sample_run_wall_s']} s, peak RSS {r['sample_run_peak_rss_mb']} MB",
              flush=True)
        write_replay(r, "python scripts/bench_evidence.py --only replay")
        if args.only == "replay":
            print("wrote docs/BENCHMARKS.md and docs/benchmarks.json")
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
