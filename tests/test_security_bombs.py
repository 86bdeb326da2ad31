"""Security tests for threats 3a-3c and F3-F5 of docs/security.md: oversized bodies, bombs, PDFs, sitemaps, parse cost."""

from __future__ import annotations

import functools
import hashlib
import json
import re
import struct
import subprocess
import sys
import zlib
from pathlib import Path
from typing import BinaryIO

import pytest

from sources.http.config import FetcherConfig
from sources.http.fetcher import Fetcher
from tests.security_support import (
    INTERNAL,
    PUBLIC,
    REPO,
    Route,
    Wire,
    _config,
    _files,
    response,
)

MB = 1024 * 1024
#: Peak resident-memory growth allowed for one hostile body (the brief: < 200 MB for a 1 GB bomb).
MEMORY_BOUND = 200 * MB


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
    # The bombed page costs itself only: the pages after it are read, up to the page cap.
    assert out["pages"] > 1 and out["error"].startswith("page 2 unreadable (LimitReachedError"), out
    assert "data inventory" in out["text"] and "Appendix" in out["text"], out
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
