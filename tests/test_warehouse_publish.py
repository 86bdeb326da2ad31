"""Atomic publish: history carried forward, readers never blocked, killed builds leave no trace."""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.publish_support import city_row
from warehouse.paths import WarehousePaths
from warehouse.publish import PublishSummary, RunRecord, WarehouseError, publish_run, record_run_failure
from warehouse.read import connect_published

REPO = Path(__file__).resolve().parents[1]


def _city(geoid: str, name: str, population: int) -> dict:
    return city_row(geoid, name, population, is_sample=True)


def _publish(paths: WarehousePaths, run_id: str, month: str, cities: list[dict]) -> PublishSummary:
    record = RunRecord(run_id=run_id, snapshot=datetime.fromisoformat(month), mode="sample", is_sample=True,
                       started_at=datetime.now(UTC))
    frames = {"staging.cities": pd.DataFrame(cities)}
    log = [{"run_id": run_id, "url": "https://www.a.example/", "host": "www.a.example", "outcome": "ok",
            "status": 200, "bytes": 10, "attempts": 1}]
    return publish_run(paths, record, frames, log)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_history_is_appended_and_latest_view_follows_last_run(home: Path) -> None:
    paths = WarehousePaths(home)
    _publish(paths, "run-1", "2026-09-01", [_city("3900001", "Alpha", 40_000)])
    _publish(paths, "run-2", "2026-10-01", [_city("3900001", "Alpha", 41_000), _city("3900002", "Beta", 50_000)])
    con = connect_published(paths)
    try:
        assert con.execute("SELECT count(*) FROM marts.cities").fetchone()[0] == 3
        assert con.execute("SELECT count(*) FROM ops.runs").fetchone()[0] == 2
        latest = con.execute("SELECT geoid, population FROM marts.cities_latest ORDER BY geoid").fetchall()
        assert latest == [("3900001", 41_000), ("3900002", 50_000)]
        snap = con.execute("SELECT typeof(snapshot) FROM marts.cities LIMIT 1").fetchone()[0]
        assert snap == "DATE"
        assert con.execute("SELECT count(*) FROM ops.fetch_log").fetchone()[0] == 2
    finally:
        con.close()
    assert not list(home.glob(".warehouse.duckdb.build-*")), "build files must not outlive a publish"


def test_the_summary_counts_this_run_and_every_table_it_added_rows_to(home: Path) -> None:
    """The publish step's metadata (runs in history, rows from this run) comes from this summary: the run's
    own ops.runs row is counted (it was not: 0 runs after the first publish), and so are the rows the
    publish writes itself (marts, ops.runs, ops.fetch_log, marts.city_changes), not only the frames."""
    paths = WarehousePaths(home)
    first = _publish(paths, "run-1", "2026-09-01", [_city("3900001", "Alpha", 40_000)])
    assert first.history_runs == 1 == first.row_counts["ops.runs"]
    second = _publish(paths, "run-2", "2026-10-01", [_city("3900001", "Alpha", 41_000),
                                                     _city("3900002", "Beta", 50_000)])
    assert second.history_runs == 2 == second.row_counts["ops.runs"]
    rows = second.run_rows
    assert rows["staging.cities"] == 2 and rows["marts.cities"] == 2
    assert rows["ops.runs"] == 1 and rows["ops.fetch_log"] == 1
    assert rows["ops.run_failures"] == 0 and rows["raw.census_places"] == 0
    assert set(rows) == set(second.row_counts), "every table has a run_id column: each gets its run's count"
    con = connect_published(paths)
    try:
        for table, n in rows.items():
            assert con.execute(f"SELECT count(*) FROM {table} WHERE run_id = 'run-2'").fetchone()[0] == n, table
    finally:
        con.close()

    from assets.publish import tables_markdown

    table = tables_markdown(second)
    assert "| marts.cities | 2 | 3 |" in table and "| ops.runs | 1 | 2 |" in table
    assert "| ops.fetch_log | 1 | 2 |" in table
    assert "| ops.run_failures | 0 | 0 |" in table and "no run_id column" not in table
    without = tables_markdown(PublishSummary("w", "r", {"x.y": 4, "x.z": 1}, 1, {"x.z": 1}))
    assert "| x.y | - | 4 |" in without and "no run_id column" in without


def test_reader_is_not_blocked_and_sees_old_snapshot_until_it_reopens(home: Path) -> None:
    paths = WarehousePaths(home)
    _publish(paths, "run-1", "2026-09-01", [_city("3900001", "Alpha", 40_000)])
    reader = connect_published(paths)
    try:
        assert reader.execute("SELECT count(*) FROM marts.cities").fetchone()[0] == 1
        started = time.monotonic()
        _publish(paths, "run-2", "2026-10-01", [_city("3900002", "Beta", 50_000)])
        assert time.monotonic() - started < 30, "publish must not wait on readers"
        # The open reader keeps its consistent view of the file it opened.
        assert reader.execute("SELECT count(*) FROM marts.cities").fetchone()[0] == 1
        fresh = connect_published(paths)
        try:
            assert fresh.execute("SELECT count(*) FROM marts.cities").fetchone()[0] == 2
        finally:
            fresh.close()
    finally:
        reader.close()


def test_reader_in_another_process_during_publish(home: Path) -> None:
    paths = WarehousePaths(home)
    _publish(paths, "run-1", "2026-09-01", [_city("3900001", "Alpha", 40_000)])
    code = ("import duckdb,sys,time; c=duckdb.connect(sys.argv[1], read_only=True); "
            "print(c.execute('select count(*) from marts.cities').fetchone()[0], flush=True); time.sleep(20)")
    proc = subprocess.Popen([sys.executable, "-c", code, str(paths.published)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "1"
        _publish(paths, "run-2", "2026-10-01", [_city("3900002", "Beta", 50_000)])
    finally:
        proc.kill()
        proc.wait()
    con = connect_published(paths)
    try:
        assert con.execute("SELECT count(*) FROM ops.runs").fetchone()[0] == 2
    finally:
        con.close()


_KILL_SCRIPT = r"""
import sys, time
from pathlib import Path
import warehouse.publish as pub
from warehouse.paths import WarehousePaths

paths = WarehousePaths(Path(sys.argv[1]))
ready = Path(sys.argv[2])

def build(con):
    con.execute("CREATE TABLE marts.junk AS SELECT range AS i FROM range(2000000)")
    ready.write_text("building")
    time.sleep(60)

pub._rebuild(paths, "killed", build)
"""


def test_sigkill_mid_build_leaves_published_file_unchanged_and_next_run_works(home: Path, tmp_path: Path) -> None:
    paths = WarehousePaths(home)
    _publish(paths, "run-1", "2026-09-01", [_city("3900001", "Alpha", 40_000)])
    before = _digest(paths.published)
    ready = tmp_path / "ready"
    proc = subprocess.Popen([sys.executable, "-c", _KILL_SCRIPT, str(home), str(ready)], cwd=REPO,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    deadline = time.monotonic() + 60
    while not ready.exists():
        assert proc.poll() is None, "builder exited early"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert list(home.glob(".warehouse.duckdb.build-*")), "the killed build should have left its file"
    assert _digest(paths.published) == before
    con = duckdb.connect(str(paths.published), read_only=True)
    assert con.execute("SELECT count(*) FROM marts.cities").fetchone()[0] == 1
    con.close()
    _publish(paths, "run-2", "2026-10-01", [_city("3900002", "Beta", 50_000)])
    assert not list(home.glob(".warehouse.duckdb.build-*"))
    con = connect_published(paths)
    assert con.execute("SELECT count(*) FROM ops.runs").fetchone()[0] == 2
    con.close()


def test_failure_is_recorded_without_touching_history(home: Path) -> None:
    paths = WarehousePaths(home)
    _publish(paths, "run-1", "2026-09-01", [_city("3900001", "Alpha", 40_000)])
    record_run_failure(paths, "run-x", "monthly_refresh", "census_places", "Census unreachable")
    con = connect_published(paths)
    try:
        assert con.execute("SELECT step, error FROM ops.run_failures").fetchall() == [
            ("census_places", "Census unreachable")]
        assert con.execute("SELECT count(*) FROM marts.cities").fetchone()[0] == 1
    finally:
        con.close()


def test_corrupt_published_file_gives_a_clear_error(home: Path) -> None:
    paths = WarehousePaths(home)
    paths.published.write_bytes(b"this is not a duckdb file" * 100)
    with pytest.raises(WarehouseError, match="cannot be read|move it aside"):
        _publish(paths, "run-1", "2026-09-01", [_city("3900001", "Alpha", 40_000)])
    with pytest.raises(WarehouseError, match="read-only"):
        connect_published(paths)


def test_a_warehouse_of_an_older_schema_gains_the_new_columns(home: Path) -> None:
    """A publish copies the published file and appends: columns the schema gained since that file was
    written are added (null for older runs), and the views over them see them."""
    paths = WarehousePaths(home)
    _publish(paths, "run-1", "2026-09-01", [_city("3900001", "Alpha", 40_000)])
    old = duckdb.connect(str(paths.published))
    old.execute("ALTER TABLE marts.cities DROP COLUMN kind")          # as a file from before `kind` existed
    old.execute("CHECKPOINT")
    old.close()
    _publish(paths, "run-2", "2026-10-01", [_city("3900001", "Alpha", 41_000)])
    con = connect_published(paths)
    try:
        rows = con.execute("SELECT run_id, kind FROM marts.cities ORDER BY run_id").fetchall()
        latest = con.execute("SELECT kind FROM marts.cities_latest").fetchall()
    finally:
        con.close()
    assert rows == [("run-1", None), ("run-2", "place")] and latest == [("place",)]


def test_fetch_summary_sums_are_bigint_and_an_older_file_is_converted(home: Path) -> None:
    """ops.fetch_summary's bytes and attempts were HUGEINT sums, which pandas reads as floats (marts.fetch_outcomes
    cast them; the table did not): they are BIGINT, and a file written with HUGEINT is converted on publish."""
    paths = WarehousePaths(home)
    _publish(paths, "run-1", "2026-09-01", [_city("3900001", "Alpha", 40_000)])
    old = duckdb.connect(str(paths.published))
    old.execute("ALTER TABLE ops.fetch_summary ALTER COLUMN bytes TYPE HUGEINT")
    old.execute("ALTER TABLE ops.fetch_summary ALTER COLUMN attempts TYPE HUGEINT")
    old.execute("CHECKPOINT")
    old.close()
    _publish(paths, "run-2", "2026-10-01", [_city("3900001", "Alpha", 41_000)])
    con = connect_published(paths)
    try:
        types = con.execute("SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = "
                            "current_database() AND schema_name = 'ops' AND table_name = 'fetch_summary' "
                            "AND column_name IN ('bytes', 'attempts') ORDER BY 1").fetchall()
        frame = con.execute("SELECT run_id, bytes, attempts FROM ops.fetch_summary ORDER BY run_id").df()
    finally:
        con.close()
    assert types == [("attempts", "BIGINT"), ("bytes", "BIGINT")]
    assert list(frame["run_id"]) == ["run-1", "run-2"] and list(frame["bytes"]) == [10, 10]
    assert str(frame["bytes"].dtype) == "int64" and str(frame["attempts"].dtype) == "int64"


def test_a_reader_of_the_published_file_sees_a_new_publish_beside_a_cached_handle(home: Path) -> None:
    """In one Python process, duckdb.connect(path, read_only=True) hands back the database instance already
    open for that path, so a notebook holding any such connection reads the old file after a publish, even
    from a new connect. connect_published (ATTACH on a new in-memory connection), which the analyst guide
    recommends, sees the new one."""
    paths = WarehousePaths(home)
    _publish(paths, "run-1", "2026-09-01", [_city("3900001", "Alpha", 40_000)])
    held = duckdb.connect(str(paths.published), read_only=True)
    try:
        _publish(paths, "run-2", "2026-10-01", [_city("3900002", "Beta", 50_000)])
        again = duckdb.connect(str(paths.published), read_only=True)
        try:
            cached = again.execute("SELECT count(*) FROM ops.runs").fetchone()[0]
        finally:
            again.close()
        fresh = connect_published(paths)
        try:
            assert fresh.execute("SELECT count(*) FROM ops.runs").fetchone()[0] == 2
        finally:
            fresh.close()
    finally:
        held.close()
    assert cached == 1, "what the guide warns of: DuckDB reused the handle open on the replaced file"


def test_a_warehouse_whose_city_changes_was_a_view_publishes_again(home: Path) -> None:
    """Files written before marts.city_changes became a table have a view of that name, whose snapshot
    columns were TIMESTAMP; the migration drops the view (apply_schema creates the table) and must not
    treat its columns as a table's to retype."""
    paths = WarehousePaths(home)
    _publish(paths, "run-1", "2026-09-01", [_city("3900001", "Alpha", 40_000)])
    old = duckdb.connect(str(paths.published))
    old.execute("DROP TABLE marts.city_changes")
    old.execute("CREATE VIEW marts.city_changes AS SELECT CAST(snapshot AS TIMESTAMP) AS snapshot, "
                "CAST(NULL AS TIMESTAMP) AS previous_snapshot, run_id, geoid FROM marts.cities")
    old.execute("CHECKPOINT")
    old.close()
    _publish(paths, "run-2", "2026-10-01", [_city("3900001", "Alpha", 41_000)])
    con = connect_published(paths)
    try:
        kind = con.execute("SELECT table_type FROM information_schema.tables "
                           "WHERE table_schema = 'marts' AND table_name = 'city_changes'").fetchall()
        runs = con.execute("SELECT run_id FROM marts.cities ORDER BY run_id").fetchall()
    finally:
        con.close()
    assert kind == [("BASE TABLE",)] and runs == [("run-1",), ("run-2",)]


def test_missing_warehouse_message(home: Path) -> None:
    with pytest.raises(WarehouseError, match="no published warehouse"):
        connect_published(WarehousePaths(home))


def test_sandboxed_reader_cannot_write_or_touch_files(home: Path, tmp_path: Path) -> None:
    paths = WarehousePaths(home)
    _publish(paths, "run-1", "2026-09-01", [_city("3900001", "Alpha", 40_000)])
    con = connect_published(paths)
    try:
        with pytest.raises(duckdb.Error):
            con.execute("DELETE FROM marts.cities")
        with pytest.raises(duckdb.Error):
            con.execute(f"COPY (SELECT 1) TO '{tmp_path / 'x.csv'}'")
    finally:
        con.close()


def test_unknown_frame_columns_are_rejected(home: Path) -> None:
    paths = WarehousePaths(home)
    bad = _city("3900001", "Alpha", 40_000) | {"surprise": 1}
    with pytest.raises(WarehouseError, match="surprise"):
        _publish(paths, "run-1", "2026-09-01", [bad])
    assert not paths.published.exists()


def test_a_run_is_published_once(home: Path) -> None:
    paths = WarehousePaths(home)
    _publish(paths, "run-1", "2026-09-01", [_city("3900001", "Alpha", 40_000)])
    before = paths.published.read_bytes()
    with pytest.raises(WarehouseError, match="run run-1 is already published"):
        _publish(paths, "run-1", "2026-09-01", [_city("3900001", "Alpha", 40_000)])
    assert paths.published.read_bytes() == before


def _last_relation_created() -> tuple[str, str]:
    """The view the schema's SQL creates last, as (schema, name), read from the SQL files in the order
    apply_schema runs them."""
    from warehouse.schema import _sql_files

    sql = "\n".join(text for _name, text in _sql_files())
    return re.findall(r"CREATE\s+(?:OR\s+REPLACE\s+)?VIEW\s+(\w+)\.(\w+)", sql, re.I)[-1]


def test_the_schema_is_applied_whole_or_not_at_all(tmp_path: Path) -> None:
    """apply_schema is one transaction: when its last part fails, none of the schemas, tables or views it
    had created remain (a file is never left with half a schema), and a second try on the same file works.
    The failure is a real one: a table someone made in the file under the name of the last view the schema
    creates, which DuckDB refuses to replace with a view."""
    from warehouse.schema import apply_schema

    schema, view = _last_relation_created()
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    try:
        con.execute(f"CREATE SCHEMA {schema}; CREATE TABLE {schema}.{view} (note VARCHAR)")
        with pytest.raises(duckdb.CatalogException, match=f'"{view}" is of type Table'):
            apply_schema(con)
        user_tables = "SELECT schema_name || '.' || table_name FROM duckdb_tables() WHERE NOT internal"
        assert con.execute(user_tables).fetchall() == [(f"{schema}.{view}",)]    # only the table made above
        assert con.execute("SELECT count(*) FROM duckdb_views() WHERE NOT internal").fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM duckdb_functions() WHERE NOT internal").fetchone() == (0,)
        assert con.execute("SELECT schema_name FROM duckdb_schemas() WHERE NOT internal").fetchall() == [(schema,)]
        con.execute(f"DROP TABLE {schema}.{view}")
        apply_schema(con)
        assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE NOT internal").fetchone()[0] > 10
        assert con.execute("SELECT count(*) FROM duckdb_views() WHERE schema_name = ? AND view_name = ?",
                           [schema, view]).fetchone() == (1,)
    finally:
        con.close()


def test_a_damaged_published_file_stops_a_run_at_once_and_is_never_published_over(sample_home: Path,
                                                                                   tmp_path: Path, capsys) -> None:
    """A published file cut to a third opened without complaint: a run crawled to the end and failed at
    publish, and the failure record was then published over the damaged file, leaving a file that no
    command could read. Now the run stops before any fetch, and no build copied from it is published."""
    from pipelines.cli import main as cli

    paths = WarehousePaths(tmp_path)
    whole = WarehousePaths(sample_home).published.read_bytes()
    paths.published.write_bytes(whole[: len(whole) // 3])
    before = _digest(paths.published)
    assert cli(["run", "--sample", "--limit", "2", "--home", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "cannot be read" in err and "move it aside" in err and "Traceback" not in err
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir()), "nothing was fetched"
    with pytest.raises(WarehouseError, match="cannot be read"):
        record_run_failure(paths, "r-1", "monthly_refresh", "published_warehouse", "boom")
    assert _digest(paths.published) == before
    assert not list(tmp_path.glob(".warehouse.duckdb.build-*"))


def test_a_view_column_whose_name_holds_a_double_quote_gets_its_table_s_description(tmp_path: Path) -> None:
    """Names are quoted as SQL spells them: a double quote inside one is doubled, so a column such as
    `share "fresh"` is described like any other instead of breaking the schema's comment step."""
    from warehouse.schema import describe_view_columns

    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    try:
        con.execute('CREATE SCHEMA marts; CREATE TABLE marts.t ("share ""fresh""" DOUBLE)')
        con.execute('''COMMENT ON COLUMN marts.t."share ""fresh""" IS 'share of datasets updated this year' ''')
        con.execute('CREATE VIEW marts.v AS SELECT "share ""fresh""" FROM marts.t')
        describe_view_columns(con)
        assert con.execute("SELECT comment FROM duckdb_columns() WHERE table_name = 'v'").fetchone() == (
            "share of datasets updated this year",)
    finally:
        con.close()


def test_names_the_warehouse_writes_into_sql_are_quoted_as_sql_spells_them(tmp_path: Path) -> None:
    from warehouse.identifiers import ident

    assert ident("marts", 'share "fresh"') == '"marts"."share ""fresh"""'
    con = duckdb.connect()
    try:   # a name that tries to end its quotes stays one name
        con.execute(f"CREATE TABLE {ident('t; DROP TABLE x; --')} (a INTEGER)")
        assert con.execute("SELECT table_name FROM duckdb_tables()").fetchall() == [("t; DROP TABLE x; --",)]
    finally:
        con.close()
