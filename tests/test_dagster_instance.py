"""Every `cdpi run` is recorded in the home's Dagster instance ($CDPI_HOME/dagster), the one `cdpi dev` shows,
and the terminal stays quiet: Dagster's and third-party log records go to the run's log file."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

from pipelines.cli import main as cli
from pipelines.instance import DAGSTER_YAML, prepare_dagster_home, run_instance, settle_abandoned_runs
from warehouse.paths import WarehousePaths
from warehouse.read import connect_published

REPO = Path(__file__).resolve().parents[1]
#: Assets whose value is not a table (files on disk): no row count or schema to report.
NOT_TABLES = {"snapshot_exports", "outreach_report"}
SUITE_CHECKS = {"cities_suite", "portal_probes_suite", "portals_suite", "portal_datasets_suite",
                "crawl_pages_suite", "evidence_suite"}


def _instance(home: Path) -> dg.DagsterInstance:
    return dg.DagsterInstance.from_config(str(WarehousePaths(home).dagster_home))


def _published_run(home: Path) -> tuple[str, str, int]:
    con = connect_published(WarehousePaths(home))
    try:
        run_id, snapshot = con.execute("SELECT run_id, strftime(snapshot, '%Y-%m-%d') FROM ops.runs "
                                       "ORDER BY finished_at DESC LIMIT 1").fetchone()
        cities = con.execute("SELECT count(*) FROM staging.cities WHERE run_id = ?", [run_id]).fetchone()[0]
    finally:
        con.close()
    return run_id, snapshot, cities


def test_a_cli_run_is_in_the_homes_dagster_instance_with_partition_checks_and_metadata(sample_home: Path) -> None:
    run_id, partition, cities = _published_run(sample_home)
    with _instance(sample_home) as instance:
        record = instance.get_run_record_by_id(run_id)
        assert record is not None, "the published run is not in the home's Dagster instance"
        run = record.dagster_run
        assert run.status == dg.DagsterRunStatus.SUCCESS
        assert run.job_name == "monthly_refresh", "CLI runs are runs of the job the schedule runs"
        assert run.tags["dagster/partition"] == partition and run.tags["cdpi/mode"] == "sample"

        from pipelines.definitions import defs

        keys = defs.resolve_asset_graph().get_all_asset_keys()
        for key in keys:
            [materialization] = [r.asset_materialization for r in
                                 instance.fetch_materializations(key, limit=1).records]
            assert materialization.partition == partition, key
            meta = materialization.metadata
            if key.to_user_string() in NOT_TABLES:
                continue
            assert isinstance(meta.get("dagster/row_count"), dg.IntMetadataValue), f"{key} has no row count"
        cities_meta = instance.fetch_materializations(dg.AssetKey("cities"), limit=1).records[0] \
            .asset_materialization.metadata
        assert cities_meta["dagster/row_count"].value == cities
        schema = cities_meta["dagster/column_schema"].value
        assert isinstance(schema, dg.TableSchema)
        assert {"geoid", "name", "website_url"} <= {c.name for c in schema.columns}
        assert "| geoid |" in cities_meta["preview"].value

        # Progress reached Dagster: milestone log events while the crawl ran, figures on the materialization.
        messages = [e.user_message for e in instance.all_logs(run_id) if e.step_key == "website_crawl_shard_0"]
        milestones = [m for m in messages if m.startswith("website crawl: ")]
        assert 2 <= len(milestones) <= 11, messages
        assert milestones[-1].startswith(f"website crawl: {cities_with_site(sample_home)}/")
        crawl_meta = instance.fetch_materializations(dg.AssetKey("website_crawl_shard_0"), limit=1).records[0] \
            .asset_materialization.metadata
        assert crawl_meta["requests"].value >= crawl_meta["dagster/row_count"].value > 0
        assert crawl_meta["cities_done"].value == crawl_meta["cities_total"].value > 0
        # cdpi run reads pages in worker processes where there is a CPU to spare (sources/evidence/reading.py).
        from sources.evidence.reading import auto_processes

        assert crawl_meta["reader_processes"].value == auto_processes()

        evaluations = [e.dagster_event.event_specific_data for e in
                       instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)]
        assert {e.check_name for e in evaluations} == SUITE_CHECKS
        assert all(e.passed for e in evaluations)


def cities_with_site(home: Path) -> int:
    con = connect_published(WarehousePaths(home))
    try:
        return con.execute("SELECT count(*) FROM marts.cities_latest WHERE website_url IS NOT NULL "
                           "AND website_url <> ''").fetchone()[0]
    finally:
        con.close()


def test_dagster_yaml_is_written_once_and_user_edits_are_kept(tmp_path: Path) -> None:
    paths = WarehousePaths(tmp_path)
    home = prepare_dagster_home(paths)
    assert home == tmp_path / "dagster" and (home / "dagster.yaml").read_text() == DAGSTER_YAML
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert not instance.nux_enabled, "the UI's sign-up pop-up stays off"
        assert not instance.telemetry_enabled
    edited = DAGSTER_YAML.replace("max_concurrent_runs: 1", "max_concurrent_runs: 3")
    (home / "dagster.yaml").write_text(edited)
    assert prepare_dagster_home(paths) == home
    assert (home / "dagster.yaml").read_text() == edited


def test_a_legacy_dagster_home_folder_is_moved_into_place(tmp_path: Path) -> None:
    legacy = tmp_path / "dagster_home"
    (legacy / "history").mkdir(parents=True)
    (legacy / "history" / "runs.db").write_bytes(b"kept")
    # What earlier `cdpi dev` wrote on every start: nobody edited it, so it gets the current settings.
    (legacy / "dagster.yaml").write_text("telemetry:\n  enabled: false\nconcurrency:\n  runs:\n"
                                         "    max_concurrent_runs: 1\n")
    home = prepare_dagster_home(WarehousePaths(tmp_path))
    assert not legacy.exists() and (home / "history" / "runs.db").read_bytes() == b"kept"
    assert (home / "dagster.yaml").read_text() == DAGSTER_YAML


def test_cdpi_dev_serves_the_same_instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`cdpi dev` points DAGSTER_HOME at the instance `cdpi run` records into (the server is not started)."""
    seen: dict = {}

    def fake_exec(file: str, argv: list[str], env: dict) -> None:
        seen.update(argv=argv, env=env)

    monkeypatch.setattr(os, "execvpe", fake_exec)
    (tmp_path / "dagster").mkdir()
    (tmp_path / "dagster" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")   # a user's own file
    assert cli(["dev", "--home", str(tmp_path), "--port", "3999"]) == 0
    assert seen["env"]["DAGSTER_HOME"] == str(tmp_path / "dagster")
    assert seen["env"]["CDPI_HOME"] == str(tmp_path)
    assert seen["argv"][-2:] == ["--port", "3999"]
    assert (tmp_path / "dagster" / "dagster.yaml").read_text() == "telemetry:\n  enabled: false\n"


@pytest.mark.slow
def test_a_sample_run_keeps_the_terminal_quiet_and_logs_to_the_run_folder(tmp_path: Path) -> None:
    """In a fresh process, progress on: no pypdf warnings, no Dagster log lines on the terminal; they are in
    runs/<run_id>/run.log, and the run is in the home's Dagster instance."""
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CDPI_", "DAGSTER_"))}
    proc = subprocess.run([str(Path(sys.executable).with_name("cdpi")), "run", "--sample", "--home", str(home)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    terminal = proc.stdout + proc.stderr
    assert "EOF marker not found" not in terminal
    assert "__ephemeral_asset_job__" not in terminal and "monthly_refresh -" not in terminal
    assert not [line for line in terminal.splitlines() if "WARNING" in line or "Warning:" in line], terminal
    # Piped, so plain progress: one line per finished step, a closing line per long stage.
    lines = proc.stderr.splitlines()
    for step in ("census_places", "city_homepages", "website_crawl_shard_0", "city_portals",
                 "readiness_index", "published_warehouse"):
        assert any(line.split()[:2] == ["done", step] for line in lines), (step, proc.stderr)
    for stage in ("home pages: ", "website crawl: ", "portal hosts: "):
        assert any(line.strip().startswith(stage) and " requests (" in line for line in lines), (stage, proc.stderr)
    run_id, _, _ = _published_run(home)
    log = WarehousePaths(home).run_log(run_id)
    assert str(log) in proc.stdout, "the summary names the run's log file"
    assert "cdpi report" in proc.stdout and str(home / "report" / "index.html") in proc.stdout
    text = log.read_text(encoding="utf-8")
    assert "pypdf" in text and "EOF marker not found" in text
    assert "STEP_SUCCESS" in text and "RUN_SUCCESS" in text, "Dagster's events of the run are in the file"
    with _instance(home) as instance:
        assert instance.get_run_record_by_id(run_id).dagster_run.status == dg.DagsterRunStatus.SUCCESS


@pytest.mark.slow
def test_a_killed_run_is_marked_failed_by_the_next_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """kill -9 in the middle of a run: Dagster alone would list it as started forever. The next `cdpi run`
    in the home finds its process gone, marks it failed and records it in ops.run_failures."""
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CDPI_", "DAGSTER_"))}
    proc = subprocess.Popen([str(Path(sys.executable).with_name("cdpi")), "run", "--sample", "--home", str(home),
                             "--quiet"], cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 300
        started = None
        while started is None and time.monotonic() < deadline:
            time.sleep(0.5)
            db = home / "dagster" / "history" / "runs.db"
            if db.exists():
                # Read the run storage read-only: opening a DagsterInstance here would race the run's own
                # creation and migration of its tables (duplicate tables, two alembic heads).
                try:
                    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as con:
                        row = con.execute("SELECT run_id FROM runs WHERE status = 'STARTED'").fetchone()
                        started = row[0] if row else None
                except sqlite3.Error:
                    continue   # the run is still creating its tables: look again
        assert started, "the run never showed as started"
        proc.kill()
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    with _instance(home) as instance:
        assert instance.get_run_by_id(started).status == dg.DagsterRunStatus.STARTED, "killed: nobody ended it"
    # The next run, through the CLI: one line about it, the failure recorded, then its own run.
    assert cli(["run", "--sample", "--home", str(home), "--quiet", "--limit", "3"]) == 0
    assert f"run {started} was left unfinished" in capsys.readouterr().err
    with run_instance(WarehousePaths(home)) as instance:
        assert instance.get_run_by_id(started).status == dg.DagsterRunStatus.FAILURE
        assert settle_abandoned_runs(instance) == [], "settled once"
    con = connect_published(WarehousePaths(home))
    try:
        assert con.execute("SELECT count(*) FROM ops.run_failures WHERE run_id = ?", [started]).fetchone()[0] == 1
    finally:
        con.close()


def test_an_abandoned_run_is_recorded_in_the_warehouse_before_dagster_is_told(tmp_path: Path) -> None:
    """Settling a run a killed process left open writes its ops.run_failures row first. A kill between the
    two (here: the record raising) leaves the run open, so the next settling records it; a run already
    recorded is not recorded twice."""
    import socket

    from pipelines.instance import HOST_TAG, PID_TAG
    from warehouse.publish import record_run_failure

    home = tmp_path / "home"
    paths = WarehousePaths(home)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    with run_instance(paths) as instance:
        run = instance.add_run(dg.DagsterRun(job_name="monthly_refresh", run_id="abandoned-1",
                                             status=dg.DagsterRunStatus.STARTED,
                                             tags={PID_TAG: str(gone.pid), HOST_TAG: socket.gethostname()}))

        def killed(run_id: str) -> None:
            raise KeyboardInterrupt("killed while recording")

        with pytest.raises(KeyboardInterrupt):
            settle_abandoned_runs(instance, record_failure=killed)
        assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.STARTED, "still open: no record"

        def record(run_id: str) -> None:
            for _ in range(2):          # a record written twice (a settling interrupted after it) counts once
                record_run_failure(paths, run_id, "cdpi run", None, "killed", once=True)

        assert settle_abandoned_runs(instance, record_failure=record) == [run.run_id]
        assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.FAILURE
        assert settle_abandoned_runs(instance, record_failure=record) == []
    con = connect_published(paths)
    try:
        assert con.execute("SELECT count(*) FROM ops.run_failures WHERE run_id = 'abandoned-1'").fetchone()[0] == 1
    finally:
        con.close()


def test_the_publish_materialization_counts_this_run_and_describes_the_main_marts(sample_home: Path) -> None:
    """What the UI shows on published_warehouse: runs in history counting this run, the rows this run added
    to every table (the marts and ops tables the publish writes itself too), and the main marts' columns with
    the descriptions the warehouse carries."""
    run_id, _, _ = _published_run(sample_home)
    con = connect_published(WarehousePaths(sample_home))
    try:
        runs = con.execute("SELECT count(*) FROM ops.runs").fetchone()[0]
        added = {t: con.execute(f"SELECT count(*) FROM {t} WHERE run_id = ?", [run_id]).fetchone()[0]
                 for t in ("marts.cities", "marts.city_changes", "ops.fetch_log", "ops.runs", "ops.run_failures")}
        comment = con.execute("SELECT comment FROM duckdb_columns() WHERE database_name = current_database() "
                              "AND schema_name = 'marts' AND table_name = 'city_index' "
                              "AND column_name = 'expected_points'").fetchone()[0]
    finally:
        con.close()
    with _instance(sample_home) as instance:
        meta = instance.fetch_materializations(dg.AssetKey("published_warehouse"), limit=1).records[0] \
            .asset_materialization.metadata
    assert meta["runs_in_history"].value == runs >= 1
    table = meta["tables"].value
    for name, rows in added.items():
        assert f"| {name} | {rows} |" in table, name
    assert added["marts.cities"] > 0 and added["ops.runs"] == 1 and added["ops.fetch_log"] > 0
    assert meta["dagster/row_count"].value >= sum(added.values())
    schema = meta["columns of marts.city_index"].value
    assert isinstance(schema, dg.TableSchema)
    described = {c.name: c.description for c in schema.columns}
    assert described["expected_points"] == comment and comment
    assert all(described.values()), "every mart column has a COMMENT ON"
    assert {"columns of marts.cities", "columns of marts.portals", "columns of marts.evidence",
            "columns of marts.city_changes"} <= set(meta)


def test_a_failed_run_whose_record_could_not_be_written_is_recorded_by_the_next(tmp_path: Path) -> None:
    """A `cdpi run` that failed, and whose ops.run_failures row could not be written then (a full disk), stays
    tagged unrecorded: the next run writes the row once and tags it. Runs without the tag (from before it
    existed) and runs already recorded are left alone."""
    import socket

    from pipelines.instance import FAILURE_RECORDED_TAG, HOST_TAG, settle_unrecorded_failures

    paths = WarehousePaths(tmp_path / "home")
    recorded: list[str] = []
    with run_instance(paths) as instance:
        for run_id, tags in (("unrecorded", {FAILURE_RECORDED_TAG: "no"}), ("recorded", {FAILURE_RECORDED_TAG: "yes"}),
                             ("older", {})):
            instance.add_run(dg.DagsterRun(job_name="monthly_refresh", run_id=run_id,
                                           status=dg.DagsterRunStatus.FAILURE,
                                           tags={HOST_TAG: socket.gethostname(), **tags}))
        assert settle_unrecorded_failures(instance, record_failure=recorded.append) == ["unrecorded"]
        assert instance.get_run_by_id("unrecorded").tags[FAILURE_RECORDED_TAG] == "yes"
        assert settle_unrecorded_failures(instance, record_failure=recorded.append) == []
    assert recorded == ["unrecorded"]
