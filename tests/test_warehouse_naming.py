"""One naming scheme across the marts (issue 20, item 2): city/state/geoid, snapshot as DATE, run_id
everywhere; old names kept one release with the same values; older files converted when published."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.test_warehouse_publish import _city, _publish
from warehouse.changes import SchemaChangesError, changelog_markdown, parse, renames
from warehouse.paths import WarehousePaths
from warehouse.publish import WarehouseError
from warehouse.read import connect_published

#: Names the scheme replaced: outside a deprecated column they must not appear in a mart or its views.
_OLD_NAMES = {"name", "state_abbr"}


@pytest.fixture
def schema(schema_con) -> duckdb.DuckDBPyConnection:
    return schema_con


def _mart_columns(con) -> dict[str, dict[str, tuple[str, str]]]:
    out: dict[str, dict[str, tuple[str, str]]] = {}
    for t, c, dtype, comment in con.execute(
            "SELECT table_name, column_name, data_type, coalesce(comment, '') FROM duckdb_columns() "
            "WHERE schema_name = 'marts'").fetchall():
        out.setdefault(t, {})[c] = (dtype, comment)
    return out


def test_every_mart_carries_snapshot_as_date_and_run_id(schema) -> None:
    marts = _mart_columns(schema)
    assert len(marts) >= 25
    missing = [t for t, cols in marts.items() if "run_id" not in cols or "snapshot" not in cols]
    assert missing == []
    not_dates = {t: cols["snapshot"][0] for t, cols in marts.items() if cols["snapshot"][0] != "DATE"}
    assert not_dates == {}
    # ops and raw too: joins on snapshot never mix a DATE with a TIMESTAMP.
    other = schema.execute("SELECT table_name, data_type FROM duckdb_columns() WHERE column_name = 'snapshot' "
                           "AND data_type <> 'DATE'").fetchall()
    assert other == []


def test_places_are_named_city_and_state_everywhere(schema) -> None:
    marts = _mart_columns(schema)
    deprecated = {(r.relation.split(".")[1], r.old): r.new for r in renames()}
    for table, cols in marts.items():
        for column, (_dtype, comment) in cols.items():
            if column in _OLD_NAMES:
                assert (table, column) in deprecated, f"marts.{table}.{column} is an old name not deprecated"
                assert comment.startswith("Deprecated"), f"marts.{table}.{column}: {comment!r}"
                assert deprecated[(table, column)] in cols, f"marts.{table} lacks {deprecated[(table, column)]}"
        # A relation that names places names them city and state.
        if "geoid" in cols and ({"name", "state_abbr"} & set(cols)):
            assert {"city", "state"} <= set(cols), table
    # Every deprecated column the file lists exists, so the CHANGELOG never promises a missing alias.
    for r in renames():
        schema_name, rel = r.relation.split(".")
        assert schema_name == "marts" and r.old in marts[rel] and r.new in marts[rel], r


def test_the_changelog_lists_every_rename() -> None:
    text = changelog_markdown()
    for r in renames():
        assert f"| `{r.relation}` | `{r.old}` | `{r.new}` |" in text
    assert "`snapshot` is now DATE (was TIMESTAMP)" in text
    # A column that keeps its name but changes meaning is said too: saved queries give other numbers.
    assert "- `marts.criterion_evidence_latest.weight` changes meaning: the weight the published score used." in text
    assert "## CHANGELOG" in (Path(__file__).resolve().parents[1] / "docs" / "warehouse.md").read_text()


def test_a_malformed_changes_file_names_the_entry_and_field() -> None:
    with pytest.raises(SchemaChangesError, match=r"release 2026-12 renamed #1 lacks the field 'new'"):
        parse([{"release": "2026-12", "summary": "x", "renamed": [{"relation": "marts.cities", "old": "a"}]}])
    with pytest.raises(SchemaChangesError, match=r"relation 'cities' should be schema.name"):
        parse([{"release": "2026-12", "summary": "x", "renamed": [{"relation": "cities", "old": "a", "new": "b"}]}])
    with pytest.raises(SchemaChangesError, match=r"release 2026-12 changed #1 lacks the field 'note'"):
        parse([{"release": "2026-12", "summary": "x", "changed": [{"relation": "marts.cities", "column": "a"}]}])
    with pytest.raises(SchemaChangesError, match="expected a list of releases"):
        parse({"release": "2026-12"})


def _make_old(path: Path) -> None:
    """Turn a published file into one written before schema release 2026-12: TIMESTAMP snapshots, the city
    named `name`/`state_abbr` (NOT NULL), the criterion named `name`, no city/state/criterion_name."""
    con = duckdb.connect(str(path))
    try:
        for s, t in con.execute("SELECT schema_name, table_name FROM duckdb_columns() WHERE column_name = "
                                "'snapshot' AND table_name IN (SELECT table_name FROM duckdb_tables())"
                                ).fetchall():
            con.execute(f'ALTER TABLE "{s}"."{t}" ALTER COLUMN snapshot TYPE TIMESTAMP')
        con.execute("UPDATE marts.cities SET name = city, state_abbr = state")
        con.execute("ALTER TABLE marts.cities DROP COLUMN city")
        con.execute("ALTER TABLE marts.cities DROP COLUMN state")
        con.execute("ALTER TABLE marts.cities ALTER COLUMN name SET NOT NULL")
        con.execute("ALTER TABLE marts.criteria DROP COLUMN criterion_name")
        con.execute("CHECKPOINT")
    finally:
        con.close()


def test_an_older_file_is_converted_and_both_names_agree_on_every_run(home: Path) -> None:
    paths = WarehousePaths(home)
    _publish(paths, "run-1", "2026-09-01", [_city("3900001", "Alpha", 40_000)])
    _make_old(paths.published)
    _publish(paths, "run-2", "2026-10-01", [_city("3900001", "Alpha", 41_000), _city("3900002", "Beta", 50_000)])
    con = connect_published(paths)
    try:
        rows = con.execute("SELECT run_id, snapshot, city, name, state, state_abbr FROM marts.cities "
                           "ORDER BY run_id, geoid").fetchall()
        types = {t for (t,) in con.execute("SELECT DISTINCT data_type FROM duckdb_columns() "
                                           "WHERE column_name = 'snapshot'").fetchall()}
        latest = con.execute("SELECT city, state, name, state_abbr FROM marts.cities_latest "
                             "ORDER BY geoid").fetchall()
        shown = con.execute("SELECT strftime(snapshot, '%Y-%m'), snapshot::VARCHAR FROM ops.runs "
                            "ORDER BY run_id").fetchall()
    finally:
        con.close()
    assert types == {"DATE"}
    assert [(r[0], str(r[1]), r[2], r[3], r[4], r[5]) for r in rows] == [
        ("run-1", "2026-09-01", "Alpha", "Alpha", "OH", "OH"),      # older run: city filled from name
        ("run-2", "2026-10-01", "Alpha", "Alpha", "OH", "OH"),      # new run: name filled from city
        ("run-2", "2026-10-01", "Beta", "Beta", "OH", "OH")]
    assert latest == [("Alpha", "OH", "Alpha", "OH"), ("Beta", "OH", "Beta", "OH")]
    assert shown == [("2026-09", "2026-09-01"), ("2026-10", "2026-10-01")]


def test_an_unplanned_type_change_stops_the_publish_and_keeps_the_file(home: Path) -> None:
    paths = WarehousePaths(home)
    _publish(paths, "run-1", "2026-09-01", [_city("3900001", "Alpha", 40_000)])
    con = duckdb.connect(str(paths.published))
    con.execute("ALTER TABLE marts.cities ALTER COLUMN population TYPE VARCHAR")
    con.execute("CHECKPOINT")
    con.close()
    before = paths.published.read_bytes()
    with pytest.raises(WarehouseError, match=r"marts.cities.population is VARCHAR .* lists no such change"):
        _publish(paths, "run-2", "2026-10-01", [_city("3900001", "Alpha", 41_000)])
    assert paths.published.read_bytes() == before


def test_the_sample_uses_the_new_names_and_keeps_the_old_ones_equal(sample_home: Path) -> None:
    con = connect_published(WarehousePaths(sample_home))
    try:
        differ = {}
        for r in renames():
            differ[f"{r.relation}.{r.old}"] = con.execute(
                f'SELECT count(*) FILTER (WHERE "{r.old}" IS DISTINCT FROM "{r.new}"), count("{r.new}") '
                f"FROM {r.relation}").fetchone()
        portals = con.execute("SELECT count(*), count(DISTINCT run_id), min(typeof(snapshot)) "
                              "FROM marts.city_portals_latest").fetchone()
        why = con.execute("SELECT count(*), count(DISTINCT run_id) FROM marts.criterion_evidence_latest").fetchone()
    finally:
        con.close()
    assert {k: v[0] for k, v in differ.items()} == dict.fromkeys(differ, 0)
    assert all(v[1] > 0 for v in differ.values()), differ
    assert portals[0] > 0 and portals[1:] == (1, "DATE")
    assert why[0] > 0 and why[1] == 1
