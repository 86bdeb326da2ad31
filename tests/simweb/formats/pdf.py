"""A tiny PDF 1.4 writer (no dependencies) and the hostile PDFs the simulated web serves.

``text_pdf`` lays lines of text out on US-letter pages in Helvetica (Type1, WinAnsiEncoding), one
``BT ... Tj ET`` per line, content streams optionally FlateDecode-compressed, with a correct xref
table and trailer, so pypdf (or any reader) opens it and extracts the text. On top of it:

* ``huge_pdf``: a valid PDF of an exact, very large size (~500 MB), produced lazily chunk by chunk:
  the text pages come first, then comment lines as filler, then the xref. The server streams it
  without ever holding it (``LazyBody``).
* ``bomb_pdf``: a small file whose second page's content stream inflates to hundreds of MiB of
  blank content, followed by thousands of pages sharing one tiny stream.
* ``truncated_pdf``: a normal PDF cut inside its first content stream (no xref, no trailer).
"""

from __future__ import annotations

import hashlib
import struct
import textwrap
import zlib
from collections.abc import Iterator, Sequence
from functools import lru_cache

from tests.simweb.formats.common import LazyBody

CONTENT_TYPE = "application/pdf"
PAGE_W, PAGE_H = 612, 792
MARGIN = 72
FONT_SIZE = 10
LEADING = 14
LINES_PER_PAGE = (PAGE_H - 2 * MARGIN) // LEADING
WRAP = 92
#: A line of text; ``(text, True)`` is drawn in Helvetica-Bold.
Line = str | tuple[str, bool]
_HEADER = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
_FIXED = 5   # objects 1-5: catalog, page tree, two fonts, info


def wrap(text: str, width: int = WRAP) -> list[str]:
    """Word-wrapped lines of one paragraph ("" for an empty paragraph)."""
    return textwrap.wrap(text, width, break_long_words=True, break_on_hyphens=False) or [""]


def paginate(lines: Sequence[Line], per_page: int = LINES_PER_PAGE) -> list[list[Line]]:
    """Lines split into pages; a page never starts with blank lines."""
    pages: list[list[Line]] = [[]]
    for line in lines:
        if len(pages[-1]) >= per_page:
            pages.append([])
        if not pages[-1] and _text(line) == "" and len(pages) > 1:
            continue
        pages[-1].append(line)
    return pages


def text_pdf(lines: Sequence[Line], *, title: str, compress: bool = True, footer: str = "") -> bytes:
    """A complete PDF of ``lines`` (paginated), with the document title in its Info dictionary."""
    pages = paginate(lines)
    streams = [_content(page, _footer(footer, k + 1, len(pages))) for k, page in enumerate(pages)]
    body, offsets = _objects(title, [_stream(s, compress) for s in streams], list(range(len(pages))))
    return bytes(body) + _tail(offsets, len(body))


def truncated_pdf(data: bytes) -> bytes:
    """``data`` (a PDF) cut in the middle of its first content stream: unreadable by any parser."""
    start = data.index(b"stream\n") + len(b"stream\n")
    end = data.index(b"endstream", start)
    return data[: start + max(1, (end - start) // 2)]


def huge_pdf(lines: Sequence[Line], *, title: str, size: int) -> LazyBody:
    """A valid PDF of exactly ``size`` bytes: text pages, then ``%`` comment lines, then the xref."""
    pages = paginate(lines)
    streams = [_stream(_content(page, _footer(title, k + 1, len(pages))), True) for k, page in enumerate(pages)]
    prefix, offsets = _objects(title, streams, list(range(len(pages))))
    prefix = bytes(prefix)
    filler = size - len(prefix) - len(_tail(offsets, size))
    for _ in range(4):   # the xref's own length depends on the digits of startxref: settle it
        filler = size - len(prefix) - len(_tail(offsets, len(prefix) + filler))
    tail = _tail(offsets, len(prefix) + filler)
    if filler < 2 or len(prefix) + filler + len(tail) != size:
        raise ValueError(f"cannot make a PDF of exactly {size} bytes")
    tag = hashlib.sha256(prefix + tail + str(size).encode()).hexdigest()

    def chunks() -> Iterator[bytes]:
        yield prefix
        line = b"%" + b"-" * 62 + b"\n"
        block = line * 1024
        left = filler
        while left >= len(block):
            yield block
            left -= len(block)
        whole, rest = divmod(left, len(line))
        if whole:
            yield line * whole
        if rest:
            yield b"\n" * rest   # blank lines are whitespace between objects
        yield tail

    return LazyBody(size, chunks, tag)


def bomb_pdf(lines: Sequence[Line], *, title: str, inflated_mb: int = 256, extra_pages: int = 2_000) -> bytes:
    """Page 1 holds ``lines`` (first page's worth); page 2's FlateDecode stream inflates to
    ``inflated_mb`` MiB of spaces; then ``extra_pages`` pages share one tiny stream. About 600 KB."""
    first = paginate(lines)[0]
    streams = [_stream(_content(first), True), _raw_stream(_deflated_spaces(inflated_mb)),
               _stream(_content([("Appendix", True), "This page is intentionally left blank."]), True)]
    refs = [0, 1] + [2] * extra_pages
    body, offsets = _objects(title, streams, refs)
    return bytes(body) + _tail(offsets, len(body))


# ------------------------------------------------------------------------------------------ internals
def _text(line: Line) -> str:
    return line[0] if isinstance(line, tuple) else line


def _footer(label: str, page: int, pages: int) -> str:
    return f"{label} - page {page} of {pages}" if label else f"Page {page} of {pages}"


def _escape(text: str) -> bytes:
    raw = text.encode("cp1252", "replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _content(lines: Sequence[Line], footer: str = "") -> bytes:
    """One ``BT /F Tf x y Td (text) Tj ET`` per non-empty line, top to bottom."""
    out = []
    y = PAGE_H - MARGIN
    for line in lines:
        text, bold = (line if isinstance(line, tuple) else (line, False))
        if text:
            font, size = ("F2", FONT_SIZE + 2) if bold else ("F1", FONT_SIZE)
            out.append(b"BT /%s %d Tf %d %d Td (%s) Tj ET" % (font.encode(), size, MARGIN, y, _escape(text)))
        y -= LEADING
    if footer:
        out.append(b"BT /F1 8 Tf %d %d Td (%s) Tj ET" % (MARGIN, MARGIN // 2, _escape(footer)))
    return b"\n".join(out) + b"\n"


def _stream(data: bytes, compress: bool) -> bytes:
    if compress:
        packed = zlib.compress(data, 6)
        return b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(packed), packed)
    return b"<< /Length %d >>\nstream\n%s\nendstream" % (len(data), data)


def _raw_stream(deflated: bytes) -> bytes:
    return b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(deflated), deflated)


def _objects(title: str, streams: Sequence[bytes], page_streams: Sequence[int]) -> tuple[bytearray, list[int]]:
    """Header and objects 1..N: catalog, page tree, fonts, info, the streams, then one object per page.
    Returns the bytes and the offset of each object (index 0 = object 1)."""
    n_streams = len(streams)
    first_page = _FIXED + n_streams + 1
    kids = b" ".join(b"%d 0 R" % (first_page + k) for k in range(len(page_streams)))
    bodies = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(page_streams)),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
        b"<< /Title (%s) /Producer (cdpi simulated web) /CreationDate (D:20260915120000Z) >>" % _escape(title),
        *streams,
    ]
    resources = b"/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >>"
    bodies += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] %s /Contents %d 0 R >>"
               % (PAGE_W, PAGE_H, resources, _FIXED + 1 + s) for s in page_streams]
    out = bytearray(_HEADER)
    offsets = []
    for num, body in enumerate(bodies, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (num, body)
    return out, offsets


def _tail(offsets: Sequence[int], startxref: int) -> bytes:
    """xref table (20-byte entries), trailer, startxref and %%EOF."""
    entries = b"".join(b"%010d 00000 n\r\n" % off for off in offsets)
    size = len(offsets) + 1
    return (b"xref\n0 %d\n0000000000 65535 f\r\n%strailer\n<< /Size %d /Root 1 0 R /Info 5 0 R >>\n"
            b"startxref\n%d\n%%%%EOF\n" % (size, entries, size, startxref))


@lru_cache(maxsize=2)
def _deflated_spaces(mb: int) -> bytes:
    """zlib data inflating to ``mb`` MiB of spaces, built in milliseconds: after a full flush the
    deflate state is reset, so each further MiB compresses to the same bytes; the Adler-32 of the
    whole is computed separately and written in place of the one zlib computed for two chunks."""
    chunk = b" " * (1 << 20)
    co = zlib.compressobj(9)
    first = co.compress(chunk) + co.flush(zlib.Z_FULL_FLUSH)
    again = co.compress(chunk) + co.flush(zlib.Z_FULL_FLUSH)
    end = co.flush()
    adler = 1
    for _ in range(mb):
        adler = zlib.adler32(chunk, adler)
    return first + again * (mb - 1) + end[:-4] + struct.pack(">I", adler)
