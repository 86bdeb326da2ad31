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
