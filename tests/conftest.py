"""Shared fixtures. Real data lives beside the project in ../shared (never copied in)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
REALDATA = SHARED / "realdata"


def realdata(relative: str) -> Path:
    """Path of a real-data file, or skip the test with the reason when the shared folder is absent."""
    path = REALDATA / relative
    if not path.exists():
        pytest.skip(f"real data {relative} not available (expected beside the project in ../shared/realdata)")
    return path


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A fresh CDPI_HOME."""
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def schema_con():
    """An in-memory DuckDB holding the warehouse schema (tables, views, macros, comments) and no rows."""
    import duckdb

    from warehouse.schema import apply_schema

    con = duckdb.connect()
    apply_schema(con)
    yield con
    con.close()


@pytest.fixture(scope="session")
def sample_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse published by `cdpi run --sample`, built once per test session. Treat it as read-only:
    a test that needs to change it copies it first."""
    from pipelines.cli import main as cli

    path = tmp_path_factory.mktemp("sample_home")
    assert cli(["run", "--sample", "--home", str(path), "--quiet"]) == 0
    return path
