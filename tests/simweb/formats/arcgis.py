"""ArcGIS Online item search, ``www.arcgis.com/sharing/rest/search?f=json&q=...``.

Items carry the fields the real search returns (id, owner, title, type, typeKeywords, tags, snippet,
url, access, created/modified in epoch milliseconds ...). The query language is read as far as the
client uses it: ``type:"..."`` and ``title:"..."`` terms joined by AND (title is a phrase match,
case-insensitive). Paging is ``start`` (1-based) and ``num`` (max 100), with ``nextStart`` -1 on the
last page. Errors come inside a 200 response body, as ArcGIS does.
"""

from __future__ import annotations

import hashlib
import json
import re

from tests.simweb.formats.common import Response, int_arg, json_response, query_args
from tests.simweb.population import Population, PortalSite

HOST = "www.arcgis.com"
SEARCH_PATH = "/sharing/rest/search"
MAX_NUM = 100
HUB_SITE = "Hub Site Application"
_TERM = re.compile(r'(\w+):"([^"]*)"')


def items_response(pop: Population) -> Response:
    """Every item in the simulated ArcGIS Online, cached as one JSON document (see ``items_of``)."""
    items: list[dict] = []
    for p in sorted(pop.portals().values(), key=lambda x: x.host):
        if p.platform == "arcgis_hub":
            items.append(_hub_item(p, pop))
    for c in pop.cities:   # maps that are not Hub sites: the type filter must keep them out
        if c.website_host and int(c.geoid) % 4 == 0:
            items.append(_item(f"{c.geoid}-parcels", f"City of {c.name} Parcels", "Web Map",
                               f"{c.slug}_gis", ["parcels", c.state_name], f"Parcel map, {c.name}, {c.state_abbr}",
                               None))
    return Response(200, "application/json", json.dumps(items).encode())


def items_of(resp: Response) -> list[dict]:
    return json.loads(resp.body)


def search(items: list[dict], query: str) -> Response:
    args = query_args(query)
    q = args.get("q", "").strip()
    if not q:
        return _error(400, "'q' parameter is required.")
    num, start = int_arg(args, "num", 10), int_arg(args, "start", 1)
    if num is None or start is None or start < 1:
        return _error(400, "Invalid 'num' or 'start' parameter.")
    num = min(max(num, 0), MAX_NUM)
    terms = {k.lower(): v.lower() for k, v in _TERM.findall(q)}
    hits = [it for it in items
            if ("type" not in terms or it["type"].lower() == terms["type"])
            and ("title" not in terms or terms["title"] in it["title"].lower())]
    page = hits[start - 1: start - 1 + num]
    nxt = start + num if start - 1 + num < len(hits) else -1
    return json_response({"query": q, "total": len(hits), "start": start, "num": num, "nextStart": nxt,
                          "results": page})


def _hub_item(p: PortalSite, pop: Population) -> dict:
    if p.level == "city":
        city = pop.city(p.owner_geoid or "")
        variant = int(city.geoid) % 3
        title = [f"City of {city.name} Open Data", f"{city.name} Open Data Hub", f"{city.name} Data"][variant]
        tags = ["open data", "hub", city.state_name] if variant != 2 else ["open data", "hub"]
        snippet = f"Open data from the City of {city.name}, {city.state_abbr}" if variant == 0 else \
            "Explore and download city data."
        owner = f"{city.slug.replace('-', '_')}_admin"
    else:
        title, tags, snippet = p.title, ["open data", p.level], f"{p.publisher} open data and maps"
        owner = f"{p.host.split('.')[0].replace('-', '_')}_gis"
    return _item(p.host, title, HUB_SITE, owner, tags, snippet, f"https://{p.host}")


def _item(key: str, title: str, kind: str, owner: str, tags: list[str], snippet: str, url: str | None) -> dict:
    digest = hashlib.sha256(key.encode()).hexdigest()
    stamp = 1_600_000_000_000 + int(digest[:8], 16) % 150_000_000_000
    return {"id": digest[:32], "owner": owner, "orgId": digest[32:48], "created": stamp, "modified": stamp + 86_400_000,
            "guid": None, "name": None, "title": title, "type": kind,
            "typeKeywords": ["Hub", "hubSite", "Web Application"] if kind == HUB_SITE else ["ArcGIS Online", "Map"],
            "description": None, "tags": tags, "snippet": snippet, "thumbnail": None, "documentation": None,
            "extent": [], "categories": [], "spatialReference": None, "accessInformation": None,
            "licenseInfo": None, "culture": "en-us", "properties": None, "url": url, "proxyFilter": None,
            "access": "public", "size": -1, "appCategories": [], "industries": [], "languages": [],
            "largeThumbnail": None, "banner": None, "screenshots": [], "listed": False, "numComments": 0,
            "numRatings": 0, "avgRating": 0, "numViews": int(digest[48:52], 16), "scoreCompleteness": 50,
            "groupDesignations": None}


def _error(code: int, message: str) -> Response:
    return json_response({"error": {"code": code, "messageCode": "GWM_0001", "message": message, "details": []}})
