"""The explanation of a score shows what the score was computed with. Under calibration every city is scored
with fitted weights and priors; the explanation (marts.criterion_evidence_latest, `cdpi city`, the report's
city page) once showed the catalog's hand-set weights instead, so no criterion could be recomputed by hand.
The expected weights here come from marts.calibration_params by its documented formula, not from the
table that stores the weights used, so these tests check the stored weights too."""

from __future__ import annotations

import math
import re
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

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
    assert f"performance reporting 1.00 × {used:.2f} <small class=\"catalog-weight\">(catalog 0.80)</small>" in page


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
    con.execute("INSERT INTO staging.city_signals VALUES (DATE '2026-10-01', ?, '1', 'performance_reporting', "
                "1.0, true, NULL)", [run_id])
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
