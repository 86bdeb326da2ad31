"""robots.txt policy per RFC 9309, parsed by protego and cached per origin for the fetcher's life.

RFC 9309 section 2.3.1: a 4xx robots.txt means no restrictions; a 5xx or an unreachable server means
assume complete disallow (we record that as ``robots_disallowed`` with the reason, so the city is
"unknown", not "absent").
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from dataclasses import dataclass

from protego import Protego

from sources.http.outcomes import Outcome
from sources.http.result import FetchResult

#: RFC 9309 asks crawlers to parse at least 500 KiB; anything beyond is ignored.
ROBOTS_MAX_BYTES = 512 * 1024


@dataclass(frozen=True)
class RobotsRules:
    parser: Protego | None       # None: no restrictions
    disallow_all: bool = False
    reason: str = ""
    #: Set when robots.txt could not be reached at all (timeout, DNS, refused, blocked address): the
    #: host is unreachable, and pages on it end with this same outcome rather than "disallowed".
    unreachable: Outcome | None = None
    #: When robots.txt was fetched; in replay, the archived date, so replayed decisions are dated alike.
    fetched_at: str = ""

    def allows(self, url: str, agent: str) -> bool:
        if self.disallow_all:
            return False
        return True if self.parser is None else self.parser.can_fetch(url, agent)

    def sitemaps(self) -> list[str]:
        """Sitemap URLs the file declares (crawlers use them to find pages no link reaches)."""
        return [] if self.parser is None else list(self.parser.sitemaps)

    def crawl_delay(self, agent: str) -> float | None:
        if self.parser is None:
            return None
        delay = self.parser.crawl_delay(agent)
        return float(delay) if delay is not None else None


def rules_from_result(result: FetchResult) -> RobotsRules:
    return dataclasses.replace(_rules(result), fetched_at=result.fetched_at)


def _rules(result: FetchResult) -> RobotsRules:
    if result.ok:
        text = result.body[:ROBOTS_MAX_BYTES].decode("utf-8", errors="replace")
        return RobotsRules(Protego.parse(text))
    if result.status is not None and 400 <= result.status < 500:
        return RobotsRules(None, reason=f"robots.txt {result.status}: no restrictions")
    if result.outcome == Outcome.NOT_ARCHIVED:
        return RobotsRules(None, reason="robots.txt not in archive")
    if result.status is None:
        return RobotsRules(None, unreachable=result.outcome,
                           reason=f"robots.txt unreachable ({result.outcome.value}): {result.error}")
    why = f"robots.txt {result.status}" if result.status else f"robots.txt {result.outcome.value}"
    return RobotsRules(None, disallow_all=True, reason=f"{why}: assume complete disallow (RFC 9309)")


class RobotsCache:
    """One robots.txt fetch per origin; concurrent callers for the same origin wait for the first."""

    def __init__(self, fetch_robots: Callable[[str], FetchResult]):
        self._fetch = fetch_robots
        self._rules: dict[str, RobotsRules] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def rules(self, origin: str) -> RobotsRules:
        with self._guard:
            if origin in self._rules:
                return self._rules[origin]
            lock = self._locks.setdefault(origin, threading.Lock())
        with lock:
            with self._guard:
                if origin in self._rules:
                    return self._rules[origin]
            rules = rules_from_result(self._fetch(origin + "/robots.txt"))
            with self._guard:
                self._rules[origin] = rules
            return rules
