"""The Dagster definitions load, validate, and carry what the UI needs."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import dagster as dg
import pytest

REPO = Path(__file__).resolve().parents[1]


def test_definitions_load_and_validate() -> None:
    from pipelines.definitions import defs

    dg.Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert {"census_places", "wikidata_websites", "cities", "cities_quarantine", "city_homepages",
            "published_warehouse"} <= keys
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.description, f"{key} needs a description"
        assert node.owners, f"{key} needs an owner"
        assert node.group_name != "default", f"{key} needs a group"
        assert node.kinds, f"{key} needs kinds (the UI's technology tags)"
    # Validation suites show up as asset checks beside the assets they guard.
    assert len(list(graph.asset_check_keys)) >= 6


def test_monthly_schedule_requests_the_month_just_ended() -> None:
    from pipelines.definitions import defs

    schedule = defs.resolve_schedule_def("monthly_refresh_schedule")
    ctx = dg.build_schedule_context(scheduled_execution_time=datetime(2026, 11, 2, 3, 0))
    requests = schedule.evaluate_tick(ctx).run_requests
    assert [r.partition_key for r in requests] == ["2026-10-01"]
    assert schedule.cron_schedule == "0 3 2 * *"
    assert schedule.execution_timezone == "UTC" and schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    # The UI shows when it runs, which month, and that it is off until turned on.
    text = schedule.description or ""
    assert "03:00 UTC on the 2nd" in text and "month just ended" in text
    assert "Off by default" in text and "dagster schedule start monthly_refresh_schedule" in text


def test_the_report_asset_says_it_builds_the_latest_snapshot_whatever_the_partition(
        sample_home: Path, tmp_path: Path) -> None:
    """A backfill of an older month rebuilds the latest snapshot's report: the description says so, and so
    does the materialization's metadata (partition, snapshot, and which one it shows)."""
    import shutil

    from assets.report import outreach_report
    from pipelines.resources import WarehouseResource
    from warehouse.paths import WarehousePaths
    from warehouse.read import connect_published

    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(WarehousePaths(sample_home).published, WarehousePaths(home).published)
    con = connect_published(WarehousePaths(home))
    try:
        (latest,) = con.execute("SELECT strftime(max(snapshot), '%Y-%m') FROM ops.runs").fetchone()
    finally:
        con.close()
    description = " ".join((outreach_report.specs_by_key[dg.AssetKey("outreach_report")].description or "").split())
    assert "latest snapshot" in description and "for this run's snapshot" not in description
    assert "backfill of an older month rebuilds the latest snapshot's report" in description
    older = "2025-01"
    result = dg.materialize([outreach_report], resources={"warehouse": WarehouseResource(home=str(home))},
                            partition_key=f"{older}-01", instance=dg.DagsterInstance.ephemeral())
    [event] = result.asset_materializations_for_node("outreach_report")
    meta = {k: v.value for k, v in event.metadata.items()}
    assert meta["snapshot"] == latest != older and meta["partition"] == older
    assert meta["shows"].startswith(f"the latest snapshot, {latest}, not this partition's month {older}")


@pytest.mark.slow
def test_dagster_cli_validates_definitions(tmp_path: Path) -> None:
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {**os.environ, "DAGSTER_HOME": str(home), "CDPI_HOME": str(tmp_path / "cdpi")}
    exe = Path(sys.executable).with_name("dagster")
    proc = subprocess.run([str(exe), "definitions", "validate", "-m", "pipelines.definitions"], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_each_blocking_check_says_it_blocks_and_what_it_checks() -> None:
    """The six suite checks' descriptions in the UI: blocking, the suite, the table, the table facts."""
    from pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    specs = {key.name: graph.get_check_spec(key) for key in graph.asset_check_keys}
    assert {"cities_suite", "portal_probes_suite", "portals_suite", "portal_datasets_suite", "crawl_pages_suite",
            "evidence_suite"} <= set(specs)
    for name, spec in specs.items():
        if not name.endswith("_suite"):
            continue
        assert spec.blocking, name
        text = spec.description
        assert text.startswith("Blocking: a failure stops the run before the publish"), name
        assert f"expectations/suites/{name.removesuffix('_suite')}.json" in text
        assert "row rules" in text and "at most 5% of its rows quarantined" in text
    assert "unique (geoid, portal_host)" in specs["portals_suite"].description
    assert "marts.portals" in specs["portals_suite"].description


def test_a_check_result_carries_rows_checked_quarantined_share_and_limit() -> None:
    """The check's metadata answers "how close was this to stopping the publish" without a query."""
    from assets.validation import check_result
    from expectations.runner import ValidationReport

    report = ValidationReport(suite="cities", success=True, evaluated=16, successful=16, success_percent=100.0,
                              failures=[], rows=95, parameters={}, rows_in=100, quarantined_rows=5,
                              max_quarantined_share=0.05)
    meta = check_result(report, asset="cities", check_name="cities_suite").metadata
    assert meta["rows_checked"].value == 100 and meta["rows_quarantined"].value == 5
    assert meta["quarantined_share"].value == pytest.approx(0.05)
    assert meta["max_quarantined_share"].value == pytest.approx(0.05)
