"""Great Expectations Data Docs: each run's validation results rendered by GX, offline, linked from the
report, `cdpi runs` and the Dagster checks."""

from __future__ import annotations

import json
import re
from pathlib import Path

import dagster as dg
import pandas as pd

from expectations.docs import render_page, write_page
from expectations.runner import quarantine, validate, validate_output
from pipelines.cli import main as cli
from warehouse.paths import DATA_DOCS, WarehousePaths
from warehouse.read import connect_published

PARAMS = {"min_population": 30_000}
SUITES = {"cities", "portal_probes", "portals", "portal_datasets", "crawl_pages", "evidence"}


def _frame() -> pd.DataFrame:
    return pd.DataFrame({"geoid": ["0100100", "01ABC"], "name": ["Alder", None], "population": [40_000, 50_000],
                         "state_fips": ["01", "01"], "state_abbr": ["AL", "AL"], "website_match": ["fips", "none"],
                         "website_url": ["https://alder.example/", None]})


def test_a_page_is_gx_rendered_offline_with_cdpis_table_checks_on_top(tmp_path: Path) -> None:
    report = validate(_frame(), "cities", parameters=PARAMS)
    page = render_page(report)
    assert "values must match this regular expression" in page and "01ABC" in page, "GX's own wording"
    assert not re.search(r'<(?:script|link|img)\b[^>]*(?:src|href)="https?://', page), "nothing fetched from a CDN"
    assert 'id="cdpi-table-facts"' not in page, "no table-level failure, no banner"
    hrefs = set(re.findall(r'\bhref="([^"#][^"]*)"', page))
    assert hrefs == {"index.html"}, f"every link leads to a page of the folder: {hrefs}"
    assert ">cities</a>" not in page and "Expectation Suite:</span> cities" in page
    # Every row set aside: the suite on the kept rows alone would pass; cdpi's table check fails, on top.
    clean, bad = quarantine(_frame(), "cities", key_columns=["geoid"], parameters=PARAMS)
    failing = validate_output(clean.iloc[0:0], "cities", quarantined=bad, rows_in=2, parameters=PARAMS)
    assert not failing.success
    banner = render_page(failing).split('id="cdpi-table-facts"')[1]
    assert "expect_quarantined_share_to_be_at_most" in banner and "expect_table_to_not_be_empty" in banner
    # One GX page view serves every page of the process: nothing of the failing page carries over.
    again = render_page(report)
    assert 'id="cdpi-table-facts"' not in again and "01ABC" in again and "expect_table_to_not_be_empty" not in again
    written = write_page(failing, tmp_path / "docs")
    index = (tmp_path / "docs" / "index.html").read_text(encoding="utf-8")
    assert written.name == "cities.html" and 'href="cities.html"' in index and "FAILED" in index
    assert json.loads((tmp_path / "docs" / "cities.json").read_text())["success"] is False


def test_every_run_leaves_data_docs_linked_from_checks_report_and_runs(sample_home: Path, capsys) -> None:
    paths = WarehousePaths(sample_home)
    con = connect_published(paths)
    try:
        run_id = con.execute("SELECT run_id FROM ops.latest_run").fetchone()[0]
    finally:
        con.close()
    docs = paths.run_dir(run_id) / DATA_DOCS
    assert {p.stem for p in docs.glob("*.html")} == SUITES | {"index"}
    index = (docs / "index.html").read_text(encoding="utf-8")
    assert all(f'href="{s}.html"' in index for s in SUITES) and "FAILED" not in index
    # The Dagster check of each suite points at its page.
    with dg.DagsterInstance.from_config(str(paths.dagster_home)) as instance:
        evaluations = [e.dagster_event.event_specific_data for e in
                       instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)]
    pages = {e.check_name: e.metadata["data_docs"].value for e in evaluations}
    assert pages == {f"{s}_suite": str(docs / f"{s}.html") for s in SUITES}
    # The report carries a copy and links it from every page's footer; `cdpi runs` names the folder.
    report = paths.home / "report"
    assert (report / "data-docs" / "cities.html").exists()
    assert 'href="data-docs/index.html"' in (report / "index.html").read_text(encoding="utf-8")
    capsys.readouterr()
    assert cli(["runs", "--home", str(sample_home), "--format", "csv"]) == 0
    assert str(docs / "index.html") in capsys.readouterr().out
