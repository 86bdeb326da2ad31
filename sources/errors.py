"""Errors a source raises when it cannot produce its data at all (as opposed to per-URL outcomes)."""

from __future__ import annotations

from sources.http.result import FetchResult


class SourceUnavailable(RuntimeError):
    """The source could not be read; the message names the URL and the outcome class."""

    def __init__(self, what: str, result: FetchResult):
        detail = f"HTTP {result.status}" if result.status else result.outcome.value
        super().__init__(f"{what}: {result.final_url} -> {result.outcome.value} ({detail})"
                         + (f": {result.error}" if result.error else ""))
        self.result = result
