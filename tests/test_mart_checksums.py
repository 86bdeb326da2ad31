"""scripts/mart_checksums.py tells identical published marts from changed ones (the check behind issue 19's
"behaviour unchanged")."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from scripts.mart_checksums import main
from warehouse.paths import WarehousePaths


def test_identical_marts_pass_and_one_changed_value_fails(sample_home: Path, tmp_path: Path, capsys) -> None:
    published = WarehousePaths(sample_home).published
    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(published, copy)
    assert main([str(published), str(copy)]) == 0
    assert " marts identical" in capsys.readouterr().out
    con = duckdb.connect(str(copy))
    con.execute("UPDATE marts.city_index SET expected_points = expected_points + 0.001 "
                "WHERE geoid = (SELECT min(geoid) FROM marts.city_index)")
    con.execute("UPDATE marts.cities SET run_id = 'another run'")      # run ids are left out
    con.close()
    assert main([str(published), str(copy)]) == 1
    out = capsys.readouterr().out
    assert "DIFF  marts.city_index " in out and "DIFF  marts.cities " not in out
