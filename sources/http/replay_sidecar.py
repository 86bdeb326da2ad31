"""An archive's replay index kept beside it, so each WARC file is read record by record once, not once per
process that replays it.

Indexing decompresses and parses every record (about 15 MB of archive a second here): a second for the
built-in sample, several seconds for a national run's archive, and again in every process of every
replay (each crawl shard, each backfilled month). The index itself is small: where each response lies in
the file. It is written next to the file as ``<name>.idx.json.gz`` (which no ``*.warc`` pattern matches)
and trusted only for the exact bytes it was built from: the file's size and SHA-256 must match, and a few
of its entries are read back and must be the records they claim to be. Anything else (another format
version, a file rebuilt or appended to, a damaged or edited index) and the file is indexed again. A
folder that cannot be written to simply keeps no index.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

#: Version 2: indexes built since a record cut short (a file cut inside its last gzip member, a block shorter
#: than its Content-Length) is found and left out; a version 1 index may hold such a record, so it is not used.
FORMAT = "cdpi-replay-index/2"
SUFFIX = ".idx.json.gz"

_log = logging.getLogger(__name__)


def path_for(warc: Path) -> Path:
    return warc.with_name(warc.name + SUFFIX)


def digest(warc: Path) -> str:
    return fingerprint(warc)[0]


def fingerprint(warc: Path) -> tuple[str, int]:
    """The SHA-256 of ``warc`` and how many bytes it was taken over, in one streaming pass: counted while
    hashing, never from a separate stat, so the two always describe the same bytes (a run records both,
    ops.runs.replay_archives_json)."""
    h, size = hashlib.sha256(), 0
    with open(warc, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def read(warc: Path, size: int) -> dict[str, Any] | None:
    """The stored index of ``warc`` when it was built from these very bytes, else None."""
    where = path_for(warc)
    try:
        with gzip.open(where, "rt", encoding="utf-8") as fh:
            payload = json.load(fh)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, EOFError) as exc:   # unreadable, truncated or not JSON: index again
        _log.info("%s: replay index unreadable (%s); indexing the archive again", where.name, exc)
        return None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT or payload.get("size") != size:
        return None
    if payload.get("sha256") != digest(warc):
        return None
    return payload


def write(warc: Path, payload: dict[str, Any]) -> None:
    """Keep ``payload`` beside ``warc`` (atomically: a reader sees the old index or the new, never half)."""
    where = path_for(warc)
    try:
        fd, tmp = tempfile.mkstemp(prefix=where.name, suffix=".tmp", dir=where.parent)
        try:
            with os.fdopen(fd, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
                gz.write(json.dumps({"format": FORMAT, **payload}, separators=(",", ":")).encode("utf-8"))
            # Readable by whoever may read the archive (mkstemp's file is its owner's only).
            os.chmod(tmp, stat.S_IMODE(os.stat(warc).st_mode) & 0o666)
            os.replace(tmp, where)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:   # a read-only folder (a shared archive, an installed sample): no index kept
        _log.debug("%s: replay index not kept (%s)", where, exc)
