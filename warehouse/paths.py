"""Where cdpi keeps its state: one home folder ($CDPI_HOME, default ./data)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PUBLISHED_NAME = "warehouse.duckdb"
#: Folder of a run's Great Expectations Data Docs, inside its run folder (expectations/docs.py).
DATA_DOCS = "data_docs"


def cdpi_home() -> Path:
    return Path(os.environ.get("CDPI_HOME", "data")).resolve()


@dataclass(frozen=True)
class WarehousePaths:
    home: Path

    @classmethod
    def default(cls) -> WarehousePaths:
        return cls(cdpi_home())

    @property
    def published(self) -> Path:
        """The file analysts open; only ever replaced whole, never written in place."""
        return self.home / PUBLISHED_NAME

    @property
    def lock(self) -> Path:
        return self.home / ".warehouse.lock"

    @property
    def run_lock(self) -> Path:
        """Held by the one run using the home (pipelines/runlock.py): its steps share files in it."""
        return self.home / ".run.lock"

    @property
    def run_holder(self) -> Path:
        """Who holds ``run_lock``: run id, start and process, for the message a refused run prints."""
        return self.home / ".run.lock.json"

    @property
    def runs(self) -> Path:
        return self.home / "runs"

    def run_dir(self, run_id: str) -> Path:
        return self.runs / run_id

    @property
    def http_cache(self) -> Path:
        return self.home / "http_cache"

    @property
    def dagster_storage(self) -> Path:
        return self.home / "dagster_storage"

    @property
    def dagster_home(self) -> Path:
        """The one Dagster instance of this home (DAGSTER_HOME): run history, materializations, check
        results, schedules. `cdpi run`, `cdpi dev` and the schedule all use it, so the UI shows every run."""
        return self.home / "dagster"

    def run_log(self, run_id: str) -> Path:
        """A run's full log: every Dagster event of the run and the third-party log records (pypdf & co.)
        that would otherwise fill the terminal."""
        return self.run_dir(run_id) / "run.log"

    def build_path(self, run_id: str) -> Path:
        return self.home / f".{PUBLISHED_NAME}.build-{run_id}"
