"""Files for people who do not use DuckDB: every mart of one snapshot as CSV and Parquet, with a manifest
that says which run they come from and a checksum per file, so a citation can name exact bytes.

A snapshot's rows are those of its latest successful run (several runs of one month can exist; the
manifest names the one exported). Files are written into a temporary folder and renamed into place, so a
killed export never leaves a half-written snapshot folder behind (warehouse/atomic_dir.py).

CSV files are for spreadsheets, so their text cells follow warehouse/spreadsheet.py: text that a
spreadsheet would run as a formula (starting with = + - @, a tab or a carriage return) gets a leading
apostrophe. Parquet files hold the exact values; the manifest says so for whoever opens the folder.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

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


def export_snapshot(paths: WarehousePaths, snapshot: str | None = None, out: Path | None = None,
                    formats: tuple[str, ...] = FORMATS) -> ExportSummary:
    """Write ``<out>/<YYYY-MM>/marts.<table>.<fmt>`` (and ``ops.corrections.<fmt>``, the attested corrections
    as the run found them) and ``manifest.json`` for one snapshot (default: the latest); ``out`` defaults to
    ``<home>/exports``."""
    if snapshot is not None and not _MONTH.match(snapshot):
        raise WarehouseError(f"snapshot must look like YYYY-MM, not {snapshot!r}")
    unknown = set(formats) - set(FORMATS)
    if unknown or not formats:
        raise WarehouseError(f"formats must be among {', '.join(FORMATS)}")
    con = connect_published(paths, sandbox=False)
    try:
        register(con)
        run = con.execute("""
            SELECT run_id, strftime(snapshot, '%Y-%m'), cdpi_version, is_sample,
                   run_id = (SELECT run_id FROM ops.latest_run) AS is_latest, mode, config_json,
                   strftime(finished_at, '%Y-%m-%dT%H:%M:%SZ'), coalesce(replay_sources, []),
                   (SELECT max(extractor_version) FROM marts.evidence e WHERE e.run_id = r.run_id)
            FROM ops.current_run(CAST($m AS VARCHAR)) r""", {"m": snapshot}).fetchone()
        if run is None:
            raise WarehouseError(f"no successful run for snapshot {snapshot}" if snapshot else "no successful run")
        run_id, month, version, is_sample, is_latest, mode, config_json, finished, replayed, rules = run
        if not re.fullmatch(r"[0-9A-Za-z-]+", run_id):   # interpolated into COPY below: ids only
            raise WarehouseError(f"unexpected run id {run_id!r}")
        tables = [t for (t,) in con.execute(
            "SELECT table_name FROM duckdb_columns() WHERE database_name = current_database() "
            "AND schema_name = 'marts' AND column_name = 'run_id' AND table_name IN (SELECT table_name FROM "
            "duckdb_tables() WHERE database_name = current_database() AND schema_name = 'marts') "
            "ORDER BY table_name").fetchall()]
        target = (out or paths.home / "exports") / month
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
                        source, options = query, "FORMAT parquet, COMPRESSION zstd"
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
                        "mode": mode, "finished_at": finished, "evidence_rules_version": rules,
                        "settings": settings, "replay_sources": list(replayed),
                        # The checks that decided which rows were set aside: their digest, and the edited
                        # copy's folder when the run did not use the shipped suites (CDPI_SUITES_DIR).
                        "validation_suites": {"sha256": config.get("suites_sha256"),
                                              "folder": config.get("suites_dir")},
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
    return ExportSummary(target, month, run_id, files)


def _literal(path: Path) -> str:
    """A SQL string literal for a file path (COPY takes no bound parameter for its target)."""
    return "'" + str(path).replace("'", "''") + "'"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
