"""The simulated web itself: formats, paging, validators, faults and server-side statistics.

Everything goes through plain ``requests`` to 127.0.0.1 with the logical host in the Host header,
exactly how the project's fetcher reaches it, so a failure here points at the simulator, not at
the fetcher.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import html
import http.client
import io
import json
import threading
import time
import tracemalloc
import zlib
from collections import deque
from collections.abc import Iterator
from urllib import robotparser
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from bs4 import BeautifulSoup

from sources.census import parse_subest
from tests.simweb.faults import FAULT_OUTCOMES, FAULT_PARAMS, FaultPlan
from tests.simweb.formats import census, evidence, pdf
from tests.simweb.population import (
    EVIDENCE_KINDS,
    FLAGS,
    PAGE_FLAGS,
    SITE_QUIRKS,
    EvidencePage,
    build_population,
    evidence_pages,
)
from tests.simweb.server import SimWeb

try:
    import pypdf
except ImportError:   # pragma: no cover - pypdf is a project dependency; without it only structure is checked
    pypdf = None

POP = build_population(60, seed=3)
PLATFORM_CITY = {p: max((c for c in POP.cities if c.platform == p), key=lambda c: c.n_datasets)
                 for p in ("socrata", "ckan", "arcgis_hub", "opendatasoft", "dcat")}
SITE = next(c for c in POP.cities if c.website_host and c.robots == "allow")


def get(sim: SimWeb, host: str, path: str, headers: dict[str, str] | None = None, **kw) -> requests.Response:
    return requests.get(f"http://{sim.base}{path}", headers={"Host": host, **(headers or {})}, timeout=10, **kw)


@pytest.fixture(scope="module")
def sim() -> Iterator[SimWeb]:
    with SimWeb(POP) as web:
        yield web


# ------------------------------------------------------------------------------------------ population
def test_population_is_deterministic_and_has_every_edge_case() -> None:
    again = build_population(60, seed=3)
    assert [vars(c) for c in again.cities] == [vars(c) for c in POP.cities]
    assert [c.geoid for c in build_population(60, seed=4).cities] != [c.geoid for c in POP.cities]
    assert len({c.geoid for c in POP.cities}) == len(POP.cities)
    assert all(len(c.geoid) == 7 and c.geoid.isdigit() for c in POP.cities)
    missing = [f for f in FLAGS if f not in ("unresolvable", "mega_catalog") and not POP.flagged(f)]
    assert missing == []
    assert sum(c.population >= 30_000 for c in POP.cities) > 0.8 * len(POP.cities)
    assert set(PLATFORM_CITY) <= {c.platform for c in POP.cities}
    dead = build_population(30, seed=3, unresolvable=2).flagged("unresolvable")
    assert len(dead) == 2 and all(c.website_host.endswith(".invalid") for c in dead)


# ------------------------------------------------------------------------------------------ census, wikidata
def test_census_csv_is_latin1_subest_and_parses_without_double_counting(sim: SimWeb) -> None:
    resp = get(sim, "www2.census.gov", census.PATH)
    assert resp.status_code == 200
    with pytest.raises(UnicodeDecodeError):
        resp.content.decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(resp.content.decode("latin-1"))))
    assert list(rows[0]) == census.COLUMNS
    assert {r["SUMLEV"] for r in rows} >= {"040", "050", "157", "162", "170", "172", "061"}
    assert all(len(r["STATE"]) == 2 and len(r["COUNTY"]) == 3 and len(r["PLACE"]) == 5 and len(r["COUSUB"]) == 5
               and len(r["CONCIT"]) == 5 for r in rows)
    two = POP.flagged("two_counties")[0]
    parts = [r for r in rows if r["SUMLEV"] == "157" and r["STATE"] + r["PLACE"] == two.geoid]
    assert len(parts) == 2 and sum(int(r["POPESTIMATE2024"]) for r in parts) == two.population
    assert any(r["NAME"].startswith("Cañon Springs") for r in rows)
    parsed = parse_subest(resp.content)
    assert sorted(parsed["geoid"]) == sorted(c.geoid for c in POP.cities if c.population >= 30_000)


def test_sparql_answers_json_results_with_one_binding_per_website(sim: SimWeb) -> None:
    assert get(sim, "query.wikidata.org", "/sparql?query=&format=json").status_code == 400
    resp = get(sim, "query.wikidata.org", "/sparql?query=SELECT%20*&format=json",
               headers={"Accept": "application/sparql-results+json"})
    doc = resp.json()
    assert resp.headers["Content-Type"].startswith("application/sparql-results+json")
    assert doc["head"]["vars"] == ["item", "itemLabel", "fips", "website", "stateIso"]
    bindings = doc["results"]["bindings"]
    assert len(bindings) == sum(max(1, bool(c.website) + len(c.extra_websites)) for c in POP.cities)
    first = bindings[0]
    assert first["item"]["type"] == "uri" and first["item"]["value"].startswith("http://www.wikidata.org/entity/Q")
    assert first["itemLabel"]["xml:lang"] == "en" and first["stateIso"]["value"].startswith("US-")
    fips = [b["fips"]["value"] for b in bindings if "fips" in b]
    assert any("-" in f for f in fips) and len(fips) < len(bindings)
    assert any("website" not in b for b in bindings)
    assert "Cañon Springs" in resp.content.decode("utf-8")


# ------------------------------------------------------------------------------------------ city sites
def test_city_site_pages_robots_sitemap_and_404(sim: SimWeb) -> None:
    host = SITE.website_host
    home = get(sim, f"{host}:443", "/")
    assert home.status_code == 200 and f"City of {SITE.name}" in home.text and 'href="/budget"' in home.text
    if SITE.portal_host:
        assert f"https://{SITE.portal_host}/" in home.text
    assert "Sitemap:" in get(sim, host, "/robots.txt").text
    assert "sitemaps.org/schemas/sitemap/0.9" in get(sim, host, "/sitemap.xml").text
    missing = get(sim, host, "/no/such/page")
    assert missing.status_code == 404 and "<html" in missing.text.lower()
    assert get(sim, "unknown.example", "/").status_code == 404


def test_keep_alive_serves_several_requests_on_one_connection(sim: SimWeb) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", sim.port, timeout=5)
    try:
        for path in ("/", "/news", "/missing", "/budget"):
            conn.request("GET", path, headers={"Host": SITE.website_host})
            resp = conn.getresponse()
            body = resp.read()
            assert int(resp.headers["Content-Length"]) == len(body)
        conn.request("HEAD", "/", headers={"Host": SITE.website_host})
        head = conn.getresponse()
        assert head.read() == b"" and int(head.headers["Content-Length"]) > 0
    finally:
        conn.close()


def test_conditional_get_answers_304_and_notices_overrides() -> None:
    with SimWeb(POP) as web:
        host = SITE.website_host
        first = get(web, host, "/budget")
        etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
        assert get(web, host, "/budget").headers["ETag"] == etag, "validators are stable"
        assert get(web, host, "/budget", headers={"If-None-Match": etag}).status_code == 304
        assert get(web, host, "/budget", headers={"If-Modified-Since": modified}).status_code == 304
        web.set_override(host, "/budget", b"<html><title>new budget</title></html>")
        changed = get(web, host, "/budget", headers={"If-None-Match": etag})
        assert changed.status_code == 200 and b"new budget" in changed.content
        assert get(web, host, "/budget", headers={"If-Modified-Since": modified}).status_code == 200


def test_an_override_answers_for_its_own_address_only() -> None:
    # A code's root page changed must not change its sections (same path, another query): they are other pages.
    with SimWeb(POP) as web:
        host = SITE.website_host
        section = get(web, host, "/budget?section=2").content
        web.set_override(host, "/budget", b"<html><title>new budget</title></html>")
        assert b"new budget" in get(web, host, "/budget").content
        assert get(web, host, "/budget?section=2").content == section
        web.set_override(host, "/budget?section=2", b"<html><title>new section</title></html>")
        assert b"new section" in get(web, host, "/budget?section=2").content


# ------------------------------------------------------------------------------------------ portals
def _page_all(web: SimWeb, platform: str, host: str) -> tuple[list[str], int]:
    ids: list[str] = []
    offset = 0
    while True:
        if platform == "socrata":
            doc = get(web, host, f"/api/catalog/v1?domains={host}&limit=100&offset={offset}").json()
            page, total = [r["resource"]["id"] for r in doc["results"]], doc["resultSetSize"]
        elif platform == "ckan":
            doc = get(web, host, f"/api/3/action/package_search?rows=1000&start={offset}").json()
            page, total = [p["id"] for p in doc["result"]["results"]], doc["result"]["count"]
        elif platform == "opendatasoft":
            doc = get(web, host, f"/api/explore/v2.1/catalog/datasets?limit=100&offset={offset}").json()
            page, total = [d["dataset_id"] for d in doc["results"]], doc["total_count"]
        else:
            path = "/api/feed/dcat-us/1.1.json" if platform == "arcgis_hub" else "/data.json"
            doc = get(web, host, path).json()
            assert doc["@type"] == "dcat:Catalog" and doc["conformsTo"].endswith("/v1.1/schema")
            return [d["identifier"] for d in doc["dataset"]], len(doc["dataset"])
        ids += page
        offset += len(page)
        if not page or offset >= total:
            return ids, total


@pytest.mark.parametrize("platform", sorted(PLATFORM_CITY))
def test_portal_paging_returns_the_declared_total_without_duplicates(sim: SimWeb, platform: str) -> None:
    city = PLATFORM_CITY[platform]
    ids, total = _page_all(sim, platform, city.portal_host)
    assert total == city.n_datasets == len(ids) == len(set(ids))


def test_socrata_scroll_id_and_shared_api_host_agree_with_offset_paging(sim: SimWeb) -> None:
    city = PLATFORM_CITY["socrata"]
    host = city.portal_host
    by_offset, _ = _page_all(sim, "socrata", host)
    scrolled: list[str] = []
    last = ""
    while True:
        doc = get(sim, "api.us.socrata.com", f"/api/catalog/v1?domains={host}&limit=37&scroll_id={last}").json()
        if not doc["results"]:
            break
        scrolled += [r["resource"]["id"] for r in doc["results"]]
        last = scrolled[-1]
    assert scrolled == by_offset == sorted(by_offset)
    item = get(sim, host, f"/api/catalog/v1?domains={host}&limit=1").json()["results"][0]
    assert {"resource", "classification", "metadata", "permalink", "link", "owner"} <= set(item)
    assert {"name", "id", "description", "attribution", "type", "updatedAt", "createdAt", "data_updated_at",
            "metadata_updated_at", "download_count", "columns_name", "columns_field_name",
            "columns_description"} <= set(item["resource"])
    assert get(sim, host, "/api/catalog/v1?limit=100&offset=9950").status_code == 400


def test_portal_limits_follow_the_real_apis(sim: SimWeb) -> None:
    ods = PLATFORM_CITY["opendatasoft"].portal_host
    assert get(sim, ods, "/api/explore/v2.1/catalog/datasets?limit=101").status_code == 400
    ckan = PLATFORM_CITY["ckan"].portal_host
    bad = get(sim, ckan, "/api/3/action/package_search?rows=abc")
    assert bad.status_code == 409 and bad.json()["success"] is False
    status = get(sim, ckan, "/api/3/action/status_show").json()
    assert status["success"] and status["result"]["ckan_version"] == "2.10.4"


def test_registries_list_every_socrata_domain_and_search_hub_sites(sim: SimWeb) -> None:
    listing = get(sim, "api.us.socrata.com", "/api/catalog/v1/domains").json()
    domains = {r["domain"]: r["count"] for r in listing["results"]}
    assert listing["resultSetSize"] == len(domains)
    portals = POP.portals()
    assert domains == {h: p.n_datasets for h, p in portals.items() if p.platform == "socrata"}
    assert {portals[d].level for d in domains} >= {"city", "other"}
    # Any listed domain's catalog is served on the shared API host, county and state ones included.
    other = next(p for p in POP.other_portals if p.platform == "socrata")
    page = get(sim, "api.us.socrata.com", f"/api/catalog/v1?domains={other.host}&limit=5").json()
    assert page["resultSetSize"] == other.n_datasets and page["results"][0]["metadata"]["domain"] == other.host
    hub = PLATFORM_CITY["arcgis_hub"]
    q = f'type:"Hub Site Application" AND title:"{hub.name}"'
    found = get(sim, "www.arcgis.com", "/sharing/rest/search", params={"f": "json", "q": q, "num": 100}).json()
    assert found["nextStart"] == -1 and found["total"] == len(found["results"]) >= 1
    assert all(r["type"] == "Hub Site Application" and hub.name.lower() in r["title"].lower()
               for r in found["results"])
    assert f"https://{hub.portal_host}" in {r["url"] for r in found["results"]}
    paged = get(sim, "www.arcgis.com", "/sharing/rest/search",
                params={"f": "json", "q": 'type:"Hub Site Application"', "num": 2, "start": 1}).json()
    assert paged["nextStart"] == 3 and len(paged["results"]) == 2
    missing = get(sim, "www.arcgis.com", "/sharing/rest/search", params={"f": "json"})
    assert missing.status_code == 200 and missing.json()["error"]["code"] == 400   # ArcGIS errors ride in a 200


def test_home_pages_link_some_portals_not_others() -> None:
    pop = build_population(150, seed=21)
    with_portal = [c for c in pop.cities if c.platform]
    assert 0.1 < sum(not c.portal_linked for c in with_portal) / len(with_portal) < 0.5
    unlinked = next(c for c in with_portal if not c.portal_linked and c.website_host)
    linker = next(c for c in pop.cities if c.linked_other and c.website_host)
    with SimWeb(pop) as web:
        assert unlinked.portal_host not in get(web, unlinked.website_host, "/").text
        home = get(web, linker.website_host, "/").text
        assert all(f"https://{h}/" in home for h in linker.linked_other)
        county = next(p for p in pop.other_portals if p.level == "county")
        assert county.title in get(web, county.host, "/").text


# ------------------------------------------------------------------------------------------ faults
def test_429_with_retry_after_then_ok_and_503_then_ok() -> None:
    plan = (FaultPlan().add(SITE.website_host, "http_429", path="/news", n=2, retry_after=7)
            .add(SITE.website_host, "http_503_then_ok", path="/budget"))
    with SimWeb(POP, faults=plan) as web:
        codes = [get(web, SITE.website_host, "/news") for _ in range(3)]
        assert [r.status_code for r in codes] == [429, 429, 200] and codes[0].headers["Retry-After"] == "7"
        assert [get(web, SITE.website_host, "/budget").status_code for _ in range(2)] == [503, 200]
        assert get(web, SITE.website_host, "/robots.txt").status_code == 200, "page faults spare robots.txt"


def test_truncated_gzip_bomb_redirects_and_robots_faults() -> None:
    host = SITE.website_host
    plan = (FaultPlan().add(host, "truncated", path="/news").add(host, "gzip_bomb", path="/budget", size_mb=20)
            .add(host, "redirect_chain", path="/council", hops=3).add(host, "redirect_loop", path="/contact")
            .add(host, "redirect_private", path="/departments").add(host, "robots_5xx"))
    with SimWeb(POP, faults=plan) as web:
        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            get(web, host, "/news")
        bomb = get(web, host, "/budget", stream=True)
        assert bomb.headers["Content-Encoding"] == "gzip" and int(bomb.headers["Content-Length"]) < 200_000
        bomb.close()
        chain = get(web, host, "/council")
        assert chain.status_code == 200 and len(chain.history) == 3 and "City Council" in chain.text
        with pytest.raises(requests.exceptions.TooManyRedirects):
            get(web, host, "/contact")
        loop = get(web, host, "/contact", allow_redirects=False)
        back = get(web, host, loop.headers["Location"], allow_redirects=False)
        assert back.headers["Location"] == "/contact"
        private = get(web, host, "/departments", allow_redirects=False)
        assert private.status_code == 302 and private.headers["Location"] == "http://10.0.0.7/admin"
        assert get(web, host, "/robots.txt").status_code == 503


@pytest.mark.parametrize("content_length", [True, False])
def test_huge_body_is_streamed_without_memory_blowup(content_length: bool) -> None:
    plan = FaultPlan().add(SITE.website_host, "huge", size_mb=24, content_length=content_length)
    with SimWeb(POP, faults=plan) as web:
        tracemalloc.start()
        with get(web, SITE.website_host, "/", stream=True) as resp:
            total = sum(len(chunk) for chunk in resp.iter_content(1 << 16))
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert total == 24 * 1024 * 1024
    assert ("Content-Length" in resp.headers) is content_length
    assert peak < 4 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"


def test_timeout_fault_is_cut_short_by_stop() -> None:
    web = SimWeb(POP, faults=FaultPlan().add(SITE.website_host, "timeout")).start()
    errors: list[BaseException] = []

    def call() -> None:
        try:
            get(web, SITE.website_host, "/")
        except requests.RequestException as exc:
            errors.append(exc)

    worker = threading.Thread(target=call)
    worker.start()
    time.sleep(0.2)
    started = time.monotonic()
    web.stop()
    worker.join(5)
    assert not worker.is_alive() and time.monotonic() - started < 2 and errors


def test_empty_catalog_malformed_json_and_plan_validation() -> None:
    ckan, soc = PLATFORM_CITY["ckan"], PLATFORM_CITY["socrata"]
    plan = FaultPlan.from_mapping({ckan.portal_host: "empty_catalog", (soc.portal_host, "/api/*"): "malformed_json"})
    with SimWeb(POP, faults=plan) as web:
        assert get(web, ckan.portal_host, "/api/3/action/package_search").json()["result"]["count"] == 0
        with pytest.raises(json.JSONDecodeError):
            json.loads(get(web, soc.portal_host, "/api/catalog/v1?limit=5").content)
    with pytest.raises(ValueError, match="unknown fault kind"):
        FaultPlan().add("h", "http_999")
    with pytest.raises(ValueError, match="no parameter"):
        FaultPlan().add("h", "huge", megabytes=3)
    assert set(FAULT_OUTCOMES) == set(FAULT_PARAMS)
    kinds = ["robots_disallow", "http_500", "empty_catalog"]
    a, b = (FaultPlan.random(POP, kinds, share=0.2, seed=9) for _ in range(2))
    assert a == b and len(a.rules) == int(len([c for c in POP.cities if c.website_host]) * 0.2)
    assert all(r.path == "/robots.txt" for r in a.rules if r.fault.kind == "robots_disallow")


# ------------------------------------------------------------------------------------------ statistics
def test_stats_count_per_host_concurrency_and_records() -> None:
    other = next(c for c in POP.cities if c.website_host and c is not SITE)
    with SimWeb(POP, latency=(0.3, 0.3)) as web:
        threads = [threading.Thread(target=get, args=(web, SITE.website_host, p)) for p in ("/", "/news")]
        threads.append(threading.Thread(target=get, args=(web, other.website_host, "/")))
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        stats = web.stats()
        assert stats["max_in_flight"] == {SITE.website_host: 2, other.website_host: 1}
        assert stats["total"] == {SITE.website_host: 2, other.website_host: 1}
        host, path, start, end, status, sent = sorted(stats["requests"])[0]
        assert status == 200 and sent > 0 and end - start >= 0.29
        web.reset_stats()
        assert web.stats()["requests"] == []
    assert web.resolve_map() == {"*.invalid": None, "*": web.base}


# ------------------------------------------------------------------------------------------ evidence of data practices
#: sha256 of every pre-existing attribute of every city and of other_portals, taken before practices
#: were added: drawing practices from their own RNG must leave all of it unchanged.
_OLD_FINGERPRINTS = {(60, 3): "cd04e7ea1b1a9d6a493afe8cc810fd7188e696b6e94fa86bc704ae797a2c8f25",
                     (150, 21): "62debfadcbb486c49cebf8919f96b5b9353a3c7bd95df99aa58381cbcb0444e2"}
KEY = POP.answer_key()
PAGES_OF = {c.geoid: KEY[c.geoid] for c in POP.cities}
SLOW = 0.3


def _fingerprint(pop) -> str:
    rows = [{k: (sorted(v) if isinstance(v, set | frozenset) else v) for k, v in vars(c).items()
             if k not in ("practices", "site_quirks", "criteria")} for c in pop.cities]
    others = [dataclasses.asdict(p) for p in pop.other_portals]
    return hashlib.sha256(json.dumps([rows, others], sort_keys=True, default=list).encode()).hexdigest()


@pytest.fixture(scope="module")
def evsim() -> Iterator[SimWeb]:
    with SimWeb(POP, slow_seconds=SLOW) as web:
        yield web


def _fetch(web: SimWeb, page: EvidencePage, path: str | None = None, **kw) -> requests.Response:
    return get(web, page.host, path or page.path, **kw)


def _main_text(body: str) -> str:
    """Visible text of <main> without its breadcrumb: where decisive text must be."""
    main = BeautifulSoup(body, "html.parser").find("main")
    for nav in main.find_all("nav"):
        nav.decompose()
    return " ".join(main.get_text(" ").split())


def _pdf_text(data: bytes, pages: int = 5) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data), strict=True)
    return " ".join(" ".join((p.extract_text() or "") for p in reader.pages[:pages]).split())


def test_practices_are_deterministic_and_leave_every_older_attribute_unchanged() -> None:
    for (n, seed), digest in _OLD_FINGERPRINTS.items():
        assert _fingerprint(build_population(n, seed=seed)) == digest
    again = build_population(60, seed=3)
    assert [(c.practices, c.site_quirks) for c in again.cities] == [(c.practices, c.site_quirks) for c in POP.cities]
    assert again.answer_key() == KEY
    big = build_population(400, seed=9)
    sites = [c for c in big.cities if c.website_host]
    assert all(not c.practices and not c.site_quirks for c in big.cities if not c.website_host)
    assert {k for c in sites for k in c.practices} == set(EVIDENCE_KINDS)
    assert 0.05 < sum(not c.practices for c in sites) / len(sites) < 0.35
    with_platform = [c for c in sites if c.platform]
    assert sum("open_data_portal" in c.practices for c in with_platform) / len(with_platform) > 0.8
    by_size = sorted(sites, key=lambda c: c.population)
    small, large = by_size[: len(by_size) // 4], by_size[-len(by_size) // 4:]
    assert sum(len(c.practices) for c in large) > 1.3 * sum(len(c.practices) for c in small)
    assert all(POP.quirked(q) for q in SITE_QUIRKS)
    with pytest.raises(ValueError, match="unknown quirk"):
        POP.quirked("nope")


def test_ground_truth_criteria_follow_practices_and_prerequisites() -> None:
    from sources.criteria.catalog import load_catalog

    catalog = load_catalog().by_id()
    big = build_population(300, seed=9)
    assert [c.criteria for c in build_population(300, seed=9).cities] == [c.criteria for c in big.cities]
    for c in big.cities:
        assert all(set(catalog[cid].prerequisites) <= c.criteria for cid in c.criteria)
    rich = [c for c in big.cities if len(c.practices) >= 5]
    poor = [c for c in big.cities if not c.practices and not c.platform]
    assert sum(len(c.criteria) for c in rich) / len(rich) > 2 * sum(len(c.criteria) for c in poor) / len(poor)


def test_answer_key_is_consistent_with_the_ground_truth() -> None:
    for c in POP.cities:
        pages = PAGES_OF[c.geoid]
        if not c.website_host:
            assert pages == []
            continue
        assert len({(p.host, p.path) for p in pages}) == len(pages)
        assert all(1 <= p.depth <= 3 and p.flags <= set(PAGE_FLAGS) for p in pages)
        assert all(p.kinds <= c.practices and bool(p.kinds) == (p.role == "evidence") for p in pages)
        for kind in c.practices:
            assert any(kind in p.kinds and p.readable for p in pages), (c.name, kind)
        assert sum(p.role == "negative" for p in pages) >= 10 and any("broken" in p.flags for p in pages)
        assert all((p.role == "missing") == ("broken" in p.flags) == (p.status == 404) for p in pages)
        assert all(p.host in (c.website_host, evidence.legistar_host(c), evidence.MUNICODE_HOST) for p in pages)
        assert all(p.offsite == (p.host != c.website_host) and not (p.offsite and p.in_sitemap) for p in pages)
        blocked = [p for p in pages if "robots_blocked" in p.flags]
        assert all(p.path.startswith("/private/") and p.role == "evidence" for p in blocked)
        assert bool(blocked) == (c.robots == "private" and bool(c.practices))
        perf = next(p for p in pages if p.path == "/performance")
        assert perf.role == ("evidence" if "performance_reporting" in c.practices else "negative")
        for quirk, flag in (("huge_pdf", "huge"), ("pdf_bomb", "bomb"), ("corrupt_pdf", "corrupt"),
                            ("slow_page", "slow"), ("redirect_chain", "redirect_chain")):
            assert (quirk in c.site_quirks) == any(flag in p.flags for p in pages), (c.name, quirk)
    assert evidence_pages(POP.cities[0]) == KEY[POP.cities[0].geoid]


def _served_sample() -> list[EvidencePage]:
    """Every page of the cities carrying a quirk or the private robots policy, and of three more."""
    chosen = [c for c in POP.cities if c.website_host and (c.site_quirks or c.robots == "private")][:12]
    chosen += [c for c in POP.cities if c.website_host and c not in chosen][:3]
    return [p for c in chosen for p in PAGES_OF[c.geoid]]


def test_every_answer_key_page_is_served_as_declared(evsim: SimWeb) -> None:
    pages = [p for p in _served_sample() if "huge" not in p.flags]
    assert {f for p in pages for f in p.flags} == set(PAGE_FLAGS) - {"huge"}
    assert {k for p in pages for k in p.kinds} == set(EVIDENCE_KINDS)
    session = requests.Session()
    for p in pages:
        resp = session.get(f"http://{evsim.base}{p.path}", headers={"Host": p.host}, timeout=10)
        assert (resp.status_code, resp.headers["Content-Type"]) == (p.status, p.content_type), p.url
        if not p.readable:
            continue
        if p.format == "html":
            assert p.phrase.lower() in _main_text(resp.text).lower(), p.url
        elif pypdf is not None:
            assert p.phrase.lower() in _pdf_text(resp.content).lower(), p.url
        else:   # pragma: no cover
            assert resp.content.startswith(b"%PDF-1.4") and resp.content.rstrip().endswith(b"%%EOF")


def test_declared_depths_match_a_breadth_first_crawl_of_the_served_links(evsim: SimWeb) -> None:
    for c in [POP.quirked("redirect_chain")[0], POP.quirked("huge_pdf")[0],
              next(c for c in POP.cities if c.robots == "private" and c.practices)]:
        pages = {(p.host, p.path): p for p in PAGES_OF[c.geoid]}
        hosts = {c.website_host, evidence.legistar_host(c), evidence.MUNICODE_HOST}
        depth = {(c.website_host, "/"): 0}
        queue = deque([(c.website_host, "/")])
        while queue:
            host, path = queue.popleft()
            page = pages.get((host, path))
            if depth[(host, path)] >= 3 or (page is not None and (page.format != "html" or page.status != 200)):
                continue
            resp = get(evsim, host, path)
            if "html" not in resp.headers["Content-Type"]:
                continue
            base = f"https://{host}{path}"
            for a in BeautifulSoup(resp.text, "html.parser").find_all("a", href=True):
                url = urlsplit(urljoin(base, a["href"]))
                target = (url.hostname, url.path + (f"?{url.query}" if url.query else ""))
                if url.hostname in hosts and target not in depth and not target[1].endswith(".xml"):
                    depth[target] = depth[(host, path)] + 1
                    queue.append(target)
        for p in pages.values():
            seen = min([depth.get((p.host, a), 99) for a in p.aliases] + [depth.get((p.host, p.path), 99)])
            assert seen == p.depth, (p.url, seen, p.depth)


def test_pdfs_parse_and_the_huge_bomb_and_corrupt_ones_misbehave(evsim: SimWeb) -> None:
    pages = [p for ps in KEY.values() for p in ps]
    normal = next(p for p in pages if p.format == "pdf" and p.readable and not p.offsite)
    data = _fetch(evsim, normal).content
    if pypdf is not None:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=True)
        assert reader.metadata.title == normal.title and normal.phrase in _pdf_text(data)
    # The huge PDF: exact length advertised, first MiB quick, never built in memory.
    huge = next(p for p in pages if "huge" in p.flags)
    head = requests.head(f"http://{evsim.base}{huge.path}", headers={"Host": huge.host}, timeout=10)
    assert int(head.headers["Content-Length"]) == evidence.HUGE_PDF_BYTES
    tracemalloc.start()
    started = time.monotonic()
    with _fetch(evsim, huge, stream=True) as resp:
        got = b""
        for chunk in resp.iter_content(1 << 16):
            got += chunk
            if len(got) >= 1 << 20:
                break
    elapsed = time.monotonic() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert got.startswith(b"%PDF-1.4") and elapsed < 2 and peak < 8 * 1024 * 1024, (elapsed, peak)
    # The same generator at a small size gives a complete, valid PDF of exactly that size.
    small = pdf.huge_pdf(["Annual Performance Report", "met or exceeded"], title="t", size=200_000)
    whole = b"".join(small)
    assert len(whole) == len(small) == 200_000
    if pypdf is not None:
        assert "met or exceeded" in _pdf_text(whole)
    # The bomb: small on the wire, thousands of pages, one stream inflating to hundreds of MiB.
    bomb = _fetch(evsim, next(p for p in pages if "bomb" in p.flags)).content
    assert len(bomb) < 1_000_000 and bomb.count(b"/Type /Page ") > 2_000
    start = bomb.index(b"stream\n", bomb.index(b"7 0 obj")) + len(b"stream\n")
    length = int(bomb[bomb.index(b"/Length ", bomb.index(b"7 0 obj")) + 8:].split()[0])
    inflater, pending, inflated = zlib.decompressobj(), bomb[start:start + length], 0
    while pending:
        inflated += len(inflater.decompress(pending, 1 << 24))
        pending = inflater.unconsumed_tail
    assert inflated == evidence.BOMB_INFLATED_MB * 1024 * 1024
    # The corrupt one: a PDF header, then nothing a parser can finish.
    corrupt = _fetch(evsim, next(p for p in pages if "corrupt" in p.flags)).content
    assert corrupt.startswith(b"%PDF-1.4") and b"xref" not in corrupt and b"%%EOF" not in corrupt
    if pypdf is not None:
        with pytest.raises(Exception):  # noqa: B017 - any parser error will do
            _pdf_text(corrupt)


def test_robots_sitemap_redirects_slow_pages_and_document_hosts(evsim: SimWeb) -> None:
    private = next(c for c in POP.cities if c.robots == "private" and c.practices)
    parser = robotparser.RobotFileParser()
    parser.parse(get(evsim, private.website_host, "/robots.txt").text.splitlines())
    for p in PAGES_OF[private.geoid]:
        if p.host == private.website_host:
            assert parser.can_fetch("cdpi", p.url) == ("robots_blocked" not in p.flags), p.url
    for c in (private, POP.quirked("redirect_chain")[0]):
        xml = get(evsim, c.website_host, "/sitemap.xml").text
        locs = {loc.split("</loc>")[0] for loc in xml.split("<loc>")[1:]}
        listed = {html.unescape(u).removeprefix(f"https://{c.website_host}") for u in locs}
        expected = {p.path for p in PAGES_OF[c.geoid] if p.in_sitemap}
        assert expected <= listed and len(listed) == len(locs)
        assert not listed & {p.path for p in PAGES_OF[c.geoid] if not p.in_sitemap}
        assert all(p.status == 200 and "robots_blocked" not in p.flags and not p.offsite
                   for p in PAGES_OF[c.geoid] if p.in_sitemap)
    chained = next(p for p in PAGES_OF[POP.quirked("redirect_chain")[0].geoid] if "redirect_chain" in p.flags)
    first = _fetch(evsim, chained, chained.aliases[0], allow_redirects=False)
    second = _fetch(evsim, chained, first.headers["Location"], allow_redirects=False)
    assert (first.status_code, first.headers["Location"]) == (301, chained.aliases[1])
    assert (second.status_code, second.headers["Location"]) == (302, chained.path)
    final = _fetch(evsim, chained, chained.aliases[0])
    assert final.status_code == 200 and [r.status_code for r in final.history] == [301, 302]
    slow = next(p for ps in KEY.values() for p in ps if "slow" in p.flags)
    started = time.monotonic()
    assert _fetch(evsim, slow).status_code == 200 and time.monotonic() - started >= SLOW
    legistar = evidence.legistar_host(private)
    assert "Disallow:\n" in get(evsim, legistar, "/robots.txt").text
    assert get(evsim, evidence.MUNICODE_HOST, "/no-such-city/codes/code_of_ordinances").status_code == 404
    assert get(evsim, legistar, "/View.ashx?M=F&ID=1").status_code == 404
