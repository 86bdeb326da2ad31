"""Security tests for threats 5a-5b and F1 of docs/security.md: SQL from user input and the read-only `cdpi sql` sandbox."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipelines.cli import main as cli
from tests.security_support import (
    REPO,
    _copy_home,
    _read,
    _sha256,
)
from tests.security_support import attack_home as attack_home  # a fixture: pytest finds it by name
from warehouse.outreach import TargetFilter, targets
from warehouse.paths import WarehousePaths
from warehouse.read import connect_published

# ================================================================================ 5. SQL from user input
SANDBOX_ESCAPES = [
    "CREATE TABLE marts.pwned AS SELECT 1",
    "INSERT INTO ops.runs (run_id) VALUES ('pwned')",
    "UPDATE marts.city_index SET city = 'pwned'",
    "DROP VIEW marts.city_index_latest",
    "ATTACH '{out}/other.duckdb' AS other",
    "COPY (SELECT * FROM marts.city_index) TO '{out}/leak.csv'",
    "COPY marts.city_index TO '{out}/leak.parquet' (FORMAT parquet)",
    "EXPORT DATABASE '{out}/dump'",
    "SELECT * FROM read_csv('{secret}')",
    "SELECT * FROM read_text('{secret}')",
    "SELECT * FROM read_blob('{secret}')",
    "SELECT * FROM '{secret}'",
    "SELECT * FROM glob('{out}/*')",
    "SELECT * FROM read_csv('http://127.0.0.1:9/x.csv')",
    "INSTALL httpfs",
    "FORCE INSTALL httpfs",
    "LOAD httpfs",
    "SET enable_external_access = true",
    "RESET enable_external_access",
    "SET lock_configuration = false",
    "SET allowed_directories = ['/']",
    "SET temp_directory = '{out}/spill'",
    "CREATE SECRET s (TYPE s3, KEY_ID 'a', SECRET 'b')",
    "CALL enable_logging()",
    "PRAGMA enable_profiling",
    "PRAGMA memory_limit='1TB'",
    "PRAGMA table_info('marts.cities'); DROP TABLE marts.cities",
    "PRAGMA table_info('x') ; INSTALL httpfs",
]


@pytest.mark.parametrize(("query", "named"), [
    ("-- tidy up\nINSTALL httpfs", "INSTALL"), ("/* x */ DELETE FROM ops.runs", "DELETE"),
    ("WITH x AS (SELECT 1) DELETE FROM ops.runs", "DELETE"), ("(SELECT 1); INSTALL x", "SELECT, INSTALL")])
def test_a_refused_statement_is_named_by_what_it_does(query: str, named: str, attack_home: Path,
                                                      capsys: pytest.CaptureFixture) -> None:
    assert cli(["sql", query, "--home", str(attack_home)]) == 1
    assert capsys.readouterr().err.rstrip().endswith(f"; got {named}")


@pytest.mark.parametrize("statement", SANDBOX_ESCAPES)
def test_cdpi_sql_is_read_only_and_sandboxed(statement: str, attack_home: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture) -> None:
    warehouse = WarehousePaths(attack_home).published
    secret = tmp_path / "secret.csv"
    secret.write_text("token\nTOPSECRET-42\n")
    out = tmp_path / "out"
    out.mkdir()
    digest = _sha256(warehouse)
    query = statement.format(out=out, secret=secret, warehouse=warehouse)
    code = cli(["sql", query, "--home", str(attack_home), "--format", "csv"])
    captured = capsys.readouterr()
    assert code == 1 and captured.err.startswith("cdpi: error:"), (query, code, captured)
    assert "TOPSECRET" not in captured.out + captured.err
    assert list(out.iterdir()) == [] and _sha256(warehouse) == digest
    if "; got " in captured.err:        # the refusal names what was given, in the user's own words
        first = query.split(None, 1)[0].upper()
        assert captured.err.split("; got ")[1].startswith(first), (query, captured.err)


def test_cdpi_sql_cannot_reattach_the_warehouse_read_write(sample_home: Path, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture) -> None:
    home = _copy_home(sample_home, tmp_path / "home")
    warehouse = WarehousePaths(home).published
    digest = _sha256(warehouse)
    runs = _read(home, "SELECT count(*) FROM ops.runs")[0][0]
    code = cli(["sql", f"USE memory; DETACH wh; ATTACH '{warehouse}' AS writable; DELETE FROM writable.ops.runs; "
                       "CREATE TABLE writable.main.pwned AS SELECT 1 AS x", "--home", str(home), "--format", "csv"])
    capsys.readouterr()
    assert _read(home, "SELECT count(*) FROM ops.runs")[0][0] == runs, "ops.runs was emptied through cdpi sql"
    assert code == 1 and _sha256(warehouse) == digest


def test_cdpi_sql_runs_one_read_only_statement(attack_home: Path, capsys: pytest.CaptureFixture) -> None:
    """Statement lists and anything but a read are refused before they run, with a message naming what was
    sent; the published file is byte-for-byte unchanged."""
    warehouse = WarehousePaths(attack_home).published
    digest = _sha256(warehouse)
    assert cli(["sql", "USE memory; CREATE TABLE scratch AS SELECT 1 AS x; SELECT * FROM scratch",
                "--home", str(attack_home), "--format", "csv"]) == 1
    assert "single read-only query" in capsys.readouterr().err
    assert cli(["sql", "EXPLAIN SELECT 1", "--home", str(attack_home), "--format", "csv"]) == 0
    assert _sha256(warehouse) == digest


def test_cdpi_sql_answers_the_introspection_analysts_type(sample_home: Path, capsys: pytest.CaptureFixture) -> None:
    """SHOW TABLES lists the warehouse's tables and views with their descriptions (not the empty main
    schema); DESCRIBE, SUMMARIZE, SHOW ALL TABLES and PRAGMA table_info of a table read as queries do."""
    import csv
    import io

    def run(query: str) -> list[dict[str, str]]:
        assert cli(["sql", query, "--home", str(sample_home), "--format", "csv"]) == 0, capsys.readouterr().err
        return list(csv.DictReader(io.StringIO(capsys.readouterr().out)))

    tables = {(r["schema"], r["name"]): r for r in run("show tables")}
    assert tables[("marts", "cities")]["kind"] == "table" and tables[("marts", "cities_latest")]["kind"] == "view"
    assert tables[("marts", "cities")]["comment"].startswith("The city universe")
    assert {r["column_name"] for r in run("DESCRIBE marts.cities")} >= {"geoid", "website_url", "kind"}
    assert {r["column_name"] for r in run("SUMMARIZE marts.cities")} >= {"geoid", "population"}
    assert {r["name"] for r in run("PRAGMA table_info('marts.cities')")} >= {"geoid", "kind"}
    assert any(r["name"] == "cities" for r in run("SHOW ALL TABLES"))


PAYLOADS = ["OH' OR '1'='1", "' OR 1=1 --", "OH'); DROP TABLE marts.city_index; --", "%", "$state", "?"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_targets_filter_values_are_bound(payload: str, attack_home: Path) -> None:
    """Below argparse's USPS check (tests/test_staff_cli.py covers the CLI refusing such a --state), the
    filter itself binds: an injection payload matches no state rather than every row."""
    con = connect_published(WarehousePaths(attack_home))
    try:
        every = targets(con, TargetFilter(limit=None))
        hostile = targets(con, TargetFilter(state=payload, tier=None, limit=None))
        state = every["state"].iloc[0]
        one_state = targets(con, TargetFilter(state=state, limit=None))
    finally:
        con.close()
    assert len(every) > 0 and hostile.empty
    assert 0 < len(one_state) <= len(every) and set(one_state["state"]) == {state}


@pytest.mark.parametrize("payload", ["x' OR '1'='1' --, OH", "'; DROP TABLE marts.city_index; --",
                                     "%, %", "Alder Falls' UNION SELECT * FROM ops.runs --, OH", "?, ?"])
def test_cdpi_city_binds_the_name(payload: str, attack_home: Path, capsys: pytest.CaptureFixture) -> None:
    """`cdpi city` (tests/test_staff_cli.py covers `cdpi history` with the same payloads)."""
    before = _read(attack_home, "SELECT count(*) FROM marts.city_index")[0][0]
    assert cli(["city", payload, "--home", str(attack_home)]) == 1
    err = capsys.readouterr().err
    assert "no city" in err and "Error:" not in err.replace("cdpi: error:", "")
    assert _read(attack_home, "SELECT count(*) FROM marts.city_index")[0][0] == before


def _execute_calls(path: Path, skip_functions: set[str]) -> Iterator[tuple[str, int, ast.expr]]:
    """(function, line, SQL argument) of every ``.execute(...)`` call; a module-level constant (such as
    outreach._TARGETS_SQL) counts as constant text."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    constants = {t.id for node in tree.body if isinstance(node, ast.Assign) for t in node.targets
                 if isinstance(t, ast.Name)}
    for func in ast.walk(tree):
        if not isinstance(func, ast.FunctionDef) or func.name in skip_functions:
            continue
        for node in ast.walk(func):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "execute":
                sql = node.args[0]
                if isinstance(sql, ast.Name) and sql.id in constants:
                    sql = ast.Constant(value=sql.id)
                yield func.name, node.lineno, sql


#: Every module of the command line (pipelines/cli/, one per command family) and the warehouse code its
#: filters reach.
SQL_MODULES = [*sorted(p.relative_to(REPO).as_posix() for p in (REPO / "pipelines" / "cli").glob("*.py")),
               "warehouse/outreach.py", "warehouse/scorecard.py"]


@pytest.mark.parametrize("module", SQL_MODULES)
def test_sql_reachable_from_cli_arguments_is_constant_text(module: str) -> None:
    """Static complement of the tests above: in the code between a CLI argument and DuckDB, every SQL text
    is a literal or a module constant (values travel as parameters); `cdpi sql` itself is the sandbox's job."""
    for func, line, sql in _execute_calls(REPO / module, skip_functions={"cmd_sql"}):
        assert isinstance(sql, ast.Constant), f"{module}:{line} in {func} builds SQL text at run time"


def test_the_constant_sql_check_reads_the_commands_that_run_sql() -> None:
    """The check above passes on a file without SQL: it must read the modules the commands run theirs in,
    or a command moved to a file it does not list would go unchecked."""
    checked = {func for module in SQL_MODULES for func, _, _ in _execute_calls(REPO / module, skip_functions=set())}
    assert {"cmd_sql", "cmd_runs", "cmd_targets", "_print_run_summary"} <= checked
