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
import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from sources.http.urls import normalize_url

WARC_SUFFIX = ".warc.gz"
_HOP_FAILURE = "application/vnd.cdpi.hop-failure+json"


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


class WarcArchive:
    """Thread-safe WARC writer for one run (one file per process, opened on first write)."""

    def __init__(self, directory: Path, prefix: str, info: dict[str, str] | None = None):
        self.directory = Path(directory)
        self.path = self.directory / f"{prefix}-{os.getpid()}{WARC_SUFFIX}"
        self._info = info or {}
        self._lock = threading.Lock()
        self._fh = None
        self._writer: WARCWriter | None = None

    def _ensure_open(self) -> WARCWriter:
        if self._writer is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._fh = open(self.path, "ab")  # noqa: SIM115 - closed in close()
            self._writer = WARCWriter(self._fh, gzip=True)
            self._writer.write_record(self._writer.create_warcinfo_record(self.path.name, {
                "software": "cdpi", "format": "WARC File Format 1.1", **self._info}))
        return self._writer

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
            self._fh.flush()

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
            self._fh.flush()

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


class ReplayIndex:
    """Maps (method, normalized URL) to the last archived exchange for it.

    The last record wins: when a live run retried (503, then 200), the archive holds every attempt and
    the final one is what the live run used.
    """

    def __init__(self, paths: tuple[str, ...] | list[str]):
        self.files = warc_files(paths)
        self._index: dict[tuple[str, str], Exchange] = {}
        #: Fields of the archives' warcinfo records (``name: value`` lines), every value seen per name.
        self.info: dict[str, list[str]] = {}
        for path in self.files:
            self._load(path)

    def __len__(self) -> int:
        return len(self._index)

    def lookup(self, method: str, url: str) -> Exchange | None:
        return self._index.get((method.upper(), normalize_url(url)))

    def _load(self, path: Path) -> None:
        pending: dict[str, tuple[str, Exchange]] = {}   # record id -> (url, exchange) awaiting its request
        last_304: dict[str, Exchange] = {}
        with open(path, "rb") as fh:
            for record in ArchiveIterator(fh):
                rtype = record.rec_type
                url = record.rec_headers.get_header("WARC-Target-URI")
                date = record.rec_headers.get_header("WARC-Date") or ""
                rid = record.rec_headers.get_header("WARC-Record-ID")
                if rtype == "warcinfo":
                    self._read_info(record.content_stream().read(64 * 1024))
                elif rtype == "response":
                    http = record.http_headers
                    truncated = bool(record.rec_headers.get_header("WARC-Truncated"))
                    # A truncated body is never used (the outcome is too_large), so it is not kept in memory.
                    ex = Exchange(status=int(http.get_statuscode()), headers=list(http.headers),
                                  body=b"" if truncated else record.content_stream().read(), date=date,
                                  source=path.name)
                    if truncated:
                        ex.outcome = "too_large"
                    pending[rid] = (url, ex)
                elif rtype == "metadata" and record.rec_headers.get_header("Content-Type") == _HOP_FAILURE:
                    info = json.loads(record.content_stream().read())
                    ex = Exchange(status=None, headers=[], body=b"", date=date,
                                  outcome=info["outcome"], error=info.get("error"), source=path.name)
                    pending[rid] = (url, ex)
                    self._index[(info["method"].upper(), normalize_url(url))] = ex
                elif rtype == "request":
                    ref = record.rec_headers.get_header("WARC-Concurrent-To")
                    if ref in pending:
                        target_url, ex = pending.pop(ref)
                        method = record.http_headers.protocol.split(" ")[0].upper()
                        self._index[(method, normalize_url(target_url))] = ex
                        if ex.status == 304:
                            last_304[ref] = ex
                elif rtype == "resource":
                    ref = record.rec_headers.get_header("WARC-Concurrent-To")
                    if ref in last_304:
                        last_304.pop(ref).reused_body = record.content_stream().read()


    def _read_info(self, block: bytes) -> None:
        for line in block.decode("utf-8", errors="replace").splitlines():
            name, sep, value = line.partition(":")
            if sep and value.strip():
                self.info.setdefault(name.strip().lower(), []).append(value.strip())

    def declared(self, name: str) -> list[str]:
        """Space-separated values of warcinfo field ``name`` across the archives, each once, in order: what
        the recording run declared about itself (e.g. the document hosts its crawl followed)."""
        seen = dict.fromkeys(v for value in self.info.get(name.lower(), []) for v in value.split())
        return list(seen)


def _ascii_line(text: str) -> str:
    """warcio writes the status and request lines as ASCII (it percent-encodes non-ASCII header values
    itself): a server's UTF-8 reason phrase is kept as escapes instead of failing the fetch."""
    return text.encode("ascii", "backslashreplace").decode("ascii")
