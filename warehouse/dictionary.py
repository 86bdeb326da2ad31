"""The warehouse described to its readers: every table and view, its columns with their descriptions, and
where its rows come from (the Dagster assets that write a table, the SQL model that builds a mart, the
relations a view reads). `cdpi docs --html` and the report's data dictionary page render it.

Descriptions are the schema's own COMMENT ON statements (one source for the SQL clients, the Markdown
dictionary and this). Which asset writes which table is the pipeline's knowledge (assets/publish.py) and
is passed in, so the warehouse package does not depend on the asset layer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import duckdb

from warehouse.schema import _REFERENCES, _sql_files

SCHEMA_ORDER = ("marts", "staging", "raw", "ops")
#: Tables the publish step itself writes (not from an asset's output).
PUBLISH_TABLES = {"ops.runs": "the publish step (one row per published run)",
                  "ops.fetch_log": "the publish step, from every fetch log of the run",
                  "ops.run_failures": "cdpi run and the sensors, when a run fails or is canceled",
                  "marts.city_changes": "the publish step, from the macro marts.city_changes_of (one run at a "
                                        "time; later runs again when a backfill changes their previous snapshot)"}
_INSERT = re.compile(r"INSERT\s+INTO\s+(raw|staging|marts|ops)\.(\w+)", re.I)


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str


@dataclass(frozen=True)
class Relation:
    schema: str
    name: str
    kind: str                       # table | view | table macro | macro
    description: str
    columns: list[Column] = field(default_factory=list)
    built_by: str = ""              # where the rows come from, in words
    reads: list[str] = field(default_factory=list)   # relations read (views, SQL models)
    call: str = ""                  # a macro's call with its parameters: ops.current_run(month)

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"


def relations(con: duckdb.DuckDBPyConnection, lineage: Mapping[str, Sequence[str]] | None = None) -> list[Relation]:
    """Every table and view of the connected warehouse (or in-memory schema), marts first, with lineage."""
    lineage = lineage or {}
    models = _model_sources()
    views = {(s, v): sql for s, v, sql in con.execute(
        "SELECT schema_name, view_name, sql FROM duckdb_views() WHERE database_name = current_database() "
        "AND NOT internal").fetchall()}
    objects = con.execute("""
        SELECT schema_name, table_name, 'table', comment FROM duckdb_tables()
        WHERE database_name = current_database() AND NOT internal
        UNION ALL
        SELECT schema_name, view_name, 'view', comment FROM duckdb_views()
        WHERE database_name = current_database() AND NOT internal""").fetchall()
    order = {s: i for i, s in enumerate(SCHEMA_ORDER)}
    objects.sort(key=lambda r: (order.get(r[0], 99), r[2] != "table", r[1]))
    out = []
    for schema, name, kind, comment in objects:
        if schema not in order:
            continue
        qualified = f"{schema}.{name}"
        columns = [Column(c, t, d or "") for c, t, d in con.execute(
            "SELECT column_name, data_type, comment FROM duckdb_columns() WHERE database_name = current_database() "
            "AND schema_name = ? AND table_name = ? ORDER BY column_index", [schema, name]).fetchall()]
        if kind == "view":
            reads = _reads(views[(schema, name)])
            built_by = "a view, recomputed whenever it is read"
        elif qualified in models:
            model, reads = models[qualified]
            built_by = f"SQL model {model}, run by the publish step"
        elif qualified in lineage:
            reads = []
            assets = list(lineage[qualified])
            built_by = "Dagster asset" + ("s " if len(assets) > 1 else " ") + ", ".join(assets)
        else:
            reads, built_by = [], PUBLISH_TABLES.get(qualified, "")
        out.append(Relation(schema, name, kind, comment or "", columns, built_by, reads))
    return out + macros(con)


def macros(con: duckdb.DuckDBPyConnection) -> list[Relation]:
    """The warehouse's macros (``ops.current_run(month)``, ...): definitions other relations and analysts'
    queries call, listed beside the relations so a view that reads one links to its entry."""
    order = {s: i for i, s in enumerate(SCHEMA_ORDER)}
    found = con.execute("""
        SELECT DISTINCT schema_name, function_name, function_type, comment, parameters, macro_definition
        FROM duckdb_functions() WHERE database_name = current_database() AND NOT internal
        AND function_type IN ('macro', 'table_macro')""").fetchall()
    found.sort(key=lambda r: (order.get(r[0], 99), r[1]))
    out = []
    for schema, name, ftype, comment, params, definition in found:
        if schema not in order:
            continue
        call = f"{schema}.{name}({', '.join(params)})"
        kind = "table macro" if ftype == "table_macro" else "macro"
        reads = [r for r in _reads(definition or "") if r != f"{schema}.{name}"]
        out.append(Relation(schema, name, kind, comment or "", [], f"a {kind}, computed when called: {call}", reads,
                            call))
    return out


def _reads(sql: str) -> list[str]:
    return list(dict.fromkeys(f"{s}.{t}" for s, t in _REFERENCES.findall(sql)))


def _model_sources() -> dict[str, tuple[str, list[str]]]:
    """Table -> (model file, relations it reads) for the staging-to-marts SQL models."""
    out: dict[str, tuple[str, list[str]]] = {}
    for name, sql in _sql_files("models"):
        for statement in sql.split(";"):
            target = _INSERT.search(statement)
            if target:
                table = f"{target.group(1)}.{target.group(2)}"
                out[table] = (name, [r for r in _reads(statement) if r != table])
    return out
