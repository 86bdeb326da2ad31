"""The warehouse schema lives in SQL files; this module applies them in order."""

from __future__ import annotations

import re
from collections.abc import Sequence
from importlib import resources
from typing import Any

import duckdb

from warehouse.changes import describe_deprecated
from warehouse.identifiers import ident

#: Columns that hold JSON as text (their comments in 90_comments.sql say so). DuckDB keeps them VARCHAR, so a
#: reader of the commands' JSON output would get a string to decode a second time: that output holds them as
#: JSON values instead, and only that output (CSV, TSV and tables keep the text). A test keeps this set and
#: the comments in step.
JSON_TEXT_COLUMNS = frozenset({"top_gaps", "why_call_links", "config_json", "key", "row_json"})


def _sql_files(subdir: str | None = None) -> list[tuple[str, str]]:
    root = resources.files("warehouse") / "sql"
    if subdir:
        root = root / subdir
    files = sorted((p for p in root.iterdir() if p.name.endswith(".sql")), key=lambda p: p.name)
    return [(p.name, p.read_text(encoding="utf-8")) for p in files]


def apply_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create schemas, tables, views and comments (idempotent), all of it or nothing.

    One transaction, not one per statement: each of DuckDB's own commits writes its catalog out, and the
    few hundred statements' commits were most of the time this took (0.52 s on a new file, 0.20 s as one
    commit; every publish applies it). A statement that fails leaves the file as it was."""
    con.begin()
    try:
        for _name, sql in _sql_files():
            con.execute(sql)
        describe_deprecated(con)      # first: views inherit these comments for their deprecated columns
        describe_view_columns(con)
    except BaseException:
        con.rollback()
        raise
    con.commit()


#: Relations a view's SQL reads, in the order it names them.
_REFERENCES = re.compile(r"\b(?:FROM|JOIN)\s+\(*\s*(raw|staging|marts|ops)\.(\w+)", re.I)


def describe_view_columns(con: duckdb.DuckDBPyConnection) -> None:
    """Write a comment on every view column that has none: the comment of the same column in the first
    relation the view reads that describes it (through other views too), so a SQL client shows the same
    text on ``marts.city_index_latest.expected_points`` as on the table. Columns a view computes are
    described by its own COMMENT ON statements (90_comments.sql); a test requires that every mart column
    ends up described."""
    comments = {(s, t, c): text for s, t, c, text in con.execute(
        "SELECT schema_name, table_name, column_name, comment FROM duckdb_columns() "
        "WHERE database_name = current_database()").fetchall()}
    views = {(s, v): sql for s, v, sql in con.execute(
        "SELECT schema_name, view_name, sql FROM duckdb_views() WHERE database_name = current_database() "
        "AND NOT internal").fetchall()}
    # A view may read a table macro: marts.city_changes_of(run) is marts.city_changes for one run, so its
    # columns read as that view's; any other macro's as the relations its own SQL reads.
    sources = views | {(s, f): sql for s, f, sql in con.execute(
        "SELECT schema_name, function_name, macro_definition FROM duckdb_functions() "
        "WHERE database_name = current_database() AND function_type = 'table_macro' AND NOT internal").fetchall()}

    def inherited(schema: str, view: str, column: str, seen: frozenset) -> str:
        if (schema, view) in seen or (schema, view) not in sources:
            return ""
        for ref_schema, ref in _REFERENCES.findall(sources[(schema, view)]):
            if ref.endswith("_of") and (ref_schema, ref[:-3]) in views and (ref_schema, ref[:-3]) != (schema, view):
                ref = ref[:-3]    # a macro X_of(run) is view X for one run: X's descriptions are its own
            text = comments.get((ref_schema, ref, column)) or inherited(ref_schema, ref, column,
                                                                       seen | {(schema, view)})
            if text:
                return text
        return ""

    statements = []
    for (schema, view) in views:
        for (s, t, column), text in list(comments.items()):
            if (s, t) != (schema, view) or text:
                continue
            found = inherited(schema, view, column, frozenset())
            if found:
                comments[(s, t, column)] = found
                statements.append(f"COMMENT ON COLUMN {ident(schema, view, column)} IS "
                                  + "'" + found.replace("'", "''") + "'")
    if statements:
        con.execute(";\n".join(statements))


def count(con: duckdb.DuckDBPyConnection, sql: str, params: list | dict | None = None) -> int:
    """The number a ``SELECT count(*) ...`` returns (a count query always yields exactly one row)."""
    row = con.execute(sql, params).fetchone()
    if row is None:
        raise ValueError(f"no row from a count query: {sql[:80]}")
    return int(row[0])


def columns_or_none(cur: duckdb.DuckDBPyConnection, columns: Sequence[str]) -> list[dict[str, Any]]:
    """The rows of an executed ``SELECT *`` as dicts of ``columns``, None for a column the result lacks.

    A published file keeps the views and macros of the code that published it until the next run; a reader
    that names a column added since would fail with a Binder Error on it. Selecting ``*`` and reading what
    came back lets staff commands read such a file (the missing column was not recorded then)."""
    names = [d[0] for d in cur.description or []]
    return [{c: row.get(c) for c in columns} for row in (dict(zip(names, r, strict=True)) for r in cur.fetchall())]


def run_models(con: duckdb.DuckDBPyConnection, run_id: str, only: tuple[str, ...] = ()) -> None:
    """Build this run's staging-to-marts models (SQL files in sql/models, bound to the run id); ``only``:
    just the models of these file names."""
    for name, sql in _sql_files("models"):
        if not only or name in only:
            con.execute(sql, {"run_id": run_id})


def base_tables(con: duckdb.DuckDBPyConnection, catalog: str | None = None) -> list[tuple[str, str]]:
    """(schema, table) of every base table in the catalog, in a stable order."""
    where = "database_name = ?" if catalog else "database_name = current_database()"
    params = [catalog] if catalog else []
    rows = con.execute(f"SELECT schema_name, table_name FROM duckdb_tables() WHERE {where} "
                       "AND NOT internal ORDER BY schema_name, table_name", params).fetchall()
    return [(s, t) for s, t in rows]
