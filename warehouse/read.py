"""Read-only access to the published warehouse, for analysts and the CLI.

Opened through ATTACH ... (READ_ONLY) from an in-memory connection: it never takes a write lock, never
blocks (or is blocked by) a run, and does not reuse a cached handle to a file a publish has replaced.
"""

from __future__ import annotations

import duckdb

from warehouse.paths import WarehousePaths
from warehouse.publish import WarehouseError, open_error


def connect_published(paths: WarehousePaths, *, sandbox: bool = True) -> duckdb.DuckDBPyConnection:
    """A connection whose default catalog is the published warehouse, read-only.

    With ``sandbox`` the connection also loses access to the file system and network, so a query typed
    by a user can only read the warehouse.
    """
    if not paths.published.exists():
        raise WarehouseError(f"no published warehouse at {paths.published}; run `cdpi run --sample` first")
    con = duckdb.connect()
    try:
        con.execute("ATTACH ? AS wh (READ_ONLY)", [str(paths.published)])
        con.execute("USE wh")
        if sandbox:
            con.execute("SET enable_external_access = false")
            con.execute("SET lock_configuration = true")
    except duckdb.Error as exc:
        con.close()
        # Another process writing to the file, or a WAL that is not the file's: said as such, since the
        # file itself is fine and the generic advice would be to replace it.
        raise WarehouseError(open_error(paths.published, exc)
                             or f"cannot open {paths.published} read-only: {exc}") from exc
    return con


#: The columns of some tables with their types and descriptions (COMMENT ON, warehouse/sql/90_comments.sql).
_COLUMNS_SQL = """
    SELECT schema_name || '.' || table_name, column_name, data_type, coalesce(comment, '')
    FROM duckdb_columns() WHERE database_name = current_database()
      AND list_contains($tables, schema_name || '.' || table_name)
    ORDER BY schema_name, table_name, column_index"""


def column_descriptions(paths: WarehousePaths, tables: list[str]) -> dict[str, list[tuple[str, str, str]]]:
    """``schema.table`` -> its columns as (name, type, description), read from the published file itself:
    the descriptions its readers see (``duckdb_columns().comment``), for tables named in ``tables`` that
    it has, in ``tables``' order."""
    con = connect_published(paths)
    try:
        rows = con.execute(_COLUMNS_SQL, {"tables": tables}).fetchall()
    finally:
        con.close()
    found: dict[str, list[tuple[str, str, str]]] = {}
    for table, column, dtype, comment in rows:
        found.setdefault(table, []).append((column, dtype, comment))
    return {table: found[table] for table in tables if table in found}
