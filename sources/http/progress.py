"""A seam for progress display: sources report progress, the CLI decides how (or whether) to show it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol


class Progress(Protocol):
    def advance(self, n: int = 1) -> None: ...
    def close(self) -> None: ...


class _Silent:
    def advance(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


ProgressFactory = Callable[[str, int], Progress]
_factory: ProgressFactory = lambda label, total: _Silent()  # noqa: E731


def set_progress_factory(factory: ProgressFactory | None) -> None:
    global _factory
    _factory = factory or (lambda label, total: _Silent())


def progress(label: str, total: int) -> Progress:
    return _factory(label, total)
