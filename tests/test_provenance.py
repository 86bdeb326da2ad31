"""A run names the code that made it: the package version never changed between releases while rules and
scoring changed with every commit, so a citation of 'cdpi 0.1.0' could not pin the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assets.provenance import cdpi_version
from pipelines.cli import main as cli
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
