"""How many steps the website crawl is split into (``CDPI_CRAWL_SHARDS``): read when the definitions load,
and kept apart from assets/evidence.py, which imports Dagster and pandas, so `cdpi dev` and `cdpi run` can
check the value in a moment before anything loads it."""

from __future__ import annotations

import os

#: The most crawl shards (and so `cdpi run --workers`): far more processes than a machine running a polite
#: crawl has any use for.
MAX_SHARDS = 64


def crawl_shards() -> int:
    """How many processes share the website crawl (``CDPI_CRAWL_SHARDS``, default 1), read when the
    definitions load: with the multiprocess executor each shard is its own step, run side by side."""
    raw = os.environ.get("CDPI_CRAWL_SHARDS", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_SHARDS:
        raise ValueError(f"CDPI_CRAWL_SHARDS must be a whole number from 1 to {MAX_SHARDS}, not {raw!r}")
    return int(raw)
