"""Screenshots of the outreach report for the docs: docs/img/report-overview.png, report-targets.png,
report-targets-filtered.png (filters taken from the address) and report-city-correction.png (a city page
with an attested correction: the sample is run, one correction recorded with `cdpi correct`, run again).

Builds the report of the built-in sample (or of an existing CDPI home with --home) into a temporary
folder and photographs it with Playwright driving the system Chromium (never a downloaded browser).
Only the top of each page is kept, at 1280 px wide, so the PNGs stay small.

    .venv/bin/python scripts/report_screenshots.py [--home DIR] [--out docs/img]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from warehouse.paths import WarehousePaths  # noqa: E402
from warehouse.report import build_report  # noqa: E402

WIDTH = 1280
#: (page, with its fragment: the targets page takes its filters from the address), file, height kept.
SHOTS = (("index.html", "report-overview.png", 1500), ("targets.html", "report-targets.png", 900),
         ("targets.html#certified=none&partner=no", "report-targets-filtered.png", 700))


def _sample_home(tmp: Path) -> Path:
    from pipelines.cli import main as cli

    home = tmp / "home"
    home.mkdir()
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    if cli(["run", "--sample", "--home", str(home), "--quiet"]) != 0:
        raise SystemExit("the sample run failed")
    import duckdb

    con = duckdb.connect(str(WarehousePaths(home).published), read_only=True)
    city, state, gaps = con.execute("SELECT city, state, top_gaps FROM marts.outreach_targets ORDER BY rank "
                                    "LIMIT 1").fetchone()
    con.close()
    criterion = json.loads(gaps)[0]["criterion_id"]
    if cli(["correct", f"{city}, {state}", criterion, "--met", "yes", "--by", "A. Staff Member",
            "--source", "https://www.example.gov/policy-shown-on-a-call", "--note", "shown on an outreach call",
            "--home", str(home)]) != 0 or cli(["run", "--sample", "--home", str(home), "--quiet"]) != 0:
        raise SystemExit("recording the correction or the second sample run failed")
    return home


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, help="CDPI home with a published warehouse (default: run the sample)")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "img")
    args = parser.parse_args(argv)
    chromium = shutil.which("chromium")
    if not chromium:
        raise SystemExit("chromium is not installed (Debian: apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        home = args.home or _sample_home(Path(tmp))
        site = Path(tmp) / "report"
        summary = build_report(WarehousePaths(home.resolve()), site)
        args.out.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": WIDTH, "height": 800})
            for source, target, height in SHOTS:
                name, _, fragment = source.partition("#")
                page.goto((site / name).as_uri() + (f"#{fragment}" if fragment else ""))
                page.reload()   # a fragment-only change does not reload; the filters apply on load
                page.screenshot(path=str(args.out / target), full_page=True,
                                clip={"x": 0, "y": 0, "width": WIDTH, "height": height})
                print(f"{args.out / target}  ({(args.out / target).stat().st_size // 1024} KiB)")
            attested = next((c for c in sorted((site / "cities").glob("*.html"))
                             if 'class="attested"' in c.read_text(encoding="utf-8")), None)
            if attested is not None:   # a city page with a correction: its note and the criteria table
                page.goto(attested.as_uri())
                target = args.out / "report-city-correction.png"
                # An element taller than the window is photographed in slices: a sticky heading would show
                # up in the middle of the picture, over a row. In a still picture it has nothing to do.
                page.eval_on_selector_all("table.data thead th", "cells => cells.forEach(c => c.style.position = 'static')")
                page.locator("table.criteria", has=page.locator("div.attested")).screenshot(path=str(target))
                print(f"{target}  ({target.stat().st_size // 1024} KiB)")
            browser.close()
    print(f"snapshot {summary.snapshot}, {summary.cities} cities, sample: {summary.is_sample}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
