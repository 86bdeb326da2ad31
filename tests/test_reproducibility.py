"""A researcher reproduces a run: the rules behind it are named by digest, a rules edit without a version
bump is flagged, and a corrected run's printed replay line, followed literally, gives the same marts."""

from __future__ import annotations

import json
import shlex
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.cli import main as cli
from tests.publish_support import city_row
from warehouse.paths import WarehousePaths
from warehouse.publish import RunRecord, publish_run


def _publish(home: Path, run_id: str, config: dict) -> WarehousePaths:
    paths = WarehousePaths(home)
    record = RunRecord(run_id=run_id, snapshot=datetime(2026, 10, 1), mode="live", is_sample=False,
                       started_at=datetime.now(UTC), config=config)
    publish_run(paths, record, {"staging.cities": pd.DataFrame([city_row("3900001", "Alpha", 40_000,
                                                                         is_sample=False)])}, [])
    return paths


def test_a_rules_file_edited_without_a_version_bump_is_flagged_at_run_start(tmp_path: Path) -> None:
    """rules.yaml edited (a threshold) but still under the version a published run recorded: the next run
    warns, naming that run; the same bytes, or another version, say nothing."""
    from assets.versions import data_files_sha256
    from pipelines.cli.run import rules_edit_warning
    from sources.evidence.classify import load_rules

    version = load_rules().version
    now = data_files_sha256()
    same = _publish(tmp_path / "same", "same-rules", {"evidence_rules_version": version, "data_files_sha256": now})
    assert rules_edit_warning(same) is None
    other = _publish(tmp_path / "other", "other-version", {
        "evidence_rules_version": version + "-old", "data_files_sha256": {**now, "evidence_rules": "0" * 64}})
    assert rules_edit_warning(other) is None
    edited = _publish(tmp_path / "edited", "edited-rules", {
        "evidence_rules_version": version, "data_files_sha256": {**now, "evidence_rules": "0" * 64}})
    warning = rules_edit_warning(edited)
    assert warning is not None and "edited-rules" in warning and f"still {version!r}" in warning
    assert rules_edit_warning(WarehousePaths(tmp_path / "new")) is None, "a new home: nothing to compare"


def test_a_rules_file_changed_between_evidence_and_publish_is_not_recorded_as_the_one_used(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Publish read the data files again to digest them, while the evidence step had scored with the copy
    its loader cached earlier (maybe in another process): an edit in between was recorded as the rules
    used. The step now records the digest of the bytes it parsed; publish records that, and says the file
    changed since. Two steps that parsed different bytes stop the publish."""
    from assets import versions
    from sources.evidence.classify import RULES_PATH, RulesFile, rules_file

    rules = tmp_path / "rules.yaml"
    shutil.copyfile(RULES_PATH, rules)
    monkeypatch.setitem(versions.DATA_FILES, "evidence_rules", rules)
    parsed = versions.file_sha256(rules)
    assert rules_file(rules).version
    run_dir = tmp_path / "runs" / "r1"
    assert versions.record_data_files_used(run_dir, "website_crawl_shard_0")["evidence_rules"] == parsed
    with open(rules, "a", encoding="utf-8") as fh:
        fh.write("# edited after the evidence step\n")
    assert rules_file(rules).version and versions.file_sha256(rules) != parsed, "the loader's cached copy"
    recorded, warnings = versions.data_files_used(run_dir)
    assert recorded["evidence_rules"] == parsed
    assert recorded["criteria_catalog"] == versions.data_files_sha256()["criteria_catalog"]
    [warning] = warnings
    assert "rules.yaml changed after step website_crawl_shard_0 read it" in warning and parsed[:12] in warning
    # Another step (another process) parsed the edited bytes: no one digest describes the run.
    from sources.datafiles import load_data_file

    load_data_file(rules, RulesFile)
    versions.record_data_files_used(run_dir, "website_crawl_shard_1")
    with pytest.raises(versions.DataFilesChanged, match="rules.yaml changed during the run"):
        versions.data_files_used(run_dir)
    assert versions.data_files_used(tmp_path / "runs" / "none") == (versions.data_files_sha256(), [])


def test_corrections_as_of_a_time_to_come_is_refused(tmp_path: Path, capsys) -> None:
    """--corrections-as-of in the future would apply corrections recorded after the run: refused before
    anything runs."""
    with pytest.raises(SystemExit) as stop:
        cli(["run", "--sample", "--corrections-as-of", "2999-01-01T00:00:00Z", "--home", str(tmp_path / "h")])
    assert stop.value.code == 2 and "is in the future" in capsys.readouterr().err
    assert not (tmp_path / "h" / "warehouse.duckdb").exists()


def test_an_exported_corrections_file_loads_back_with_its_dates(sample_home: Path, tmp_path: Path, capsys,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """`cdpi correct --batch` takes recorded_at, and the columns of an exported ops.corrections.csv: the
    applied rows come back with the dates they were attested on (a replay judged as of the run's moment
    needs them), the rows the run did not apply are left out."""
    facts = tmp_path / "facts.jsonl"
    monkeypatch.setenv("CDPI_CORRECTIONS", str(facts))
    con = duckdb.connect(str(WarehousePaths(sample_home).published), read_only=True)
    try:
        geoid, city, state = con.execute("SELECT geoid, city, state FROM marts.city_index_latest "
                                         "ORDER BY population DESC LIMIT 1").fetchone()
    finally:
        con.close()
    exported = tmp_path / "ops.corrections.csv"
    header = ("snapshot,run_id,correction_id,geoid,city,state,criterion_id,met,source_url,note,attested_by,"
              "recorded_at,standard,status,expires_at,withdrawn_at,withdrawn_by,withdraw_note,applied\n")
    exported.write_text(
        header
        + f"2026-10-01,r,1,{geoid},{city},{state},DM1,true,https://x.example/p,'-shown,'@Pat,2026-09-02T08:30:00Z,"
          "wwc_2022,open,2027-09-02T08:30:00Z,,,,true\n"
        + f"2026-10-01,r,2,{geoid},{city},{state},DM2,false,https://x.example/q,,Pat,2026-09-03T08:30:00Z,"
          "wwc_2022,withdrawn,2027-09-03T08:30:00Z,2026-09-04T00:00:00Z,Pat,,false\n", encoding="utf-8")
    assert cli(["correct", "--batch", str(exported), "--home", str(sample_home)]) == 0, capsys.readouterr().err
    events = [json.loads(line) for line in facts.read_text(encoding="utf-8").splitlines()]
    # The export's spreadsheet guard ('@Pat, '-shown) is taken off: the fact is recorded as it was attested.
    assert [(e["geoid"], e["criterion_id"], e["met"], e["recorded_at"], e["attested_by"], e["note"])
            for e in events] == [(geoid, "DM1", True, "2026-09-02T08:30:00Z", "@Pat", "-shown")]
    plain = tmp_path / "plain.csv"
    plain.write_text(f'city,criterion,met,source,by,recorded_at\n"{city}, {state}",DM2,yes,https://x.example/r,Lee,'
                     "2026-09-05\n", encoding="utf-8")
    assert cli(["correct", "--batch", str(plain), "--home", str(sample_home)]) == 0
    assert json.loads(facts.read_text(encoding="utf-8").splitlines()[-1])["recorded_at"] == "2026-09-05T00:00:00Z"
    plain.write_text(f'city,criterion,met,source,by,recorded_at\n"{city}, {state}",DM3,yes,https://x.example/r,Lee,'
                     "soon\n", encoding="utf-8")
    assert cli(["correct", "--batch", str(plain), "--home", str(sample_home)]) == 1
    assert "recorded_at must be an ISO 8601 time" in capsys.readouterr().err


def test_the_corrections_digest_names_the_facts_not_their_ids() -> None:
    """An export loaded back into another file numbers its corrections from 1: the same facts under other
    ids (and in another order) have the same digest; another fact has another."""
    from warehouse.corrections import applied_summary

    facts = [{"correction_id": 7, "geoid": "3900001", "criterion_id": "DM1", "met": True,
              "source_url": "https://x.example/p", "attested_by": "Pat", "recorded_at": "2026-09-02T08:30:00Z",
              "standard": "wwc_2022", "applied": True},
             {"correction_id": 9, "geoid": "3900001", "criterion_id": "DM2", "met": False,
              "source_url": "https://x.example/q", "attested_by": "Pat", "recorded_at": "2026-09-03T08:30:00Z",
              "standard": "wwc_2022", "applied": True}]
    run = applied_summary(pd.DataFrame(facts))
    reloaded = applied_summary(pd.DataFrame([facts[1] | {"correction_id": 2}, facts[0] | {"correction_id": 1}]))
    assert run == reloaded and run["applied"] == 2
    assert applied_summary(pd.DataFrame([facts[0], facts[1] | {"met": True}]))["sha256"] != run["sha256"]


@pytest.mark.slow
def test_a_corrected_run_replayed_as_its_summary_says_gives_the_same_marts(
        sample_home: Path, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    """The researcher guide's procedure, literally: a run that applied a staff correction prints a replay
    line; pasted in a new shell (no CDPI_CORRECTIONS set, in another folder) it replays into a scratch home
    whose marts have the same checksums (scripts/mart_checksums.py), and the same corrections digest. So does
    the other way: the run's exported ops.corrections.csv loaded into a new file (its ids then start at 1)
    and the replay pointed at that file. A correction withdrawn and one recorded after the run must not
    change either replay: both judge the corrections as of the run's moment (--corrections-as-of)."""
    from scripts.mart_checksums import checksums

    facts = tmp_path / "team" / "corrections.jsonl"
    monkeypatch.setenv("CDPI_CORRECTIONS", str(facts))
    con = duckdb.connect(str(WarehousePaths(sample_home).published), read_only=True)
    try:
        city, = con.execute("SELECT city || ', ' || state FROM marts.city_index_latest "
                            "ORDER BY population DESC LIMIT 1").fetchone()
    finally:
        con.close()

    def correct(criterion: str, home: Path, *extra: str) -> None:
        assert cli(["correct", city, criterion, "--met", "yes", "--source", "https://www.example.gov/data-policy",
                    "--by", "Reviewer", "--home", str(home), *extra]) == 0, capsys.readouterr().err

    # #1 withdrawn before the run (not applied, not exported as applied); #2 applied by the run.
    correct("DM2", sample_home)
    assert cli(["correct", "--withdraw", "1", "--by", "Reviewer", "--home", str(sample_home)]) == 0
    correct("DM1", sample_home)
    home = tmp_path / "C1"
    assert cli(["run", "--sample", "--home", str(home), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "corrections   1 applied" in out, out
    [line] = [ln.split("replay it", 1)[1] for ln in out.splitlines() if "replay it" in ln]
    # After the run: its correction withdrawn, another recorded. Judged now, the replay would apply none
    # of the run's and one it never saw.
    time.sleep(1.1)      # recorded_at has whole seconds: later than the run's moment
    assert cli(["correct", "--withdraw", "2", "--by", "Reviewer", "--home", str(home)]) == 0
    correct("DM3", home)
    capsys.readouterr()
    words = shlex.split(line)
    at = words.index("cdpi")
    monkeypatch.delenv("CDPI_CORRECTIONS")
    for word in words[:at]:          # VAR=value before the command, as a shell sets them
        name, value = word.split("=", 1)
        monkeypatch.setenv(name, value)
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    assert cli([*words[at + 1:], "--quiet"]) == 0
    capsys.readouterr()
    [replay] = [p for p in workdir.iterdir() if p.name.startswith("replay-")]
    assert checksums(home / "warehouse.duckdb") == checksums(replay / "warehouse.duckdb")

    # Without the run's file: the export's ops.corrections.csv loaded into a file of its own, as the guide says.
    [exported] = (home / "exports").glob("*/ops.corrections.csv")
    loaded = workdir / "replay.corrections.jsonl"
    monkeypatch.setenv("CDPI_CORRECTIONS", str(loaded))
    assert cli(["correct", "--batch", str(exported), "--home", str(home)]) == 0, capsys.readouterr().err
    assert [json.loads(x)["correction_id"] for x in loaded.read_text(encoding="utf-8").splitlines()] == [1]
    again = workdir / "again"
    assert cli([*words[at + 1:words.index("--home")], "--home", str(again), "--quiet"]) == 0
    capsys.readouterr()
    digests = []
    for h in (home, replay, again):
        c = duckdb.connect(str(h / "warehouse.duckdb"), read_only=True)
        try:
            digests.append(c.execute("SELECT json_extract_string(config_json, '$.corrections.sha256'), "
                                     "CAST(json_extract(config_json, '$.corrections.applied') AS INTEGER) "
                                     "FROM ops.runs").fetchone())
        finally:
            c.close()
    assert digests[0] == digests[1] == digests[2] and digests[0][1] == 1, digests
    shutil.rmtree(workdir)
