"""Build a new warehouse file beside the published one, then swap it in atomically.

Readers keep whatever file they opened (the old inode stays valid after ``os.replace``); a run killed
at any point leaves only a stray build file, which the next writer removes. One writer at a time,
enforced by an advisory lock, so two runs cannot both carry history forward and lose each other's rows.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb
import pandas as pd

from warehouse.paths import WarehousePaths
from warehouse.schema import apply_schema, base_tables, run_models


class WarehouseError(RuntimeError):
    """A warehouse problem with a message meant for users (no traceback needed)."""


@dataclass
class RunRecord:
    run_id: str
    snapshot: datetime
    mode: str                       # live | replay | sample
    is_sample: bool
    started_at: datetime
    config: dict = field(default_factory=dict)
    warc_files: list[str] = field(default_factory=list)
    replay_sources: list[str] = field(default_factory=list)
    cdpi_version: str = ""


@dataclass(frozen=True)
class PublishSummary:
    path: str
    run_id: str
    row_counts: dict[str, int]
    history_runs: int


@contextlib.contextmanager
def writer_lock(paths: WarehousePaths) -> Iterator[None]:
    paths.home.mkdir(parents=True, exist_ok=True)
    with open(paths.lock, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def publish_run(paths: WarehousePaths, run: RunRecord, frames: dict[str, pd.DataFrame],
                fetch_log: list[dict]) -> PublishSummary:
    """Append one run (its raw/staging frames and fetch log), rebuild its marts, publish atomically."""

    def build(con: duckdb.DuckDBPyConnection) -> None:
        for table, frame in frames.items():
            _insert_frame(con, table, _with_run_columns(frame, run))
        _insert_frame(con, "ops.fetch_log", _with_run_columns(pd.DataFrame(fetch_log), run))
        run_models(con, run.run_id)
        quarantined = con.execute("SELECT count(*) FROM ops.quarantine WHERE run_id = ?",
                                  [run.run_id]).fetchone()[0]
        cities = con.execute("SELECT count(*) FROM marts.cities WHERE run_id = ?", [run.run_id]).fetchone()[0]
        con.execute(
            "INSERT INTO ops.runs VALUES (?, ?, ?, ?, 'success', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [run.run_id, run.snapshot, run.mode, run.is_sample, _naive(run.started_at),
             _naive(datetime.now(UTC)), run.cdpi_version, json.dumps(run.config, sort_keys=True, default=str),
             run.warc_files, run.replay_sources, cities, len(fetch_log), quarantined])

    return _rebuild(paths, run.run_id, build)


def record_run_failure(paths: WarehousePaths, run_id: str, job_name: str, step: str | None,
                       error: str) -> PublishSummary:
    """Publish a copy of the warehouse that adds one ops.run_failures row and nothing else."""

    def build(con: duckdb.DuckDBPyConnection) -> None:
        con.execute("INSERT INTO ops.run_failures VALUES (?, ?, ?, ?, ?)",
                    [run_id, _naive(datetime.now(UTC)), job_name, step, error[:4000]])

    return _rebuild(paths, f"failure-{run_id}", build)


def _rebuild(paths: WarehousePaths, build_id: str, build: Callable[[duckdb.DuckDBPyConnection], None]
             ) -> PublishSummary:
    with writer_lock(paths):
        _remove_stale_builds(paths)
        tmp = paths.build_path(build_id)
        try:
            con = duckdb.connect(str(tmp))
            try:
                apply_schema(con)
                history = _carry_history(con, paths) if paths.published.exists() else 0
                build(con)
                counts = {f"{s}.{t}": con.execute(f'SELECT count(*) FROM "{s}"."{t}"').fetchone()[0]
                          for s, t in base_tables(con)}
                con.execute("CHECKPOINT")
            finally:
                con.close()
            _verify(tmp)
            _fsync(tmp)
            os.replace(tmp, paths.published)
            _fsync_dir(paths.home)
        except BaseException:
            for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
                leftover.unlink(missing_ok=True)
            raise
    return PublishSummary(str(paths.published), build_id, counts, history)


def _carry_history(con: duckdb.DuckDBPyConnection, paths: WarehousePaths) -> int:
    """Copy every row of the published warehouse into the new build, column by column name.

    Matching by name lets the schema grow (new nullable columns) without migrating old files.
    """
    try:
        con.execute("ATTACH ? AS prev (READ_ONLY)", [str(paths.published)])
    except duckdb.Error as exc:
        raise WarehouseError(f"the published warehouse {paths.published} cannot be read ({exc}); "
                             "move it aside to start a fresh history") from exc
    try:
        new_tables = set(base_tables(con))
        for schema, table in base_tables(con, "prev"):
            if (schema, table) not in new_tables:
                continue
            new_cols = {r[0] for r in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() "
                "AND schema_name = ? AND table_name = ?", [schema, table]).fetchall()}
            old_cols = [r[0] for r in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE database_name = 'prev' "
                "AND schema_name = ? AND table_name = ? ORDER BY column_index", [schema, table]).fetchall()]
            cols = ", ".join(f'"{c}"' for c in old_cols if c in new_cols)
            con.execute(f'INSERT INTO "{schema}"."{table}" ({cols}) '
                        f'SELECT {cols} FROM prev."{schema}"."{table}"')
        return con.execute("SELECT count(*) FROM ops.runs").fetchone()[0]
    finally:
        con.execute("DETACH prev")


def _insert_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    if frame.empty:
        return
    schema, name = table.split(".")
    cols = [r[0] for r in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() "
        "AND schema_name = ? AND table_name = ?", [schema, name]).fetchall()]
    unknown = sorted(set(frame.columns) - set(cols))
    if unknown:
        raise WarehouseError(f"{table} has no columns {unknown}; update warehouse/sql first")
    con.register("_frame", frame)
    try:
        collist = ", ".join(f'"{c}"' for c in frame.columns)
        con.execute(f'INSERT INTO "{schema}"."{name}" ({collist}) SELECT {collist} FROM _frame')
    finally:
        con.unregister("_frame")


def _with_run_columns(frame: pd.DataFrame, run: RunRecord) -> pd.DataFrame:
    if frame.empty:
        return frame
    out = frame.copy()
    out["snapshot"] = pd.Timestamp(_naive(run.snapshot))  # TIMESTAMP, never a string (see stack notes)
    out["run_id"] = run.run_id
    return out


def _verify(path) -> None:
    """Re-open the finished build read-only before it may replace the published file."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        con.execute("SELECT count(*) FROM ops.runs").fetchone()
    finally:
        con.close()


def _remove_stale_builds(paths: WarehousePaths) -> None:
    # Called under the writer lock: any build file present belongs to a writer that died.
    for stale in paths.home.glob(f".{paths.published.name}.build-*"):
        stale.unlink(missing_ok=True)


def _naive(ts: datetime) -> datetime:
    return ts.astimezone(UTC).replace(tzinfo=None) if ts.tzinfo else ts


def _fsync(path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path) -> None:
    with contextlib.suppress(OSError):
        _fsync(path)
