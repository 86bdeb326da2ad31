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
