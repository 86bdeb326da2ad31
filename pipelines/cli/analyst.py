"""The analyst's commands: `cdpi sql` (and the guard that lets only one read-only query through), `runs`,
`docs`, `export`, `dev` (the Dagster UI) and `profile-portal`."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

from pipelines.cli.errors import CliError, check_environment
from pipelines.cli.home import _paths, _published
from pipelines.cli.output import _err, _print_rows, _sample_banner

# ---------------------------------------------------------------------------------------------- sql
#: `SHOW TABLES` on its own lists the current schema, which in the warehouse is the empty `main`: it lists
#: the warehouse's tables and views instead, with their descriptions (what an analyst asking means).
_SHOW_TABLES = re.compile(r"\s*show\s+tables\s*;?\s*", re.I)
_TABLES_QUERY = """
    SELECT schema_name AS schema, table_name AS name, 'table' AS kind, comment FROM duckdb_tables()
    WHERE database_name = current_database() AND NOT internal
    UNION ALL
    SELECT schema_name, view_name, 'view', comment FROM duckdb_views()
    WHERE database_name = current_database() AND NOT internal AND schema_name <> 'main'
    ORDER BY schema, name"""
#: PRAGMAs that only describe: a table's columns, or what SHOW would list.
_READ_PRAGMA = re.compile(r"\s*pragma\s+(?:table_info|show)\s*\(\s*'[A-Za-z0-9_.]+'\s*\)\s*;?\s*", re.I)
#: A real run always wins the latest run over a sample run: a latest run of the sample means this warehouse
#: holds no real run, and the `_latest` views a query reads are all synthetic.
_LATEST_IS_SAMPLE = "SELECT is_sample FROM ops.latest_run"


def cmd_sql(args: argparse.Namespace) -> int:
    query = _TABLES_QUERY if _SHOW_TABLES.fullmatch(args.query) else args.query
    with _published(args) as con:
        _read_only_statement(con, query)
        cursor = con.execute(query)
        if cursor.description is None:
            return 0
        columns = [d[0] for d in cursor.description]
        rows = cursor.fetchmany(args.max_rows + 1)
        sample = _only_sample(con)
    truncated = len(rows) > args.max_rows
    _sample_banner(sample)
    _print_rows(columns, rows[: args.max_rows], args.format)
    if truncated:
        _err(f"(showing the first {args.max_rows} rows; use --max-rows to see more)")
    return 0


def _only_sample(con) -> bool:
    """Whether the warehouse holds the built-in sample and no real run. A query may read any table, so the
    banner is the warehouse's: shown on a sample home whatever the query, never on a home with a real run
    (whose tables may still keep an earlier sample run's rows, each marked in its run's is_sample)."""
    import duckdb

    try:
        row = con.execute(_LATEST_IS_SAMPLE).fetchone()
    except duckdb.Error:        # a warehouse too old or too damaged to say: the query's own rows still print
        return False
    return bool(row and row[0])


def _read_only_statement(con, query: str) -> None:
    """`cdpi sql` runs one query that only reads (SELECT, and what DuckDB parses as one: FROM ..., SHOW,
    DESCRIBE, SUMMARIZE; EXPLAIN; or PRAGMA table_info / show of one named table). The connection is
    read-only and sandboxed as well, but a statement list could DETACH it and ATTACH the file again:
    refusing anything but a single read closes that."""
    import duckdb

    try:
        statements = con.extract_statements(query)
    except duckdb.Error as exc:
        raise CliError(f"cannot parse the query: {exc}") from None
    allowed = (duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN)
    if len(statements) == 1 and statements[0].type == duckdb.StatementType.PRAGMA and _READ_PRAGMA.fullmatch(query):
        return
    if len(statements) != 1 or statements[0].type not in allowed:
        kinds = ", ".join(_statement_word(st) for st in statements) or "nothing"
        raise CliError(f"cdpi sql runs a single read-only query (SELECT, SHOW, DESCRIBE, SUMMARIZE, EXPLAIN, "
                       f"PRAGMA table_info('t')); got {kinds}")


#: Comments and opening parentheses before a statement's first keyword.
_LEAD = re.compile(r"(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/|\()*", re.S)


def _statement_word(statement) -> str:
    """What a refused statement is, in the user's words: its first keyword (DuckDB files INSTALL under LOAD),
    after comments and parentheses; DuckDB's own type when that word does not say (WITH ... DELETE)."""
    words = _LEAD.sub("", statement.query, count=1).split(None, 1)
    word = words[0].rstrip(";").upper() if words else ""
    return word if word.isalpha() and word not in ("WITH", "SELECT", "FROM") else statement.type.name


#: `cdpi runs`: newest first by the full timestamp (the minute shown would order runs of one minute at
#: random). Besides what ran and what it fetched, what a researcher comparing two runs must check first: the
#: rows validation set aside, the code (cdpi_version) and the checks that decided them (suites: "shipped", or
#: "edited:" and the first 12 hex digits of the edited copy's digest; empty for runs from before the suites
#: were recorded). Failed and canceled runs (ops.run_failures) show their month and mode when recorded, and
#: in ``outcomes`` the step and the error (an error naming several steps already names each).
#: ``latest_for_month``: the run stands for its month (ops.current_run, what `cdpi export --snapshot` and
#: `cdpi history` take among several runs of one month); ``latest``: the one run every _latest view, the
#: report and `cdpi targets` show (ops.latest_run). Empty for failed runs. Both come last (after data_docs):
#: scripts read the CSV by position, so columns are only ever added at the end. The month goes to
#: ops.current_run as 'YYYY-MM' text, which the macro of every version accepts (a home keeps the macros of
#: the version that published it, and the first one compared the text only).
_RUNS_QUERY = """
    SELECT run_id, snapshot, mode, status, finished_utc, cities, fetches, quarantined, cdpi_version, suites,
           outcomes, latest_for_month, latest FROM (
        SELECT r.run_id, strftime(r.snapshot, '%Y-%m') AS snapshot, r.mode, r.status,
               EXISTS (SELECT 1 FROM ops.current_run(strftime(r.snapshot, '%Y-%m')) c
                       WHERE c.run_id = r.run_id) AS latest_for_month,
               r.run_id IN (SELECT run_id FROM ops.latest_run) AS latest,
               strftime(r.finished_at, '%Y-%m-%d %H:%M') AS finished_utc, r.city_count AS cities,
               r.fetch_count AS fetches, r.quarantined, r.cdpi_version,
               CASE WHEN json_exists(r.config_json, '$.suites_dir') IS NOT TRUE THEN NULL
                    WHEN json_extract_string(r.config_json, '$.suites_dir') IS NULL THEN 'shipped'
                    ELSE 'edited' || coalesce(':' || left(json_extract_string(r.config_json, '$.suites_sha256'), 12),
                                              '') END AS suites,
               coalesce((SELECT string_agg(outcome || '=' || fetches, ' ' ORDER BY fetches DESC)
                         FROM marts.fetch_outcomes f WHERE f.run_id = r.run_id), '') AS outcomes,
               r.finished_at AS sort_at
        FROM ops.runs r
        UNION ALL
        SELECT run_id, strftime(snapshot, '%Y-%m'), mode, coalesce(status, 'failed'), NULL, NULL,
               strftime(failed_at, '%Y-%m-%d %H:%M'), NULL, NULL, NULL, NULL, NULL,
               left(CASE WHEN contains(step, ',') THEN error ELSE coalesce(step || ': ', '') || error END, 80),
               failed_at
        -- A file published before 2026-12 has no status, snapshot or mode yet (the next publish adds them):
        -- the union by name reads them as empty there.
        FROM (SELECT NULL::VARCHAR AS status, NULL::DATE AS snapshot, NULL::VARCHAR AS mode WHERE false
              UNION ALL BY NAME SELECT * FROM ops.run_failures))
    ORDER BY sort_at DESC NULLS LAST, run_id
    LIMIT ?"""


def cmd_runs(args: argparse.Namespace) -> int:
    with _published(args) as con:
        cursor = con.execute(_RUNS_QUERY, [args.limit])
        columns = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
    # Each run's Great Expectations Data Docs, when its folder is there (runs write them since 2026-12).
    from warehouse.paths import DATA_DOCS

    paths = _paths(args)
    docs = [paths.run_dir(r[0]) / DATA_DOCS / "index.html" for r in rows]
    # data_docs keeps its place before latest_for_month and latest, the columns added after it.
    rows = [(*r[:-2], str(d) if d.exists() else "", *r[-2:]) for r, d in zip(rows, docs, strict=True)]
    _print_rows([*columns[:-2], "data_docs", *columns[-2:]], rows, args.format)
    return 0


# --------------------------------------------------------------------------------------- docs, dev
def cmd_docs(args: argparse.Namespace) -> int:
    from warehouse.docs import render_markdown

    if args.html:
        from assets.tables import lineage
        from warehouse.report import build_dictionary

        page = build_dictionary(Path(args.html), lineage(), _installed_version())
        print(f"wrote {page} (open it in a browser; searchable, works offline)")
        return 0

    text = render_markdown()
    out = Path(args.out)
    if args.check:
        if not out.exists() or out.read_text(encoding="utf-8") != text:
            raise CliError(f"{out} is out of date; run `cdpi docs`")
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out}")
    return 0


def cmd_dev(args: argparse.Namespace) -> int:
    """`dagster dev` on the home's Dagster instance ($CDPI_HOME/dagster, the one `cdpi run` records into),
    telemetry and the sign-up pop-up off; dagster.yaml is written only when missing (pipelines/instance.py).
    Started by pipelines/cli/dagster_dev.py, which silences Dagster's SupersessionWarning for it."""
    from pipelines.instance import prepare_dagster_home

    check_environment()     # the UI would start with a code location that failed to load
    paths = _paths(args)
    dagster_home = prepare_dagster_home(paths)
    env = {**os.environ, "DAGSTER_HOME": str(dagster_home), "CDPI_HOME": str(paths.home),
           "GX_ANALYTICS_ENABLED": "false"}
    # `dagster dev` through pipelines/cli/dagster_dev.py: the same command, without Dagster's notice that
    # it is superseded by a `dg` tool cdpi does not install.
    cmd = [sys.executable, "-m", "pipelines.cli.dagster_dev", "-m", "pipelines.definitions",
           "--port", str(args.port)]
    os.execvpe(cmd[0], cmd, env)
    return 0  # not reached


def cmd_profile_portal(args: argparse.Namespace) -> int:
    """Profile a portal from saved API responses: the answer to "why does this count look wrong?"."""
    from sources.portals.parsers import PARSERS, CatalogFormatError
    from sources.portals.profile import profile_pages

    as_of = None
    if args.as_of:
        try:
            as_of = datetime.fromisoformat(args.as_of).replace(tzinfo=UTC)
        except ValueError:
            raise CliError(f"--as-of must be a date like 2026-10-31, got {args.as_of!r}") from None
    pages = []
    for path in args.files:
        try:
            pages.append(PARSERS[args.platform](Path(path).read_bytes(), args.portal))
        except CatalogFormatError as exc:
            raise CliError(f"{path}: not a catalog page of {args.platform} ({exc})") from None
    print(json.dumps(profile_pages(args.platform, pages, as_of=as_of), indent=2, sort_keys=True))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Every mart of one snapshot (or of one run, --run-id) as CSV and/or Parquet, with a manifest of rows
    and checksums."""
    from warehouse.export import FORMATS, export_snapshot
    from warehouse.publish import WarehouseError

    paths = _paths(args)
    formats = FORMATS if args.format == "both" else (args.format,)
    try:
        summary = export_snapshot(paths, args.snapshot, args.out, formats, run_id=args.run_id)
    except (ValueError, WarehouseError) as exc:   # an --out that is a file, a folder cdpi did not write, no such run
        raise CliError(str(exc)) from None
    if args.run_id is None:
        what = f"snapshot {summary.snapshot} (run {summary.run_id})"
    else:
        standing = ("its month's current run" if summary.latest_for_month
                    else f"superseded by {summary.superseded_by}" if summary.superseded_by else "not current")
        what = f"run {summary.run_id} of snapshot {summary.snapshot} ({standing})"
    print(f"exported {what}: {len(summary.files)} files in {summary.folder}")
    return 0


def _installed_version() -> str:
    """The version of the code (what ops.runs.cdpi_version records for a run, with its commit)."""
    from assets.provenance import cdpi_version

    return cdpi_version()
