"""Fetcher settings: one frozen object shared by every source, so politeness is uniform."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sources.checks import number_in
from sources.http.revisit import RevisitPolicy

DEFAULT_CONTACT_URL = "https://github.com/cdpi-project/cdpi#crawler"


@dataclass(frozen=True)
class FetcherConfig:
    #: Identifies us to site operators; the contact URL says who we are and how to reach us.
    user_agent: str = "cdpi-bot/0.1"
    contact_url: str = DEFAULT_CONTACT_URL
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 30.0
    #: Wall-clock cap for one attempt: a server dripping bytes slowly cannot hold a worker forever.
    total_timeout_s: float = 120.0
    #: Minimum spacing between request starts on one host. robots.txt Crawl-delay raises it.
    min_delay_s: float = 1.0
    #: A Crawl-delay above this is clamped, so one host cannot stall a national run for hours.
    max_crawl_delay_s: float = 30.0
    concurrency: int = 32
    max_retries: int = 3
    timeout_retries: int = 1
    backoff_base_s: float = 1.0
    backoff_cap_s: float = 30.0
    #: A Retry-After longer than this ends the fetch as http_error instead of sleeping that long.
    retry_after_cap_s: float = 120.0
    max_redirects: int = 10
    #: Byte cap for a decoded body, and the most memory one body may take while it is read: a request
    #: that raises its own cap (a whole data catalog) keeps the part above this in a temporary file, and
    #: of a refused body only the first max_bytes are kept (for the archive).
    max_bytes: int = 25 * 1024 * 1024
    #: Past max_bytes, a compressed body may go on decoding only while it stays within this many times the
    #: bytes received for it, so a decompression bomb ends as too_large at max_bytes whatever the cap.
    #: Honest bodies compress far less (pages and varied JSON 3 to 20 times, a catalog of near-identical
    #: records about 70); a gzip bomb about 1,000 times, stacked encodings far more.
    max_expansion: int = 200
    obey_robots: bool = True
    #: Host pattern (fnmatch) -> "ip[:port]" or None (= real DNS). Exact names win over patterns,
    #: longer patterns over shorter. Overridden hosts are contacted in plain HTTP: this exists for
    #: local simulated webs and tests, never for production crawling.
    resolve: dict[str, str | None] = field(default_factory=dict)
    #: Addresses (IPs or CIDRs) exempt from the private-address guard. Empty by default: tests and the
    #: simulated web must opt in to 127.0.0.1 explicitly.
    allow_addresses: tuple[str, ...] = ()
    #: Replay mode: serve every request from these WARC files (or directories of them), never the network.
    replay: tuple[str, ...] = ()
    #: Where ETag/Last-Modified validators and reusable bodies persist between runs (None: no conditional GET).
    cache_dir: Path | None = None
    #: Folder of per-host lock files shared by every process of a run (crawl shards on one machine):
    #: politeness then holds across processes, not just across threads.
    shared_gate_dir: Path | None = None
    #: When the website crawl asks a page again or carries it forward (needs ``cache_dir``; live runs only).
    #: None: every page is asked every run (the pipeline's crawl sets it from its CrawlSettings).
    revisit: RevisitPolicy | None = None

    def __post_init__(self) -> None:
        """Refuse a setting no fetch could honour: a delay of ``nan`` makes the second request to a host
        wait for ever, a negative or infinite one is no delay at all or no end; a timeout must be above 0."""
        for name in ("connect_timeout_s", "read_timeout_s", "total_timeout_s"):
            number_in(name, getattr(self, name), 0, above=True)
        for name in ("min_delay_s", "max_crawl_delay_s", "backoff_base_s", "backoff_cap_s", "retry_after_cap_s",
                     "max_retries", "timeout_retries", "max_redirects"):
            number_in(name, getattr(self, name), 0)
        for name in ("concurrency", "max_bytes", "max_expansion"):
            number_in(name, getattr(self, name), 1)

    @property
    def full_user_agent(self) -> str:
        return f"{self.user_agent} (+{self.contact_url})" if self.contact_url else self.user_agent

    @property
    def replaying(self) -> bool:
        return bool(self.replay)
