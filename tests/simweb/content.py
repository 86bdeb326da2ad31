"""What the simulated web serves: Census, Wikidata, city sites and the five portal platforms.

Formats follow the real APIs (field names, paging parameters, envelopes); content is synthetic and
generated lazily from per-item seeds, so a catalog of tens of thousands of datasets costs no memory.
"""

from __future__ import annotations

import csv
import io
import json
import random
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

from tests.simweb.population import Population, SimCity

CENSUS_HOST = "www2.census.gov"
CENSUS_PATH = "/programs-surveys/popest/datasets/2020-2024/cities/totals/sub-est2024.csv"
WIKIDATA_HOST = "query.wikidata.org"
SOCRATA_API_HOST = "api.us.socrata.com"
#: Dataset dates are relative to this fixed day so content never depends on the clock.
EPOCH = datetime(2026, 10, 15, tzinfo=UTC)
_DEPARTMENTS = ["Police", "Finance", "Public Works", "Planning", "Parks and Recreation", "Fire",
                "Housing", "311 Customer Service", "Budget Office", "Transportation"]
_TOPICS = ["Crime Incidents", "Budget", "Building Permits", "Service Requests", "Performance Measures",
           "Data Inventory", "Street Trees", "Parcels", "Restaurant Inspections", "Payroll", "Code Violations"]
_LICENSES = ["Public Domain", "CC BY 4.0", "ODbL", "See Terms of Use"]

Response = tuple[int, str, bytes, dict[str, str]]


def census_csv(pop: Population) -> bytes:
    cols = ["SUMLEV", "STATE", "COUNTY", "PLACE", "COUSUB", "CONCIT", "PRIMGEO_FLAG", "FUNCSTAT", "NAME",
            "STNAME", "ESTIMATESBASE2020"] + [f"POPESTIMATE{y}" for y in range(2020, 2025)]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(cols)
    by_state: dict[str, list[SimCity]] = {}
    for c in pop.cities:
        by_state.setdefault(c.state_fips, []).append(c)
    for fips in sorted(by_state):
        group = by_state[fips]
        name = group[0].state_name
        total = sum(c.population for c in group) * 3
        w.writerow(["040", fips, "000", "00000", "00000", "00000", "0", "A", name, name] + _pops(total))
        w.writerow(["050", fips, "001", "00000", "00000", "00000", "0", "A", "Sample County", name] + _pops(total))
        for c in group:
            place = c.geoid[2:]
            w.writerow(["162", fips, "000", place, "00000", "00000", "0", "A", c.legal_name, name]
                       + _pops(c.population))
            for j, county in enumerate(c.counties):  # county parts: must not be double counted
                share = c.population if len(c.counties) == 1 else c.population // 2 + (j * c.population % 2)
                w.writerow(["157", fips, county, place, "00000", "00000", "0", "A", c.legal_name, name]
                           + _pops(share))
            w.writerow(["061", fips, "001", "00000", f"{int(place) % 99999:05d}", "00000", "0", "A",
                        f"{c.name} township", name] + _pops(c.population // 10))
    return buf.getvalue().encode("latin-1")


def _pops(n: int) -> list[str]:
    return [str(n - 400)] + [str(n - 300 + 75 * k) for k in range(5)]


def sparql_json(pop: Population) -> bytes:
    bindings = []
    for c in pop.cities:
        sites = ([c.website] if c.website else []) + c.extra_websites
        base = {"item": {"type": "uri", "value": f"http://www.wikidata.org/entity/{c.qid}"},
                "itemLabel": {"type": "literal", "xml:lang": "en", "value": c.name},
                "stateIso": {"type": "literal", "value": f"US-{c.state_abbr}"}}
        if c.wikidata_fips:
            base["fips"] = {"type": "literal", "value": c.wikidata_fips}
        for site in sites or [None]:
            b = dict(base)
            if site:
                b["website"] = {"type": "uri", "value": site}
            bindings.append(b)
    doc = {"head": {"vars": ["item", "itemLabel", "fips", "website", "stateIso"]},
           "results": {"bindings": bindings}}
    return json.dumps(doc, ensure_ascii=False).encode()


def city_robots(c: SimCity) -> bytes:
    lines = ["User-agent: *"]
    if c.robots == "crawl_delay":
        lines.append("Crawl-delay: 2")
    lines.append("Disallow: /private/" if c.robots == "private" else "Disallow:")
    lines.append(f"Sitemap: https://{c.website_host}/sitemap.xml")
    return ("\n".join(lines) + "\n").encode()


PAGES = {"departments": "Departments", "news": "City News", "budget": "Budget and Finance",
         "performance": "Performance", "council": "City Council", "private/staff": "Staff Directory"}


def city_sitemap(c: SimCity) -> bytes:
    urls = [f"https://{c.website_host}/"] + [f"https://{c.website_host}/{p}" for p in PAGES]
    body = "".join(f"<url><loc>{u}</loc><lastmod>2026-09-01</lastmod></url>" for u in urls)
    return (f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"{body}</urlset>").encode()


def city_page(c: SimCity, page: str | None) -> bytes:
    title = f"City of {c.name}, {c.state_abbr} (sample)" if page is None else f"{PAGES[page]} | {c.name}"
    nav = "".join(f'<li><a href="/{p}">{t}</a></li>' for p, t in PAGES.items() if not p.startswith("private"))
    portal = (f'<li><a href="https://{c.portal_host}/">Open Data Portal</a></li>' if c.portal_host else "")
    main = (f"<h1>{title}</h1><p>Welcome to {c.name}, home to {c.population:,} residents. "
            "This is a synthetic sample city served by the cdpi simulated web.</p>")
    if page == "performance":
        main += "<p>Our quarterly performance report tracks service targets for every department.</p>"
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title></head>"
            f"<body><nav><ul>{nav}{portal}</ul></nav><main>{main}</main>"
            f"<footer>&copy; {c.name} sample city</footer></body></html>").encode()


def not_found() -> bytes:
    return b"<!doctype html><html><head><title>Page not found</title></head><body>404</body></html>"


# ------------------------------------------------------------------------------------------ portals
def _dataset(host: str, i: int) -> dict:
    rng = random.Random(f"{host}#{i}")
    topic = rng.choice(_TOPICS)
    dept = rng.choice(_DEPARTMENTS)
    age = int(rng.lognormvariate(4.0, 1.5))
    updated = EPOCH - timedelta(days=age)
    return {"id": f"{rng.randrange(36**4):04x}-{rng.randrange(36**4):04x}", "index": i,
            "title": f"{topic} {2015 + i % 11}" if i % 5 else f"{dept} {topic}",
            "description": f"{topic} published by {dept}." if rng.random() < 0.7 else "",
            "license": rng.choice(_LICENSES) if rng.random() < 0.6 else None, "department": dept,
            "updated": updated, "created": updated - timedelta(days=rng.randrange(30, 900)),
            "type": rng.choices(["dataset", "map", "file", "href"], [70, 15, 10, 5])[0],
            "tags": rng.sample(["public safety", "finance", "transparency", "311", "gis", "budget"], 2),
            "formats": rng.sample(["CSV", "JSON", "XLSX", "PDF", "GeoJSON"], rng.randrange(1, 4))}


def _iso(d: datetime) -> str:
    return d.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _page_args(query: str, limit_key: str, offset_key: str, default: int, cap: int) -> tuple[int, int, dict]:
    q = parse_qs(query)
    try:
        limit = min(cap, max(0, int(q.get(limit_key, [default])[0])))
        offset = max(0, int(q.get(offset_key, [0])[0]))
    except ValueError:
        limit, offset = -1, 0
    return limit, offset, q


def socrata_catalog(c: SimCity, query: str, empty: bool) -> Response:
    limit, offset, q = _page_args(query, "limit", "offset", 100, 10_000)
    if limit < 0:
        return 400, "application/json", b'{"error": "invalid limit"}', {}
    total = 0 if empty else c.n_datasets
    if "scroll_id" in q:
        after = q["scroll_id"][0]
        ids = [(_dataset(c.portal_host, i)["id"], i) for i in range(total)]
        ids.sort()
        indices = [i for d, i in ids if d > after][:limit]
    else:
        indices = list(range(offset, min(total, offset + limit)))
    results = []
    for i in indices:
        d = _dataset(c.portal_host, i)
        results.append({
            "resource": {"name": d["title"], "id": d["id"], "parent_fxf": [], "description": d["description"],
                         "attribution": d["department"], "attribution_link": None, "contact_email": None,
                         "type": {"dataset": "dataset", "map": "map", "file": "file", "href": "href"}[d["type"]],
                         "updatedAt": _iso(d["updated"]), "createdAt": _iso(d["created"]),
                         "metadata_updated_at": _iso(d["updated"]), "data_updated_at": _iso(d["updated"]),
                         "page_views": {"page_views_total": i * 7}, "download_count": i * 3,
                         "columns_name": ["id", "date"], "columns_field_name": ["id", "date"],
                         "columns_datatype": ["Number", "Calendar date"],
                         "columns_description": ["Row id", ""] if i % 2 else ["", ""],
                         "columns_format": [{}, {}], "provenance": "official"},
            "classification": {"categories": [], "tags": [], "domain_category": d["department"],
                               "domain_tags": d["tags"], "domain_metadata": []},
            "metadata": {"domain": c.portal_host, "license": d["license"]},
            "permalink": f"https://{c.portal_host}/d/{d['id']}",
            "link": f"https://{c.portal_host}/{d['department'].replace(' ', '-')}/{d['id']}",
            "owner": {"id": "abcd-1234", "user_type": "interactive", "display_name": d["department"]}})
    return 200, "application/json", json.dumps(
        {"results": results, "resultSetSize": total, "timings": {"serviceMillis": 5, "searchMillis": [1, 1]}}
    ).encode(), {}


def ckan_package_search(c: SimCity, query: str, empty: bool) -> Response:
    rows, start, _ = _page_args(query, "rows", "start", 10, 1000)
    total = 0 if empty else c.n_datasets
    results = []
    for i in range(start, min(total, start + max(rows, 0))):
        d = _dataset(c.portal_host, i)
        results.append({"id": d["id"], "name": f"dataset-{i}", "title": d["title"], "notes": d["description"],
                        "license_id": (d["license"] or "notspecified").lower().replace(" ", "-"),
                        "license_title": d["license"] or "License not specified",
                        "metadata_created": d["created"].strftime("%Y-%m-%dT%H:%M:%S.%f"),
                        "metadata_modified": d["updated"].strftime("%Y-%m-%dT%H:%M:%S.%f"),
                        "organization": {"name": d["department"].lower().replace(" ", "-"),
                                         "title": d["department"]},
                        "tags": [{"name": t} for t in d["tags"]], "num_resources": len(d["formats"]),
                        "resources": [{"format": f, "url": f"https://{c.portal_host}/dl/{i}.{f.lower()}"}
                                      for f in d["formats"]], "type": "dataset", "state": "active"})
    doc = {"help": f"https://{c.portal_host}/api/3/action/help_show?name=package_search", "success": True,
           "result": {"count": total, "results": results, "sort": "score desc, metadata_modified desc",
                      "facets": {}, "search_facets": {}}}
    return 200, "application/json", json.dumps(doc).encode(), {}


def ckan_status(c: SimCity) -> Response:
    doc = {"help": "", "success": True, "result": {"ckan_version": "2.10.4", "site_url": f"https://{c.portal_host}",
                                                    "site_title": f"{c.name} Open Data", "extensions": ["datastore"]}}
    return 200, "application/json", json.dumps(doc).encode(), {}


def dcat_catalog(c: SimCity, empty: bool) -> Response:
    datasets = []
    for i in range(0 if empty else c.n_datasets):
        d = _dataset(c.portal_host, i)
        datasets.append({"@type": "dcat:Dataset", "title": d["title"], "description": d["description"],
                         "keyword": d["tags"], "modified": d["updated"].date().isoformat(),
                         "publisher": {"@type": "org:Organization", "name": d["department"]},
                         "contactPoint": {"@type": "vcard:Contact", "fn": d["department"],
                                          "hasEmail": "mailto:opendata@example.invalid"},
                         "identifier": f"https://{c.portal_host}/datasets/{d['id']}", "accessLevel": "public",
                         "license": d["license"] or "",
                         "distribution": [{"@type": "dcat:Distribution", "format": f,
                                           "mediaType": {"CSV": "text/csv", "JSON": "application/json"}.get(
                                               f, "application/octet-stream"),
                                           "downloadURL": f"https://{c.portal_host}/dl/{i}.{f.lower()}"}
                                          for f in d["formats"]], "theme": [d["department"]]})
    doc = {"@context": "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld", "@id": f"https://{c.portal_host}/data.json",
           "@type": "dcat:Catalog", "conformsTo": "https://project-open-data.cio.gov/v1.1/schema",
           "describedBy": "https://project-open-data.cio.gov/v1.1/schema/catalog.json", "dataset": datasets}
    return 200, "application/json", json.dumps(doc).encode(), {}


def ods_catalog(c: SimCity, query: str, empty: bool) -> Response:
    limit, offset, _ = _page_args(query, "limit", "offset", 10, 100)
    total = 0 if empty else c.n_datasets
    results = []
    for i in range(offset, min(total, offset + max(limit, 0))):
        d = _dataset(c.portal_host, i)
        results.append({"dataset_id": f"dataset-{i}", "dataset_uid": f"da_{d['id']}", "has_records": True,
                        "features": ["analyze", "timeserie"], "visibility": "domain",
                        "metas": {"default": {"title": d["title"], "description": d["description"] or None,
                                              "license": d["license"], "modified": _iso(d["updated"]),
                                              "publisher": d["department"], "theme": [d["department"]],
                                              "keyword": d["tags"], "records_count": i * 11}},
                        "fields": [{"name": "id", "label": "Id", "type": "int", "description": None}]})
    links = [{"rel": "self", "href": f"https://{c.portal_host}/api/explore/v2.1/catalog/datasets?offset={offset}"}]
    return 200, "application/json; charset=utf-8", json.dumps(
        {"total_count": total, "links": links, "results": results}).encode(), {}
