"""Build a new warehouse file beside the published one (a copy of it, with this run appended), then swap it
in atomically.

Readers keep whatever file they opened (the old inode stays valid after ``os.replace``); a run killed
at any point leaves only a stray build file, which the next writer removes. One writer at a time,
enforced by an advisory lock, so two runs cannot both carry history forward and lose each other's rows.

A ``warehouse.duckdb.wal`` beside the published file holds writes a read-write session made to it and never
saved (the session was killed). It belongs to that file only: the publish saves it into the file before
copying it (so the copy has those writes and the new file has no WAL of the old one beside it), and holds
the file open read-only while it builds, so no session can start writing to the file it is replacing.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from warehouse.changes import allowed_retypes, fill_renamed, relax_deprecated
from warehouse.identifiers import ident
from warehouse.paths import WarehousePaths
from warehouse.schema import apply_schema, base_tables, count, run_models

#: What ended a run recorded in ops.run_failures: an error, or a stop asked for (the UI's terminate).
RUN_FAILURE_STATUSES = ("failed", "canceled")


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
    replay_unreadable_records: int | None = None   # a replay's damaged archive records (None: not a replay)
    #: Each WARC file a replay read: {"path", "sha256", "bytes"}, so a citation names the archive's exact bytes
    #: and not only where it lay (empty: not a replay).
    replay_archives: list[dict[str, str | int]] = field(default_factory=list)


@dataclass(frozen=True)
class PublishSummary:
    path: str
    run_id: str
    #: Rows of every base table after the publish, by ``schema.table``.
    row_counts: dict[str, int]
    #: Runs in ops.runs after the publish (this run's own row included).
    history_runs: int
    #: Rows of each table whose ``run_id`` is the published run's, after the publish: what the run added,
    #: the models' marts, ops.runs and ops.fetch_log included. A table without a run_id column is absent.
    run_rows: dict[str, int] = field(default_factory=dict)


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
        if count(con, "SELECT count(*) FROM ops.runs WHERE run_id = ?", [run.run_id]):
            raise WarehouseError(f"run {run.run_id} is already published; a run is published once (start a "
                                 "new run to publish the month again)")
        for table, frame in frames.items():
            _insert_frame(con, table, _with_run_columns(frame, run))
        _insert_frame(con, "ops.fetch_log", _with_run_columns(pd.DataFrame(fetch_log), run))
        run_models(con, run.run_id)
        quarantined = count(con, "SELECT count(*) FROM ops.quarantine WHERE run_id = ?", [run.run_id])
        cities = count(con, "SELECT count(*) FROM marts.cities WHERE run_id = ?", [run.run_id])
        con.execute(
            "INSERT INTO ops.runs (run_id, snapshot, mode, is_sample, status, started_at, finished_at, cdpi_version, "
            "config_json, warc_files, replay_sources, city_count, fetch_count, quarantined, replay_unreadable_records, "
            "replay_archives_json) VALUES (?, ?, ?, ?, 'success', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [run.run_id, run.snapshot, run.mode, run.is_sample, _naive(run.started_at),
             _naive(datetime.now(UTC)), run.cdpi_version, json.dumps(run.config, sort_keys=True, default=str),
             run.warc_files, run.replay_sources, cities, len(fetch_log), quarantined, run.replay_unreadable_records,
             json.dumps(run.replay_archives) if run.replay_archives else None])
        refresh_changes(con, run.run_id)

    return _rebuild(paths, run.run_id, build, run_id=run.run_id)


def refresh_changes(con: duckdb.DuckDBPyConnection, run_id: str) -> int:
    """Store in marts.city_changes the changes of ``run_id`` (already in ops.runs) since each city's previous
    snapshot, one run at a time (the macro with a bound run is fast; over the whole history it is not), and
    those of any successful run without rows (a warehouse from before the table).

    Append only: the rows of runs published before are never recomputed. A run's previous snapshot is the one
    published before it (marts.city_changes_of), so a month published later (a backfill, or a re-run of an
    older month) gets its own changes but leaves those of later months as they were published, and what a
    researcher cited from them stays true. Returns the runs computed."""
    missing = [r for (r,) in con.execute(
        "SELECT run_id FROM ops.runs WHERE status = 'success' AND run_id NOT IN "
        "(SELECT DISTINCT run_id FROM marts.city_changes) ORDER BY finished_at NULLS FIRST, snapshot").fetchall()]
    for rid in missing:
        con.execute("INSERT INTO marts.city_changes BY NAME SELECT * FROM marts.city_changes_of($run_id)",
                    {"run_id": rid})
    return len(missing)


def record_run_failure(paths: WarehousePaths, run_id: str, job_name: str, step: str | None,
                       error: str, *, once: bool = False, status: str = "failed", snapshot: date | None = None,
                       mode: str | None = None) -> PublishSummary:
    """Publish a copy of the warehouse that adds one ops.run_failures row and nothing else. ``status``:
    failed, or canceled (stopped from the UI); ``snapshot`` and ``mode``: the month the run was for and
    how it fetched, when known. ``once``: not when the run already has one (a killed run's record, written
    again after a kill interrupted the first settling; a sensor tick run again)."""
    if status not in RUN_FAILURE_STATUSES:
        raise ValueError(f"status must be one of {', '.join(RUN_FAILURE_STATUSES)}, not {status!r}")

    def build(con: duckdb.DuckDBPyConnection) -> None:
        con.execute("INSERT INTO ops.run_failures (run_id, failed_at, job_name, step, error, status, snapshot, mode) "
                    "SELECT ?, ?, ?, ?, ?, ?, ?, ? WHERE NOT ? OR NOT EXISTS "
                    "(SELECT 1 FROM ops.run_failures WHERE run_id = ?)",
                    [run_id, _naive(datetime.now(UTC)), job_name, step, error[:4000], status, snapshot, mode,
                     once, run_id])

    return _rebuild(paths, f"failure-{run_id}", build, run_id=run_id)


def _open_copy(tmp: Path, paths: WarehousePaths) -> duckdb.DuckDBPyConnection:
    try:
        return duckdb.connect(str(tmp))
    except duckdb.Error as exc:
        if _full_disk(exc):
            raise
        raise WarehouseError(f"the published warehouse {paths.published} cannot be read ({exc}); "
                             "move it aside to start a fresh history") from exc


def wal_of(path: Path) -> Path:
    """DuckDB's write-ahead log of the database file ``path``: writes not yet saved into the file."""
    return path.with_name(path.name + ".wal")


#: DuckDB's words for a file lock another process holds ("... (PID 123). However, you would be able to open
#: this database in read-only mode" when that process only reads it).
_LOCK_HELD = re.compile(r"Could not set lock on file .*Conflicting lock is held in .*\(PID (\d+)\)")


def open_error(path: Path, exc: duckdb.Error) -> str | None:
    """What to tell a user whose open of the warehouse ``path`` failed, when the cause is not the file's
    content: another process holding it (nothing is wrong with the file: moving it aside would throw away
    its history for nothing), or a write-ahead log that cannot be replayed into it. None otherwise."""
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    held = _LOCK_HELD.search(first)
    if held:
        if "read-only mode" in first:   # we asked to write and the holder only reads
            return (f"another process (PID {held.group(1)}) is reading the warehouse {path}, and writes "
                    f"left unsaved in {wal_of(path).name} must be saved into it first; close it and run again")
        return (f"another process (PID {held.group(1)}) has the warehouse {path} open for writing; close it "
                "and run again")
    if "WAL" in first:
        return (f"the warehouse {path} cannot be opened with {wal_of(path).name} beside it ({first}): that "
                "file holds writes of a session that ended without saving them, and cannot be replayed into "
                f"this file; move {wal_of(path).name} aside (the warehouse without it has everything saved "
                "before that session) and run again")
    return None


_DISK_FULL = (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)


def _full_disk(exc: BaseException) -> str | None:
    """The reason (``No space left on device``, ``File too large``, ``Disk quota exceeded``) when ``exc`` is a
    write refused for lack of space, from Python or from DuckDB; None for anything else."""
    if isinstance(exc, OSError) and exc.errno in _DISK_FULL:
        return os.strerror(exc.errno)
    if isinstance(exc, duckdb.Error):
        return next((os.strerror(code) for code in _DISK_FULL if os.strerror(code) in str(exc)), None)
    return None


def settle_wal(paths: WarehousePaths) -> None:
    """Save into the published file the writes a killed read-write session left in its WAL, under the
    writer lock; nothing when there is no WAL. A run calls it before it starts: a WAL that cannot be
    saved (a reader holds the file, the WAL is not this file's) stops it then, not at publish."""
    if not wal_of(paths.published).exists():
        return
    with writer_lock(paths):
        _absorb_wal(paths)


def _absorb_wal(paths: WarehousePaths) -> None:
    """Called under the writer lock. Opening the file read-write replays its WAL, and CHECKPOINT writes
    those rows into the file and deletes the WAL (DuckDB does both crash-safely: a kill midway leaves the
    file and its WAL to replay again). A copy of the file alone would lose them, and a WAL left beside the
    new file after the swap would not be that file's: no one could open it."""
    wal = wal_of(paths.published)
    if not wal.exists():
        return
    if not paths.published.exists():
        raise WarehouseError(f"{wal} has no warehouse beside it (was {paths.published.name} moved away without "
                             "it?); move it beside the file it belongs to, or delete it, and run again")
    try:
        con = duckdb.connect(str(paths.published))
        try:
            con.execute("CHECKPOINT")
        finally:
            con.close()
    except duckdb.Error as exc:
        reason = _full_disk(exc)
        if reason:
            raise WarehouseError(f"cannot save {wal.name} into {paths.published} ({reason}); the warehouse and "
                                 "its WAL are unchanged: free some space and run again") from exc
        raise WarehouseError(open_error(paths.published, exc)
                             or f"the warehouse {paths.published} cannot be read ({str(exc).splitlines()[0]}); "
                                "move it aside (with its .wal) to start a fresh history, or put back a good copy"
                             ) from exc


@contextlib.contextmanager
def _holding_published(paths: WarehousePaths) -> Iterator[int | None]:
    """Called under the writer lock, around a build and its swap: the published file with no WAL, held
    open read-only. Readers are not blocked (they share the hold); a session that would write to the file
    is refused by DuckDB until the swap is done, so none can leave a WAL of the old file beside the new one,
    and none can write rows the copy would miss.

    Yields a descriptor of the published file opened before the hold, for the build's copy (None when there
    is no file yet). DuckDB's lock is a POSIX record lock, which belongs to the process and goes away when
    the process closes *any* descriptor of the file: a copy that opened and closed the file again would
    silently end the hold. So nothing in this process may open the published file while it is held; the
    descriptor is closed last."""
    if not paths.published.exists():
        _absorb_wal(paths)     # a WAL with no file beside it: refused (it would pair with the new file)
        yield None
        return
    for _ in range(3):   # a session that started and died between the two steps left a new WAL: again
        _absorb_wal(paths)
        fd = os.open(paths.published, os.O_RDONLY)
        hold = duckdb.connect()
        try:
            hold.execute("ATTACH ? AS held (READ_ONLY)", [str(paths.published)])
        except duckdb.Error as exc:
            hold.close()
            os.close(fd)
            raise WarehouseError(open_error(paths.published, exc)
                                 or f"the published warehouse {paths.published} cannot be read "
                                    f"({str(exc).splitlines()[0]}); move it aside to start a fresh history"
                                 ) from exc
        if not wal_of(paths.published).exists():
            break
        hold.close()
        os.close(fd)
    else:
        raise WarehouseError(f"{wal_of(paths.published)} keeps coming back: a process keeps writing to the "
                             f"warehouse {paths.published}; stop it and run again")
    try:
        yield fd
    finally:
        hold.close()
        os.close(fd)


def _copy_held(fd: int, dest: Path) -> None:
    """The held published file copied to ``dest`` through its open descriptor, never opening the file again
    (see _holding_published): copy_file_range where the kernel and file system have it, else reads at
    offsets (neither moves nor closes the descriptor)."""
    size = os.fstat(fd).st_size
    with open(dest, "wb") as out:
        offset = 0
        fast = hasattr(os, "copy_file_range")
        while offset < size:
            if fast:
                try:
                    done = os.copy_file_range(fd, out.fileno(), size - offset, offset)
                except OSError as exc:
                    if exc.errno not in (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
                        raise
                    fast = False
                    continue
            else:
                chunk = os.pread(fd, min(8 << 20, size - offset), offset)
                done = len(chunk)
                out.write(chunk)
            if done == 0:
                raise OSError(errno.EIO, f"{fd}: the published file ended at {offset} of {size} bytes")
            offset += done


def _rebuild(paths: WarehousePaths, build_id: str, build: Callable[[duckdb.DuckDBPyConnection], None],
             run_id: str | None = None) -> PublishSummary:
    """A copy of the published file (or a new one), brought up to the current schema, ``build`` applied,
    checked, then renamed over the published file. Copying the file, rather than re-inserting its rows
    into a fresh one, keeps a publish proportional to one run's rows plus a file copy: with five years of
    monthly national snapshots, re-inserting the history took 95 s, the copy and append 10-20 s
    (docs/BENCHMARKS.md, "History at scale"). The summary's counts are taken after ``build``, so they
    include what it added (the run's own ops.runs row too); ``run_id``: also count each table's rows of
    that run."""
    with writer_lock(paths), _holding_published(paths) as held:
        _remove_stale_builds(paths)
        tmp = paths.build_path(build_id)
        try:
            if held is not None:
                _copy_held(held, tmp)
            con = _open_copy(tmp, paths)
            try:
                migrate(con)        # first: the views of apply_schema read the columns it adds
                apply_schema(con)
            finally:
                # DuckDB keeps what the schema's transaction held until its connection closes (8 MB on a
                # new file, at the run's memory peak otherwise): the build gets a connection of its own.
                con.close()
            con = _open_copy(tmp, paths)
            try:
                build(con)
                fill_renamed(con)   # deprecated column names carry the same values as their new names
                # After the build: a count taken before it missed the run's own ops.runs row.
                history = count(con, "SELECT count(*) FROM ops.runs")
                counts = {f"{s}.{t}": count(con, f"SELECT count(*) FROM {ident(s, t)}")
                          for s, t in base_tables(con)}
                run_rows = _run_rows(con, run_id) if run_id is not None else {}
                con.execute("CHECKPOINT")
            finally:
                con.close()
            _verify(tmp)
            _fsync(tmp)
            if wal_of(paths.published).exists():   # the hold makes this impossible; never pair a stray WAL
                raise WarehouseError(f"{wal_of(paths.published)} appeared during the publish (a session wrote "
                                     f"to {paths.published}); nothing was published: close it and run again")
            os.replace(tmp, paths.published)
            _fsync_dir(paths.home)
        except BaseException as exc:
            for leftover in (tmp, wal_of(tmp)):
                leftover.unlink(missing_ok=True)
            reason = _full_disk(exc)
            if reason:   # the build's write failed: say which file, and that the published one is whole
                raise WarehouseError(f"cannot write the build file {tmp} ({reason}); the published warehouse "
                                     "is unchanged") from exc
            raise
    return PublishSummary(str(paths.published), build_id, counts, history, run_rows)


def _run_rows(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, int]:
    """Rows of ``run_id`` in every base table that has a run_id column, by ``schema.table``: counted in the
    built file, so the marts the models wrote, marts.city_changes, ops.runs and ops.fetch_log are counted
    like the frames the run handed in."""
    tables = con.execute(
        "SELECT c.schema_name, c.table_name FROM duckdb_columns() c JOIN duckdb_tables() t "
        "ON t.database_name = c.database_name AND t.schema_name = c.schema_name AND t.table_name = c.table_name "
        "WHERE c.database_name = current_database() AND NOT t.internal AND c.column_name = 'run_id' "
        "ORDER BY c.schema_name, c.table_name").fetchall()
    return {f"{s}.{t}": count(con, f"SELECT count(*) FROM {ident(s, t)} WHERE run_id = ?", [run_id])
            for s, t in tables}


def _table_columns(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str, str]]:
    """(schema, table, column, type) of every base table of the open database, in column order. Tables
    only: duckdb_columns() lists views' columns too, and a view an older file has where the schema now
    has a table (marts.city_changes) must not be altered as one (migrate drops it instead)."""
    return con.execute(
        "SELECT c.schema_name, c.table_name, c.column_name, c.data_type FROM duckdb_columns() c "
        "JOIN duckdb_tables() t ON t.database_name = c.database_name AND t.schema_name = c.schema_name "
        "AND t.table_name = c.table_name WHERE c.database_name = current_database() AND NOT t.internal "
        "ORDER BY c.schema_name, c.table_name, c.column_index").fetchall()


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Bring a copied warehouse to the current schema: add the columns its existing tables lack (nullable:
    older runs simply have no value; new tables and the views come from apply_schema, run after this),
    apply the type changes schema_changes.yaml lists, and drop NOT NULL from deprecated columns. Returns
    what changed, as ``schema.table.column`` with a note for a change of type or constraint."""
    have = {(s, t, c): dtype for s, t, c, dtype in _table_columns(con)}
    if not have:        # a new file (the first publish of a home): apply_schema makes it whole
        return []
    wanted = duckdb.connect()
    try:
        apply_schema(wanted)
        declared = _table_columns(wanted)
    finally:
        wanted.close()
    tables = {(s, t) for s, t, _ in have}
    # marts.city_changes was a view over the whole history; it is now a table the publish step fills.
    if count(con, "SELECT count(*) FROM duckdb_views() WHERE database_name = current_database() "
                  "AND schema_name = 'marts' AND view_name = 'city_changes'"):
        con.execute("DROP VIEW marts.city_changes")
    added = []
    retypes = allowed_retypes()
    for schema, table, column, dtype in declared:
        if (schema, table) not in tables:
            continue
        current = have.get((schema, table, column))
        if current is None:
            con.execute(f"ALTER TABLE {ident(schema, table)} ADD COLUMN {ident(column)} {dtype}")
            added.append(f"{schema}.{table}.{column}")
        elif current != dtype:
            # Only the type changes schema_changes.yaml lists (TIMESTAMP -> DATE for snapshot): any other
            # mismatch is a schema nobody planned, and converting it silently could lose values.
            if (column, current, dtype) not in retypes:
                raise WarehouseError(f"{schema}.{table}.{column} is {current} in the published warehouse but "
                                     f"{dtype} in warehouse/sql, and warehouse/schema_changes.yaml lists no "
                                     "such change")
            con.execute(f"ALTER TABLE {ident(schema, table)} ALTER COLUMN {ident(column)} TYPE {dtype}")
            added.append(f"{schema}.{table}.{column} ({current} -> {dtype})")
    added += [f"{c} (NOT NULL dropped: deprecated)" for c in relax_deprecated(con)]
    return added


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
        collist = ", ".join(ident(c) for c in frame.columns)
        con.execute(f"INSERT INTO {ident(schema, name)} ({collist}) SELECT {collist} FROM _frame")
    finally:
        con.unregister("_frame")


#: Columns the publisher adds to every row of a run (so no asset's frame, and no suite, has them).
RUN_COLUMNS = ("snapshot", "run_id")


def _with_run_columns(frame: pd.DataFrame, run: RunRecord) -> pd.DataFrame:
    if frame.empty:
        return frame
    # A timestamp value, never a string: DuckDB would otherwise compare snapshots as text.
    return frame.assign(**dict(zip(RUN_COLUMNS, (pd.Timestamp(_naive(run.snapshot)), run.run_id), strict=True)))


def _verify(path) -> None:
    """Re-open the finished build read-only and read it whole before it may replace the published file: a
    build copied from a damaged file must not be published over it."""
    verify_readable(Path(path))


def verify_readable(path: Path) -> None:
    """Read every row of every table of ``path`` (a row's hash reads all of its columns, so every block is
    read and its checksum checked); WarehouseError naming the file when any part cannot be read. A run
    checks the published file before it starts, so a damaged one stops it in seconds, not after hours of
    crawling. Reading is fast next to a publish (a 10 MB sample file in well under a second)."""
    try:
        con = duckdb.connect(str(path), read_only=True)
        try:
            for schema, table in base_tables(con):
                con.execute(f"SELECT count(*), max(hash(x)) FROM {ident(schema, table)} x").fetchone()
        finally:
            con.close()
    except duckdb.Error as exc:
        raise WarehouseError(open_error(path, exc)
                             or f"the warehouse {path} cannot be read ({str(exc).splitlines()[0]}); move it aside "
                                "(with its .wal, if any) to start a fresh history, or put back a good copy"
                             ) from exc


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
