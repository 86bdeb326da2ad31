"""The one HTTP client every source uses: polite, guarded, archived, and replayable.

Live and replay share everything above the single hop (robots, redirects, logging), so re-scoring a
run from its WARC walks exactly the code path the live run walked.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http.client import responses as _REASONS
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter

from sources.http.addresses import AddressBlocked, AddressPolicy, ResolutionFailed
from sources.http.archive import Exchange, ReplayIndex, WarcArchive, warc_now
from sources.http.body import BodyLimits, read_capped
from sources.http.conditional import ConditionalCache
from sources.http.config import FetcherConfig
from sources.http.fetchlog import FetchLog
from sources.http.outcomes import Outcome
from sources.http.politeness import HostGate, SharedHostGate
from sources.http.result import FetchResult
from sources.http.revisit import PageMemory, RevisitLedger
from sources.http.robots import RobotsCache
from sources.http.scheduling import HostQueue, run_workers
from sources.http.urls import InvalidURL, host_of, normalize_url, origin_of

_REDIRECTS = {301, 302, 303, 307, 308}
#: Archived with a 304 that confirms a body refused as too large is unchanged (no body to reuse).
_REFUSED_UNCHANGED = "X-Cdpi-Refused-Unchanged"
_CHUNK = 64 * 1024
#: Hop-level headers that describe the wire, not the body we keep; rewritten before archiving.
_WIRE_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}


class _PinnedTLSAdapter(HTTPAdapter):
    """Connects to a vetted IP while verifying TLS and sending SNI for the logical host name."""

    def build_connection_pool_key_attributes(self, request, verify, cert=None):
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        logical = (request.headers.get("Host") or "").rsplit(":", 1)[0] if request.headers else ""
        if host_params.get("scheme") == "https" and logical:
            pool_kwargs["server_hostname"] = logical
            pool_kwargs["assert_hostname"] = logical
        return host_params, pool_kwargs


class _Hop:
    """What one hop (after retries) produced."""

    __slots__ = ("outcome", "status", "headers", "body", "error", "attempts", "date", "from_cache", "source",
                 "final_url", "carried_from")

    def __init__(self, outcome: Outcome, *, status: int | None = None,
                 headers: list[tuple[str, str]] | None = None, body: bytes = b"", error: str | None = None,
                 attempts: int = 1, date: str = "", from_cache: bool = False, source: str | None = None):
        self.outcome, self.status, self.headers, self.body = outcome, status, headers or [], body
        self.error, self.attempts, self.date, self.from_cache = error, attempts, date, from_cache
        self.source = source   # replay: the archive file that answered
        self.final_url: str | None = None   # replay of a carried page: where its verified fetch ended
        self.carried_from: str | None = None   # replay of a carried page: the run it was carried from


#: Worker threads of a replay (``fetch_many``, and the crawl and portal survey, which size their pools by
#: ``config.concurrency``). A replayed fetch reads a local file and never waits on a host, so the work is
#: CPU-bound under one GIL: 32 threads gave identical results for ~15 % more CPU (switching, lock
#: contention) and more memory (32 documents parsed at once) than one.
REPLAY_CONCURRENCY = 1


class Fetcher:
    def __init__(self, config: FetcherConfig, *, run_dir: Path | None = None, run_id: str = "adhoc",
                 archive_prefix: str = "cdpi", archive_info: dict[str, str] | None = None):
        if config.replaying and config.concurrency > REPLAY_CONCURRENCY:
            config = dataclasses.replace(config, concurrency=REPLAY_CONCURRENCY)
        self.config = config
        self.run_id = run_id
        self._policy = AddressPolicy(config.resolve, config.allow_addresses)
        delay = 0.0 if config.replaying else config.min_delay_s
        self.gate = (SharedHostGate(delay, config.shared_gate_dir)
                     if config.shared_gate_dir is not None and not config.replaying else HostGate(delay))
        self.robots = RobotsCache(lambda url: self.get(url, _robots=True))
        self._replay = ReplayIndex(config.replay) if config.replaying else None
        self.archive = (None if config.replaying or run_dir is None else
                        WarcArchive(Path(run_dir) / "warc", archive_prefix,
                                    {"operator": config.contact_url, "http-header-user-agent":
                                     config.full_user_agent, "cdpi-run-id": run_id, **(archive_info or {})}))
        self.cache = (ConditionalCache(config.cache_dir)
                      if config.cache_dir is not None and not config.replaying else None)
        #: What past runs saw of each page, for the crawl's revisit policy (live runs with a cache only: a
        #: replay answers from its archive, which holds the carried pages of the run it replays).
        self.ledger = (RevisitLedger(self.cache.directory, config.revisit)
                       if self.cache is not None and config.revisit is not None and config.revisit.enabled
                       else None)
        self.log = FetchLog(run_dir, run_id, prefix=f"fetch_log-{archive_prefix}")
        #: Where a body larger than config.max_bytes (allowed by a raised per-request cap) is held while it
        #: is read, as a file without a name: the run folder when there is one (on disk, where the WARCs
        #: go), else the system's temporary folder, which may be backed by memory.
        self._spill_dir = Path(run_dir) if run_dir is not None else None
        self._global = threading.BoundedSemaphore(max(1, config.concurrency))
        self._session = requests.Session()
        self._session.trust_env = False  # proxies would defeat address pinning
        adapter = _PinnedTLSAdapter(pool_connections=64, pool_maxsize=max(4, config.concurrency),
                                    max_retries=0)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)

    # ------------------------------------------------------------------ public API
    def get(self, url: str, headers: dict[str, str] | None = None, *, method: str = "GET",
            max_bytes: int | None = None, _robots: bool = False) -> FetchResult:
        """Fetch one URL following redirects. Never raises for network or server behaviour.

        ``max_bytes`` raises or lowers the body cap for this request only (whole-catalog documents such
        as a large data.json are legitimately bigger than any web page)."""
        cap = max_bytes or self.config.max_bytes
        started = time.monotonic()
        fetched_at = warc_now()
        try:
            current = normalize_url(url)
        except InvalidURL as exc:
            return self._finish(FetchResult(url, url, method, Outcome.INVALID_URL, error=str(exc),
                                            fetched_at=fetched_at), started)
        seen = {current}
        redirects: list[str] = []
        attempts = 0
        hop = None
        for _ in range(self.config.max_redirects + 1):
            if self.config.obey_robots and not _robots:
                rules = self.robots.rules(origin_of(current))
                if rules.unreachable is not None:
                    return self._finish(FetchResult(url, current, method, rules.unreachable,
                                                    error=rules.reason, attempts=attempts,
                                                    fetched_at=fetched_at, redirects=redirects), started)
                if not self.config.replaying:
                    delay = rules.crawl_delay(self._ua_token)
                    if delay:
                        self.gate.set_delay(host_of(current), min(delay, self.config.max_crawl_delay_s))
                if not rules.allows(current, self._ua_token):
                    error = rules.reason or "disallowed by robots.txt"
                    if self._replay is not None and not redirects:
                        fetched_at = rules.fetched_at
                    if self.archive is not None:
                        self.archive.write_failure(url=current, method=method, error=error, date=warc_now(),
                                                   outcome=Outcome.ROBOTS_DISALLOWED.value)
                    return self._finish(FetchResult(url, current, method, Outcome.ROBOTS_DISALLOWED,
                                                    robots_blocked=True, error=error, attempts=attempts,
                                                    fetched_at=fetched_at, redirects=redirects), started)
            # `is not None`, never truthiness: an empty archive is still a replay (every URL not archived),
            # never a reason to go live.
            hop = (self._replay_hop(method, current, cap) if self._replay is not None else
                   self._live_hop(method, current, headers or {}, cap))
            attempts += hop.attempts
            if self._replay is not None and hop.date and not redirects:
                fetched_at = hop.date
            location = _header(hop.headers, "location")
            if hop.outcome == Outcome.HTTP_ERROR and hop.status in _REDIRECTS and location:
                try:
                    nxt = normalize_url(urljoin(current, location))
                except InvalidURL as exc:
                    return self._finish(FetchResult(url, current, method, Outcome.INVALID_URL,
                                                    status=hop.status, error=f"bad redirect: {exc}",
                                                    attempts=attempts, fetched_at=fetched_at,
                                                    redirects=redirects), started)
                if nxt in seen:
                    return self._finish(FetchResult(url, nxt, method, Outcome.TOO_MANY_REDIRECTS,
                                                    status=hop.status, error=f"redirect loop at {nxt}",
                                                    attempts=attempts, fetched_at=fetched_at,
                                                    redirects=redirects), started)
                seen.add(nxt)
                redirects.append(nxt)
                if hop.status == 303:
                    method = "GET"
                current = nxt
                continue
            return self._finish(FetchResult(
                url, hop.final_url or current, method, hop.outcome, status=hop.status,
                headers={k.lower(): v for k, v in hop.headers}, body=hop.body, attempts=attempts,
                from_cache=hop.from_cache, error=hop.error, fetched_at=fetched_at, redirects=redirects,
                archived_in=hop.source, carried_from=hop.carried_from), started)
        return self._finish(FetchResult(url, current, method, Outcome.TOO_MANY_REDIRECTS,
                                        status=hop.status if hop else None,
                                        error=f"more than {self.config.max_redirects} redirects",
                                        attempts=attempts, fetched_at=fetched_at, redirects=redirects),
                            started)

    def carry(self, url: str, memory: PageMemory, body: bytes, *, max_bytes: int | None = None) -> FetchResult:
        """A page the revisit policy chose not to ask: no request, no politeness turn. The result has the
        body (outcome ``carried``), or for a page remembered as absent the 404 or 410 (``http_error``), and
        the date of its last verified fetch; it is archived, so the run's WARC replays it, and logged, but
        never counted as a request. robots.txt still rules: a page that it, or its last redirect target, no
        longer allows (or a site whose robots.txt cannot be read) is not carried but fetched with ``get``
        (``max_bytes`` as there), which answers as robots.txt says. Callers that record why a page was
        asked check :meth:`robots_allow` first (the crawl does)."""
        if not self.robots_allow(url, memory.final_url):
            return self.get(url, max_bytes=max_bytes)
        absent = memory.absent
        result = FetchResult(url, memory.final_url, "GET", Outcome.HTTP_ERROR if absent else Outcome.CARRIED,
                             status=memory.status,
                             headers={"content-type": memory.content_type} if memory.content_type else {},
                             body=b"" if absent else body, fetched_at=memory.verified_at, carried_from=memory.run_id,
                             error=f"HTTP {memory.status} when last asked (not asked again)" if absent else None)
        if self.archive is not None:
            self.archive.write_carried(url=url, final_url=memory.final_url, content_type=memory.content_type,
                                       body=result.body, verified_at=memory.verified_at, from_run=memory.run_id,
                                       date=warc_now(), status=memory.status)
        return self._finish(result, time.monotonic())

    def robots_allow(self, *urls: str) -> bool:
        """Whether this run's robots.txt of each URL's site (asked once per run and host) allows it; always
        true when robots.txt is not obeyed."""
        if not self.config.obey_robots:
            return True
        for url in urls:
            try:
                rules = self.robots.rules(origin_of(current := normalize_url(url)))
            except InvalidURL:
                return False
            if rules.unreachable is not None or not rules.allows(current, self._ua_token):
                return False
        return True

    def fetch_many(self, urls: Iterable[str], *,
                   progress: Callable[[int, int], None] | None = None) -> list[FetchResult]:
        """Fetch many URLs concurrently, results in input order; ``progress(done, total)`` is called once
        before the first fetch and after each one. Each free worker takes the URL whose host may start
        soonest (sources/http/scheduling.py), so workers never sit out one host's politeness delay while
        other hosts are ready."""
        batch = _Batch(self.gate, list(urls), progress)
        if progress:
            progress(0, len(batch.urls))
        run_workers(batch, lambda work: self.get(batch.urls[work[1]]), min(self.config.concurrency, len(batch.queues)),
                    name="fetch")
        return batch.results  # type: ignore[return-value]

    def tally(self) -> tuple[int, int]:
        """(requests made so far, of which without a usable body), redirect hops counted once per fetch."""
        return self.log.tally()

    def declared(self, name: str) -> list[str]:
        """What the archives being replayed declare in their warcinfo field ``name`` (empty when live)."""
        return self._replay.declared(name) if self._replay is not None else []

    def close(self) -> None:
        if self.archive is not None:
            self.archive.close()
        if self.cache is not None:
            self.cache.close()
        if self.ledger is not None:
            self.ledger.close()
        self.log.close()
        self._session.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ internals
    @property
    def _ua_token(self) -> str:
        return self.config.user_agent.split("/")[0]

    def _finish(self, result: FetchResult, started: float) -> FetchResult:
        result.elapsed_s = time.monotonic() - started
        self.log.write(result, result.archived_in or (str(self.archive.path.name) if self.archive else None))
        return result

    def _replay_hop(self, method: str, url: str, cap: int) -> _Hop:
        if self._replay is None:
            raise RuntimeError("not a replaying fetcher")
        # The archived body is read as a live body is, under the request's cap: an archive from any crawler
        # may hold a body of any size, and replayed it ends as too_large where a live fetch would.
        ex: Exchange | None = self._replay.lookup(method, url, self._limits(cap))
        if ex is None:
            return _Hop(Outcome.NOT_ARCHIVED, error=f"no {method} {url} in the archive", attempts=0)
        hop = self._replayed(ex)
        hop.source = ex.source
        return hop

    @staticmethod
    def _replayed(ex: Exchange) -> _Hop:
        if ex.carried_from is not None and ex.outcome == Outcome.TOO_LARGE.value:
            hop = _Hop(Outcome.TOO_LARGE, status=ex.status, headers=ex.headers, date=ex.date, error=ex.error)
            hop.final_url, hop.carried_from = ex.final_url, ex.carried_from
            return hop
        if ex.carried_from is not None:
            absent = ex.status != 200
            hop = _Hop(Outcome.HTTP_ERROR if absent else Outcome.CARRIED, status=ex.status, headers=ex.headers,
                       body=ex.body, date=ex.date, attempts=0,
                       error=f"HTTP {ex.status} when last asked (not asked again)" if absent else None)
            hop.final_url, hop.carried_from = ex.final_url, ex.carried_from
            return hop
        if ex.status is None:   # a recorded failure (or a record that says nothing: not archivable as an answer)
            if ex.outcome:
                return _Hop(Outcome(ex.outcome), error=ex.error, date=ex.date)
            return _Hop(Outcome.NOT_ARCHIVED, error="archived record without an HTTP status", date=ex.date)
        if ex.outcome == Outcome.TOO_LARGE.value:   # archived truncated, or a body past this request's cap
            return _Hop(Outcome.TOO_LARGE, status=ex.status, headers=ex.headers, date=ex.date,
                        from_cache=ex.status == 304,
                        error=ex.error or "body exceeded the byte cap (archived truncated)")
        if ex.status == 304:
            refused_cap = _header(ex.headers, _REFUSED_UNCHANGED.lower())
            if ex.reused_body is None and refused_cap:
                return _Hop(Outcome.TOO_LARGE, status=304, headers=ex.headers, date=ex.date, from_cache=True,
                            error=f"unchanged since refused as larger than {refused_cap} bytes")
            if ex.reused_body is None:
                return _Hop(Outcome.NOT_ARCHIVED, status=304, error="304 without archived body", date=ex.date)
            return _Hop(Outcome.NOT_MODIFIED, status=304, headers=ex.headers, body=ex.reused_body,
                        date=ex.date, from_cache=True)
        outcome = Outcome.OK if 200 <= ex.status < 300 else Outcome.HTTP_ERROR
        return _Hop(outcome, status=ex.status, headers=ex.headers, body=ex.body, date=ex.date)

    def _live_hop(self, method: str, url: str, headers: dict[str, str], cap: int) -> _Hop:
        if self.config.replaying:   # the one door to the network stays shut in replay, whatever the caller
            raise RuntimeError(f"live fetch of {url} attempted while replaying")
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            target = self._policy.target(host, port)
        except AddressBlocked as exc:
            return self._hop_failure(method, url, Outcome.BLOCKED_ADDRESS, str(exc))
        except ResolutionFailed as exc:
            return self._hop_failure(method, url, Outcome.DNS_ERROR, str(exc))
        cached = self.cache.get(url) if self.cache is not None and method == "GET" else None
        if cached is not None and cached.refused_cap is not None and cached.refused_cap < cap:
            cached = None   # refused under a smaller cap than today's: it may fit now, ask in full
        cfg = self.config
        attempt, timeouts = 0, 0
        with self.gate.slot(host):
            while True:
                attempt += 1
                hop, retry_after = self._attempt(method, url, parts, target, headers, cached, cap)
                hop.attempts = attempt
                if hop.status == 304 and hop.outcome == Outcome.CONNECTION_ERROR:
                    cached = None  # cached body vanished: ask again unconditionally
                    continue
                if hop.outcome == Outcome.TIMEOUT:
                    timeouts += 1
                    retry = timeouts <= cfg.timeout_retries
                else:
                    retry = attempt <= cfg.max_retries and (
                        hop.outcome == Outcome.CONNECTION_ERROR
                        or (hop.status is not None and (hop.status == 429 or hop.status >= 500)))
                if not retry:
                    return hop
                wait = min(cfg.backoff_cap_s, cfg.backoff_base_s * 2 ** (attempt - 1))
                if retry_after is not None:
                    if retry_after > cfg.retry_after_cap_s:
                        self.gate.defer(host, time.monotonic() + cfg.retry_after_cap_s)
                        hop.error = (f"Retry-After {retry_after:.0f}s exceeds the {cfg.retry_after_cap_s:.0f}s "
                                     "cap; gave up")
                        return hop
                    wait = retry_after
                self.gate.pause_within_slot(host, max(wait, self.gate.delay(host)))

    def _attempt(self, method, url, parts, target, headers, cached, cap) -> tuple[_Hop, float | None]:
        cfg = self.config
        scheme = "http" if target.overridden else parts.scheme
        address = f"[{target.address}]" if ":" in target.address else target.address
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        conn_url = f"{scheme}://{address}:{target.port}{path}"
        req_headers = {"User-Agent": cfg.full_user_agent, "Host": parts.netloc,
                       "Accept-Encoding": "gzip, deflate", "Accept": "*/*", **headers}
        if cached is not None:
            req_headers.update(cached.request_headers())
        archived_req = list(req_headers.items())
        date = warc_now()
        started = time.monotonic()
        try:
            with self._global:
                resp = self._session.request(method, conn_url, headers=req_headers, stream=True,
                                             allow_redirects=False,
                                             timeout=(cfg.connect_timeout_s, cfg.read_timeout_s))
                try:
                    body, refused = self._read_body(resp, started, method, cap)
                finally:
                    resp.close()
        except (requests.Timeout, urllib3.exceptions.TimeoutError, _Deadline) as exc:
            return self._hop_failure(method, url, Outcome.TIMEOUT, _brief(exc), archived_req, date), None
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            return self._hop_failure(method, url, Outcome.CONNECTION_ERROR, _brief(exc), archived_req,
                                     date), None
        status = resp.status_code
        raw_headers = list(resp.raw.headers.items())
        encoding = _header(raw_headers, "content-encoding")
        kept = [(k, v) for k, v in raw_headers if k.lower() not in _WIRE_HEADERS]
        if encoding and encoding.lower() != "identity":
            kept.append(("X-Cdpi-Original-Content-Encoding", encoding))
        reused = None
        unchanged_refused = status == 304 and cached is not None and cached.refused_cap is not None
        if status == 304 and cached is not None and self.cache is not None and not unchanged_refused:
            reused = self.cache.body(cached)
            if reused is None:
                return _Hop(Outcome.CONNECTION_ERROR, status=304, error="cached body missing"), None
            if not _header(kept, "content-type") and cached.content_type:
                kept.append(("Content-Type", cached.content_type))
        kept.append(("Content-Length", str(len(body))))
        if unchanged_refused:   # so a replay tells "still too large" from a 304 whose body went missing
            kept.append((_REFUSED_UNCHANGED, str(cached.refused_cap)))
        if self.archive is not None:
            self.archive.write_exchange(url=url, method=method, request_headers=archived_req, status=status,
                                        reason=resp.reason or _REASONS.get(status, ""),
                                        response_headers=kept, body=body, date=date,
                                        truncated=refused is not None, reused_body=reused)
        if refused is not None:
            body = b""   # only the archive wanted the refused body's first bytes
            if self.cache is not None and method == "GET" and 200 <= status < 300:
                self.cache.store_refused(url, _header(kept, "etag"), _header(kept, "last-modified"), cap,
                                         _header(kept, "content-type") or "")
            return _Hop(Outcome.TOO_LARGE, status=status, headers=kept, date=date, error=refused), None
        if unchanged_refused:
            return _Hop(Outcome.TOO_LARGE, status=304, headers=kept, date=date, from_cache=True,
                        error=f"unchanged since refused as larger than {cached.refused_cap} bytes"), None
        if reused is not None:
            return _Hop(Outcome.NOT_MODIFIED, status=304, headers=kept, body=reused, date=date,
                        from_cache=True), None
        if 200 <= status < 300:
            if self.cache is not None and method == "GET":
                self.cache.store(url, _header(kept, "etag"), _header(kept, "last-modified"), body,
                                 _header(kept, "content-type") or "")
            return _Hop(Outcome.OK, status=status, headers=kept, body=body, date=date), None
        return (_Hop(Outcome.HTTP_ERROR, status=status, headers=kept, body=body, date=date,
                     error=f"HTTP {status}" if status not in _REDIRECTS else None),
                _retry_after(_header(kept, "retry-after")))

    def _read_body(self, resp: requests.Response, started: float, method: str,
                   cap: int) -> tuple[bytes, str | None]:
        """Stream and decode the body under the byte cap and the wall-clock cap: (body, None), or (the first
        bytes of the body, why it was refused). Memory stays bounded by ``config.max_bytes`` (plus one
        64 KiB read), whatever the cap:

        * a response that declares a length above the cap (and is not compressed, so the length is what
          would be read) is refused before any of it is read: a 500 MB file costs one header;
        * past ``max_bytes`` the body continues in a temporary file (BodyBuffer), and an accepted body is
          handed over as one ``bytes`` object, without a second copy;
        * past ``max_bytes`` a compressed body must stay within ``max_expansion`` times the bytes received
          for it, so a small bomb ends at ``max_bytes`` even under a catalog-sized cap;
        * of a refused body only the first ``min(cap, max_bytes)`` bytes are kept, for the archive."""
        if method == "HEAD":
            return b"", None
        declared = resp.headers.get("Content-Length", "")
        encoding = (resp.headers.get("Content-Encoding") or "").strip().lower()
        if declared.isdigit() and int(declared) > cap and not encoding:
            return b"", f"body exceeded {cap} bytes"
        raw = resp.raw
        compressed = encoding not in ("", "identity")
        return read_capped(self._timed_chunks(raw, started), self._limits(cap),
                           received=raw.tell if compressed else None)

    def _limits(self, cap: int) -> BodyLimits:
        """The body limits of one request under ``cap``: the same live and replayed."""
        return BodyLimits(cap, self.config.max_bytes, self.config.max_expansion, self._spill_dir)

    def _timed_chunks(self, raw, started: float) -> Iterator[bytes]:
        """The decoded body in chunks, under the wall-clock cap (checked after each chunk is taken)."""
        limit = self.config.total_timeout_s
        while True:
            # read1 returns as soon as any bytes arrive, so the wall-clock cap is checked even when a
            # server drips a byte at a time (each below the per-read timeout).
            chunk = raw.read1(_CHUNK, decode_content=True)
            if not chunk:
                return
            yield chunk
            if time.monotonic() - started > limit:
                raise _Deadline(f"body not complete after {limit:.0f}s")

    def _hop_failure(self, method: str, url: str, outcome: Outcome, error: str,
                     request_headers: list[tuple[str, str]] | None = None, date: str | None = None) -> _Hop:
        date = date or warc_now()
        if self.archive is not None:
            self.archive.write_failure(url=url, method=method, outcome=outcome.value, error=error, date=date,
                                       request_headers=request_headers)
        return _Hop(outcome, error=error, date=date)


class _Deadline(Exception):
    pass



class _Batch:
    """``fetch_many``'s policy: a piece of work is one URL; hosts are taken in the order the gate frees
    them, one request per host at a time (the host goes back in the queue when its request ends)."""

    def __init__(self, gate: HostGate, urls: list[str], progress: Callable[[int, int], None] | None):
        self.cond = threading.Condition()
        self.error: BaseException | None = None
        self.gate, self.urls, self.progress = gate, urls, progress
        self.results: list[FetchResult | None] = [None] * len(urls)
        self.queues: dict[str, deque[int]] = {}
        for i, u in enumerate(urls):
            self.queues.setdefault(host_of(u) or u, deque()).append(i)
        self.hosts: HostQueue[str] = HostQueue()
        for host in self.queues:
            self.hosts.push(host, 0.0)
        self.remaining = len(urls)

    def _ready(self, host: str) -> float:
        # Busy (None) only through another user of the gate: the request then waits in the gate's slot.
        return self.gate.ready_at(host) or 0.0

    def take(self) -> tuple[str, int] | None:
        while True:
            if self.remaining == 0 or self.error is not None:
                return None
            host, wake = self.hosts.pop_due(self._ready)
            if host is not None:
                return host, self.queues[host].popleft()
            self.cond.wait(timeout=None if wake == float("inf") else max(0.0, wake - time.monotonic()))

    def done(self, work: tuple[str, int], result: FetchResult) -> None:
        host, index = work
        self.results[index] = result
        self.remaining -= 1
        if self.progress:
            self.progress(len(self.urls) - self.remaining, len(self.urls))
        if self.queues[host]:
            self.hosts.push(host, self._ready(host))

    def failed(self, work: tuple[str, int]) -> None:
        pass    # the error stops every worker; nothing was reserved

def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _brief(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= 300 else text[:297] + "..."
