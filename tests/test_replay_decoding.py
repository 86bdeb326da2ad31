"""Bodies another crawler archived as they came off the wire (``Transfer-Encoding: chunked``, ``Content-Encoding:
gzip`` or ``deflate``) replay under the byte cap a bounded piece at a time, whatever a chunk's size or the
compression ratio; a chunked body cut short or malformed replays as ``connection_error``, never as a page; and
indexing an archive never inflates more than a bounded piece of a record at a time."""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.limitreader import LimitReader
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from sources.http import archive as archive_mod
from sources.http import decoding
from sources.http.archive import ReplayIndex, WarcArchive, warc_now
from sources.http.config import FetcherConfig
from sources.http.fetcher import Fetcher
from sources.http.result import FetchResult

URL = "https://www.a.example/page"
KIB = 1024
PIECE = 64 * KIB


@pytest.fixture(autouse=True)
def _fresh_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts as a new process would: nothing indexed in memory."""
    monkeypatch.setattr(archive_mod, "_FILE_INDEXES", {})


def _text(n: int) -> bytes:
    return (b"<p>a page of a city website, line after line</p>\n" * (n // 50 + 1))[:n]


def _chunked(body: bytes, size: int, *, ending: bytes = b"0\r\n\r\n") -> bytes:
    parts = [b"%x\r\n%s\r\n" % (len(body[i:i + size]), body[i:i + size]) for i in range(0, len(body), size)]
    return b"".join(parts) + ending


def _warc(directory: Path, stored: bytes, headers: list[tuple[str, str]], name: str = "other") -> Path:
    """A WARC as another crawler writes it: one response whose HTTP body is ``stored`` byte for byte (wire
    codings kept), and its request."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.warc.gz"
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        resp = writer.create_warc_record(URL, "response", payload=io.BytesIO(stored), length=len(stored),
                                         http_headers=StatusAndHeaders("200 OK", [("Content-Type", "text/html"),
                                                                                  *headers], protocol="HTTP/1.1"))
        writer.write_record(resp)
        writer.write_record(writer.create_warc_record(
            URL, "request", payload=io.BytesIO(b""),
            http_headers=StatusAndHeaders("GET /page HTTP/1.1", [("Host", "www.a.example")], is_http_request=True),
            warc_headers_dict={"WARC-Concurrent-To": resp.rec_headers.get_header("WARC-Record-ID")}))
    return path


def _replay(path: Path, cap: int = 1024 * KIB, max_bytes: int | None = None) -> FetchResult:
    config = FetcherConfig(replay=(str(path),), max_bytes=cap, obey_robots=False)
    with Fetcher(config) as fetcher:
        return fetcher.get(URL, max_bytes=max_bytes)


class _Inflation:
    """Every zlib decompressor made while it is installed, counted: the bytes each call handed back, and
    the most one call did (warcio's and ours alike look ``zlib.decompressobj`` up when they make one)."""

    def __init__(self) -> None:
        self.total = 0
        self.largest = 0

    def make(self, real):
        meter = self

        class Counted:
            def __init__(self, *args):
                self._d = real(*args)

            def decompress(self, data, max_length=0):
                out = self._d.decompress(data, max_length)
                meter.total += len(out)
                meter.largest = max(meter.largest, len(out))
                return out

            def __getattr__(self, name):
                return getattr(self._d, name)

        return Counted


@pytest.fixture
def inflation(monkeypatch: pytest.MonkeyPatch) -> _Inflation:
    meter = _Inflation()
    monkeypatch.setattr(zlib, "decompressobj", meter.make(zlib.decompressobj))
    return meter


@pytest.fixture
def largest_read(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The most bytes one read of a record's block returned (the record's stream is warcio's LimitReader)."""
    seen = [0]
    real = LimitReader.read

    def read(self, length=None):
        out = real(self, length)
        seen[0] = max(seen[0], len(out))
        return out

    monkeypatch.setattr(LimitReader, "read", read)
    return seen


# ---------------------------------------------------------------------------------------------- well formed


@pytest.mark.parametrize(("coding", "compress"), [
    ("gzip", gzip.compress), ("x-gzip", gzip.compress), ("deflate", zlib.compress),
    ("deflate", lambda b: zlib.compress(b)[2:-4]),   # raw deflate, which some servers send as "deflate"
    ("", lambda b: b)])
@pytest.mark.parametrize("chunk", [None, 7, 4096])
def test_bodies_stored_with_wire_codings_replay_as_the_page(coding: str, compress, chunk: int | None,
                                                            tmp_path: Path) -> None:
    body = _text(100 * KIB)
    stored = compress(body)
    headers = [("Content-Encoding", coding)] if coding else []
    if chunk is not None:
        stored, headers = _chunked(stored, chunk), [*headers, ("Transfer-Encoding", "chunked")]
    result = _replay(_warc(tmp_path, stored, headers))
    assert (result.outcome.value, result.status) == ("ok", 200)
    assert result.body == body


@pytest.mark.parametrize("chunk", [None, 7, 4096])
def test_a_gzip_body_of_several_members_replays_whole(chunk: int | None, tmp_path: Path) -> None:
    """A gzip body may be several members one after another (RFC 1952); the live reader (urllib3) decodes
    every one, the replay kept the first alone. Bytes after the last member that are no gzip member are
    ignored, as urllib3 ignores them."""
    first, second, third = _text(100 * KIB), _text(3 * KIB)[::-1], b"<p>the end</p>"
    stored = gzip.compress(first) + gzip.compress(second) + gzip.compress(third) + b"\0\0 trailing garbage"
    headers = [("Content-Encoding", "gzip")]
    if chunk is not None:
        stored, headers = _chunked(stored, chunk), [*headers, ("Transfer-Encoding", "chunked")]
    result = _replay(_warc(tmp_path, stored, headers))
    assert (result.outcome.value, result.status) == ("ok", 200)
    assert result.body == first + second + third


def test_every_gzip_member_inflates_a_bounded_piece_at_a_time() -> None:
    bomb = gzip.compress(bytes(4 * 1024 * KIB), 9)
    pieces = list(decoding.decoded([bomb + bomb[:10], bomb[10:]], "gzip"))
    assert all(len(p) <= decoding.PIECE for p in pieces)
    assert sum(len(p) for p in pieces) == 8 * 1024 * KIB
    assert _all(decoding.decoded([zlib.compress(b"one") + zlib.compress(b"two")], "deflate")) == b"one"


def test_the_decoded_body_is_what_warcio_decoded_for_every_body_it_read_whole(tmp_path: Path) -> None:
    """What replayed before replays the same: for well-formed bodies, including those warcio takes as stored
    (a header naming a coding the body does not have), the bounded decoder gives warcio's bytes."""
    body = _text(50 * KIB)
    cases = [
        (gzip.compress(body), [("Content-Encoding", "gzip")]),
        (body, [("Content-Encoding", "gzip")]),                                  # stored decoded
        (body, [("Content-Encoding", "deflate")]),
        (_chunked(body, 1000), [("Transfer-Encoding", "chunked")]),
        (body, [("Transfer-Encoding", "chunked")]),                              # stored dechunked
        (_chunked(zlib.compress(body), 999), [("Transfer-Encoding", "chunked"), ("Content-Encoding", "deflate")]),
        (_chunked(body, 4096), [("Transfer-Encoding", "chunked"), ("Content-Encoding", "gzip")]),  # stored decoded
        (b"\x8b\x00brotli bytes", [("Content-Encoding", "br")]),                 # br: not decoded
        (gzip.compress(body) + b"trailing", [("Content-Encoding", "gzip")]),    # bytes after the gzip stream
        (b"", [("Transfer-Encoding", "chunked")]),
    ]
    for k, (stored, headers) in enumerate(cases):
        path = _warc(tmp_path / str(k), stored, headers)
        with open(path, "rb") as fh:
            record = next(iter(ArchiveIterator(fh)))
            expected = record.content_stream().read()
        assert _replay(path).body == expected, (k, headers)


def test_chunk_extensions_and_a_trailer_are_read_past(tmp_path: Path) -> None:
    stored = b"5;name=value\r\nhello\r\n6 ; x\r\n world\r\n0\r\nExpires: never\r\nX-Other: 1\r\n\r\n"
    result = _replay(_warc(tmp_path, stored, [("Transfer-Encoding", "chunked")]))
    assert (result.outcome.value, result.body) == ("ok", b"hello world")


# ---------------------------------------------------------------------------------------------- bounded


def test_a_chunk_larger_than_the_cap_stops_at_the_cap_reading_a_piece_at_a_time(
        tmp_path: Path, largest_read: list[int]) -> None:
    """warcio read a chunk whole (one 40 MB chunk: 40 MB in memory, twice) before the cap could stop it."""
    cap = 256 * KIB
    body = _text(4 * 1024 * KIB)
    path = _warc(tmp_path, _chunked(body, len(body)), [("Transfer-Encoding", "chunked")])
    result = _replay(path, cap)
    assert (result.outcome.value, result.status, result.error) == ("too_large", 200, f"body exceeded {cap} bytes")
    assert largest_read[0] <= PIECE, f"one read took {largest_read[0]} bytes of the chunk"
    # A request that raises its own cap gets the whole body, exact, still read a piece at a time.
    whole = _replay(path, cap, max_bytes=8 * 1024 * KIB)
    assert (whole.outcome.value, whole.body == body) == ("ok", True)
    assert largest_read[0] <= PIECE


def test_a_gzip_bomb_stops_at_the_cap_having_inflated_about_the_cap(tmp_path: Path, inflation: _Inflation) -> None:
    """64 MB of zeros in 64 KB of gzip, under a 256 KiB cap: warcio inflated 16 KiB of it at a time, 16 MB."""
    cap = 256 * KIB
    bomb = gzip.compress(bytes(64 * 1024 * KIB), 9)
    assert len(bomb) < 100 * KIB
    for k, (stored, headers) in enumerate([
            (bomb, [("Content-Encoding", "gzip")]),
            (_chunked(bomb, len(bomb)), [("Content-Encoding", "gzip"), ("Transfer-Encoding", "chunked")])]):
        path = _warc(tmp_path / str(k), stored, headers)
        ReplayIndex([str(path)])   # indexed first: its own inflating is not counted below
        inflation.total = inflation.largest = 0
        result = _replay(path, cap)
        assert (result.outcome.value, result.error) == ("too_large", f"body exceeded {cap} bytes")
        assert inflation.largest <= PIECE, f"one step inflated {inflation.largest} bytes"
        # The record itself (its WARC gzip member, about the size of the compressed body) and the body up to
        # the cap plus one piece: decoding stopped at the cap, nowhere near the 64 MB.
        assert inflation.total <= cap + PIECE + 4 * len(stored), inflation.total


def test_past_max_bytes_a_compressed_body_may_expand_only_max_expansion_times(tmp_path: Path) -> None:
    """The live rule on expansion holds for an archived compressed body under a catalog-sized cap, counted
    against the stored bytes read."""
    bomb = gzip.compress(bytes(64 * 1024 * KIB), 9)
    path = _warc(tmp_path, _chunked(bomb, 1000), [("Content-Encoding", "gzip"), ("Transfer-Encoding", "chunked")])
    result = _replay(path, 512 * KIB, max_bytes=256 * 1024 * KIB)
    assert result.outcome.value == "too_large"
    assert result.error.startswith("compressed body expanded more than 200 times")


# ---------------------------------------------------------------------------------------------- malformed


@pytest.mark.parametrize(("stored", "why"), [
    (b"5\r\nhello\r\nzz\r\nmore\r\n0\r\n\r\n", "not a hexadecimal size"),
    (b"5\r\nhello\r\n" + b"7" * 100_000 + b"\r\n", "longer than 4096 bytes"),      # a size of 100,000 digits
    (b"5\r\nhello\r\n" + b"7" * 20 + b"\r\n", "not a hexadecimal size"),          # more than 16 digits
    (b"5\r\nhello\r\n" + b"x" * 3_000_000, "longer than 4096 bytes"),             # a line that never ends
    (b"5\r\nhello\r\n-5\r\nhello\r\n0\r\n\r\n", "not a hexadecimal size"),
    (b"5\r\nhelloXX6\r\n world\r\n0\r\n\r\n", "not followed by CRLF"),            # a chunk longer than its size
    (b"5\r\nhello\r\n0\r\n" + b"X-Trailer: 1\r\n" * 500, "trailer of more than"),
])
def test_a_malformed_chunked_body_replays_as_connection_error(stored: bytes, why: str, tmp_path: Path) -> None:
    """warcio took everything after a bad chunk-size line as the body (the line itself included) and replayed
    it as the page; a live fetch of such a body fails."""
    result = _replay(_warc(tmp_path, stored, [("Transfer-Encoding", "chunked")]))
    assert (result.outcome.value, result.status, result.body) == ("connection_error", None, b"")
    assert result.error.startswith("archived body cannot be decoded") and why in result.error, result.error


@pytest.mark.parametrize("stored", [
    b"5\r\nhello\r\na\r\n worl",        # inside a chunk
    b"5\r\nhello\r\n",                  # after a chunk, before the last (zero-size) one
    b"5\r\nhello\r\n6",                 # inside a chunk-size line
    b"5\r\nhello",                      # before a chunk's CRLF
])
def test_a_chunked_body_cut_short_replays_as_connection_error(stored: bytes, tmp_path: Path) -> None:
    """warcio replayed a chunked body cut short as the page, shortened, without a word."""
    result = _replay(_warc(tmp_path, stored, [("Transfer-Encoding", "chunked")]))
    assert (result.outcome.value, result.status) == ("connection_error", None)
    assert "cut short" in result.error, result.error


def test_a_compressed_body_that_breaks_after_it_started_replays_as_connection_error(tmp_path: Path) -> None:
    """warcio wrote the zlib error to stderr and replayed what it had inflated so far as the page."""
    good = gzip.compress(_text(400 * KIB))
    broken = good[:-8] + bytes(b ^ 0xFF for b in good[-8:-4]) + good[-4:]   # its CRC no longer matches
    result = _replay(_warc(tmp_path, broken, [("Content-Encoding", "gzip")]))
    assert (result.outcome.value, result.status) == ("connection_error", None)
    assert "does not inflate" in result.error


def test_a_body_stored_already_dechunked_replays_as_stored(tmp_path: Path) -> None:
    """Some crawlers keep the Transfer-Encoding header of a body they stored dechunked: a first line that is
    no chunk size means that, as warcio took it (however long the line)."""
    for k, stored in enumerate([b"<html>not chunked</html>", b"x" * 200_000, b"zz\r\nhello"]):
        result = _replay(_warc(tmp_path / str(k), stored, [("Transfer-Encoding", "chunked")]))
        assert (result.outcome.value, result.body) == ("ok", stored)


# ---------------------------------------------------------------------------------------------- the decoder


class _Wire(io.BytesIO):
    """A raw stream that records the most any one read asked for."""

    asked = 0

    def read(self, size: int | None = -1) -> bytes:
        self.asked = max(self.asked, size if size is not None and size >= 0 else 1 << 62)
        return super().read(size)

    def readline(self, size: int | None = -1) -> bytes:
        self.asked = max(self.asked, size if size is not None and size >= 0 else 1 << 62)
        return super().readline(size)


def _all(gen: Iterator[bytes]) -> bytes:
    return b"".join(gen)


def test_the_dechunker_never_asks_for_more_than_a_piece_or_a_line() -> None:
    body = _text(1024 * KIB)
    wire = _Wire(_chunked(body, len(body)))
    assert _all(decoding.dechunked(wire)) == body
    assert wire.asked <= max(decoding.PIECE, decoding.MAX_LINE)
    many = _Wire(_chunked(body[:30_000], 3))
    assert _all(decoding.dechunked(many)) == body[:30_000]


def test_the_inflater_yields_bounded_pieces_and_stops_when_the_reader_stops() -> None:
    bomb = gzip.compress(bytes(32 * 1024 * KIB), 9)
    out = decoding.decoded([bomb], "gzip")
    taken = 0
    for piece in out:
        assert len(piece) <= decoding.PIECE
        taken += len(piece)
        if taken > 1024 * KIB:
            break
    out.close()
    assert taken <= 1024 * KIB + decoding.PIECE


# ---------------------------------------------------------------------------------------------- the index


def test_indexing_inflates_a_bounded_piece_at_a_time_and_finds_the_same_offsets(
        tmp_path: Path, inflation: _Inflation) -> None:
    """A record whose gzip member compresses a thousand times over: warcio inflated each 16 KiB block of it
    whole (16 MB). Offsets and lengths are warcio's own."""
    archive = WarcArchive(tmp_path, "t")
    for k, size in enumerate([10, 8 * 1024 * KIB, 300 * KIB, 8 * 1024 * KIB, 5]):
        archive.write_exchange(url=f"{URL}{k}", method="GET", request_headers=[("Host", "www.a.example")],
                               status=200, reason="OK", response_headers=[], body=_text(size), date=warc_now())
    archive.close()
    index = ReplayIndex([str(archive.path)])
    assert inflation.largest <= PIECE, f"one step inflated {inflation.largest} bytes"
    with open(archive.path, "rb") as fh:
        records = ArchiveIterator(fh)
        expected = {r.rec_headers.get_header("WARC-Target-URI"): (records.get_record_offset(),
                                                                   records.get_record_length())
                    for r in records if r.rec_type == "response"}
    part = archive_mod._file_index(archive.path)
    got = {url: (e.offset, e.length) for (_, url), e in part.entries.items()}
    assert got == {archive_mod.normalize_url(u): where for u, where in expected.items()}
    assert index.lookup("GET", f"{URL}1").body == _text(8 * 1024 * KIB)
