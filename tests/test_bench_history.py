"""The history benchmark (scripts/bench_history.py) at a tiny size, so it cannot rot between the sessions that
run it at full size: the history is filled, two snapshots go through the real publish path, every query runs,
and the stored changes of the filled history are right."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from scripts.bench_history import _fill, _month, _publish, _queries, _time_queries
from warehouse.paths import WarehousePaths


@pytest.mark.slow
def test_the_history_benchmark_runs_end_to_end(sample_home: Path, tmp_path: Path) -> None:
    source = tmp_path / "source.duckdb"
    shutil.copyfile(WarehousePaths(sample_home).published, source)
    home = tmp_path / "home"
    home.mkdir()
    _fill(home / "warehouse.duckdb", source, months=3, scale=2)
    seconds, rows = _publish(home, "history-003", "history-004", _month(3))
    assert seconds > 0 and rows > 0
    queries = _time_queries(home)
    assert len(queries) == len(_queries()) >= 14
    assert all(q["rows"] > 0 for q in queries if not q["query"].startswith("guide 1."))
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        runs = con.execute("SELECT count(*), count(DISTINCT snapshot) FROM ops.runs").fetchone()
        cities = con.execute("SELECT count(*) FROM marts.city_index_latest").fetchone()[0]
        changes = con.execute("SELECT DISTINCT change_summary FROM marts.city_changes_latest").fetchall()
        summaries = con.execute("SELECT count(DISTINCT run_id) FROM ops.fetch_summary").fetchone()[0]
    finally:
        con.close()
    assert runs == (4, 4) and cities == 2 * 111 and summaries == 4
    assert all(c[0].startswith("since ") for c in changes)     # the copied history is each city's past
