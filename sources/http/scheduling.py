"""When work for each host may run, and the threads that run it: the one scheduler behind the fetcher's
batch fetch (``Fetcher.fetch_many``) and the website crawl (``sources/evidence/crawl.py``).

A caller brings its policy, what to ask next: one URL per item for a batch fetch, the next step of a
city's crawl for the crawl. This module owns the rest:

* ``HostQueue`` orders items by the time their host may next be asked, as the politeness gate
  (``politeness.HostGate``) says, so a free worker always takes work whose host is ready instead of
  sitting out one host's delay while others wait;
* ``run_workers`` runs a policy on worker threads, one condition variable guarding its state, and
  stops every worker and re-raises when a step raises (a bug, not a remote failure: those end as
  outcomes inside the fetcher).
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, Protocol, TypeVar

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")
R = TypeVar("R")
R_in = TypeVar("R_in", contravariant=True)


class HostQueue(Generic[K]):
    """Items (hosts, cities...) keyed by the monotonic time their host may next be asked, soonest first.

    An entry carries the item's version: ``invalidate`` makes every queued entry of an item stale (it was
    taken another way meanwhile) without searching the heap, and stale entries are dropped as they
    surface. Not thread-safe by itself: callers hold their policy's condition variable."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, K, int]] = []
        self._order = itertools.count()
        self._version: dict[K, int] = {}

    def push(self, item: K, ready_at: float) -> None:
        heapq.heappush(self._heap, (ready_at, next(self._order), item, self._version.get(item, 0)))

    def invalidate(self, item: K) -> None:
        self._version[item] = self._version.get(item, 0) + 1

    def _drop_stale(self) -> None:
        while self._heap and self._heap[0][3] != self._version.get(self._heap[0][2], 0):
            heapq.heappop(self._heap)

    def __bool__(self) -> bool:
        self._drop_stale()
        return bool(self._heap)

    def next_at(self) -> float:
        """When the soonest item's host may be asked (infinity when empty)."""
        self._drop_stale()
        return self._heap[0][0] if self._heap else float("inf")

    def pop_due(self, ready_now: Callable[[K], float], *, slack: float = 1e-6) -> tuple[K | None, float]:
        """``(item, 0)`` for the soonest item whose host may be asked now, else ``(None, when to look
        again)``. ``ready_now(item)`` is asked again before an item is handed out: a host that got busier
        since the item was queued (another worker's request started) sends it back in the queue at its
        new time."""
        while True:
            self._drop_stale()
            if not self._heap:
                return None, float("inf")
            at, _, item, version = self._heap[0]
            now = time.monotonic()
            if at > now:
                return None, at
            heapq.heappop(self._heap)
            ready = ready_now(item)
            if ready > at + slack and ready > now + 1e-3:
                heapq.heappush(self._heap, (ready, next(self._order), item, version))
                continue
            return item, 0.0


class Policy(Protocol[T, R_in]):
    """What the workers ask of a caller's policy; every method is called with ``cond`` held."""

    cond: threading.Condition
    error: BaseException | None

    def take(self) -> T | None:
        """The next piece of work, waiting on ``cond`` as long as needed; None when all work is done."""

    def done(self, work: T, result: R_in) -> None:
        """``work`` ended with ``result``."""

    def failed(self, work: T) -> None:
        """``work`` raised (``error`` is already set): release what ``take`` reserved for it."""


def run_workers(policy: Policy[T, R], run: Callable[[T], R], workers: int, *, name: str) -> None:
    """Run ``policy``'s work on ``workers`` threads until ``take`` returns None; the first exception a
    piece of work raises stops every worker and is raised here."""

    def worker() -> None:
        while True:
            with policy.cond:
                work = policy.take()
            if work is None:
                return
            try:
                result = run(work)
            except BaseException as exc:   # a bug, not a remote failure: stop every worker and re-raise
                with policy.cond:
                    if policy.error is None:
                        policy.error = exc
                    policy.failed(work)
                    policy.cond.notify_all()
                return
            with policy.cond:
                policy.done(work, result)
                policy.cond.notify_all()

    threads = [threading.Thread(target=worker, name=f"{name}-{k}", daemon=True) for k in range(max(0, workers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if policy.error is not None:
        raise policy.error
