"""Crash safety: real `cdpi run` processes SIGKILLed at spread-out points of a run.

The claims, each with a test (see docs/crash-safety.md for the measured figures):

* the published warehouse is only ever the previous file (byte for byte) or the complete new snapshot,
  whatever the phase the kill lands in; nothing a killed run leaves behind stops the next run;
* a reader querying the published file throughout never sees an error or a half-written state;
* a live run killed mid-crawl resumes from the conditional-GET cache: the re-run completes and the pages
  fetched before the kill come back as 304s instead of full bodies; the killed run's WARC records stay
  readable;
* a killed snapshot export leaves the exported folder intact, and the next export removes what it left.

These spawn whole pipeline runs, so they are marked slow (run with ``-m ''``).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from warcio.archiveiterator import ArchiveIterator

from sources.http.archive import ReplayIndex
from tests.simweb.population import build_population
from tests.simweb.server import SimWeb
from warehouse.paths import WarehousePaths
from warehouse.read import connect_published

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(REPO), "GX_ANALYTICS_ENABLED": "false"}
BASE_MONTH, NEW_MONTH = "2026-09", "2026-10"
LIMIT = 25
#: Kill points as fractions of the measured duration D of a complete run. Two more kills are triggered by
#: events rather than time, so the two narrowest windows (about a second each, at 85-95 % of D, and where
#: exactly varies by tens of percent on a busy machine) are always hit: the moment this run's warehouse
#: build file appears, and the moment the published file has just been replaced.
FRACTIONS = (0.10, 0.30, 0.50, 0.70)
BUILD_GLOB = ".warehouse.duckdb.build-*"


# ------------------------------------------------------------------------------------------------ helpers
def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _cdpi_run(home: Path, month: str, log: Path) -> subprocess.Popen:
    """`cdpi run --sample` in its own process group (so the whole group can be killed at once)."""
    out = open(log, "w")  # noqa: SIM115 - handed to the child; closed by _reap
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "run", "--sample", "--limit", str(LIMIT), "--home", str(home),
         "--quiet", "--month", month],
        cwd=REPO, env=ENV, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    proc._cdpi_log = out  # type: ignore[attr-defined]
    return proc


def _kill_group(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    _reap(proc)


def _reap(proc: subprocess.Popen) -> int:
    code = proc.wait(timeout=60)
    proc._cdpi_log.close()  # type: ignore[attr-defined]
    return code


def _fingerprint(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, tuple[int, int]]]:
    """Per base table and run id: (rows, order-independent hash of the rows)."""
    tables = con.execute("SELECT schema_name, table_name FROM duckdb_tables() "
                         "WHERE database_name = current_database() AND NOT internal ORDER BY ALL").fetchall()
    out: dict[str, dict[str, tuple[int, int]]] = {}
    for schema, table in tables:
        rows = con.execute(f'SELECT run_id, count(*), sum(hash(_row_)::HUGEINT) FROM "{schema}"."{table}" _row_ '
                           "GROUP BY run_id").fetchall()
        out[f"{schema}.{table}"] = {run_id: (n, int(h)) for run_id, n, h in rows}
    return out


def _inconsistent_runs(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Runs whose recorded city / fetch counts disagree with the rows present: a half-written file."""
    return [r for (r,) in con.execute("""
        SELECT r.run_id FROM ops.runs r
        WHERE r.city_count <> (SELECT count(*) FROM marts.cities c WHERE c.run_id = r.run_id)
           OR r.fetch_count <> (SELECT count(*) FROM ops.fetch_log f WHERE f.run_id = r.run_id)""").fetchall()]


@dataclass
class Published:
    sha: str
    runs: dict[str, str]                     # run id -> snapshot month
    fingerprint: dict[str, dict[str, tuple[int, int]]]


def _inspect(path: Path) -> Published:
    """Open the published file read-only the plain way, as any DuckDB client would, and describe it."""
    sha = _sha256(path)
    con = duckdb.connect(str(path), read_only=True)
    try:
        assert con.execute("PRAGMA database_size").fetchall()
        runs = dict(con.execute("SELECT run_id, strftime(snapshot, '%Y-%m') FROM ops.runs "
                                "WHERE status = 'success'").fetchall())
        assert not _inconsistent_runs(con)
        fingerprint = _fingerprint(con)
    finally:
        con.close()
    return Published(sha, runs, fingerprint)


def _lock_is_free(lock: Path) -> bool:
    with open(lock, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(fh, fcntl.LOCK_UN)
        return True


def _phase(home: Path, started: float, build_files: list[str], replaced: bool) -> str:
    """Where the killed run was, from what it left: step outputs written since it started, a warehouse
    build file, a replaced published file, export and report folders."""
    if replaced:
        exports = home / "exports" / NEW_MONTH
        if (home / "report" / "index.html").exists() and (home / "report" / "index.html").stat().st_mtime >= started:
            return "after publish: report"
        if exports.exists() and exports.stat().st_mtime >= started:
            return "after publish: exports written"
        return "after publish: right after the replace / during exports"
    if build_files:
        return "warehouse build (build file present)"
    done = {p.parent.name for p in (home / "dagster_storage").glob(f"*/{NEW_MONTH}-01")
            if p.stat().st_mtime >= started}
    if "index_validation" in done:
        return "publish step before the build (history read, lock)"
    if "city_index" in done:
        return "index validation"
    if "cities" in done:
        return f"crawl/parse ({len(done)} step outputs written)"
    if done:
        return "universe (census, Wikidata)"
    return "startup (imports, replay archive)"


class Reader(threading.Thread):
    """Keeps querying the published warehouse through `connect_published`, a fresh connection each time,
    plus one connection held open throughout; records every error and every inconsistent state."""

    def __init__(self, paths: WarehousePaths, base_run: str, base_cities: tuple[int, int]):
        super().__init__(daemon=True, name="crash-safety-reader")
        self.paths, self.base_run, self.base_cities = paths, base_run, base_cities
        self.stop = threading.Event()
        self.queries = 0
        self.problems: list[str] = []
        self.states: set[frozenset[str]] = set()

    def check(self, con: duckdb.DuckDBPyConnection, label: str) -> None:
        runs = frozenset(r for (r,) in con.execute("SELECT run_id FROM ops.runs").fetchall())
        if self.base_run not in runs:
            self.problems.append(f"{label}: base run missing from ops.runs")
        bad = _inconsistent_runs(con)
        if bad:
            self.problems.append(f"{label}: half-written runs {bad}")
        cities = con.execute("SELECT count(*), sum(hash(_row_)::HUGEINT) FROM marts.cities _row_ WHERE run_id = ?",
                             [self.base_run]).fetchone()
        if (cities[0], int(cities[1])) != self.base_cities:
            self.problems.append(f"{label}: base run's marts.cities rows changed")
        self.states.add(runs)
        self.queries += 1

    def run(self) -> None:
        held = connect_published(self.paths)
        try:
            while not self.stop.is_set():
                try:
                    con = connect_published(self.paths)
                    try:
                        self.check(con, "fresh connection")
                    finally:
                        con.close()
                    self.check(held, "held connection")
                except Exception as exc:  # any error at all is a finding
                    self.problems.append(f"{type(exc).__name__}: {exc}")
                self.stop.wait(0.2)
        finally:
            held.close()


@dataclass
class Kill:
    trigger: str
    at_s: float
    phase: str
    outcome: str                 # unchanged | new snapshot | completed before the kill
    leftovers: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------- 1 + 2: kill loop
@pytest.mark.timeout(600)
def test_sigkill_at_any_point_leaves_old_or_complete_new_warehouse(tmp_path: Path) -> None:
    home = tmp_path / "home"
    paths = WarehousePaths(home)
    started = time.monotonic()
    base = _cdpi_run(home, BASE_MONTH, tmp_path / "base.log")
    assert _reap(base) == 0, (tmp_path / "base.log").read_text()
    duration = time.monotonic() - started
    state = _inspect(paths.published)
    assert set(state.runs.values()) == {BASE_MONTH}
    (base_run,) = state.runs
    base_fp = state.fingerprint
    reader = Reader(paths, base_run, base_fp["marts.cities"][base_run])
    reader.start()

    builds_before: set[str] = set()

    def build_started(_elapsed: float) -> bool:
        """A build file of this attempt's own snapshot (earlier kills may have left theirs, and an attempt
        first publishes the failure row of the kill before it, from a build-failure-<id> file)."""
        return any(p.name not in builds_before and "build-failure-" not in p.name for p in home.glob(BUILD_GLOB))

    inode = paths.published.stat().st_ino
    seen: dict[str, int | None] = {"inode": None}     # the published file's inode when the own build began

    def replaced(_elapsed: float = 0.0) -> bool:
        """The published file replaced during this attempt (by its snapshot or by a failure row)."""
        return paths.published.stat().st_ino != inode

    def snapshot_replaced(_elapsed: float = 0.0) -> bool:
        """The published file replaced by this attempt's own snapshot, not by the failure row before it."""
        if seen["inode"] is None:
            if build_started(_elapsed):
                seen["inode"] = paths.published.stat().st_ino
            return False
        return paths.published.stat().st_ino != seen["inode"]

    def fraction(f: float) -> Callable[[float], bool]:
        return lambda elapsed: elapsed >= f * duration

    triggers: list[tuple[str, Callable[[float], bool]]] = [(f"{f:.0%} of D", fraction(f)) for f in FRACTIONS]
    triggers += [("build file appears", build_started), ("published file replaced", snapshot_replaced)]
    kills: list[Kill] = []
    try:
        for i, (label, due) in enumerate(triggers):
            inode, seen["inode"] = paths.published.stat().st_ino, None
            builds_before = {p.name for p in home.glob(BUILD_GLOB)}
            wall = time.time()
            t0 = time.monotonic()
            proc = _cdpi_run(home, NEW_MONTH, tmp_path / f"kill-{i}.log")
            while proc.poll() is None and not due(time.monotonic() - t0):
                time.sleep(0.005)
            at = time.monotonic() - t0
            finished = proc.poll() is not None
            _kill_group(proc)
            assert not finished or proc.returncode == 0, (tmp_path / f"kill-{i}.log").read_text()[-3000:]
            # The report folder has its own lock and work folder (warehouse/atomic_dir.py), repaired by the
            # next writer; only warehouse build files are the publish's business here.
            # The run lock and the killed run's note of it (pipelines/runlock.py) are taken over by the next run.
            leftovers = sorted(p.name for p in home.iterdir() if p.name.startswith(".")
                               and p.name not in (paths.lock.name, paths.run_lock.name, paths.run_holder.name)
                               and not p.name.startswith(".report"))
            is_new = replaced()
            # This attempt's own snapshot build, still there: the kill landed in it (a failure row's build,
            # published first, or an earlier kill's leftover say nothing about where this attempt was).
            own_build = [n for n in leftovers if "build-" in n and n not in builds_before and "build-failure-" not in n]
            phase = ("completed" if finished else "warehouse build (build file present)" if own_build
                     else _phase(home, wall, [n for n in leftovers if "build-" in n], is_new))

            # The writer and run locks die with their holder; the published file never has a write-ahead log.
            assert _lock_is_free(paths.lock), f"{label}: lock still held after the kill"
            assert _lock_is_free(paths.run_lock), f"{label}: the home is still held after the kill"
            assert not paths.published.with_name(paths.published.name + ".wal").exists()
            # Stray build files belong to at most one (the killed) build: each writer removes older ones.
            assert len({n.split("build-")[1].removesuffix(".wal") for n in leftovers if "build-" in n}) <= 1
            assert all(n.startswith(".warehouse.duckdb.build-") for n in leftovers), leftovers

            now = _inspect(paths.published)
            if not is_new:
                assert now.sha == state.sha, f"{label} ({phase}): published file changed without a replace"
                outcome = "unchanged"
            elif not set(now.runs) - set(state.runs):
                # Before its own work, the run marked the previously killed one failed and recorded that
                # (pipelines/instance.py, settle_abandoned_runs): a publish that only adds a failure row.
                changed = {t for t, per_run in now.fingerprint.items() if per_run != state.fingerprint.get(t)}
                assert changed == {"ops.run_failures"}, f"{label}: {sorted(changed)} changed without a new run"
                outcome = "failure of the previous kill recorded"
                state = now
            else:
                added = set(now.runs) - set(state.runs)
                assert set(state.runs) <= set(now.runs), f"{label}: runs lost"
                assert len(added) == 1 and now.runs[added.pop()] == NEW_MONTH, now.runs
                for table, per_run in state.fingerprint.items():
                    for run_id, fp in per_run.items():
                        assert now.fingerprint[table].get(run_id) == fp, f"{label}: {table} rows of {run_id} changed"
                outcome = "completed before the kill" if finished else "new snapshot"
                state = now
            kills.append(Kill(label, at, phase, outcome, leftovers))
            exports_left = sorted(p.name for p in (home / "exports").glob(".*"))
            print(f"kill {label:>23} at {at:5.1f}s = {at / duration:4.0%} of D={duration:.1f}s: {phase}; {outcome}; "
                  f"left {leftovers or 'nothing'}" + (f", exports/{exports_left}" if exports_left else ""))

        # Run to completion over whatever the kills left behind.
        final = _cdpi_run(home, NEW_MONTH, tmp_path / "final.log")
        assert _reap(final) == 0, (tmp_path / "final.log").read_text()
    finally:
        reader.stop.set()
        reader.join(timeout=30)

    assert not list(home.glob(BUILD_GLOB)), "the completed run must clear every stale build file"
    done = _inspect(paths.published)
    assert done.runs[base_run] == BASE_MONTH
    new_runs = set(done.runs) - set(state.runs)
    assert len(new_runs) == 1 and done.runs[next(iter(new_runs))] == NEW_MONTH
    (new_run,) = new_runs
    assert done.fingerprint["marts.cities"][new_run][0] == LIMIT
    for table, per_run in base_fp.items():
        assert done.fingerprint[table].get(base_run) == per_run.get(base_run), f"{table}: base run rows changed"
    con = connect_published(paths)
    try:
        months = [m for (m,) in con.execute("SELECT DISTINCT strftime(snapshot, '%Y-%m') FROM marts.cities "
                                            "ORDER BY 1").fetchall()]
    finally:
        con.close()
    assert months == [BASE_MONTH, NEW_MONTH]

    phases = {k.phase.split(" (")[0].split(":")[0] for k in kills}
    print(f"reader: {reader.queries} checks, {len(reader.states)} distinct run sets, "
          f"{len(reader.problems)} problems; phases hit: {sorted(phases)}; total {time.monotonic() - started:.0f}s")
    assert not reader.problems, reader.problems[:5]
    assert reader.queries >= 20
    assert len(reader.states) >= 2, "the reader should have seen the new snapshot appear"
    assert "warehouse build" in phases and "after publish" in phases
    assert any(k.outcome == "unchanged" for k in kills) and any(k.outcome == "new snapshot" for k in kills)


# ---------------------------------------------------------------------------------------- 3: resumability
LIVE_CHILD = r"""
import json, sys
import dagster as dg
from pipelines.definitions import ALL_ASSETS, default_resources
from pipelines.resources import CrawlSettings, FetcherResource, RunSettings, WarehouseResource
from tests.simweb.server import DOC_HOSTS

home, resolve, month = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
# build_sample's politeness settings, but with the conditional-GET cache on (its default): the cache
# lives in <home>/http_cache, so a re-run with the same home finds what the killed run stored.
fetcher = FetcherResource(min_delay_s=0.01, max_crawl_delay_s=0.05, conditional_get=True, read_timeout_s=2.0,
                          backoff_base_s=0.05, allow_addresses=["127.0.0.1"], resolve=resolve)
resources = default_resources(WarehouseResource(home=home), fetcher, RunSettings(mode="live", is_sample=True),
                              CrawlSettings(max_document_bytes=1024 * 1024, extra_doc_hosts=list(DOC_HOSTS)))
result = dg.materialize(ALL_ASSETS, resources=resources, partition_key=month,
                        instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)
print("RESULT", result.success, result.run_id, flush=True)
"""
N_CITIES, SEED = 20, 2026
#: Kill once the server has answered this many full (200) bodies to city hosts: well into the crawl,
#: which makes ~650 requests to city hosts for 20 cities.
KILL_AFTER_BODIES = 200


def _read_warc(path: Path) -> tuple[int, str | None]:
    """Records readable from the start of a WARC file, and the error that stopped reading, if any."""
    n = 0
    try:
        with open(path, "rb") as fh:
            for record in ArchiveIterator(fh):
                record.content_stream().read()
                n += 1
    except Exception as exc:  # a torn last record is what a kill may leave
        return n, f"{type(exc).__name__}: {exc}"
    return n, None


@pytest.mark.timeout(300)
def test_live_run_killed_mid_crawl_resumes_from_the_conditional_get_cache(tmp_path: Path) -> None:
    home = tmp_path / "home"
    paths = WarehousePaths(home)
    script = tmp_path / "live_run.py"
    script.write_text(LIVE_CHILD, encoding="utf-8")
    population = build_population(N_CITIES, seed=SEED)
    with SimWeb(population, seed=SEED) as sim:
        resolve = json.dumps({k: ("dns" if v is None else v) for k, v in sim.resolve_map().items()})

        def start(log: Path) -> subprocess.Popen:
            out = open(log, "w")  # noqa: SIM115 - closed by _reap
            proc = subprocess.Popen([sys.executable, str(script), str(home), resolve, f"{NEW_MONTH}-01"],
                                    cwd=REPO, env=ENV, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
            proc._cdpi_log = out  # type: ignore[attr-defined]
            return proc

        def city_bodies() -> int:
            return sum(1 for h, _p, _s, _e, status, _b in sim.stats()["requests"]
                       if status == 200 and h.endswith(".example"))

        t0 = time.monotonic()
        proc = start(tmp_path / "killed.log")
        deadline = t0 + 240
        while proc.poll() is None and city_bodies() < KILL_AFTER_BODIES:
            assert time.monotonic() < deadline, "the live run never reached the crawl"
            time.sleep(0.02)
        assert proc.poll() is None, "the live run finished before the kill point"
        _kill_group(proc)
        killed_at = time.monotonic() - t0
        time.sleep(0.2)   # let the server record any request the kill cut short
        before = sim.stats()["requests"]
        assert not (home / "dagster_storage" / "crawl_pages").exists(), "the kill should land mid-crawl"
        assert not paths.published.exists()

        # What the killed run left: WARC records readable up to the kill, validators committed to the cache.
        (run_dir,) = paths.runs.iterdir()
        warcs = sorted((run_dir / "warc").glob("*.warc.gz"))
        assert warcs
        read = {w.name: _read_warc(w) for w in warcs}
        records = sum(n for n, _err in read.values())
        torn = {name: err for name, (_n, err) in read.items() if err}
        # A kill can also land inside a record's write: a file cut at an arbitrary byte still yields every
        # record before the cut, and the replay index still loads it.
        largest = max(warcs, key=lambda w: w.stat().st_size)
        cut = tmp_path / "cut.warc.gz"
        cut.write_bytes(largest.read_bytes()[: largest.stat().st_size // 2 + 13])
        cut_records, _cut_error = _read_warc(cut)   # the torn tail may be reported; what precedes it is read
        assert 0 < cut_records < read[largest.name][0]
        assert len(ReplayIndex([str(cut)])) > 0
        with contextlib.closing(sqlite3.connect(paths.http_cache / "validators.sqlite")) as db:
            cached = db.execute("SELECT count(*) FROM validators").fetchone()[0]

        sim.reset_stats()
        t1 = time.monotonic()
        rerun = start(tmp_path / "rerun.log")
        assert _reap(rerun) == 0
        rerun_s = time.monotonic() - t1
        log = (tmp_path / "rerun.log").read_text()
        assert "RESULT True" in log, log[-2000:]
        after = sim.stats()["requests"]

    fetched = {(h, p) for h, p, _s, _e, status, _b in before if status == 200}
    cold_bytes = sum(b for h, p, _s, _e, status, b in before if status == 200)
    again = [(status, b) for h, p, _s, _e, status, b in after if (h, p) in fetched]
    not_modified = sum(1 for status, _b in again if status == 304)
    warm_bytes = sum(b for _status, b in again)
    print(f"killed at {killed_at:.1f}s after {len(before)} requests ({len(fetched)} URLs with a body, "
          f"{cold_bytes / 1e6:.2f} MB); {records} WARC records readable in {len(warcs)} files, torn: {torn or 'none'}; "
          f"a copy cut mid-file keeps {cut_records}/{read[largest.name][0]} records; "
          f"{cached} validators in the cache. Re-run {rerun_s:.1f}s, {len(after)} requests "
          f"({sum(1 for r in after if r[4] == 304)} answered 304, {sum(r[5] for r in after) / 1e6:.2f} MB); for the "
          f"URLs fetched before the kill: {not_modified}/{len(again)} answered 304, {warm_bytes / 1e3:.1f} kB "
          f"instead of {cold_bytes / 1e3:.1f} kB")

    assert records > KILL_AFTER_BODIES, "the exchanges archived before the kill stay readable"
    assert cached >= KILL_AFTER_BODIES // 2, "validators of the bodies fetched before the kill were not kept"
    assert again and not_modified / len(again) >= 0.8, "the re-run did not reuse the cache"
    assert warm_bytes <= 0.2 * cold_bytes
    con = connect_published(paths)
    try:
        runs = con.execute("SELECT run_id, status FROM ops.runs").fetchall()
    finally:
        con.close()
    assert len(runs) == 1 and runs[0][1] == "success" and runs[0][0] != run_dir.name
    assert not list(home.glob(BUILD_GLOB))


# ------------------------------------------------------------------------------ 4: a killed export's leftovers
EXPORT_KILL = r"""
import sys, time
from pathlib import Path
import warehouse.atomic_dir as atomic_dir
import warehouse.export as export
from warehouse.paths import WarehousePaths

ready = Path(sys.argv[2])
halfway = sys.argv[4] == "halfway"

def stalled(new, target):   # every file is written; hold before the swap, or between its two renames
    if halfway:
        target.rename(target.with_name(f".{target.name}-old"))
    ready.write_text(str(new))
    time.sleep(60)

atomic_dir._swap = stalled
export.export_snapshot(WarehousePaths(Path(sys.argv[1])), sys.argv[3])
"""


def _tiny_warehouse(paths: WarehousePaths, month: str) -> None:
    import pandas as pd

    from warehouse.publish import RunRecord, publish_run

    city = {"geoid": "3900001", "name": "Alpha", "legal_name": "Alpha city", "state_abbr": "OH", "state_fips": "39",
            "place_fips": "00001", "state_name": "Ohio", "population": 40_000, "population_year": 2024,
            "sumlev": "162", "funcstat": "A", "source": "csv", "website_url": "https://www.alpha.example/",
            "website_match": "csv", "website_lookup": "ok", "website_candidates": 1, "wikidata_qid": None,
            "is_sample": True}
    record = RunRecord(run_id="run-1", snapshot=datetime.fromisoformat(f"{month}-01"), mode="sample", is_sample=True,
                       started_at=datetime.now(UTC))
    publish_run(paths, record, {"staging.cities": pd.DataFrame([city])}, [])


@pytest.mark.parametrize("where", ["before_swap", "halfway"])
def test_killed_export_leaves_no_hidden_copy_behind(home: Path, tmp_path: Path, where: str) -> None:
    from warehouse.export import export_snapshot

    paths = WarehousePaths(home)
    _tiny_warehouse(paths, NEW_MONTH)
    export_snapshot(paths, NEW_MONTH)
    first = sorted(p.name for p in (home / "exports" / NEW_MONTH).iterdir())
    ready = tmp_path / "ready"
    proc = subprocess.Popen([sys.executable, "-c", EXPORT_KILL, str(home), str(ready), NEW_MONTH, where], cwd=REPO,
                            env=ENV, start_new_session=True)
    deadline = time.monotonic() + 60
    while not ready.exists():
        assert proc.poll() is None, "the export exited early"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    if where == "before_swap":   # the published snapshot folder is untouched by the killed export
        assert sorted(p.name for p in (home / "exports" / NEW_MONTH).iterdir()) == first
    # The next export repairs whatever the killed one left (its work folder, a half-done swap) and works.
    export_snapshot(paths, NEW_MONTH)
    assert sorted(p.name for p in (home / "exports" / NEW_MONTH).iterdir()) == first
    strays = sorted(p.name for p in (home / "exports").glob(".*") if not p.name.endswith(".lock"))
    assert not strays, strays
