"""The simulated web: one local HTTP server, many virtual hosts (routed by the Host header).

The cdpi fetcher connects to 127.0.0.1:PORT in plain HTTP and sends the logical host name, so the
same URLs as on the real web (www2.census.gov, query.wikidata.org, city sites, portals) are served
here. Server-side statistics (per-host concurrency, request times) let tests check politeness from
the server's point of view.
"""

from __future__ import annotations

import gzip
import hashlib
import random
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from tests.simweb import content
from tests.simweb.faults import FaultPlan
from tests.simweb.population import Population

LAST_MODIFIED = "Thu, 01 Oct 2026 00:00:00 GMT"
_ROBOTS_FAULTS = {"robots_disallow", "robots_5xx"}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024
    allow_reuse_address = True


class SimWeb:
    def __init__(self, population: Population, *, latency: tuple[float, float] = (0.0, 0.0),
                 faults: FaultPlan | None = None, seed: int = 7):
        self.population = population
        self.latency = latency
        self.faults = faults or FaultPlan()
        self.seed = seed
        self._hosts = population.by_host()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._overrides: dict[tuple[str, str], tuple[bytes, str]] = {}
        self._counters: dict[tuple[str, str], int] = {}
        self._cache: dict[str, bytes] = {}
        self.reset_stats()
        self._server: _Server | None = None

    # -------------------------------------------------------------------------------- lifecycle
    def start(self) -> SimWeb:
        sim = self

        class Handler(_Handler):
            web = sim

        self._server = _Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True, name="simweb").start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> SimWeb:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def base(self) -> str:
        return f"127.0.0.1:{self.port}"

    def resolve_map(self) -> dict[str, str | None]:
        """For FetcherConfig.resolve: every host here, except .invalid names, which keep real DNS."""
        return {"*.invalid": None, "*": self.base}

    # -------------------------------------------------------------------------------- statistics
    def reset_stats(self) -> None:
        with getattr(self, "_lock", threading.Lock()):
            self._in_flight: dict[str, int] = {}
            self._max_in_flight: dict[str, int] = {}
            self._totals: dict[str, int] = {}
            self.requests: list[tuple[str, str, float, float, int, int]] = []

    def stats(self) -> dict:
        with self._lock:
            return {"total": dict(self._totals), "max_in_flight": dict(self._max_in_flight),
                    "requests": list(self.requests)}

    def set_override(self, host: str, path: str, body: bytes, content_type: str = "text/html") -> None:
        with self._lock:
            self._overrides[(host, path)] = (body, content_type)

    def _enter(self, host: str) -> None:
        with self._lock:
            self._in_flight[host] = self._in_flight.get(host, 0) + 1
            self._max_in_flight[host] = max(self._max_in_flight.get(host, 0), self._in_flight[host])
            self._totals[host] = self._totals.get(host, 0) + 1

    def _leave(self, host: str, path: str, start: float, status: int, sent: int) -> None:
        with self._lock:
            self._in_flight[host] -= 1
            self.requests.append((host, path, start, time.monotonic(), status, sent))

    def _count(self, host: str, path: str) -> int:
        with self._lock:
            n = self._counters.get((host, path), 0) + 1
            self._counters[(host, path)] = n
            return n

    def _cached(self, key: str, make) -> bytes:
        with self._lock:
            if key not in self._cache:
                self._cache[key] = make()
            return self._cache[key]

    def sleep(self, seconds: float) -> None:
        self._stop.wait(seconds)

    # -------------------------------------------------------------------------------- routing
    def route(self, host: str, path: str, query: str) -> content.Response:
        if (host, path) in self._overrides:
            body, ctype = self._overrides[(host, path)]
            return 200, ctype, body, {}
        fault = self.faults.find(host, path)
        empty = fault is not None and fault.kind == "empty_catalog"
        if host == content.CENSUS_HOST and path == content.CENSUS_PATH:
            return 200, "text/csv", self._cached("census", lambda: content.census_csv(self.population)), {}
        if host == content.WIKIDATA_HOST and path == "/sparql":
            if "query=" not in query:
                return 400, "text/plain", b"missing query", {}
            return 200, "application/sparql-results+json", self._cached(
                "sparql", lambda: content.sparql_json(self.population)), {}
        if host == content.SOCRATA_API_HOST and path == "/api/catalog/v1":
            domain = next((v for k, v in (p.split("=", 1) for p in query.split("&") if "=" in p)
                           if k == "domains"), "")
            city = self._hosts.get(domain)
            if city is None or city.platform != "socrata":
                return 200, "application/json", b'{"results": [], "resultSetSize": 0, "timings": {}}', {}
            return content.socrata_catalog(city, query, empty)
        city = self._hosts.get(host)
        if city is None:
            return 404, "text/html", content.not_found(), {}
        if host == city.portal_host:
            return self._portal(city, path, query, empty)
        if path == "/robots.txt":
            return 200, "text/plain", content.city_robots(city), {}
        if path == "/sitemap.xml":
            return 200, "application/xml", content.city_sitemap(city), {}
        if path == "/":
            return 200, "text/html; charset=utf-8", content.city_page(city, None), {}
        page = path.strip("/")
        if page in content.PAGES:
            return 200, "text/html; charset=utf-8", content.city_page(city, page), {}
        return 404, "text/html", content.not_found(), {}

    def _portal(self, city, path: str, query: str, empty: bool) -> content.Response:
        p = city.platform
        if path == "/robots.txt":
            return 200, "text/plain", b"User-agent: *\nDisallow:\n", {}
        if p == "socrata" and path == "/api/catalog/v1":
            return content.socrata_catalog(city, query, empty)
        if p == "ckan" and path == "/api/3/action/package_search":
            return content.ckan_package_search(city, query, empty)
        if p == "ckan" and path == "/api/3/action/status_show":
            return content.ckan_status(city)
        if p == "arcgis_hub" and path in ("/api/feed/dcat-us/1.1.json", "/data.json"):
            return content.dcat_catalog(city, empty)
        if p == "dcat" and path == "/data.json":
            return content.dcat_catalog(city, empty)
        if p == "opendatasoft" and path == "/api/explore/v2.1/catalog/datasets":
            return content.ods_catalog(city, query, empty)
        if path == "/":
            return 200, "text/html", f"<html><title>{city.name} Open Data</title></html>".encode(), {}
        return 404, "application/json", b'{"error": "not found"}', {}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    web: SimWeb

    def log_message(self, *args) -> None:  # quiet
        pass

    def do_HEAD(self) -> None:
        self._handle(head=True)

    def do_GET(self) -> None:
        self._handle(head=False)

    def _handle(self, head: bool) -> None:
        web = self.web
        host = (self.headers.get("Host") or "").split(":")[0].lower()
        parts = urlsplit(self.path)
        path, query = parts.path or "/", parts.query
        start = time.monotonic()
        web._enter(host)
        status, sent = 0, 0
        try:
            lo, hi = web.latency
            if hi > 0:
                web.sleep(random.Random(f"{web.seed}{host}{self.path}{start}").uniform(lo, hi))
            status, sent = self._respond(host, path, query, head)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            web._leave(host, path, start, status, sent)

    def _send(self, status: int, ctype: str, body: bytes, headers: dict[str, str] | None = None,
              head: bool = False) -> tuple[int, int]:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)
        return status, len(body)

    def _redirect(self, location: str, status: int = 302) -> tuple[int, int]:
        return self._send(status, "text/html", b"", {"Location": location})

    def _respond(self, host: str, path: str, query: str, head: bool) -> tuple[int, int]:
        web = self.web
        fault = web.faults.find(host, path)
        if fault is not None and path == "/robots.txt" and fault.kind not in _ROBOTS_FAULTS:
            fault = None  # page faults leave robots.txt alone, so each fault shows as its own outcome
        if fault is not None:
            handled = self._fault(fault, host, path, head)
            if handled is not None:
                return handled
        if path.startswith("/__hop/"):
            k = int(path.rsplit("/", 1)[1])
            if k < int(fault.params.get("hops", 3)) if fault else False:
                return self._redirect(f"/__hop/{k + 1}")
            path = "/"
        if path in ("/__loop_a", "/__loop_b"):
            return self._redirect("/__loop_b" if path == "/__loop_a" else "/__loop_a")
        status, ctype, body, headers = web.route(host, path, query)
        if status == 200:
            etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            headers = {"ETag": etag, "Last-Modified": LAST_MODIFIED, **headers}
            if self.headers.get("If-None-Match") == etag or (
                    "If-None-Match" not in self.headers and self.headers.get("If-Modified-Since") == LAST_MODIFIED):
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return 304, 0
        return self._send(status, ctype, body, headers, head)

    def _fault(self, fault, host: str, path: str, head: bool) -> tuple[int, int] | None:
        web, kind, p = self.web, fault.kind, fault.params
        if kind == "timeout":
            web.sleep(float(p.get("seconds", 30)))
            return None
        if kind == "http_500":
            return self._send(500, "text/html", b"<h1>Internal Server Error</h1>")
        if kind == "http_404":
            return self._send(404, "text/html", content.not_found())
        if kind in ("http_503_then_ok", "http_429"):
            if web._count(host, path) <= int(p.get("n", 1)):
                if kind == "http_429":
                    return self._send(429, "text/plain", b"slow down", {"Retry-After": str(p.get("retry_after", 1))})
                return self._send(503, "text/plain", b"busy")
            return None
        if kind == "malformed_json":
            return self._send(200, "application/json", b'{"results": [{"resource": {"name": "cut')
        if kind == "malformed_html":
            return self._send(200, "text/html", b"<html><head><title>Broken<body><div><<<p>unclosed &nbsp")
        if kind == "bad_encoding":
            return self._send(200, "text/html; charset=utf-8",
                              b"<html><title>Caf\xe9 municipal</title><body>\xff\xfe ville</body></html>")
        if kind == "truncated":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b"<html>" + b"x" * 1000)
            self.wfile.flush()
            self.close_connection = True
            return 200, 1006
        if kind == "huge":
            size = int(float(p.get("size_mb", 50)) * 1024 * 1024)
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(size))
            self.end_headers()
            chunk = b"<p>filler</p>" * 5000
            sent = 0
            try:
                while sent < size and not web._stop.is_set():
                    piece = chunk[: size - sent]
                    self.wfile.write(piece)
                    sent += len(piece)
            except (BrokenPipeError, ConnectionResetError):
                pass
            self.close_connection = True
            return 200, sent
        if kind == "gzip_bomb":
            size_mb = int(p.get("size_mb", 100))
            body = web._cached(f"bomb{size_mb}", lambda: _gzip_zeros(size_mb))
            return self._send(200, "text/html", body, {"Content-Encoding": "gzip"})
        if kind == "redirect_loop":
            return self._redirect("/__loop_a")
        if kind == "redirect_private":
            return self._redirect(p.get("target", "http://10.0.0.7/admin"))
        if kind == "redirect_chain":
            if not path.startswith("/__hop/"):
                return self._redirect("/__hop/1")
            return None
        if kind == "robots_disallow" and path == "/robots.txt":
            return self._send(200, "text/plain", b"User-agent: *\nDisallow: /\n")
        if kind == "robots_5xx" and path == "/robots.txt":
            return self._send(503, "text/plain", b"unavailable")
        if kind == "slow_body":
            body = b"<html>" + b"." * 200
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                for b in body:
                    if web._stop.is_set():
                        break
                    self.wfile.write(bytes([b]))
                    self.wfile.flush()
                    web.sleep(float(p.get("interval", 0.2)))
            except (BrokenPipeError, ConnectionResetError):
                pass
            self.close_connection = True
            return 200, len(body)
        return None


def _gzip_zeros(size_mb: int) -> bytes:
    """A small gzip body that inflates to ``size_mb`` MiB, built without holding the inflated bytes."""
    import io

    buf = io.BytesIO()
    zeros = b"\0" * (1024 * 1024)
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9) as gz:
        for _ in range(size_mb):
            gz.write(zeros)
    return buf.getvalue()
