"""Shared pieces of the formats: the response tuple, JSON bodies, query parsing, the fixed clock."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, NamedTuple
from urllib.parse import parse_qs

#: Every date in served content is relative to this day, so content never depends on the clock.
EPOCH = datetime(2026, 10, 15, tzinfo=UTC)

JSON = "application/json; charset=utf-8"
HTML = "text/html; charset=utf-8"


class LazyBody:
    """A body too large to hold: its exact length is known up front, its bytes are produced chunk
    by chunk each time it is sent (``iter``), and ``tag`` stands in for a digest in the ETag."""

    __slots__ = ("length", "make", "tag")

    def __init__(self, length: int, make: Callable[[], Iterable[bytes]], tag: str):
        self.length, self.make, self.tag = length, make, tag

    def __len__(self) -> int:
        return self.length

    def __iter__(self):
        return iter(self.make())


class Response(NamedTuple):
    """What a route answers; the server adds validators, length and any fault on top.

    ``body`` is bytes, or a ``LazyBody`` the server streams; ``delay`` (seconds) holds the answer
    back before the status line, as a slow page would (interrupted when the server stops).
    """

    status: int
    content_type: str
    body: bytes | LazyBody
    headers: dict[str, str] = {}
    delay: float = 0.0


def json_response(doc: Any, status: int = 200, content_type: str = JSON) -> Response:
    return Response(status, content_type, json.dumps(doc, ensure_ascii=False).encode("utf-8"))


def query_args(query: str) -> dict[str, str]:
    """First value of each query parameter (the APIs simulated here never repeat one)."""
    return {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}


def int_arg(args: dict[str, str], key: str, default: int) -> int | None:
    """An integer parameter, its default when absent, None when present but not an integer."""
    raw = args.get(key)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        return None


def iso_z(d: datetime) -> str:
    """Socrata / ODS style timestamp: 2026-10-01T12:30:00.000Z."""
    return d.strftime("%Y-%m-%dT%H:%M:%S.000Z")
