"""The simulated web: one local HTTP/1.1 server, many virtual hosts routed by the Host header.

The cdpi fetcher connects to 127.0.0.1:PORT in plain HTTP and sends the logical host name, so the
same URLs as on the real web (www2.census.gov, query.wikidata.org, city sites, portals) are served
here. Server-side statistics (per-host concurrency, request times) let tests check politeness from
the server's side; ETag / Last-Modified are derived from content so conditional GET is testable.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import random
import re
import select
import socket
import sys
import threading
import time
from datetime import datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from sources.evidence.crawl import CrawlLimits
from sources.http.config import FetcherConfig
from tests.simweb import misbehave
from tests.simweb.faults import FaultPlan, Rule
from tests.simweb.formats.common import EPOCH, LazyBody, Response
from tests.simweb.population import Population
from tests.simweb.routes import Router

#: One request record: (host, path, start_monotonic, end_monotonic, status, bytes_sent).
RequestRecord = tuple[str, str, float, float, int, int]
#: Registrable domains of this web's document hosts (its stand-ins for Legistar and Municode). A crawl
#: follows them only when told to, as a live run is told of a vendor: production defaults name real hosts.
DOC_HOSTS = ("legistar.example", "municode.example")


def crawl_limits(**overrides: Any) -> CrawlLimits:
    """Crawl limits for this web: the defaults (or ``overrides``) plus its document hosts."""
    return CrawlLimits(**overrides).with_doc_hosts(DOC_HOSTS)


MARKERS = ("__hop", "__loop")   # query parameters the redirect faults add; never reach the routes


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024       # benchmarks open 32+ connections at once
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up mid-response are expected here (caps, timeouts); stay quiet about them."""
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class SimWeb:
    """A running simulated web over ``population``; use as a context manager."""

    def __init__(self, population: Population, *, latency: tuple[float, float] = (0.0, 0.0),
                 faults: FaultPlan | None = None, seed: int = 7, slow_seconds: float = 2.0):
        """``slow_seconds``: how long the pages the answer key flags ``slow`` hold their answer back."""
        self.population = population
        self.latency = latency
        self.faults = faults or FaultPlan()
        self.seed = seed
        self.router = Router(population, slow_seconds=slow_seconds)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._overrides: dict[tuple[str, str], tuple[Response, int]] = {}
        #: (host, path) -> when an override's content changed, told by its Last-Modified and, when the site's
        #: CMS says so (``in_sitemap``), by its sitemap entry's lastmod.
        self._modified: dict[tuple[str, str], tuple[datetime, bool]] = {}
        self._override_version = 0
        self._fault_counts: dict[tuple[int, str, str], int] = {}
        self._url_counts: dict[str, int] = {}
        self._connections: set[socket.socket] = set()
        self._server: _Server | None = None
        self.reset_stats()

    # ------------------------------------------------------------------------------ lifecycle
    def start(self) -> SimWeb:
        sim = self

        class Handler(_Handler):
            web = sim

        self._stop.clear()
        self._server = _Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True,
                         name="simweb").start()
        return self

    def stop(self) -> None:
        """Stop serving: wake sleeping faults, close the listener and every open connection."""
        if self._server is None or self._stop.is_set():
            return
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            conns = list(self._connections)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> SimWeb:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("SimWeb is not started")
        return self._server.server_address[1]

    @property
    def base(self) -> str:
        return f"127.0.0.1:{self.port}"

    def resolve_map(self) -> dict[str, str | None]:
        """For FetcherConfig.resolve: every host here, except .invalid names, which keep real DNS."""
        return {"*.invalid": None, "*": self.base}

    def fetcher_config(self, **overrides: Any) -> FetcherConfig:
        """A client pointed at this web: every host resolves here, loopback allowed, no politeness delay
        (tests that measure politeness pass their own ``min_delay_s``)."""
        return FetcherConfig(**{"resolve": self.resolve_map(), "allow_addresses": ("127.0.0.1",),
                                "min_delay_s": 0.0, **overrides})

    # ------------------------------------------------------------------------------ statistics
    def reset_stats(self) -> None:
        with self._lock:
            self._in_flight: dict[str, int] = {}
            self._max_in_flight: dict[str, int] = {}
            #: host -> handlers streaming a lazy body now: one whose client has hung up is over (see _enter).
            self._streams: dict[str, set[_Handler]] = {}
            self._totals: dict[str, int] = {}
            self.requests: list[RequestRecord] = []

    def stats(self) -> dict[str, Any]:
        """``total`` and ``max_in_flight`` per host, and every finished request as a ``RequestRecord``."""
        with self._lock:
            return {"total": dict(self._totals), "max_in_flight": dict(self._max_in_flight),
                    "in_flight": {h: n for h, n in self._in_flight.items() if n},
                    "requests": list(self.requests)}

    def _enter(self, host: str) -> None:
        # A client that cut a download at its cap has closed that connection before it asks the host
        # again, but the streaming thread notices only at its next write: until then the old request
        # would count as in flight beside the new one. Ended here instead, as the client sees it.
        with self._lock:
            gone = [h for h in self._streams.get(host, ()) if h.client_gone()]
        for handler in gone:
            handler.done(handler.status_sent[0], handler.status_sent[1])
        with self._lock:
            self._in_flight[host] = self._in_flight.get(host, 0) + 1
            self._max_in_flight[host] = max(self._max_in_flight.get(host, 0), self._in_flight[host])
            self._totals[host] = self._totals.get(host, 0) + 1

    def _leave(self, host: str, path: str, start: float, status: int, sent: int) -> None:
        with self._lock:
            self._in_flight[host] = self._in_flight.get(host, 1) - 1
            self.requests.append((host, path, start, time.monotonic(), status, sent))

    # ------------------------------------------------------------------------------ content changes
    def set_override(self, host: str, path: str, body: bytes | str,
                     content_type: str = "text/html; charset=utf-8", *, modified: datetime | None = None,
                     in_sitemap: bool = True) -> None:
        """Serve ``body`` at ``host`` + ``path`` from now on (``path`` may include ``?query``). ``modified``
        dates the change (Last-Modified; by default an hour per override after EPOCH); when ``in_sitemap``,
        the site's sitemap entry for the path reports it as its lastmod, as a CMS-made sitemap does."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        with self._lock:
            self._override_version += 1
            self._overrides[(host.lower(), path)] = (Response(200, content_type, data), self._override_version)
            if modified is not None:
                self._modified[(host.lower(), path)] = (modified, in_sitemap)

    def clear_overrides(self) -> None:
        with self._lock:
            self._overrides.clear()
            self._modified.clear()

    def _sitemap_lastmods(self, host: str, resp: Response) -> Response:
        """The sitemap as served, with each changed page's entry dated by its change."""
        with self._lock:
            changed = {path: when for (h, path), (when, shown) in self._modified.items() if h == host and shown}
        if not changed or not isinstance(resp.body, bytes):
            return resp
        text = resp.body.decode("utf-8")
        for path, when in changed.items():
            loc = re.escape(html.escape(f"https://{host}{path}"))
            text = re.sub(rf"(<loc>{loc}</loc><lastmod>)[^<]*(</lastmod>)", rf"\g<1>{when.date().isoformat()}\g<2>",
                          text)
        return resp._replace(body=text.encode("utf-8"))

    def _override(self, host: str, path: str, query: str) -> tuple[Response, int, tuple | None] | None:
        """(response, version, (modified, in_sitemap) or None) of an overridden address, else None. The
        address as asked, query included: an override of a code's root page (no query) must not answer for
        its sections (``?nodeId=...``), which are other pages."""
        key = (host, f"{path}?{query}" if query else path)
        with self._lock:
            found = self._overrides.get(key)
            return None if found is None else (*found, self._modified.get(key))

    # ------------------------------------------------------------------------------ helpers for the handler
    def count_fault(self, rule: Rule, host: str, path: str) -> int:
        """How many times this rule has now fired for this path (``*_then_ok`` kinds count per path)."""
        key = (id(rule), host, path)
        with self._lock:
            self._fault_counts[key] = self._fault_counts.get(key, 0) + 1
            return self._fault_counts[key]

    def latency_for(self, host: str, target: str) -> float:
        """A seeded draw per (URL, repetition): reproducible run to run, varied across requests."""
        lo, hi = self.latency
        if hi <= 0:
            return 0.0
        with self._lock:
            n = self._url_counts[host + target] = self._url_counts.get(host + target, 0) + 1
        return random.Random(f"{self.seed}|{host}|{target}|{n}").uniform(lo, hi)

    def sleep(self, seconds: float) -> bool:
        """Sleep unless the server stops first; True when it stopped."""
        return self._stop.wait(seconds)

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def track(self, conn: socket.socket, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "SimWeb/1.0"
    timeout = 300                  # idle keep-alive connections end eventually
    web: SimWeb

    def setup(self) -> None:
        super().setup()
        # Headers and body are separate writes: without NODELAY, Nagle + delayed ACK stall every
        # keep-alive request by ~40 ms, which would dominate any benchmark.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.web.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.web.track(self.connection, False)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet by design
        pass

    def do_GET(self) -> None:
        self._handle()

    def do_HEAD(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        """Only the SPARQL endpoint takes POST (a form-encoded ``query``), as WDQS does."""
        length = int(self.headers.get("Content-Length") or 0)
        form = self.rfile.read(min(length, 1 << 20)) if length else b""
        self._handle(form=form)

    # ------------------------------------------------------------------------------ one request
    def _handle(self, form: bytes = b"") -> None:
        web = self.web
        host = _host_of(self.headers.get("Host"))
        parts = urlsplit(self.path)
        path, query = parts.path or "/", parts.query
        self._done_lock = threading.Lock()
        self._record: tuple[str, str, float] | None = (host, path, time.monotonic())
        web._enter(host)
        status, sent = 0, 0
        try:
            if web.sleep(web.latency_for(host, self.path)):
                self.close_connection = True
                return
            status, sent = self._respond(host, path, query, form)
        except OSError:
            self.close_connection = True
        finally:
            self.done(status, sent)

    def done(self, status: int, sent: int) -> None:
        """Record the request once (this thread, or ``_enter`` on another once the client has gone).
        ``send`` calls it before the body goes out, so a client that has read its whole answer always
        finds the request in ``stats()``."""
        with self._done_lock:
            record, self._record = self._record, None
        if record is not None:
            host, path, start = record
            self.web._leave(host, path, start, status, sent)

    def client_gone(self) -> bool:
        """Whether the client closed this connection (readable, and nothing left to read)."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            return bool(readable) and self.connection.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
        except (OSError, ValueError):
            return True

    def _respond(self, host: str, path: str, query: str, form: bytes) -> tuple[int, int]:
        web = self.web
        if self.command == "POST" and not (host == "query.wikidata.org" and path == "/sparql"):
            return self.send(Response(405, "text/plain", b"Method Not Allowed\n", {"Allow": "GET, HEAD"}))
        rule = web.faults.match(host, path)
        fault = rule.fault if rule else None
        pairs = parse_qsl(query, keep_blank_values=True)
        markers = {k: v for k, v in pairs if k in MARKERS}
        clean_query = urlencode([(k, v) for k, v in pairs if k not in MARKERS]) if markers else query
        if fault is not None and rule is not None:
            done = misbehave.before(self, fault, rule, host, path, clean_query, markers)
            if done is not None:
                return done
        overridden = web._override(host, path, clean_query)
        if overridden is not None:
            resp, version, dated = overridden
            modified = dated[0] if dated else EPOCH + timedelta(hours=version)
        else:
            resp = web.router.route(host, path, clean_query, empty=fault is not None and fault.kind == "empty_catalog",
                                    form=form)
            modified = None
            if path == "/sitemap.xml" and resp.status == 200:
                resp = web._sitemap_lastmods(host, resp)
        if fault is not None and fault.kind == "malformed_json" and isinstance(resp.body, bytes):
            resp = resp._replace(body=resp.body[: int(len(resp.body) * float(fault["keep"]))])
        if resp.delay > 0 and web.sleep(resp.delay):
            self.close_connection = True
            return 0, 0
        if resp.status == 200:
            return self._send_validated(resp, modified)
        return self.send(resp)

    def _send_validated(self, resp: Response, modified: datetime | None) -> tuple[int, int]:
        """200 with ETag / Last-Modified, or 304 when the client's validators still match."""
        digest = resp.body.tag if isinstance(resp.body, LazyBody) else hashlib.sha256(resp.body).hexdigest()
        etag = f'"{digest[:24]}"'
        if modified is None:   # generated content: a stable date before EPOCH, derived from the bytes
            modified = EPOCH - timedelta(days=int(digest[:8], 16) % 365, seconds=int(digest[8:12], 16) % 86_400)
        last_modified = format_datetime(modified, usegmt=True)
        validators = {"ETag": etag, "Last-Modified": last_modified}
        if _not_modified(self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since"), etag, modified):
            return self.send(Response(304, resp.content_type, b"", validators), length=False)
        return self.send(resp._replace(headers={**validators, **resp.headers}))

    def send(self, resp: Response, *, length: bool = True) -> tuple[int, int]:
        """Status, headers, Content-Length and (except for HEAD and 304) the body."""
        self.send_response(resp.status)
        if resp.status != 304:
            self.send_header("Content-Type", resp.content_type)
        for k, v in resp.headers.items():
            self.send_header(k, v)
        if length:
            self.send_header("Content-Length", str(len(resp.body)))
        self.end_headers()
        if self.command == "HEAD" or resp.status == 304 or not len(resp.body):
            self.done(resp.status, 0)
            return resp.status, 0
        if isinstance(resp.body, LazyBody):
            return self._stream(resp.status, resp.body)
        self.done(resp.status, len(resp.body))
        self.wfile.write(resp.body)
        return resp.status, len(resp.body)

    def _stream(self, status: int, body: LazyBody) -> tuple[int, int]:
        """Write a lazy body chunk by chunk; stop when the client hangs up or the server stops.
        The request is recorded once the body is done (or abandoned), with the bytes really sent."""
        sent = 0
        host = self._record[0] if self._record is not None else ""
        self.status_sent = (status, 0)
        with self.web._lock:
            self.web._streams.setdefault(host, set()).add(self)
        try:
            for chunk in body:
                if self.web.stopping:
                    break
                self.wfile.write(chunk)
                sent += len(chunk)
                self.status_sent = (status, sent)
        except OSError:
            pass
        finally:
            with self.web._lock:
                self.web._streams.get(host, set()).discard(self)
        if sent < len(body):
            self.close_connection = True
        self.done(status, sent)
        return status, sent


def _host_of(header: str | None) -> str:
    """Host header without its port, lower case ("www.a.example:8080" -> "www.a.example")."""
    raw = (header or "").strip().lower()
    if raw.startswith("["):
        return raw[1:].split("]")[0]
    return raw.split(":")[0]


def _not_modified(if_none_match: str | None, if_modified_since: str | None, etag: str,
                  modified: datetime) -> bool:
    """RFC 9110: If-None-Match (weak comparison) wins; If-Modified-Since only without it."""
    if if_none_match is not None:
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return "*" in tags or etag in tags
    if if_modified_since:
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError, IndexError):
            return False
        if since is None:
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=EPOCH.tzinfo)
        return modified.replace(microsecond=0) <= since
    return False
