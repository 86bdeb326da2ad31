"""Per-host politeness: one request in flight per host, and a minimum spacing between request starts.

The spacing is measured start-to-start (next start >= previous start + delay, and never before the
previous request finished), which is the tightest reading of "at most one request per `delay`
seconds" and what makes a national crawl finish near its politeness bound.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import struct
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path


class HostGate:
    def __init__(self, default_delay_s: float, *, clock=time.monotonic, sleep=time.sleep):
        self._default = default_delay_s
        self._delays: dict[str, float] = {}
        self._next: dict[str, float] = {}
        self._busy: set[str] = set()
        self._cond = threading.Condition()
        self._clock = clock
        self._sleep = sleep
        self._listeners: list[Callable[[str], None]] = []

    def on_release(self, listener: Callable[[str], None]) -> None:
        """Call ``listener(host)`` whenever a request to a host ends, outside the gate's lock: a scheduler
        waiting for a busy host learns the moment it frees up instead of polling."""
        with self._cond:
            self._listeners.append(listener)

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
            first = host not in self._next
            self._busy.add(host)
            self._next[host] = now + self.delay(host)
        try:
            yield
        finally:
            with self._cond:
                if first:
                    # A host's first request also opens the connection (name lookup, TCP, TLS), so it reaches
                    # the server later than it left the gate, and the next one, on the open connection, arrives
                    # sooner: spaced from the start alone, the host saw the first two closer than the delay.
                    # From the first request's end instead, at the cost of one request's time per host.
                    self._next[host] = max(self._next[host], self._clock() + self.delay(host))
                self._busy.discard(host)
                self._cond.notify_all()
                listeners = list(self._listeners)
            for listener in listeners:
                listener(host)

    def pause_within_slot(self, host: str, seconds: float) -> None:
        """Sleep between retries while keeping the host reserved, then restart its spacing clock."""
        if seconds > 0:
            self._sleep(seconds)
        with self._cond:
            self._next[host] = max(self._next.get(host, 0.0), self._clock() + self.delay(host))


class SharedHostGate(HostGate):
    """A HostGate whose promise holds across processes on one machine: the crawl shards Dagster's
    multiprocess executor runs side by side share hosts (a vendor's code library serves every city), and
    two processes must not hit one host at once or faster than its delay.

    Each host has a small lock file under ``directory`` (named by a hash of the host, so no host name ever
    becomes a path): a request holds an exclusive ``flock`` on it for its whole duration, and the file
    keeps the wall-clock time before which the host's next request may not start. The in-process gate
    still runs first, so threads of one process queue in memory and only one of them waits on the file.
    """

    def __init__(self, default_delay_s: float, directory: Path, **kwargs):
        super().__init__(default_delay_s, **kwargs)
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    @contextlib.contextmanager
    def slot(self, host: str) -> Iterator[None]:
        with super().slot(host):
            path = self.directory / (hashlib.sha256(host.encode("utf-8")).hexdigest()[:32] + ".gate")
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)            # released by the kernel if the process dies
                raw = os.pread(fd, 8, 0)
                not_before = struct.unpack("<d", raw)[0] if len(raw) == 8 else 0.0
                wait = not_before - time.time()
                if wait > 0:
                    time.sleep(wait)
                os.pwrite(fd, struct.pack("<d", time.time() + self.delay(host)), 0)
                try:
                    yield
                finally:
                    fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)
