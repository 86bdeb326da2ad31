"""Progress of the stages that take time, told twice: to the terminal of `cdpi run` and to Dagster.

Sources report progress as a plain ``progress(done, total)`` callback and know nothing of either audience.
A :class:`StageProgress` turns those calls into a terminal bar (drawn by whatever the CLI installed with
:func:`set_terminal`; nothing when no CLI is watching, as in `cdpi dev` or a test) and into Dagster log
events at milestones (every tenth of the stage, and at least every ``log_every_s`` seconds), so the run's
page in the UI shows a national crawl moving, not just a step that started hours ago. Run the stage
through :meth:`StageProgress.call` so those events are written from the step's thread. The closing
figures go into the materialization metadata.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import Protocol, TypeVar

import dagster as dg


class TerminalBar(Protocol):
    def update(self, done: int, total: int, note: str) -> None:
        """Every change (a live bar redraws; a log-style display may ignore it)."""

    def milestone(self, line: str) -> None:
        """The same moments Dagster is told about, as one line of text."""

    def close(self, line: str) -> None:
        """The stage is over; ``line`` is its closing figures."""


T = TypeVar("T")
TerminalFactory = Callable[[str], TerminalBar]
_terminal: TerminalFactory | None = None


def set_terminal(factory: TerminalFactory | None) -> None:
    """Install (or with None, remove) the terminal display of this process's stages."""
    global _terminal
    _terminal = factory


class _Tally(Protocol):
    def tally(self) -> tuple[int, int]: ...


class StageProgress:
    """``progress(done, total)`` of one stage: ``label`` names it, ``unit`` what ``done`` counts, and
    ``fetcher`` (optional) adds the requests made so far and how many brought nothing back."""

    def __init__(self, context: dg.AssetExecutionContext | None, label: str, unit: str,
                 fetcher: _Tally | None = None, *, log_every_s: float = 30.0, milestones: int = 10):
        self.label, self.unit = label, unit
        self._context, self._fetcher = context, fetcher
        self._every_s, self._milestones = log_every_s, max(1, milestones)
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._last_told = self._started
        self._next_step = 1
        self.done = self.total = 0
        self._figures: dict | None = None
        self._told_done = -1
        self._lines: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._bar = _terminal(label) if _terminal is not None else None

    def __call__(self, done: int, total: int) -> None:
        with self._lock:
            # Threads may report out of order (the 5th finisher before the 4th): never go backwards.
            self.done, self.total = max(self.done, done), total
            note = self._note()
            if self._bar is not None:
                self._bar.update(self.done, self.total, note)
            now = time.monotonic()
            due = self.total and self.done * self._milestones >= self._next_step * self.total
            if due or now - self._last_told >= self._every_s:
                while self.total and self.done * self._milestones >= self._next_step * self.total:
                    self._next_step += 1
                self._last_told, self._told_done = now, self.done
                self._tell(self.line())

    def _note(self) -> str:
        if self._fetcher is None:
            return ""
        requests, not_ok = self._fetcher.tally()
        return f"{requests:,} requests ({not_ok:,} without a usable answer)"

    def line(self) -> str:
        """One line of where the stage stands: ``website crawl: 40/105 cities, 1,234 requests (...), 12 s``."""
        parts = [f"{self.label}: {self.done:,}/{self.total:,} {self.unit}", self._note(),
                 f"{time.monotonic() - self._started:,.0f} s"]
        return ", ".join(p for p in parts if p)

    def _tell(self, line: str) -> None:
        if self._context is not None:
            # Queued, not logged here: this runs in the source's worker threads, and Dagster's event log
            # (SQLite) must be written from the step's own thread (see ``call``).
            self._lines.put(line)
        if self._bar is not None:
            self._bar.milestone(line)

    def call(self, fn: Callable[..., T], *args: object, **kwargs: object) -> T:
        """``fn(*args, **kwargs)`` in a helper thread while this (the step's) thread passes the queued
        milestone lines to Dagster as they come; ``fn``'s result is returned, its exception raised."""
        outcome: dict[str, object] = {}

        def target() -> None:
            try:
                outcome["value"] = fn(*args, **kwargs)
            except BaseException as exc:  # handed to the step's thread, raised there
                outcome["error"] = exc

        worker = threading.Thread(target=target, name=f"stage-{self.label}", daemon=True)
        worker.start()
        while worker.is_alive():
            worker.join(timeout=0.5)
            self._flush()
        self._flush()
        if "error" in outcome:
            raise outcome["error"]  # type: ignore[misc]
        return outcome["value"]  # type: ignore[return-value]

    def _flush(self) -> None:
        while self._context is not None:
            try:
                line = self._lines.get_nowait()
            except queue.Empty:
                return
            self._context.log.info(line)

    def close(self) -> dict:
        """End the stage (once; later calls return the same figures): a closing line to both audiences,
        and the figures for the materialization metadata."""
        with self._lock:
            if self._figures is None:
                line = self.line()
                self._flush()
                if self._context is not None and self._told_done != self.done:   # not the last milestone again
                    self._context.log.info(line)
                if self._bar is not None:
                    self._bar.close(line)
                figures = {f"{self.unit}_done": self.done, f"{self.unit}_total": self.total,
                           "stage_seconds": round(time.monotonic() - self._started, 1)}
                if self._fetcher is not None:
                    figures["requests"], figures["requests_without_answer"] = self._fetcher.tally()
                self._figures = figures
            return dict(self._figures)

    def __enter__(self) -> StageProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
