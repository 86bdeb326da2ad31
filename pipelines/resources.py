"""Dagster resources: the knobs researchers set per deployment, turned into plain source objects."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime
from importlib import resources as importlib_resources
from pathlib import Path

import dagster as dg
from pydantic import model_validator

from sources.census import SUBEST_URL
from sources.checks import number_in
from sources.evidence.crawl import CrawlLimits
from sources.evidence.reading import auto_processes
from sources.http.archive import SAMPLE_FIELD
from sources.http.config import FetcherConfig
from sources.http.fetcher import Fetcher
from sources.http.revisit import RevisitPolicy
from sources.portals.dataportals import REGISTRY_COMMIT
from sources.websites import USCITYURL_COMMIT
from warehouse.index.outreach import MIN_CHANCE, MIN_COVERAGE, MIN_GAP_GAIN
from warehouse.paths import WarehousePaths, cdpi_home

#: In ``resolve``, this value means "use real DNS" (config values cannot be null).
REAL_DNS = "dns"


def sample_archive() -> Path:
    """The built-in synthetic WARC that `cdpi run --sample` replays."""
    return Path(str(importlib_resources.files("pipelines") / "sample" / "sample.warc.gz"))


class WarehouseResource(dg.ConfigurableResource):
    """Where the published warehouse, run folders and HTTP cache live."""

    home: str = ""  # empty: $CDPI_HOME, else ./data

    def paths(self) -> WarehousePaths:
        return WarehousePaths(Path(self.home).resolve() if self.home else cdpi_home())


@dg.io_manager(required_resource_keys={"warehouse"})
def step_outputs(context: dg.InitResourceContext) -> dg.IOManager:
    """Step outputs (one file per asset and month) under ``dagster_storage/`` of the run's own home: the one
    its warehouse resource names in the run config. Fixed when the definitions load, they would stay in the
    home `cdpi dev` was started on while a Launchpad run that names another home took that home's lock, so
    two runs could share outputs, which the lock exists to prevent. (A function with a required resource
    key, not a nested resource: a nested one would keep the home it was built with, whatever the run
    config says.)"""
    home = context.resources.warehouse.paths()
    return dg.FilesystemIOManager(base_dir=str(home.dagster_storage)).create_io_manager(context)


#: The fetcher's own defaults (sources/http/config.py, where each is explained): declared there once.
_FETCH = FetcherConfig()
_REVISIT = RevisitPolicy()
#: The crawl budget's defaults (sources/evidence/crawl.py, where each is justified): declared there once.
_LIMITS = CrawlLimits()


class FetcherResource(dg.ConfigurableResource):
    """Politeness, safety and replay settings of the shared HTTP client: every setting of FetcherConfig
    (defaults taken from it), plus where validators persist and whether the data is the sample."""

    user_agent: str = _FETCH.user_agent
    contact_url: str = _FETCH.contact_url
    min_delay_s: float = _FETCH.min_delay_s
    max_crawl_delay_s: float = _FETCH.max_crawl_delay_s
    concurrency: int = _FETCH.concurrency
    connect_timeout_s: float = _FETCH.connect_timeout_s
    read_timeout_s: float = _FETCH.read_timeout_s
    total_timeout_s: float = _FETCH.total_timeout_s
    max_retries: int = _FETCH.max_retries
    timeout_retries: int = _FETCH.timeout_retries
    backoff_base_s: float = _FETCH.backoff_base_s
    backoff_cap_s: float = _FETCH.backoff_cap_s
    retry_after_cap_s: float = _FETCH.retry_after_cap_s
    max_redirects: int = _FETCH.max_redirects
    max_bytes: int = _FETCH.max_bytes
    max_expansion: int = _FETCH.max_expansion
    obey_robots: bool = _FETCH.obey_robots
    conditional_get: bool = True
    replay: list[str] = []
    resolve: dict[str, str] = {}
    allow_addresses: list[str] = []
    #: Synthetic data (the built-in sample and its builds): every WARC says so in its warcinfo, so a replay
    #: of it is labelled sample data too.
    sample_data: bool = False

    @model_validator(mode="after")
    def _settings_a_fetcher_can_honour(self) -> FetcherResource:
        """The Launchpad passes any number, ``nan`` and ``inf`` included: FetcherConfig refuses what no fetch
        could honour, here when the resource is built rather than at the first request."""
        self.fetcher_config(None)
        return self

    def fetcher_config(self, cache_dir: Path | None, shared_gate_dir: Path | None = None,
                       revisit: RevisitPolicy | None = None) -> FetcherConfig:
        return FetcherConfig(
            user_agent=self.user_agent, contact_url=self.contact_url, min_delay_s=self.min_delay_s,
            max_crawl_delay_s=self.max_crawl_delay_s,
            concurrency=self.concurrency, connect_timeout_s=self.connect_timeout_s,
            read_timeout_s=self.read_timeout_s, total_timeout_s=self.total_timeout_s, max_retries=self.max_retries,
            timeout_retries=self.timeout_retries, backoff_base_s=self.backoff_base_s,
            backoff_cap_s=self.backoff_cap_s, retry_after_cap_s=self.retry_after_cap_s,
            max_redirects=self.max_redirects, max_bytes=self.max_bytes, max_expansion=self.max_expansion,
            obey_robots=self.obey_robots,
            resolve={k: (None if v == REAL_DNS else v) for k, v in self.resolve.items()},
            allow_addresses=tuple(self.allow_addresses), replay=tuple(self.replay),
            cache_dir=cache_dir if self.conditional_get else None, shared_gate_dir=shared_gate_dir,
            revisit=revisit)

    @contextlib.contextmanager
    def open(self, paths: WarehousePaths, run_id: str, prefix: str,
             archive_info: dict[str, str] | None = None, revisit: RevisitPolicy | None = None) -> Iterator[Fetcher]:
        """A fetcher archiving into this run's folder (``archive_info`` goes into each WARC's warcinfo
        record; ``revisit``, the website crawl's policy for pages it may carry forward); closed (WARC
        flushed) when the step ends."""
        # One set of host gates per run, shared by every step and process of it (crawl shards).
        fetcher = Fetcher(self.fetcher_config(paths.http_cache, paths.run_dir(run_id) / "host-gates", revisit),
                          run_dir=paths.run_dir(run_id), run_id=run_id, archive_prefix=prefix,
                          archive_info={**(archive_info or {}), **({SAMPLE_FIELD: "true"} if self.sample_data else {})})
        try:
            yield fetcher
        finally:
            fetcher.close()


class RunSettings(dg.ConfigurableResource):
    """What this run covers: threshold, optional city list and filters, and how it is labelled."""

    min_population: int = 30_000
    census_url: str = SUBEST_URL
    #: The UScityURL commit whose website list is read (a hex SHA, never a branch: runs stay reproducible).
    uscityurl_commit: str = USCITYURL_COMMIT
    #: The commit of the registry of data portals whose Parquet export gives portal leads (a hex SHA);
    #: empty: the registry is not read.
    portal_registry_commit: str = REGISTRY_COMMIT
    cities_csv: str = ""
    states: list[str] = []
    limit: int = 0
    #: Also the towns and townships that are general-purpose governments (12 states; 10-digit GEOIDs).
    include_towns: bool = False
    mode: str = "live"        # live | replay | sample
    is_sample: bool = False
    #: Largest share of an output's rows that may be quarantined before its blocking check stops the
    #: publish; None: each suite's own limit (``meta.table_facts``, 5 % unless a suite says otherwise).
    max_quarantined_share: float | None = None
    #: Tier bands of the criteria catalog (``tier_bands`` in sources/criteria/wwc_2022.yaml); empty: its default.
    tier_bands: str = ""
    #: auto: publish the fit to the certified list when it clearly beats the catalog (the rule in
    #: warehouse/index/calibration.py); catalog: always publish the catalog's values (the fit is still measured),
    #: so a city's score depends on its own evidence alone.
    calibration: str = "auto"
    #: Outreach: cities whose observed coverage is below this are listed as "not observed", not ranked ...
    outreach_min_coverage: float = MIN_COVERAGE
    #: ... and ranked targets need at least this P(next tier if their top gaps were closed).
    outreach_min_chance: float = MIN_CHANCE
    #: Gaps shown to staff: those that alone raise P(next tier) by at least this, or are core
    #: (warehouse/index/outreach.py, MIN_GAP_GAIN).
    outreach_min_gap_gain: float = MIN_GAP_GAIN
    #: Attested corrections (cdpi correct) lapse after this many months: a practice should be attested again.
    corrections_max_age_months: int = 12
    #: The moment (ISO 8601, UTC) the corrections' status is judged at; empty: when the run starts. A replay
    #: of a corrected run gives the original run's moment (ops.runs.config_json corrections.as_of), so the
    #: same corrections are open, lapsed or not yet recorded as they were then.
    corrections_as_of: str = ""
    #: Evidence ageing: a piece of website evidence counts half as much per this many months since its page
    #: was last verified (warehouse/index/signals.py, aged_confidence). 0: no ageing (the default: evidence
    #: pages are asked every run, so only evidence read from carried pages is ever old).
    evidence_half_life_months: float = 0.0

    @model_validator(mode="after")
    def _numbers_in_range(self) -> RunSettings:
        """Shares from 0 to 1 and counts that are not negative, never ``nan`` or ``inf`` (a run config can
        hold either): a ``nan`` share compares false with every row and would pass or drop them all."""
        if self.max_quarantined_share is not None:
            number_in("max_quarantined_share", self.max_quarantined_share, 0, 1)
        for name in ("outreach_min_coverage", "outreach_min_chance", "outreach_min_gap_gain"):
            number_in(name, getattr(self, name), 0, 1)
        number_in("evidence_half_life_months", self.evidence_half_life_months, 0)
        number_in("corrections_max_age_months", self.corrections_max_age_months, 1)
        number_in("min_population", self.min_population, 0)
        if self.corrections_as_of:
            try:
                datetime.fromisoformat(self.corrections_as_of.replace("Z", "+00:00"))
            except ValueError:
                raise ValueError(f"corrections_as_of must be an ISO 8601 time such as 2026-11-03T09:15:00Z, "
                                 f"not {self.corrections_as_of!r}") from None
        number_in("limit", self.limit, 0)
        return self


class CrawlSettings(dg.ConfigurableResource):
    """Per-city budget of the website crawl (defaults justified in sources/evidence/crawl.py)."""

    max_pages: int = _LIMITS.max_pages
    max_depth: int = _LIMITS.max_depth
    max_bytes: int = _LIMITS.max_bytes
    max_page_bytes: int = _LIMITS.max_page_bytes
    max_document_bytes: int = _LIMITS.max_document_bytes
    max_pdf_pages: int = _LIMITS.max_pdf_pages
    #: Registrable domains of document hosts followed besides the city's own, added to the built-in list.
    extra_doc_hosts: list[str] = []
    #: Revisit policy (sources/http/revisit.py): off, every page is asked every run; on, a page judged
    #: unchanged is carried forward from its last verified fetch (evidence pages and hubs are always asked).
    revisit: bool = _REVISIT.enabled
    revisit_base_interval_days: float = _REVISIT.base_interval_days
    revisit_min_interval_days: float = _REVISIT.min_interval_days
    revisit_max_interval_days: float = _REVISIT.max_interval_days
    revisit_heuristic_fraction: float = _REVISIT.heuristic_fraction
    revisit_slack_days: float = _REVISIT.slack_days
    revisit_jitter: float = _REVISIT.jitter
    #: Worker processes that read (parse and classify) what the crawl fetches, beside its threads: -1 is
    #: one per usable CPU beyond the first (none on a one-CPU machine), 0 reads in the crawl's threads.
    #: 0 by default because a started process imports the program's main script again (Python's spawn), so
    #: a script that runs the pipeline without an ``if __name__ == "__main__":`` guard would run it twice;
    #: ``cdpi run``, whose entry points are guarded, asks for -1.
    reader_processes: int = 0

    @model_validator(mode="after")
    def _numbers_in_range(self) -> CrawlSettings:
        """Budgets of at least one page and byte, and revisit intervals RevisitPolicy accepts (finite)."""
        for name in ("max_pages", "max_bytes", "max_page_bytes", "max_document_bytes", "max_pdf_pages"):
            number_in(name, getattr(self, name), 1)
        number_in("max_depth", self.max_depth, 0)
        number_in("reader_processes", self.reader_processes, -1)
        self.revisit_policy()
        return self

    def readers(self, shares: int = 1) -> int:
        """Reader processes for a crawl: the setting, or the automatic count when ``shares`` crawl processes
        run side by side (``cdpi run --workers``)."""
        return auto_processes(shares) if self.reader_processes < 0 else self.reader_processes

    def revisit_policy(self) -> RevisitPolicy:
        return RevisitPolicy(enabled=self.revisit, base_interval_days=self.revisit_base_interval_days,
                             min_interval_days=self.revisit_min_interval_days,
                             max_interval_days=self.revisit_max_interval_days,
                             heuristic_fraction=self.revisit_heuristic_fraction, slack_days=self.revisit_slack_days,
                             jitter=self.revisit_jitter)

    def limits(self) -> CrawlLimits:
        return CrawlLimits(max_pages=self.max_pages, max_depth=self.max_depth, max_bytes=self.max_bytes,
                           max_page_bytes=self.max_page_bytes, max_document_bytes=self.max_document_bytes,
                           max_pdf_pages=self.max_pdf_pages).with_doc_hosts(self.extra_doc_hosts)
