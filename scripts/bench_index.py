"""Benchmark: score N synthetic cities and build the warehouse, in a measured child process.

The child builds signals for N cities (a seeded mix: some with portals and much website evidence, most
with little), runs the index exactly as the asset does (criterion probabilities, exact tier odds, gaps)
and publishes the index tables into a fresh warehouse with the pipeline's own ``publish_run``. Reported:
seconds for scoring and for the warehouse build, and the child's peak RSS. Goal: <= 10 s and <= 1 GB
for 20,000 cities. Results go to docs/BENCHMARKS.md (section "Index") and docs/benchmarks.json ("index").

    python scripts/bench_index.py [--cities 20000]
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

from scripts.benchlib import machine_facts, machine_line, peak_rss_kb, write_json, write_section  # noqa: E402

SECTION = "Index"


def child(n: int) -> dict:
    import numpy as np
    import pandas as pd

    from warehouse.index.scoring import Model, catalog_rows, score, signal_rows
    from warehouse.index.signals import SIGNALS
    from warehouse.paths import WarehousePaths
    from warehouse.publish import RunRecord, publish_run

    rng = np.random.default_rng(2026)
    geoids = [f"{k:07d}" for k in range(n)]
    cities = pd.DataFrame({"geoid": geoids, "name": [f"City {k}" for k in range(n)],
                           "state_abbr": rng.choice(["OH", "TX", "CA", "NY", "FL"], n),
                           "population": (30_000 * (1 + rng.lognormal(0, 1, n))).astype(int)})
    maturity = rng.beta(1.2, 3.0, n)[:, None]                     # most cities do little, a few do much
    values = np.where(rng.random((n, len(SIGNALS))) < maturity, rng.uniform(0.5, 1.0, (n, len(SIGNALS))), 0.0)
    idx = pd.Index(geoids, name="geoid")
    vals = pd.DataFrame(values, index=idx, columns=list(SIGNALS))
    observed = pd.DataFrame(rng.random((n, len(SIGNALS))) > 0.05, index=idx, columns=list(SIGNALS))
    source = pd.DataFrame("", index=idx, columns=list(SIGNALS))
    t0 = time.perf_counter()
    model = Model()
    crit, index = score(cities, vals, observed, model)
    signals = signal_rows(vals, observed, source)
    criteria, weights = catalog_rows(model)
    t1 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        paths = WarehousePaths(Path(tmp))
        record = RunRecord(run_id="bench", snapshot=datetime(2026, 10, 1), mode="sample", is_sample=True,
                           started_at=datetime.now(UTC))
        publish_run(paths, record, {"staging.city_signals": signals, "marts.criteria": criteria,
                                    "marts.criterion_signal_weights": weights, "marts.criterion_scores": crit,
                                    "marts.city_index": index}, [])
        size_mb = (paths.home / "warehouse.duckdb").stat().st_size / 1e6
    t2 = time.perf_counter()
    return {"cities": n, "criterion_rows": len(crit), "signal_rows": len(signals),
            "score_s": round(t1 - t0, 2), "warehouse_s": round(t2 - t1, 2), "total_s": round(t2 - t0, 2),
            "warehouse_mb": round(size_mb, 1), "peak_rss_mb": round(peak_rss_kb() / 1024, 1),
            "tiers": index["predicted_tier"].value_counts().to_dict()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cities", type=int, default=20_000)
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child)))
        return
    out = subprocess.run([sys.executable, __file__, "--child", str(args.cities)], capture_output=True, text=True,
                         check=False, cwd=REPO)
    if out.returncode != 0:
        raise SystemExit(f"index benchmark child failed\n{out.stderr[-3000:]}")
    r = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"{r['cities']:,} cities: scoring {r['score_s']} s, warehouse {r['warehouse_s']} s, total {r['total_s']} s, "
          f"peak RSS {r['peak_rss_mb']} MB")
    facts = machine_facts()
    command = f"python scripts/bench_index.py --cities {args.cities}"
    body = "\n".join([
        f"## {SECTION}", "", f"Command: `{command}`", "", machine_line(facts), "",
        "Synthetic signals for each city (a seeded mix: most cities show little, a few much), then exactly "
        "what the `readiness_index` asset does (criterion probabilities, exact tier odds with prerequisites "
        "and core criteria, top gaps) and the pipeline's `publish_run` into a fresh warehouse, in one "
        "measured process. Goal: scoring + warehouse build <= 10 s and <= 1 GB peak for 20,000 cities.", "",
        "| cities | criterion rows | scoring s | warehouse build s | total s | warehouse MB | peak RSS MB |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        f"| {r['cities']:,} | {r['criterion_rows']:,} | {r['score_s']} | {r['warehouse_s']} | {r['total_s']} | "
        f"{r['warehouse_mb']} | {r['peak_rss_mb']} |", "",
        f"Predicted tiers in this synthetic mix: {', '.join(f'{k} {v:,}' for k, v in r['tiers'].items())}.", ""])
    write_section(SECTION, body)
    write_json("index", {"command": command, "machine": facts, "results": r})
    print("wrote docs/BENCHMARKS.md and docs/benchmarks.json")


if __name__ == "__main__":
    main()
