"""Attested corrections (issue 17): recorded with provenance, validated, never deleted, applied at the next
scoring as their own signal, shown where staff look, and kept out of the validation figures on request."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from pipelines.cli import main as cli
from warehouse.corrections import (
    Correction,
    CorrectionError,
    corrections_file,
    record,
    status_table,
    withdraw,
)
from warehouse.paths import WarehousePaths

STANDARD = "wwc_2022"


def _draft(geoid: str = "0100001", criterion: str = "DM1", met: bool = True, when: str = "2026-01-10T09:00:00Z",
           standard: str = STANDARD) -> Correction:
    return Correction(geoid=geoid, city="Alpha", state="AL", criterion_id=criterion, met=met,
                      source_url="https://alpha.example/policy", note="shown on a call", attested_by="Pat",
                      recorded_at=when, standard=standard)


def _status(path: Path, when: str, months: int = 12, standard: str = STANDARD) -> dict[int, str]:
    table = status_table(path, as_of=datetime.fromisoformat(when.replace("Z", "+00:00")), standard=standard,
                         max_age_months=months)
    return dict(zip(table["correction_id"], table["status"], strict=True))


def test_record_numbers_corrections_and_refuses_a_second_open_one(tmp_path: Path) -> None:
    path = tmp_path / "corrections.jsonl"
    first = record(path, [_draft(), _draft(criterion="DM2", met=False)], standard=STANDARD)
    assert [c.correction_id for c in first] == [1, 2]
    before = path.read_bytes()
    with pytest.raises(CorrectionError, match="already has open correction #1"):
        record(path, [_draft(criterion="DM3"), _draft(when="2026-02-01T00:00:00Z")], standard=STANDARD)
    with pytest.raises(CorrectionError, match="rows 1 and 2"):
        record(path, [_draft(criterion="DM4"), _draft(criterion="DM4")], standard=STANDARD)
    assert path.read_bytes() == before                      # all or nothing: the good row was not written
    assert _status(path, "2026-03-01T00:00:00Z") == {1: "open", 2: "open"}


def test_a_backdated_correction_never_leaves_two_open_or_slips_under_later_events(tmp_path: Path) -> None:
    """The duplicate check looked at the file as of the batch's latest recorded_at: a row dated before an
    open correction did not see it, and both stayed open and applied. Open is judged now and at the row's
    date, and a row dated before a later event of its criterion is refused, naming the row."""
    path = tmp_path / "corrections.jsonl"
    now = datetime.now(UTC).replace(microsecond=0)
    stamp = (now - pd.Timedelta(days=2)).isoformat().replace("+00:00", "Z")
    record(path, [_draft(when=stamp)], standard=STANDARD)
    before = path.read_bytes()
    earlier = (now - pd.Timedelta(days=30)).isoformat().replace("+00:00", "Z")
    with pytest.raises(CorrectionError, match=r"row 2 \(Alpha, AL DM1\) is dated .* before correction #1"):
        record(path, [_draft(criterion="DM2", when=earlier), _draft(met=False, when=earlier)], standard=STANDARD)
    assert path.read_bytes() == before
    # Withdrawn since: a row dated before the withdrawal would be open beside #1 until then.
    withdraw(path, 1, by="Lee", note="", recorded_at=(now - pd.Timedelta(days=1)).isoformat().replace("+00:00", "Z"))
    with pytest.raises(CorrectionError, match="before correction #1 of it was withdrawn"):
        record(path, [_draft(met=False, when=earlier)], standard=STANDARD)
    assert all(list(_status(path, when).values()).count("open") <= 1
               for when in (earlier, stamp, now.isoformat().replace("+00:00", "Z")))
    # Dated now, or loaded into a file with nothing on that criterion: recorded, dates kept.
    assert record(path, [_draft(met=False, when=now.isoformat().replace("+00:00", "Z"))],
                  standard=STANDARD)[0].correction_id == 2
    other = tmp_path / "scratch.jsonl"
    assert record(other, [_draft(when=earlier)], standard=STANDARD)[0].recorded_at == earlier


def test_a_correction_open_now_is_a_duplicate_whatever_date_the_row_gives(tmp_path: Path) -> None:
    """`cdpi correct` DM1 met=yes now, then a batch row DM1 met=no dated 2026-06-01 (before it): refused."""
    path = tmp_path / "corrections.jsonl"
    record(path, [_draft(when=datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"))],
           standard=STANDARD)
    with pytest.raises(CorrectionError, match="DM1"):
        record(path, [_draft(met=False, when="2026-06-01T00:00:00Z")], standard=STANDARD)
    assert len(path.read_text().splitlines()) == 1


def test_withdrawal_is_an_event_and_the_history_stays(tmp_path: Path) -> None:
    path = tmp_path / "corrections.jsonl"
    record(path, [_draft()], standard=STANDARD)
    withdraw(path, 1, by="Lee", note="the city retracted it", recorded_at="2026-02-01T00:00:00Z")
    assert _status(path, "2026-01-20T00:00:00Z") == {1: "open"}         # as a run before the withdrawal saw it
    assert _status(path, "2026-03-01T00:00:00Z") == {1: "withdrawn"}
    events = [json.loads(x) for x in path.read_text().splitlines()]
    assert [e["event"] for e in events] == ["correct", "withdraw"]      # nothing deleted
    with pytest.raises(CorrectionError, match="already withdrawn"):
        withdraw(path, 1, by="Lee", note="")
    with pytest.raises(CorrectionError, match="no correction #7"):
        withdraw(path, 7, by="Lee", note="")
    with pytest.raises(CorrectionError, match="--by"):
        withdraw(path, 1, by="  ", note="")
    # Once withdrawn, the same criterion can be attested again.
    assert record(path, [_draft(when="2026-03-02T00:00:00Z")], standard=STANDARD)[0].correction_id == 2


def test_corrections_lapse_by_age_and_when_the_standard_changes(tmp_path: Path) -> None:
    path = tmp_path / "corrections.jsonl"
    record(path, [_draft(when="2025-01-15T00:00:00Z")], standard=STANDARD)
    assert _status(path, "2025-12-31T00:00:00Z") == {1: "open"}
    assert _status(path, "2026-01-16T00:00:00Z") == {1: "expired"}
    assert _status(path, "2026-01-16T00:00:00Z", months=24) == {1: "open"}
    assert _status(path, "2025-06-01T00:00:00Z", standard="wwc_2030") == {1: "other_standard"}
    assert _status(path, "2024-12-31T00:00:00Z") == {}                  # recorded after that run


def test_a_damaged_file_is_an_error_naming_the_line_never_a_silent_skip(tmp_path: Path) -> None:
    path = tmp_path / "corrections.jsonl"
    record(path, [_draft()], standard=STANDARD)
    with open(path, "a") as fh:
        fh.write('{"event": "correct", "correction_id": 2, "geo\n')
    with pytest.raises(CorrectionError, match="line 2 is not JSON"):
        status_table(path, as_of=datetime.now(UTC), standard=STANDARD)
    with pytest.raises(CorrectionError, match="line 2"):
        record(path, [_draft(criterion="DM5")], standard=STANDARD)


def test_the_file_is_the_home_one_unless_configured(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("CDPI_CORRECTIONS", raising=False)
    assert corrections_file(WarehousePaths(tmp_path)) == tmp_path / "corrections.jsonl"
    monkeypatch.setenv("CDPI_CORRECTIONS", str(tmp_path / "team" / "facts.jsonl"))
    assert corrections_file(WarehousePaths(tmp_path)) == (tmp_path / "team" / "facts.jsonl").resolve()


def _inputs() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    from warehouse.index.signals import SIGNALS

    rng = np.random.default_rng(3)
    cities = pd.DataFrame([{"geoid": f"390000{k}", "name": f"City {k}", "state_abbr": "OH", "population": 50_000}
                           for k in range(3)])
    idx = pd.Index(cities["geoid"], name="geoid")
    values = pd.DataFrame(rng.random((3, len(SIGNALS))) * 0.6, index=idx, columns=list(SIGNALS))
    return cities, values, pd.DataFrame(True, index=idx, columns=list(SIGNALS))


def test_an_attested_criterion_decides_the_score_and_the_web_figures_stay_beside() -> None:
    from warehouse.index.scoring import ATTESTED_MET, Model, score

    cities, values, observed = _inputs()
    model = Model()
    plain_crit, plain = score(cities, values, observed, model)
    geoid = cities["geoid"].iloc[0]
    attested = pd.DataFrame([
        {"geoid": geoid, "criterion_id": "DM1", "met": True, "correction_id": 4, "attested_by": "Pat",
         "recorded_at": "2026-01-10T09:00:00Z", "source_url": "https://a.example/p"},
        {"geoid": geoid, "criterion_id": "OD1", "met": False, "correction_id": 5, "attested_by": "Pat",
         "recorded_at": "2026-01-10T09:00:00Z", "source_url": "https://a.example/q"},
        {"geoid": "no-such-city", "criterion_id": "DM1", "met": True, "correction_id": 6, "attested_by": "Pat",
         "recorded_at": "2026-01-10T09:00:00Z", "source_url": "https://a.example/r"}])
    crit, index = score(cities, values, observed, model, attested=attested)
    row = crit[(crit["geoid"] == geoid) & (crit["criterion_id"] == "DM1")].iloc[0]
    assert row["met_probability"] == ATTESTED_MET and row["correction_id"] == 4
    assert row["attested_by"] == "Pat" and row["attested_on"] == "2026-01-10" and bool(row["attested_met"])
    no = crit[(crit["geoid"] == geoid) & (crit["criterion_id"] == "OD1")].iloc[0]
    assert no["probability"] == 0.0 and no["probability_web"] == plain_crit.loc[no.name, "probability"]
    first = index.iloc[0]
    assert first["corrections_applied"] == 2
    assert first["expected_points_web"] == pytest.approx(plain.iloc[0]["expected_points"], abs=1e-4)
    assert first["p_silver_or_better_web"] == pytest.approx(plain.iloc[0]["p_silver_or_better"], abs=1e-6)
    # Other cities are untouched, and say so.
    assert (index["corrections_applied"].iloc[1:] == 0).all()
    pd.testing.assert_series_equal(index["expected_points"].iloc[1:], plain["expected_points"].iloc[1:])
    assert crit["correction_id"].notna().sum() == 2


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def _a_city(home: Path) -> tuple[str, str]:
    con = duckdb.connect(str(WarehousePaths(home).published), read_only=True)
    try:
        return con.execute("SELECT city || ', ' || state, geoid FROM marts.city_index_latest "
                           "ORDER BY population DESC LIMIT 1").fetchone()
    finally:
        con.close()


def test_cdpi_correct_records_with_provenance_and_bad_input_changes_nothing(
        sample_home: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    facts = tmp_path / "facts.jsonl"
    monkeypatch.setenv("CDPI_CORRECTIONS", str(facts))
    city, geoid = _a_city(sample_home)
    home = ["--home", str(sample_home)]
    code, out, err = _cli(capsys, "correct", city, "dm1", "--met", "yes", "--source", "https://x.example/policy",
                          "--note", "policy shown on a call", "--by", "Pat Staff", *home)
    assert code == 0, err
    assert "recorded correction #1" in out and "DM1 met" in out
    [event] = [json.loads(x) for x in facts.read_text().splitlines()]
    assert event["geoid"] == geoid and event["attested_by"] == "Pat Staff" and event["standard"] == STANDARD
    before = facts.read_bytes()
    bad = [
        [city, "DM1", "--met", "no", "--source", "https://x.example/b", "--by", "Lee"],      # open one exists
        ["Nowhere Special, ZZ", "DM2", "--met", "yes", "--source", "https://x.example", "--by", "Lee"],
        [city, "ZZ9", "--met", "yes", "--source", "https://x.example", "--by", "Lee"],
        [city, "DM2", "--met", "yes", "--source", "javascript:alert(1)", "--by", "Lee"],
        [city, "DM2", "--met", "yes", "--source", "https://x.example"],                       # no --by
        [city, "DM2", "--source", "https://x.example", "--by", "Lee"],                         # no --met
    ]
    for argv in bad:
        code, out, err = _cli(capsys, "correct", *argv, *home)
        assert code == 1 and err.startswith("cdpi: error: ") and err.count("\n") == 1, (argv, err)
        assert "Traceback" not in err
    assert facts.read_bytes() == before
    batch = tmp_path / "batch.csv"
    batch.write_text("city,criterion,met,source,note,by\n"
                     f'"{city}",DM2,yes,https://x.example/inv,inventory,Lee\n'
                     f'"{city}",NOPE,yes,https://x.example/inv,typo,Lee\n', encoding="utf-8")
    code, _, err = _cli(capsys, "correct", "--batch", str(batch), *home)
    assert code == 1 and "line 3" in err and "nothing recorded" in err
    assert facts.read_bytes() == before
    batch.write_text("city,criterion,met,source,note,by\n"
                     f'"{city}",DM2,yes,https://x.example/inv,inventory,Lee\n'
                     f"{geoid},OD1,no,https://x.example/od,portal retired,Lee\n", encoding="utf-8")
    code, out, err = _cli(capsys, "correct", "--batch", str(batch), *home)
    assert code == 0 and "#2" in out and "#3" in out, err
    code, out, err = _cli(capsys, "correct", "--withdraw", "3", "--by", "Lee", "--note", "mistaken", *home)
    assert code == 0 and "withdrew correction #3" in out
    code, out, _ = _cli(capsys, "correct", "--list", "--format", "json", *home)
    listed = {r["correction_id"]: r["status"] for r in json.loads(out)}
    assert listed == {1: "open", 2: "open", 3: "withdrawn"}


@pytest.mark.slow
def test_the_next_run_applies_open_corrections_and_shows_them(sample_home: Path, tmp_path: Path, capsys,
                                                              monkeypatch) -> None:
    monkeypatch.delenv("CDPI_CORRECTIONS", raising=False)
    home = tmp_path / "home"
    shutil.copytree(sample_home, home)
    city, geoid = _a_city(home)
    con = duckdb.connect(str(WarehousePaths(home).published), read_only=True)
    cid, web = con.execute("SELECT criterion_id, probability FROM marts.criterion_scores_latest WHERE geoid = ? "
                           "ORDER BY met_probability LIMIT 1", [geoid]).fetchone()
    con.close()
    args = ["--home", str(home)]
    assert _cli(capsys, "correct", city, cid, "--met", "yes", "--source", "https://x.example/shown",
                "--by", "Pat Staff", *args)[0] == 0
    assert _cli(capsys, "correct", city, "DM9", "--met", "no", "--source", "https://x.example/old",
                "--by", "Pat Staff", *args)[0] == 0
    assert _cli(capsys, "correct", "--withdraw", "2", "--by", "Pat Staff", *args)[0] == 0
    assert cli(["run", "--sample", "--home", str(home), "--quiet"]) == 0
    capsys.readouterr()
    con = duckdb.connect(str(WarehousePaths(home).published), read_only=True)
    try:
        rows = con.execute("SELECT correction_id, status, applied FROM ops.corrections_latest ORDER BY 1").fetchall()
        assert rows == [(1, "open", True), (2, "withdrawn", False)]
        score = con.execute("SELECT probability, probability_web, correction_id, attested_by FROM "
                            "marts.criterion_scores_latest WHERE geoid = ? AND criterion_id = ?",
                            [geoid, cid]).fetchone()
        assert score[2] == 1 and score[3] == "Pat Staff" and score[0] > score[1]
        assert score[1] == pytest.approx(web, abs=1e-6)        # the web evidence alone did not move
        assert con.execute("SELECT count(*) FROM marts.criterion_scores_latest WHERE criterion_id = 'DM9' "
                           "AND correction_id IS NOT NULL").fetchone()[0] == 0
        index = con.execute("SELECT corrections_applied, expected_points > expected_points_web FROM "
                            "marts.city_index_latest WHERE geoid = ?", [geoid]).fetchone()
        assert index == (1, True)
        metrics = dict(con.execute("SELECT metric, value FROM marts.validation v JOIN ops.latest_run r "
                                   "USING (run_id) WHERE k IS NULL").fetchall())
        assert metrics["corrections_applied"] == 1.0
        assert "auc_p_silver_or_better_without_corrections" in metrics
    finally:
        con.close()
    code, out, _ = _cli(capsys, "city", city, *args)
    assert code == 0 and f"attested met by Pat Staff on {datetime.now(UTC):%Y-%m-%d}" in out
    assert "(https://x.example/shown), correction #1" in out
    page = (home / "report" / "cities" / f"{geoid}.html").read_text(encoding="utf-8")
    assert "Attested met</strong> by Pat Staff" in page and "decided by attested corrections" in page
    [export] = [p for p in (home / "exports").iterdir() if p.is_dir()]
    exported = duckdb.sql(f"SELECT correction_id FROM '{export / 'ops.corrections.parquet'}' ORDER BY 1").fetchall()
    assert exported == [(1,), (2,)]
