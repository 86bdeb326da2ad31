"""An archived HTTP body decoded as it is read, a bounded piece at a time, whatever its chunks or compression.

Our own archives keep bodies as used (decoded, no transfer coding). An archive from another crawler may keep a
body as it came off the wire: ``Transfer-Encoding: chunked``, ``Content-Encoding: gzip`` or ``deflate``.
warcio decodes such a body a whole chunk at a time (one 40 MB chunk is 40 MB in memory, twice) and inflates
each block of it without limit (a gzip bomb), before the replay's byte cap can stop it. Here the raw record
is read at most 64 KiB at a time and inflated at most 64 KiB at a time (``zlib``'s ``max_length``), so the
reading loop (``sources/http/body.read_capped``) stops a body at its cap having held about the cap.

What warcio accepts stays accepted, so an archive replays as it did: a body whose first line is not a chunk
size was stored already dechunked (some crawlers keep the header) and is taken as stored; a body that does
not inflate from its first bytes was stored decoded and is taken as stored (``deflate``: raw deflate is tried
first, as warcio does); a compressed body that ends before its compressed stream does keeps what it held, as
the live reader (urllib3) would; a gzip body of several members is decoded member after member, and bytes
after the last that are no gzip member are ignored, as urllib3 does; ``br`` and any other coding are not
decoded. What warcio passed over in
silence is now an error (``UndecodableBody``), replayed as ``connection_error``, the outcome of a body that
cannot be read live: a chunked body cut short or with a malformed chunk after its first, and a compressed
stream that breaks after it started to inflate.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator
from typing import Protocol

#: The most read from the record, and the most inflated, in one step.
PIECE = 64 * 1024
#: The longest chunk-size line (size and extensions) read; a longer one is malformed, not read on.
MAX_LINE = 4096
#: The most trailer lines after the last chunk.
MAX_TRAILERS = 100
#: The compressed bytes kept until a body first inflates, to be taken as stored if it does not (warcio
#: decides on its first block); a body that inflates to nothing for longer is not stored decoded.
HOLD = 64 * 1024

#: Content codings decoded here, each with the zlib ``wbits`` to try in order.
CODINGS: dict[str, tuple[int, ...]] = {
    "gzip": (16 + zlib.MAX_WBITS,),
    "x-gzip": (16 + zlib.MAX_WBITS,),
    "deflate": (zlib.MAX_WBITS, -zlib.MAX_WBITS),   # zlib-wrapped, then raw deflate
}


class UndecodableBody(ValueError):
    """An archived body that cannot be decoded as its headers say (replayed as ``connection_error``)."""


class RawStream(Protocol):
    def read(self, length: int | None = ...) -> bytes: ...

    def readline(self, length: int | None = ...) -> bytes: ...


class CountingReader:
    """``stream`` with a count of the bytes read from it, for the rule on how much a compressed body may
    expand (``BodyLimits.max_expansion``): the bytes received, as a live fetch counts them."""

    def __init__(self, stream: RawStream):
        self._stream = stream
        self.count = 0

    def read(self, length: int | None = None) -> bytes:
        data = self._stream.read(length)
        self.count += len(data)
        return data

    def readline(self, length: int | None = None) -> bytes:
        data = self._stream.readline(length)
        self.count += len(data)
        return data

    def tell(self) -> int:
        return self.count


def pieces(raw: RawStream) -> Iterator[bytes]:
    """``raw`` to its end, ``PIECE`` bytes at a time."""
    while piece := raw.read(PIECE):
        yield piece


def _chunk_size(line: bytes) -> int | None:
    """The size a chunk-size line gives (hex digits, then any ``;extensions``, then CRLF), else None."""
    if not line.endswith(b"\r\n"):
        return None
    digits = line[:-2].split(b";", 1)[0].strip(b" \t")
    if not digits or len(digits) > 16 or digits.strip(b"0123456789abcdefABCDEF"):
        return None
    return int(digits, 16)


def _malformed(line: bytes) -> str:
    if not line:
        return "the chunked body ends before its last chunk (cut short)"
    if not line.endswith(b"\n"):
        if len(line) >= MAX_LINE:
            return f"a chunk-size line longer than {MAX_LINE} bytes"
        return "the chunked body ends inside a chunk-size line (cut short)"
    return f"a chunk-size line that is not a hexadecimal size ({line[:40]!r})"


def dechunked(raw: RawStream) -> Iterator[bytes]:
    """The body of a chunked ``raw`` stream, at most ``PIECE`` bytes at a time, whatever a chunk's size.

    Raises ``UndecodableBody`` for a chunked body cut short (inside a chunk or before its last, zero-size
    chunk), a chunk not followed by CRLF, a malformed chunk-size line after the first, or an endless trailer.
    A first line that is no chunk size means the body was stored already dechunked: it is yielded as stored,
    as warcio does."""
    line = raw.readline(MAX_LINE)
    if _chunk_size(line) is None:
        if line:
            yield line
        yield from pieces(raw)
        return
    while True:
        size = _chunk_size(line)
        if size is None:
            raise UndecodableBody(_malformed(line))
        if size == 0:
            _trailer(raw)
            return
        while size:
            piece = raw.read(min(size, PIECE))
            if not piece:
                raise UndecodableBody("the chunked body ends inside a chunk (cut short)")
            size -= len(piece)
            yield piece
        end = raw.read(2)
        if end != b"\r\n":
            raise UndecodableBody("the chunked body ends after a chunk (cut short)" if not end else
                                  "a chunk not followed by CRLF (its size is wrong)")
        line = raw.readline(MAX_LINE)


def _trailer(raw: RawStream) -> None:
    """Read the trailer after the last chunk: header lines up to a blank line. The end of the stream is taken
    for the blank line (warcio does not read a trailer at all; a body is whole once its last chunk came)."""
    for _ in range(MAX_TRAILERS):
        line = raw.readline(MAX_LINE)
        if line in (b"", b"\r\n", b"\n"):
            return
        if not line.endswith(b"\n"):
            raise UndecodableBody(f"a chunked body's trailer line longer than {MAX_LINE} bytes")
    raise UndecodableBody(f"a chunked body's trailer of more than {MAX_TRAILERS} lines")


class _Inflater:
    """One content coding inflated piece by piece (see ``decoded``)."""

    def __init__(self, modes: tuple[int, ...]):
        self._modes = list(modes)
        #: gzip may hold several members one after another (RFC 1952), each inflated in turn; zlib's
        #: decompressor stops at the end of the first. None for deflate: one stream, bytes after it ignored.
        self._members: int | None = modes[0] if modes[0] > zlib.MAX_WBITS + 8 else None
        self._inflate = zlib.decompressobj(self._modes.pop(0))
        self._later = False                            # inflating a member after the first
        self._done = False                             # bytes after the last good member: ignored
        self._head: bytearray | None = bytearray()   # input so far, while nothing has inflated from it
        self.stored = False                            # the body is taken as stored (not compressed)
        self.produced = 0                              # bytes inflated so far

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self.stored:
            yield data
            return
        if self._head is not None:
            self._head += data
            if len(self._head) > HOLD:
                self._head = None
        while data and not self._done:
            if self._inflate.eof:
                if self._members is None:   # deflate: what follows the stream is ignored
                    return
                # The next gzip member, from the bytes after the last (unused_data, or this feed's).
                self._inflate, self._later = zlib.decompressobj(self._members), True
            inflate = self._inflate
            try:
                out = inflate.decompress(data, PIECE)
            except zlib.error as exc:
                if self._later:   # trailing bytes that are no gzip member: ignored, as urllib3 does
                    self._done = True
                    return
                yield from self._failed(exc)
                return
            # Input left over: the rest of this member (output was capped at PIECE), or after its end the
            # bytes that follow it (unconsumed_tail is then empty).
            data = inflate.unconsumed_tail or inflate.unused_data
            if out:
                self._head = None
                self.produced += len(out)
                yield out

    def _failed(self, exc: zlib.error) -> Iterator[bytes]:
        if self._head is None:
            raise UndecodableBody(f"the compressed body does not inflate ({exc})") from None
        head, self._head = bytes(self._head), bytearray()
        if self._modes:   # deflate: zlib-wrapped failed, try raw deflate on the same bytes
            self._inflate = zlib.decompressobj(self._modes.pop(0))
        else:             # stored decoded although its header names a coding: taken as stored
            self.stored = True
        yield from self.feed(head)


def decoded(chunks: Iterable[bytes], encoding: str) -> Iterator[bytes]:
    """``chunks`` decoded from ``encoding`` (a ``Content-Encoding`` value), at most ``PIECE`` bytes at a time
    however much they expand: the caller stops reading at its cap, and inflating stops with it. A coding not
    in ``CODINGS`` (``identity``, ``br``, several codings) is not decoded, as before."""
    modes = CODINGS.get(encoding.strip().lower())
    if modes is None:
        yield from chunks
        return
    inflater = _Inflater(modes)
    for data in chunks:
        yield from inflater.feed(data)
