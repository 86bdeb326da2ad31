"""ETag / Last-Modified validators kept between runs, with the bodies a 304 lets us reuse.

Validators live in a small SQLite file; bodies are stored gzip-compressed under their SHA-256 so
identical bodies (many empty catalogs, shared boilerplate) are kept once.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

REFUSED = "refused:"   # in place of a digest: the body was refused as larger than the cap in force then


@dataclass(frozen=True)
class Validators:
    etag: str | None
    last_modified: str | None
    sha256: str
    content_type: str

    @property
    def refused_cap(self) -> int | None:
        """The byte cap a too-large body was refused under (None for a stored body)."""
        return int(self.sha256[len(REFUSED):]) if self.sha256.startswith(REFUSED) else None

    def request_headers(self) -> dict[str, str]:
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


class ConditionalCache:
    def __init__(self, directory: Path):
        self.directory = Path(directory)
        (self.directory / "bodies").mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.directory / "validators.sqlite", check_same_thread=False,
                                   isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("""CREATE TABLE IF NOT EXISTS validators (
            url TEXT PRIMARY KEY, etag TEXT, last_modified TEXT, sha256 TEXT NOT NULL,
            content_type TEXT NOT NULL DEFAULT '')""")

    def get(self, url: str) -> Validators | None:
        with self._lock:
            row = self._db.execute("SELECT etag, last_modified, sha256, content_type FROM validators "
                                   "WHERE url = ?", (url,)).fetchone()
        if row is None or (not row[2].startswith(REFUSED) and not self._body_path(row[2]).exists()):
            return None
        return Validators(*row)

    def body(self, validators: Validators) -> bytes | None:
        """The body a 304 lets us reuse; None when it is missing or damaged (then: fetch in full)."""
        return self.kept(validators.sha256)

    def store(self, url: str, etag: str | None, last_modified: str | None, body: bytes,
              content_type: str) -> None:
        if not (etag or last_modified):
            return
        digest = self.keep(body)
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO validators VALUES (?, ?, ?, ?, ?)",
                             (url, etag, last_modified, digest, content_type))

    def keep(self, body: bytes) -> str:
        """Store a body under its SHA-256 (once, whoever asks) and return the digest. The revisit policy
        keeps every page it may carry forward here, validators or not."""
        digest = hashlib.sha256(body).hexdigest()
        path = self._body_path(digest)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".tmp{os.getpid()}-{threading.get_ident()}")
            tmp.write_bytes(gzip.compress(body, compresslevel=5))
            os.replace(tmp, path)
        return digest

    def kept(self, digest: str) -> bytes | None:
        """The body stored under ``digest``; None when it is missing or damaged (then: ask again)."""
        try:
            body = gzip.decompress(self._body_path(digest).read_bytes())
        except (OSError, EOFError):
            return None
        return body if hashlib.sha256(body).hexdigest() == digest else None

    def store_refused(self, url: str, etag: str | None, last_modified: str | None, cap: int,
                      content_type: str) -> None:
        """Remember the validators of a body refused as too large, so next month's conditional request
        can learn "unchanged" from a 304 instead of the server streaming the same huge file again."""
        if not (etag or last_modified):
            return
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO validators VALUES (?, ?, ?, ?, ?)",
                             (url, etag, last_modified, f"{REFUSED}{cap}", content_type))

    def _body_path(self, digest: str) -> Path:
        return self.directory / "bodies" / digest[:2] / f"{digest}.gz"

    def close(self) -> None:
        with self._lock:
            self._db.close()
