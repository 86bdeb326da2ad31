"""What NLC staff and researchers run: `cdpi targets`, `cdpi history`, `cdpi export`; every filter bound
as a parameter, every format readable by the tool it is meant for."""

from __future__ import annotations

import csv
import io
import json
import shutil
from dataclasses import replace
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.cli import main as cli
from warehouse.paths import WarehousePaths


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def _targets(capsys, home: Path, *argv: str) -> pd.DataFrame:
    code, out, err = _run(capsys, "targets", "--home", str(home), "--format", "json", *argv)
    assert code == 0, err
    return pd.DataFrame(json.loads(out))


def test_targets_filters_and_ranks(sample_home: Path, capsys) -> None:
    every = _targets(capsys, sample_home, "--limit", "1000")
    assert len(every) >= 15 and list(every["rank"]) == sorted(every["rank"])
    state = every["state"].value_counts().index[0]
    in_state = _targets(capsys, sample_home, "--state", state.lower(), "--limit", "1000")
    assert set(in_state["state"]) == {state} and len(in_state) == (every["state"] == state).sum()
    band = _targets(capsys, sample_home, "--min-pop", "50000", "--max-pop", "100000", "--limit", "1000")
    assert band["population"].between(50_000, 100_000).all()
    assert len(band) == every["population"].between(50_000, 100_000).sum()
    gold = _targets(capsys, sample_home, "--tier", "gold", "--limit", "1000")
    assert (gold["next_tier"] == "gold").all() and len(gold) == (every["next_tier"] == "gold").sum()
    top3 = _targets(capsys, sample_home, "--limit", "3")
    assert list(top3["geoid"]) == list(every["geoid"][:3])
    assert {"gaps", "training_topics", "wwc_partner", "population_band"} <= set(every.columns)


def test_targets_formats(sample_home: Path, capsys, tmp_path: Path) -> None:
    code, out, _ = _run(capsys, "targets", "--home", str(sample_home), "--limit", "5")   # piped: TSV
    rows = list(csv.reader(io.StringIO(out), delimiter="\t"))
    assert code == 0 and rows[0][:3] == ["rank", "city", "state"] and len(rows) == 6
    snapshot = rows[1][rows[0].index("snapshot")]
    assert len(snapshot) == 10 and snapshot.endswith("-01"), "a DATE, not '2026-11-01 00:00:00'"
    assert (_targets(capsys, sample_home, "--limit", "3")["snapshot"] == snapshot).all()
    code, out, _ = _run(capsys, "targets", "--home", str(sample_home), "--limit", "5", "--format", "table")
    assert code == 0 and "If gaps closed" in out and "P(next)" in out
    expected = min(50, len(_targets(capsys, sample_home, "--limit", "1000")))   # the default limit is 50
    assert _run(capsys, "targets", "--home", str(sample_home), "--out", str(tmp_path / "t.csv"))[0] == 0
    assert len(pd.read_csv(tmp_path / "t.csv")) == expected
    xlsx = tmp_path / "t.xlsx"
    assert _run(capsys, "targets", "--home", str(sample_home), "--format", "xlsx", "--out", str(xlsx))[0] == 0
    sheet = pd.read_excel(xlsx)
    assert len(sheet) == expected and sheet.columns[0] == "rank"
    code, _, err = _run(capsys, "targets", "--home", str(sample_home), "--format", "xlsx")
    assert code == 1 and "--out" in err


def test_targets_xlsx_is_a_workbook_staff_can_use(sample_home: Path, capsys, tmp_path: Path) -> None:
    """Frozen header, autofilter over the table, widths from the content, numbers as numbers, and a second
    sheet saying which snapshot, run and filters the rows are, and where the data come from."""
    import openpyxl

    xlsx = tmp_path / "oh.xlsx"
    assert _run(capsys, "targets", "--home", str(sample_home), "--format", "xlsx", "--out", str(xlsx),
                "--min-pop", "40000", "--limit", "8")[0] == 0
    book = openpyxl.load_workbook(xlsx)
    assert book.sheetnames == ["cdpi", "about"]
    sheet = book["cdpi"]
    header = [c.value for c in sheet[1]]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == sheet.dimensions
    widths = {h: sheet.column_dimensions[openpyxl.utils.get_column_letter(k)].width for k, h in enumerate(header, 1)}
    assert widths["rank"] < widths["city"] < widths["why_call"] <= 60
    first = {h: c.value for h, c in zip(header, sheet[2], strict=True)}
    assert isinstance(first["population"], int) and isinstance(first["p_next_tier"], float)
    about = {r[0].value: r[1].value for r in book["about"].iter_rows(min_row=2)}
    con = duckdb.connect(str(WarehousePaths(sample_home).published), read_only=True)
    try:
        run_id, snapshot = con.execute("SELECT run_id, strftime(snapshot, '%Y-%m-%d') FROM ops.latest_run").fetchone()
    finally:
        con.close()
    assert about["run_id"] == run_id and about["snapshot"] == snapshot
    assert about["filters"] == "min_pop=40000, limit=8"
    assert about["data"].startswith("SAMPLE DATA: synthetic cities"), "a sheet passed on says it is made up"
    sources = [r[1].value for r in book["about"].iter_rows(min_row=2) if r[0].value == "source"]
    assert any("UScityURL" in s and "CC BY 4.0" in s for s in sources)


@pytest.mark.parametrize("argv", [["--state", "ZZ"], ["--state", "OH' OR 1=1 --"], ["--tier", "bronze"],
                                  ["--limit", "0"], ["--min-pop", "-5"]])
def test_targets_rejects_bad_filters(sample_home: Path, argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli(["targets", "--home", str(sample_home), *argv])
    assert exc.value.code == 2


def test_targets_with_no_match_and_inverted_bounds(sample_home: Path, capsys) -> None:
    code, out, err = _run(capsys, "targets", "--home", str(sample_home), "--min-pop", "90000000", "--format", "csv")
    assert code == 0 and out.strip().count("\n") == 0 and "no outreach targets" in err
    code, _, err = _run(capsys, "targets", "--home", str(sample_home), "--min-pop", "9", "--max-pop", "5")
    assert code == 1 and "above --max-pop" in err


def test_history_and_hostile_city_names(sample_home: Path, capsys) -> None:
    con = duckdb.connect(str(WarehousePaths(sample_home).published), read_only=True)
    city, state = con.execute("SELECT city, state FROM marts.city_index_latest ORDER BY geoid LIMIT 1").fetchone()
    before = con.execute("SELECT count(*) FROM marts.city_index").fetchone()[0]
    con.close()
    code, out, _ = _run(capsys, "history", f"{city}, {state}", "--home", str(sample_home), "--format", "json")
    [row] = json.loads(out)
    assert code == 0 and row["latest_for_month"] is True and row["is_sample"] is True
    # How the row was scored, so a change of rules between runs does not read as the city changing.
    # The bands by name, also when the run left them to the catalog's default: 2022 bands read apart from 2019.
    assert row["scored_with"] in ("catalog", "calibrated") and row["tier_bands"] == "wwc_2022"
    assert row["corrections_applied"] == 0
    for hostile in (f"{city}'; DROP TABLE marts.city_index; --, {state}", "%, OH", "' OR '1'='1"):
        code, _, err = _run(capsys, "history", hostile, "--home", str(sample_home))
        assert code == 1 and "no city" in err
    con = duckdb.connect(str(WarehousePaths(sample_home).published), read_only=True)
    assert con.execute("SELECT count(*) FROM marts.city_index").fetchone()[0] == before
    con.close()


def test_export_writes_every_mart_with_a_manifest(sample_home: Path, capsys, tmp_path: Path) -> None:
    code, out, err = _run(capsys, "export", "--home", str(sample_home), "--out", str(tmp_path))
    assert code == 0, err
    [folder] = [p for p in tmp_path.iterdir() if p.is_dir()]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["is_sample"] is True and manifest["snapshot"] == folder.name
    # Enough to cite the result and say how it was made: mode, settings, archives, rules version.
    assert manifest["mode"] == "sample" and manifest["settings"]["min_population"] == 30_000
    assert manifest["replay_sources"] and manifest["evidence_rules_version"].startswith("20")
    assert manifest["latest_only_views"] == ["outreach_targets", "outreach_longer_path", "outreach_not_observed"]
    files = manifest["files"]
    assert {"marts.city_index.parquet", "marts.city_index.csv", "marts.criterion_scores.parquet",
            "marts.outreach_targets.csv", "marts.validation.parquet"} <= set(files)
    con = duckdb.connect(str(WarehousePaths(sample_home).published), read_only=True)
    latest = con.execute("SELECT count(*) FROM marts.city_index_latest").fetchone()[0]
    con.close()
    assert files["marts.city_index.parquet"]["rows"] == latest
    parquet = duckdb.connect().execute("SELECT count(*) FROM read_parquet(?)",
                                       [str(folder / "marts.city_index.parquet")]).fetchone()[0]
    assert parquet == latest
    assert len(pd.read_csv(folder / "marts.city_index.csv")) == latest
    # CSV has no types: the manifest gives each column's, so codes keep their leading zeros when read so.
    columns = files["marts.city_index.csv"]["columns"]
    assert columns["geoid"] == "VARCHAR" and columns["snapshot"] == "DATE" and "dtype" in manifest["csv_column_types"]
    typed = pd.read_csv(folder / "marts.city_index.csv",
                        dtype={c: str for c, t in columns.items() if t == "VARCHAR"})
    con = duckdb.connect(str(WarehousePaths(sample_home).published), read_only=True)
    geoids = sorted(g for (g,) in con.execute("SELECT geoid FROM marts.city_index_latest").fetchall())
    con.close()
    assert sorted(typed["geoid"]) == geoids and any(g.startswith("0") for g in geoids)
    # A second export replaces the folder whole; a bad month is a clear error.
    assert _run(capsys, "export", "--home", str(sample_home), "--out", str(tmp_path), "--format", "csv")[0] == 0
    leftovers = [p for p in tmp_path.iterdir() if p.name.startswith(".") and not p.name.endswith(".lock")]
    assert not list(folder.glob("*.parquet")) and not leftovers
    code, _, err = _run(capsys, "export", "--home", str(sample_home), "--snapshot", "1999-01", "--out", str(tmp_path))
    assert code == 1 and "no successful run" in err
    code, _, err = _run(capsys, "export", "--home", str(sample_home), "--snapshot", "../x", "--out", str(tmp_path))
    assert code == 1 and "YYYY-MM" in err


def test_the_run_itself_exports_its_snapshot(sample_home: Path) -> None:
    [folder] = [p for p in (sample_home / "exports").iterdir() if p.is_dir()]
    assert (folder / "manifest.json").exists() and (folder / "marts.city_index.parquet").exists()


@pytest.mark.slow
def test_history_spans_snapshots(sample_home: Path, tmp_path: Path, capsys) -> None:
    home = tmp_path / "home"
    shutil.copytree(sample_home, home)
    con = duckdb.connect(str(WarehousePaths(home).published), read_only=True)
    month, city, state = con.execute("SELECT strftime(snapshot, '%Y-%m'), city, state FROM marts.city_index_latest "
                                     "ORDER BY geoid LIMIT 1").fetchone()
    con.close()
    earlier = f"{int(month[:4]) - (month[5:] == '01')}-{(int(month[5:]) - 2) % 12 + 1:02d}"
    assert cli(["run", "--sample", "--month", earlier, "--home", str(home), "--quiet"]) == 0
    capsys.readouterr()
    code, out, _ = _run(capsys, "history", f"{city}, {state}", "--home", str(home), "--format", "json")
    rows = json.loads(out)
    assert code == 0 and [r["snapshot"] for r in rows] == sorted([earlier, month])
    assert all(r["latest_for_month"] for r in rows)


def test_history_marks_the_run_its_month_stands_on_a_real_run_before_a_later_sample(
        sample_home: Path, tmp_path: Path, capsys) -> None:
    """Two runs of one month, a real one and a sample that finished after it: the month's views read the real
    run (ops.current_run), so history must mark that one, not the last to finish."""
    home = tmp_path / "home"
    shutil.copytree(sample_home, home)
    con = duckdb.connect(str(WarehousePaths(home).published))
    sample_run, geoid, city, state = con.execute(
        "SELECT run_id, geoid, city, state FROM marts.city_index_latest ORDER BY geoid LIMIT 1").fetchone()
    real_run = "eeee5555-0000-4000-8000-000000000005"
    con.execute("CREATE TEMP TABLE r AS SELECT * FROM ops.runs WHERE run_id = ?", [sample_run])
    con.execute("UPDATE r SET run_id = ?, is_sample = false, mode = 'live', "
                "finished_at = finished_at - INTERVAL 1 HOUR", [real_run])
    con.execute("INSERT INTO ops.runs SELECT * FROM r")
    con.execute("CREATE TEMP TABLE i AS SELECT * FROM marts.city_index WHERE run_id = ? AND geoid = ?",
                [sample_run, geoid])
    con.execute("UPDATE i SET run_id = ?", [real_run])
    con.execute("INSERT INTO marts.city_index SELECT * FROM i")
    current = con.execute("SELECT run_id FROM ops.current_run(strftime((SELECT snapshot FROM r), '%Y-%m'))").fetchone()
    con.close()
    assert current == (real_run,)
    code, out, _ = _run(capsys, "history", f"{city}, {state}", "--home", str(home), "--format", "json")
    rows = json.loads(out)
    assert code == 0 and {r["run_id"]: r["latest_for_month"] for r in rows} == {real_run: True, sample_run: False}
    # A month's current run that left the city out (a run filtered to other states) still stands for the
    # month: the city's row of an earlier run is not what the month's views show.
    con = duckdb.connect(str(WarehousePaths(home).published))
    con.execute("DELETE FROM marts.city_index WHERE run_id = ?", [real_run])
    con.close()
    code, out, _ = _run(capsys, "history", f"{city}, {state}", "--home", str(home), "--format", "json")
    rows = json.loads(out)
    assert code == 0 and {r["run_id"]: r["latest_for_month"] for r in rows} == {sample_run: False}


def test_report_command_and_the_report_every_run_builds(sample_home: Path, capsys, tmp_path: Path) -> None:
    assert (sample_home / "report" / "index.html").exists() and (sample_home / "report" / "targets.html").exists()
    code, out, err = _run(capsys, "report", "--home", str(sample_home), "--out", str(tmp_path / "r"))
    assert code == 0, err
    assert "SAMPLE DATA" in out and (tmp_path / "r" / "index.html").exists()
    pages = list((tmp_path / "r" / "cities").glob("*.html"))
    con = duckdb.connect(str(WarehousePaths(sample_home).published), read_only=True)
    assert len(pages) == con.execute("SELECT count(*) FROM marts.city_index_latest").fetchone()[0]
    con.close()
    code, _, err = _run(capsys, "report", "--home", str(sample_home), "--out", str(tmp_path / "r"),
                        "--snapshot", "1999-01")
    assert code == 1 and "1999-01" in err


def test_city_says_what_changed_since_the_previous_snapshot(tmp_path: Path, capsys) -> None:
    from tests.test_warehouse_views import changes_home

    changes_home(tmp_path)
    code, out, err = _run(capsys, "city", "Alpha, OH", "--home", str(tmp_path))
    assert code == 0, err
    assert ("change since 2026-09: +2.5 points; P(Silver+) +15.0 pp; evidence gained: "
            "performance_reporting; evidence lost: portal_exists; evidence not re-read: evaluation") in out
    code, out, err = _run(capsys, "city", "Beta, OH", "--home", str(tmp_path))
    assert code == 0 and "change: first snapshot" in out and "+0.0" not in out
    code, out, _ = _run(capsys, "city", "Alpha, OH", "--home", str(tmp_path), "--format", "json")
    assert json.loads(out)["change"]["points_change"] == 2.5


def test_targets_say_why_to_call_and_what_blocks_them(sample_home: Path, capsys) -> None:
    every = _targets(capsys, sample_home, "--limit", "1000")
    assert every["why_call"].str.startswith(("Publishes ", "No published data practice")).all()
    assert every["why_call"].str.contains("NLC training that fits: ").all()
    assert (every["change_summary"] == "first snapshot").all()          # the sample home holds one snapshot
    links = every["why_call_links"]      # JSON output holds the list itself, not its text
    assert links.map(len).gt(0).any() and all(link["url"].startswith(("http://", "https://"))
                                               for row in links for link in row)
    blocked = every[every["blocked_by_core"].notna()]
    assert len(blocked), "the sample has targets with the points but not the core criteria"
    for r in blocked.itertuples():
        first = r.blocked_by_core.split(", ")[0]
        # "core criterion DM1 (" for one, "core criteria DM1 (..), LC1 (" for more; a certified city's web
        # evidence "does not clearly show" them (tests/test_why_call_wording.py).
        said = ("blocked by core criteri" if pd.isna(r.certified_tier) else "does not clearly show core criteri")
        assert said in r.why_call and f"{first} (" in r.why_call
    row = blocked[blocked["certified_tier"].isna()].iloc[0]
    code, out, _ = _run(capsys, "city", f"{row['city']}, {row['state']}", "--home", str(sample_home))
    one = "criterion" if "," not in row["blocked_by_core"] else "criteria"
    assert code == 0 and f"blocked by core {one} {row['blocked_by_core'].split(', ')[0]} (" in out
    assert f"why call: {row['why_call']}" in out and "change: first snapshot" in out
    code, out, _ = _run(capsys, "targets", "--home", str(sample_home), "--limit", "2", "--format", "table")
    top = every.iloc[0]
    assert code == 0 and f"Why call:\n  1. {top['city']}, {top['state']} (first snapshot): {top['why_call']}\n" in out


def test_version_starts_with_the_installed_package_version(capsys) -> None:
    """The package version, then the commit of a checkout (tests/test_provenance.py)."""
    from importlib import metadata

    with pytest.raises(SystemExit) as done:
        cli(["--version"])
    assert done.value.code == 0
    printed = capsys.readouterr().out.strip()
    assert printed == f"cdpi {metadata.version('cdpi')}" or printed.startswith(f"cdpi {metadata.version('cdpi')}+g")


@pytest.mark.parametrize("command", ["city", "history"])
def test_help_examples_name_a_city_of_the_sample(command: str, sample_home: Path, capsys) -> None:
    """A new user copies the example from --help onto the sample: it must find a city."""
    import re

    with pytest.raises(SystemExit):
        cli([command, "--help"])
    example = re.search(r'e\.g\. "([^"]+)"', capsys.readouterr().out.replace("\n", " "))
    assert example, "no example in --help"
    code, out, err = _run(capsys, command, example.group(1), "--home", str(sample_home))
    assert code == 0 and example.group(1).split(",")[0] in out + err, err


def test_a_table_too_wide_for_the_terminal_is_shown_row_by_row_uncut(sample_home: Path, capsys,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """`--format table` in an 80-column terminal: a history row (15 columns) would be squeezed to "20…" in
    every cell; it is shown as one line per column instead, every value whole. A narrow result stays a table."""
    monkeypatch.setenv("COLUMNS", "80")
    run_id = json.loads(_run(capsys, "runs", "--home", str(sample_home), "--format", "json")[1])[0]["run_id"]
    code, out, _ = _run(capsys, "history", "Alder Heights, MD", "--home", str(sample_home), "--format", "table")
    assert code == 0 and out.startswith("-[ row 1 ]") and "run_id " in out and run_id in out
    assert all(len(line) <= 80 or "|" in line for line in out.splitlines())
    code, out, _ = _run(capsys, "sql", "select 1 as one", "--home", str(sample_home), "--format", "table")
    assert code == 0 and "┃ one ┃" in out


def test_runs_are_listed_newest_first_to_the_second(sample_home: Path, tmp_path: Path, capsys) -> None:
    """Runs that end within one minute show the same minute; they are still ordered by when they ended, so
    `--limit 1` is the newest."""
    from tests.security_support import _copy_home, _write

    home = _copy_home(sample_home, tmp_path / "home")
    for run_id, second in (("run-b", 40), ("run-a", 50), ("run-c", 10)):
        _write(home, "INSERT INTO ops.run_failures (run_id, failed_at, job_name, step, error) VALUES "
                     "(?, TIMESTAMP '2099-01-01 10:00:00' + to_seconds(?), 'monthly_refresh', 'x', 'killed')",
               [run_id, second])
    code, out, _ = _run(capsys, "runs", "--home", str(home), "--format", "json", "--limit", "3")
    assert code == 0 and [r["run_id"] for r in json.loads(out)] == ["run-a", "run-b", "run-c"]


@pytest.mark.slow
def test_history_finds_a_city_the_latest_run_did_not_score(sample_home: Path, tmp_path: Path, capsys) -> None:
    """After a slice (one state) becomes the latest run, a city outside it still has its history, by name or
    by GEOID; `cdpi city` (the latest run's scorecard) says it is not in the latest run."""
    from tests.security_support import _copy_home

    home = _copy_home(sample_home, tmp_path / "home")
    assert cli(["run", "--sample", "--state", "OR", "--home", str(home), "--quiet"]) == 0
    capsys.readouterr()
    code, out, err = _run(capsys, "history", "Alder Heights, MD", "--home", str(home), "--format", "json")
    assert code == 0, err
    rows = json.loads(out)
    assert len(rows) == 1 and rows[0]["expected_points"] > 0
    code, by_geoid, _ = _run(capsys, "history", "2490003", "--home", str(home), "--format", "json")
    assert code == 0 and json.loads(by_geoid) == rows
    code, _, err = _run(capsys, "city", "Alder Heights, MD", "--home", str(home))
    assert code == 1 and "in the latest run" in err


def test_a_run_whose_fetches_got_no_answer_says_the_network_may_be_down(sample_home: Path, tmp_path: Path,
                                                                        capsys) -> None:
    """A live run on a machine without a network publishes (every host recorded as unreachable, which is
    unknown, not absent), and its summary says so instead of ending as if all went well."""
    from pipelines.cli import _print_run_summary
    from tests.security_support import _copy_home, _write

    home = _copy_home(sample_home, tmp_path / "home")
    paths = WarehousePaths(home)
    run_id = json.loads(_run(capsys, "runs", "--home", str(home), "--format", "json")[1])[0]["run_id"]
    _print_run_summary(paths, run_id, "")
    summary = capsys.readouterr()
    assert "got no answer" not in summary.err, "the sample's fetches were answered"
    # Each command the summary offers reaches this home when pasted in a new shell.
    for line in ("query it", "in Dagster"):
        [printed] = [x for x in summary.out.splitlines() if line in x]
        assert f"--home {home}" in printed, printed
    _write(home, "UPDATE ops.fetch_summary SET outcome = 'dns_error' WHERE run_id = ?", [run_id])
    _print_run_summary(paths, run_id, "")
    err = capsys.readouterr().err
    assert "warning:" in err and "got no answer at all" in err and "is this machine online?" in err


def test_wide_characters_count_twice_when_a_table_is_measured(sample_home: Path, capsys,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    code, out, _ = _run(capsys, "sql", "select repeat('東京', 18) as place, 'x' as b", "--home", str(sample_home),
                        "--format", "table")
    assert code == 0 and "東京" * 18 in out and "…" not in out


def test_city_says_when_it_was_not_observed(sample_home: Path, capsys) -> None:
    con = duckdb.connect(str(WarehousePaths(sample_home).published), read_only=True)
    (name, note), = con.execute("SELECT city || ', ' || state, outreach_note FROM marts.city_index_latest "
                                "WHERE outreach_status = 'not_observed' ORDER BY geoid LIMIT 1").fetchall()
    (target,), = con.execute("SELECT city || ', ' || state FROM marts.outreach_targets ORDER BY rank LIMIT 1").fetchall()
    con.close()
    code, out, _ = _run(capsys, "city", "--home", str(sample_home), name)
    assert code == 0 and f"NOT OBSERVED this month: {note}." in out
    code, out, _ = _run(capsys, "city", "--home", str(sample_home), target)
    assert code == 0 and "NOT OBSERVED" not in out


def test_targets_lists_the_cities_kept_apart_with_their_reasons(sample_home: Path, capsys) -> None:
    """Three quarters of the sample's cities are on a longer path or not observed: staff reach them, and the
    reason each was not ranked, without SQL."""
    con = duckdb.connect(str(WarehousePaths(sample_home).published), read_only=True)
    longer = con.execute("SELECT geoid, outreach_note FROM marts.outreach_longer_path").fetchall()
    unseen = con.execute("SELECT geoid, outreach_note FROM marts.outreach_not_observed").fetchall()
    con.close()
    frame = _targets(capsys, sample_home, "--list", "longer-path", "--limit", "1000")
    assert sorted(zip(frame["geoid"], frame["outreach_note"], strict=True)) == sorted(longer) and len(longer) > 0
    assert list(frame["p_next_tier_if_gaps_closed"]) == sorted(frame["p_next_tier_if_gaps_closed"], reverse=True)
    assert "rank" not in frame and (frame["snapshot"].str.len() == 10).all()
    frame = _targets(capsys, sample_home, "--list", "not-observed", "--limit", "1000")
    assert sorted(zip(frame["geoid"], frame["outreach_note"], strict=True)) == sorted(unseen) and len(unseen) > 0
    code, _, err = _run(capsys, "targets", "--home", str(sample_home), "--list", "not-observed", "--tier", "gold")
    assert code == 1 and "no next tier to filter by" in err


def test_a_city_not_certified_that_reads_as_a_tier_is_a_call_for_that_tier(sample_home: Path, capsys) -> None:
    """NLC staff found 10 sample cities read as Silver or Gold but not certified, 7 of them on the longer path
    as 5 % prospects for the tier above (Gold for a Silver reading), never a Silver call: the strongest call
    ("likely qualifies, apply") was hidden. Their next tier is the tier they read as, and they are ranked."""
    con = duckdb.connect(str(WarehousePaths(sample_home).published), read_only=True)
    ready = con.execute("SELECT geoid, predicted_tier, next_tier, outreach_status, outreach_note, points_to_next_tier "
                        "FROM marts.city_index_latest WHERE predicted_tier <> 'none' "
                        "AND (certified_tier IS NULL OR certified_tier = 'honor_roll')").df()
    con.close()
    assert len(ready) >= 5, "the sample has cities that read as a tier they are not certified at"
    assert (ready["next_tier"] == ready["predicted_tier"]).all()
    assert not (ready["outreach_status"] == "longer_path").any()
    observed = ready[ready["outreach_status"] != "not_observed"]
    assert len(observed) and (observed["outreach_status"] == "target").all()
    assert all(note.startswith(f"the evidence already reads as {tier.title()}: a call to apply")
               for note, tier in zip(observed["outreach_note"], observed["next_tier"], strict=True))
    assert (observed["points_to_next_tier"] == 0).all()
    targets = _targets(capsys, sample_home, "--limit", "1000").set_index("geoid")
    assert set(observed["geoid"]) <= set(targets.index)
    assert all(f"already reads as {str(t).title()}" in targets.loc[g, "why_call"]
               for g, t in zip(observed["geoid"], observed["next_tier"], strict=True))


@pytest.mark.slow   # a whole replay run (about 20 s)
def test_a_replay_of_an_archive_cut_short_says_so(tmp_path: Path, capsys) -> None:
    """A copy of the sample's archive cut at 4 MB published a mostly empty snapshot with exit 0 and no word:
    the summary now says most fetches were not in the archive, and that the websites are unknown."""
    from pipelines.resources import sample_archive

    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(sample_archive().read_bytes()[:4_000_000])
    code, out, err = _run(capsys, "run", "--replay", str(cut), "--limit", "5", "--home", str(tmp_path / "h"))
    assert code == 0 and "published" in out
    assert "fetches were not in the archive: is it the whole archive" in err, err
    assert "5 of 5 cities have no website this month because the lists of city websites could not be read" in err


def test_city_without_its_comma_and_a_warehouse_of_an_older_version(sample_home: Path, tmp_path: Path,
                                                                   capsys) -> None:
    """'alder heights md' (the comma left out) found no city; a warehouse an older cdpi published failed with
    DuckDB's binder error and nothing more."""
    from tests.security_support import _copy_home, _write

    code, out, err = _run(capsys, "city", "--home", str(sample_home), "alder heights md")
    assert code == 0 and out.startswith("Alder Heights, MD"), err
    code, _, err = _run(capsys, "city", "--home", str(sample_home), "alder heights")
    assert code == 1 and "matches 2 cities" in err
    home = _copy_home(sample_home, tmp_path / "home")
    _write(home, "DROP VIEW marts.criterion_evidence_latest")
    code, _, err = _run(capsys, "city", "--home", str(home), "Alder Heights, MD")
    assert code == 1 and "may predate this version of cdpi" in err
    code, _, err = _run(capsys, "sql", "--home", str(home), "SELECT nope FROM marts.cities")
    assert code == 1 and "predate" not in err, "a user's own query's error is theirs"


SAMPLE_BANNER = "[SAMPLE DATA: synthetic cities, not real places]"


def test_json_output_holds_json_columns_as_json_values(sample_home: Path, capsys) -> None:
    """A column holding JSON text (why_call_links, top_gaps, config_json) is a JSON list or object in
    --format json, not a string to decode again; CSV and TSV keep the text; a value that is no JSON list or
    object stays a string."""
    home = str(sample_home)
    [target] = json.loads(_run(capsys, "targets", "--home", home, "--limit", "1", "--format", "json")[1])
    assert isinstance(target["why_call_links"], list) and target["why_call_links"]
    assert set(target["why_call_links"][0]) == {"what", "url"}
    city = f"{target['city']}, {target['state']}"
    card = json.loads(_run(capsys, "city", city, "--home", home, "--format", "json")[1])
    assert card["why_call_links"] == target["why_call_links"] and isinstance(card["top_gaps"], list)
    [row] = json.loads(_run(capsys, "sql", "SELECT top_gaps, why_call_links FROM marts.city_index_latest "
                            f"WHERE geoid = '{target['geoid']}'", "--home", home, "--format", "json")[1])
    assert isinstance(row["top_gaps"], list) and row["why_call_links"] == target["why_call_links"]
    runs = json.loads(_run(capsys, "sql", "SELECT config_json FROM ops.runs", "--home", home, "--format", "json")[1])
    assert isinstance(runs[0]["config_json"], dict) and "settings" in runs[0]["config_json"]
    [odd] = json.loads(_run(capsys, "sql", "SELECT '[not json' AS why_call_links, '3' AS top_gaps, '{}' AS other",
                            "--home", home, "--format", "json")[1])
    assert odd == {"why_call_links": "[not json", "top_gaps": "3", "other": "{}"}
    for fmt, delimiter in (("csv", ","), ("tsv", "\t")):
        out = _run(capsys, "targets", "--home", home, "--limit", "1", "--format", fmt)[1]
        [cells] = csv.DictReader(io.StringIO(out), delimiter=delimiter)
        assert json.loads(cells["why_call_links"]) == target["why_call_links"], "text in CSV and TSV"


def test_json_text_columns_are_the_columns_described_as_json() -> None:
    """The set the commands decode follows the schema: every column whose comment says it holds JSON, and
    only those."""
    import re

    from warehouse.schema import JSON_TEXT_COLUMNS, apply_schema

    con = duckdb.connect()
    try:
        apply_schema(con)
        described = {c for c, comment in con.execute(
            "SELECT column_name, comment FROM duckdb_columns() WHERE comment IS NOT NULL").fetchall()
            if re.match(r"JSON\b", comment) or re.search(r"\bas JSON\b", comment)}
    finally:
        con.close()
    assert described == set(JSON_TEXT_COLUMNS)


@pytest.mark.parametrize("fmt", ["csv", "tsv", "json", "table"])
def test_sample_rows_say_so_on_standard_error(sample_home: Path, capsys, fmt: str) -> None:
    """Rows of the built-in sample in any format say they are made up, on standard error: a spreadsheet
    made from the sample must not pass for real cities, and standard output stays the rows alone."""
    home = str(sample_home)
    for argv in (["targets", "--limit", "3"], ["targets", "--list", "longer-path", "--limit", "3"],
                 ["history", "Alder Heights, MD"], ["sql", "SELECT city, state FROM marts.cities_latest LIMIT 3"]):
        code, out, err = _run(capsys, *argv, "--home", home, "--format", fmt)
        assert code == 0 and SAMPLE_BANNER in err, (argv, err)
        assert SAMPLE_BANNER not in out and "SAMPLE DATA" not in out
        if fmt == "json":
            assert isinstance(json.loads(out), list), "the shape JSON readers expect"
        elif fmt != "table":
            rows = list(csv.reader(io.StringIO(out), delimiter="," if fmt == "csv" else "\t"))
            assert rows[0][0] in ("rank", "city", "snapshot") and len(rows) > 1


def test_sample_rows_say_so_in_files_and_in_the_city_card(sample_home: Path, capsys, tmp_path: Path) -> None:
    home = str(sample_home)
    for name in ("t.csv", "t.json", "t.xlsx"):
        code, _, err = _run(capsys, "targets", "--home", home, "--limit", "2", "--out", str(tmp_path / name))
        assert code == 0 and SAMPLE_BANNER in err and "wrote 2 rows" in err
    assert "SAMPLE" not in (tmp_path / "t.csv").read_text(encoding="utf-8")
    code, out, _ = _run(capsys, "city", "Alder Heights, MD", "--home", home)
    assert code == 0 and out.splitlines()[0].startswith("Alder Heights, MD") and SAMPLE_BANNER in out.splitlines()[0]
    code, out, err = _run(capsys, "city", "Alder Heights, MD", "--home", home, "--format", "json")
    assert code == 0 and json.loads(out)["is_sample"] is True and SAMPLE_BANNER in err


def test_a_warehouse_with_a_real_run_shows_no_sample_banner(sample_home: Path, tmp_path: Path, capsys) -> None:
    from tests.security_support import _copy_home, _write

    home = _copy_home(sample_home, tmp_path / "home")
    _write(home, "UPDATE ops.runs SET is_sample = false")
    for argv in (["targets", "--format", "csv"], ["history", "Alder Heights, MD", "--format", "csv"],
                 ["sql", "SELECT 1 AS one", "--format", "csv"], ["city", "Alder Heights, MD"]):
        code, out, err = _run(capsys, *argv, "--home", str(home))
        assert code == 0 and "SAMPLE DATA" not in out + err, argv
    code, out, _ = _run(capsys, "city", "Alder Heights, MD", "--home", str(home), "--format", "json")
    assert json.loads(out)["is_sample"] is False


def test_files_written_from_the_sample_say_so_on_every_row(sample_home: Path, capsys, tmp_path: Path) -> None:
    """A CSV or JSON file of `cdpi targets` made from the built-in sample looked real: the banner went to the
    terminal, not into the file. Every list, and the views behind them, carry is_sample."""
    con = duckdb.connect(str(WarehousePaths(sample_home).published), read_only=True)
    try:
        views = {v: con.execute(f"SELECT DISTINCT is_sample FROM marts.{v}").fetchall()
                 for v in ("city_index_latest", "outreach_targets", "outreach_longer_path", "outreach_not_observed")}
        state = con.execute("SELECT state FROM marts.outreach_targets ORDER BY rank LIMIT 1").fetchone()[0]
    finally:
        con.close()
    assert views == dict.fromkeys(views, [(True,)])
    csv_file, json_file = tmp_path / "t.csv", tmp_path / "t.json"
    assert _run(capsys, "targets", "--home", str(sample_home), "--state", state, "--out", str(csv_file))[0] == 0
    rows = list(csv.DictReader(csv_file.open(encoding="utf-8", newline="")))
    assert rows and {r["is_sample"] for r in rows} == {"True"}
    for listed in ("targets", "longer-path", "not-observed"):
        assert _run(capsys, "targets", "--home", str(sample_home), "--list", listed, "--format", "json",
                    "--out", str(json_file))[0] == 0
        rows = json.loads(json_file.read_text(encoding="utf-8"))
        assert rows and all(r["is_sample"] is True for r in rows), listed


def test_an_empty_targets_list_says_where_the_state_s_cities_are(sample_home: Path, capsys) -> None:
    """`cdpi targets --state TX` with no target said only "no outreach targets match": staff could not tell a
    state with no city in the run from one whose cities are all on the other lists."""
    con = duckdb.connect(str(WarehousePaths(sample_home).published), read_only=True)
    try:
        state, longer, unseen = con.execute("""
            SELECT state, count(*) FILTER (WHERE outreach_status = 'longer_path'),
                   count(*) FILTER (WHERE outreach_status = 'not_observed')
            FROM marts.city_index_latest GROUP BY state
            HAVING count(*) FILTER (WHERE outreach_status = 'target') = 0 AND count(*) FILTER
                   (WHERE outreach_status = 'longer_path') > 0
            ORDER BY state LIMIT 1""").fetchone()
        present = {s for (s,) in con.execute("SELECT DISTINCT state FROM marts.city_index_latest").fetchall()}
    finally:
        con.close()
    code, out, err = _run(capsys, "targets", "--home", str(sample_home), "--state", state, "--format", "csv")
    assert code == 0 and out.strip().count("\n") == 0
    assert "no outreach targets match these filters" in err
    assert f"{longer} on the longer-path list (cdpi targets --state {state} --list longer-path)" in err
    assert f"{unseen} not observed" in err
    absent = next(s for s in ("AZ", "FL", "GA", "NY", "TX", "OR", "CA", "OH") if s not in present)
    code, _, err = _run(capsys, "targets", "--home", str(sample_home), "--state", absent, "--format", "csv")
    assert code == 0 and f"has no city in {absent}" in err and "longer-path" not in err


def test_history_names_the_bands_of_a_run_that_recorded_none(sample_home: Path, tmp_path: Path, capsys) -> None:
    """Runs published before the bands were recorded by name kept only the setting, "" for the catalog's
    default: history names that default, and a chosen set by its own name."""
    from tests.security_support import _copy_home, _write

    home = _copy_home(sample_home, tmp_path / "home")
    _write(home, "UPDATE ops.runs SET config_json = json_object('settings', json_object('tier_bands', ''))")
    [row] = json.loads(_run(capsys, "history", "Alder Heights, MD", "--home", str(home), "--format", "json")[1])
    assert row["tier_bands"] == "wwc_2022"
    _write(home, "UPDATE ops.runs SET config_json = json_object('settings', json_object('tier_bands', 'wwc_2019'))")
    [row] = json.loads(_run(capsys, "history", "Alder Heights, MD", "--home", str(home), "--format", "json")[1])
    assert row["tier_bands"] == "wwc_2019"


def test_targets_and_the_report_read_a_warehouse_whose_views_predate_is_sample(sample_home: Path, tmp_path: Path,
                                                                               capsys) -> None:
    """After an upgrade the published file keeps the views of the code that published it until the next run:
    the staff's lists, cards, histories and the report must still read it (is_sample comes from the run, not
    the view; the signals' not_read, and evidence_latest's fetch_id, are absent there)."""
    home = tmp_path / "home"
    shutil.copytree(sample_home, home)
    con = duckdb.connect(str(WarehousePaths(home).published))
    for view, added in (("outreach_targets", "is_sample"), ("outreach_longer_path", "is_sample"),
                        ("outreach_not_observed", "is_sample"), ("criterion_evidence_latest", "not_read"),
                        ("evidence_latest", "fetch_id")):
        con.execute(f"CREATE TABLE marts.{view}_before AS SELECT * EXCLUDE ({added}) FROM marts.{view}")
        con.execute(f"CREATE OR REPLACE VIEW marts.{view} AS SELECT * FROM marts.{view}_before")
    # The macro as the previous version defined it: every run's explanation, without not_read.
    con.execute("CREATE TABLE marts.criterion_evidence_of_before AS SELECT * EXCLUDE (not_read) "
                "FROM marts.criterion_evidence_of((SELECT run_id FROM ops.latest_run))")
    con.execute("CREATE OR REPLACE MACRO marts.criterion_evidence_of(of_run) AS TABLE "
                "SELECT * FROM marts.criterion_evidence_of_before WHERE run_id = of_run")
    # ops.current_run as the previous version defined it: the month only as 'YYYY-MM' text (a DATE failed
    # with "invalid date field format"), and the views on it as that version left them.
    con.execute("CREATE OR REPLACE MACRO ops.current_run(month) AS TABLE SELECT * FROM ops.runs "
                "WHERE status = 'success' AND (month IS NULL OR strftime(snapshot, '%Y-%m') = month) "
                "ORDER BY is_sample, snapshot DESC, finished_at DESC NULLS LAST LIMIT 1")
    con.execute("CREATE OR REPLACE VIEW ops.latest_run AS "
                "SELECT r.* FROM ops.runs r SEMI JOIN ops.current_run(NULL) c USING (run_id)")
    con.close()
    code, out, err = _run(capsys, "runs", "--home", str(home), "--format", "json")
    runs = json.loads(out) if code == 0 else []
    assert code == 0 and runs and runs[0]["latest_for_month"] is True and runs[0]["latest"] is True, err
    for listed in ("targets", "longer-path", "not-observed"):
        code, out, err = _run(capsys, "targets", "--home", str(home), "--list", listed, "--format", "json")
        rows = json.loads(out)
        assert code == 0 and rows and all(r["is_sample"] is True for r in rows), err
    for command in ("city", "history"):
        code, out, err = _run(capsys, command, "Alder Heights, MD", "--home", str(home))
        assert code == 0 and "Alder Heights" in out + err and out.strip(), (command, err)
    code, out, err = _run(capsys, "city", "Alder Heights, MD", "--home", str(home), "--format", "json")
    signals = [s for c in json.loads(out)["criteria"] for s in c["evidence"]]
    assert code == 0 and signals and all(s["not_read"] is None for s in signals), err
    assert cli(["report", "--home", str(home), "--out", str(tmp_path / "report")]) == 0
    assert (tmp_path / "report" / "targets.html").exists()


def test_city_names_as_staff_type_them(sample_home: Path, capsys) -> None:
    """A misspelling got no suggestion, "Canon Springs" did not find "Cañon Springs", extra spaces failed and
    an empty name suggested five cities at random. Accents, case and spaces are folded, the state may be
    its code or its name, and a name not found gets the close spellings, in the state given first."""
    home = str(sample_home)
    for typed in ("Canon Springs, WI", "cañon springs, wisconsin", "  CANON   springs ,  wi "):
        code, out, err = _run(capsys, "city", "--home", home, typed)
        assert code == 0 and out.startswith("Cañon Springs, WI"), (typed, err)
    for typed in (" Alder  Heights ,  md ", "Alder Heights, Maryland", "alder heights maryland"):
        code, out, err = _run(capsys, "city", "--home", home, typed)
        assert code == 0 and out.startswith("Alder Heights, MD"), (typed, err)
    code, _, err = _run(capsys, "city", "--home", home, "Alder Hieghts, MD")
    assert code == 1 and "no city 'Alder Hieghts, MD'" in err and "did you mean Alder Heights, MD?" in err
    code, _, err = _run(capsys, "city", "--home", home, "Oak Bluff, TX")
    assert code == 1 and "did you mean Oak Bluff, CO; Oak Bluff, KY (none in that state)?" in err
    code, _, err = _run(capsys, "city", "--home", home, "Oak Bluff")
    assert code == 1 and "matches 2 cities (Oak Bluff, CO; Oak Bluff, KY); name the state too" in err
    code, _, err = _run(capsys, "city", "--home", home, "Alder Heights, Marylnd")
    assert code == 1 and "'Marylnd' is not a state" in err and "Alder Heights, MD" in err
    for empty in ("", "  ", " , "):
        code, _, err = _run(capsys, "city", "--home", home, empty)
        assert code == 1 and "no city given" in err and "did you mean" not in err
    code, _, err = _run(capsys, "history", "--home", home, "canon springs wi")
    assert code == 0, err


def test_targets_say_when_a_list_is_cut_short(sample_home: Path, capsys) -> None:
    """`cdpi targets --list longer-path` showed 50 of 74 rows and `--limit 3` 3 of 25 without a word: the
    count goes to standard error, whatever the format, so a CSV on standard output stays the rows alone."""
    home = str(sample_home)
    every = _targets(capsys, sample_home, "--list", "longer-path", "--limit", "100000")
    assert len(every) > 50, "the sample's longer path is longer than the default limit"
    code, out, err = _run(capsys, "targets", "--home", home, "--list", "longer-path", "--format", "csv")
    rows = list(csv.reader(io.StringIO(out)))
    assert code == 0 and len(rows) == 51 and f"showing 50 of {len(every)} cities on a longer path" in err
    assert "--limit N to change" in err and "showing" not in out
    n = len(_targets(capsys, sample_home, "--limit", "100000"))
    for fmt in ("table", "tsv", "json"):
        code, out, err = _run(capsys, "targets", "--home", home, "--limit", "3", "--format", fmt)
        assert code == 0 and f"showing 3 of {n} outreach targets" in err and "showing" not in out, fmt
    code, _, err = _run(capsys, "targets", "--home", home, "--limit", str(n), "--format", "csv")
    assert code == 0 and "showing" not in err, "nothing cut, nothing said"


def test_a_list_is_counted_not_read_whole(sample_home: Path) -> None:
    """"showing N of M" read every row of the list (each with its why_call text) to count M: the count is
    a count query now, the same rows as the list without its limit, under every filter."""
    from warehouse.outreach import TargetFilter, count_listed, targets
    from warehouse.read import connect_published

    con = connect_published(WarehousePaths(sample_home))
    try:
        for which in ("targets", "longer_path", "not_observed"):
            for f in (TargetFilter(limit=3), TargetFilter(state="MD", limit=None), TargetFilter(min_population=50_000),
                      TargetFilter(tier=None if which == "not_observed" else "silver", max_population=80_000)):
                assert count_listed(con, f, which) == len(targets(con, replace(f, limit=None), which)), (which, f)
    finally:
        con.close()


def test_targets_table_uses_the_documented_column_names(sample_home: Path, capsys) -> None:
    """The terminal table said pop, p_now and p_push, which no document names, without the tiers or points
    that make a city near a tier, and with 0.9 beside 0.91. It now says what docs/methodology.md says."""
    methodology = (Path(__file__).resolve().parents[1] / "docs" / "methodology.md").read_text(encoding="utf-8")
    home = str(sample_home)
    for listed in ("targets", "longer-path"):
        code, out, _ = _run(capsys, "targets", "--home", home, "--list", listed, "--limit", "5", "--format", "table")
        assert code == 0
        for heading in ("population", "certified", "predicted", "next tier", "P(next)", "If gaps closed",
                        "To next", "gaps"):
            assert heading in out, (listed, heading)
        for heading in ("P(next)", "If gaps closed", "To next"):
            assert f"| {heading}" in methodology
        assert "p_push" not in out and "p_now" not in out and " pop " not in out
        assert "If gaps closed: that chance with the top gaps met" in out, "a legend under the table"
    from pipelines.cli.staff import terminal_columns

    frame = _targets(capsys, sample_home, "--limit", "100000")
    frame.loc[0, "p_next_tier"] = 0.9
    shown = terminal_columns(frame, "targets")
    assert shown.loc[0, "P(next)"] == "0.90" and all(len(p) == 4 for p in shown["If gaps closed"])
    assert shown.loc[0, "population"] == f"{int(frame.loc[0, 'population']):,}"


def test_targets_csv_columns_grow_only_at_the_end(sample_home: Path, capsys) -> None:
    """The longer path said "with their gaps" but had no gaps column, and no list carried expected points;
    new columns come after the old ones, so a sheet read by position keeps working. The snapshot is the
    month's first day, an ISO date (docs/analyst-guide.md)."""
    from warehouse.outreach import LONGER_PATH_COLUMNS, TARGET_COLUMNS

    home = str(sample_home)
    code, out, _ = _run(capsys, "targets", "--home", home, "--format", "csv", "--limit", "100000")
    header, *rows = list(csv.reader(io.StringIO(out)))
    assert header == TARGET_COLUMNS and header[-2:] == ["is_sample", "expected_points"]
    assert all(float(r[-1]) >= 0 for r in rows)
    assert all(len(r[header.index("snapshot")]) == 10 and r[header.index("snapshot")].endswith("-01") for r in rows)
    code, out, _ = _run(capsys, "targets", "--home", home, "--list", "longer-path", "--format", "csv",
                        "--limit", "100000")
    header, *rows = list(csv.reader(io.StringIO(out)))
    assert header == LONGER_PATH_COLUMNS and header[-2:] == ["is_sample", "gaps"]
    gaps = [r[-1] for r in rows]
    assert sum(bool(g) for g in gaps) > len(rows) // 2
    assert all(part.split(" ")[0][:2].isalpha() for g in gaps if g for part in g.split("; "))
