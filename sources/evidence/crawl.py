"""A bounded, polite crawl of one city's official website, most promising links first.

Each city gets a budget (pages, depth, bytes). The crawl starts from the sitemaps robots.txt declares
(and ``/sitemap.xml``) plus the home page, then always fetches the queued link whose anchor text and URL
best suggest one of the evidence topics (rules.yaml, ``links``), so the budget goes to policy,
performance and data pages before news archives. Links are followed on the city's own registrable
domain and on the document hosts cities really use (agenda, legislation and code publishers).
Robots rules, per-host delays, byte caps and archiving are the shared fetcher's job; this module decides
what to fetch and turns each response into a page row and evidence rows.

Why these defaults: a municipal site's evidence pages sit within three clicks of the home page in the
cases we examined by hand, 40 pages covers the home page, the sitemap's top entries and every topical
hub at depth 1–2, and at the fetcher's 1 request/second per host a city then costs under a minute. Bytes:
a city's policy and performance PDFs run to a few MB each; 30 MB per city bounds the worst case while
one 500 MB file is refused by the per-request cap long before it is read.
"""

from __future__ import annotations

import hashlib
import heapq
import re
import threading
import time
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import lru_cache
from urllib.parse import urlsplit

import pandas as pd

from sources.evidence.classify import Evidence, rules_file
from sources.evidence.documents import Document
from sources.evidence.reading import PageReader
from sources.http.fetcher import Fetcher
from sources.http.result import FetchResult
from sources.http.revisit import Decision, Observation, decide
from sources.http.scheduling import HostQueue, run_workers
from sources.http.urls import InvalidURL, normalize_url
from sources.portals.registries import registrable_domain

#: Hosts (registrable domains) whose documents cities publish through vendors, so a city's policy,
#: legislation or performance report may sit there rather than on its own domain:
#: agendas, minutes and legislation (Legistar, Granicus and its iQM2, PrimeGov, NovusAgenda, CivicClerk,
#: eSCRIBE, BoardDocs, CivicWeb, Municode Meetings, CivicPlus-hosted AgendaCenters), municipal codes
#: (Municode, American Legal, eCode360/General Code, Code Publishing, Sterling), document repositories
#: (Laserfiche WebLink cloud, DocumentCloud). Other hosts come from ``CrawlSettings.extra_doc_hosts``.
DEFAULT_DOC_HOSTS = ("legistar.com", "granicus.com", "iqm2.com", "primegov.com", "novusagenda.com",
                     "civicclerk.com", "escribemeetings.com", "boarddocs.com", "civicweb.net",
                     "municodemeetings.com", "civicplus.com", "municode.com", "amlegal.com", "ecode360.com",
                     "generalcode.com", "codepublishing.com", "sterlingcodifiers.com", "laserfiche.com",
                     "documentcloud.org")
#: The warcinfo field in which a crawl's archive declares the document hosts it followed, so a replay of
#: that archive follows the same ones (the built-in sample's simulated hosts among them).
DOC_HOSTS_FIELD = "cdpi-doc-hosts"
PAGE_COLUMNS = ["geoid", "url", "final_url", "depth", "priority", "found_via", "outcome", "status", "content_type",
                "doc_kind", "bytes", "sha256", "fetched_at", "pdf_pages", "extract_error", "evidence_kinds",
                "duplicate_of", "aliases", "verified_at", "revisit", "carried_from_run", "likely_kinds", "not_read"]
EVIDENCE_COLUMNS = ["geoid", "url", "kind", "criteria", "confidence", "snippet", "score", "rule_hits",
                    "fetched_at", "content_hash", "extractor_version", "verified_at", "carried", "fetch_id"]
SUMMARY_COLUMNS = ["geoid", "seed_url", "pages_fetched", "pages_ok", "bytes", "robots_blocked", "unreachable",
                   "queued_left", "stopped_by", "evidence_rows", "kinds_found", "seconds", "pages_carried"]
#: Outcomes of a page the crawl could read (asked and answered, or carried forward unchanged).
_READ = ("ok", "not_modified", "carried")
#: Answers that say a page does not exist (not "could not look"): remembered, and carried like a page.
ABSENT = (404, 410)
_SITEMAP_MAX_URLS = 2_000


@dataclass(frozen=True)
class CrawlLimits:
    max_pages: int = 40
    max_depth: int = 3
    max_bytes: int = 30 * 1024 * 1024
    max_page_bytes: int = 5 * 1024 * 1024        # one HTML page
    max_document_bytes: int = 20 * 1024 * 1024   # one PDF
    max_pdf_pages: int = 40
    doc_hosts: tuple[str, ...] = DEFAULT_DOC_HOSTS

    def with_doc_hosts(self, hosts) -> CrawlLimits:
        """These limits with more document hosts (lower-cased, each once)."""
        more = tuple(h.lower() for h in hosts if h.lower() not in self.doc_hosts)
        return replace(self, doc_hosts=self.doc_hosts + tuple(dict.fromkeys(more))) if more else self

    def archive_info(self) -> dict[str, str]:
        """What a crawl's WARC records about its scope (see ``DOC_HOSTS_FIELD``)."""
        return {DOC_HOSTS_FIELD: " ".join(self.doc_hosts)}


@dataclass
class CityCrawl:
    """Everything one city's crawl produced."""

    geoid: str
    seed_url: str
    pages: list[dict] = field(default_factory=list)
    evidence: list[dict] = field(default_factory=list)
    stopped_by: str = "exhausted"     # exhausted | max_pages | max_bytes | seed_unreachable
    queued_left: int = 0
    seconds: float = 0.0              # wall time of the city's crawl, politeness waits included

    def summary(self) -> dict:
        ok = [p for p in self.pages if p["outcome"] in _READ]
        return {"geoid": self.geoid, "seed_url": self.seed_url, "pages_fetched": len(self.pages),
                "pages_ok": len(ok), "bytes": sum(p["bytes"] for p in self.pages),
                "robots_blocked": sum(p["outcome"] == "robots_disallowed" for p in self.pages),
                "unreachable": sum(p["outcome"] not in (*_READ, "http_error", "robots_disallowed", "too_large")
                                   for p in self.pages),
                "queued_left": self.queued_left, "stopped_by": self.stopped_by,
                "evidence_rows": len(self.evidence),
                "kinds_found": ";".join(sorted({e["kind"] for e in self.evidence})),
                "seconds": round(self.seconds, 3),
                "pages_carried": sum(p["outcome"] == "carried" for p in self.pages)}


@dataclass(frozen=True)
class _LinkRules:
    follow: tuple[tuple[re.Pattern[str], float], ...]
    avoid: tuple[tuple[re.Pattern[str], float], ...]
    depth_penalty: float
    min_priority: float
    #: Per ``follow`` pattern, the evidence kinds a page its link leads to would likely show (rules.yaml).
    kinds: tuple[tuple[str, ...], ...] = ()


@lru_cache(maxsize=2)
def _link_rules() -> _LinkRules:
    raw = rules_file().links
    comp = lambda xs: tuple((re.compile(x.p, re.I), x.w) for x in xs)  # noqa: E731
    return _LinkRules(comp(raw.follow), comp(raw.avoid), raw.depth_penalty, raw.min_priority,
                      tuple(tuple(x.kinds) for x in raw.follow))


def link_priority(url: str, anchor: str, depth: int) -> float:
    """How promising a link looks: topical words in its text or path, minus noise, minus depth."""
    parts = urlsplit(url)
    return _topical_score(f"{anchor} {parts.path} {parts.query}") - _link_rules().depth_penalty * depth


def likely_kinds(url: str, anchor: str) -> str:
    """The evidence kinds (``;``-separated, in rules.yaml's kind order) a page reached by this link would
    likely show: those the ``links.follow`` patterns its text and URL match name. None when an ``avoid``
    pattern matches too (a log-in page, an image or a calendar is not where a practice is shown). Recorded
    on the page's row so that, when the page cannot be read, the index knows which signals it leaves unknown
    rather than absent (warehouse/index/signals.py)."""
    parts = urlsplit(url)
    return _likely_kinds(f"{anchor} {parts.path} {parts.query}")


@lru_cache(maxsize=65_536)
def _likely_kinds(target: str) -> str:
    rules = _link_rules()
    if any(rx.search(target) for rx, _ in rules.avoid):
        return ""
    named = {k for (rx, _), kinds in zip(rules.follow, rules.kinds, strict=True) if kinds and rx.search(target)
             for k in kinds}
    return ";".join(k for k in rules_file().kinds if k in named)


def not_read_reason(outcome: str, status: int | None, doc: Document | None = None) -> str | None:
    """Why a page the crawl asked for could not be read, or None when it was read or the server said it does
    not exist (404 or 410: absent, a fact about the site). Everything else (a timeout, a 5xx, a 429 given
    up, a 403, robots.txt, a body too large, a redirect to a private address, a record a replay lacks, a
    PDF with no readable text) leaves what the page holds unknown, which is never evidence of absence."""
    if outcome in _READ:
        if doc is not None and doc.kind in ("html", "pdf", "text") and doc.error and not doc.text:
            # Always "unreadable: " first (a LIKE 'unreadable:%' filter finds every such page), the word once:
            # "unreadable PDF: ..." becomes "unreadable: PDF: ...", not "unreadable: unreadable PDF: ...".
            error = doc.error
            if error.lower().startswith("unreadable"):
                error = error[len("unreadable"):].lstrip(" :") or doc.kind.upper()
            return f"unreadable: {error}"
        return None
    if outcome == "http_error":
        return None if status in ABSENT else f"http_error {status}" if status else "http_error"
    return outcome


@lru_cache(maxsize=65_536)
def _topical_score(target: str) -> float:
    """Cached: a site repeats its menu on every page, so most links are scored many times over."""
    rules = _link_rules()
    score = sum(w for rx, w in rules.follow if rx.search(target))
    return score - sum(w for rx, w in rules.avoid if rx.search(target))


class CityCrawler:
    """One city's crawl as a sequence of steps: ``next()`` says which URL to fetch, ``take()`` reads the
    response. Stepping lets a scheduler interleave hundreds of cities on a few workers (each one busy
    with a request, never asleep on a host's politeness delay) while every city still sees exactly the
    order of fetches a one-city-at-a-time crawl would make."""

    def __init__(self, fetcher: Fetcher, geoid: str, website: str, limits: CrawlLimits = CrawlLimits(),
                 now: datetime | None = None, reader: PageReader | None = None):
        self.fetcher, self.limits, self.website = fetcher, limits, website
        self.reader = reader or PageReader()
        self.out = CityCrawl(geoid, website)
        self._site_domain = registrable_domain(urlsplit(website).hostname)
        self._doc_domains = set(limits.doc_hosts)
        # (-priority, order, url, depth, found_via, host when off the city's own domain else "", parent URL,
        #  the kinds the link suggests its page shows)
        self._queue: list[tuple[float, int, str, int, str, str, str, str]] = []
        #: The revisit policy's memory (live runs with a cache), the clock it reads, what the sitemaps say.
        self._ledger = fetcher.ledger
        self._now = now or datetime.now(UTC)
        self._lastmod: dict[str, str] = {}
        #: What to remember of each page read (``_remember``), in crawl order.
        self._read: list[_Read] = []
        self._seen: set[str] = set()
        # A page is read once: the row of the first fetch that returned it, by final URL and by body hash.
        self._read_at: dict[str, dict] = {}
        self._read_body: dict[str, dict] = {}
        self._order = 0
        self._spent = 0
        self._home_done = False
        self._done = False
        self._began: float | None = None  # first step's start: ``seconds`` is the crawl's wall-clock span
        self._push(website, 0, float("inf"), "seed")

    @property
    def done(self) -> bool:
        return self._done

    def peek_host(self) -> str | None:
        """Host of the URL the next step will fetch (None when the crawl is over)."""
        return urlsplit(self._queue[0][2]).hostname if self._queue and not self._done else None

    def step(self, prefer: str | None = None) -> bool:
        """Fetch and read the next URL (the best one on host ``prefer`` when given and within the budget);
        False once the crawl has ended (budget, exhaustion, dead seed)."""
        if self._done:
            return False
        if self._began is None:
            self._began = time.monotonic()
        self._step(prefer)
        if self._done:
            self.out.queued_left = len(self._queue)
            self.out.seconds = time.monotonic() - self._began
            self._remember()
        return not self._done

    def _stop(self, reason: str | None = None) -> None:
        if reason:
            self.out.stopped_by = reason
        self._done = True

    def _push(self, url: str, depth: int, priority: float, via: str, parent: str = "", kinds: str = "") -> None:
        """Queue an in-scope link once: on the city's own registrable domain or a document host. ``kinds``:
        what the link suggests its page shows (``likely_kinds``), from the first link that queued it."""
        key = _key(url)
        if key in self._seen or depth > self.limits.max_depth:
            return
        host = urlsplit(url).hostname or ""
        dom = registrable_domain(host)
        if not dom or (dom != self._site_domain and dom not in self._doc_domains):
            return
        self._seen.add(key)
        self._order += 1
        offsite = "" if dom == self._site_domain else host
        heapq.heappush(self._queue, (-priority, self._order, url, depth, via, offsite, parent, kinds))

    def offsite_hosts(self) -> list[str]:
        """Hosts off the city's own domain among the URLs its remaining budget will reach, best first.

        These are the vendor hosts (code libraries, agenda systems) that many cities share; a scheduler
        uses them to give this city a turn the moment such a host is free (see ``_schedule``)."""
        if self._done:
            return []
        hosts: list[str] = []
        for entry in self._within_budget():
            if entry[5] and entry[5] not in hosts:
                hosts.append(entry[5])
        return hosts

    def _within_budget(self) -> list[tuple[float, int, str, int, str, str, str, str]]:
        """The queued URLs the remaining page budget reaches in today's ranking, best first."""
        return heapq.nsmallest(self.limits.max_pages - len(self.out.pages), self._queue)

    def _pop(self, prefer: str | None) -> tuple[float, int, str, int, str, str, str, str]:
        """The most promising URL, or, when the scheduler hands this city a free shared host, the best
        URL on that host among those the remaining budget reaches in today's ranking. Fetching it early
        rarely changes which pages the budget covers (only when links found later would have outranked
        it); a replay never reorders, so it stays exact."""
        if prefer:
            for entry in self._within_budget():
                if entry[5] == prefer:
                    self._queue.remove(entry)
                    heapq.heapify(self._queue)
                    return entry
        return heapq.heappop(self._queue)

    def _already_read(self, page: dict) -> bool:
        """Whether this fetch returned a page already read in this crawl: the same final URL (an alias that
        redirects to it) or the same bytes (the page under a second address). Such a fetch is recorded with
        ``duplicate_of`` and adds its URL to the first row's ``aliases``; its evidence would only repeat
        the first row's. A new page is registered, and its final URL marked seen so it is not queued again."""
        final_key = _key(page["final_url"])
        first = self._read_at.get(final_key) or self._read_body.get(page["sha256"])
        if first is not None:
            page["duplicate_of"] = first["final_url"]
            _add_alias(first, page["url"])
            return True
        self._read_at[final_key] = self._read_body[page["sha256"]] = page
        if final_key != _key(page["url"]):
            self._read_at.setdefault(_key(page["url"]), page)
            self._seen.add(final_key)
        return False

    def _step(self, prefer: str | None) -> None:
        limits, out = self.limits, self.out
        if not self._queue:
            return self._stop()
        if len(out.pages) >= limits.max_pages:
            return self._stop("max_pages")
        if self._spent >= limits.max_bytes:
            return self._stop("max_bytes")
        neg, _, url, depth, via, _, parent, kinds = self._pop(prefer)
        first = self._read_at.get(_key(url))
        if first is not None:       # a redirect already brought us here: nothing new to ask or read
            _add_alias(first, url)
            if not self._queue:
                self._stop()
            return None
        room = limits.max_bytes - self._spent
        is_doc = url.lower().split("?")[0].endswith(".pdf")
        cap = min(room, limits.max_document_bytes if is_doc else limits.max_page_bytes)
        decision, stored = self._decide(url, via)
        if decision is not None and not decision.ask and decision.memory is not None:
            res = self.fetcher.carry(url, decision.memory, stored, max_bytes=max(cap, 1))
        else:
            res = self.fetcher.get(url, max_bytes=max(cap, 1))
        self._spent += len(res.body)
        page, doc, found = _page_row(out.geoid, res, depth, -neg, via, limits, self.reader)
        page["likely_kinds"] = kinds
        if decision is not None:
            page["revisit"] = decision.describe()
        out.pages.append(page)
        if res.outcome.value == "too_large" and cap == room:
            return self._stop("max_bytes")   # the city's remaining budget, not the page's own cap, cut it off
        if res.ok and self._already_read(page):
            pass                             # the same page again (an alias, a redirect, a copy): no new evidence
        elif doc is not None and doc.text:   # a PDF that failed on page 5 still has pages 1-4 to read
            page["evidence_kinds"] = ";".join(e.kind for e in found)
            out.evidence.extend(_evidence_row(out.geoid, res, e) for e in found)
        if self._ledger is not None and (res.ok or res.status in ABSENT):
            self._note_read(page, res, doc, parent)
        if doc is not None and doc.kind == "html" and depth < limits.max_depth:
            for link, anchor in doc.links:
                if link.startswith(("http://", "https://")):
                    self._push(link, depth + 1, link_priority(link, anchor, depth + 1), "link", url,
                               likely_kinds(link, anchor))
        if not self._home_done:
            self._home_done = True
            if not res.ok and res.outcome.value != "http_error":
                return self._stop("seed_unreachable")
            for sm, lastmod in _sitemap_urls(self.fetcher, self.website, res):
                if lastmod:
                    self._lastmod.setdefault(_key(sm), lastmod)
                self._push(sm, 1, link_priority(sm, "", 1), "sitemap", kinds=likely_kinds(sm, ""))
        if not self._queue:
            self._stop()


    def _decide(self, url: str, via: str) -> tuple[Decision | None, bytes]:
        """Ask ``url`` this run or carry its last verified fetch forward (sources/http/revisit.py), and the
        stored body a carry reads. No decision when there is no memory to consult (a replay, no cache) or
        for the home page, asked every run; a page robots.txt no longer allows (``robots``) or whose stored
        body is gone (``no_body``) is asked."""
        if self._ledger is None or via == "seed":
            return None, b""
        key = _ledger_key(url)
        memory = self._ledger.recall(key)
        decision = decide(memory, self._now, self._ledger.policy,
                          self._lastmod_of(url, memory.final_url if memory is not None else None))
        if decision.ask or memory is None:
            return decision, b""
        if not self.fetcher.robots_allow(url, memory.final_url):
            return Decision(True, "robots", memory), b""   # asked, so robots.txt answers as it does today
        if memory.absent:
            return decision, b""
        body = self.fetcher.cache.kept(memory.sha256) if self.fetcher.cache is not None else None
        return (Decision(True, "no_body", memory), b"") if body is None else (decision, body)

    def _lastmod_of(self, url: str, final_url: str | None = None) -> str | None:
        """The sitemap's lastmod for a page, found under the same key the crawl gives pages (``/about/``
        and ``/about`` are one page), by the address asked or by where it last led (a link to
        ``/about-us`` that redirects to the ``/about`` the sitemap lists)."""
        found = self._lastmod.get(_key(url))
        return found if found is not None or not final_url else self._lastmod.get(_key(final_url))

    def _remember(self) -> None:
        """The crawl ended: fold what it read into the revisit memory, with each page's evidence and hub
        flags (a hub is a page that linked to a page with evidence). Bodies asked this run are stored for
        carrying; carried ones already are."""
        if self._ledger is None or not self._read:
            return
        hubs = {_ledger_key(r.parent) for r in self._read if r.page["evidence_kinds"] and r.parent}
        observations = [Observation(
            url=r.key, final_url=r.page["final_url"], content_type=r.content_type, sha256=r.page["sha256"] or "",
            content_key=r.text_key, verified=r.page["carried_from_run"] is None,
            evidence=bool(r.page["evidence_kinds"]), hub=r.key in hubs, last_modified=r.last_modified,
            lastmod=self._lastmod_of(r.key, r.page["final_url"]), fetched_at=r.page["fetched_at"], status=r.status)
            for r in self._read]
        self._ledger.remember(observations, now=self._now, run_id=self.fetcher.run_id)

    def _note_read(self, page: dict, res: FetchResult, doc: Document | None, parent: str) -> None:
        """Keep what the revisit memory needs of a page read, or of a page the server said does not exist:
        its body in the content store (a page asked this run may be carried next run), and a key of its
        text, which is what "changed" compares."""
        if not res.ok:
            self._read.append(_Read(page, _ledger_key(res.url), parent, None, f"absent:{res.status}", "",
                                    res.status or 0))
            return
        if res.carried_from is None and self.fetcher.cache is not None:
            self.fetcher.cache.keep(res.body)
        text_key = (hashlib.sha256(doc.text.encode("utf-8", "replace")).hexdigest()
                    if doc is not None and doc.text else page["sha256"])
        self._read.append(_Read(page, _ledger_key(res.url), parent, res.headers.get("last-modified"), text_key,
                                res.headers.get("content-type", "")))


@dataclass(frozen=True)
class _Read:
    """A page the crawl read, as the revisit memory will record it."""

    page: dict
    key: str                   # the ledger's key: the URL asked, normalized
    parent: str                # the page whose link queued it ("" for the seed and sitemap entries)
    last_modified: str | None  # the response's Last-Modified header
    text_key: str              # SHA-256 of the text read (of the bytes when nothing was read)
    content_type: str          # the Content-Type header as served
    status: int = 200          # 404 or 410: the server said the page does not exist


def crawl_city(fetcher: Fetcher, geoid: str, website: str, limits: CrawlLimits = CrawlLimits(),
               now: datetime | None = None) -> CityCrawl:
    """Crawl one city's site within ``limits``; every fetch becomes a page row, whatever its outcome."""
    crawler = CityCrawler(fetcher, geoid, website, limits, now)
    while crawler.step():
        pass
    return crawler.out


def crawl_cities(fetcher: Fetcher, cities: pd.DataFrame, *, limits: CrawlLimits = CrawlLimits(), workers: int = 8,
                 progress: Callable[[int, int], None] | None = None, now: datetime | None = None,
                 readers: int = 0) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Crawl every city with a website; returns (pages, evidence, summaries).

    ``workers`` threads share every city: each free worker takes the city whose next host may be
    contacted soonest and makes one step of its crawl. A city is stepped by one worker at a time, so its
    own crawl is sequential and identical to a lone crawl; across cities, workers fill the time a host's
    politeness delay would otherwise leave idle. Per-host politeness stays the fetcher's job.

    ``readers`` worker processes read what the threads fetch (``sources/evidence/reading.py``); 0 reads
    in the threads themselves. The result is the same either way. With readers there are at least two
    threads per reader, so each reader has a page waiting while the next one is fetched (a replay's
    fetcher allows a single thread, its fetches being local reads, which would leave readers idle). Readers
    started early in this process (``reading.started_early``) are used when their number matches."""
    todo = cities[cities["website_url"].notna() & (cities["website_url"] != "")]
    now = now or datetime.now(UTC)   # one clock for every city: the revisit decisions of one run agree
    with PageReader.take(readers if len(todo) else 0) as reader:
        reader.start()
        crawlers = [CityCrawler(fetcher, g, w, limits, now, reader)
                    for g, w in zip(todo["geoid"], todo["website_url"], strict=True)]
        _schedule(fetcher, crawlers, max(1, workers, 2 * readers + 1 if readers else 0), progress)
    results = [c.out for c in crawlers]
    pages = pd.DataFrame([p for r in results for p in r.pages], columns=PAGE_COLUMNS)
    evidence = pd.DataFrame([e for r in results for e in r.evidence], columns=EVIDENCE_COLUMNS)
    summaries = pd.DataFrame([r.summary() for r in results], columns=SUMMARY_COLUMNS)
    return pages, evidence, summaries


class _Turns:
    """The crawl's policy for the shared scheduler (sources/http/scheduling.py): which city steps next.

    Every city waiting for a turn sits in a ``HostQueue`` keyed by when the host of its best URL may next
    be contacted. A host that several cities link (a vendor's code library or agenda system) is the
    national crawl's bottleneck: it alone needs requests x delay seconds, so every moment it sits idle
    adds to the whole run. Such a host therefore gets a turn of its own: the moment it is free, the next
    worker steps a city whose budget reaches it, ahead of the queue. Without this, the first round of
    every city's home page and sitemap (hundreds of cities) would come before any city's second step,
    and the shared host would idle through it. For the same reason a city starts only when no started
    city can make a step right now: started cities go deep enough to find their shared-host links, and
    the workers stay busy all the same. A piece of work is ``(city, shared host to use or None)``."""

    def __init__(self, fetcher: Fetcher, crawlers: list[CityCrawler],
                 progress: Callable[[int, int], None] | None = None):
        self.fetcher, self.crawlers, self.progress = fetcher, crawlers, progress
        self.live = not fetcher.config.replaying        # a replay keeps each city's strict order
        self.cond = threading.Condition()
        self.ready: HostQueue[int] = HostQueue()        # cities waiting for a turn (taking one invalidates it)
        self.fresh = deque(range(len(crawlers)))     # cities not started yet
        self.waiting: dict[str, dict[int, None]] = {}    # off-site host -> idle cities that want it, in order
        self.wants: dict[int, list[str]] = {}
        self.first_linker: dict[str, int] = {}          # off-site host -> the first city that queued it
        self.shared: set[str] = set()                   # hosts linked by two cities or more
        self.claims: dict[str, tuple[float, int]] = {}  # shared host -> (when, city) a step was handed it
        self.running = 0
        self.finished = 0
        self.error: BaseException | None = None
        fetcher.gate.on_release(self._released)

    def _released(self, host: str) -> None:
        """A request ended (gate callback, any thread): wake the workers if a city waits for that host."""
        if host in self.shared and self.waiting.get(host):
            with self.cond:
                self.cond.notify_all()

    def ready_time(self, crawler: CityCrawler) -> float:
        host = crawler.peek_host()
        if not host:
            return 0.0
        at, busy = self.fetcher.gate.earliest(host)
        # A host in use by another city (a shared document host) frees up no sooner than its next start.
        return max(at, time.monotonic() + 0.02) if busy or self._claimed(host, at) else at

    def _claimed(self, host: str, at: float) -> bool:
        """A step was handed this host and has not started its request yet (the gate moves the host's
        next start when a request starts); the claim ends there, not when the step's parsing ends."""
        claim = self.claims.get(host)
        return claim is not None and at <= claim[0]

    def park(self, i: int) -> None:
        """City ``i`` waits for its next turn."""
        crawler = self.crawlers[i]
        self.ready.push(i, self.ready_time(crawler))
        if not self.live:
            return
        self.wants[i] = crawler.offsite_hosts()
        for host in self.wants[i]:
            self.waiting.setdefault(host, {})[i] = None
            if self.first_linker.setdefault(host, i) != i:
                self.shared.add(host)

    def take(self) -> tuple[int, str | None] | None:
        """The next (city, shared host to use) to step, or None when every crawl has ended. Waits."""
        while True:
            if self.error is not None or (not self.ready and not self.fresh and self.running == 0):
                self.cond.notify_all()
                return None
            now = time.monotonic()
            wake = float("inf")
            for host in self.shared:
                if not self.waiting.get(host):
                    continue
                at, busy = self.fetcher.gate.earliest(host)
                if busy or self._claimed(host, at):
                    continue                  # the gate says when its request ends (``_released``)
                if at > now:
                    wake = min(wake, at)
                    continue
                i = self._start(next(iter(self.waiting[host])))
                self.claims[host] = (now, i)
                return i, host
            if self.fresh and self.ready.next_at() > now:
                return self._start(self.fresh.popleft()), None
            due, at = self.ready.pop_due(lambda k: self.ready_time(self.crawlers[k]))
            if due is None:
                wake = min(at, wake)
                self.cond.wait(timeout=None if wake == float("inf") else max(0.0, wake - time.monotonic()))
                continue
            return self._start(due), None

    def _start(self, i: int) -> int:
        self.ready.invalidate(i)
        for host in self.wants.pop(i, ()):
            self.waiting[host].pop(i, None)
        self.running += 1
        return i

    def done(self, work: tuple[int, str | None], more: bool) -> None:
        """City ``i`` ended its step; it waits for its next turn, or its crawl has ended."""
        i, host = work
        self.running -= 1
        if host is not None and self.claims.get(host, (0, -1))[1] == i:
            del self.claims[host]
        self.cond.notify_all()
        if more:
            self.park(i)
            return
        self.finished += 1
        if self.progress:
            self.progress(self.finished, len(self.crawlers))

    def failed(self, work: tuple[int, str | None]) -> None:
        i, host = work
        self.running -= 1
        if host is not None and self.claims.get(host, (0, -1))[1] == i:
            del self.claims[host]


def _schedule(fetcher: Fetcher, crawlers: list[CityCrawler], workers: int,
              progress: Callable[[int, int], None] | None) -> None:
    """Run every crawler to its end on ``workers`` threads: a free shared host first, else the city
    whose next host is ready soonest."""
    turns = _Turns(fetcher, crawlers, progress)
    if progress:
        progress(0, len(crawlers))
    run_workers(turns, lambda work: crawlers[work[0]].step(prefer=work[1]), min(workers, len(crawlers)),
                name="crawl")


def _page_row(geoid: str, res: FetchResult, depth: int, priority: float, via: str, limits: CrawlLimits,
              reader: PageReader) -> tuple[dict, Document | None, list[Evidence]]:
    """The page's log row, its document when it is HTML, PDF or plain text (images, archives and feeds are
    fetched and archived but not read), and the evidence found in it."""
    doc: Document | None = None
    found: list[Evidence] = []
    if res.ok:
        doc, found = reader.read(res.body, content_type=res.content_type, charset_header=res.headers.get("content-type"),
                                 url=res.final_url, max_pdf_pages=limits.max_pdf_pages)
    row = {"geoid": geoid, "url": res.url, "final_url": res.final_url, "depth": depth,
           "priority": None if priority == float("inf") else round(priority, 3), "found_via": via,
           "outcome": res.outcome.value, "status": res.status, "content_type": res.content_type or None,
           "doc_kind": doc.kind if doc is not None else None, "bytes": len(res.body),
           "sha256": hashlib.sha256(res.body).hexdigest() if res.ok else None, "fetched_at": res.fetched_at,
           "pdf_pages": doc.pages if doc is not None else None,
           "extract_error": (doc.error if doc is not None else (res.error if not res.ok else None)),
           "evidence_kinds": "", "duplicate_of": None, "aliases": "",
           # When the server last confirmed this answer (a body, or that the page does not exist): now for a
           # page asked, the original date when carried.
           "verified_at": res.fetched_at if res.ok or res.status in ABSENT else None, "revisit": None,
           "carried_from_run": res.carried_from, "likely_kinds": "",
           "not_read": not_read_reason(res.outcome.value, res.status, doc)}
    return row, doc, found


def _add_alias(page: dict, url: str) -> None:
    """Record another URL that led to ``page`` (``;``-separated, each once, never the page's own)."""
    known = page["aliases"].split(";") if page["aliases"] else []
    if url not in known and url not in (page["url"], page["final_url"]):
        page["aliases"] = ";".join([*known, url])


def _evidence_row(geoid: str, res: FetchResult, e) -> dict:
    return {"geoid": geoid, "url": res.final_url, "kind": e.kind, "criteria": ";".join(e.criteria),
            "confidence": e.confidence, "snippet": e.snippet, "score": e.score, "rule_hits": " | ".join(e.hits),
            "fetched_at": res.fetched_at, "content_hash": hashlib.sha256(res.body).hexdigest(),
            "extractor_version": e.extractor_version, "verified_at": res.fetched_at,
            "carried": res.outcome.value == "carried", "fetch_id": res.fetch_id}


def _sitemap_urls(fetcher: Fetcher, website: str, home: FetchResult) -> list[tuple[str, str | None]]:
    """(page URL, its lastmod) from the sitemaps robots.txt declares, else ``/sitemap.xml``; one level of
    sitemap index."""
    parts = urlsplit(home.final_url if home.ok else website)
    origin = f"{parts.scheme}://{parts.netloc}"
    declared = fetcher.robots.rules(origin).sitemaps()
    urls: list[tuple[str, str | None]] = []
    for sm in (declared or [origin + "/sitemap.xml"])[:3]:
        entries, nested = _read_sitemap(fetcher, sm)
        urls.extend(entries)
        for child in nested[:3]:
            urls.extend(_read_sitemap(fetcher, child)[0])
        if len(urls) >= _SITEMAP_MAX_URLS:
            break
    return urls[:_SITEMAP_MAX_URLS]


def _read_sitemap(fetcher: Fetcher, url: str) -> tuple[list[tuple[str, str | None]], list[str]]:
    """((page URL, lastmod) pairs, nested sitemap URLs); a missing or malformed sitemap is simply empty."""
    res = fetcher.get(url, max_bytes=10 * 1024 * 1024)
    if not res.ok:
        return [], []
    try:
        root = ET.fromstring(res.body)
    except ET.ParseError:
        return [], []
    if root.tag.endswith("sitemapindex"):
        return [], [el.text.strip() for el in root.iter() if el.tag.endswith("loc") and el.text]
    entries: list[tuple[str, str | None]] = []
    for item in root:
        fields = {child.tag.rsplit("}", 1)[-1]: (child.text or "").strip() for child in item}
        if fields.get("loc"):
            entries.append((fields["loc"], fields.get("lastmod") or None))
    return entries, []


def _ledger_key(url: str) -> str:
    """The revisit memory's key: the URL as the archive normalizes it (the URL itself when unparsable)."""
    try:
        return normalize_url(url)
    except InvalidURL:
        return url


def _key(url: str) -> str:
    """Same page, same key: the archive's URL normalization, without a trailing slash."""
    try:
        return normalize_url(url).rstrip("/")
    except InvalidURL:
        return url   # still fetched once, so the bad link is recorded with its outcome
