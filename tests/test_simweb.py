"""The simulated web itself: formats, paging, validators, faults and server-side statistics.

Everything goes through plain ``requests`` to 127.0.0.1 with the logical host in the Host header,
exactly how the project's fetcher reaches it, so a failure here points at the simulator, not at
the fetcher.
"""

from __future__ import annotations

import csv
import http.client
import io
import json
import threading
import time
import tracemalloc
from collections.abc import Iterator

import pytest
import requests

from sources.census import parse_subest
from tests.simweb.faults import FAULT_OUTCOMES, FAULT_PARAMS, FaultPlan
from tests.simweb.formats import census
from tests.simweb.population import FLAGS, build_population
from tests.simweb.server import SimWeb

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
