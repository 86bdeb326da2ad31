"""Rich progress bars for the fetch stages of `cdpi run` (plain lines when stderr is not a terminal)."""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterator

from sources.http.progress import set_progress_factory


class _PlainBar:
    def __init__(self, label: str, total: int):
        self.label, self.total, self.done = label, total, 0
        self._lock = threading.Lock()

    def advance(self, n: int = 1) -> None:
        with self._lock:
            self.done += n

    def close(self) -> None:
        print(f"  {self.label}: {self.done}/{self.total} fetched", file=sys.stderr)


class _RichBar:
    def __init__(self, progress, label: str, total: int):
        self._progress = progress
        self._task = progress.add_task(label, total=total)

    def advance(self, n: int = 1) -> None:
        self._progress.advance(self._task, n)

    def close(self) -> None:
        self._progress.refresh()


@contextlib.contextmanager
def rich_progress(enabled: bool = True) -> Iterator[None]:
    if not enabled:
        yield
        return
    if not sys.stderr.isatty():
        set_progress_factory(_PlainBar)
        try:
            yield
        finally:
            set_progress_factory(None)
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=Console(stderr=True), transient=False)
    with progress:
        set_progress_factory(lambda label, total: _RichBar(progress, label, total))
        try:
            yield
        finally:
            set_progress_factory(None)
