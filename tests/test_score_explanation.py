"""The explanation of a score shows what the score was computed with. Under calibration every city is scored
with fitted weights and priors; the explanation (marts.criterion_evidence_latest, `cdpi city`, the report's
city page) once showed the catalog's hand-set weights instead, so no criterion could be recomputed by hand.
The expected weights here come from marts.calibration_params by its documented formula, not from the
table that stores the weights used, so these tests check the stored weights too."""

from __future__ import annotations

import json
import math
import re
import shutil
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from markupsafe import escape

from pipelines.cli import main as cli
from warehouse.index.scoring import MAX_PROBABILITY
from warehouse.paths import WarehousePaths
from warehouse.read import connect_published
from warehouse.report import build_report

CITY, STATE = "Alder Heights", "MD"


def _rows(home: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = connect_published(WarehousePaths(home))
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def _calibrated_weights(home: Path, geoid: str | None = None) -> dict[tuple[str, str, str], float]:
    """(geoid, criterion, signal) -> 1-(1-catalog weight)^exp(weight_power) with the power of the city's fold
    and the criterion's practice: the weight a calibrated score used, from the published parameters."""
    rows = _rows(home, """
        SELECT i.geoid, w.criterion_id, w.signal, w.weight, p.weight_power
        FROM marts.city_index_latest i
        JOIN marts.criterion_signal_weights w ON w.run_id = i.run_id
        JOIN marts.criteria c ON c.run_id = i.run_id AND c.criterion_id = w.criterion_id
        JOIN marts.calibration_params p
          ON p.run_id = i.run_id AND p.fold = i.calibration_fold AND p.practice = c.practice
        WHERE i.scored_with = 'calibrated' AND (? IS NULL OR i.geoid = ?)""", [geoid, geoid])
    return {(g, cid, sig): 1.0 - (1.0 - min(w, 0.999)) ** math.exp(power) for g, cid, sig, w, power in rows}


def _geoid(home: Path) -> str:
    return _rows(home, "SELECT geoid FROM marts.city_index_latest WHERE city = ? AND state = ?", [CITY, STATE])[0][0]


def test_the_sample_is_scored_with_calibrated_weights(sample_home: Path) -> None:
    """The tests below are only telling while the sample run adopts calibration."""
    assert _rows(sample_home, "SELECT DISTINCT scored_with FROM marts.city_index_latest") == [("calibrated",)]


def test_every_criterion_probability_recomputes_from_its_explanation(sample_home: Path) -> None:
    rows = _rows(sample_home, """
        SELECT e.geoid, e.criterion_id, e.signal, e.weight, e.catalog_weight, e.value, e.prior, e.met_probability
        FROM marts.criterion_evidence_latest e
        JOIN marts.criterion_scores_latest s USING (geoid, criterion_id)
        WHERE s.correction_id IS NULL""")
    miss: dict[tuple[str, str], float] = defaultdict(lambda: 1.0)
    shown: dict[tuple[str, str], tuple[float, float]] = {}
    for geoid, cid, _signal, weight, _catalog, value, prior, met in rows:
        miss[(geoid, cid)] *= 1.0 - weight * value
        shown[(geoid, cid)] = (prior, met)
    errors = {key: abs(min(MAX_PROBABILITY, 1.0 - (1.0 - prior) * miss[key]) - met)
              for key, (prior, met) in shown.items()}
    worst = max(errors, key=errors.__getitem__)
    assert errors[worst] < 1e-4, (worst, errors[worst])
    # Every criterion that reads evidence is explained, and the weights shown are the fitted ones.
    (with_signals,) = _rows(sample_home, """
        SELECT count(*) FROM marts.criterion_scores_latest s
        WHERE s.correction_id IS NULL AND s.criterion_id IN (SELECT criterion_id FROM marts.criterion_signal_weights
                                                             WHERE run_id = s.run_id)""")[0]
    assert len(shown) == with_signals > 4000
    fitted = _calibrated_weights(sample_home)
    off = [(g, c, s, w, fitted[(g, c, s)]) for g, c, s, w, *_ in rows if abs(w - fitted[(g, c, s)]) > 1e-3]
    assert off == []
    assert sum(abs(w - catalog) > 1e-3 for _g, _c, _s, w, catalog, *_ in rows) > len(rows) / 4


def _printed_weights(out: str) -> dict[tuple[str, str], str]:
    """(criterion, signal) -> the weight text of each evidence line `cdpi city` printed."""
    found, criterion = {}, None
    for line in out.splitlines():
        head = re.match(r"^  ([A-Z]+\d+)\s", line)
        if head:
            criterion = head.group(1)
            continue
        signal = re.match(r"^\s{11}(\w+)=[\d.]+ (x\S+(?: \(catalog [\d.]+\))?)", line)
        if signal and criterion:
            found[(criterion, signal.group(1))] = signal.group(2)
    return found


def test_cdpi_city_shows_the_weight_the_score_used_beside_the_catalogs(sample_home: Path, capsys) -> None:
    geoid = _geoid(sample_home)
    assert cli(["city", f"{CITY}, {STATE}", "--home", str(sample_home)]) == 0
    printed = _printed_weights(capsys.readouterr().out)
    assert printed, "no evidence lines found"
    catalog = dict(((c, s), w) for c, s, w in _rows(sample_home, "SELECT criterion_id, signal, weight FROM "
                                                                 "marts.criterion_signal_weights w JOIN ops.latest_run "
                                                                 "USING (run_id)"))
    fitted = _calibrated_weights(sample_home, geoid)
    for (cid, signal), text in printed.items():
        used, cat = fitted[(geoid, cid, signal)], catalog[(cid, signal)]
        assert float(text.split()[0][1:]) == pytest.approx(used, abs=6e-3), (cid, signal, text)
        if abs(used - cat) >= 5e-4:
            assert text.endswith(f"(catalog {cat:g})"), (cid, signal, text)
    # The example the reviewers checked: PA1 reads two signals, both strengthened by the fit.
    assert printed[("PA1", "performance_reporting")] == (
        f"x{fitted[(geoid, 'PA1', 'performance_reporting')]:.3g} (catalog 0.8)")


def test_the_city_page_shows_the_weight_the_score_used(sample_home: Path, tmp_path: Path) -> None:
    geoid = _geoid(sample_home)
    build_report(WarehousePaths(sample_home), tmp_path / "site")
    page = (tmp_path / "site" / "cities" / f"{geoid}.html").read_text(encoding="utf-8")
    used = _calibrated_weights(sample_home, geoid)[(geoid, "PA1", "performance_reporting")]
    # The value as the multiplying-out line writes it (up to four decimals: the crawl's 0.995 is not 1.00).
    assert re.search(rf'performance reporting (1\.00|0\.99\d*) × {used:.2f} <small class="catalog-weight">'
                     r"\(catalog 0\.80\)</small>", page)


def _insert_run(con: duckdb.DuckDBPyConnection, run_id: str, hour: int, scored_with: str | None,
                fold: str | None, used: float | None) -> None:
    """One run, one city, one criterion read by one signal; ``used`` (None: not stored) its weight used."""
    con.execute("INSERT INTO ops.runs (run_id, snapshot, mode, is_sample, status, finished_at) "
                "VALUES (?, DATE '2026-10-01', 'live', false, 'success', ?)", [run_id, datetime(2026, 10, 2, hour)])
    con.execute("INSERT INTO marts.city_index (snapshot, run_id, geoid, expected_points, max_points, "
                "p_silver_or_better, p_gold_or_better, p_platinum, predicted_tier, scored_with, calibration_fold) "
                "VALUES (DATE '2026-10-01', ?, '1', 1, 43, 0, 0, 0, 'none', ?, ?)", [run_id, scored_with, fold])
    con.execute("INSERT INTO marts.criterion_scores (snapshot, run_id, geoid, criterion_id, probability, "
                "met_probability, prior) VALUES (DATE '2026-10-01', ?, '1', 'PA1', 0.5, 0.5, 0.1)", [run_id])
    con.execute("INSERT INTO marts.criterion_signal_weights VALUES (DATE '2026-10-01', ?, 'PA1', "
                "'performance_reporting', 0.4)", [run_id])
    con.execute("INSERT INTO staging.city_signals (snapshot, run_id, geoid, signal, value, observed, source) "
                "VALUES (DATE '2026-10-01', ?, '1', 'performance_reporting', 1.0, true, NULL)", [run_id])
    if used is not None:
        con.execute("INSERT INTO marts.criterion_signal_weights_used VALUES (DATE '2026-10-01', ?, ?, 'PA1', "
                    "'performance_reporting', ?, 0.4)", [run_id, fold, used])


def _explained(con: duckdb.DuckDBPyConnection, run_id: str) -> tuple:
    return con.execute("SELECT weight, catalog_weight, contribution FROM marts.criterion_evidence_of(?)",
                       [run_id]).fetchone()


def test_the_explanation_never_passes_the_catalogs_weight_off_as_the_one_used(schema_con) -> None:
    """A run scored with the catalog shows the catalog's weights (stored with no fold, or not stored at all
    by a run published before they were); a calibrated run shows its fold's; a calibrated run published
    before the weights used were stored shows none rather than the catalog's, which it did not use."""
    _insert_run(schema_con, "catalog", 1, "catalog", None, 0.4)
    _insert_run(schema_con, "older-catalog", 2, None, None, None)
    _insert_run(schema_con, "calibrated", 3, "calibrated", "2", 0.55)
    _insert_run(schema_con, "older-calibrated", 4, "calibrated", "2", None)
    assert _explained(schema_con, "catalog") == (0.4, 0.4, 0.4)
    assert _explained(schema_con, "older-catalog") == (0.4, 0.4, 0.4)
    assert _explained(schema_con, "calibrated") == (0.55, 0.4, 0.55)
    assert _explained(schema_con, "older-calibrated") == (None, 0.4, None)
    assert schema_con.execute("SELECT run_id, weight FROM marts.criterion_evidence_latest").fetchall() == [
        ("older-calibrated", None)]


def _card(capsys, home: Path, city: str) -> dict:
    assert cli(["city", city, "--home", str(home), "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def _recomputed(card: dict) -> dict[str, tuple[float, float]]:
    """criterion -> (met on its own, probability) recomputed from the card's JSON alone, by the rule of
    warehouse/index/scoring.py: the prior and each signal's weight x value (or the attested correction),
    capped, then times each prerequisite's probability as the card shows it."""
    shown = {c["criterion_id"]: c for c in card["criteria"]}
    out = {}
    for c in card["criteria"]:
        if c["attested"]:
            met = MAX_PROBABILITY if c["attested"]["met"] else 0.0
        else:
            met = min(MAX_PROBABILITY, 1.0 - (1.0 - c["prior"]) * math.prod(1.0 - e["weight"] * e["value"]
                                                                             for e in c["evidence"]))
        for pre in c["prerequisites"]:     # the prerequisite's figure is the one its own line shows
            assert pre["probability"] == shown[pre["criterion_id"]]["probability"], (c["criterion_id"], pre)
        out[c["criterion_id"]] = (met, met * math.prod(p["probability"] for p in c["prerequisites"]))
    return out


def test_every_probability_cdpi_city_shows_recomputes_from_its_json(sample_home: Path, capsys) -> None:
    """A user found RDC2 at 0.55 explained by one signal worth 0.71: the prior and the prerequisite (RDC1)
    were only in SQL. The card now carries every number the rule uses, unrounded, so each criterion of each
    city multiplies out from the JSON alone."""
    cities = [f"{c}, {s}" for c, s in _rows(sample_home, "SELECT city, state FROM marts.city_index_latest "
                                                         "ORDER BY population DESC LIMIT 8")]
    prerequisites = capped = 0
    for city in [f"{CITY}, {STATE}", "Juniper Harbor, IL", *cities]:
        card = _card(capsys, sample_home, city)
        assert len(card["criteria"]) == 43
        for c in card["criteria"]:
            met, probability = _recomputed(card)[c["criterion_id"]]
            assert met == pytest.approx(c["met_probability"], abs=2e-6), (city, c)
            assert probability == pytest.approx(c["probability"], abs=5e-6), (city, c)
            prerequisites += bool(c["prerequisites"])
            capped += "capped" in c["explanation"]
    assert prerequisites and capped, "the cities checked include criteria with a prerequisite and capped ones"
    # The case the user reported, and its line: prior, signal, met on its own, times P(RDC1).
    card = _card(capsys, sample_home, f"{CITY}, {STATE}")
    [rdc2] = [c for c in card["criteria"] if c["criterion_id"] == "RDC2"]
    [rdc1] = [c for c in card["criteria"] if c["criterion_id"] == "RDC1"]
    [signal] = rdc2["evidence"]
    assert rdc2["prerequisites"] == [{"criterion_id": "RDC1", "probability": rdc1["probability"]}]
    value = f"{signal['value']:.4f}".rstrip("0")                # up to four decimals, at least two
    value += "0" * max(0, 2 - len(value.partition(".")[2]))
    assert rdc2["explanation"] == (f"1-(1-prior {rdc2['prior']:.3f})(1-{signal['weight']:.3g}×{value}) "
                                   f"= met {rdc2['met_probability']:.3f} × P(RDC1) {rdc1['probability']:.3f} "
                                   f"= {rdc2['probability']:.3f}")
    # Values as the warehouse holds them, not rounded to 1.0.
    stored = _rows(sample_home, "SELECT value FROM marts.criterion_evidence_latest e JOIN marts.city_index_latest i "
                                "USING (geoid) WHERE i.city = ? AND i.state = ? AND criterion_id = 'RDC2'",
                   [CITY, STATE])
    assert signal["value"] == stored[0][0]


_LINE = re.compile(r"^\s{11}= (?:1-\(1-prior (?P<prior>[\d.]+)\)(?P<terms>(?:\([^)]*\))+) = "
                   r"(?:(?P<raw>[\d.]+), capped: )?|prior (?P<alone>[\d.]+), no signal found: |"
                   r"met [\d.]+ \(attested[^)]*\))(?:met (?P<met>[\d.]+))?(?P<pre>(?: × P\(\w+\) [\d.]+)*)"
                   r"(?: = (?P<final>[\d.]+))?$")


def test_the_text_card_shows_a_line_each_probability_multiplies_out_from(sample_home: Path, capsys) -> None:
    """`cdpi city` prints, under each criterion, the prior, every signal found (weight x value), the
    probability met on its own and each prerequisite's: the figure shown recomputes from it within rounding."""
    assert cli(["city", f"{CITY}, {STATE}", "--home", str(sample_home)]) == 0
    lines = capsys.readouterr().out.splitlines()
    checked = {}
    for k, head in enumerate(lines):
        found = re.match(r"^  ([A-Z]+\d+)\s+([\d.]+)\s", head)
        if not found:
            continue
        cid, shown = found.group(1), float(found.group(2))
        how = next(x for x in lines[k + 1:] if x.startswith("           = "))
        parsed = _LINE.match(how)
        assert parsed, (cid, how)
        if parsed["alone"]:
            met = float(parsed["alone"])
        else:
            terms = [t.split("×") for t in re.findall(r"\(1-([\d.]+×[\d.]+)\)", parsed["terms"])]
            met = min(MAX_PROBABILITY, 1 - (1 - float(parsed["prior"])) * math.prod(1 - float(w) * float(v)
                                                                                   for w, v in terms))
        # Weights at 3 significant figures, values at up to 4 decimals, met at 3: the line multiplies out to
        # the met it prints within rounding (values printed at 2 decimals put 279 sample criteria off by 0.004).
        assert met == pytest.approx(float(parsed["met"]), abs=1.5e-3), (cid, how)
        pres = [float(x) for x in re.findall(r"× P\(\w+\) ([\d.]+)", parsed["pre"])]
        final = float(parsed["final"]) if parsed["final"] else float(parsed["met"])
        assert float(parsed["met"]) * math.prod(pres) == pytest.approx(final, abs=2e-3), (cid, how)
        assert final == pytest.approx(shown, abs=6e-3), (cid, how)      # 3 places against 2
        checked[cid] = how
    assert len(checked) == 43
    assert "× P(RDC1) " in checked["RDC2"] and "× P(EVAL2) " in checked["EVAL3"]
    assert "no signal found" in checked["DM1"]


def test_the_city_page_shows_the_same_line_as_cdpi_city(sample_home: Path, tmp_path: Path, capsys) -> None:
    card = _card(capsys, sample_home, f"{CITY}, {STATE}")
    build_report(WarehousePaths(sample_home), tmp_path / "site")
    page = (tmp_path / "site" / "cities" / f"{card['geoid']}.html").read_text(encoding="utf-8")
    for c in card["criteria"]:
        assert f'<div class="formula">{escape(c["explanation"])}</div>' in page, c["criterion_id"]
    assert "× P(RDC1) " in next(c["explanation"] for c in card["criteria"] if c["criterion_id"] == "RDC2")


def test_a_gap_with_no_signal_lacking_says_what_decided_it(sample_home: Path, tmp_path: Path, capsys) -> None:
    """LC1 of Juniper Harbor is a core gap to confirm whose every signal is found: the card once said
    "lacking -". It now says why it is still a gap, on the card, in its JSON and on the city page."""
    assert cli(["city", "Juniper Harbor, IL", "--home", str(sample_home)]) == 0
    out = capsys.readouterr().out
    assert "lacking -" not in out
    # LC1 cannot reach 0.90 from public evidence at all (scoring.closable_by_web): the reason says so.
    assert re.search(r"LC1 .*: p=0\.\d\d, .*public web evidence cannot show this \(at most 0\.\d\d with every "
                     r"signal it reads found, short of the 0\.90 it needs\): confirm with the city; training: ", out)
    card = _card(capsys, sample_home, "Juniper Harbor, IL")
    [lc1] = [g for g in card["top_gaps"] if g["criterion_id"] == "LC1"]
    assert lc1["lacking"] == [] and lc1["reason"].startswith("public web evidence cannot show this")
    build_report(WarehousePaths(sample_home), tmp_path / "site")
    page = (tmp_path / "site" / "cities" / f"{card['geoid']}.html").read_text(encoding="utf-8")
    assert f"<td>{escape(lc1['reason'])}</td>" in page


def test_gap_reasons_name_the_correction_or_the_prerequisite() -> None:
    from warehouse.scorecard import attested_text, gap_reason

    text = attested_text(False, "Pat Staff", "2026-12-01", "https://x.example/od")
    attested = {"criterion_id": "OD3", "attested": {"correction_id": 3, "note": "portal retired", "text": text},
                "prerequisites": [], "met_probability": 0.0}
    assert gap_reason({"lacking": []}, attested) == (
        "attested not met by Pat Staff on 2026-12-01 (https://x.example/od), correction #3: portal retired")
    held = {"attested": None, "met_probability": 0.53, "prerequisites": [{"criterion_id": "RDC2", "probability": 0.3}]}
    assert gap_reason({"lacking": []}, held) == ("no signal it reads is missing (met on its own: 0.53); held back "
                                                 "by prerequisite RDC2 at 0.30")
    assert gap_reason({"lacking": ["open_data_policy"]}, held, lambda s: s.replace("_", " ")) == (
        "lacking open data policy; held back by prerequisite RDC2 at 0.30")
    assert gap_reason({"lacking": [], "confirm": False}, {"met_probability": 0.45}) == (
        "no signal it reads is missing (met on its own: 0.45): only the city can show more")


@pytest.mark.slow
def test_a_not_met_correction_shows_who_decided_it_not_lacking_nothing(sample_home: Path, tmp_path: Path,
                                                                        capsys, monkeypatch) -> None:
    """After `cdpi correct "Juniper Harbor, IL" OD3 --met no` and a run, OD3 is a gap at 0 whose signals are
    all found: the card said "lacking -"; it now names the correction, its author and note, and OD3's line
    multiplies out to 0."""
    monkeypatch.delenv("CDPI_CORRECTIONS", raising=False)
    home = tmp_path / "home"
    shutil.copytree(sample_home, home)
    args = ["--home", str(home)]
    assert cli(["correct", "Juniper Harbor, IL", "OD3", "--met", "no", "--source", "https://x.example/retired",
                "--note", "portal retired in October", "--by", "Pat Staff", *args]) == 0
    assert cli(["run", "--sample", *args, "--quiet"]) == 0
    capsys.readouterr()
    assert cli(["city", "Juniper Harbor, IL", *args]) == 0
    out = capsys.readouterr().out
    assert "lacking -" not in out
    [gap] = [line for line in out.splitlines() if line.startswith("  OD3 Open Data Portal")]
    assert "p=0.00" in gap and re.search(r"attested not met by Pat Staff on \d{4}-\d\d-\d\d "
                                         r"\(https://x\.example/retired\), correction #1: portal retired in October",
                                         gap), gap
    card = _card(capsys, home, "Juniper Harbor, IL")
    [od3] = [c for c in card["criteria"] if c["criterion_id"] == "OD3"]
    assert od3["explanation"] == "met 0.000 (attested not met)" and _recomputed(card)["OD3"] == (0.0, 0.0)
    assert od3["attested"]["note"] == "portal retired in October"
