"""Where cdpi keeps its state: one home folder ($CDPI_HOME, default ./data)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PUBLISHED_NAME = "warehouse.duckdb"


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

    def build_path(self, run_id: str) -> Path:
        return self.home / f".{PUBLISHED_NAME}.build-{run_id}"
