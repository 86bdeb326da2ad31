"""A replay serves only whole records, and no more of a body than a live fetch would read.

An archive cut off anywhere (a copy stopped early, a disk that filled) must not replay its last record as if
it were whole: warcio reads a gzip member without its end, and a block shorter than its Content-Length,
without a word. And an archive from any crawler may hold a body of any size: replayed, it ends as
``too_large`` where a live fetch would, read as a live body is (never whole into memory)."""

from __future__ import annotations

import gzip
import io
import logging
import random
import re
import tracemalloc
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from sources.http import archive as archive_mod
from sources.http import replay_sidecar
from sources.http.archive import ReplayIndex, WarcArchive, warc_now
from sources.http.config import FetcherConfig
from sources.http.fetcher import Fetcher

REQ = [("Host", "www.a.example"), ("User-Agent", "cdpi-bot/0.1")]
PAGE = "https://www.a.example/page"
REUSED = "https://www.a.example/cached"
FAILED = "https://www.a.example/slow"
CARRIED = "https://www.a.example/carried"
ABSENT = "https://www.a.example/gone"
REVISIT = "https://www.a.example/again"


@pytest.fixture(autouse=True)
def _fresh_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts as a new process would: nothing indexed in memory."""
    monkeypatch.setattr(archive_mod, "_FILE_INDEXES", {})


def _noise(n: int, seed: int) -> bytes:
    """``n`` bytes that do not compress, so a cut in the compressed file lands inside the body."""
    return random.Random(seed).randbytes(n)


def _write_every_kind(directory: Path) -> Path:
    """A WARC holding one record of each type the project writes (warcinfo, response, request, a 304's
    resource, a hop failure's metadata, carried pages as resources), plus a revisit record as other crawlers
    write them, one gzip member per record."""
    archive = WarcArchive(directory, "t")
    archive.write_exchange(url=PAGE, method="GET", request_headers=REQ, status=200, reason="OK",
                           response_headers=[("Content-Type", "text/html")], body=_noise(40_000, 1), date=warc_now())
    archive.write_exchange(url=REUSED, method="GET", request_headers=REQ, status=304, reason="Not Modified",
                           response_headers=[("ETag", '"1"')], body=b"", date=warc_now(),
                           reused_body=_noise(30_000, 2))
    archive.write_failure(url=FAILED, method="GET", outcome="timeout", error="slow", date=warc_now(),
                          request_headers=REQ)
    archive.write_carried(url=CARRIED, final_url=CARRIED, content_type="text/html", body=_noise(60_000, 3),
                          verified_at=warc_now(), from_run="r1", date=warc_now())
    archive.write_carried(url=ABSENT, final_url=ABSENT, content_type="", body=b"", verified_at=warc_now(),
                          from_run="r1", date=warc_now(), status=404)
    archive.close()
    with open(archive.path, "ab") as fh:
        writer = WARCWriter(fh, gzip=True)
        writer.write_record(writer.create_revisit_record(
            REVISIT, digest="sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ", refers_to_uri=PAGE, refers_to_date=warc_now(),
            http_headers=StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")))
    return archive.path


def _members(data: bytes) -> list[tuple[int, int, str, str]]:
    """(offset, length, record type, target URL) of each record (each its own gzip member)."""
    records = ArchiveIterator(io.BytesIO(data))
    return [(records.get_record_offset(), records.get_record_length(), r.rec_type,
             r.rec_headers.get_header("WARC-Target-URI") or "") for r in records]


def _answers(path: Path) -> dict[tuple[str, str], tuple]:
    index = ReplayIndex([str(path)])
    out = {}
    for method, url in index.archived():
        ex = index.lookup(method, url)
        assert ex is not None
        out[(method, url)] = (ex.status, ex.body, ex.outcome, ex.reused_body, ex.carried_from)
    return out


def _cuts(members: list[tuple[int, int, str, str]]) -> list[tuple[int, int]]:
    """(where the member starts, where the file is cut) for cuts in each member: just after its gzip header,
    inside its WARC headers, inside its body, where its deflate data ends (no trailer at all) and inside its
    8-byte gzip trailer (CRC and length)."""
    cuts = []
    for offset, length, _kind, _url in members:
        for inside in (11, 40, length // 2, length - 8, length - 5, length - 1):
            if 0 < inside < length:
                cuts.append((offset, offset + inside))
    return cuts


def test_a_file_cut_anywhere_serves_no_cut_record_counts_the_loss_and_keeps_no_index(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    whole = _write_every_kind(tmp_path / "src")
    data = whole.read_bytes()
    members = _members(data)
    assert [kind for *_, kind, _ in members] == ["warcinfo", "response", "request", "response", "request",
                                                  "resource", "metadata", "request", "resource", "resource",
                                                  "revisit"]
    full = _answers(whole)
    assert len(full[("GET", CARRIED)][1]) == 60_000 and len(full[("GET", REUSED)][3]) == 30_000
    # Where each answer is complete: the end of the last record it needs (a request follows its response).
    needs = {("GET", PAGE): members[2], ("GET", REUSED): members[5], ("GET", FAILED): members[6],
             ("GET", CARRIED): members[8], ("GET", ABSENT): members[9]}
    ready = {key: offset + length for key, (offset, length, *_rest) in needs.items()}
    assert set(full) == set(ready)
    for k, (start, cut) in enumerate(_cuts(members)):
        monkeypatch.setattr(archive_mod, "_FILE_INDEXES", {})
        path = tmp_path / f"cut{k}" / "t.warc.gz"
        path.parent.mkdir()
        path.write_bytes(data[:cut])
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            got = _answers(path)
            assert archive_mod.unreadable_records([str(path)]) == {str(path): 1}, f"cut at {cut}: the loss is counted"
        if start > 0:
            assert any(r.levelno == logging.WARNING and path.name in r.getMessage() for r in caplog.records), cut
        assert not replay_sidecar.path_for(path).exists(), f"cut at {cut}: no index kept for a file that is not whole"
        for key, answer in got.items():
            if key == ("GET", REUSED) and answer[3] is None:   # its 304 whole, its body cut off: not_archived
                assert ready[key] > start and answer[:3] == full[key][:3], cut
                continue
            assert answer == full[key], f"cut at {cut}: {key} answered with something else than the whole file's"
        assert {key for key, end in ready.items() if end <= start} <= set(got), f"cut at {cut}: a whole record lost"


def test_a_plain_warc_cut_inside_a_carried_body_does_not_replay_it(tmp_path: Path) -> None:
    whole = _write_every_kind(tmp_path / "src")
    data = whole.read_bytes()
    offset, length = next((o, n) for o, n, kind, url in _members(data) if url == CARRIED)
    plain = gzip.decompress(data[:offset]) + gzip.decompress(data[offset:offset + length])[:30_000]
    path = tmp_path / "plain" / "t.warc"
    path.parent.mkdir()
    path.write_bytes(plain)
    index = ReplayIndex([str(path)])
    assert index.lookup("GET", CARRIED) is None, "a carried page cut short replays as not_archived"
    assert index.lookup("GET", PAGE) is not None
    assert archive_mod.unreadable_records([str(path)]) == {str(path): 1}
    assert not replay_sidecar.path_for(path).exists()


def test_a_block_shorter_than_its_content_length_is_damage_not_a_page(tmp_path: Path) -> None:
    """A record claiming more bytes than its gzip member holds (an edited or badly written archive) is
    skipped as damaged; the records after it still replay."""
    whole = _write_every_kind(tmp_path / "src")
    data = whole.read_bytes()
    offset, length = next((o, n) for o, n, kind, url in _members(data) if url == CARRIED)
    record = re.sub(rb"Content-Length: (\d+)", lambda m: b"Content-Length: %d" % (int(m[1]) + 5000),
                    gzip.decompress(data[offset:offset + length]), count=1)
    path = tmp_path / "long" / "t.warc.gz"
    path.parent.mkdir()
    path.write_bytes(data[:offset] + gzip.compress(record) + data[offset + length:])
    index = ReplayIndex([str(path)])
    assert index.lookup("GET", CARRIED) is None
    assert index.lookup("GET", ABSENT).status == 404, "the record after it replays"
    assert archive_mod.unreadable_records([str(path)]) == {str(path): 1}


def _big_archive(directory: Path, size: int) -> Path:
    archive = WarcArchive(directory, "big")
    body = b"<html>" + b"<p>a page</p>" * (size // 13)
    archive.write_exchange(url=PAGE, method="GET", request_headers=REQ, status=200, reason="OK",
                           response_headers=[("Content-Type", "text/html")], body=body, date=warc_now())
    archive.write_carried(url=CARRIED, final_url=CARRIED, content_type="text/html", body=body,
                          verified_at=warc_now(), from_run="r1", date=warc_now())
    archive.write_exchange(url=REUSED, method="GET", request_headers=REQ, status=304, reason="Not Modified",
                           response_headers=[("ETag", '"1"')], body=b"", date=warc_now(), reused_body=body)
    archive.close()
    return archive.path


def test_a_body_past_the_byte_cap_replays_as_too_large_in_bounded_memory(tmp_path: Path) -> None:
    """The live cap (``FetcherConfig.max_bytes``) holds in replay: an archived body above it ends as
    too_large, and reading stops at the cap, so replaying it costs about the cap in memory, not the body."""
    size, cap = 12 * 1024 * 1024, 1024 * 1024
    path = _big_archive(tmp_path, size)
    config = FetcherConfig(replay=(str(path),), max_bytes=cap, obey_robots=False)
    with Fetcher(config) as fetcher:
        tracemalloc.start()
        try:
            page, carried, reused = (fetcher.get(url) for url in (PAGE, CARRIED, REUSED))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak < 4 * cap, f"replaying three {size}-byte bodies peaked at {peak} bytes"
        assert (page.outcome.value, page.status, page.body) == ("too_large", 200, b"")
        assert page.error == f"body exceeded {cap} bytes", "the live fetch's own words"
        assert (carried.outcome.value, carried.carried_from, carried.body) == ("too_large", "r1", b"")
        assert (reused.outcome.value, reused.status, reused.body) == ("too_large", 304, b"")
        # A request that raises its own cap (a whole data catalog) gets the whole body, as live.
        raised = fetcher.get(PAGE, max_bytes=2 * size)
        assert (raised.outcome.value, len(raised.body)) == ("ok", len(b"<html>" + b"<p>a page</p>" * (size // 13)))


def test_an_archive_ending_in_an_empty_gzip_member_is_whole(tmp_path: Path) -> None:
    """Some writers end a file with an empty gzip member; it holds no record, so nothing was lost."""
    from sources.http.archive import unreadable_records

    whole = _write_every_kind(tmp_path / "src")
    padded = tmp_path / "padded.warc.gz"
    padded.write_bytes(whole.read_bytes() + gzip.compress(b""))
    assert unreadable_records([str(padded)]) == {}
    assert _answers(padded) == _answers(whole)
    # A member after it that holds something is still a record cut off.
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(whole.read_bytes() + gzip.compress(b"") + gzip.compress(b"WARC/1.0\r\n")[:-3])
    assert sum(unreadable_records([str(cut)]).values()) >= 1
