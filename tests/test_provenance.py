"""A run names the code that made it: the package version never changed between releases while rules and
scoring changed with every commit, so a citation of 'cdpi 0.1.0' could not pin the code."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import duckdb
import pytest

from assets.provenance import cdpi_version
from pipelines.cli import main as cli
from pipelines.resources import sample_archive
from sources.http import archive as archive_mod
from sources.http import replay_sidecar
from tests.test_replay_index import _write_sample
from warehouse.paths import WarehousePaths
from warehouse.read import connect_published

REPO = Path(__file__).resolve().parents[1]


def test_the_version_carries_the_commit_of_the_checkout(capsys) -> None:
    if not (REPO / ".git").exists():
        pytest.skip("not run from a git checkout: the package version stands alone, by design")
    version = cdpi_version()
    assert re.fullmatch(r"\d+\.\d+\.\d+\+g[0-9a-f]{12}(\.dirty)?", version), version
    with pytest.raises(SystemExit):
        cli(["--version"])
    assert capsys.readouterr().out.strip() == f"cdpi {version}"


def test_a_run_records_the_version_it_was_made_with(sample_home: Path) -> None:
    con = connect_published(WarehousePaths(sample_home))
    try:
        recorded = {v for (v,) in con.execute("SELECT cdpi_version FROM ops.runs").fetchall()}
    finally:
        con.close()
    assert recorded == {cdpi_version()}


def test_a_run_records_the_digest_of_each_data_file_that_decides_its_scores(sample_home: Path) -> None:
    """rules.yaml edited without bumping its version gave other evidence under the same version: the run
    record and the export manifest carry the SHA-256 of the rules, the criteria catalog and the other data
    files (what sha256sum prints), and the corrections the run applied (none in the sample)."""
    from assets.versions import DATA_FILES
    from sources.evidence.classify import load_rules

    expected = {name: hashlib.sha256(path.read_bytes()).hexdigest() for name, path in DATA_FILES.items()}
    assert {"evidence_rules", "criteria_catalog", "wwc_partners"} <= set(expected)
    con = connect_published(WarehousePaths(sample_home))
    try:
        (config_json,) = con.execute("SELECT config_json FROM ops.runs").fetchone()
    finally:
        con.close()
    config = json.loads(config_json)
    assert config["data_files_sha256"] == expected
    assert config["evidence_rules_version"] == load_rules().version
    assert config["corrections"]["applied"] == 0 and config["corrections"]["as_of"].endswith("Z")
    [manifest] = [json.loads(p.read_text(encoding="utf-8")) for p in (sample_home / "exports").glob("*/manifest.json")]
    assert manifest["data_files"] == expected and manifest["corrections"] == config["corrections"]


def _on_disk(path: Path) -> dict:
    """What a reader holding the file computes: its SHA-256 and its size."""
    data = path.read_bytes()
    return {"path": str(path), "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}


def test_a_replay_records_each_archive_by_digest_and_size(sample_home: Path) -> None:
    """A path names where an archive lay, not which bytes it held: the run record and the export manifest
    carry each replayed file's SHA-256 and size, the same a reader gets from sha256sum."""
    expected = [_on_disk(sample_archive())]
    con = connect_published(WarehousePaths(sample_home))
    try:
        recorded, sources = con.execute("SELECT replay_archives_json, replay_sources FROM ops.runs").fetchone()
    finally:
        con.close()
    assert json.loads(recorded) == expected
    manifests = list((sample_home / "exports").glob("*/manifest.json"))
    assert len(manifests) == 1, "the run exported its snapshot"
    manifest = json.loads(manifests[0].read_text(encoding="utf-8"))
    assert manifest["replay_archives"] == expected
    assert manifest["replay_sources"] == list(sources) == [str(sample_archive())], "kept as it was"


def test_an_export_of_a_file_from_before_the_digests_says_they_are_unknown(
        sample_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """`cdpi export` reads the file as it is (columns are added at the next publish): a replay published
    before the digests were recorded exports with replay_archives null, not an error nor an empty list."""
    home = tmp_path / "home"
    home.mkdir()
    shutil.copyfile(sample_home / "warehouse.duckdb", home / "warehouse.duckdb")
    con = duckdb.connect(str(home / "warehouse.duckdb"))
    try:
        con.execute("ALTER TABLE ops.runs DROP COLUMN replay_archives_json")
    finally:
        con.close()
    assert cli(["export", "--home", str(home), "--out", str(tmp_path / "out")]) == 0, capsys.readouterr().err
    manifest = json.loads(next((tmp_path / "out").glob("*/manifest.json")).read_text(encoding="utf-8"))
    assert manifest["replay_archives"] is None and manifest["replay_sources"] == [str(sample_archive())]


def test_archive_fingerprints_name_each_file_of_a_folder_in_every_process(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A folder is recorded file by file. A process that loads the kept index (a step process, the next
    replay) records the same digest and size as the one that read the file."""
    from sources.http.archive import replay_fingerprints

    monkeypatch.setattr(archive_mod, "_FILE_INDEXES", {})
    folder = tmp_path / "warc"
    files = sorted([_write_sample(folder, "a"), _write_sample(folder, "b")])
    expected = [_on_disk(p) for p in files]
    assert [f.as_record() for f in replay_fingerprints([str(folder)])] == expected
    assert all(replay_sidecar.path_for(p).exists() for p in files)
    monkeypatch.setattr(archive_mod, "_FILE_INDEXES", {})       # a new process: the kept index is used
    monkeypatch.setattr(archive_mod._FileIndex, "_index", lambda *a: pytest.fail("the file was read again"))
    assert [f.as_record() for f in replay_fingerprints([str(folder)])] == expected


def _runs(capsys: pytest.CaptureFixture, home: Path) -> dict[str, dict]:
    capsys.readouterr()
    assert cli(["runs", "--home", str(home), "--format", "json"]) == 0
    return {r["run_id"]: r for r in json.loads(capsys.readouterr().out)}


def test_cdpi_runs_shows_quarantined_rows_version_and_suites(sample_home: Path, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture) -> None:
    """What a researcher comparing two runs checks first: the rows validation set aside, the code, and the
    suites that decided them (shipped, an edited copy by its digest, or unknown for runs from before)."""
    home = tmp_path / "home"
    home.mkdir()
    shutil.copyfile(sample_home / "warehouse.duckdb", home / "warehouse.duckdb")
    con = duckdb.connect(str(home / "warehouse.duckdb"))
    try:
        (run_id, quarantined), = con.execute("SELECT run_id, quarantined FROM ops.runs").fetchall()
        for other, config in (("edited", {"suites_dir": "/x/suites", "suites_sha256": "0123456789abcdef" * 4}),
                              ("gone", {"suites_dir": "/x/gone", "suites_sha256": None}), ("older", {})):
            con.execute("INSERT INTO ops.runs (run_id, snapshot, mode, is_sample, status, finished_at, "
                        "cdpi_version, config_json, quarantined) SELECT ?, snapshot, mode, is_sample, status, "
                        "finished_at - INTERVAL 1 DAY, '0.1.0', ?, 7 FROM ops.runs WHERE run_id = ?",
                        [other, json.dumps(config), run_id])
    finally:
        con.close()
    runs = _runs(capsys, home)
    sample = runs[run_id]
    assert (sample["quarantined"], sample["cdpi_version"], sample["suites"]) == (
        quarantined, cdpi_version(), "shipped")
    assert runs["edited"]["suites"] == "edited:0123456789ab" and runs["edited"]["quarantined"] == 7
    assert runs["gone"]["suites"] == "edited", "the folder went away before publish: no digest to show"
    assert runs["older"]["suites"] is None and runs["older"]["cdpi_version"] == "0.1.0"
    # Scripts read the CSV by position: new columns come after the old ones, never between them.
    assert list(sample) == ["run_id", "snapshot", "mode", "status", "finished_utc", "cities", "fetches",
                            "quarantined", "cdpi_version", "suites", "outcomes", "data_docs", "latest_for_month",
                            "latest"]
    # Several runs of one month: which one stands for it (ops.current_run) and which the _latest views show.
    assert (sample["latest_for_month"], sample["latest"]) == (True, True)
    assert (runs["older"]["latest_for_month"], runs["older"]["latest"]) == (False, False)
