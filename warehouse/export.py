"""Files for people who do not use DuckDB: every mart of one snapshot as CSV and Parquet, with a manifest
that says which run they come from and a checksum per file, so a citation can name exact bytes.

A snapshot's rows are those of its current run (several runs of one month can exist; ops.current_run says
which one stands for the month, and the manifest names the one exported), in ``<out>/<YYYY-MM>/``. Any
other published run, such as one that a re-run of its month superseded, can be exported by its id: it goes
to ``<out>/<YYYY-MM>_run-<first 8 characters of its id>/``, so it never replaces the month's folder and no
later run of the month replaces it (whoever cited the earlier run gets its exact rows back).

Files are written into a temporary folder and renamed into place, so a killed export never leaves a
half-written snapshot folder behind (warehouse/atomic_dir.py).

CSV files are for spreadsheets, so their text cells follow warehouse/spreadsheet.py: text that a
spreadsheet would run as a formula (starting with = + - @, a tab or a carriage return) gets a leading
apostrophe. Parquet files hold the exact values; the manifest says so for whoever opens the folder. Each is written
from a fresh copy of its rows, so the same run exports to the same bytes however many runs were published
after it.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from warehouse.atomic_dir import building
from warehouse.paths import WarehousePaths
from warehouse.publish import WarehouseError
from warehouse.read import connect_published
from warehouse.schema import count
from warehouse.spreadsheet import neutralized_select, register

FORMATS = ("csv", "parquet")
#: Views computed for the latest run only; exported with the snapshot that is the latest.
LATEST_ONLY_VIEWS = ("outreach_targets", "outreach_longer_path", "outreach_not_observed")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
#: A shorter prefix of a run id could match many runs by chance (a full id of any length is accepted). It is
#: also how much of the id a run's export folder carries.
MIN_PREFIX = 8

#: The runs a run id names: its exact id, or every id it begins when it is long enough to be a prefix. A run
#: recorded in ops.run_failures after it published (a step after the publish failed) still has its rows.
_MATCHING_RUNS = """
    SELECT run_id, bool_or(published) AS published FROM (
        SELECT run_id, status = 'success' AS published FROM ops.runs
        UNION ALL
        SELECT run_id, false FROM ops.run_failures)
    WHERE run_id = $id OR (length($id) >= $min AND starts_with(run_id, $id))
    GROUP BY run_id ORDER BY run_id"""

#: Other runs whose ids begin with this run's folder prefix: when there is one, the folder takes the full id.
_RUNS_SHARING_PREFIX = """
    SELECT count(DISTINCT run_id) FROM (SELECT run_id FROM ops.runs UNION ALL SELECT run_id FROM ops.run_failures)
    WHERE starts_with(run_id, $prefix) AND run_id <> $id"""

#: The run that stands for a month (the one definition, ops.current_run); $m is 'YYYY-MM', or NULL for any.
_CURRENT_RUN = "SELECT run_id FROM ops.current_run(CAST($m AS VARCHAR))"

#: What the manifest says of the exported run.
_RUN = """
    SELECT run_id, strftime(snapshot, '%Y-%m'), cdpi_version, is_sample,
           run_id = (SELECT run_id FROM ops.latest_run) AS is_latest, mode, config_json,
           strftime(finished_at, '%Y-%m-%dT%H:%M:%SZ'), coalesce(replay_sources, []),
           (SELECT max(extractor_version) FROM marts.evidence e WHERE e.run_id = r.run_id)
    FROM ops.runs r WHERE run_id = $id"""

#: What the manifest tells readers of the CSV files about text cells.
CSV_TEXT_NOTE = ("In the CSV files, a text cell that begins with =, +, -, @, a tab or a carriage return has an "
                 "apostrophe (') put in front of it, so that a spreadsheet shows it as text instead of running "
                 "it as a formula. Numbers are written as they are. The Parquet files hold the exact text.")


#: CSV has no types: a reader guessing them turns codes with leading zeros into numbers.
CSV_TYPES_NOTE = ("CSV carries no types: each file's columns and their warehouse types are listed under files. "
                  "Codes such as geoid and place_fips are text with leading zeros (state 01-09): read them as "
                  "text, e.g. pandas read_csv(..., dtype={'geoid': str}) or DuckDB read_csv(..., "
                  "types={'geoid': 'VARCHAR'}), or use the Parquet files, which keep every type.")


@dataclass(frozen=True)
class ExportSummary:
    folder: Path
    snapshot: str
    run_id: str
    files: dict[str, int]            # file name -> rows
    latest_for_month: bool = True    # the run stands for its month (ops.current_run)
    superseded_by: str | None = None  # when it does not: the run that does


def export_snapshot(paths: WarehousePaths, snapshot: str | None = None, out: Path | None = None,
                    formats: tuple[str, ...] = FORMATS, run_id: str | None = None) -> ExportSummary:
    """Write ``<out>/<YYYY-MM>/marts.<table>.<fmt>`` (and ``ops.corrections.<fmt>``, the attested corrections
    as the run found them) and ``manifest.json`` for one snapshot (default: the latest); ``out`` defaults to
    ``<home>/exports``.

    ``run_id`` (a full id, or a prefix of at least MIN_PREFIX characters) exports that run instead, whether
    it stands for its month or was superseded, into ``<out>/<YYYY-MM>_run-<first 8 of its id>/`` (the full
    id when another run's id begins the same way): never the month's folder, which is the current run's.
    ``snapshot``, given as well, must be that run's month."""
    if snapshot is not None and not _MONTH.match(snapshot):
        raise WarehouseError(f"snapshot must look like YYYY-MM, not {snapshot!r}")
    unknown = set(formats) - set(FORMATS)
    if unknown or not formats:
        raise WarehouseError(f"formats must be among {', '.join(FORMATS)}")
    con = connect_published(paths, sandbox=False)
    try:
        register(con)
        named = run_id is not None
        if run_id is None:
            current = con.execute(_CURRENT_RUN, {"m": snapshot}).fetchone()
            if current is None:
                raise WarehouseError(f"no successful run for snapshot {snapshot}" if snapshot
                                     else "no successful run")
            run_id = current[0]
        else:
            run_id = _named_run(con, run_id)
        run = con.execute(_RUN, {"id": run_id}).fetchone()
        if run is None:         # chosen from ops.runs above: only a concurrent change could get here
            raise WarehouseError(f"run {run_id} is not in the warehouse")
        run_id, month, version, is_sample, is_latest, mode, config_json, finished, replayed, rules = run
        if snapshot is not None and month != snapshot:
            raise WarehouseError(f"run {run_id} is of snapshot {month}, not {snapshot}; leave out --snapshot "
                                 "(the run names its month)")
        if not re.fullmatch(r"[0-9A-Za-z-]+", run_id):   # interpolated into COPY and a folder name: ids only
            raise WarehouseError(f"unexpected run id {run_id!r}")
        standing = con.execute(_CURRENT_RUN, {"m": month}).fetchone()
        is_current = standing is not None and standing[0] == run_id
        superseded_by = None if is_current or standing is None else str(standing[0])
        archives_json = _archives_json(con, run_id)
        tables = [t for (t,) in con.execute(
            "SELECT table_name FROM duckdb_columns() WHERE database_name = current_database() "
            "AND schema_name = 'marts' AND column_name = 'run_id' AND table_name IN (SELECT table_name FROM "
            "duckdb_tables() WHERE database_name = current_database() AND schema_name = 'marts') "
            "ORDER BY table_name").fetchall()]
        target = (out or paths.home / "exports") / (_run_folder(con, month, run_id) if named else month)
        files: dict[str, int] = {}
        with building(target, marker="manifest.json") as work:
            queries = [(f"marts.{t}", f"SELECT * FROM marts.{t} WHERE run_id = '{run_id}'") for t in tables]
            # The attested corrections as this run found them: what decided any attested_* criterion.
            if count(con, "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
                          "AND schema_name = 'ops' AND table_name = 'corrections'"):
                queries.append(("ops.corrections", f"SELECT * FROM ops.corrections WHERE run_id = '{run_id}'"))
            if is_latest:
                queries += [(f"marts.{v}", f"SELECT * FROM marts.{v}") for v in LATEST_ONLY_VIEWS]
            types: dict[str, dict[str, str]] = {}
            for name, query in queries:
                rows = count(con, f"SELECT count(*) FROM ({query})")
                columns = {c: t for c, t, *_ in con.execute(f"DESCRIBE {query}").fetchall()}
                for fmt in formats:
                    path = work / f"{name}.{fmt}"
                    if fmt == "parquet":
                        # The rows copied into a table of their own first: the Parquet writer's pages follow
                        # the chunks its input arrives in, and a run's rows scanned out of a warehouse that
                        # later runs were appended to arrive in other chunks (the same values gave other
                        # bytes). Read from a fresh table they arrive the same way every time.
                        con.execute(f"CREATE OR REPLACE TEMP TABLE _export_rows AS {query}")
                        source, options = "SELECT * FROM _export_rows", "FORMAT parquet, COMPRESSION zstd"
                    else:
                        source, options = neutralized_select(con, query), "FORMAT csv, HEADER"
                    con.execute(f"COPY ({source}) TO {_literal(path)} ({options})")
                    files[path.name] = rows
                    types[path.name] = columns
            # What a citation needs to name the result and how it was made: the run, its mode and settings
            # (the filters and rules options it ran with), the archives a replay read, the evidence rules.
            config = json.loads(config_json) if config_json else {}
            settings = config.get("settings") or {}
            manifest = {"snapshot": month, "run_id": run_id, "cdpi_version": version, "is_sample": is_sample,
                        "mode": mode, "finished_at": finished,
                        # Whether the run still stands for its month (ops.current_run) or a re-run of the
                        # month superseded it, and then which run stands instead, as of this export.
                        "latest_for_month": is_current, "superseded_by": superseded_by,
                        "evidence_rules_version": rules,
                        "settings": settings, "replay_sources": list(replayed),
                        "replay_archives": _replay_archives(archives_json, replayed),
                        # The checks that decided which rows were set aside: their digest, and the edited
                        # copy's folder when the run did not use the shipped suites (CDPI_SUITES_DIR).
                        "validation_suites": {"sha256": config.get("suites_sha256"),
                                              "folder": config.get("suites_dir")},
                        # The SHA-256 of each data file that decided the scores (rules.yaml, the criteria
                        # catalog, ...) as the run read them; null for runs published before they were recorded.
                        "data_files": config.get("data_files_sha256"),
                        # The attested corrections the run applied (how many, their digest, the moment their
                        # status was judged): ops.corrections.* lists them; null before they were recorded.
                        "corrections": config.get("corrections"),
                        "latest_only_views": list(LATEST_ONLY_VIEWS) if is_latest else [],
                        "source": paths.published.name,
                        "files": {n: {"rows": r, "sha256": _sha256(work / n), "columns": types[n]}
                                  for n, r in sorted(files.items())}}
            if not is_latest:
                manifest["latest_only_views_note"] = (f"{', '.join(LATEST_ONLY_VIEWS)} are not exported: they "
                                                      "describe the latest run only, and this snapshot's run is not it")
            if "csv" in formats:
                manifest["csv_text_cells"] = CSV_TEXT_NOTE
                manifest["csv_column_types"] = CSV_TYPES_NOTE
            (work / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    finally:
        con.close()
    return ExportSummary(target, month, run_id, files, is_current, superseded_by)


def _named_run(con: duckdb.DuckDBPyConnection, given: str) -> str:
    """The published run that ``given`` names (its full id, or an unambiguous prefix of MIN_PREFIX or more
    characters); a message saying what to do when it names none, several, or a run that failed."""
    given = given.strip()      # an id copied from `cdpi runs` (tab-separated) often brings a space along
    if len(given) > 80:         # an id is 36 characters: echo no more than a glance of anything longer
        raise WarehouseError(f"{given[:40]!r}... ({len(given)} characters) is no run id; `cdpi runs` lists the runs")
    matches = con.execute(_MATCHING_RUNS, {"id": given, "min": MIN_PREFIX}).fetchall()
    exact = [m for m in matches if m[0] == given]
    matches = exact or matches
    if not matches:
        if len(given) < MIN_PREFIX:
            raise WarehouseError(f"no run has the id {given!r}, and a shorter part of an id must have at least "
                                 f"{MIN_PREFIX} characters; `cdpi runs` lists the runs")
        raise WarehouseError(f"no run id begins with {given!r}; `cdpi runs` lists the runs")
    if len(matches) > 1:
        shown = ", ".join(m[0] for m in matches[:3]) + (", ..." if len(matches) > 3 else "")
        raise WarehouseError(f"{given!r} begins {len(matches)} run ids ({shown}); give more of the id "
                             "(`cdpi runs` lists the runs)")
    (found, published), = matches
    if not published:
        raise WarehouseError(f"run {found} failed and published no rows (see ops.run_failures); export a run "
                             "that `cdpi runs` lists as success")
    return str(found)


def _run_folder(con: duckdb.DuckDBPyConnection, month: str, run_id: str) -> str:
    """``<YYYY-MM>_run-<first 8 of the id>``: short enough to read, and apart from the month's own folder so
    that neither replaces the other. When another run's id begins with the same characters the folder takes
    the whole id, so two runs never share one."""
    prefix = run_id[:MIN_PREFIX]
    if count(con, _RUNS_SHARING_PREFIX, {"prefix": prefix, "id": run_id}):
        prefix = run_id
    return f"{month}_run-{prefix}"


def _archives_json(con: duckdb.DuckDBPyConnection, run_id: str) -> str | None:
    """ops.runs.replay_archives_json of the run; None from a file published before the column existed (an
    export reads the file as it is: the column is added when the next run is published)."""
    if not count(con, "SELECT count(*) FROM duckdb_columns() WHERE database_name = current_database() "
                      "AND schema_name = 'ops' AND table_name = 'runs' AND column_name = 'replay_archives_json'"):
        return None
    row = con.execute("SELECT replay_archives_json FROM ops.runs WHERE run_id = ?", [run_id]).fetchone()
    return row[0] if row else None


def _replay_archives(archives_json: str | None, replayed: list[str]) -> list[dict] | None:
    """Each archive the run replayed as {path, sha256, bytes} (ops.runs.replay_archives_json); [] for a run
    that replayed nothing, None for a replay published before the digests were recorded (unknown, not
    none)."""
    if archives_json:
        return list(json.loads(archives_json))
    return None if replayed else []


def _literal(path: Path) -> str:
    """A SQL string literal for a file path (COPY takes no bound parameter for its target)."""
    return "'" + str(path).replace("'", "''") + "'"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
