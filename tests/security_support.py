"""Shared helpers of the security review's tests (tests/test_security_*.py, one file per threat group).
docs/security.md maps each test to its threat, the defence and where that defence lives.

Everything runs against the project's real code. The network is local only: a small raw-bytes HTTP server
(``Wire``) that records every connection it accepts, loopback aliases (127.0.0.2 plays "a public host",
explicitly allowed; 127.0.0.1 plays "the internal service", never allowed), and, for DNS, a patched
``socket.getaddrinfo`` (the standard library, not our code). Memory is measured in a child process, so the
peak (``ru_maxrss``) belongs to the one operation under test and a failing guard cannot take the test
session down with it (the child also runs under an address-space limit).

A test that reproduces an open finding is marked ``xfail(strict=True)`` with the defect in its reason; when
the finding is fixed the test XPASSes, fails as strict, and the marker is removed. Every finding of the
review (docs/security.md, F1 to F6) is fixed now, so no security test carries the marker.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import shutil
import socket
import socketserver
import threading
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import duckdb
import pytest

from sources.http.config import FetcherConfig
from tests.test_report import query as _read  # noqa: F401 - the security tests read warehouses with it
from warehouse.paths import WarehousePaths

REPO = Path(__file__).resolve().parents[1]
PUBLIC = "127.0.0.2"      # stands in for a public web server: the only address a test allows
INTERNAL = "127.0.0.1"    # stands in for an internal service: never allowed


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


def _config(**kw) -> FetcherConfig:
    """Production settings (no resolve overrides, nothing allowed) with short timeouts and no delay."""
    base = dict(min_delay_s=0.0, connect_timeout_s=2.0, read_timeout_s=5.0, total_timeout_s=30.0,
                max_retries=0, timeout_retries=0, backoff_base_s=0.01)
    base.update(kw)
    return FetcherConfig(**base)


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


def _visible(folder: Path) -> list[Path]:
    """Entries of ``folder`` without the dot-files writers keep beside what they publish (locks)."""
    return [p for p in folder.iterdir() if not p.name.startswith(".")]


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def attack_home(sample_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the sample warehouse that the SQL and export tests may attack."""
    return _copy_home(sample_home, tmp_path_factory.mktemp("attack_home"))
