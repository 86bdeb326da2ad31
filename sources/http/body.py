"""Where a response body collects while it streams in: memory up to a limit, then an unnamed temporary file.

Most bodies are web pages far below the fetcher's ordinary byte cap and never leave memory. A request may
raise its own cap (a whole data catalog can be hundreds of megabytes); the part of such a body above the
ordinary cap goes to disk while it is read. A body that is accepted is then handed over as one ``bytes``
object, built without a second in-memory copy; a body that is refused costs no more memory than the
ordinary cap, because only its first bytes are kept (for the archive).
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO


class BodyBuffer:
    """Bytes written in order; held in memory up to ``memory_limit`` bytes, after that in a temporary file
    in ``directory`` (the system's temporary folder when None). The file has no name (or loses it at once),
    so nothing is left behind, even by a killed process."""

    def __init__(self, memory_limit: int, directory: Path | None = None):
        self.size = 0
        self._limit = memory_limit
        self._directory = directory
        self._memory: io.BytesIO | None = io.BytesIO()
        self._file: BinaryIO | None = None

    def _in_memory(self) -> io.BytesIO:
        # The buffer exists until the body spills to the file; callers check _file first.
        if self._memory is None:
            raise RuntimeError("the body has spilled to its temporary file")
        return self._memory

    @property
    def spilled(self) -> bool:
        """True once the body has gone past the memory limit and lives in the temporary file."""
        return self._file is not None

    def write(self, data: bytes) -> None:
        if self._file is None and self.size + len(data) > self._limit:
            if self._directory is not None:
                self._directory.mkdir(parents=True, exist_ok=True)
            spill = tempfile.TemporaryFile(dir=self._directory)  # noqa: SIM115 - closed in close()
            with self._in_memory().getbuffer() as held:
                spill.write(held)
            self._file, self._memory = spill, None
        (self._file or self._in_memory()).write(data)
        self.size += len(data)

    def getvalue(self) -> bytes:
        """The whole body as one ``bytes`` object. From memory, ``BytesIO.getvalue`` hands over the buffer
        itself; from the file, one read into an object of the right size. Call once, at the end."""
        if self._file is None:
            return self._in_memory().getvalue()
        self._file.seek(0)
        return self._file.read()

    def head(self, limit: int) -> bytes:
        """The first ``limit`` bytes (all of them when the body is shorter)."""
        if self._file is None:
            data = self._in_memory().getvalue()
            return data if len(data) <= limit else data[:limit]
        self._file.seek(0)
        return self._file.read(limit)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        self._file = self._memory = None

    def __enter__(self) -> BodyBuffer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class BodyLimits:
    """How much of one body may be read and how it is held: what a live fetch and a replay both obey
    (``FetcherConfig.max_bytes`` and ``max_expansion``, and the request's own cap)."""

    #: The request's byte cap: a body past it is refused (outcome ``too_large``).
    cap: int
    #: The most of the body held in memory (``FetcherConfig.max_bytes``); the rest waits in a temporary file.
    memory_limit: int
    #: Past ``memory_limit``, a compressed body may hold at most this many times the bytes received for it.
    max_expansion: int
    #: Where the temporary file goes (None: the system's temporary folder).
    spill_dir: Path | None = None


def read_capped(chunks: Iterable[bytes], limits: BodyLimits, *, received: Callable[[], int] | None = None,
                keep_head: bool = True) -> tuple[bytes, str | None]:
    """Collect ``chunks`` under ``limits``: (the body, None), or (its first bytes, why it was refused).

    The one reading loop of the live fetcher and of the replay, so a body too large live is too large
    replayed, and costs the same memory: at most ``memory_limit`` plus one chunk, the rest of an accepted
    body in a temporary file until it is handed over as one ``bytes`` object. ``received`` (a compressed
    body) says how many bytes arrived so far, for the ``max_expansion`` rule. Of a refused body the first
    ``min(cap, memory_limit)`` bytes are returned when ``keep_head`` (the live fetch archives them), else
    none (a replay has nothing to archive). Reading stops at the refusal: the rest is never read."""
    with BodyBuffer(limits.memory_limit, limits.spill_dir) as body:
        for chunk in chunks:
            total = body.size + len(chunk)
            if total > limits.cap:
                if not keep_head:
                    return b"", f"body exceeded {limits.cap} bytes"
                body.write(chunk[: limits.cap - body.size])
                return body.head(limits.memory_limit), f"body exceeded {limits.cap} bytes"
            if received is not None and total > limits.memory_limit and total > limits.max_expansion * received():
                return body.head(limits.memory_limit) if keep_head else b"", (
                    f"compressed body expanded more than {limits.max_expansion} times "
                    f"({total} bytes decoded from {received()})")
            body.write(chunk)
        return body.getvalue(), None
