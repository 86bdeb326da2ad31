"""When to ask a page again: a per-URL memory of past fetches, and the revisit policy that reads it.

A monthly refresh that asks every page again is paced by politeness, not bytes: conditional GET saves
the bytes of an unchanged page but not its turn on the host. Most municipal pages change rarely, so the
crawl asks a page only when one of these says it may have changed, and otherwise carries forward the
body of its last verified fetch (outcome ``carried``, with that fetch's date and run):

* it is new to us, or its stored body is gone;
* it carried evidence last time, or it is a hub that led to an evidence page (both are what the index
  stands on, so they are checked every run; a hub re-read is how new evidence pages are found);
* its sitemap ``lastmod`` is newer than our last verification (at the precision the sitemap gives);
* its revisit interval has elapsed. The interval adapts to what past runs saw: it doubles each time the
  page is found unchanged and halves when it changed, between ``min_interval_days`` and
  ``max_interval_days``; a page that carried evidence or led to it and changed, or that went away or
  came back, starts again from ``min_interval_days`` (asked next run). A page seen for the first time
  starts from HTTP's heuristic freshness (a tenth of the time since its ``Last-Modified``, RFC 9111
  section 4.2.2), else from ``base_interval_days``.

"Changed" compares the text the crawl read (``content_key``), not raw bytes, so a CMS that stamps every
response with a fresh token or date does not keep a static page on the every-run list.

The memory is a SQLite file beside the conditional-GET validators, written once per city when its crawl
ends; bodies live in the conditional cache's content-addressed store. Home pages, robots.txt, sitemaps
and portal catalogs never consult it: the crawl and the portal survey ask them every run.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

from sources.checks import number_in

LEDGER_FILE = "revisits.sqlite"


@dataclass(frozen=True)
class RevisitPolicy:
    """How eagerly unchanged pages are asked again (defaults suit monthly runs)."""

    enabled: bool = True
    #: A page first seen (without a date that says it is older) is asked again after this long: two monthly
    #: runs later. A change on such a page that neither its sitemap entry nor the evidence and hub rules
    #: reveal is therefore seen within two months at worst; in exchange the first refresh after a full
    #: crawl asks only what may have changed, not every page again.
    base_interval_days: float = 60.0
    #: Never wait less than this between asks (a page that keeps changing is asked every run).
    min_interval_days: float = 28.0
    #: Never carry a page longer than this: even a page that never changed is verified twice a year.
    max_interval_days: float = 182.0
    #: Share of a page's age (since Last-Modified or sitemap lastmod) it is assumed to stay unchanged.
    heuristic_fraction: float = 0.1
    #: A run a few days early (a manual run, a late previous one) still asks what is nearly due.
    slack_days: float = 3.0
    #: Each interval is stretched or shrunk by up to this share, by a hash of the URL and its check count.
    #: Without it, every page a first crawl saw falls due on the same day, and that month's refresh is a
    #: full crawl again; with it, the pages come back spread over the months around their due date.
    jitter: float = 0.3

    def __post_init__(self) -> None:
        """Refuse intervals and shares that are not finite numbers (``nan`` would carry a page for ever)."""
        for name in ("base_interval_days", "min_interval_days", "max_interval_days", "heuristic_fraction",
                     "slack_days"):
            number_in(name, getattr(self, name), 0)
        number_in("jitter", self.jitter, 0, 1, below=True)
        if self.min_interval_days > self.max_interval_days:
            raise ValueError(f"min_interval_days ({self.min_interval_days:g}) is above max_interval_days "
                             f"({self.max_interval_days:g})")

    def first_interval(self, now: datetime, modified: datetime | None, spread: float = 0.5) -> float:
        """Interval of a page seen for the first time, from the age its server or sitemap reports;
        ``spread`` in [0, 1) places it within the jitter (0.5: no change)."""
        days = self.base_interval_days
        if modified is not None and modified <= now:
            days = max(days, self.heuristic_fraction * (now - modified).total_seconds() / 86_400)
        return self._clamp(days * self._stretch(spread))

    def next_interval(self, interval: float, changed: bool, spread: float = 0.5) -> float:
        return self._clamp((interval / 2 if changed else interval * 2) * self._stretch(spread))

    def _stretch(self, spread: float) -> float:
        return 1 - self.jitter + 2 * self.jitter * spread

    def _clamp(self, days: float) -> float:
        return min(self.max_interval_days, max(self.min_interval_days, days))


@dataclass(frozen=True)
class PageMemory:
    """What the last verified fetch of one URL left behind."""

    url: str
    final_url: str
    content_type: str         # the Content-Type header as served (charset included)
    sha256: str               # of the body, the key of the stored copy
    content_key: str          # of the text read from it: what "changed" compares
    verified_at: str          # ISO-8601 UTC: the last time the server confirmed this body (200 or 304)
    changed_at: str           # when this content was first seen
    interval_days: float
    checks: int               # times asked and answered
    changes: int              # of which with changed content
    evidence: bool            # the page yielded evidence when last read
    hub: bool                 # a page it links to yielded evidence when last read
    run_id: str               # the run whose archive holds that verified fetch
    lastmod: str | None       # sitemap lastmod seen at that time
    status: int = 200         # 200: a body; 404 or 410: the server said the page does not exist

    @property
    def absent(self) -> bool:
        return self.status != 200

    @property
    def verified(self) -> datetime:
        # Unreadable (a hand-edited memory): as if never verified, so the page is due and asked again.
        return parse_time(self.verified_at) or datetime.min.replace(tzinfo=UTC)

    def due_at(self) -> datetime:
        return self.verified + timedelta(days=self.interval_days)


@dataclass(frozen=True)
class Decision:
    ask: bool
    reason: str               # new | evidence | hub | sitemap_lastmod | due | robots | no_body | off | fresh
    memory: PageMemory | None = None

    def describe(self) -> str:
        """One phrase for the page row: why the page was asked, or until when it is fresh."""
        if self.ask or self.memory is None:
            return self.reason
        return f"fresh until {self.memory.due_at().date().isoformat()}"


def decide(memory: PageMemory | None, now: datetime, policy: RevisitPolicy,
           lastmod: str | None = None) -> Decision:
    """Ask again, or carry forward? (Whether the stored body still exists is the caller's check.)
    ``lastmod``: the page's sitemap entry, as written there (see :func:`modified_since`)."""
    if memory is None:
        return Decision(True, "new")
    if not policy.enabled:
        return Decision(True, "off", memory)
    if memory.evidence:
        return Decision(True, "evidence", memory)
    if memory.hub:
        return Decision(True, "hub", memory)
    if modified_since(lastmod, memory.verified):
        return Decision(True, "sitemap_lastmod", memory)
    if now >= memory.due_at() - timedelta(days=policy.slack_days):
        return Decision(True, "due", memory)
    return Decision(False, "fresh", memory)


@dataclass(frozen=True)
class Observation:
    """One page as a crawl left it, to be remembered: asked (``verified``) or carried."""

    url: str
    final_url: str
    content_type: str
    sha256: str
    content_key: str
    verified: bool            # asked this run and answered: a body (200 or 304), or absent (404 or 410)
    evidence: bool
    hub: bool
    last_modified: str | None = None   # the response's Last-Modified header
    lastmod: str | None = None         # the sitemap's lastmod for the URL
    fetched_at: str | None = None      # when it was asked (the fetch's own date); None: the ledger's ``now``
    status: int = 200                  # 404 or 410 for a page the server said does not exist


class RevisitLedger:
    """The per-URL memory, shared by every thread (and, through SQLite's locking, every crawl shard)."""

    def __init__(self, directory: Path, policy: RevisitPolicy = RevisitPolicy()):
        self.policy = policy
        Path(directory).mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(Path(directory) / LEDGER_FILE, check_same_thread=False, timeout=60,
                                   isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("""CREATE TABLE IF NOT EXISTS pages (
            url TEXT PRIMARY KEY, final_url TEXT NOT NULL, content_type TEXT NOT NULL, sha256 TEXT NOT NULL,
            content_key TEXT NOT NULL, verified_at TEXT NOT NULL, changed_at TEXT NOT NULL,
            interval_days REAL NOT NULL, checks INTEGER NOT NULL, changes INTEGER NOT NULL,
            evidence INTEGER NOT NULL, hub INTEGER NOT NULL, run_id TEXT NOT NULL, lastmod TEXT,
            status INTEGER NOT NULL DEFAULT 200)""")

    def recall(self, url: str) -> PageMemory | None:
        with self._lock:
            return self._recall_locked(url)

    def _recall_locked(self, url: str) -> PageMemory | None:
        row = self._db.execute("SELECT * FROM pages WHERE url = ?", (url,)).fetchone()
        if row is None:
            return None
        fields = list(row[:15])                     # the columns in PageMemory's order; SQLite has no bool
        fields[10], fields[11] = bool(fields[10]), bool(fields[11])
        return PageMemory(*fields)

    def remember(self, observations: Iterable[Observation], *, now: datetime, run_id: str) -> None:
        """Fold one city's pages into the memory, in one transaction (a killed run loses at most the
        cities it had not finished; what is written is always whole). The old rows are read inside it:
        another thread or crawl shard writing the same URL (a shared document host) cannot slip in
        between, and a carried row is never written back over a newer verification."""
        observations = list(observations)
        if not observations:
            return
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                rows = [row for ob in observations if (row := self._new_row(ob, now, run_id)) is not None]
                if rows:
                    self._db.executemany("INSERT OR REPLACE INTO pages VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                                         rows)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def _new_row(self, ob: Observation, now: datetime, run_id: str) -> tuple | None:
        """The memory's new row for one observation (None: nothing to remember); called in the transaction."""
        stamp = ob.fetched_at or format_time(now)
        old = self._recall_locked(ob.url)
        if not ob.verified:
            # carried: same content, same verification; only the flags move
            return None if old is None else (*_row(old)[:10], int(ob.evidence), int(ob.hub), *_row(old)[12:])
        if old is None:
            modified = parse_http_date(ob.last_modified) or parse_time(ob.lastmod)
            interval = self.policy.first_interval(parse_time(stamp) or now, modified, spread(ob.url, 0))
            checks, changes, changed_at = 1, 0, stamp
        else:
            changed = old.content_key != ob.content_key
            if changed and (old.evidence or old.hub or old.status != ob.status):
                # What the index stood on changed, or the page went away or came back: confirm next run.
                # (Its interval grew while it was asked every run anyway; halving it would still carry a
                # page that was down once for months.)
                interval = self.policy.min_interval_days
            else:
                interval = self.policy.next_interval(old.interval_days, changed, spread(ob.url, old.checks))
            checks, changes = old.checks + 1, old.changes + changed
            changed_at = stamp if changed else old.changed_at
        return (ob.url, ob.final_url, ob.content_type, ob.sha256, ob.content_key, stamp, changed_at,
                interval, checks, changes, int(ob.evidence), int(ob.hub), run_id, ob.lastmod, ob.status)

    def close(self) -> None:
        with self._lock:
            self._db.close()


def spread(url: str, checks: int) -> float:
    """A number in [0, 1) fixed by the URL and how often it was checked: where an interval falls within
    the jitter. A hash, not a random draw, so a run's decisions can be reproduced from its memory."""
    digest = hashlib.sha256(f"{checks}:{url}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _row(m: PageMemory) -> tuple:
    return (m.url, m.final_url, m.content_type, m.sha256, m.content_key, m.verified_at, m.changed_at,
            m.interval_days, m.checks, m.changes, int(m.evidence), int(m.hub), m.run_id, m.lastmod, m.status)


def format_time(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def modified_since(lastmod: str | None, verified: datetime) -> bool:
    """Does a sitemap ``lastmod`` say the page may have changed after ``verified``? At the precision the
    sitemap gave (W3C datetime: a year, a month, a day, or a time): a time is compared as a time, while a
    day, month or year that contains the verification counts as after it, since the change may have come
    later that day. That costs at most one extra request: the next verification is dated after it."""
    if lastmod is None:
        return False
    text = lastmod.strip()
    when = parse_time(text)
    if when is None:
        return False
    if len(text) > 10:                     # a time of day was given
        return when > verified
    period = {4: (when.year,), 7: (when.year, when.month)}.get(len(text), (when.year, when.month, when.day))
    return period >= (verified.year, verified.month, verified.day)[:len(period)]


def parse_time(text: str | None) -> datetime | None:
    """An ISO-8601 time or date, or a W3C year or year-month (all a sitemap's lastmod may be), as UTC (a
    year or month as its first day); None when unreadable."""
    if not text:
        return None
    text = text.strip()
    try:
        if (len(text) == 4 or (len(text) == 7 and text[4] == "-")) and text[:4].isdigit():
            when = datetime(int(text[:4]), int(text[5:7]) if len(text) == 7 else 1, 1)
        else:
            when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def parse_http_date(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
