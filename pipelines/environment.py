"""The environment variables that shape the definitions when they load: ``CDPI_CRAWL_SHARDS`` (the website
crawl as that many steps) and ``CDPI_EXECUTOR`` (in_process or multiprocess); see docs/scale-out.md.

Read here without importing Dagster, so `cdpi run` and `cdpi dev` can refuse a bad value in one line before
anything loads the definitions: loading them with one raises a ValueError (a traceback from `cdpi run`, a
code location that failed to load in `cdpi dev`)."""

from __future__ import annotations

import os

from assets.shards import crawl_shards

#: The executors a run can use (pipelines/definitions.py, ``executor``).
EXECUTORS = ("in_process", "multiprocess")


def executor_choice(choice: str | None = None) -> str:
    """``choice``, else ``CDPI_EXECUTOR``, else in_process; ValueError for any other name."""
    choice = choice or os.environ.get("CDPI_EXECUTOR", "in_process")
    if choice not in EXECUTORS:
        raise ValueError(f"CDPI_EXECUTOR must be {' or '.join(EXECUTORS)}, not {choice!r}")
    return choice


def check_environment() -> None:
    """ValueError naming the first of the variables whose value the definitions would refuse."""
    crawl_shards()
    executor_choice()
