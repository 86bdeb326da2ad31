"""The fetch log: one JSON line per fetch, flushed as it happens so a killed run keeps its account."""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import TextIO

from sources.http.result import FetchResult
from sources.http.urls import host_of

FETCH_LOG_COLUMNS = ("run_id", "url", "final_url", "host", "method", "status", "outcome", "bytes",
                     "elapsed_ms", "attempts", "from_cache", "robots_blocked", "error", "fetched_at",
                     "redirects", "content_type", "sha256", "warc_file", "fetch_id")


def log_row(result: FetchResult, run_id: str, warc_file: str | None) -> dict:
    return {
        "run_id": run_id, "url": result.url, "final_url": result.final_url, "host": host_of(result.url),
        "method": result.method, "status": result.status, "outcome": result.outcome.value,
        "bytes": len(result.body), "elapsed_ms": round(result.elapsed_s * 1000, 1),
        "attempts": result.attempts, "from_cache": result.from_cache,
        "robots_blocked": result.robots_blocked, "error": result.error, "fetched_at": result.fetched_at,
        "redirects": len(result.redirects), "content_type": result.content_type or None,
        "sha256": hashlib.sha256(result.body).hexdigest() if result.ok else None,
        "warc_file": warc_file,
    }


class FetchLog:
    """One step's fetch log. Each row gets a ``fetch_id`` unique within the run, ``<file>:<line>`` (the log
    file's name without ``fetch_log-`` and ``.jsonl``, and the row's line in it, from 1), which the fetch
    result carries too: the same page asked twice (the home page step, then the crawl) or read twice from one
    archived record in a replay gives rows that differ in nothing else, and evidence names the very fetch it
    was read from (marts.evidence.fetch_id)."""

    def __init__(self, directory: Path | None, run_id: str, prefix: str = "fetch_log"):
        self.run_id = run_id
        name = f"{prefix}-{os.getpid()}"
        self.path = None if directory is None else Path(directory) / f"{name}.jsonl"
        self._id_prefix = name.removeprefix("fetch_log-")
        self._lock = threading.Lock()
        self._fh: TextIO | None = None
        self._requests = 0
        self._not_ok = 0
        # Lines already in the file (a step run again in this process appends to it): ids go on after them.
        self._lines = _lines_in(self.path) if self.path is not None else 0

    def write(self, result: FetchResult, warc_file: str | None) -> dict:
        row = log_row(result, self.run_id, warc_file)
        # One lock for the id and the line, so that line n of the file is the row whose id ends in :n.
        with self._lock:   # a carried page is logged (the run's account of every page) but was never asked
            self._requests += result.carried_from is None
            self._not_ok += not result.ok
            self._lines += 1
            row["fetch_id"] = result.fetch_id = f"{self._id_prefix}:{self._lines}"
            if self.path is not None:
                fh = self._fh
                if fh is None:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                    held = self.path.read_bytes() if self.path.is_file() else b""
                    torn = held != b"" and not held.endswith(b"\n")
                    fh = self._fh = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()
                    if torn:             # a killed writer's last line: the next row starts a line of its own
                        fh.write("\n")
                fh.write(json.dumps(row, sort_keys=True) + "\n")
                fh.flush()
        return row

    def tally(self) -> tuple[int, int]:
        """(requests logged, of which without a usable body): what a stage's progress reports."""
        with self._lock:
            return self._requests, self._not_ok

    def close(self) -> None:
        with self._lock:
            if self._fh is not None:
                self._fh.close()
                self._fh = None


def _lines_in(path: Path) -> int:
    """Lines a log file already holds, a torn last one included (the next row starts on a line of its own)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return 0
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


def read_fetch_logs(directory: Path) -> list[dict]:
    """All rows of a run directory; a torn last line (killed writer) is skipped, not fatal."""
    rows: list[dict] = []
    for path in sorted(Path(directory).glob("fetch_log*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                rows.append(json.loads(line))
            except ValueError:
                continue
    return rows
