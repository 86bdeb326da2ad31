"""The pipeline-level fault suite: the whole pipeline against a simulated web where some hosts misbehave.

One population, two full runs of every asset (as ``scripts/build_sample.py`` materialises them, but into
temporary homes): one fault-free, one with a ``FaultPlan`` giving a known set of cities one fault each
(on the city website or on the catalog API of its portal) plus one website that does not resolve.
What must hold: neither run crashes; every fetch of a faulted host/path is in ``ops.fetch_log`` with the
outcome class its fault must end as (or, when the transport is fine, the parsers record what they saw);
cities no fault touched get exactly the same rows in both runs; a city whose site could not be examined
shows lower coverage, never confident absence; the run summary (``marts.fetch_outcomes``, ``cdpi runs``)
counts the outcomes. See docs/faults.md for the table of kinds and the measured figures.

    .venv/bin/python -m pytest -m '' tests/test_fault_suite.py
"""

from __future__ import annotations

import fnmatch
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dagster as dg
import pandas as pd
import pytest

from pipelines.cli import main as cli
from pipelines.definitions import ALL_ASSETS, default_resources
from pipelines.resources import REAL_DNS, CrawlSettings, FetcherResource, RunSettings, WarehouseResource
from sources.evidence.classify import KINDS
from tests.simweb.faults import FAULT_OUTCOMES, FAULT_PARAMS, ROBOTS_KINDS, ROBOTS_PATH, FaultPlan
from tests.simweb.formats import uscityurl
from tests.simweb.population import Population, SimCity, build_population
from tests.simweb.server import DOC_HOSTS, SimWeb
from warehouse.paths import WarehousePaths
from warehouse.read import connect_published

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

SEED = 2026
N_CITIES = 150            # under 151, so no city carries the slow-to-serve mega catalog
MONTH = "2026-10-01"
READ_TIMEOUT_S = 3.0      # the fetcher's per-read timeout (it retries a timeout once); ample for a loaded CI box
HANG_S = 8.0              # how long a ``timeout`` fault holds its answer: always past READ_TIMEOUT_S
SLOW_PAGE_S = 0.2         # the population's own slow pages stay well under READ_TIMEOUT_S in both runs
DNS = "dns_failure"       # not a server fault: the fetcher's resolve config sends the host to real DNS
_PRIVATE = FAULT_PARAMS["redirect_private"]["target"]

#: Website faults, one city each: (kind, path glob, parameters).
WEBSITE_FAULTS: list[tuple[str, str, dict[str, Any]]] = [
    ("timeout", "*", {"seconds": HANG_S}),
    ("http_500", "*", {}),
    ("http_404", "*", {}),
    ("http_429", "/", {"n": 1, "retry_after": 1}),
    ("http_503_then_ok", "/", {"n": 1}),
    ("malformed_html", "*", {}),
    ("truncated", "*", {}),
    ("huge", "*", {"size_mb": 50.0}),
    ("gzip_bomb", "*", {"size_mb": 40}),
    ("redirect_loop", "*", {}),
    ("redirect_private", "*", {}),
    ("robots_disallow", ROBOTS_PATH, {}),
    ("robots_5xx", ROBOTS_PATH, {}),
    ("bad_encoding", "*", {}),
    (DNS, "*", {}),
]
#: Portal faults, one city each (cities whose own Socrata/CKAN/Opendatasoft portal the baseline credits).
PORTAL_FAULTS: list[tuple[str, str, dict[str, Any]]] = [
    ("malformed_json", "/api/*", {}),
    ("empty_catalog", "/api/*", {}),
    ("timeout", "*", {"seconds": HANG_S}),
    ("http_500", "/api/*", {}),
]
#: Outcome classes that mean "could not look": the remote side said nothing about the resource.
UNREACHABLE = {"timeout", "connection_error", "dns_error", "robots_disallowed", "blocked_address", "too_large",
               "too_many_redirects", "invalid_url"}
#: Columns that legitimately differ between two runs of the same web.
VOLATILE = {"snapshot", "run_id", "fetched_at", "verified_at", "seconds", "elapsed_ms", "warc_file", "fetch_id"}


@dataclass(frozen=True)
class Target:
    """One injected fault: which city, which host and path glob, and the class it must end as."""

    kind: str
    where: str            # website | portal
    geoid: str
    host: str
    path: str
    params: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def label(self) -> str:
        return self.kind if self.where == "website" else f"{self.kind} (portal)"

    @property
    def expected(self) -> str:
        return "dns_error" if self.kind == DNS else FAULT_OUTCOMES[self.kind]

    def covers(self, url: str) -> bool:
        """Whether a fetch of ``url`` is one this fault acts on (robots kinds: every page but robots.txt)."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if self.kind == "redirect_private" and host == _host(str(self.params.get("target") or _PRIVATE)):
            return True   # where the redirect points (its robots.txt included): refused before any connection
        if host != self.host:
            return False
        path = parts.path or "/"
        if self.kind == DNS:   # the name does not resolve: robots.txt fails like every other path
            return True
        if self.kind in ROBOTS_KINDS:
            return path != ROBOTS_PATH
        if path == ROBOTS_PATH and self.path != ROBOTS_PATH:
            return False
        return fnmatch.fnmatchcase(path, self.path)


def choose_targets(population: Population) -> list[Target]:
    """Deterministic: plain cities (no edge-case flag) in geoid order; portal faults first, on cities with
    a conventionally named Socrata/CKAN/Opendatasoft portal their home page links, then website faults on
    the next cities."""
    # A city UScityURL lists at a stale address has two websites to settle between: not plain.
    plain = sorted((c for c in population.cities if c.website_host and not c.flags
                    and uscityurl.listed_website(c) != uscityurl.stale_website(c)), key=lambda c: c.geoid)
    portal_cities = [c for c in plain if c.platform in ("socrata", "ckan", "opendatasoft")
                     and c.portal_route == "conventional" and c.portal_linked]
    # Spread over the platforms: one of each in turn.
    by_platform: dict[str, list[SimCity]] = {}
    for c in portal_cities:
        by_platform.setdefault(c.platform or "", []).append(c)
    order = [c for group in zip(*by_platform.values(), strict=False) for c in group]
    targets = [Target(kind, "portal", c.geoid, c.portal_host or "", path, params)
               for (kind, path, params), c in zip(PORTAL_FAULTS, order, strict=False)]
    used = {t.geoid for t in targets}
    rest = [c for c in plain if c.geoid not in used]
    targets += [Target(kind, "website", c.geoid, c.website_host or "", path, params)
                for (kind, path, params), c in zip(WEBSITE_FAULTS, rest, strict=False)]
    assert len(targets) == len(PORTAL_FAULTS) + len(WEBSITE_FAULTS), "population too small for the plan"
    return targets


def fault_plan(targets: list[Target]) -> FaultPlan:
    plan = FaultPlan()
    for t in targets:
        if t.kind != DNS:
            plan.add(t.host, t.kind, path=t.path, **t.params)
    return plan


@dataclass
class Run:
    home: Path
    result: dg.ExecuteInProcessResult
    seconds: float
    server_requests: int
    served: list[tuple[str, str, int]] = field(default_factory=list)   # (host, path, status) as the server saw them
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    def table(self, name: str) -> pd.DataFrame:
        if name not in self.tables:
            con = connect_published(WarehousePaths(self.home))
            try:
                self.tables[name] = con.execute(f"SELECT * FROM {name}").df()
            finally:
                con.close()
        return self.tables[name]

    def sql(self, query: str, params: list | None = None) -> pd.DataFrame:
        con = connect_published(WarehousePaths(self.home))
        try:
            return con.execute(query, params or []).df()
        finally:
            con.close()


@dataclass
class Suite:
    population: Population
    targets: list[Target]
    base: Run
    faulty: Run


def run_pipeline(population: Population, home: Path, faults: FaultPlan, dns_hosts: list[str]) -> Run:
    """Every asset against the simulated web, with build_sample's politeness settings, into ``home``."""
    started = time.monotonic()
    with SimWeb(population, seed=SEED, faults=faults, slow_seconds=SLOW_PAGE_S) as sim:
        resolve = {k: (REAL_DNS if v is None else v) for k, v in sim.resolve_map().items()}
        resolve.update({h: REAL_DNS for h in dns_hosts})   # exact names win over the "*" pattern
        fetcher = FetcherResource(min_delay_s=0.01, max_crawl_delay_s=0.05, conditional_get=False,
                                  read_timeout_s=READ_TIMEOUT_S, connect_timeout_s=READ_TIMEOUT_S,
                                  backoff_base_s=0.05, allow_addresses=["127.0.0.1"], resolve=resolve)
        resources = default_resources(WarehouseResource(home=str(home)), fetcher,
                                      # Catalog weights: a fit to the certified list would tie every city's
                                      # score to the others', and this suite checks that unaffected cities
                                      # come out identical.
                                      RunSettings(mode="live", is_sample=True, calibration="catalog"),
                                      CrawlSettings(max_document_bytes=1024 * 1024, extra_doc_hosts=list(DOC_HOSTS)))
        result = dg.materialize(ALL_ASSETS, resources=resources, partition_key=MONTH,
                                instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)
        stats = sim.stats()
    return Run(home, result, time.monotonic() - started, sum(stats["total"].values()),
               [(host, path, status) for host, path, _, _, status, _ in stats["requests"]])


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Suite:
    population = build_population(N_CITIES, seed=SEED)
    targets = choose_targets(population)
    base = run_pipeline(population, tmp_path_factory.mktemp("fault_free"), FaultPlan(), [])
    faulty = run_pipeline(population, tmp_path_factory.mktemp("faulty"), fault_plan(targets),
                          [t.host for t in targets if t.kind == DNS])
    return Suite(population, targets, base, faulty)


# ------------------------------------------------------------------------------------------------ helpers
def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def touched_cities(run: Run, hosts: set[str]) -> set[str]:
    """Cities whose home page, crawl or portal survey reached one of ``hosts`` in this run."""
    out: set[str] = set()
    homepages = run.table("raw.homepages")
    out |= set(homepages.loc[homepages["url"].map(_host).isin(hosts), "geoid"])
    pages = run.table("staging.crawl_pages")
    out |= set(pages.loc[pages["url"].map(_host).isin(hosts) | pages["final_url"].fillna("").map(_host).isin(hosts),
                         "geoid"])
    probes = run.table("staging.portal_probes")
    out |= set(probes.loc[probes["portal_host"].isin(hosts), "geoid"])
    return out


def comparable(frame: pd.DataFrame, geoids: set[str], keys: list[str]) -> pd.DataFrame:
    """Rows of ``geoids``, volatile columns dropped, in a stable order."""
    cols = [c for c in frame.columns if c not in VOLATILE]
    rows = frame.loc[frame["geoid"].isin(geoids), cols]
    return rows.sort_values(keys).reset_index(drop=True)


# ------------------------------------------------------------------------------------------------ tests
def test_both_runs_succeed_without_failed_steps(suite: Suite) -> None:
    for run in (suite.base, suite.faulty):
        failures = [e for e in run.result.all_events if e.is_step_failure]
        assert run.result.success and not failures, [e.message for e in failures]
        status = run.sql("SELECT status FROM ops.runs")["status"].tolist()
        assert status == ["success"]
    kinds = {t.kind for t in suite.targets}
    assert len(kinds) >= 12 and {"timeout", "http_500", "http_429", "malformed_json", "malformed_html", "truncated",
                                 "huge", "redirect_loop", "redirect_private", "robots_disallow", "bad_encoding",
                                 "empty_catalog", DNS} <= kinds
    # Every target is a city of the universe with a website, in both runs.
    for run in (suite.base, suite.faulty):
        cities = run.table("marts.cities")
        assert {t.geoid for t in suite.targets} <= set(cities["geoid"])


def test_every_faulted_fetch_ends_in_its_outcome_class(suite: Suite) -> None:
    log = suite.faulty.table("ops.fetch_log")
    wrong: list[str] = []
    for t in suite.targets:
        rows = log[log["url"].map(t.covers)]
        assert len(rows), f"{t.label}: no fetch of {t.host}{t.path} in ops.fetch_log"
        bad = rows[rows["outcome"] != t.expected]
        wrong += [f"{t.label}: {r.url} ended {r.outcome} (status {r.status}), expected {t.expected}"
                  for r in bad.itertuples()]
    assert not wrong, "\n".join(wrong)


def test_the_server_saw_only_what_the_faults_allow(suite: Suite) -> None:
    """Server side: a robots-blocked site is asked for robots.txt only, an unresolvable one never."""
    served = suite.faulty.served
    for t in suite.targets:
        paths = {path for host, path, _ in served if host == t.host}
        if t.kind in ROBOTS_KINDS:
            assert paths == {ROBOTS_PATH}, (t.label, paths)
        elif t.kind == DNS:
            assert not paths, (t.label, paths)
        else:
            assert paths, t.label
    assert {host for host, _, _ in suite.base.served} >= {t.host for t in suite.targets}


def test_retried_faults_recover_after_waiting(suite: Suite) -> None:
    log = suite.faulty.table("ops.fetch_log")
    for kind, min_ms in (("http_429", 950.0), ("http_503_then_ok", 0.0)):
        t = next(t for t in suite.targets if t.kind == kind)
        first = log[log["url"] == f"https://{t.host}/"].sort_values("fetched_at").iloc[0]
        assert first["outcome"] == "ok" and first["attempts"] == 2, (kind, first.to_dict())
        assert first["elapsed_ms"] >= min_ms, f"{kind}: Retry-After not honoured ({first['elapsed_ms']} ms)"
        # Recovered: the city ends exactly as in the fault-free run.
        for table, keys in (("marts.city_index", ["geoid"]), ("marts.evidence", ["geoid", "url", "kind"]),
                            ("staging.crawl_pages", ["geoid", "url"])):
            pd.testing.assert_frame_equal(comparable(suite.base.table(table), {t.geoid}, keys),
                                          comparable(suite.faulty.table(table), {t.geoid}, keys), obj=table)


def test_home_page_and_crawl_record_the_fault(suite: Suite) -> None:
    """Website faults: the city row says how its home page fetch ended; an unreachable seed stops the crawl
    as seed_unreachable, not as a site with nothing on it."""
    cities = suite.faulty.table("marts.cities").set_index("geoid")
    summaries = suite.faulty.table("staging.crawl_summaries").set_index("geoid")
    for t in (t for t in suite.targets if t.where == "website"):
        expected = t.expected
        assert cities.at[t.geoid, "homepage_outcome"] == expected, t.label
        summary = summaries.loc[t.geoid]
        if expected in UNREACHABLE:
            assert summary["stopped_by"] == "seed_unreachable" and summary["pages_ok"] == 0, (t.label, summary)
        if t.kind in ("http_500", "http_404"):
            assert summary["pages_ok"] == 0 and summary["stopped_by"] != "seed_unreachable", (t.label, summary)


def test_content_faults_are_recorded_by_the_parsers(suite: Suite) -> None:
    base, faulty = suite.base, suite.faulty
    by_label = {t.label: t for t in suite.targets}
    homepages = faulty.table("raw.homepages").set_index("geoid")
    pages = faulty.table("staging.crawl_pages")
    # Broken HTML and undecodable bytes: the page is kept (ok, hashed), read leniently, yields no evidence.
    for label in ("malformed_html", "bad_encoding"):
        t = by_label[label]
        home = homepages.loc[t.geoid]
        assert home["outcome"] == "ok" and home["sha256"], label
        city_pages = pages[pages["geoid"] == t.geoid]
        assert len(city_pages) and (city_pages["outcome"] == "ok").all(), label
        assert (faulty.table("marts.evidence")["geoid"] != t.geoid).all(), label
    assert "municipal" in str(homepages.at[by_label["bad_encoding"].geoid, "title"])
    # An empty catalog is read and reported as zero datasets, where the fault-free run read some.
    t = by_label["empty_catalog (portal)"]
    key = (t.geoid, t.host)
    p_base = base.table("marts.portals").set_index(["geoid", "portal_host"])
    p_faulty = faulty.table("marts.portals").set_index(["geoid", "portal_host"])
    assert p_base.at[key, "dataset_count"] > 0
    assert p_faulty.at[key, "outcome"] == "found"
    assert p_faulty.at[key, "dataset_count"] == 0 and p_faulty.at[key, "reported_total"] == 0
    # A catalog API answering malformed JSON must be recorded as such, not as "no portal here".
    t = by_label["malformed_json (portal)"]
    assert _probe(base, t)["outcome"] == "found"
    probe = _probe(faulty, t)
    assert probe["outcome"] != "not_found" and "malformed" in str(probe["detail"]).lower(), probe.to_dict()


def _probe(run: Run, t: Target) -> pd.Series:
    probes = run.table("staging.portal_probes")
    rows = probes[(probes["geoid"] == t.geoid) & (probes["portal_host"] == t.host)]
    assert len(rows) == 1, (t.label, rows)
    return rows.iloc[0]


def _signals(run: Run, geoid: str, portal: bool) -> pd.DataFrame:
    signals = run.table("staging.city_signals")
    rows = signals[(signals["geoid"] == geoid) & (signals["signal"].str.startswith("portal_") == portal)]
    assert len(rows), geoid
    return rows


def test_unreachable_portals_are_not_absent(suite: Suite) -> None:
    base_index = suite.base.table("marts.city_index").set_index("geoid")
    faulty_index = suite.faulty.table("marts.city_index").set_index("geoid")
    t = next(t for t in suite.targets if t.label == "timeout (portal)")
    probe = _probe(suite.faulty, t)
    assert probe["outcome"] == "unreachable" and str(probe["detail"]).startswith("timeout"), probe.to_dict()
    assert not _signals(suite.faulty, t.geoid, portal=True)["observed"].any()
    assert faulty_index.at[t.geoid, "coverage"] < base_index.at[t.geoid, "coverage"]
    for label in ("http_500 (portal)", "malformed_json (portal)"):
        t = next(t for t in suite.targets if t.label == label)
        assert _probe(suite.base, t)["outcome"] == "found"
        assert _probe(suite.faulty, t)["outcome"] == "unreachable", label
        assert not _signals(suite.faulty, t.geoid, portal=True)["observed"].all(), label


def test_unreachable_websites_lower_coverage_never_confident_absence(suite: Suite) -> None:
    base_index = suite.base.table("marts.city_index").set_index("geoid")
    faulty_index = suite.faulty.table("marts.city_index").set_index("geoid")
    scores = suite.faulty.table("marts.criterion_scores")
    checked = 0
    for t in (t for t in suite.targets if t.where == "website"):
        if t.expected not in UNREACHABLE and t.kind not in ("http_500", "http_404"):
            continue
        web = _signals(suite.faulty, t.geoid, portal=False)
        assert len(web) == len(KINDS) and not web["observed"].any(), (t.label, web)
        assert (web["value"] == 0).all(), t.label
        assert faulty_index.at[t.geoid, "coverage"] < base_index.at[t.geoid, "coverage"], t.label
        # Criteria fed by the website are unknown (coverage < 1), not scored as evidence of absence.
        assert (scores.loc[scores["geoid"] == t.geoid, "coverage"] < 1).any(), t.label
        checked += 1
    assert checked == sum(t.where == "website" and (t.expected in UNREACHABLE or t.kind in ("http_500", "http_404"))
                          for t in suite.targets) == 11


def test_garbled_websites_are_not_confident_absence(suite: Suite) -> None:
    """A site that answered every page with broken markup or undecodable bytes gave the crawl nothing to
    follow; that is not a reading of the site, so it must not score as evidence of absence."""
    base_index = suite.base.table("marts.city_index").set_index("geoid")
    faulty_index = suite.faulty.table("marts.city_index").set_index("geoid")
    summaries = suite.faulty.table("staging.crawl_summaries").set_index("geoid")
    for t in (t for t in suite.targets if t.kind in ("malformed_html", "bad_encoding")):
        assert summaries.at[t.geoid, "pages_ok"] == 1 and summaries.at[t.geoid, "evidence_rows"] == 0, t.label
        observed = _signals(suite.faulty, t.geoid, portal=False)["observed"]
        lower = faulty_index.at[t.geoid, "coverage"] < base_index.at[t.geoid, "coverage"]
        assert lower and not observed.any(), t.label


COMPARED = (("marts.cities", ["geoid"]), ("marts.city_index", ["geoid"]),
            ("marts.criterion_scores", ["geoid", "criterion_id"]), ("marts.portals", ["geoid", "portal_host"]),
            ("marts.evidence", ["geoid", "url", "kind"]), ("staging.portal_probes", ["geoid", "portal_host"]),
            ("staging.crawl_pages", ["geoid", "url"]), ("staging.crawl_summaries", ["geoid"]),
            ("staging.city_signals", ["geoid", "signal"]))


def unaffected(suite: Suite) -> set[str]:
    """Cities no fault can have reached: not a target, and no fetch of theirs went to a faulted host."""
    faulted_hosts = {t.host for t in suite.targets}
    targets = {t.geoid for t in suite.targets}
    touched = touched_cities(suite.base, faulted_hosts) | touched_cities(suite.faulty, faulted_hosts)
    assert touched >= targets, targets - touched
    return set(suite.base.table("marts.cities")["geoid"]) - targets - touched


def test_unaffected_cities_are_identical_between_runs(suite: Suite) -> None:
    geoids = unaffected(suite)
    assert len(geoids) >= 100
    for table, keys in COMPARED:
        a = comparable(suite.base.table(table), geoids, keys)
        b = comparable(suite.faulty.table(table), geoids, keys)
        assert len(a), table
        if table == "staging.city_signals":   # the source URL is checked last, below
            a, b = a.drop(columns="source"), b.drop(columns="source")
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9, obj=table)
    a = comparable(suite.base.table("staging.city_signals"), geoids, ["geoid", "signal"])
    b = comparable(suite.faulty.table("staging.city_signals"), geoids, ["geoid", "signal"])
    differ = a[a["source"].fillna("") != b["source"].fillna("")]
    assert differ.empty, differ.head()


def test_run_summary_counts_the_outcomes(suite: Suite, capsys: pytest.CaptureFixture[str]) -> None:
    faulty = suite.faulty
    summary = faulty.sql("SELECT outcome, fetches FROM marts.fetch_outcomes")
    counts = dict(zip(summary["outcome"], summary["fetches"], strict=True))
    log = faulty.table("ops.fetch_log")
    assert counts == log["outcome"].value_counts().to_dict()
    assert sum(counts.values()) == faulty.sql("SELECT fetch_count FROM ops.runs").iat[0, 0]
    base_counts = dict(suite.base.sql("SELECT outcome, fetches FROM marts.fetch_outcomes").itertuples(index=False))
    for cls in ("timeout", "connection_error", "dns_error", "blocked_address", "too_many_redirects"):
        assert base_counts.get(cls, 0) == 0, (cls, base_counts)
        expected = sum(len(log[log["url"].map(t.covers)]) for t in suite.targets if t.expected == cls)
        assert counts.get(cls, 0) == expected > 0, (cls, counts, expected)
    capsys.readouterr()
    assert cli(["runs", "--home", str(faulty.home), "--format", "json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert len(printed) == 1 and printed[0]["status"] == "success"
    shown = dict(part.split("=") for part in printed[0]["outcomes"].split())
    assert {k: int(v) for k, v in shown.items()} == counts
    assert printed[0]["fetches"] == sum(counts.values())


def test_figures(suite: Suite) -> None:
    """The measured figures docs/faults.md quotes; shown with ``-rP``."""
    lines = []
    for name, run in (("fault-free", suite.base), ("faulty", suite.faulty)):
        fetches = run.sql("SELECT fetch_count, city_count FROM ops.runs").iloc[0]
        lines.append(f"{name}: {run.seconds:.0f} s, {int(fetches['city_count'])} cities, "
                     f"{int(fetches['fetch_count'])} fetches logged, {run.server_requests} requests served")
    log = suite.faulty.table("ops.fetch_log")
    for t in suite.targets:
        rows = log[log["url"].map(t.covers)]
        assert len(rows), t.label
        lines.append(f"{t.label:26} {t.host}{t.path if t.path != '*' else ''}: {rows['url'].nunique()} URLs, "
                     f"{len(rows)} fetches, {int(rows['attempts'].sum())} attempts -> "
                     + ", ".join(f"{k}={v}" for k, v in rows["outcome"].value_counts().items()))
    lines.append(f"unaffected cities compared: {len(unaffected(suite))}")
    summary = suite.faulty.sql("SELECT outcome, fetches FROM marts.fetch_outcomes ORDER BY fetches DESC")
    lines.append("faulty run outcomes: " + " ".join(f"{r.outcome}={r.fetches}" for r in summary.itertuples()))
    print("\n".join(lines))
