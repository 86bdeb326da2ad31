"""How each fault kind misbehaves on the wire (the plan of who misbehaves is in ``faults``).

``before`` runs ahead of normal routing: it either answers the request itself and returns
``(status, bytes_sent)``, or returns None to let the normal answer go out (after a delay, for
``timeout``; with a cut body or an empty catalog, for the two content kinds handled by the server).
Large bodies are streamed from a small repeated chunk, so a 50 MB answer costs no memory.
"""

from __future__ import annotations

import gzip
import io
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from tests.simweb.faults import Fault, Rule
from tests.simweb.formats.common import HTML, Response
from tests.simweb.formats.site import not_found

if TYPE_CHECKING:
    from tests.simweb.server import _Handler

Sent = tuple[int, int]
_FILLER = (b"<p>filler paragraph of a very large page from the simulated web</p>\n" * 1000)[:65_536]


def before(h: _Handler, fault: Fault, rule: Rule, host: str, path: str, query: str,
           markers: dict[str, str]) -> Sent | None:
    kind = fault.kind
    if kind == "timeout":
        if h.web.sleep(float(fault["seconds"])):
            h.close_connection = True
            return 0, 0
        return None
    if kind in ("http_503_then_ok", "http_429"):
        if h.web.count_fault(rule, host, path) > int(fault["n"]):
            return None
        headers = {"Retry-After": str(fault["retry_after"])} if fault["retry_after"] is not None else {}
        if kind == "http_429":
            return h.send(Response(429, "text/plain", b"Too Many Requests\n", headers))
        return h.send(Response(503, "text/html", b"<h1>503 Service Unavailable</h1>", headers))
    simple = _SIMPLE.get(kind)
    if simple is not None:
        return h.send(simple(host, path))
    if kind == "redirect_loop":   # A -> B -> A: the client must notice the repeat
        back = markers.get("__loop") == "b"
        return _redirect(h, path, query, {} if back else {"__loop": "b"})
    if kind == "redirect_private":
        return h.send(Response(302, HTML, b"", {"Location": str(fault["target"])}))
    if kind == "redirect_chain":
        hop = int(markers.get("__hop", "0") or 0)
        return _redirect(h, path, query, {"__hop": str(hop + 1)}) if hop < int(fault["hops"]) else None
    if kind == "truncated":
        return _truncated(h, int(fault["declared"]), int(fault["sent"]))
    if kind == "huge":
        return _huge(h, int(float(fault["size_mb"]) * 1024 * 1024), bool(fault["content_length"]))
    if kind == "gzip_bomb":
        body = gzip_zeros(int(fault["size_mb"]))
        return h.send(Response(200, HTML, body, {"Content-Encoding": "gzip"}))
    if kind == "slow_body":
        return _slow(h, int(fault["size"]), float(fault["interval"]))
    return None   # empty_catalog / malformed_json change the normal answer; the server applies them


_SIMPLE = {
    "http_500": lambda host, path: Response(500, HTML, b"<h1>500 Internal Server Error</h1>"),
    "http_404": lambda host, path: not_found(host, path),
    "malformed_html": lambda host, path: Response(
        200, HTML, b"<html><head><title>Broken<body><div class='x><<<p>unclosed &nbsp <table><tr><td>"),
    "bad_encoding": lambda host, path: Response(
        200, "text/html; charset=utf-8",
        "<html><head><title>Caf\u00e9 municipal de Ca\u00f1on</title></head><body>Se\u00f1or ".encode("latin-1")
        + b"\xff\xfe\x80 invalid bytes</body></html>"),
    "robots_disallow": lambda host, path: Response(200, "text/plain", b"User-agent: *\nDisallow: /\n"),
    "robots_5xx": lambda host, path: Response(503, "text/plain", b"Service Unavailable\n"),
}


def _redirect(h: _Handler, path: str, query: str, marker: dict[str, str]) -> Sent:
    q = "&".join(p for p in (query, urlencode(marker)) if p)
    return h.send(Response(302, HTML, b"", {"Location": path + (f"?{q}" if q else "")}))


def _head(h: _Handler, status: int, headers: dict[str, str]) -> None:
    h.send_response(status)
    for k, v in headers.items():
        h.send_header(k, v)
    h.end_headers()


def _truncated(h: _Handler, declared: int, sent: int) -> Sent:
    """Promise ``declared`` bytes, deliver ``sent``, hang up."""
    _head(h, 200, {"Content-Type": "text/html", "Content-Length": str(declared)})
    body = (b"<html><body>" + _FILLER)[:sent]
    h.close_connection = True
    if h.command == "HEAD":
        return 200, 0
    h.wfile.write(body)
    h.wfile.flush()
    return 200, len(body)


def _huge(h: _Handler, size: int, with_length: bool) -> Sent:
    """``size`` bytes of filler, with Content-Length or chunked; stops when the client hangs up."""
    headers = {"Content-Type": "text/html"}
    headers.update({"Content-Length": str(size)} if with_length else {"Transfer-Encoding": "chunked"})
    _head(h, 200, headers)
    h.close_connection = True
    if h.command == "HEAD":
        return 200, 0
    sent = 0
    try:
        while sent < size and not h.web.stopping:
            piece = _FILLER[: size - sent]
            h.wfile.write(piece if with_length else b"%x\r\n%s\r\n" % (len(piece), piece))
            sent += len(piece)
        if not with_length and not h.web.stopping:
            h.wfile.write(b"0\r\n\r\n")
    except OSError:
        pass
    return 200, sent


def _slow(h: _Handler, size: int, interval: float) -> Sent:
    """Drip one byte per ``interval``: every read succeeds, the whole body takes forever."""
    body = (b"<html><body>" + b"." * size)[:size]
    _head(h, 200, {"Content-Type": "text/html", "Content-Length": str(len(body))})
    h.close_connection = True
    if h.command == "HEAD":
        return 200, 0
    sent = 0
    try:
        for i in range(len(body)):
            h.wfile.write(body[i:i + 1])
            h.wfile.flush()
            sent += 1
            if h.web.sleep(interval):
                break
    except OSError:
        pass
    return 200, sent


@lru_cache(maxsize=4)
def gzip_zeros(size_mb: int) -> bytes:
    """A small gzip body inflating to ``size_mb`` MiB of zeros, built once without holding them."""
    buf = io.BytesIO()
    zeros = bytes(1024 * 1024)
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9, mtime=0) as gz:
        for _ in range(size_mb):
            gz.write(zeros)
    return buf.getvalue()
