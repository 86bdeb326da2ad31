"""The data dictionary (issue 20, item 4): every table and view with its columns, descriptions and lineage,
as `cdpi docs --html` writes it and as the report's page shows it."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from assets.publish import published_warehouse
from assets.tables import TABLE_ASSETS, lineage
from pipelines.cli import main as cli
from warehouse.dictionary import PUBLISH_TABLES, relations
from warehouse.schema import apply_schema


def _schema() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    apply_schema(con)
    return con


def test_every_relation_says_where_its_rows_come_from() -> None:
    con = _schema()
    try:
        found = relations(con, lineage())
        tables = {f"{s}.{t}" for s, t in con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE NOT internal").fetchall()}
    finally:
        con.close()
    by_name = {r.qualified: r for r in found}
    assert tables <= set(by_name)
    assert all(r.built_by for r in found), [r.qualified for r in found if not r.built_by]
    assert by_name["marts.city_index"].built_by == "Dagster asset city_index"
    assert by_name["ops.quarantine"].built_by.startswith("Dagster assets cities_quarantine, portal_quarantine")
    assert by_name["marts.cities"].built_by.startswith("SQL model 10_marts_cities.sql")
    assert "staging.cities" in by_name["marts.cities"].reads
    assert by_name["marts.outreach_targets"].kind == "view"
    assert by_name["marts.outreach_targets"].reads[0] == "marts.city_index_latest"
    # Every table is written by an asset, a SQL model or the publish step itself, never by nothing.
    modelled = {r.qualified for r in found if r.built_by.startswith("SQL model")}
    assert tables == set(TABLE_ASSETS) | modelled | set(PUBLISH_TABLES)


def test_every_relation_read_has_an_entry_macros_included() -> None:
    """A view that calls ops.current_run(month) links to it: every name in a `reads` list is an entry of the
    dictionary, so no link of the page leads nowhere."""
    con = _schema()
    try:
        found = relations(con, lineage())
    finally:
        con.close()
    names = {r.qualified for r in found}
    missing = {(r.qualified, x) for r in found for x in r.reads if x not in names}
    assert not missing, missing
    by_name = {r.qualified: r for r in found}
    assert by_name["ops.current_run"].kind == "table macro" and by_name["ops.current_run"].description
    assert by_name["ops.current_run"].call == "ops.current_run(month)"
    assert "ops.current_run" in by_name["ops.latest_run"].reads


def test_the_lineage_names_exactly_the_inputs_of_the_publish_step() -> None:
    inputs = {key.to_user_string() for key in published_warehouse.keys_by_input_name.values()}
    named = {asset for sources in TABLE_ASSETS.values() for asset, _ in sources}
    assert named == inputs


def test_cdpi_docs_html_writes_a_searchable_offline_page(tmp_path: Path, capsys) -> None:
    assert cli(["docs", "--html", str(tmp_path / "dd")]) == 0
    assert "dictionary.html" in capsys.readouterr().out
    page = (tmp_path / "dd" / "dictionary.html").read_text(encoding="utf-8")
    assert (tmp_path / "dd" / "report.js").exists() and (tmp_path / "dd" / "report.css").exists()
    con = _schema()
    try:
        columns = con.execute("SELECT count(*) FROM duckdb_columns() WHERE schema_name IN "
                              "('raw', 'staging', 'marts', 'ops')").fetchone()[0]
    finally:
        con.close()
    assert page.count("<tr data-schema=") == columns
    assert f"{columns} of {columns} columns shown" in page
    assert 'data-match="contains"' in page and "Dagster asset city_index" in page
    assert not re.search(r"<script[^>]*src=\"https?:", page) and "<nav>" not in page
    assert "script-src 'self'" in page


def test_every_table_is_named_once_and_the_graph_and_schema_agree() -> None:
    """assets/tables.py is the one place a table is named on the Dagster side (issue 19, item 1): each output
    it names is an asset of the job, each table is a base table of the schema, and each suite's blocking
    check describes the table of its own output."""
    import json

    import duckdb

    from assets.tables import table_of
    from pipelines.definitions import defs
    from warehouse.schema import apply_schema, base_tables

    graph = {key.to_user_string() for key in defs.resolve_all_asset_keys()}
    outputs = {asset for sources in TABLE_ASSETS.values() for asset, _ in sources}
    assert outputs <= graph, sorted(outputs - graph)
    con = duckdb.connect()
    try:
        apply_schema(con)
        schema = {f"{s}.{t}" for s, t in base_tables(con)}
    finally:
        con.close()
    assert set(TABLE_ASSETS) <= schema, sorted(set(TABLE_ASSETS) - schema)
    folder = Path(__file__).resolve().parents[1] / "expectations" / "suites"
    suites = sorted(p.stem for p in folder.glob("*.json"))
    for suite in suites:   # a suite names no table of its own: it guards the table of its output
        assert "table" not in json.loads((folder / f"{suite}.json").read_text()).get("meta", {}), suite
    described = {spec.name: spec.description for ad in defs.resolve_asset_graph().assets_defs
                 for spec in ad.check_specs}
    for suite in suites:
        assert f"on the rows bound for {table_of(suite)}:" in described[f"{suite}_suite"], described[f"{suite}_suite"]
