"""Benchmark: read and profile the largest simulated catalogs through the real client code path.

For each platform, one synthetic city gets a catalog of N datasets on the simulated web (served from a
separate process, so its memory does not count); a child process then runs exactly what the pipeline
runs per portal (``discover``: probe, page with the platform's own paging, describe the site) and
``profile``. Reported per platform: requests, bytes, wall time, and the child's peak RSS, both in
total and above the interpreter-with-imports baseline. Results go to docs/BENCHMARKS.md (section
"Portal catalogs") and docs/benchmarks.json (key "portal_catalogs").

    python scripts/bench_portals.py [--datasets 50000] [--platforms socrata,ckan,arcgis_hub,dcat,opendatasoft]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from scripts.benchlib import (  # noqa: E402
    DOCS,
    JSON_OUT,
    machine_facts,
    machine_line,
    peak_rss_kb,
    write_json,
    write_section,
)

SECTION = "Portal catalogs"
#: OpenDataSoft's Explore API serves at most 10,000 results per query (offset + limit), as the real one.
ODS_CAP = 10_000


def child(platform: str, host: str, resolve: dict) -> dict:
    """Runs in the measured process: the pipeline's per-portal work, nothing else."""
    from sources.http.config import FetcherConfig
    from sources.http.fetcher import Fetcher
    from sources.portals.discovery import discover
    from sources.portals.profile import profile

    base_kb = peak_rss_kb()
    cfg = FetcherConfig(resolve=resolve, allow_addresses=("127.0.0.1",), min_delay_s=0.0, read_timeout_s=120.0)
    with tempfile.TemporaryDirectory() as tmp, Fetcher(cfg, run_dir=Path(tmp)) as f:
        t0 = time.perf_counter()
        result = discover(f, host, platform)
        t1 = time.perf_counter()
        metrics = profile(result.records, as_of=datetime(2026, 10, 31, tzinfo=UTC),
                          reported_total=result.reported_total)
        t2 = time.perf_counter()
        log = [json.loads(line) for p in Path(tmp).rglob("*.jsonl") for line in p.read_text().splitlines()]
    peak_kb = peak_rss_kb()
    return {"platform": platform, "outcome": result.outcome, "paging": result.paging,
            "datasets": metrics["dataset_count"], "requests": len(log),
            "bytes": sum(int(r.get("bytes") or 0) for r in log),
            "fetch_and_parse_s": round(t1 - t0, 2), "profile_s": round(t2 - t1, 2), "wall_s": round(t2 - t0, 2),
            "peak_rss_mb": round(peak_kb / 1024, 1), "rss_above_baseline_mb": round((peak_kb - base_kb) / 1024, 1)}


def run(datasets: int, platforms: list[str]) -> list[dict]:
    from tests.simweb.population import build_population
    from tests.simweb.server import SimWeb

    population = build_population(60, seed=11)
    chosen = {}
    for p in platforms:
        city = next(c for c in population.cities if c.platform == p and c not in chosen.values())
        city.n_datasets = min(datasets, ODS_CAP) if p == "opendatasoft" else datasets
        chosen[p] = city
    rows = []
    with SimWeb(population) as sim:
        resolve = {k: v for k, v in sim.resolve_map().items() if v}
        for p, city in chosen.items():
            args = json.dumps({"platform": p, "host": city.portal_host, "resolve": resolve})
            out = subprocess.run([sys.executable, __file__, "--child", args], capture_output=True, text=True,
                                 check=False, cwd=REPO)
            if out.returncode != 0:
                raise SystemExit(f"{p}: benchmark child failed\n{out.stderr[-2000:]}")
            row = json.loads(out.stdout.strip().splitlines()[-1])
            if row["datasets"] != city.n_datasets:
                raise SystemExit(f"{p}: read {row['datasets']} of {city.n_datasets} datasets ({row['outcome']})")
            rows.append(row)
            print(f"{p:13} {row['datasets']:>7,} datasets  {row['requests']:>4} requests  "
                  f"{row['bytes'] / 1e6:7.1f} MB  {row['wall_s']:6.2f} s  peak RSS {row['peak_rss_mb']:6.1f} MB "
                  f"(+{row['rss_above_baseline_mb']:.1f} MB over baseline)", flush=True)
    return rows


def write(rows: list[dict], command: str) -> None:
    facts = machine_facts()
    table = ["| platform | datasets | paging | requests | MB transferred | wall s (fetch+parse / profile) "
             "| peak RSS MB | RSS above baseline MB |", "|---|---:|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        table.append(f"| {r['platform']} | {r['datasets']:,} | {r['paging']} | {r['requests']} | "
                     f"{r['bytes'] / 1e6:.1f} | {r['wall_s']:.2f} ({r['fetch_and_parse_s']:.2f} / {r['profile_s']:.2f}) | "
                     f"{r['peak_rss_mb']:.1f} | {r['rss_above_baseline_mb']:.1f} |")
    body = "\n".join([
        f"## {SECTION}", "",
        f"Command: `{command}`", "",
        machine_line(facts), "",
        "One synthetic portal per platform with the catalog size shown, served by the simulated web on "
        "127.0.0.1 in its own process with no added latency and no politeness delay, so the figures are "
        "the client's own cost: probe, every catalog page with the platform's paging, the home page title "
        "(and CKAN status_show), parsing, and profiling. OpenDataSoft is capped at 10,000 datasets because "
        "its Explore API serves no more per query. Peak RSS is the measured process's high-water mark; "
        "\"above baseline\" subtracts the interpreter with its imports. On the live web the per-host "
        "politeness delay (1 s by default) adds about a second per request, which dominates for paged APIs.", "",
        *table, ""])
    write_section(SECTION, body)
    write_json("portal_catalogs", {"command": command, "machine": facts, "results": rows})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", type=int, default=50_000)
    ap.add_argument("--platforms", default="socrata,ckan,arcgis_hub,dcat,opendatasoft")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        spec = json.loads(args.child)
        print(json.dumps(child(spec["platform"], spec["host"], spec["resolve"])))
        return
    rows = run(args.datasets, [p.strip() for p in args.platforms.split(",") if p.strip()])
    write(rows, f"python scripts/bench_portals.py --datasets {args.datasets} --platforms {args.platforms}")
    print(f"wrote {DOCS.relative_to(REPO)} and {JSON_OUT.relative_to(REPO)}")


if __name__ == "__main__":
    main()
