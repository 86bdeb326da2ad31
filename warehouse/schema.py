"""The warehouse schema lives in SQL files; this module applies them in order."""

from __future__ import annotations

from importlib import resources

import duckdb


def _sql_files(subdir: str | None = None) -> list[tuple[str, str]]:
    root = resources.files("warehouse") / "sql"
    if subdir:
        root = root / subdir
    files = sorted((p for p in root.iterdir() if p.name.endswith(".sql")), key=lambda p: p.name)
    return [(p.name, p.read_text(encoding="utf-8")) for p in files]


def apply_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create schemas, tables, views and comments (idempotent)."""
    for _name, sql in _sql_files():
        con.execute(sql)


def run_models(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Build this run's staging-to-marts models (SQL files in sql/models, bound to the run id)."""
    for _name, sql in _sql_files("models"):
        con.execute(sql, {"run_id": run_id})


def base_tables(con: duckdb.DuckDBPyConnection, catalog: str | None = None) -> list[tuple[str, str]]:
    """(schema, table) of every base table in the catalog, in a stable order."""
    where = "database_name = ?" if catalog else "database_name = current_database()"
    params = [catalog] if catalog else []
    rows = con.execute(f"SELECT schema_name, table_name FROM duckdb_tables() WHERE {where} "
                       "AND NOT internal ORDER BY schema_name, table_name", params).fetchall()
    return [(s, t) for s, t in rows]
