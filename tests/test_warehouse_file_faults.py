"""The published warehouse file under bad conditions: a write-ahead log a killed read-write session left
beside it, another process holding it open for writing, and no space for the build file. Real processes
(a session killed with SIGKILL, a file held open, a file-size limit) on the real code paths, no mocks."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.publish_support import city_row
from warehouse.paths import WarehousePaths
from warehouse.publish import RunRecord, WarehouseError, publish_run, verify_readable
from warehouse.read import connect_published

REPO = Path(__file__).resolve().parents[1]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CDPI_", "DAGSTER_"))}
    env["PYTHONPATH"] = str(REPO)
    return env


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _wal(paths: WarehousePaths) -> Path:
    return paths.published.with_name(paths.published.name + ".wal")


def _killed_analyst_session(paths: WarehousePaths, table: str = "analyst_notes2") -> None:
    """The reviewer's repro: a read-write session writes a table and is killed with SIGKILL before DuckDB
    saves it into the file, leaving the rows in warehouse.duckdb.wal only."""
    code = ("import duckdb, os, sys; c = duckdb.connect(sys.argv[1]); "
            f"c.execute('CREATE TABLE {table} AS SELECT range AS i FROM range(1000)'); "
            "os.kill(os.getpid(), 9)")
    proc = subprocess.run([sys.executable, "-c", code, str(paths.published)], env=_env(), check=False)
    assert proc.returncode == -signal.SIGKILL
    assert _wal(paths).exists(), "the killed session left its unsaved writes in the WAL"


@pytest.fixture
def held_for_writing(tmp_path: Path) -> Iterator[tuple[WarehousePaths, int]]:
    """A tiny published warehouse that another process holds open read-write (an analyst's session)."""
    paths = WarehousePaths(tmp_path / "home")
    _publish(paths, "run-1", "2026-09-01")
    code = "import duckdb, sys; c = duckdb.connect(sys.argv[1]); c.execute('SELECT 1'); print('ready', flush=True); " \
           "sys.stdin.read()"
    proc = subprocess.Popen([sys.executable, "-c", code, str(paths.published)], env=_env(), text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        yield paths, proc.pid
    finally:
        proc.kill()
        proc.wait(timeout=30)


def _publish(paths: WarehousePaths, run_id: str, month: str) -> None:
    record = RunRecord(run_id=run_id, snapshot=datetime.fromisoformat(month), mode="sample", is_sample=True,
                       started_at=datetime.now(UTC))
    frames = {"staging.cities": pd.DataFrame([city_row("3900001", "Alpha", 40_000, is_sample=True)])}
    log = [{"run_id": run_id, "url": "https://www.a.example/", "host": "www.a.example", "outcome": "ok",
            "status": 200, "bytes": 10, "attempts": 1}]
    publish_run(paths, record, frames, log)


@pytest.fixture(scope="module")
def small_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home with one published `cdpi run --sample --limit 3`; tests copy it."""
    from pipelines.cli import main as cli

    path = tmp_path_factory.mktemp("small_home")
    assert cli(["run", "--sample", "--limit", "3", "--home", str(path), "--quiet"]) == 0
    return path


def _copy_home(small_home: Path, tmp_path: Path) -> WarehousePaths:
    home = tmp_path / "home"
    shutil.copytree(small_home, home)
    return WarehousePaths(home)


# --- 1. a WAL left by a killed read-write session -------------------------------------------------------

def test_publish_saves_a_killed_sessions_wal_into_the_file_before_copying_it(tmp_path: Path) -> None:
    """The publish copied warehouse.duckdb alone and renamed the copy over it: the session's rows were lost,
    and the WAL, left beside a file it does not belong to, made the new file impossible to open. Now the
    publish saves the WAL into the file first: the new file has the rows, and no WAL is left beside it."""
    paths = WarehousePaths(tmp_path / "home")
    _publish(paths, "run-1", "2026-09-01")
    _killed_analyst_session(paths)
    _publish(paths, "run-2", "2026-10-01")
    assert not _wal(paths).exists()
    con = connect_published(paths)
    try:
        assert con.execute("SELECT count(*) FROM analyst_notes2").fetchone() == (1000,)
        assert con.execute("SELECT run_id FROM ops.runs ORDER BY snapshot").fetchall() == [("run-1",), ("run-2",)]
    finally:
        con.close()


@pytest.mark.slow
def test_cdpi_run_over_a_killed_sessions_wal_publishes_a_file_everyone_can_open(small_home: Path, tmp_path: Path,
                                                                                capsys: pytest.CaptureFixture) -> None:
    """The reviewer's repro, end to end: the run published, then exited 1 ("Failure while replaying WAL
    file"), and every later reader and run failed until the WAL was deleted by hand."""
    from pipelines.cli import main as cli

    paths = _copy_home(small_home, tmp_path)
    _killed_analyst_session(paths)
    capsys.readouterr()
    assert cli(["run", "--sample", "--month", "2026-03", "--quiet", "--limit", "3", "--home", str(paths.home)]) == 0
    out, err = capsys.readouterr()
    assert "published" in out and "error" not in err
    assert not _wal(paths).exists()
    verify_readable(paths.published)
    con = connect_published(paths)
    try:
        assert con.execute("SELECT count(*) FROM analyst_notes2").fetchone() == (1000,)
        assert con.execute("SELECT count(*) FROM ops.runs").fetchone() == (2,)
    finally:
        con.close()
    # and the next run too
    assert cli(["run", "--sample", "--month", "2026-04", "--quiet", "--limit", "3", "--home", str(paths.home)]) == 0


def test_a_wal_that_is_not_the_files_own_is_named_with_what_to_do(tmp_path: Path) -> None:
    """A WAL beside a file it was not written for (what the earlier publish left: the old file's WAL beside
    the new one) cannot be replayed. Every reader, the pre-run check and the publish name the WAL and say to
    move it aside, not the warehouse (which is fine without it), and nothing is published over it."""
    paths = WarehousePaths(tmp_path / "home")
    _publish(paths, "run-1", "2026-09-01")
    _killed_analyst_session(paths)
    stale = tmp_path / "stale.wal"
    shutil.copyfile(_wal(paths), stale)
    _publish(paths, "run-2", "2026-10-01")          # saves that WAL into the file (a later checkpoint)
    shutil.copyfile(stale, _wal(paths))              # and the older WAL comes back beside it
    before = _digest(paths.published)
    for attempt in (lambda: verify_readable(paths.published), lambda: connect_published(paths),
                    lambda: _publish(paths, "run-3", "2026-11-01")):
        with pytest.raises(WarehouseError) as raised:
            attempt()
        message = str(raised.value)
        assert "move warehouse.duckdb.wal aside" in message and "fresh history" not in message, message
    assert _digest(paths.published) == before
    assert not list(paths.home.glob(".warehouse.duckdb.build-*"))
    _wal(paths).rename(tmp_path / "moved-aside.wal")    # what the message says to do: then all is well
    _publish(paths, "run-3", "2026-11-01")
    verify_readable(paths.published)


# --- 3. another process holds the warehouse open for writing ---------------------------------------------

def test_a_warehouse_held_open_for_writing_is_named_as_such_not_as_damaged(
        held_for_writing: tuple[WarehousePaths, int], capsys: pytest.CaptureFixture) -> None:
    """The pre-run check said the file "cannot be read" and advised moving it aside (starting a fresh history)
    though nothing was wrong with it. Now the run and the readers name the process holding it."""
    from pipelines.cli import main as cli

    paths, pid = held_for_writing
    before = _digest(paths.published)
    expected = f"another process (PID {pid}) has the warehouse {paths.published} open for writing; close it and run again"
    for argv in (["run", "--sample", "--limit", "3"], ["runs"], ["targets"]):
        capsys.readouterr()
        assert cli([*argv, "--home", str(paths.home)]) == 1, argv
        err = capsys.readouterr().err
        assert expected in err and "move it aside" not in err, (argv, err)
    assert not (paths.home / "runs").exists(), "the run stopped before it fetched anything"
    # A publish (a run Dagster starts skips the CLI's check) refuses too: renaming a new file over one a
    # session is writing would leave that session's WAL beside a file it does not belong to.
    with pytest.raises(WarehouseError, match=r"another process \(PID \d+\) has the warehouse .* open for writing"):
        _publish(paths, "run-2", "2026-10-01")
    assert _digest(paths.published) == before


# --- 2. no space for the build file -------------------------------------------------------------------------

_LIMITED_RUN = """
import resource, sys
limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))   # a write past it fails with EFBIG, as on a full disk
from pipelines.cli import main
sys.exit(main(sys.argv[2:]))
"""


@pytest.mark.slow
def test_a_publish_without_room_for_its_build_file_is_reported_and_recorded(small_home: Path, tmp_path: Path,
                                                                            capsys: pytest.CaptureFixture) -> None:
    """No file may grow past half the published warehouse: the copy the publish builds fails as on a full
    disk. It said `No space left on device: <home>/warehouse.duckdb` (the published file, unharmed), with no
    run id or step, and the failure was never recorded. Now the message names the run, the step and the
    build file, and the record, which needs room as well, is written by the next run."""
    from pipelines.cli import main as cli

    paths = _copy_home(small_home, tmp_path)
    before = _digest(paths.published)
    size = paths.published.stat().st_size
    assert size > 4_000_000, "every other file of a run must stay below the limit"
    proc = subprocess.run([sys.executable, "-c", _LIMITED_RUN, str(size // 2), "run", "--sample", "--limit", "3",
                           "--month", "2026-05", "--quiet", "--home", str(paths.home)],
                          cwd=REPO, env=_env(), capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 1, proc.stderr
    line = next(x for x in proc.stderr.splitlines() if x.startswith("cdpi: error:"))
    named = re.match(r"cdpi: error: run (\S+) failed at", line)
    assert named, line
    build = named.group(1)   # the run's id
    assert line.startswith(f"cdpi: error: run {build} failed at published_warehouse: cannot write the build "
                           f"file {paths.build_path(build)} (File too large); the published warehouse is "
                           "unchanged"), line
    assert "not recorded in ops.run_failures yet" in line and "the next `cdpi run` records it" in line, line
    assert _digest(paths.published) == before
    assert not list(paths.home.glob(".warehouse.duckdb.build-*"))

    capsys.readouterr()
    assert cli(["run", "--sample", "--limit", "3", "--month", "2026-06", "--quiet", "--home", str(paths.home)]) == 0
    assert f"run {build} failed earlier and its failure could not be recorded then; recorded now" in \
        capsys.readouterr().err
    con = connect_published(paths)
    try:
        rows = con.execute("SELECT step, error FROM ops.run_failures WHERE run_id = ?", [build]).fetchall()
    finally:
        con.close()
    assert len(rows) == 1 and rows[0][0] == "published_warehouse" and "cannot write the build file" in rows[0][1]
    # Recorded once: the run after that leaves it alone.
    assert cli(["run", "--sample", "--limit", "3", "--month", "2026-07", "--quiet", "--home", str(paths.home)]) == 0
    assert "recorded now" not in capsys.readouterr().err
    con = connect_published(paths)
    try:
        assert con.execute("SELECT count(*) FROM ops.run_failures WHERE run_id = ?", [build]).fetchone() == (1,)
    finally:
        con.close()


def test_a_full_disk_is_recognised_in_duckdbs_words_too() -> None:
    """DuckDB's own refusal (it writes the build after the copy) is recognised as a full disk too."""
    from warehouse.publish import _full_disk

    assert _full_disk(duckdb.IOException('IO Error: Could not write file "x": No space left on device'))
    assert _full_disk(OSError(27, "File too large"))
    assert _full_disk(duckdb.IOException("IO Error: Could not set lock on file")) is None


def test_a_published_run_whose_summary_cannot_be_read_is_not_reported_as_failed(
        held_for_writing: tuple[WarehousePaths, int], capsys: pytest.CaptureFixture) -> None:
    """The summary is read after the publish: a file that cannot be opened then (here a session holding the
    new file for writing) made `cdpi run` exit 1 for a run that was published. Now it says it is published."""
    from pipelines.cli.run import _print_run_summary

    paths, pid = held_for_writing
    _print_run_summary(paths, "run-1", "")
    out, err = capsys.readouterr()
    assert "Run run-1 published" in out
    assert "published, but its summary cannot be read now" in err and f"PID {pid}" in err


def test_no_other_process_can_write_to_the_published_file_while_a_publish_copies_and_builds(tmp_path: Path) -> None:
    """The hold is DuckDB's POSIX lock, which any close of the file in this process would end: copying the
    file by opening it again did, and a session that wrote and closed during the build lost its rows
    without an error when the build was renamed over the file."""
    from warehouse.publish import _rebuild, record_run_failure

    paths = WarehousePaths(tmp_path / "home")
    record_run_failure(paths, "r0", "cdpi run", None, "first")          # a published file exists
    probe = ("import duckdb, sys\n"
             "try:\n"
             "    c = duckdb.connect(sys.argv[1]); c.execute('CREATE TABLE main.user_notes AS SELECT 42 AS x'); c.close()\n"
             "    print('wrote')\n"
             "except duckdb.Error as e:\n"
             "    print('refused', str(e).splitlines()[0])\n")
    said: list[str] = []

    def build(con: duckdb.DuckDBPyConnection) -> None:
        done = subprocess.run([sys.executable, "-c", probe, str(paths.published)], capture_output=True,
                              text=True, timeout=120, env=_env())
        said.append(done.stdout.strip() or done.stderr.strip())
        con.execute("INSERT INTO ops.run_failures (run_id, failed_at, job_name, error, status) "
                    "VALUES ('r1', now(), 'j', 'e', 'failed')")

    _rebuild(paths, "b1", build)
    assert said and said[0].startswith("refused") and "lock" in said[0], said
    con = connect_published(paths)
    try:
        assert con.execute("SELECT count(*) FROM ops.run_failures").fetchone()[0] == 2
    finally:
        con.close()
