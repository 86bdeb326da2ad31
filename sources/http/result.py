"""The value every fetch returns, whatever happened."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from sources.http.outcomes import Outcome


@dataclass
class FetchResult:
    url: str                      # the URL asked for (logical URL, never a rewritten connect address)
    final_url: str                # after redirects
    method: str
    outcome: Outcome
    status: int | None = None     # last HTTP status seen (None when no response at all)
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    elapsed_s: float = 0.0
    attempts: int = 0
    from_cache: bool = False      # body reused after a 304
    robots_blocked: bool = False
    error: str | None = None
    fetched_at: str = ""          # ISO-8601 UTC; in replay mode the archived record's date
    redirects: list[str] = field(default_factory=list)
    archived_in: str | None = None  # replay: the WARC file that held the response
    #: Not asked: the revisit policy carried the answer of this run's earlier verified fetch forward (a
    #: body, outcome ``carried``; or a 404/410, outcome ``http_error``). No request was made.
    carried_from: str | None = None
    #: The row of the run's fetch log that records this fetch (sources/http/fetchlog.py), once logged.
    fetch_id: str | None = None

    @property
    def ok(self) -> bool:
        return self.outcome.has_body

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def text(self, default_encoding: str = "utf-8") -> str:
        """Decode the body with the declared charset, falling back without raising on bad bytes."""
        charset = None
        for part in self.headers.get("content-type", "").split(";")[1:]:
            key, _, value = part.strip().partition("=")
            if key.lower() == "charset" and value:
                charset = value.strip('"').strip()
        for enc in (charset, default_encoding):
            if not enc:
                continue
            try:
                return self.body.decode(enc)
            except (LookupError, UnicodeDecodeError):
                continue
        return self.body.decode(default_encoding, errors="replace")

    def json(self):
        """Parse the body as JSON; raises ValueError with the URL in the message on malformed bodies."""
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValueError(f"malformed JSON from {self.final_url}: {exc}") from exc
