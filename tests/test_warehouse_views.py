"""The views analysts read: which run is "latest", who is an outreach target, and what the dictionary says
about view columns."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pytest

from warehouse.docs import render_markdown
from warehouse.schema import apply_schema


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    apply_schema(c)
    yield c
    c.close()


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
