"""`cdpi export --run-id`: any published run, a superseded one included, exported with its own rows and a
manifest that says whether it still stands for its month, into a folder that the month's export never
replaces (and that never replaces it)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.cli import main as cli
from tests.publish_support import city_row
from warehouse.paths import WarehousePaths
from warehouse.publish import RunRecord, publish_run, record_run_failure

FIRST = "aaaa1111-0000-4000-8000-000000000001"      # 2026-11, superseded by RERUN
RERUN = "bbbb2222-0000-4000-8000-000000000002"      # 2026-11 again: the month's current run
TWIN_A = "cccc3333-0000-4000-8000-000000000003"     # 2026-10, two runs whose ids begin alike
TWIN_B = "cccc3333-1111-4000-8000-000000000004"
FAILED = "dddd4444-0000-4000-8000-000000000005"     # failed: in ops.run_failures, no rows


def _city(geoid: str, name: str, population: int) -> dict:
    return city_row(geoid, name, population, is_sample=False)


def _publish(paths: WarehousePaths, run_id: str, month: str, cities: list[dict], **settings: object) -> None:
    record = RunRecord(run_id=run_id, snapshot=datetime.fromisoformat(month), mode="live", is_sample=False,
                       started_at=datetime.now(UTC), config={"settings": settings})
    publish_run(paths, record, {"staging.cities": pd.DataFrame(cities)}, [])


@pytest.fixture(scope="module")
def runs_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse where 2026-11 was run twice (the re-run counts more cities, at other populations), and
    2026-10 twice under ids with the same first 8 characters, plus a failed run."""
    home = tmp_path_factory.mktemp("runs_home")
    paths = WarehousePaths(home)
    _publish(paths, TWIN_A, "2026-10-01", [_city("3900001", "Alpha", 39_000)])
    _publish(paths, TWIN_B, "2026-10-01", [_city("3900001", "Alpha", 39_500)])
    _publish(paths, FIRST, "2026-11-01", [_city("3900001", "Alpha", 40_000)], state="OH")
    _publish(paths, RERUN, "2026-11-01", [_city("3900001", "Alpha", 41_000), _city("3900002", "Beta", 50_000)],
             state=None)
    record_run_failure(paths, FAILED, "monthly_refresh", "census_places", "Census unreachable")
    return home


def _export(home: Path, *args: str) -> int:
    return cli(["export", "--home", str(home), *args])


def _manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def _run_ids(path: Path) -> set[str]:
    return {r for (r,) in duckdb.sql(f"SELECT DISTINCT run_id FROM read_parquet('{path}')").fetchall()}


def test_a_superseded_run_is_exported_by_its_id_with_only_its_rows(runs_home: Path, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "exports"
    assert _export(runs_home, "--run-id", FIRST[:8], "--out", str(out)) == 0, capsys.readouterr().err
    printed = capsys.readouterr().out
    folder = out / "2026-11_run-aaaa1111"
    assert f"run {FIRST} of snapshot 2026-11 (superseded by {RERUN})" in printed and str(folder) in printed
    manifest = _manifest(folder)
    assert manifest["run_id"] == FIRST and manifest["snapshot"] == "2026-11" and manifest["mode"] == "live"
    assert manifest["settings"] == {"state": "OH"}, "the settings are the exported run's, not the re-run's"
    assert manifest["latest_for_month"] is False and manifest["superseded_by"] == RERUN
    assert manifest["latest_only_views"] == [] and "latest_only_views_note" in manifest
    parquet = sorted(folder.glob("marts.*.parquet"))
    assert parquet and all(manifest["files"][p.name]["rows"] == 0 or _run_ids(p) == {FIRST} for p in parquet)
    cities = duckdb.sql(f"SELECT geoid, population FROM read_parquet('{folder / 'marts.cities.parquet'}')")
    assert cities.fetchall() == [("3900001", 40_000)]
    assert manifest["files"]["marts.cities.csv"]["rows"] == 1
    assert not (out / "2026-11").exists(), "a run's export is not the month's"


def test_the_month_and_its_superseded_run_keep_folders_of_their_own(runs_home: Path, tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture) -> None:
    """The month's folder is its current run's; exporting the earlier run, before or after, touches it not."""
    out = tmp_path / "exports"
    assert _export(runs_home, "--snapshot", "2026-11", "--out", str(out)) == 0
    month = (out / "2026-11" / "manifest.json").read_bytes()
    assert _export(runs_home, "--run-id", FIRST, "--snapshot", "2026-11", "--out", str(out)) == 0
    assert (out / "2026-11" / "manifest.json").read_bytes() == month
    current = _manifest(out / "2026-11")
    assert current["run_id"] == RERUN and current["latest_for_month"] is True
    assert current["superseded_by"] is None and current["latest_only_views"]
    assert _manifest(out / "2026-11_run-aaaa1111")["run_id"] == FIRST
    # The current run named by its id: a run folder too, marked current, holding the latest-only views.
    assert _export(runs_home, "--run-id", RERUN, "--out", str(out)) == 0
    named = _manifest(out / "2026-11_run-bbbb2222")
    assert named["run_id"] == RERUN and named["latest_for_month"] is True and named["superseded_by"] is None
    assert named["latest_only_views"] == current["latest_only_views"]
    assert {n: f["sha256"] for n, f in named["files"].items()} == {
        n: f["sha256"] for n, f in current["files"].items()}, "the same run gives the same bytes"
    capsys.readouterr()


def test_a_cited_run_s_files_come_back_byte_for_byte_after_a_re_run(home: Path,
                                                                   capsys: pytest.CaptureFixture) -> None:
    """The researcher's case: the month's export is cited, the month is run again (its folder now holds the
    re-run), and exporting the cited run by its id gives the same checksums for every mart of the run. Only
    the outreach views, which describe the latest run alone, are left out now that it is not the latest."""
    paths = WarehousePaths(home)
    _publish(paths, FIRST, "2026-11-01", [_city("3900001", "Alpha", 40_000)], state="OH")
    assert _export(home) == 0
    cited = _manifest(home / "exports" / "2026-11")
    assert cited["run_id"] == FIRST and cited["latest_for_month"] is True
    _publish(paths, RERUN, "2026-11-01", [_city("3900001", "Alpha", 41_000)], state=None)
    assert _export(home) == 0
    assert _manifest(home / "exports" / "2026-11")["run_id"] == RERUN, "the month's folder is the re-run's"
    assert _export(home, "--run-id", FIRST[:8]) == 0
    again = _manifest(home / "exports" / "2026-11_run-aaaa1111")
    assert again["run_id"] == FIRST and again["superseded_by"] == RERUN
    assert {n: f["sha256"] for n, f in again["files"].items()} == {
        n: f["sha256"] for n, f in cited["files"].items() if not n.startswith("marts.outreach_")}
    assert {n for n in cited["files"] if n.startswith("marts.outreach_")}, "the cited export had the views"
    capsys.readouterr()


def test_a_run_id_copied_with_the_spaces_around_it_is_found(runs_home: Path, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture) -> None:
    """`cdpi runs` prints tab-separated rows: an id copied from one often brings a space or a tab along."""
    out = tmp_path / "exports"
    assert _export(runs_home, "--run-id", f" {FIRST}\t", "--out", str(out)) == 0, capsys.readouterr().err
    assert _manifest(out / f"2026-11_run-{FIRST[:8]}")["run_id"] == FIRST


def test_a_run_export_defaults_to_the_home_s_exports_folder(runs_home: Path, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "warehouse.duckdb").write_bytes(WarehousePaths(runs_home).published.read_bytes())
    assert _export(home, "--run-id", FIRST, "--format", "csv") == 0
    assert sorted(p.name for p in (home / "exports").iterdir() if not p.name.startswith(".")) == [
        "2026-11_run-aaaa1111"]
    assert not list((home / "exports" / "2026-11_run-aaaa1111").glob("*.parquet"))
    capsys.readouterr()


def test_runs_whose_ids_begin_alike_get_folders_named_by_the_whole_id(runs_home: Path, tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "exports"
    assert _export(runs_home, "--run-id", TWIN_A, "--out", str(out)) == 0
    assert _export(runs_home, "--run-id", TWIN_B[:13], "--out", str(out)) == 0
    assert _manifest(out / f"2026-10_run-{TWIN_A}")["run_id"] == TWIN_A
    assert _manifest(out / f"2026-10_run-{TWIN_B}")["run_id"] == TWIN_B
    capsys.readouterr()


@pytest.mark.parametrize(("args", "message"), [
    (["--run-id", "eeee5555"], "no run id begins with 'eeee5555'; `cdpi runs` lists the runs"),
    (["--run-id", "aaaa"], "no run has the id 'aaaa', and a shorter part of an id must have at least 8 "
                           "characters; `cdpi runs` lists the runs"),
    (["--run-id", "cccc3333"], f"'cccc3333' begins 2 run ids ({TWIN_A}, {TWIN_B}); give more of the id "
                               "(`cdpi runs` lists the runs)"),
    (["--run-id", FAILED[:10]], f"run {FAILED} failed and published no rows (see ops.run_failures); export a "
                                "run that `cdpi runs` lists as success"),
    (["--run-id", "f" * 5000], "'ffffffffffffffffffffffffffffffffffffffff'... (5000 characters) is no run id; "
                               "`cdpi runs` lists the runs"),
    (["--run-id", FIRST, "--snapshot", "2026-10"], f"run {FIRST} is of snapshot 2026-11, not 2026-10; leave out "
                                                   "--snapshot (the run names its month)"),
])
def test_a_run_id_that_names_no_exportable_run_is_a_one_line_error(args: list[str], message: str,
                                                                   runs_home: Path, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "exports"
    assert _export(runs_home, *args, "--out", str(out)) == 1
    captured = capsys.readouterr()
    assert captured.err == f"cdpi: error: {message}\n" and captured.out == ""
    assert not out.exists() or not [p for p in out.iterdir() if not p.name.startswith(".")]


def test_a_run_exported_again_after_another_run_gives_the_same_bytes(sample_home: Path, tmp_path: Path) -> None:
    """The Parquet writer's pages followed how the run's rows were scanned, and a publish lays the file out
    anew: once another run was published, the same rows of the sample run gave other Parquet bytes, so the
    checksums a researcher cited no longer held. Exported twice around another run's publish (an older
    month, so the sample run stays the latest and keeps its outreach files), every file is the same."""
    import shutil

    from warehouse.export import export_snapshot

    home = tmp_path / "home"
    home.mkdir()
    shutil.copyfile(sample_home / "warehouse.duckdb", home / "warehouse.duckdb")
    paths = WarehousePaths(home)
    con = duckdb.connect(str(paths.published), read_only=True)
    try:
        (run_id, month), = con.execute("SELECT run_id, snapshot FROM ops.runs").fetchall()
    finally:
        con.close()

    def checksums(out: Path) -> dict[str, str]:
        folder = export_snapshot(paths, None, out, run_id=run_id).folder
        return {n: f["sha256"] for n, f in _manifest(folder)["files"].items()}

    before = checksums(tmp_path / "before")
    record = RunRecord(run_id=RERUN, snapshot=datetime(month.year - 1, month.month, 1), mode="sample",
                       is_sample=True, started_at=datetime.now(UTC))
    publish_run(paths, record, {"staging.cities": pd.DataFrame([city_row("3900001", "Alpha", 40_000,
                                                                         is_sample=True)])}, [])
    after = checksums(tmp_path / "after")
    assert any(n.endswith(".parquet") for n in before) and any(n.startswith("marts.outreach_") for n in before)
    assert after == before
