"""WARC archive of every exchange, and the index that replays it.

Writing: each hop is a request record plus a response record (or, when no response arrived, a
metadata record naming the outcome). Bodies are archived as the fetcher used them: decoded from any
Content-Encoding, with the header rewritten and the original kept in ``X-Cdpi-Original-Content-Encoding``;
capped bodies carry ``WARC-Truncated: length``; a 304 is followed by a ``resource`` record holding the
reused body, so a run's own WARC is enough to replay it. Each record is its own gzip member: a run
killed mid-write leaves every earlier record readable.
"""

from __future__ import annotations

import io
import json
import logging
import os
import sys
import threading
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import DecompressingBufferedReader
from warcio.limitreader import LimitReader
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from sources.http import decoding
from sources.http import replay_sidecar as sidecar
from sources.http.body import BodyLimits, read_capped
from sources.http.urls import normalize_url

WARC_SUFFIX = ".warc.gz"
_HOP_FAILURE = "application/vnd.cdpi.hop-failure+json"
#: WARC headers of a carried page's ``resource`` record (see ``WarcArchive.write_carried``).
CARRIED_RUN = "X-Cdpi-Carried-From-Run"
CARRIED_FINAL = "X-Cdpi-Final-URL"
CARRIED_AT = "X-Cdpi-Carried-At"
CARRIED_STATUS = "X-Cdpi-Carried-Status"   # 404 or 410 for a page carried as absent (no payload)

_log = logging.getLogger(__name__)


def warc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class Exchange:
    """One archived hop as the replay side sees it."""

    status: int | None
    headers: list[tuple[str, str]]
    body: bytes
    date: str
    outcome: str | None = None      # set for hop failures (timeout, blocked_address...) and truncation
    error: str | None = None
    reused_body: bytes | None = None  # body of the resource record that follows a 304
    source: str = ""                  # file name of the WARC the exchange was read from
    carried_from: str | None = None   # a carried page: the run whose archive holds its verified fetch
    final_url: str | None = None      # a carried page: where its verified fetch ended (redirects)


class WarcArchive:
    """Thread-safe WARC writer for one run (one file per process, opened on first write)."""

    def __init__(self, directory: Path, prefix: str, info: dict[str, str] | None = None):
        self.directory = Path(directory)
        self.path = self.directory / f"{prefix}-{os.getpid()}{WARC_SUFFIX}"
        self._info = info or {}
        self._lock = threading.Lock()
        self._fh: BinaryIO | None = None
        self._writer: WARCWriter | None = None

    def _ensure_open(self) -> WARCWriter:
        if self._writer is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._fh = open(self.path, "ab")  # noqa: SIM115 - closed in close()
            self._writer = WARCWriter(self._fh, gzip=True)
            self._writer.write_record(self._writer.create_warcinfo_record(self.path.name, {
                "software": "cdpi", "format": "WARC File Format 1.1", **self._info}))
        return self._writer

    def _flush(self) -> None:
        # Each record reaches the file before the lock is released: a killed run keeps whole records.
        if self._fh is not None:
            self._fh.flush()

    def write_exchange(self, *, url: str, method: str, request_headers: list[tuple[str, str]],
                       status: int, reason: str, response_headers: list[tuple[str, str]], body: bytes,
                       date: str, truncated: bool = False, reused_body: bytes | None = None) -> None:
        url = normalize_url(url)
        with self._lock:
            writer = self._ensure_open()
            extra = {"WARC-Date": date}
            if truncated:
                extra["WARC-Truncated"] = "length"
            resp = writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), warc_headers_dict=extra,
                http_headers=StatusAndHeaders(_ascii_line(f"{status} {reason}".strip()), response_headers,
                                              protocol="HTTP/1.1"))
            writer.write_record(resp)
            writer.write_record(self._request_record(writer, url, method, request_headers, date, resp))
            if reused_body is not None:
                ctype = dict((k.lower(), v) for k, v in response_headers).get("content-type",
                                                                                "application/octet-stream")
                writer.write_record(writer.create_warc_record(
                    url, "resource", payload=io.BytesIO(reused_body), warc_content_type=ctype,
                    warc_headers_dict={"WARC-Date": date,
                                       "WARC-Concurrent-To": resp.rec_headers.get_header("WARC-Record-ID")}))
            self._flush()

    def write_carried(self, *, url: str, final_url: str, content_type: str, body: bytes, verified_at: str,
                      from_run: str, date: str, status: int = 200) -> None:
        """A page the revisit policy did not ask this run: its carried body as a ``resource`` record dated
        when the server last confirmed it (``verified_at``), naming the run whose archive holds that fetch
        and when this run carried it (a page carried as absent: its 404 or 410, no payload). The run's own
        WARC stays enough to replay it."""
        url = normalize_url(url)
        with self._lock:
            writer = self._ensure_open()
            writer.write_record(writer.create_warc_record(
                url, "resource", payload=io.BytesIO(body), warc_content_type=content_type or "application/octet-stream",
                warc_headers_dict={"WARC-Date": verified_at, CARRIED_RUN: from_run, CARRIED_FINAL: final_url,
                                   CARRIED_AT: date, CARRIED_STATUS: str(status)}))
            self._flush()

    def write_failure(self, *, url: str, method: str, outcome: str, error: str, date: str,
                      request_headers: list[tuple[str, str]] | None = None) -> None:
        url = normalize_url(url)
        payload = json.dumps({"method": method, "outcome": outcome, "error": error}).encode()
        with self._lock:
            writer = self._ensure_open()
            meta = writer.create_warc_record(url, "metadata", payload=io.BytesIO(payload),
                                             warc_content_type=_HOP_FAILURE,
                                             warc_headers_dict={"WARC-Date": date})
            writer.write_record(meta)
            if request_headers is not None:
                writer.write_record(self._request_record(writer, url, method, request_headers, date, meta))
            self._flush()

    @staticmethod
    def _request_record(writer, url, method, headers, date, concurrent_to):
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        return writer.create_warc_record(
            url, "request", payload=io.BytesIO(b""),
            http_headers=StatusAndHeaders(_ascii_line(f"{method} {target} HTTP/1.1"), headers,
                                          is_http_request=True),
            warc_headers_dict={"WARC-Date": date,
                               "WARC-Concurrent-To": concurrent_to.rec_headers.get_header("WARC-Record-ID")})

    def close(self) -> None:
        with self._lock:
            if self._fh is not None:
                self._fh.close()
            self._fh = self._writer = None


def warc_files(paths: tuple[str, ...] | list[str]) -> list[Path]:
    """Expand directories into their WARC files, sorted so replay order is deterministic."""
    files: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            files.extend(sorted(p.rglob(f"*{WARC_SUFFIX}")) + sorted(p.rglob("*.warc")))
        elif p.exists():
            files.append(p)
        else:
            raise FileNotFoundError(f"WARC file not found: {p}")
    return files


class _Stored:
    """Where an archived response lives in its WARC file. The index keeps only this (plus the small
    hop-failure exchanges); the record is read back and decompressed when it is looked up, so replaying
    a large archive holds offsets in memory, not every body."""

    __slots__ = ("offset", "length", "status", "truncated", "reused", "carried")

    def __init__(self, offset: int, length: int, status: int, truncated: bool, carried: bool = False):
        self.offset, self.length, self.status, self.truncated = offset, length, status, truncated
        self.reused: tuple[int, int] | None = None   # (offset, length) of a 304's resource record
        self.carried = carried                       # a carried page's resource record


class _FileIndex:
    """One WARC file read once: its exchanges by (METHOD, normalized URL), last record winning, and its
    warcinfo fields. Not changed after it is built, so one instance serves every thread and every
    ReplayIndex of the process (see ``_file_index``)."""

    def __init__(self, path: Path, stamp: tuple[int, int, int]):
        self.path = path
        self.stamp = stamp                      # (inode, size, mtime_ns) of the file that was read
        #: SHA-256 of the file's bytes and how many there were, taken when it was indexed (``_indexed``) or
        #: checked against its kept index (``kept``): what a run records of the archives it replayed.
        self.sha256 = ""
        self.size = stamp[1]
        self.entries: dict[tuple[str, str], _Stored | Exchange] = {}
        self.info: list[tuple[str, str]] = []   # warcinfo ``name: value`` lines, names lower-cased
        pending: dict[str, tuple[str, _Stored | Exchange]] = {}  # record id -> (url, entry) awaiting its request
        last_304: dict[str, _Stored] = {}
        #: Why reading stopped before the end of the file (a torn last record, or damage reading cannot get
        #: past), else None.
        self.torn: str | None = None
        #: Damaged records skipped (reading went on after each), see ``_by_member``.
        self.damaged = 0
        #: Where the last record read whole ends (in the first reading, which starts at byte 0).
        self._end = 0
        with open(path, "rb") as fh:
            records = _Records(fh)
            try:
                self._index(path, records, pending, last_304, 0)
                self.torn = _cut_tail(fh, self._end)
            except Exception as exc:  # noqa: BLE001 - warcio fails in many ways on a damaged or cut record
                self.torn = _why(exc)
            # warcio stops at damage (or only warns, when a wrong Content-Length leaves a single line over).
            # With one gzip member per record (what WarcArchive writes), read again member by member, so a
            # damaged record costs that record, not every record after it.
            if self.torn or records.err_count:
                self._by_member(path, fh)
        self._report_damage(path)

    def _by_member(self, path: Path, fh: BinaryIO) -> None:
        """Index the file again one gzip member at a time, skipping members that do not hold one readable
        WARC record. A member that cannot be decompressed has no known end: reading resumes at the next
        gzip header that starts a readable record, and when none follows, the damage is a torn tail (what a
        killed run leaves). Each skipped stretch counts as one damaged record. Nothing of this pass is kept
        when no member could be read this way (a plain WARC, one gzip stream for the whole file): the first
        reading's result then stands. A later member holding several records stops the reading there, as a
        torn record does."""
        first = (self.entries, self.info, self.torn)
        self.entries, self.info, self.torn = {}, [], None
        pending: dict[str, tuple[str, _Stored | Exchange]] = {}
        last_304: dict[str, _Stored] = {}
        size, pos, readable = os.fstat(fh.fileno()).st_size, 0, 0
        while pos < size:
            blob = _member(fh, pos)
            why = _one_record(blob) if blob is not None else "a gzip member cut short or corrupt"
            if why == _SEVERAL:   # not one record per member from here on: reading stops, as before
                self.torn = why
                break
            if blob is not None and why is None:
                why = self._index_member(path, blob, pos, pending, last_304)
                if why is None:
                    readable, pos = readable + 1, pos + len(blob)
                    continue
            after = pos + len(blob) if blob is not None else _next_member(fh, pos + 1)
            if after is None:
                self.torn = why
                break
            self.damaged += 1
            _log.info("%s: damaged record at byte %d skipped (%s); reading resumes at byte %d",
                      path.name, pos, why, after)
            pos = after
        if not readable:
            self.entries, self.info, self.torn = first
            self.damaged = 0

    def _index_member(self, path: Path, blob: bytes, offset: int, pending: dict, last_304: dict) -> str | None:
        """Index the one record of a gzip member found at ``offset``; why it could not be, else None."""
        try:
            self._index(path, _Records(io.BytesIO(blob)), pending, last_304, offset)
        except Exception as exc:  # noqa: BLE001 - a record warcio reads but whose content is not as written
            return _why(exc)
        return None

    def _report_damage(self, path: Path) -> None:
        """One warning per file that lost records, unless nothing at all could be read (then the caller
        says so, in one line)."""
        if not (self.entries or self.info):
            if self.torn or self.damaged:
                _log.debug("%s: no record could be read (%s)", path.name, self.torn)
            return
        if self.damaged:
            _log.warning("%s: %d damaged record(s) could not be read and were skipped; the requests they held "
                         "replay as not_archived", path.name, self.damaged)
        if self.torn:
            # A run killed while writing leaves a torn last record: everything before it is indexed (a
            # response counts only once its request record follows it, so a torn pair is not).
            _log.warning("%s: reading stopped at a damaged record (%s); earlier records are replayed",
                         path.name, self.torn)

    @property
    def unreadable(self) -> int:
        """Records of this file the replay could not read: the damaged ones skipped, plus the record where
        reading stopped (a torn tail, or damage in a file that is not one record per gzip member)."""
        return self.damaged + (1 if self.torn else 0)

    def _index(self, path: Path, records: _Records, pending: dict, last_304: dict, base: int) -> None:
        """Every record ``records`` reads into ``entries``, in order (see the class docstring); ``base`` is
        where in the file ``records`` starts reading. A record is taken only once it was read to its end and
        found whole: one cut short (``_not_whole``) raises ``RecordCut``, which the callers count as a torn
        or damaged record, so a cut body is never replayed as if it were the page."""
        for record in records:
            rtype = record.rec_type
            url = record.rec_headers.get_header("WARC-Target-URI")
            rid = record.rec_headers.get_header("WARC-Record-ID")
            failure = rtype == "metadata" and record.rec_headers.get_header("Content-Type") == _HOP_FAILURE
            # The little the index keeps of a block is read first; asking where the record ends (below) reads
            # the rest, which is what tells whether all of it was there.
            block = (record.content_stream().read(_INFO_BYTES) if rtype == "warcinfo" else
                     record.content_stream().read(_FAILURE_BYTES) if failure else b"")
            status = int(record.http_headers.get_statuscode()) if rtype == "response" else 0
            why = _not_whole(records, record)
            if why is not None:
                raise RecordCut(why)
            offset, length = base + records.get_record_offset(), records.get_record_length()
            self._end = offset + length
            if rtype == "warcinfo":
                self._read_info(block)
            elif rtype == "response":
                truncated = bool(record.rec_headers.get_header("WARC-Truncated"))
                pending[rid] = (url, _Stored(offset, length, status, truncated))
            elif failure:
                info = json.loads(block)
                ex = Exchange(status=None, headers=[], body=b"",
                              date=record.rec_headers.get_header("WARC-Date") or "",
                              outcome=info["outcome"], error=info.get("error"), source=path.name)
                pending[rid] = (url, ex)
                self.entries[(info["method"].upper(), normalize_url(url))] = ex
            elif rtype == "request":
                ref = record.rec_headers.get_header("WARC-Concurrent-To")
                if ref in pending:
                    target_url, entry = pending.pop(ref)
                    method = record.http_headers.protocol.split(" ")[0].upper()
                    self.entries[(method, normalize_url(target_url))] = entry
                    if isinstance(entry, _Stored) and entry.status == 304:
                        last_304[ref] = entry
            elif rtype == "resource" and record.rec_headers.get_header(CARRIED_RUN):
                carried_status = int(record.rec_headers.get_header(CARRIED_STATUS) or 200)
                self.entries[("GET", normalize_url(url))] = _Stored(offset, length, carried_status, False,
                                                                     carried=True)
            elif rtype == "resource":
                ref = record.rec_headers.get_header("WARC-Concurrent-To")
                if ref in last_304:
                    last_304.pop(ref).reused = (offset, length)

    def _read_info(self, block: bytes) -> None:
        for line in block.decode("utf-8", errors="replace").splitlines():
            name, sep, value = line.partition(":")
            if sep and value.strip():
                self.info.append((name.strip().lower(), value.strip()))

    def payload(self, digest: str) -> dict:
        """What replay_sidecar keeps of this index: every entry as a row, and the warcinfo fields."""
        rows: list[list] = []
        for (method, url), e in self.entries.items():
            if isinstance(e, Exchange):
                rows.append([method, url, "failure", e.date, e.outcome, e.error])
            else:
                rows.append([method, url, "stored", e.offset, e.length, e.status, e.truncated, e.carried,
                             list(e.reused) if e.reused else None])
        return {"size": self.stamp[1], "sha256": digest, "info": self.info, "entries": rows, "damaged": self.damaged}

    @classmethod
    def kept(cls, path: Path, stamp: tuple[int, int, int]) -> _FileIndex | None:
        """The index replay_sidecar kept for exactly this file, if any and if it holds up: a few of its
        entries (first, last, some between) are read back and must be records of the URLs they claim."""
        payload = sidecar.read(path, stamp[1])
        if payload is None:
            return None
        index = cls.__new__(cls)
        index.path, index.stamp, index.torn = path, stamp, None
        # sidecar.read has just hashed the file and found these very digest and size.
        index.sha256, index.size = str(payload["sha256"]), int(payload["size"])
        index.damaged = int(payload.get("damaged", 0))   # an index kept before the count was: an intact file
        index.info = [(str(n), str(v)) for n, v in payload["info"]]
        index.entries = {}
        try:
            for row in payload["entries"]:
                method, url, kind = row[0], row[1], row[2]
                if kind == "failure":
                    index.entries[(method, url)] = Exchange(status=None, headers=[], body=b"", date=row[3],
                                                            outcome=row[4], error=row[5], source=path.name)
                else:
                    stored = _Stored(int(row[3]), int(row[4]), int(row[5]), bool(row[6]), carried=bool(row[7]))
                    stored.reused = (int(row[8][0]), int(row[8][1])) if row[8] else None
                    index.entries[(method, url)] = stored
            index._spot_check()
        except Exception as exc:  # noqa: BLE001 - a damaged or edited index in any way: read the file instead
            _log.info("%s: kept replay index does not hold up (%s: %s); indexing the archive again",
                      path.name, type(exc).__name__, exc)
            return None
        return index

    def _spot_check(self, samples: int = 6) -> None:
        """Raise unless a spread of stored entries are, at their offsets, records of their own URLs."""
        stored = [(url, e) for (_, url), e in self.entries.items() if isinstance(e, _Stored)]
        if not stored:
            return
        step = max(1, (len(stored) - 1) // max(1, samples - 1))
        picks = {*range(0, len(stored), step), len(stored) - 1}
        with open(self.path, "rb") as fh:
            for k in sorted(picks)[:samples + 1]:
                url, entry = stored[k]
                record = self._record(fh, entry.offset, entry.length)
                if normalize_url(record.rec_headers.get_header("WARC-Target-URI") or "") != url:
                    raise ValueError(f"entry {k} points at another record")

    def exchange(self, key: tuple[str, str], limits: BodyLimits | None = None) -> Exchange | None:
        """The exchange archived under ``key``, its body read from the file now: streamed under ``limits``
        as a live body is (``read_capped``), so a body past the request's cap comes back as ``too_large``
        and costs no more memory than it would live; with no ``limits`` (tests, scripts), read whole."""
        entry = self.entries.get(key)
        if entry is None or isinstance(entry, Exchange):
            return entry
        with open(self.path, "rb") as fh:
            if os.fstat(fh.fileno()).st_ino != self.stamp[0]:
                raise RuntimeError(f"{self.path} was replaced while it was being replayed")
            record = self._record(fh, entry.offset, entry.length)
            head = record.rec_headers
            date = head.get_header("WARC-Date") or ""
            if entry.carried:
                body, refused = self._body(record, entry.offset, limits)
                return Exchange(status=entry.status, headers=[("Content-Type", head.get_header("Content-Type") or "")],
                                body=body, date=date, source=self.path.name, carried_from=head.get_header(CARRIED_RUN),
                                final_url=head.get_header(CARRIED_FINAL),
                                outcome=None if refused is None else "too_large", error=refused)
            # A truncated body is never used (the outcome is too_large), so it is not read.
            try:
                body, refused = (b"", None) if entry.truncated else self._body(record, entry.offset, limits)
            except decoding.UndecodableBody as exc:   # as a body that cannot be read live: no answer
                return Exchange(status=None, headers=[], body=b"", date=date, source=self.path.name,
                                outcome="connection_error", error=f"archived body cannot be decoded: {exc}")
            ex = Exchange(status=entry.status, headers=list(record.http_headers.headers), body=body, date=date,
                          source=self.path.name,
                          outcome="too_large" if entry.truncated or refused is not None else None, error=refused)
            if entry.reused is not None and ex.outcome is None:
                reused, refused = self._body(self._record(fh, *entry.reused), entry.reused[0], limits)
                if refused is None:
                    ex.reused_body = reused
                else:
                    ex.outcome, ex.error = "too_large", refused
        return ex

    def _body(self, record: ArcWarcRecord, offset: int, limits: BodyLimits | None) -> tuple[bytes, str | None]:
        """The payload of ``record`` (at ``offset``), or (b"", why) when it is past ``limits``. A block found
        shorter than its Content-Length is never handed over: the index took the record whole, so the file
        changed under the replay, an error as a replaced file is. A body stored chunked or compressed (another
        crawler's archive) is decoded here a bounded piece at a time (``sources/http/decoding.py``), so reading
        stops at the cap however large a chunk or however compressed the body; one that cannot be decoded
        raises ``UndecodableBody``."""
        chunks, received = _payload(record)
        if limits is None:
            body, refused = b"".join(chunks), None
        else:
            body, refused = read_capped(chunks, limits, received=received, keep_head=False)
        if refused is None:
            while record.raw_stream.read(_CHUNK):   # what decoding left unread (bytes after a compressed stream)
                pass
            if isinstance(record.raw_stream, LimitReader) and record.raw_stream.limit > 0:
                raise RuntimeError(f"{self.path}: the record at byte {offset} is cut short; the file changed "
                                   "while it was being replayed")
        return body, refused

    @staticmethod
    def _record(fh: BinaryIO, offset: int, length: int) -> ArcWarcRecord:
        """The record at ``offset``, read from the file as its body is consumed (``_RecordReader``): never
        the whole record at once, since a body may be larger than a replay may hold."""
        return next(iter(_Records(_RecordReader(fh, offset, length))))


def _payload(record: ArcWarcRecord) -> tuple[Iterator[bytes], Callable[[], int] | None]:
    """The payload of ``record`` in pieces of at most 64 KiB, decoded from its transfer and content coding,
    and, when it is compressed, how many of its stored bytes were read so far (``read_capped``'s
    ``received``). warcio's ``content_stream`` is not used: it dechunks a whole chunk, and inflates a whole
    block, at a time."""
    http = record.http_headers
    if http is None:
        return decoding.pieces(record.raw_stream), None
    chunked = (http.get_header("Transfer-Encoding") or "").strip().lower() == "chunked"
    encoding = (http.get_header("Content-Encoding") or "").strip().lower()
    raw = decoding.CountingReader(record.raw_stream)
    stored = decoding.dechunked(raw) if chunked else decoding.pieces(raw)
    if encoding not in decoding.CODINGS:
        return stored, None
    return decoding.decoded(stored, encoding), raw.tell


_GZIP_MAGIC = b"\x1f\x8b\x08"   # a gzip member's first bytes (ID1, ID2, deflate)
_SEVERAL = "several records in one gzip member"
#: The most of a warcinfo block, and of a hop failure's JSON, the index reads (they are a few lines).
_INFO_BYTES = 64 * 1024
_FAILURE_BYTES = 1 << 20
_CHUNK = 64 * 1024


class _RecordReader(io.RawIOBase):
    """The ``length`` bytes of one record at ``offset`` of ``fh``, inflated when they are a gzip member, as
    they are read: each read returns at most what was asked. (warcio inflates 16 KiB of a gzip member at a
    time whatever that expands to: a body that compresses a thousand times over would be in memory whole.)
    A member is read to its end only: what follows it in the file belongs to the next record."""

    def __init__(self, fh: BinaryIO, offset: int, length: int):
        super().__init__()
        fh.seek(offset)
        self._source = LimitReader(fh, length)
        first = self._source.read(len(_GZIP_MAGIC))
        self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS) if first == _GZIP_MAGIC else None
        self._waiting = first          # bytes read from the file and not yet used
        self._read = 0

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._read

    def read(self, size: int | None = -1) -> bytes:
        want = _CHUNK if size is None or size < 0 else size
        if self._inflate is None:
            out, self._waiting = self._waiting[:want], self._waiting[want:]
            if len(out) < want:
                out += self._source.read(want - len(out))
        else:
            out = b""
            while not out and want and not self._inflate.eof:
                data = self._inflate.unconsumed_tail or self._waiting or self._source.read(_CHUNK)
                self._waiting = b""
                if not data:
                    break
                out = self._inflate.decompress(data, want)
        self._read += len(out)
        return out


class _BoundedInflate(DecompressingBufferedReader):
    """warcio's reader of a WARC file (one gzip member per record, or plain), inflating at most 64 KiB at a
    time. warcio's own inflates each 16 KiB block it reads whole: a record whose gzip member compresses a
    thousand times over (60 MB of one repeated line) takes 16 MB per block. The compressed input that one
    step could not take (zlib's ``unconsumed_tail``) is inflated before anything more is read, and counts as
    not yet read where warcio works out a record's offset and length. Otherwise warcio's own logic: a file
    that is not gzip is read as it is, and a member that breaks after it started inflating ends early (the
    index then finds the record cut short)."""

    decompressor: Any   # a zlib decompressor while a gzip member is read, else None (set by warcio)

    def _pending(self) -> bytes:
        inflate = self.decompressor
        # At the member's end zlib leaves the rest in unconsumed_tail too; it is the next member's (unused_data).
        return inflate.unconsumed_tail if inflate is not None and not inflate.eof else b""

    def _decompress(self, data: bytes) -> bytes:
        if self.decompressor is None or not data:
            return data
        try:
            return self.decompressor.decompress(data, _CHUNK)
        except Exception as exc:  # noqa: BLE001 - as warcio: the first block decides whether the file is gzip
            if self.num_block_read == 0:
                self.decompressor = None
                return data
            sys.stderr.write(str(exc) + "\n")
            return b""

    def _fillbuff(self, block_size: int | None = None) -> None:
        if self.buff is not None and self.buff.tell() < self.buff_size:
            return   # what is buffered is read first (the common case: one readline of many)
        while self._pending() and self.empty():
            self._process_read(self._pending())
        super()._fillbuff(block_size)   # does nothing while the buffer holds something

    def rem_length(self) -> int:
        return super().rem_length() + len(self._pending())

    def close_decompressor(self) -> None:
        # warcio flushes the decompressor, which inflates all the input it still holds at once; the output
        # was never wanted.
        self.decompressor = None


class _Records(ArchiveIterator):
    """warcio's ArchiveIterator reading through ``_BoundedInflate``, so reading a record (to index it, or to
    find where it ends) never holds more than about 64 KiB of it, however well it compresses."""

    def __init__(self, fileobj: BinaryIO | io.RawIOBase):
        super().__init__(fileobj)
        self.reader = _BoundedInflate(self.fh)


class RecordCut(ValueError):
    """A record that did not arrive whole: its block is shorter than its Content-Length, or the gzip member
    holding it never finishes (no gzip trailer: the file was cut inside it)."""


def _not_whole(records: _Records, record: ArcWarcRecord) -> str | None:
    """Why ``record``, the one ``records`` just read, is not whole, else None. Reads it to its end first.

    warcio reads a record cut short without a word: its block simply ends early, and a last gzip member
    without its trailer inflates as far as it goes. So the record's Content-Length must all be there, and,
    in a gzip file, the member holding the record must end (zlib has then checked its CRC and length)."""
    records.get_record_length()    # reads the record to its end, as warcio does before the next one
    declared = (record.rec_headers.get_header("Content-Length") or "").strip()
    if record.format == "warc" and not declared.isdigit():
        return f"the record has no valid Content-Length ({declared or 'none'})"
    stream = record.raw_stream
    if isinstance(stream, LimitReader) and stream.limit > 0:
        return f"the record's block ends {stream.limit} bytes short of its Content-Length ({declared})"
    inflate = records.reader.decompressor if records.reader is not None else None
    # Not at the member's end, yet nothing follows the record in it: the file ends inside the member. (A
    # member holding several records, which is not what a replay reads, goes on with the next record.)
    if inflate is not None and not inflate.eof and records.next_line is None:
        return "the gzip member holding the record never ends (no gzip trailer: the file is cut short)"
    return None


def _cut_tail(fh: BinaryIO, end: int) -> str | None:
    """Why a gzip file read without error to its last whole record, which ends at ``end``, is still not
    whole, else None: bytes after that record are the start of a record cut off before anything of it
    could be read (warcio takes a gzip member that yields nothing for the end of the file). Not asked of
    a plain WARC, whose records are followed by blank lines."""
    fh.seek(0)
    if fh.read(len(_GZIP_MAGIC)) != _GZIP_MAGIC:
        return None
    size = os.fstat(fh.fileno()).st_size
    while end < size:   # whole members that inflate to nothing (some writers end a file with one) lose nothing
        member = _member(fh, end)
        if member is None or zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(member, 1):
            return f"{size - end} bytes after the last whole record (a record cut short)"
        end += len(member)
    return None


def _why(exc: Exception) -> str:
    """An exception as one line for the log (warcio's messages span several)."""
    return " ".join(f"{type(exc).__name__}: {exc}".split())


def _member(fh: BinaryIO, start: int) -> bytes | None:
    """The whole gzip member that starts at ``start``, or None when none does, or it is cut short or
    corrupt (zlib checks the member's CRC and length). The inflated bytes are not kept."""
    fh.seek(start)
    inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
    read = 0
    try:
        while not inflate.eof:
            chunk = fh.read(64 * 1024)
            if not chunk:
                return None
            read += len(chunk)
            while chunk and not inflate.eof:   # bounded output per step: a member may inflate a lot
                inflate.decompress(chunk, 1 << 20)
                chunk = inflate.unconsumed_tail
    except zlib.error:
        return None
    fh.seek(start)
    return fh.read(read - len(inflate.unused_data))


def _one_record(blob: bytes) -> str | None:
    """None when the gzip member ``blob`` holds exactly one readable WARC record; else why not."""
    records = _Records(io.BytesIO(blob))
    found = 0
    try:
        for record in records:
            found += 1
            if record.format != "warc":
                return f"not a WARC record ({record.format})"
    except Exception as exc:  # noqa: BLE001 - warcio fails in many ways on damaged bytes
        return _why(exc)
    if records.err_count:   # warcio's warning that bytes follow the record: its Content-Length is wrong
        return "the record's Content-Length does not match its block"
    return _SEVERAL if found > 1 else None if found else "no record"


def _next_member(fh: BinaryIO, start: int) -> int | None:
    """Where the first gzip member at or after ``start`` that holds one readable WARC record begins, or None.
    Compressed bytes can contain the gzip magic by chance: such false starts fail to inflate or to parse
    and are passed over."""
    pos = start
    while True:
        fh.seek(pos)
        chunk = fh.read(1 << 20)
        if len(chunk) < len(_GZIP_MAGIC):
            return None
        hit = chunk.find(_GZIP_MAGIC)
        while hit >= 0:
            blob = _member(fh, pos + hit)
            if blob is not None and _one_record(blob) is None:
                return pos + hit
            hit = chunk.find(_GZIP_MAGIC, hit + 1)
        pos += len(chunk) - len(_GZIP_MAGIC) + 1   # a magic split across two chunks is still found


#: WARC files already indexed in this process, by resolved path: every asset of a run (and every crawl
#: shard in one process) opens its own Fetcher, and each used to parse the whole archive again (7 times
#: per `cdpi run --sample`). An entry is reused only while the file's inode, size and mtime are unchanged;
#: a changed file is indexed again and replaces it.
_FILE_INDEXES: dict[Path, _FileIndex] = {}
_FILE_INDEXES_LOCK = threading.Lock()


def _file_index(path: Path) -> _FileIndex:
    resolved = path.resolve()
    st = resolved.stat()   # taken before reading: a file that grows meanwhile is read again next time
    stamp = (st.st_ino, st.st_size, st.st_mtime_ns)
    with _FILE_INDEXES_LOCK:   # held while indexing, so two threads never parse one file twice
        cached = _FILE_INDEXES.get(resolved)
        if cached is None or cached.stamp != stamp:
            cached = _FILE_INDEXES[resolved] = _FileIndex.kept(resolved, stamp) or _indexed(resolved, stamp)
        return cached


def _indexed(path: Path, stamp: tuple[int, int, int]) -> _FileIndex:
    """The file read record by record, its index then kept beside it for the next process
    (sources/http/replay_sidecar.py). A file that changed while it was read, or whose last record is torn,
    may still be being written: no index is kept for it."""
    digest, size = sidecar.fingerprint(path)
    index = _FileIndex(path, stamp)
    index.sha256, index.size = digest, size
    st = path.stat()
    if index.torn is None and (st.st_ino, st.st_size, st.st_mtime_ns) == stamp:
        sidecar.write(path, index.payload(digest))
    return index


class ReplayIndex:
    """Maps (method, normalized URL) to the last archived exchange for it.

    The last record wins: when a live run retried (503, then 200), the archive holds every attempt and
    the final one is what the live run used. A 304 comes back with the body of the resource record that
    follows it (``reused_body``); a hop that got no response comes back from its metadata record as an
    exchange without status (``outcome``, ``error``); ``declared()`` reads the warcinfo fields.

    Each file is read once per process and shared (``_file_index``); what stays in memory is where each
    response is in its file, and a lookup reads that one record back.
    """

    def __init__(self, paths: tuple[str, ...] | list[str]):
        self.files = warc_files(paths)
        parts = [_file_index(path) for path in self.files]
        #: Which file answers each (METHOD, URL): the last file holding it, files in ``warc_files`` order.
        self._where: dict[tuple[str, str], _FileIndex] = {}
        #: Fields of the archives' warcinfo records (``name: value`` lines), every value seen per name.
        self.info: dict[str, list[str]] = {}
        for part in parts:
            self._where.update(dict.fromkeys(part.entries, part))
            for name, value in part.info:
                self.info.setdefault(name, []).append(value)

    def __len__(self) -> int:
        return len(self._where)

    def archived(self) -> list[tuple[str, str]]:
        """Every (METHOD, normalized URL) the archives answer, in the order first indexed."""
        return list(self._where)

    def lookup(self, method: str, url: str, limits: BodyLimits | None = None) -> Exchange | None:
        """The exchange archived for ``method`` and ``url``, its body read under ``limits``
        (``_FileIndex.exchange``)."""
        key = (method.upper(), normalize_url(url))
        part = self._where.get(key)
        return None if part is None else part.exchange(key, limits)

    def declared(self, name: str) -> list[str]:
        """Space-separated values of warcinfo field ``name`` across the archives, each once, in order: what
        the recording run declared about itself (e.g. the document hosts its crawl followed)."""
        seen = dict.fromkeys(v for value in self.info.get(name.lower(), []) for v in value.split())
        return list(seen)


def unreadable_records(paths: list[str] | tuple[str, ...]) -> dict[str, int]:
    """The WARC files at ``paths`` that hold records a replay could not read, each with how many
    (``_FileIndex.unreadable``): the requests those records held replay as not_archived, so a replay is only
    as whole as this is empty. Uses the indexes the replay itself built (``_file_index``)."""
    counts = {str(path): _file_index(path).unreadable for path in warc_files(paths)}
    return {path: n for path, n in counts.items() if n}


@dataclass(frozen=True)
class ArchiveFingerprint:
    """One WARC file a replay read, as a citation names it: where it was, its SHA-256 and its size in bytes.
    Anyone holding a copy can check it is the same archive (``sha256sum``)."""

    path: str
    sha256: str
    size: int

    def as_record(self) -> dict[str, str | int]:
        """The JSON a run records (ops.runs.replay_archives_json, the export manifest's replay_archives)."""
        return {"path": self.path, "sha256": self.sha256, "bytes": self.size}


def replay_fingerprints(paths: list[str] | tuple[str, ...]) -> list[ArchiveFingerprint]:
    """Each WARC file at ``paths`` (folders expanded, as a replay reads them) with its SHA-256 and size.

    No file is hashed here for this: the digest is the one taken when the file was indexed or its kept index
    checked (``_file_index``, cached per process while the file's inode, size and mtime hold). A run in one
    process (`cdpi run`, the default) indexes its archives in ``check_replay_archives`` before its first fetch,
    so the digest recorded at publish is of the bytes the whole replay read, at no second reading. A step that
    runs in a process of its own (``--workers``) indexes, and so hashes, the file again, as it always has to
    trust the kept index: the same digest unless the file changed during the run."""
    out = []
    for path in warc_files(paths):
        part = _file_index(path)
        out.append(ArchiveFingerprint(str(path), part.sha256, part.size))
    return out


def _ascii_line(text: str) -> str:
    """warcio writes the status and request lines as ASCII (it percent-encodes non-ASCII header values
    itself): a server's UTF-8 reason phrase is kept as escapes instead of failing the fetch."""
    return text.encode("ascii", "backslashreplace").decode("ascii")


#: warcinfo field a run writes when its data is synthetic (the built-in sample): a replay of the archive
#: then stays labelled as sample data, whatever the command line says.
SAMPLE_FIELD = "cdpi-sample-data"


@dataclass(frozen=True)
class ArchiveCheck:
    """What a replay needs to know before its first fetch: the WARC files, and whether any declares itself
    sample data."""

    files: tuple[Path, ...]
    sample: bool


def check_replay_archives(paths: list[str] | tuple[str, ...]) -> ArchiveCheck:
    """Refuse archives a replay cannot use, before anything is fetched: a path that is missing, a folder
    without WARC files, or a file that is not a WARC archive or holds no record. Each file is indexed
    here, once per process (``_file_index``), so the replay that follows reuses the work. Raises
    ValueError with a message naming the path."""
    try:
        files = warc_files(paths)
    except FileNotFoundError as exc:
        raise ValueError(str(exc)) from None
    if not files:
        raise ValueError(f"no WARC files (*{WARC_SUFFIX} or *.warc) in {', '.join(map(str, paths))}: "
                         "nothing to replay")
    sample = False
    for path in files:
        try:
            part = _file_index(path)
        except Exception as exc:   # warcio raises several types for non-WARC input; all mean the same here
            raise ValueError(f"{path} is not a readable WARC archive ({type(exc).__name__}: {exc})") from None
        if not part.entries and not part.info:
            raise ValueError(f"{path} is not a WARC archive: its first record could not be read" if part.unreadable
                             else f"{path} holds no WARC records")
        sample |= any(name == SAMPLE_FIELD and value.lower() == "true" for name, value in part.info)
    return ArchiveCheck(tuple(files), sample)
