"""The replay index: each WARC file read once per process (offsets kept, bodies read back on lookup), the
same answers as reading everything into memory, and a replay that never waits on politeness."""

from __future__ import annotations

import gzip
import io
import os
import re
import time
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from sources.http import archive as archive_mod
from sources.http import replay_sidecar
from sources.http.archive import ReplayIndex, WarcArchive, warc_now
from sources.http.config import FetcherConfig
from sources.http.fetcher import Fetcher
from sources.http.politeness import HostGate

REQ = [("Host", "www.a.example"), ("User-Agent", "cdpi-bot/0.1")]


def _write_sample(directory: Path, prefix: str = "t") -> Path:
    """One WARC holding every kind of exchange the replay distinguishes."""
    archive = WarcArchive(directory, prefix, {"cdpi-doc-hosts": "docs.example"})
    archive.write_exchange(url="https://www.a.example/x", method="GET", request_headers=REQ, status=503,
                           reason="Service Unavailable", response_headers=[], body=b"busy", date=warc_now())
    archive.write_exchange(url="https://www.a.example/x", method="GET", request_headers=REQ, status=200,
                           reason="OK", response_headers=[("Content-Type", "text/plain")], body=b"hello",
                           date=warc_now())
    archive.write_exchange(url="https://www.a.example/c", method="GET", request_headers=REQ, status=304,
                           reason="Not Modified", response_headers=[("ETag", '"1"')], body=b"",
                           date=warc_now(), reused_body=b"cached body")
    archive.write_failure(url="https://www.a.example/t", method="GET", outcome="timeout", error="slow",
                          date=warc_now(), request_headers=REQ)
    archive.write_exchange(url="https://www.a.example/big", method="GET", request_headers=REQ, status=200,
                           reason="OK", response_headers=[], body=b"x" * 10, date=warc_now(), truncated=True)
    archive.write_exchange(url="https://www.a.example/h", method="HEAD", request_headers=REQ, status=200,
                           reason="OK", response_headers=[("Content-Length", "5")], body=b"", date=warc_now())
    archive.close()
    return archive.path


def _assert_sample_lookups(index: ReplayIndex) -> None:
    x = index.lookup("GET", "https://WWW.A.EXAMPLE/x")
    assert (x.status, x.body, x.outcome) == (200, b"hello", None), "the last record wins (503 then 200)"
    assert ("Content-Type", "text/plain") in x.headers and x.date
    cached = index.lookup("GET", "https://www.a.example/c")
    assert cached.status == 304 and cached.reused_body == b"cached body"
    failure = index.lookup("GET", "https://www.a.example/t")
    assert (failure.status, failure.outcome, failure.error) == (None, "timeout", "slow")
    big = index.lookup("GET", "https://www.a.example/big")
    assert (big.status, big.outcome, big.body) == (200, "too_large", b"")
    assert index.lookup("HEAD", "https://www.a.example/h").status == 200
    assert index.lookup("HEAD", "https://www.a.example/x") is None
    assert index.lookup("GET", "https://www.a.example/nothing") is None
    assert index.declared("cdpi-doc-hosts") == ["docs.example"]


def test_offset_index_answers_every_kind_of_exchange(tmp_path: Path) -> None:
    path = _write_sample(tmp_path)
    index = ReplayIndex([str(tmp_path)])
    assert len(index) == 5
    _assert_sample_lookups(index)
    assert all(ex.source == path.name for ex in (index.lookup("GET", "https://www.a.example/x"),
                                                 index.lookup("GET", "https://www.a.example/t")))
    # What stays in memory is where each response is, not its body.
    part = archive_mod._FILE_INDEXES[path.resolve()]
    stored = part.entries[("GET", "https://www.a.example/x")]
    assert isinstance(stored, archive_mod._Stored) and not hasattr(stored, "body")


@pytest.mark.parametrize("compressed", [True, False])
def test_a_warc_cut_at_any_byte_replays_what_precedes_the_cut(tmp_path: Path, compressed: bool) -> None:
    """A run killed while writing leaves its WARC cut anywhere, even inside a record's headers (where warcio
    fails with an AttributeError): the index keeps every exchange complete before the cut, never raises,
    and never answers with a pair the cut tore."""
    whole = _write_sample(tmp_path / "src")
    data = whole.read_bytes() if compressed else gzip.decompress(whole.read_bytes())
    full = ReplayIndex([str(whole)])
    urls = [("GET", "https://www.a.example/x"), ("GET", "https://www.a.example/c"),
            ("GET", "https://www.a.example/t"), ("GET", "https://www.a.example/big"),
            ("HEAD", "https://www.a.example/h")]
    seen = set()
    for k, cut in enumerate(range(1, len(data), max(1, len(data) // 150))):
        path = tmp_path / f"cut{k}" / ("t.warc.gz" if compressed else "t.warc")
        path.parent.mkdir()
        path.write_bytes(data[:cut])
        index = ReplayIndex([str(path)])
        assert len(index) <= len(full)
        for method, url in urls:
            got = index.lookup(method, url)
            if got is not None:   # whatever it answers is complete: the whole file's answer, or an earlier attempt
                want = full.lookup(method, url)
                allowed = {(want.status, want.body, want.outcome)} | ({(503, b"busy", None)} if url.endswith("/x") else set())
                assert (got.status, got.body, got.outcome) in allowed, (cut, url)
        seen.add(len(index))
        assert archive_mod._FILE_INDEXES[path.resolve()].damaged == 0, f"cut at {cut}: a torn tail, not damage"
    assert len(seen) > 2, "the cuts land between and inside records"


def _members(data: bytes) -> list[tuple[int, int, str, str]]:
    """(offset, length, record type, target URL) of each record of a WARC written one gzip member per record."""
    records = ArchiveIterator(io.BytesIO(data))
    return [(records.get_record_offset(), records.get_record_length(), r.rec_type,
             r.rec_headers.get_header("WARC-Target-URI") or "") for r in records]


def _damaged(data: bytes, offset: int, length: int, how: str) -> bytes:
    """``data`` with its record at ``offset`` damaged: a Content-Length that no longer matches the block
    (the member still inflates; warcio then fails on what follows), or a flipped byte in the compressed
    bytes (the member no longer inflates, so where it ends is unknown)."""
    if how == "content_length":
        record = gzip.decompress(data[offset:offset + length])
        record = re.sub(rb"Content-Length: (\d+)", lambda m: b"Content-Length: %d" % (int(m[1]) // 2), record, count=1)
        return data[:offset] + gzip.compress(record) + data[offset + length:]
    at = offset + length // 2
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1:]


@pytest.mark.parametrize(("how", "line"), [("content_length", b"page %d\n"), ("content_length", b"page %d "),
                                           ("corrupt_bytes", b"page %d\n")])
def test_a_damaged_record_in_the_middle_costs_that_record_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               how: str, line: bytes) -> None:
    """One damaged record in the middle of a file loses its own exchange: the records after it still replay
    (reading resumes at the next gzip member), and the loss is counted, also by the next process, which
    loads the index kept beside the file. A wrong Content-Length that leaves one line over is damage too
    (warcio only warns about it, and would replay a cut body)."""
    archive = WarcArchive(tmp_path / "src", "t")
    pages = [f"https://www.a.example/p{i}" for i in range(8)]
    for i, url in enumerate(pages):
        archive.write_exchange(url=url, method="GET", request_headers=REQ, status=200, reason="OK",
                               response_headers=[("Content-Type", "text/plain")], body=line % i * 40,
                               date=warc_now())
    archive.close()
    data = archive.path.read_bytes()
    [(offset, length)] = [(o, n) for o, n, kind, url in _members(data) if kind == "response" and url == pages[3]]
    path = tmp_path / "damaged" / "t.warc.gz"
    path.parent.mkdir()
    path.write_bytes(_damaged(data, offset, length, how))
    for _process in ("first", "next"):
        monkeypatch.setattr(archive_mod, "_FILE_INDEXES", {})
        index = ReplayIndex([str(path)])
        assert index.lookup("GET", pages[3]) is None, "the damaged response is not replayed"
        for i, url in enumerate(pages):
            if i != 3:
                assert index.lookup("GET", url).body == line % i * 40, url
        part = archive_mod._FILE_INDEXES[path.resolve()]
        assert (part.damaged, part.torn) == (1, None)
        assert archive_mod.unreadable_records([str(path.parent)]) == {str(path): 1}
        assert replay_sidecar.path_for(path).exists(), "the file will not change: its index is kept"
    assert archive_mod.unreadable_records([str(archive.path)]) == {}, "the intact file loses nothing"


def test_uncompressed_warc_is_read_by_offset_too(tmp_path: Path) -> None:
    gz = _write_sample(tmp_path / "gz")
    plain = tmp_path / "plain" / "t.warc"
    plain.parent.mkdir()
    plain.write_bytes(gzip.decompress(gz.read_bytes()))   # one gzip member per record: this is the WARC
    _assert_sample_lookups(ReplayIndex([str(plain)]))


def test_each_file_is_indexed_once_per_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write_sample(tmp_path)
    built: list[Path] = []
    real_init = archive_mod._FileIndex.__init__

    def counting(self, p: Path, stamp: tuple[int, int, int]) -> None:
        built.append(p)
        real_init(self, p, stamp)

    monkeypatch.setattr(archive_mod._FileIndex, "__init__", counting)
    first = ReplayIndex([str(tmp_path)])
    second = ReplayIndex([str(path)])        # the same file named another way: still one parse
    assert built == [path.resolve()]
    assert second.lookup("GET", "https://www.a.example/x").body == b"hello"
    assert len(first) == len(second)


def test_a_changed_file_is_indexed_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write_sample(tmp_path)
    before = ReplayIndex([str(path)])
    assert before.lookup("GET", "https://www.a.example/x").body == b"hello"
    time.sleep(0.01)   # a coarse mtime clock still sees a new size
    again = WarcArchive(tmp_path, "t")       # same prefix, same process: appends to the same file
    assert again.path == path
    again.write_exchange(url="https://www.a.example/x", method="GET", request_headers=REQ, status=200,
                         reason="OK", response_headers=[], body=b"newer", date=warc_now())
    again.write_exchange(url="https://www.a.example/new", method="GET", request_headers=REQ, status=200,
                         reason="OK", response_headers=[], body=b"fresh", date=warc_now())
    again.close()
    after = ReplayIndex([str(path)])
    assert after.lookup("GET", "https://www.a.example/x").body == b"newer"     # last record wins
    assert after.lookup("GET", "https://www.a.example/new").body == b"fresh"
    assert len(after) == len(before) + 1
    assert archive_mod._FILE_INDEXES[path.resolve()].stamp[1] == path.stat().st_size


def test_the_last_file_wins_across_files(tmp_path: Path) -> None:
    old = WarcArchive(tmp_path, "a")
    old.write_exchange(url="https://www.a.example/x", method="GET", request_headers=REQ, status=200,
                       reason="OK", response_headers=[], body=b"from a", date=warc_now())
    old.close()
    new = WarcArchive(tmp_path, "b")
    new.write_exchange(url="https://www.a.example/x", method="GET", request_headers=REQ, status=404,
                       reason="Not Found", response_headers=[], body=b"from b", date=warc_now())
    new.close()
    ex = ReplayIndex([str(tmp_path)]).lookup("GET", "https://www.a.example/x")   # files in sorted order
    assert (ex.status, ex.body, ex.source) == (404, b"from b", new.path.name)


def test_a_file_replaced_during_a_replay_is_an_error_not_wrong_bytes(tmp_path: Path) -> None:
    path = _write_sample(tmp_path)
    index = ReplayIndex([str(path)])
    replacement = tmp_path / "other.warc.gz"
    replacement.write_bytes(path.read_bytes())
    os.replace(replacement, path)             # a new inode under the same name
    with pytest.raises(RuntimeError, match="replaced"):
        index.lookup("GET", "https://www.a.example/x")


def test_replay_never_waits_for_politeness(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A replayed 429 with Retry-After: 30 and a robots.txt Crawl-delay of 30 s come back at once: no sleep,
    no gate slot, no retry. (Live, the same responses wait: tests/test_fetcher_simweb.py.)"""
    archive = WarcArchive(tmp_path, "t")
    archive.write_exchange(url="https://www.a.example/robots.txt", method="GET", request_headers=REQ, status=200,
                           reason="OK", response_headers=[("Content-Type", "text/plain")],
                           body=b"User-agent: *\nCrawl-delay: 30\nAllow: /\n", date=warc_now())
    archive.write_exchange(url="https://www.a.example/busy", method="GET", request_headers=REQ, status=429,
                           reason="Too Many Requests", response_headers=[("Retry-After", "30")], body=b"slow down",
                           date=warc_now())
    pages = [f"https://www.a.example/p{i}" for i in range(20)]
    for url in pages:
        archive.write_exchange(url=url, method="GET", request_headers=REQ, status=200, reason="OK",
                               response_headers=[("Content-Type", "text/html")], body=b"<p>ok</p>", date=warc_now())
    archive.close()

    def no_wait(*_args, **_kwargs):
        raise AssertionError("a replay waited for politeness")

    monkeypatch.setattr(time, "sleep", no_wait)
    monkeypatch.setattr(HostGate, "slot", no_wait)
    monkeypatch.setattr(HostGate, "pause_within_slot", no_wait)
    config = FetcherConfig(replay=(str(tmp_path),), min_delay_s=30.0, backoff_base_s=30.0, concurrency=8)
    started = time.monotonic()
    with Fetcher(config) as fetcher:
        busy = fetcher.get("https://www.a.example/busy")
        results = fetcher.fetch_many(pages * 2)
    elapsed = time.monotonic() - started
    assert (busy.outcome.value, busy.status, busy.attempts) == ("http_error", 429, 1)
    assert [r.outcome.value for r in results] == ["ok"] * 40
    assert elapsed < 5, f"41 replayed fetches of one host took {elapsed:.1f}s"
