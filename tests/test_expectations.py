"""Tests for expectations/: the cities suite, suite parameters, reports and row quarantine.

Everything runs the real Great Expectations engine; the GX context is process-wide, and the
module-scoped fixture pays its ~2.5 s import once for the whole file.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

from expectations import (
    QUARANTINE_COLUMNS,
    ExpectationFailure,
    SuiteError,
    ValidationReport,
    load_suite_spec,
    quarantine,
    suite_names,
    suite_parameters,
    validate,
)

PARAMS = {"min_population": 30_000}
REPO = Path(__file__).resolve().parents[1]

NOT_NULL = "expect_column_values_to_not_be_null"
UNIQUE = "expect_column_values_to_be_unique"
REGEX = "expect_column_values_to_match_regex"
BETWEEN = "expect_column_values_to_be_between"
IN_SET = "expect_column_values_to_be_in_set"
PAIR = "expect_column_pair_values_to_be_in_set"
ROW_COUNT = "expect_table_row_count_to_be_between"


def cities_frame() -> pd.DataFrame:
    """A small valid marts.cities-shaped frame (fictional cities), with the dtypes the pipeline uses."""
    return pd.DataFrame({
        "geoid": ["0100100", "0600200", "4800300", "1100050"],
        "state_fips": ["01", "06", "48", "11"],
        "place_fips": ["00100", "00200", "00300", "00050"],
        "name": ["Alder Falls", "Birch Harbor", "Cedar Mesa", "Capitol City"],
        "legal_name": ["Alder Falls city", "Birch Harbor city", "Cedar Mesa city", "Capitol City"],
        "state_abbr": ["AL", "CA", "TX", "DC"],
        "state_name": ["Alabama", "California", "Texas", "District of Columbia"],
        "population": pd.array([45_000, 120_000, 30_000, 680_000], dtype="Int64"),
        "population_year": [2024, 2024, 2024, 2024],
        "sumlev": ["162"] * 4,
        "funcstat": ["A"] * 4,
        "source": ["sample"] * 4,
        "website_url": ["https://alderfalls.example", None, "http://cedarmesa.example", "https://dc.example"],
        "website_match": ["fips", "none", "name", "csv"],
        "wikidata_qid": ["Q1", None, "Q3", None],
        "is_sample": [True] * 4,
    })


def failures_of(report: ValidationReport, etype: str, column: str | None = None) -> list[ExpectationFailure]:
    return [f for f in report.failures if f.type == etype and (column is None or f.column == column)]


def failed_pairs(report: ValidationReport) -> set[tuple[str, str | None]]:
    return {(f.type, f.column) for f in report.failures}


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ValidationReport, Path]]:
    """First validation of the module (builds the shared GX context), run from an empty directory
    so tests can check that GX wrote nothing."""
    workdir = tmp_path_factory.mktemp("gx_cwd")
    previous = Path.cwd()
    os.chdir(workdir)
    try:
        report = validate(cities_frame(), "cities", parameters=PARAMS)
        quarantine(cities_frame(), "cities", key_columns=["geoid"], parameters=PARAMS)
    finally:
        os.chdir(previous)
    yield report, workdir


# ------------------------------------------------------------------------------------------ suites

def test_suite_files_are_listed_and_loaded_as_copies() -> None:
    assert "cities" in suite_names()
    spec = load_suite_spec("cities")
    assert spec["name"] == "cities"
    spec["expectations"].clear()  # callers cannot corrupt the cached spec
    assert load_suite_spec("cities")["expectations"]


def test_every_cities_expectation_explains_why() -> None:
    for entry in load_suite_spec("cities")["expectations"]:
        assert entry["meta"]["why"].strip(), entry["type"]


def test_cities_state_sets_are_the_50_states_plus_dc() -> None:
    kwargs = {(e["type"], e["kwargs"].get("column")): e["kwargs"] for e in load_suite_spec("cities")["expectations"]}
    fips = kwargs[(IN_SET, "state_fips")]["value_set"]
    abbrs = kwargs[(IN_SET, "state_abbr")]["value_set"]
    pairs = kwargs[(PAIR, None)]["value_pairs_set"]
    assert len(set(fips)) == len(set(abbrs)) == len(pairs) == 51
    assert {p[0] for p in pairs} == set(fips) and {p[1] for p in pairs} == set(abbrs)
    assert "11" in fips and "DC" in abbrs and "72" not in fips  # DC in, Puerto Rico out


def test_threshold_is_a_suite_parameter_not_a_literal() -> None:
    assert suite_parameters("cities") == ["min_population"]
    between = [e for e in load_suite_spec("cities")["expectations"] if e["type"] == BETWEEN]
    assert between[0]["kwargs"]["min_value"] == {"$PARAMETER": "min_population"}


@pytest.mark.parametrize("name", ["nope", "../cities", "Cities", ""])
def test_unknown_or_unsafe_suite_names_raise(name: str) -> None:
    with pytest.raises(SuiteError):
        load_suite_spec(name)


def test_missing_parameter_raises_a_clear_error(baseline) -> None:
    with pytest.raises(SuiteError, match="min_population"):
        validate(cities_frame(), "cities")
    with pytest.raises(SuiteError, match="min_population"):
        quarantine(cities_frame(), "cities", key_columns=["geoid"], parameters={"min_pop": 1})


def test_importing_expectations_is_cheap_and_dagster_free() -> None:
    code = ("import sys, expectations, expectations.runner; "
            "print('great_expectations' in sys.modules, 'dagster' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_scipy_stats_and_altair_wait_until_an_expectation_calls_them() -> None:
    """Every shipped suite registered and one validated without importing scipy.stats or altair (GX
    imports them at start-up for its KS-test and KL-divergence expectations); GX's ``stats`` and ``alt``
    still work when called."""
    code = ("import sys\n"
            "from expectations.runner import prepare, validate\n"
            "from tests.test_expectations import cities_frame, PARAMS\n"
            "prepare()\n"
            "assert validate(cities_frame(), 'cities', parameters=PARAMS).success\n"
            "print('scipy.stats' in sys.modules, 'altair.vegalite' in sys.modules)\n"
            "import importlib.util; assert importlib.util.find_spec('altair').name == 'altair'\n"
            "from great_expectations.expectations.core import expect_column_kl_divergence_to_be_less_than as kl\n"
            "print(round(float(kl.stats.entropy([0.5, 0.5], [0.9, 0.1])), 3), 'scipy.stats' in sys.modules)\n"
            "print(kl.alt.Chart.__name__, 'altair.vegalite' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["False", "False", "0.511", "True", "Chart", "True"]


# -------------------------------------------------------------------------------------- validation

def test_valid_frame_passes(baseline) -> None:
    report, _ = baseline
    assert report.success and report.failures == []
    assert report.evaluated == report.successful == len(load_suite_spec("cities")["expectations"])
    assert report.success_percent == 100.0
    assert report.rows == 4 and report.parameters == PARAMS


def test_gx_writes_no_files(baseline) -> None:
    _, workdir = baseline
    assert list(workdir.iterdir()) == []


def test_duplicate_geoid_fails_uniqueness(baseline) -> None:
    df = cities_frame()
    df.loc[1, "geoid"] = "0100100"
    report = validate(df, "cities", parameters=PARAMS)
    assert not report.success
    (dup,) = failures_of(report, UNIQUE, "geoid")
    assert dup.unexpected_count == 2 and dup.partial_unexpected_list == ["0100100", "0100100"]
    assert failed_pairs(report) == {(UNIQUE, "geoid")}


def test_malformed_geoid_fails_regex(baseline) -> None:
    df = cities_frame()
    bad = ["123456", "06abc12", "01001000", " 4800300"]  # lost zero, letters, too long, padding
    df["geoid"] = bad
    report = validate(df, "cities", parameters=PARAMS)
    assert failed_pairs(report) == {(REGEX, "geoid")}
    (regex,) = failures_of(report, REGEX, "geoid")
    assert regex.unexpected_count == 4 and sorted(regex.partial_unexpected_list) == sorted(bad)


def test_null_geoid_and_name_fail(baseline) -> None:
    df = cities_frame()
    df.loc[0, "geoid"] = None
    df.loc[2, "name"] = None
    report = validate(df, "cities", parameters=PARAMS)
    assert failed_pairs(report) == {(NOT_NULL, "geoid"), (NOT_NULL, "name")}


def test_population_threshold_comes_from_the_parameter(baseline) -> None:
    df = cities_frame()
    df.loc[0, "population"] = 29_999
    report = validate(df, "cities", parameters=PARAMS)
    (low,) = failures_of(report, BETWEEN, "population")
    assert low.kwargs["min_value"] == 30_000 and low.unexpected_count == 1
    assert low.partial_unexpected_list == [29_999]
    # Same suite, same process, other threshold: the parameter is applied per run, not baked in.
    assert validate(df, "cities", parameters={"min_population": 20_000}).success
    report = validate(cities_frame(), "cities", parameters={"min_population": 50_000})
    assert failures_of(report, BETWEEN, "population")[0].unexpected_count == 2  # 45,000 and 30,000


def test_unknown_state_fails_codes_and_pair(baseline) -> None:
    df = cities_frame()
    df.loc[3, ["state_fips", "state_abbr"]] = ["72", "PR"]  # Puerto Rico is out of scope
    report = validate(df, "cities", parameters=PARAMS)
    assert failed_pairs(report) == {(IN_SET, "state_fips"), (IN_SET, "state_abbr"), (PAIR, "state_fips,state_abbr")}


def test_mismatched_state_codes_fail_only_the_pair(baseline) -> None:
    df = cities_frame()
    df.loc[1, "state_abbr"] = "TX"  # valid code, wrong state for FIPS 06
    report = validate(df, "cities", parameters=PARAMS)
    assert failed_pairs(report) == {(PAIR, "state_fips,state_abbr")}


def test_website_rules(baseline) -> None:
    df = cities_frame()
    df.loc[0, "website_url"] = "alderfalls.example"  # no scheme
    df.loc[2, "website_match"] = "guess"
    report = validate(df, "cities", parameters=PARAMS)
    assert failed_pairs(report) == {(REGEX, "website_url"), (IN_SET, "website_match")}
    df = cities_frame()
    df["website_url"] = None  # no known websites at all is allowed
    assert validate(df, "cities", parameters=PARAMS).success


def test_missing_column_is_a_reported_failure(baseline) -> None:
    df = cities_frame().drop(columns=["website_match"])
    report = validate(df, "cities", parameters=PARAMS)
    assert not report.success
    (missing,) = report.failures
    assert (missing.type, missing.column) == (IN_SET, "website_match")
    assert missing.error == "column 'website_match' is missing from the frame"
    assert missing.unexpected_count is None and "missing" in missing.message
    # A schema problem singles out no rows: quarantine keeps them, the report (and check) fails.
    clean, quarantined = quarantine(df, "cities", key_columns=["geoid"], parameters=PARAMS)
    assert len(clean) == 4 and quarantined.empty


def test_empty_frame_fails_row_count_only(baseline) -> None:
    empty = cities_frame().iloc[0:0]
    report = validate(empty, "cities", parameters=PARAMS)
    assert not report.success and report.rows == 0
    (row_count,) = report.failures
    assert row_count.type == ROW_COUNT and row_count.observed_value == 0
    assert row_count.unexpected_count is None and row_count.column is None
    clean, quarantined = quarantine(empty, "cities", key_columns=["geoid"], parameters=PARAMS)
    assert clean.empty and list(clean.columns) == list(empty.columns)
    assert quarantined.empty and tuple(quarantined.columns) == QUARANTINE_COLUMNS


def test_frame_without_any_columns_does_not_crash(baseline) -> None:
    report = validate(pd.DataFrame(), "cities", parameters=PARAMS)
    assert report.successful == 0 and report.evaluated == len(report.failures)
    assert all(f.error for f in report.failures if f.type != ROW_COUNT)


def test_non_dataframe_input_is_rejected() -> None:
    with pytest.raises(TypeError):
        validate([{"geoid": "0100100"}], "cities", parameters=PARAMS)  # type: ignore[arg-type]


def test_concurrent_validations_share_the_context_safely(baseline) -> None:
    df = cities_frame()
    df.loc[0, "population"] = 10
    with ThreadPoolExecutor(max_workers=4) as pool:
        reports = list(pool.map(lambda _: validate(df, "cities", parameters=PARAMS), range(4)))
    assert all(r == reports[0] for r in reports)
    assert failed_pairs(reports[0]) == {(BETWEEN, "population")}


# -------------------------------------------------------------------------------------- quarantine

def messy_frame() -> pd.DataFrame:
    """Four good rows plus four bad ones; the 0600200 duplicate is a good row's twin."""
    good = cities_frame()
    bad = pd.DataFrame([
        {**good.iloc[1].to_dict(), "name": "Birch Harbor (dup)"},               # duplicate geoid
        {**good.iloc[0].to_dict(), "geoid": "0100999", "population": 12_000},   # below threshold
        {**good.iloc[0].to_dict(), "geoid": "01ABC", "name": None},             # two failures
        {**good.iloc[2].to_dict(), "geoid": "4800777", "state_abbr": "OK"},     # fips/abbr mismatch
    ])
    return pd.concat([good, bad], ignore_index=True).astype({"population": "Int64"})


def test_quarantine_accounts_for_every_row(baseline) -> None:
    df = messy_frame()
    clean, quarantined = quarantine(df, "cities", key_columns=["geoid"], parameters=PARAMS)
    assert tuple(quarantined.columns) == QUARANTINE_COLUMNS
    distinct_rows = quarantined["row_json"].nunique()
    assert len(clean) + distinct_rows == len(df)
    assert sorted(clean["geoid"]) == ["0100100", "1100050", "4800300"]
    assert list(clean.index) == [0, 2, 3]  # the caller's index is kept
    assert (quarantined["suite"] == "cities").all()
    # The cleaned frame now passes the whole suite.
    assert validate(clean, "cities", parameters=PARAMS).success


def test_quarantine_reasons_and_payload(baseline) -> None:
    clean, quarantined = quarantine(messy_frame(), "cities", key_columns=["geoid"], parameters=PARAMS)
    by_key = quarantined.groupby("key")["reason"].apply(list).to_dict()
    assert by_key['{"geoid": "0100999"}'] == ["population 12000 below min_population 30000"]
    assert by_key['{"geoid": "01ABC"}'] == ["geoid '01ABC' does not match ^(?:[0-9]{7}|[0-9]{10})\\Z", "name is null"]
    assert by_key['{"geoid": "0600200"}'] == ["geoid '0600200' is not unique (2 rows share it)"] * 2
    assert by_key['{"geoid": "4800777"}'] == [  # OK is a valid code, just not Texas's
        "state_fips/state_abbr ('48', 'OK') is not an allowed combination"]
    assert len(quarantined) == 6  # one line per failure: the 01ABC row appears twice
    below = quarantined[quarantined["key"] == '{"geoid": "0100999"}'].iloc[0]
    assert (below["expectation"], below["column"]) == (BETWEEN, "population")
    row = json.loads(below["row_json"])
    assert row["population"] == 12_000 and row["is_sample"] is True and row["website_match"] == "fips"
    assert set(row) == set(messy_frame().columns)


def test_quarantine_of_a_clean_frame_is_empty(baseline) -> None:
    df = cities_frame()
    clean, quarantined = quarantine(df, "cities", key_columns=["geoid"], parameters=PARAMS)
    pd.testing.assert_frame_equal(clean, df)
    assert quarantined.empty


def test_quarantine_handles_a_duplicated_index(baseline) -> None:
    df = messy_frame()
    df.index = [0] * len(df)  # positions, not labels, identify rows
    clean, quarantined = quarantine(df, "cities", key_columns=["geoid", "state_fips"], parameters=PARAMS)
    assert len(clean) == 3 and len(quarantined) == 6
    assert json.loads(quarantined["key"].iloc[0]) == {"geoid": "0600200", "state_fips": "06"}


def test_quarantine_threshold_follows_the_parameter(baseline) -> None:
    df = cities_frame()
    _, strict = quarantine(df, "cities", key_columns=["geoid"], parameters={"min_population": 100_000})
    assert sorted(strict["reason"]) == ["population 30000 below min_population 100000",
                                        "population 45000 below min_population 100000"]


# ----------------------------------------------------------------------------------- serialization

def test_report_serializes_to_plain_json(baseline) -> None:
    df = messy_frame()
    df.loc[0, "population"] = pd.NA
    report = validate(df, "cities", parameters={"min_population": 30_000, "note": None})
    data = report.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["suite"] == "cities" and data["success"] is False
    assert {"type", "column", "kwargs", "unexpected_count", "partial_unexpected_list", "message", "why"} <= set(
        data["failures"][0])
    (null_pop,) = [f for f in data["failures"] if f["type"] == NOT_NULL and f["column"] == "population"]
    assert null_pop["partial_unexpected_list"] == [None]
    assert dataclasses.is_dataclass(report)
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.success = True  # type: ignore[misc]


@pytest.mark.parametrize("case", ["clean", "bad_rows", "table_level_failure"])
def test_quarantine_and_check_reports_what_the_two_steps_report_running_gx_once_when_nothing_is_set_aside(
        baseline, monkeypatch, case) -> None:
    """The assets' path: the suite's run that found no bad rows is the report on the clean rows (GX does not
    run twice); with bad rows, the clean rows are validated again. Either way the report is the one the
    separate steps give."""
    from expectations import _context
    from expectations.runner import quarantine_and_check, validate_output

    df = cities_frame()
    if case == "bad_rows":
        df.loc[1, "geoid"] = "12"                  # breaks the geoid pattern: one row set aside
    elif case == "table_level_failure":
        df = df.drop(columns=["website_match"])    # a schema failure: no row singled out, the check fails
    calls = []
    real = _context.run_suite
    monkeypatch.setattr(_context, "run_suite", lambda *a, **k: calls.append(1) or real(*a, **k))
    clean, quarantined, report = quarantine_and_check(df, "cities", key_columns=["geoid"], parameters=PARAMS)
    assert len(calls) == (2 if case == "bad_rows" else 1)
    monkeypatch.setattr(_context, "run_suite", real)
    clean2, quarantined2 = quarantine(df, "cities", key_columns=["geoid"], parameters=PARAMS)
    expected = validate_output(clean2, "cities", quarantined=quarantined2, rows_in=len(df), parameters=PARAMS)
    pd.testing.assert_frame_equal(clean, clean2)
    pd.testing.assert_frame_equal(quarantined, quarantined2)
    assert (report.success, report.evaluated, report.successful, report.rows) == (
        expected.success, expected.evaluated, expected.successful, expected.rows)
    assert [dataclasses.asdict(f) for f in report.failures] == [dataclasses.asdict(f) for f in expected.failures]
    assert report.success == (case == "clean")
    assert len(quarantined) == (1 if case == "bad_rows" else 0)


def test_prepare_registers_every_shipped_suite_once() -> None:
    from expectations import _context
    from expectations.runner import prepare

    prepare()
    registered = dict(_context._state().suites)
    assert set(suite_names()) <= set(registered)
    prepare()   # a second call (or the validations that follow) reuses the same suite objects
    assert all(_context._state().suites[name] is suite for name, suite in registered.items())


def _suites_folder(folder: Path, *specs: dict) -> Path:
    """``folder`` holding each spec as ``<name>.json``, the way an operator writes an edited suite."""
    folder.mkdir(parents=True, exist_ok=True)
    for spec in specs:
        (folder / f"{spec['name']}.json").write_text(json.dumps(spec, indent=2), encoding="utf-8")
    return folder


def test_prepare_names_a_suite_great_expectations_refuses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from expectations import runner

    broken = {"name": "broken_suite", "expectations": [{"type": "expect_the_impossible", "kwargs": {}}]}
    monkeypatch.setenv("CDPI_SUITES_DIR", str(_suites_folder(tmp_path, broken)))
    with pytest.raises(SuiteError, match=r"suite 'broken_suite' in CDPI_SUITES_DIR .* is refused by Great Expectations"):
        runner.prepare(["broken_suite"])


def test_a_suite_entry_gx_cannot_build_stops_validation_instead_of_shifting_results(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # GX leaves such an entry out and logs it; results are matched to the JSON by position, so the entries
    # after it would be reported under the wrong expectation. The runner refuses the suite instead.
    spec = {"name": "typo_suite", "expectations": [
        {"type": "expect_column_values_to_be_betwen", "kwargs": {"column": "x", "min_value": 0}},
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "x"}}]}
    monkeypatch.setenv("CDPI_SUITES_DIR", str(_suites_folder(tmp_path, spec)))
    with pytest.raises(SuiteError, match="typo_suite.*expect_column_values_to_be_betwen"):
        validate(pd.DataFrame({"x": [1, None]}), "typo_suite")


def test_an_edited_copy_of_the_suites_is_what_validates_once_named(baseline, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """CDPI_SUITES_DIR names a folder an operator edited; the same process had validated with the shipped
    cities suite, and the edited one (an extra entry, first in the file) must be the one GX runs, with each
    result under its own entry."""
    edited = load_suite_spec("cities")
    extra = {"type": IN_SET, "kwargs": {"column": "state_abbr", "value_set": ["AL", "CA", "TX"]}}
    edited["expectations"].insert(0, extra)
    folder = tmp_path / "suites"
    shutil.copytree(REPO / "expectations" / "suites", folder)
    _suites_folder(folder, edited)
    assert validate(cities_frame(), "cities", parameters=PARAMS).success   # the shipped suite: passes
    monkeypatch.setenv("CDPI_SUITES_DIR", str(folder))
    report = validate(cities_frame(), "cities", parameters=PARAMS)
    assert failed_pairs(report) == {(IN_SET, "state_abbr")}
    assert failures_of(report, IN_SET)[0].partial_unexpected_list == ["DC"]
    monkeypatch.delenv("CDPI_SUITES_DIR")
    assert validate(cities_frame(), "cities", parameters=PARAMS).success   # and back to the shipped one


def test_a_suites_folder_must_hold_every_suite_a_run_checks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from expectations import runner

    monkeypatch.setenv("CDPI_SUITES_DIR", str(_suites_folder(tmp_path, load_suite_spec("cities"))))
    with pytest.raises(SuiteError, match="lacks the suite.s. crawl_pages, evidence, portal_datasets"):
        runner.prepare()
    monkeypatch.setenv("CDPI_SUITES_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(SuiteError, match="CDPI_SUITES_DIR names .*nowhere, which is not a folder"):
        suite_names()


def test_identical_bad_rows_count_as_rows_against_the_quarantined_share(baseline) -> None:
    from expectations.runner import QUARANTINED_SHARE, quarantine_and_check

    df = cities_frame()
    bad = df.iloc[[0]].assign(geoid="12")                      # breaks the geoid pattern
    copies = pd.concat([df, *[bad] * len(df)], ignore_index=True)   # half the rows: one bad row, repeated
    clean, quarantined, report = quarantine_and_check(copies, "cities", key_columns=["geoid"], parameters=PARAMS)
    assert len(clean) == len(df)
    (share,) = [f for f in report.failures if f.type == QUARANTINED_SHARE]
    assert share.observed_value.startswith(f"{len(df)} of {len(copies)} rows quarantined")


@pytest.mark.parametrize("suite", suite_names())
def test_a_column_its_table_declares_not_null_is_checked_for_nulls(suite: str) -> None:
    # GX's pattern, set and length expectations pass a missing value; a column with only those would let a
    # null through to a NOT NULL column, and the publish would fail on DuckDB's constraint instead of the row
    # being set aside with its reason.
    import duckdb

    from assets.tables import table_of
    from warehouse.publish import RUN_COLUMNS
    from warehouse.schema import apply_schema

    con = duckdb.connect()
    apply_schema(con)
    schema, table = table_of(suite).split(".")
    declared = {c for (c,) in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE schema_name = ? AND table_name = ? AND NOT is_nullable",
        [schema, table]).fetchall()}
    entries = load_suite_spec(suite)["expectations"]
    not_null = {e["kwargs"]["column"] for e in entries if e["type"] == "expect_column_values_to_not_be_null"}
    # Every declared column, named by an entry or not (crawl_pages.url once had no expectation at all),
    # except the ones the publisher adds to each row after validation.
    assert declared - set(RUN_COLUMNS) - not_null == set()


@pytest.mark.parametrize("suite", suite_names())
def test_patterns_end_at_the_end_of_the_value(suite: str) -> None:
    # In Python, '$' also matches before a final newline: 'geoid\n' would pass '^\d{7}$' and then join nothing.
    for e in load_suite_spec(suite)["expectations"]:
        regex = e["kwargs"].get("regex")
        assert regex is None or not regex.endswith("$"), (suite, regex)


def test_a_trailing_newline_in_a_key_is_set_aside(baseline) -> None:
    df = cities_frame()
    df.loc[0, "geoid"] = df.loc[0, "geoid"] + "\n"
    clean, quarantined = quarantine(df, "cities", key_columns=["geoid"], parameters=PARAMS)
    assert len(clean) == len(df) - 1 and quarantined["column"].tolist() == ["geoid"]


def test_a_suites_folder_that_loops_or_a_suite_not_in_utf8_is_a_one_line_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from expectations import runner

    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    monkeypatch.setenv("CDPI_SUITES_DIR", str(tmp_path / "a"))
    with pytest.raises(SuiteError, match="CDPI_SUITES_DIR names .*, which cannot be resolved"):
        suite_names()
    monkeypatch.delenv("CDPI_SUITES_DIR")
    shipped = load_suite_spec("cities")
    folder = _suites_folder(tmp_path / "suites", shipped)
    (folder / "cities.json").write_bytes(b'\xff\xfe{"name": "cities"}')
    monkeypatch.setenv("CDPI_SUITES_DIR", str(folder))
    with pytest.raises(SuiteError, match="suite 'cities' in CDPI_SUITES_DIR .* is not UTF-8 text"):
        runner.load_suite_spec("cities")
    # A byte-order mark, as some editors write, is read as UTF-8.
    (folder / "cities.json").write_bytes(b"\xef\xbb\xbf" + json.dumps(shipped).encode())
    assert runner.load_suite_spec("cities") == shipped


def test_a_suite_file_over_the_size_cap_is_refused_before_it_is_read(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A 300 MB file under a suite's name was read whole (about 1 GB of memory) before it was found not to be
    a suite. The size is checked first: a file past the cap is a one-line SuiteError naming the file, its size
    and the cap; a valid suite padded to just past the cap is refused too, one at the cap is read."""
    from expectations import runner

    cap = 1024 * 1024   # runner.MAX_SUITE_BYTES, checked below
    shipped = load_suite_spec("cities")
    folder = _suites_folder(tmp_path / "huge", shipped)
    with open(folder / "cities.json", "r+b") as handle:   # sparse: 3 MiB on paper, nothing on disk
        handle.truncate(3 * 1024 * 1024)
    monkeypatch.setenv("CDPI_SUITES_DIR", str(folder))
    with pytest.raises(SuiteError) as raised:
        runner.load_suite_spec("cities")
    assert str(raised.value) == (
        f"suite file cities.json in CDPI_SUITES_DIR {folder} is 3.0 MiB (3145728 bytes), over the 1.0 MiB "
        "(1048576 bytes) cap on a suite file (MAX_SUITE_BYTES); the shipped suites are a few KiB: "
        "is it the right file?")
    text = json.dumps(shipped)
    for size, refused in ((cap + 1, True), (cap, False)):
        padded = tmp_path / f"padded_{size}"   # a whole folder: check_suites, as a run calls it, wants every suite
        shutil.copytree(REPO / "expectations" / "suites", padded)
        (padded / "cities.json").write_text(text + " " * (size - len(text)), encoding="utf-8")
        monkeypatch.setenv("CDPI_SUITES_DIR", str(padded))
        if refused:
            with pytest.raises(SuiteError, match=r"cities.json .* is 1.0 MiB \(1048577 bytes\), over the 1.0 MiB"):
                runner.check_suites()
        else:
            assert runner.load_suite_spec("cities") == shipped
    shipped_sizes = [p.stat().st_size for p in (REPO / "expectations" / "suites").glob("*.json")]
    assert runner.MAX_SUITE_BYTES == cap >= 100 * max(shipped_sizes), "wide headroom over the shipped suites"


def test_the_suites_digest_names_the_checks_not_the_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from expectations.runner import suites_digest

    shipped = suites_digest()
    folder = tmp_path / "suites"
    shutil.copytree(Path(__file__).resolve().parents[1] / "expectations" / "suites", folder)
    monkeypatch.setenv("CDPI_SUITES_DIR", str(folder))
    assert suites_digest() == shipped, "the same checks from another folder"
    edited = tmp_path / "edited"   # suites are read once per process and folder: an edit goes in a new one
    shutil.copytree(folder, edited)
    cities = json.loads((edited / "cities.json").read_text(encoding="utf-8"))
    cities["expectations"][0]["meta"] = {"note": "tried on one run"}
    (edited / "cities.json").write_text(json.dumps(cities), encoding="utf-8")
    monkeypatch.setenv("CDPI_SUITES_DIR", str(edited))
    assert suites_digest() != shipped


def test_a_check_report_carries_the_figures_the_quarantine_limit_was_judged_on(baseline) -> None:
    """The check's metadata shows rows checked, rows quarantined, their share and the limit in force: the
    report of the table facts carries them, passing or not, and a run's own limit replaces the suite's."""
    from expectations.runner import quarantine_and_check

    df = cities_frame()
    df.loc[1, "geoid"] = "12"          # one row of four set aside
    _, _, report = quarantine_and_check(df, "cities", key_columns=["geoid"], parameters=PARAMS)
    assert (report.rows_in, report.quarantined_rows, report.quarantined_share) == (4, 1, 0.25)
    assert report.max_quarantined_share == 0.05 and not report.success
    _, _, loose = quarantine_and_check(df, "cities", key_columns=["geoid"], parameters=PARAMS,
                                       max_quarantined_share=0.5)
    assert loose.success and loose.max_quarantined_share == 0.5 and loose.quarantined_rows == 1
    assert json.loads(json.dumps(loose.to_dict()))["rows_in"] == 4


def test_a_check_description_says_it_blocks_and_what_it_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    """The UI's description of each blocking check: that it stops the publish, the suite's row rules and the
    table facts (uniqueness, not empty, the quarantined share's limit from the suite's meta.table_facts)."""
    from expectations import runner

    text = runner.describe_check("cities", "staging.cities")
    assert text.startswith("Blocking: a failure stops the run before the publish")
    assert "expectations/suites/cities.json" in text and "staging.cities" in text
    assert "13 row rules" in text and "1 rule(s) on the whole table" in text
    assert "unique geoid" in text and "not empty when its inputs are not" in text
    assert "at most 5% of its rows quarantined" in text
    assert "unique (geoid, url)" in runner.describe_check("crawl_pages", "staging.crawl_pages")
    assert "unique" not in runner.describe_check("portal_datasets", "marts.portal_datasets").split("table facts")[1]
    spec = load_suite_spec("cities")
    spec["meta"]["table_facts"] = {"max_quarantined_share": 0.2, "not_empty_when_inputs_are_not": False}
    monkeypatch.setattr(runner, "_read_spec", lambda folder, name: spec)
    text = runner.describe_check("cities", "staging.cities")
    assert "at most 20% of its rows quarantined" in text and "not empty" not in text
