"""What the terminal shows while `cdpi run` works: a line per finished step, and a bar per long stage.

Bars are the terminal half of ``assets.progress.StageProgress`` (the other half is Dagster's event log).
On a terminal they are rich progress bars; when stderr is piped (a log file, a scheduler), a stage prints
its closing line and, on long stages, a line at most every ``_PLAIN_EVERY_S`` seconds instead. Step lines
come from the ``steps`` Dagster logger: it watches the run's step events, whichever process runs the step.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator

import dagster as dg

from assets.progress import set_terminal

_PLAIN_EVERY_S = 30.0
#: Set by `cdpi run --workers N` for its step processes, which have no bars of their own: they print the
#: plain lines instead (see ``lines_in_step_processes``).
STEP_PROCESS_LINES = "CDPI_STAGE_LINES"
_say: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731


class _PlainBar:
    def __init__(self, label: str):
        self._last = time.monotonic()

    def update(self, done: int, total: int, note: str) -> None:
        pass

    def milestone(self, line: str) -> None:
        if time.monotonic() - self._last >= _PLAIN_EVERY_S:
            self._last = time.monotonic()
            _say(f"  {line}")

    def close(self, line: str) -> None:
        _say(f"  {line}")


class _RichBar:
    def __init__(self, progress, label: str):
        self._progress = progress
        self._task = progress.add_task(label, total=None, note="")

    def update(self, done: int, total: int, note: str) -> None:
        self._progress.update(self._task, completed=done, total=total, note=note)

    def milestone(self, line: str) -> None:
        pass

    def close(self, line: str) -> None:
        self._progress.refresh()


@contextlib.contextmanager
def terminal_progress(enabled: bool = True) -> Iterator[None]:
    """Bars and step lines for the duration of a run (nothing at all when not ``enabled``)."""
    global _say
    if not enabled:
        yield
        return
    if not sys.stderr.isatty():
        set_terminal(_PlainBar)
        try:
            yield
        finally:
            set_terminal(None)
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(TextColumn("  {task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), TextColumn("{task.fields[note]}"),
                        console=Console(stderr=True), transient=False)
    plain_say = _say
    with progress:
        set_terminal(lambda label: _RichBar(progress, label))
        _say = progress.console.print   # lines printed above the live bars, not through them
        try:
            yield
        finally:
            set_terminal(None)
            _say = plain_say


def lines_in_step_processes() -> None:
    """In a step process of a sharded `cdpi run` (the environment says so), show each stage as plain lines;
    elsewhere (`cdpi dev`, tests) change nothing. Called when the definitions load."""
    if os.environ.get(STEP_PROCESS_LINES) == "1":
        set_terminal(_PlainBar)


class _StepLines(logging.Handler):
    """One line per step that ends: its name as the Dagster UI shows it, how long it took, and whether it
    failed. Reads the event a Dagster log record carries (``dagster_meta``)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self._started: dict[str, float] = {}
        self._lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        step = meta.get("step_key")
        if event is None or not step:
            return
        kind = event.event_type_value
        with self._lock:
            if kind == "STEP_START":
                self._started[step] = time.monotonic()
                return
            if kind not in ("STEP_SUCCESS", "STEP_FAILURE"):
                return
            seconds = time.monotonic() - self._started.pop(step, time.monotonic())
        _say(f"  {'done' if kind == 'STEP_SUCCESS' else 'FAILED':<6} {step:<30} {seconds:6.1f} s")


@dg.logger(config_schema={}, description="One terminal line per finished step (used by `cdpi run`).")
def step_lines(init_context: dg.InitLoggerContext) -> logging.Logger:
    logger = logging.Logger("cdpi-steps", level=logging.DEBUG)
    logger.addHandler(_StepLines())
    return logger
