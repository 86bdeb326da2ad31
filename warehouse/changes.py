"""The warehouse's interface changes (schema_changes.yaml): renamed columns kept under their old name for
one release, column type changes an older file is brought to, and the CHANGELOG analysts read.

Analysts' saved queries name columns; a rename that broke them silently would cost more than the
duplicate column. So a renamed column of a base table stays, under its old name, with the same value on
every row for one schema release, described as deprecated where SQL clients look (the column comment).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import duckdb
import yaml

from warehouse.identifiers import ident

_FILE = "schema_changes.yaml"


@dataclass(frozen=True)
class Rename:
    relation: str      # schema.table or schema.view
    old: str
    new: str
    release: str


@dataclass(frozen=True)
class Retype:
    column: str
    old_type: str
    new_type: str
    release: str


@dataclass(frozen=True)
class Changed:
    """A column that keeps its name but now means something else: saved queries run unchanged and give
    other numbers, so the release notes must say so."""

    relation: str
    column: str
    note: str


@dataclass(frozen=True)
class Release:
    release: str
    summary: str
    renamed: tuple[Rename, ...]
    retyped: tuple[Retype, ...]
    added: tuple[tuple[str, tuple[str, ...]], ...]
    removed: tuple[str, ...]
    changed: tuple[Changed, ...] = ()


class SchemaChangesError(ValueError):
    """The changes file is malformed: the message names the file, the entry and the field."""


def _field(entry: dict, field: str, where: str, kind: type = str):
    if not isinstance(entry, dict) or field not in entry:
        raise SchemaChangesError(f"{_FILE}: {where} lacks the field {field!r}")
    value = entry[field]
    if not isinstance(value, kind):
        raise SchemaChangesError(f"{_FILE}: {where}: {field!r} should be a {kind.__name__}, "
                                 f"got {type(value).__name__}")
    return value


def parse(raw: object) -> tuple[Release, ...]:
    """Typed releases from the YAML document; errors name the entry and the field."""
    if not isinstance(raw, list):
        raise SchemaChangesError(f"{_FILE}: expected a list of releases, got {type(raw).__name__}")
    releases = []
    for i, entry in enumerate(raw):
        where = f"release #{i + 1}"
        rel = str(_field(entry, "release", where))
        where = f"release {rel}"
        renamed = tuple(
            Rename(relation=_qualified(_field(r, "relation", f"{where} renamed #{j + 1}"), where),
                   old=_field(r, "old", f"{where} renamed #{j + 1}"),
                   new=_field(r, "new", f"{where} renamed #{j + 1}"), release=rel)
            for j, r in enumerate(entry.get("renamed") or ()))
        retyped = tuple(
            Retype(column=_field(r, "column", f"{where} retyped #{j + 1}"),
                   old_type=_field(r, "old_type", f"{where} retyped #{j + 1}").upper(),
                   new_type=_field(r, "new_type", f"{where} retyped #{j + 1}").upper(), release=rel)
            for j, r in enumerate(entry.get("retyped") or ()))
        added = tuple((_qualified(_field(a, "relation", f"{where} added #{j + 1}"), where),
                       tuple(_field(a, "columns", f"{where} added #{j + 1}", list)))
                      for j, a in enumerate(entry.get("added") or ()))
        changed = tuple(
            Changed(relation=_qualified(_field(c, "relation", f"{where} changed #{j + 1}"), where),
                    column=_field(c, "column", f"{where} changed #{j + 1}"),
                    note=_field(c, "note", f"{where} changed #{j + 1}").strip())
            for j, c in enumerate(entry.get("changed") or ()))
        releases.append(Release(release=rel, summary=_field(entry, "summary", where).strip(), renamed=renamed,
                                retyped=retyped, added=added, removed=tuple(entry.get("removed") or ()),
                                changed=changed))
    return tuple(releases)


def _qualified(relation: str, where: str) -> str:
    if relation.count(".") != 1:
        raise SchemaChangesError(f"{_FILE}: {where}: relation {relation!r} should be schema.name")
    return relation


@cache
def releases() -> tuple[Release, ...]:
    text = (resources.files("warehouse") / _FILE).read_text(encoding="utf-8")
    return parse(yaml.safe_load(text))


def renames() -> tuple[Rename, ...]:
    """Deprecated names still present (only the newest release's renames are kept)."""
    rel = releases()
    return rel[0].renamed if rel else ()


def allowed_retypes() -> dict[tuple[str, str, str], Retype]:
    return {(r.column, r.old_type, r.new_type): r for release in releases() for r in release.retyped}


def _columns(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], dict[str, tuple[str, bool]]]:
    out: dict[tuple[str, str], dict[str, tuple[str, bool]]] = {}
    for s, t, c, dtype, nullable in con.execute(
            "SELECT schema_name, table_name, column_name, data_type, is_nullable FROM duckdb_columns() "
            "WHERE database_name = current_database()").fetchall():
        out.setdefault((s, t), {})[c] = (dtype, nullable)
    return out


def _base_tables(con: duckdb.DuckDBPyConnection) -> set[tuple[str, str]]:
    from warehouse.schema import base_tables  # here: warehouse.schema imports this module at its top

    return set(base_tables(con))


def relax_deprecated(con: duckdb.DuckDBPyConnection) -> list[str]:
    """A deprecated column of an older file may be NOT NULL (it was the column's only name then); the
    models write the new name only, so the constraint goes. Returns the columns relaxed."""
    cols, tables, relaxed = _columns(con), _base_tables(con), []
    for r in renames():
        schema, table = r.relation.split(".")
        have = cols.get((schema, table), {})
        if (schema, table) in tables and r.old in have and not have[r.old][1]:
            con.execute(f"ALTER TABLE {ident(schema, table)} ALTER COLUMN {ident(r.old)} DROP NOT NULL")
            relaxed.append(f"{r.relation}.{r.old}")
    return relaxed


def fill_renamed(con: duckdb.DuckDBPyConnection) -> int:
    """Make every renamed base-table column and its deprecated name equal on every row: rows of older runs
    get the new name from the old one, rows of new runs the old name from the new one. Returns the
    number of rows touched (0 once the file is consistent: the filter finds nothing)."""
    cols, tables, touched = _columns(con), _base_tables(con), 0
    by_table: dict[tuple[str, str], list[Rename]] = {}
    for r in renames():
        schema, table = r.relation.split(".")
        if (schema, table) in tables and {r.old, r.new} <= set(cols.get((schema, table), {})):
            by_table.setdefault((schema, table), []).append(r)
    for (schema, table), items in by_table.items():
        sets = ", ".join(f"{ident(r.new)} = coalesce({ident(r.new)}, {ident(r.old)}), "
                         f"{ident(r.old)} = coalesce({ident(r.old)}, {ident(r.new)})" for r in items)
        where = " OR ".join(f"({ident(r.new)} IS NULL) <> ({ident(r.old)} IS NULL)" for r in items)
        n = con.execute(f"UPDATE {ident(schema, table)} SET {sets} WHERE {where}").fetchone()
        touched += int(n[0]) if n else 0
    return touched


def describe_deprecated(con: duckdb.DuckDBPyConnection) -> None:
    """The comment of every deprecated column says what replaces it, so a SQL client shows it."""
    cols = _columns(con)
    statements = []
    for r in renames():
        schema, name = r.relation.split(".")
        if r.old in cols.get((schema, name), {}):
            text = (f"Deprecated since schema release {r.release}: the same value as {r.new}, kept under "
                    f"its old name for one release; use {r.new}.")
            statements.append(f"COMMENT ON COLUMN {ident(schema, name, r.old)} IS "
                              + "'" + text.replace("'", "''") + "'")
    if statements:
        con.execute(";\n".join(statements))


def changelog_markdown() -> str:
    """The CHANGELOG section of docs/warehouse.md."""
    lines = ["## CHANGELOG", "",
             "Changes to the marts and their views, newest first (from `warehouse/schema_changes.yaml`). A "
             "renamed column keeps its old name, with the same value, for one schema release; the next "
             "release removes it.", ""]
    for rel in releases():
        lines += [f"### Schema release {rel.release}", "", rel.summary, ""]
        if rel.renamed:
            lines += ["| relation | deprecated column | use instead |", "|---|---|---|"]
            lines += [f"| `{r.relation}` | `{r.old}` | `{r.new}` |" for r in rel.renamed]
            lines.append("")
        for r in rel.retyped:
            lines.append(f"- `{r.column}` is now {r.new_type} (was {r.old_type}) in every table that has it; "
                         "an older warehouse file is converted when the next run is published.")
        for relation, columns in rel.added:
            lines.append(f"- `{relation}` gains " + ", ".join(f"`{c}`" for c in columns) + ".")
        for c in rel.changed:
            lines.append(f"- `{c.relation}.{c.column}` changes meaning: {c.note}")
        for removed in rel.removed:
            lines.append(f"- Removed: {removed}.")
        lines.append("")
    return "\n".join(lines)
