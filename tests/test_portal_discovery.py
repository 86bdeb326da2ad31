"""Portal discovery: leads from registries and websites, deep paging, judging who runs each portal."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from sources.http.fetcher import Fetcher
from sources.portals.discovery import SOCRATA_OFFSET_WINDOW, discover, website_leads
from sources.portals.registries import match_hub_sites, match_socrata_domains, registrable_domain
from sources.portals.survey import survey
from tests.simweb.faults import FaultPlan
from tests.simweb.formats import dataportals
from tests.simweb.population import build_population, city_portal
from tests.simweb.server import SimWeb

AS_OF = datetime(2026, 10, 31, tzinfo=UTC)
#: Socrata domains as the Discovery API lists them (real hosts, counts invented).
DOMAINS = [{"domain": d, "count": n} for d, n in [
    ("data.cityofboston.gov", 120), ("data.cityofnewyork.us", 3000), ("data.ny.gov", 2100),
    ("data.kingcounty.gov", 400), ("data.seattle.gov", 900), ("data.austintexas.gov", 1500),
    ("data.springfield-il.example", 10), ("data.springfield-mo.example", 12), ("opendata.springfieldtx.example", 3)]]


def _fetcher(sim: SimWeb, tmp_path: Path, **kw) -> Fetcher:
    return Fetcher(sim.fetcher_config(**kw), run_dir=tmp_path)


def test_registrable_domain_is_public_suffix_aware() -> None:
    assert registrable_domain("www.data.cityofchicago.org") == "cityofchicago.org"
    assert registrable_domain("data.ci.springfield.or.us") == "springfield.or.us"
    assert registrable_domain(None) is None


def test_socrata_domains_match_by_site_domain_then_by_name_and_state() -> None:
    seattle = match_socrata_domains(DOMAINS, "Seattle", "WA", "https://www.seattle.gov/")
    assert [(h.host, h.confidence) for h in seattle] == [("data.seattle.gov", 0.85)]
    boston = match_socrata_domains(DOMAINS, "Boston", "MA", "https://www.boston.gov/")
    assert [h.host for h in boston] == ["data.cityofboston.gov"] and "spells the city name" in boston[0].reason
    assert [h.host for h in match_socrata_domains(DOMAINS, "New York", "NY", None)] == ["data.cityofnewyork.us"]
    # Three Springfields: a shared name needs the state in the host.
    shared = frozenset({"springfield"})
    il = match_socrata_domains(DOMAINS, "Springfield", "IL", None, shared)
    assert [h.host for h in il] == ["data.springfield-il.example"]
    tx = match_socrata_domains(DOMAINS, "Springfield", "TX", None, shared)
    assert [h.host for h in tx] == ["opendata.springfieldtx.example"]
    assert match_socrata_domains(DOMAINS, "Springfield", "OR", None, shared) == []
    assert match_socrata_domains(DOMAINS, "Ames", "IA", None) == []     # too short to match by name


def test_hub_sites_match_the_city_title_and_state() -> None:
    items = [
        {"type": "Hub Site Application", "title": "City of Alder Falls Open Data", "url": "https://data-afgis.hub.arcgis.com",
         "owner": "af_gis", "tags": ["Texas", "open data"], "snippet": "Open data for Alder Falls, TX"},
        {"type": "Hub Site Application", "title": "Alder Falls Open Data", "url": "https://alder-falls-oh.hub.arcgis.com",
         "owner": "afoh", "tags": ["Ohio"], "snippet": "Alder Falls, OH"},
        {"type": "Web Map", "title": "Alder Falls Parcels", "url": "https://services.example/x"},
        {"type": "Hub Site Application", "title": "Alder Fallsview Estates HOA", "url": "https://hoa.hub.arcgis.com"},
        {"type": "Hub Site Application", "title": "Alder Falls Watershed Council", "url": "https://awc.hub.arcgis.com",
         "tags": ["watershed"]},
    ]
    hits = match_hub_sites(items, "Alder Falls", "TX")
    assert [(h.host, h.confidence) for h in hits] == [("data-afgis.hub.arcgis.com", 0.6),
                                                       ("awc.hub.arcgis.com", 0.4)]
    # A name several cities share needs the state named: the watershed site could be anyone's.
    hits = match_hub_sites(items, "Alder Falls", "TX", frozenset({"alder falls"}))
    assert [h.host for h in hits] == ["data-afgis.hub.arcgis.com"]


def test_website_leads_put_linked_hosts_first_then_conventional_names() -> None:
    leads = website_leads("4800001", "https://www.alder-falls-tx.example/", ["gis.county.example"])
    assert [(ld.host, ld.via) for ld in leads] == [
        ("gis.county.example", "homepage_link"), ("data.alder-falls-tx.example", "candidate_host"),
        ("opendata.alder-falls-tx.example", "candidate_host"),
        ("alder-falls-tx.opendata.arcgis.com", "candidate_host"), ("alder-falls-tx.opendatasoft.com", "candidate_host")]
    assert [ld.platform for ld in leads[-2:]] == ["arcgis_hub", "opendatasoft"]


@pytest.mark.slow
def test_deep_socrata_catalog_pages_by_scroll_id_past_the_offset_window(tmp_path: Path) -> None:
    pop = build_population(40, seed=5)
    city = next(c for c in pop.cities if c.platform == "socrata")
    city.n_datasets = SOCRATA_OFFSET_WINDOW + 2_345
    with SimWeb(pop) as sim, _fetcher(sim, tmp_path) as f:
        result = discover(f, city.portal_host)
    assert (result.platform, result.outcome, result.paging) == ("socrata", "found", "scroll_id")
    assert len(result.records) == city.n_datasets == result.reported_total
    assert len({r.id for r in result.records}) == city.n_datasets


def test_ckan_portal_reports_its_version_and_site_title(tmp_path: Path) -> None:
    pop = build_population(40, seed=5)
    city = next(c for c in pop.cities if c.platform == "ckan")
    with SimWeb(pop) as sim, _fetcher(sim, tmp_path) as f:
        result = discover(f, city.portal_host)
    assert result.platform == "ckan" and result.platform_version and result.platform_version[0].isdigit()
    assert city.name in (result.site_title or "")


def test_survey_reads_each_portal_once_and_records_unreachable_hosts(tmp_path: Path) -> None:
    from sources.homepages import fetch_homepages

    pop = build_population(30, seed=8)
    cities = pd.DataFrame([{"geoid": c.geoid, "name": c.name, "state_abbr": c.state_abbr,
                            "state_name": c.state_name, "website_url": c.website} for c in pop.cities])
    slow = next(c for c in pop.cities if c.platform and c.website)
    faults = FaultPlan().add(slow.portal_host, "timeout", seconds=3)
    with SimWeb(pop, faults=faults) as sim, _fetcher(sim, tmp_path, read_timeout_s=0.5, timeout_retries=0) as f:
        homes = fetch_homepages(f, cities)
        result = survey(f, cities, homes, as_of=AS_OF)
    portals = result.portals
    credited = portals[portals["credited"]].set_index(["geoid", "portal_host"])
    for c in pop.cities:
        if c is slow or not c.platform:
            continue
        if (c.geoid, c.portal_host) not in credited.index:
            continue   # not every seeded portal is findable from this little (see the recall test)
        row = credited.loc[(c.geoid, c.portal_host)]
        assert (row["platform"], row["dataset_count"], row["scope"]) == (c.platform, c.n_datasets, "city")
    assert len(credited) >= 0.8 * sum(1 for c in pop.cities if c.platform and c is not slow)
    probe = result.probes[(result.probes["geoid"] == slow.geoid) & (result.probes["portal_host"] == slow.portal_host)]
    assert probe["outcome"].tolist() == ["unreachable"] and "timeout" in probe["detail"].iloc[0]
    # Datasets are stored once per host, whichever cities the host was found for.
    read_hosts = portals.drop_duplicates("portal_host")
    assert len(result.datasets) == int(read_hosts["dataset_count"].sum())
    assert set(result.registries["registry"]) == {"socrata_domain_list", "arcgis_hub_search", "dataportals_registry"}


def test_whole_catalog_documents_get_their_own_byte_cap(tmp_path: Path) -> None:
    pop = build_population(40, seed=5)
    city = next(c for c in pop.cities if c.platform == "dcat")
    city.n_datasets = 3_000
    with SimWeb(pop) as sim, _fetcher(sim, tmp_path, max_bytes=200_000) as f:
        page = f.get(f"https://{city.portal_host}/data.json")
        result = discover(f, city.portal_host)
    assert page.outcome.value == "too_large"          # a web page this size would be refused...
    assert (result.outcome, len(result.records)) == ("found", 3_000)   # ...a catalog document is not


def _survey_population(pop, tmp_path: Path):
    from sources.homepages import fetch_homepages

    cities = pd.DataFrame([{"geoid": c.geoid, "name": c.name, "state_abbr": c.state_abbr,
                            "state_name": c.state_name, "website_url": c.website} for c in pop.cities])
    with SimWeb(pop) as sim, _fetcher(sim, tmp_path) as f:
        homes = fetch_homepages(f, cities)
        return survey(f, cities, homes, as_of=AS_OF), sim.stats()


@pytest.mark.slow
def test_discovery_recall_and_no_county_or_state_portal_credited_to_a_city(tmp_path: Path) -> None:
    """Ground truth from the simulated web: every city portal seeded (linked from the home page or not,
    on a conventional host or one only a registry knows), beside county, state, regional and unrelated
    portals that home pages and registries also point to."""
    pop = build_population(160, seed=21)
    assert {p.level for p in pop.other_portals} >= {"county", "state", "regional"}
    assert any(not c.portal_linked for c in pop.cities if c.platform)
    assert any(c.portal_route != "conventional" for c in pop.cities if c.platform)
    result, stats = _survey_population(pop, tmp_path)
    portals = result.portals
    credited = set(zip(portals.loc[portals["credited"], "geoid"], portals.loc[portals["credited"], "portal_host"],
                       strict=True))
    seeded = {(p.owner_geoid, p.host) for p in pop.seeded_portals()}
    # A portal no route can reach: the city has no known website (so no home page link and no name to
    # derive hosts from), its platform keeps no registry of its own (CKAN, OpenDataSoft, plain data.json),
    # and the registry of data portals does not list it.
    unlisted = {c.geoid for c in pop.cities if c.platform and not dataportals.listed(city_portal(c))}
    routeless = {(c.geoid, c.portal_host) for c in pop.cities
                 if c.platform in ("ckan", "opendatasoft", "dcat") and not c.website and c.geoid in unlisted}
    reachable = seeded - routeless
    found = seeded & credited
    assert len(found & reachable) / len(reachable) >= 0.95, f"found {len(found)} of {len(reachable)} reachable"
    assert len(found) / len(seeded) >= 0.93, f"found {len(found)} of {len(seeded)} seeded city portals"
    for geoid, host in reachable - found:   # each miss has a reason: a shared name and no state to tell by
        c = pop.city(geoid)
        assert sum(x.name == c.name for x in pop.cities) > 1 and not c.portal_linked, (c.name, host)
    others = {p.host: p.level for p in pop.other_portals}
    wrong = {(g, h) for g, h in credited if h in others or (g, h) not in seeded}
    assert not wrong, f"credited to a city but not its own portal: {sorted(wrong)[:5]}"
    # The county and state portals were met (linked from home pages), read once, and recorded with their level.
    seen_other = portals[portals["portal_host"].isin(others)]
    assert {"county", "state"} <= set(seen_other["scope"])
    assert all(seen_other["scope"] == seen_other["portal_host"].map(others))
    # Registries were read and contributed leads no home page gave.
    reads = result.registries.set_index("registry")
    assert (result.registries["outcome"] == "ok").all()
    assert int(reads.loc["socrata_domain_list", "matches"]) > 0
    hub_only = [c for c in pop.cities if c.platform == "arcgis_hub" and c.portal_route == "name_only"
                and (c.geoid, c.portal_host) in found]
    assert hub_only
    for c in hub_only:
        probe = result.probes[(result.probes["geoid"] == c.geoid) & (result.probes["portal_host"] == c.portal_host)]
        assert "arcgis_hub_search" in probe["discovered_via"].iloc[0]
    assert stats["total"].get("api.us.socrata.com", 0) >= 1
    # The registry of data portals: read once, its county, state and GIS-server entries never credited, and
    # portals of cities without a known website found through it alone.
    assert int(reads.loc["dataportals_registry", "matches"]) > 0 and int(reads.loc["dataportals_registry",
                                                                                   "requests"]) == 1
    via_registry = result.probes[result.probes["discovered_via"].str.contains("dataportals_registry")]
    assert set(zip(via_registry["geoid"], via_registry["portal_host"], strict=True)) <= seeded
    assert via_registry["leads"].str.contains("registry entry cdi").all(), "the registry uid is kept"
    only_registry = {(c.geoid, c.portal_host) for c in pop.cities
                     if c.platform in ("ckan", "opendatasoft", "dcat") and not c.website and c.geoid not in unlisted}
    assert only_registry and only_registry <= found


def test_a_registry_listed_dcat_document_is_read_when_the_platform_api_gives_nothing(tmp_path: Path) -> None:
    """A Socrata host whose Discovery API is not in the archive, but whose data.json (listed by a registry)
    is: the catalog comes from that document; a URL on another host is never read for it."""
    from sources.http.archive import WarcArchive
    from sources.http.config import FetcherConfig

    host = "data.alder-springs.example"
    catalog = {"@type": "dcat:Catalog", "conformsTo": "https://project-open-data.cio.gov/v1.1/schema",
               "dataset": [{"identifier": f"https://{host}/api/views/abcd-{k:04d}", "title": f"Permits {k}",
                            "description": "Building permits issued.", "modified": "2026-09-01",
                            "publisher": {"name": "City of Alder Springs"}, "keyword": ["permits"],
                            "accessLevel": "public",
                            "distribution": [{"downloadURL": f"https://{host}/api/views/abcd-{k:04d}/rows.csv",
                                              "mediaType": "text/csv"}]} for k in range(3)]}
    archive = WarcArchive(tmp_path / "warc", "t")
    archive.write_exchange(url=f"https://{host}/data.json", method="GET", request_headers=[], status=200,
                           reason="OK", response_headers=[("Content-Type", "application/json")],
                           body=json.dumps(catalog).encode(), date="2026-10-01T00:00:00Z")
    archive.close()
    with Fetcher(FetcherConfig(replay=[str(tmp_path / "warc")]), run_dir=tmp_path / "run") as f:
        listed = discover(f, host, "socrata", dcat_url=f"https://{host}/data.json")
        elsewhere = discover(f, host, "socrata", dcat_url="https://other.example/data.json")
        unlisted = discover(f, host, "socrata")
    assert (listed.outcome, listed.platform, len(listed.records)) == ("found", "dcat", 3)
    assert "registry lists" in listed.detail
    assert elsewhere.outcome == unlisted.outcome == "unreachable", "nothing recorded for the Socrata API"


def test_a_catalog_that_changes_between_pages_counts_each_dataset_once(tmp_path: Path) -> None:
    """Offset paging of a live catalog: a dataset published between the first and second request pushes the
    first page's last entry onto the second page. It is counted once and the result says why; the next offset
    counts entries served, so no entry is skipped."""
    from sources.http.config import FetcherConfig
    from sources.portals.discovery import page_url

    host = "data.alder-springs.example"

    def dataset(k: int) -> dict:
        return {"dataset_id": f"permits-{k:03d}", "has_records": True, "fields": [],
                "metas": {"default": {"title": f"Permits {k}", "modified": "2026-09-01T00:00:00+00:00",
                                      "publisher": "Planning"}}}

    first = {"total_count": 150, "results": [dataset(k) for k in range(100)]}
    # One more dataset now sits at the top: the second page starts with the first page's last entry.
    second = {"total_count": 151, "results": [dataset(k) for k in range(99, 150)]}
    warc = _archive(tmp_path, {page_url("opendatasoft", host, offset=0): first,
                               page_url("opendatasoft", host, offset=100): second})
    with Fetcher(FetcherConfig(replay=[str(warc)]), run_dir=tmp_path / "run") as f:
        result = discover(f, host, "opendatasoft")
    assert (result.outcome, result.pages, result.reported_total) == ("found", 2, 150)
    assert len(result.records) == len({r.id for r in result.records}) == 150 and result.repeated == 1
    assert "1 entry repeated" in (result.detail or "")


def _archive(tmp_path: Path, pages: dict[str, dict | bytes]) -> Path:
    """A replay archive answering each URL with its page as JSON (bytes: as they are), 200 application/json."""
    from sources.http.archive import WarcArchive

    archive = WarcArchive(tmp_path / "warc", "t")
    for url, body in pages.items():
        archive.write_exchange(url=url, method="GET", request_headers=[], status=200, reason="OK",
                               response_headers=[("Content-Type", "application/json")],
                               body=body if isinstance(body, bytes) else json.dumps(body).encode(),
                               date="2026-10-01T00:00:00Z")
    archive.close()
    return tmp_path / "warc"


def test_a_server_that_ignores_the_scroll_id_ends_the_read_as_partial(tmp_path: Path) -> None:
    """Deep Socrata paging by scroll_id against a server that answers every scroll with the same page: the
    read stops as partial when a page brings nothing new, instead of asking for ever."""
    from sources.http.config import FetcherConfig
    from sources.portals.discovery import page_url

    host = "data.alder-springs.example"
    page = {"resultSetSize": SOCRATA_OFFSET_WINDOW + 5, "results": [
        {"resource": {"id": f"abcd-000{k}", "name": f"Permits {k}", "type": "dataset",
                      "data_updated_at": "2026-09-01T00:00:00.000Z"}, "metadata": {"domain": host}}
        for k in range(3)]}
    warc = _archive(tmp_path, {page_url("socrata", host, offset=0): page,
                               page_url("socrata", host, scroll_id=""): page,
                               page_url("socrata", host, scroll_id="abcd-0002"): page})
    with Fetcher(FetcherConfig(replay=[str(warc)]), run_dir=tmp_path / "run") as f:
        result = discover(f, host, "socrata")
    assert (result.outcome, result.paging, len(result.records)) == ("partial", "scroll_id", 3)
    assert "did not move past the scroll id" in (result.detail or "") and result.pages == 3


def test_a_catalog_document_listing_an_identifier_twice_says_so(tmp_path: Path) -> None:
    from sources.http.config import FetcherConfig

    host = "data.alder-springs.example"
    entry = {"identifier": f"https://{host}/d/budget", "title": "Budget", "modified": "2026-09-01",
             "distribution": [{"downloadURL": f"https://{host}/d/budget.csv", "mediaType": "text/csv"}]}
    catalog = {"conformsTo": "https://project-open-data.cio.gov/v1.1/schema",
               "dataset": [entry, {**entry, "title": "Budget 2024"}, {**entry, "identifier": f"https://{host}/d/x"}]}
    warc = _archive(tmp_path, {f"https://{host}/data.json": catalog})
    with Fetcher(FetcherConfig(replay=[str(warc)]), run_dir=tmp_path / "run") as f:
        result = discover(f, host, "dcat")
    assert (result.outcome, len(result.records), result.repeated) == ("found", 2, 1)
    assert "1 entry repeated in the catalog document" in (result.detail or "")


def test_a_backfilled_month_leaves_later_updates_out_of_portal_freshness(tmp_path: Path) -> None:
    """The simulated catalogs are dated up to mid-October 2026; surveyed as of 2026-08-31 (a backfill run
    later), each portal row counts its datasets updated after that day, leaves them out of freshness,
    and its detail says so, while as of the October month's end nothing is left out."""
    from sources.homepages import fetch_homepages

    pop = build_population(12, seed=8)
    cities = pd.DataFrame([{"geoid": c.geoid, "name": c.name, "state_abbr": c.state_abbr,
                            "state_name": c.state_name, "website_url": c.website} for c in pop.cities])
    backfill = datetime(2026, 8, 31, tzinfo=UTC)
    with SimWeb(pop) as sim, _fetcher(sim, tmp_path) as f:
        homes = fetch_homepages(f, cities)
        past, now = survey(f, cities, homes, as_of=backfill), survey(f, cities, homes, as_of=AS_OF)
    later = past.datasets[past.datasets["updated_at"] >= pd.Timestamp("2026-09-02")]     # past a day's slack
    after = later.groupby("portal_host").size()
    assert after.sum() > 0
    for row in past.portals.to_dict("records"):
        count = int(after.get(row["portal_host"], 0))
        assert row["updated_after_as_of"] == count, row["portal_host"]
        said = f"{count} entr{'y' if count == 1 else 'ies'} last updated after 2026-08-31" in (row["detail"] or "")
        assert said == (count > 0), row["detail"]
    assert (now.portals["updated_after_as_of"] == 0).all()


@pytest.mark.parametrize("body", [b"", b"  \n", b"null"], ids=["empty", "blank", "null"])
def test_a_catalog_api_answering_json_with_nothing_in_it_is_broken_not_absent(body: bytes, tmp_path: Path) -> None:
    """A gateway answering 200 application/json with an empty body (or a bare null) at the catalog's path:
    the portal is there and could not be read, so the probe is unreachable, never not_found."""
    from sources.http.config import FetcherConfig

    host = "umber-crossing.opendata.arcgis.com"
    warc = _archive(tmp_path, {f"https://{host}/api/feed/dcat-us/1.1.json": body})
    with Fetcher(FetcherConfig(replay=[str(warc)]), run_dir=tmp_path / "run") as f:
        result = discover(f, host, "arcgis_hub")
    assert result.outcome == "unreachable", (result.outcome, result.detail)
    assert "catalog API answered" in (result.detail or "")
