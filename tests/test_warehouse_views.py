"""The views analysts read: which run is "latest", who is an outreach target, and what the dictionary says
about view columns."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pytest

from warehouse.docs import render_markdown


@pytest.fixture
def con(schema_con) -> duckdb.DuckDBPyConnection:
    return schema_con


def _run(con, run_id: str, month: int, is_sample: bool, finished_hour: int) -> None:
    con.execute("INSERT INTO ops.runs (run_id, snapshot, mode, is_sample, status, finished_at) "
                "VALUES (?, ?, ?, ?, 'success', ?)",
                [run_id, datetime(2026, month, 1), "sample" if is_sample else "live", is_sample,
                 datetime(2026, 11, 20, finished_hour)])


def test_a_sample_run_never_hides_the_real_latest_run(con) -> None:
    _run(con, "real-sep", 9, False, 1)
    _run(con, "real-oct", 10, False, 2)
    _run(con, "sample-nov", 11, True, 3)
    assert con.execute("SELECT run_id FROM ops.latest_run").fetchone()[0] == "real-oct"
    _run(con, "real-oct-again", 10, False, 4)
    assert con.execute("SELECT run_id FROM ops.latest_run").fetchone()[0] == "real-oct-again"


def test_a_sample_only_warehouse_shows_its_latest_sample_run(con) -> None:
    _run(con, "sample-oct", 10, True, 1)
    _run(con, "sample-nov", 11, True, 2)
    assert con.execute("SELECT run_id FROM ops.latest_run").fetchone()[0] == "sample-nov"


def _city(con, geoid: str, certified: str | None, nxt: str | None, p_push: float, status: str) -> None:
    con.execute("INSERT INTO marts.city_index (snapshot, run_id, geoid, city, state, population, expected_points, "
                "max_points, p_silver_or_better, p_gold_or_better, p_platinum, predicted_tier, certified_tier, "
                "top_gaps, next_tier, p_next_tier, p_next_tier_if_gaps_closed, outreach_status, outreach_note) "
                "VALUES (DATE '2026-10-01', 'r', ?, 'C' || ?, 'OH', 60000, 20, 43, 0.3, 0.1, 0, 'none', ?, '[]', ?, "
                "0.2, ?, ?, 'why ' || ?)", [geoid, geoid, certified, nxt, p_push, status, geoid])


def test_the_three_outreach_lists_follow_each_citys_status(con) -> None:
    """Scoring decides a city's outreach status (tests/test_outreach_status.py); the views rank the targets
    and list the others apart, each row with its reason, snapshot and run."""
    _run(con, "r", 10, False, 1)
    _city(con, "1", None, "silver", 0.5, "target")
    _city(con, "2", "honor_roll", "silver", 0.9, "target")
    _city(con, "3", "silver", "gold", 0.7, "target")          # certified Silver: a Gold target
    _city(con, "4", None, "silver", 0.1, "longer_path")
    _city(con, "5", None, "silver", 0.8, "not_observed")      # high odds, but nothing was read
    _city(con, "6", "platinum", None, 0.0, "top_tier")
    rows = con.execute("SELECT geoid, rank, outreach_note, run_id, snapshot FROM marts.outreach_targets "
                       "ORDER BY rank").fetchall()
    assert [(r[0], r[1]) for r in rows] == [("2", 1), ("3", 2), ("1", 3)]
    assert rows[0][2] == "why 2" and rows[0][3] == "r" and rows[0][4] is not None
    assert con.execute("SELECT geoid FROM marts.outreach_longer_path").fetchall() == [("4",)]
    assert con.execute("SELECT geoid, outreach_note FROM marts.outreach_not_observed").fetchall() == [("5", "why 5")]


def test_view_columns_borrow_descriptions_only_from_what_they_read() -> None:
    text = render_markdown()
    latest_run = text[text.index("## `ops.latest_run`"):]
    latest_run = latest_run.split("\n## ")[0]
    status = next(line for line in latest_run.splitlines() if line.startswith("| `status`"))
    assert "HTTP" not in status and "success" in status


def test_every_table_and_view_column_is_described_in_the_published_warehouse(sample_home) -> None:
    """What a SQL client (DBeaver, the duckdb shell, `cdpi sql "describe ..."`) shows: every column of every
    table and view has a description in the file analysts open, views included (a view column takes its
    source column's text, a computed one its own COMMENT ON)."""
    from warehouse.paths import WarehousePaths

    published = duckdb.connect(str(WarehousePaths(sample_home).published), read_only=True)
    try:
        missing = published.execute(
            "SELECT schema_name || '.' || table_name || '.' || column_name FROM duckdb_columns() "
            "WHERE database_name = current_database() AND schema_name IN ('raw', 'staging', 'marts', 'ops') "
            "AND coalesce(trim(comment), '') = ''").fetchall()
        views = published.execute("SELECT count(*) FROM duckdb_columns() c JOIN duckdb_views() v ON "
                                  "v.database_name = c.database_name AND v.schema_name = c.schema_name AND "
                                  "v.view_name = c.table_name WHERE c.database_name = current_database() "
                                  "AND NOT v.internal").fetchone()[0]
        latest = published.execute("SELECT comment FROM duckdb_columns() WHERE database_name = current_database() "
                                   "AND schema_name = 'marts' AND table_name = 'city_index_latest' "
                                   "AND column_name = 'expected_points'").fetchone()[0]
    finally:
        published.close()
    assert missing == [] and views > 100
    assert latest.startswith("Sum of criterion probabilities")


def test_no_mart_column_is_a_hugeint_that_pandas_would_read_as_a_float(sample_home) -> None:
    """A sum in a view is a HUGEINT, which pandas turns into float64: the analyst guide's portal question showed
    1597.0 datasets. Counts and sums are cast to BIGINT where analysts read them."""
    from warehouse.paths import WarehousePaths

    published = duckdb.connect(str(WarehousePaths(sample_home).published), read_only=True)
    try:
        huge = published.execute("SELECT schema_name || '.' || table_name || '.' || column_name FROM duckdb_columns() "
                                 "WHERE database_name = current_database() AND schema_name IN ('marts', 'ops') "
                                 "AND data_type = 'HUGEINT'").fetchall()
        frame = published.execute("SELECT datasets FROM marts.city_portals_latest WHERE datasets IS NOT NULL").df()
    finally:
        published.close()
    assert huge == [] and len(frame) and str(frame["datasets"].dtype) == "int64"


def test_targets_show_only_the_gaps_that_matter(con) -> None:
    import json

    _run(con, "r", 10, False, 1)
    _city(con, "1", None, "silver", 0.5, "target")
    gaps = [{"criterion_id": "DM1", "name": "Strategy", "training_topic": "data_governance", "matters": True},
            {"criterion_id": "DM9", "name": "Standard", "training_topic": "open_data", "matters": False},
            {"criterion_id": "EVAL2", "name": "Evaluations", "training_topic": "evaluation"}]   # unmarked: shown
    con.execute("UPDATE marts.city_index SET top_gaps = ?", [json.dumps(gaps)])
    row = con.execute("SELECT gaps, training_topics FROM marts.outreach_targets").fetchone()
    assert row == ("DM1 Strategy; EVAL2 Evaluations", "data_governance; evaluation")


def _publish_run(paths, run_id: str, month: str, is_sample: bool, index: list[dict], signals: list[dict]) -> None:
    """One run with only the rows the change view reads: the index and the signals behind it."""
    import pandas as pd

    from warehouse.publish import RunRecord, publish_run

    base = {"max_points": 43, "predicted_tier": "none", "p_gold_or_better": 0.05, "p_platinum": 0.0,
            "coverage": 0.9, "population": 60_000, "state": "OH", "top_gaps": "[]", "outreach_status": "target",
            "p_next_tier_if_gaps_closed": 0.5, "score_pct": 40.0}
    record = RunRecord(run_id=run_id, snapshot=datetime.fromisoformat(month), mode="sample" if is_sample else "live",
                       is_sample=is_sample, started_at=datetime(2026, 12, 1))
    frames = {"marts.city_index": pd.DataFrame([{**base, **r} for r in index]),
              "staging.city_signals": pd.DataFrame(signals)}
    publish_run(paths, record, frames, [])


def _signals(geoid: str, **values: tuple[float, bool]) -> list[dict]:
    return [{"geoid": geoid, "signal": s, "value": v, "observed": o} for s, (v, o) in values.items()]


def changes_home(home):
    """A warehouse with four runs: a sample run in 2026-08 (never a real run's previous snapshot), 2026-09
    twice (the later one counts) and 2026-10, where Alpha changed and Beta is new."""
    from warehouse.paths import WarehousePaths

    paths = WarehousePaths(home)
    alpha = {"geoid": "3900001", "city": "Alpha", "next_tier": "silver"}
    before = _signals("3900001", open_data_policy=(0.9, True), portal_exists=(1.0, True), evaluation=(0.8, True),
                      performance_reporting=(0.0, True))
    _publish_run(paths, "sep-early", "2026-09-01", False,
                 [{**alpha, "expected_points": 10.0, "p_silver_or_better": 0.01, "p_next_tier": 0.01}], before)
    _publish_run(paths, "sep", "2026-09-01", False,
                 [{**alpha, "expected_points": 18.0, "p_silver_or_better": 0.20, "p_next_tier": 0.20}], before)
    _publish_run(paths, "aug-sample", "2026-08-01", True,
                 [{**alpha, "expected_points": 30.0, "p_silver_or_better": 0.90, "p_next_tier": 0.90}], before)
    after = _signals("3900001", open_data_policy=(0.9, True), portal_exists=(0.0, True), evaluation=(0.0, False),
                     performance_reporting=(0.7, True))
    _publish_run(paths, "oct", "2026-10-01", False,
                 [{**alpha, "expected_points": 20.5, "p_silver_or_better": 0.35, "p_next_tier": 0.35},
                  {"geoid": "3900002", "city": "Beta", "next_tier": "silver", "expected_points": 12.0,
                   "p_silver_or_better": 0.1, "p_next_tier": 0.1}],
                 after + _signals("3900002", open_data_policy=(0.5, True)))
    return paths


def test_change_since_the_previous_snapshot(tmp_path) -> None:
    from warehouse.read import connect_published

    paths = changes_home(tmp_path)
    con = connect_published(paths)
    try:
        rows = con.execute("SELECT * FROM marts.city_changes_latest ORDER BY geoid").df().set_index("city")
        first = con.execute("SELECT geoid, change_summary FROM marts.city_changes WHERE run_id = 'sep'").fetchall()
        targets = dict(con.execute("SELECT city, change_summary FROM marts.outreach_targets").fetchall())
    finally:
        con.close()
    alpha, beta = rows.loc["Alpha"], rows.loc["Beta"]
    assert alpha["previous_run_id"] == "sep" and str(alpha["previous_snapshot"])[:7] == "2026-09"
    assert alpha["points_change"] == 2.5
    assert round(alpha["p_silver_or_better_change"], 4) == 0.15 and round(alpha["p_next_tier_change"], 4) == 0.15
    assert alpha["evidence_gained"] == "performance_reporting"
    assert alpha["evidence_lost"] == "portal_exists"                 # read this time and found at zero
    assert alpha["evidence_not_reread"] == "evaluation"              # not read this time: not called a loss
    assert alpha["change_summary"] == "since 2026-09: +2.5 pts"
    # A city the previous snapshot did not score: first snapshot, no zeros.
    assert beta["change_summary"] == "first snapshot"
    assert beta[["previous_run_id", "points_change", "p_next_tier_change", "evidence_gained"]].isna().all()
    # The first real snapshot has nothing before it (an earlier sample run is not a real run's past).
    assert first == [("3900001", "first snapshot")]
    assert targets == {"Alpha": "since 2026-09: +2.5 pts", "Beta": "first snapshot"}


def test_a_backfilled_month_leaves_the_changes_of_runs_published_before_it_alone(tmp_path) -> None:
    """Changes are stored when a run is published, against the previous snapshot published before it. A
    month published later (a backfill) gets its own changes, but the rows of later months stay as they were
    published (nothing cited from them changes, city_changes is append only), and so do the _latest views;
    a re-run of the later month after the backfill compares with it."""
    from warehouse.paths import WarehousePaths
    from warehouse.read import connect_published

    paths = WarehousePaths(tmp_path)
    alpha = {"geoid": "3900001", "city": "Alpha", "next_tier": "silver", "p_silver_or_better": 0.2,
             "p_next_tier": 0.2}
    signals = _signals("3900001", open_data_policy=(0.9, True))

    def read() -> tuple[dict, list, list]:
        con = connect_published(paths)
        try:
            return (dict(con.execute("SELECT run_id || '/' || coalesce(previous_run_id, '-'), change_summary "
                                     "FROM marts.city_changes").fetchall()),
                    con.execute("SELECT change_summary FROM marts.city_changes_latest").fetchall(),
                    con.execute("SELECT change_summary FROM marts.outreach_targets").fetchall())
        finally:
            con.close()

    _publish_run(paths, "oct", "2026-10-01", False, [{**alpha, "expected_points": 20.0}], signals)
    published = read()
    _publish_run(paths, "aug", "2026-08-01", False, [{**alpha, "expected_points": 17.0}], signals)
    rows, latest, targets = read()
    assert rows == {"oct/-": "first snapshot", "aug/-": "first snapshot"}
    assert (latest, targets) == published[1:] == ([("first snapshot",)], [("first snapshot",)])
    _publish_run(paths, "oct-again", "2026-10-01", False, [{**alpha, "expected_points": 20.0}], signals)
    rows, latest, _ = read()
    assert rows["oct-again/aug"] == "since 2026-08: +3.0 pts" and rows["oct/-"] == "first snapshot"
    assert latest == [("since 2026-08: +3.0 pts",)]


def test_every_reader_agrees_on_the_current_run(tmp_path) -> None:
    """A real replay of October and a newer sample run of November in one home: the views, the report, the
    export and `cdpi targets` all read the real run (ops.current_run is the one definition); asked for a
    month, each reads that month's run."""
    from pipelines.cli import main as cli
    from warehouse.export import export_snapshot
    from warehouse.paths import WarehousePaths
    from warehouse.read import connect_published
    from warehouse.report.data import select_run

    paths = WarehousePaths(tmp_path)
    row = {"geoid": "3900001", "city": "Alpha", "expected_points": 20.0, "p_silver_or_better": 0.4,
           "next_tier": "silver", "p_next_tier": 0.4}
    _publish_run(paths, "real-oct", "2026-10-01", False, [row], _signals("3900001", open_data_policy=(1.0, True)))
    _publish_run(paths, "sample-nov", "2026-11-01", True, [row], _signals("3900001", open_data_policy=(1.0, True)))
    con = connect_published(paths)
    try:
        assert con.execute("SELECT run_id FROM ops.latest_run").fetchone()[0] == "real-oct"
        assert con.execute("SELECT DISTINCT run_id FROM marts.outreach_targets").fetchall() == [("real-oct",)]
        assert select_run(con, None).run_id == "real-oct"
        assert select_run(con, "2026-11").run_id == "sample-nov"
        assert con.execute("SELECT run_id FROM ops.current_run('2026-11')").fetchone()[0] == "sample-nov"
        # The snapshot as tables show it names the month too; anything else is an error, never "no run".
        assert con.execute("SELECT run_id FROM ops.current_run('2026-11-01')").fetchone()[0] == "sample-nov"
        assert con.execute("SELECT run_id FROM ops.current_run(DATE '2026-10-01')").fetchone()[0] == "real-oct"
        for wrong in ("2026-9", "2026-10-02", "October"):
            with pytest.raises(duckdb.Error, match="month must be 'YYYY-MM' or the first day of a month"):
                con.execute("SELECT run_id FROM ops.current_run(?)", [wrong]).fetchall()
    finally:
        con.close()
    assert export_snapshot(paths, None, tmp_path / "out", ("csv",)).run_id == "real-oct"
    assert export_snapshot(paths, "2026-11", tmp_path / "out", ("csv",)).run_id == "sample-nov"
    assert cli(["targets", "--home", str(tmp_path), "--format", "csv", "--out", str(tmp_path / "t.csv")]) == 0
    assert "real-oct" in (tmp_path / "t.csv").read_text(encoding="utf-8")


def test_outreach_gaps_and_topics_keep_the_gaps_order_on_every_read(con) -> None:
    """`gaps` lists the gaps that matter in their ranked order, `training_topics` each topic once in the
    order of the first gap needing it; the same on every read (an unordered aggregate was not)."""
    import json

    _run(con, "r", 10, False, 1)
    gaps = [{"criterion_id": f"C{k}", "name": f"gap {k}", "training_topic": f"topic_{k % 4}",
             "matters": k != 3} for k in range(12)]
    con.execute("INSERT INTO marts.city_index (snapshot, run_id, geoid, city, state, population, expected_points, "
                "max_points, p_silver_or_better, p_gold_or_better, p_platinum, predicted_tier, top_gaps, next_tier, "
                "p_next_tier, p_next_tier_if_gaps_closed, outreach_status) VALUES (DATE '2026-10-01', 'r', '1', "
                "'C', 'OH', 60000, 20, 43, 0.3, 0.1, 0, 'none', ?, 'silver', 0.2, 0.5, 'target')", [json.dumps(gaps)])
    want_gaps = "; ".join(f"C{k} gap {k}" for k in range(12) if k != 3)
    for _ in range(20):
        assert con.execute("SELECT gaps, training_topics FROM marts.outreach_targets").fetchone() == (
            want_gaps, "topic_0; topic_1; topic_2; topic_3")
