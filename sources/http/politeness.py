"""Per-host politeness: one request in flight per host, and a minimum spacing between request starts.

The spacing is measured start-to-start (next start >= previous start + delay, and never before the
previous request finished), which is the tightest reading of "at most one request per `delay`
seconds" and what makes a national crawl finish near its politeness bound.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator


class HostGate:
    def __init__(self, default_delay_s: float, *, clock=time.monotonic, sleep=time.sleep):
        self._default = default_delay_s
        self._delays: dict[str, float] = {}
        self._next: dict[str, float] = {}
        self._busy: set[str] = set()
        self._cond = threading.Condition()
        self._clock = clock
        self._sleep = sleep

    def set_delay(self, host: str, delay_s: float) -> None:
        with self._cond:
            self._delays[host] = max(self._default, delay_s)

    def delay(self, host: str) -> float:
        return self._delays.get(host, self._default)

    def defer(self, host: str, until: float) -> None:
        """Push the host's next allowed start (e.g. after a 429 Retry-After)."""
        with self._cond:
            self._next[host] = max(self._next.get(host, 0.0), until)
            self._cond.notify_all()

    def ready_at(self, host: str) -> float | None:
        """Monotonic time the host may next start a request, or None while it is busy."""
        with self._cond:
            return None if host in self._busy else self._next.get(host, 0.0)

    def custom_delays(self) -> dict[str, float]:
        """Hosts whose delay differs from the default (robots.txt Crawl-delay), for reports."""
        with self._cond:
            return dict(self._delays)

    def earliest(self, host: str) -> tuple[float, bool]:
        """(the host's next allowed start, whether a request to it is in flight now): lets a scheduler
        park work for a busy host until then instead of polling it."""
        with self._cond:
            return self._next.get(host, 0.0), host in self._busy

    @contextlib.contextmanager
    def slot(self, host: str) -> Iterator[None]:
        with self._cond:
            while True:
                now = self._clock()
                wait = self._next.get(host, 0.0) - now
                if host not in self._busy and wait <= 0:
                    break
                self._cond.wait(timeout=wait if host not in self._busy else None)
            self._busy.add(host)
            self._next[host] = now + self.delay(host)
        try:
            yield
        finally:
            with self._cond:
                self._busy.discard(host)
                self._cond.notify_all()

    def pause_within_slot(self, host: str, seconds: float) -> None:
        """Sleep between retries while keeping the host reserved, then restart its spacing clock."""
        if seconds > 0:
            self._sleep(seconds)
        with self._cond:
            self._next[host] = max(self._next.get(host, 0.0), self._clock() + self.delay(host))
