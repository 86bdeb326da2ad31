"""Which content answers which (host, path): the virtual hosts of the simulated web.

Hosts served: ``www2.census.gov`` (SUB-EST CSV), ``query.wikidata.org`` (SPARQL JSON),
``raw.githubusercontent.com`` (UScityURL's CSV and the portal registry's Parquet at their pinned commits),
``api.us.socrata.com`` (Discovery API: catalogs and the domain list), ``www.arcgis.com`` (ArcGIS Online
item search), the certification page and the partner-cohort announcements, every city website and its
alias, every portal host (cities' own and the county, state, regional and unrelated ones around them), and
the off-site document hosts of the city websites:
``<slug>.legistar.example`` per city and ``library.municode.example/<slug>/...`` shared. Any other host
gets a 404 page, as a parked or unknown name would.
"""

from __future__ import annotations

import html
import threading
from collections import OrderedDict
from collections.abc import Callable
from urllib.parse import parse_qs

from tests.simweb.formats import (
    arcgis,
    census,
    certification,
    ckan,
    dataportals,
    dcat,
    evidence,
    opendatasoft,
    partners,
    site,
    socrata,
    uscityurl,
    wikidata,
)
from tests.simweb.formats.common import HTML, Response, query_args
from tests.simweb.population import SAMPLE_LABEL, Population, PortalSite

ROBOTS_ALLOW = Response(200, "text/plain; charset=utf-8", b"User-agent: *\nDisallow:\n")
_CACHE_BYTES = 96 * 1024 * 1024   # built documents kept; a mega catalog's data.json is tens of MB


class Router:
    """Pure content routing; thread-safe caches for the documents that are costly to build."""

    def __init__(self, population: Population, *, slow_seconds: float = 2.0):
        self.population = population
        self.slow_seconds = slow_seconds
        self.hosts = population.by_host()
        self.aliases = population.aliases()
        self.portals = population.portals()
        with_site = [c for c in population.cities if c.website_host]
        self.legistar = {evidence.legistar_host(c): c for c in with_site}
        self.municode = {}
        for c in with_site:
            self.municode.setdefault(c.slug, c)
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple, Response] = OrderedDict()

    def route(self, host: str, path: str, query: str, *, empty: bool = False, form: bytes = b"") -> Response:
        """The normal answer for one request; ``empty`` makes portal APIs report zero datasets."""
        if host.endswith(".invalid"):   # reaching us at all means the client skipped real DNS
            return Response(421, "text/plain", b"Misdirected Request: .invalid names never resolve\n")
        if host == census.HOST:
            return self._census(path)
        if host == wikidata.HOST:
            return self._wikidata(path, query, form)
        if host == uscityurl.HOST:
            return self._github_raw(path)
        if host == socrata.API_HOST:
            return self._socrata_api(path, query, empty)
        if host == arcgis.HOST:
            return self._arcgis(path, query)
        if host == certification.HOST:
            if path == "/robots.txt":
                return ROBOTS_ALLOW
            if path == certification.PATH:
                return self._cached(("certification",), lambda: certification.page(self.population))
            return site.not_found(host, path)
        if (answer := partners.route(self.population, host, path)) is not None:
            return answer
        if host in self.aliases:
            main = self.aliases[host]
            target = f"https://{main.website_host}{path}" + (f"?{query}" if query else "")
            return Response(301, HTML, b"", {"Location": target})
        if host in self.portals:
            return self._portal(self.portals[host], path, query, empty)
        if host == evidence.MUNICODE_HOST or host in self.legistar:
            return self._doc_host(host, path, query)
        city = self.hosts.get(host)
        if city is None or host != city.website_host:
            return site.not_found(host, path)
        plan = evidence.site_plan(city)
        if path == "/robots.txt":
            return site.robots(city)
        if path == "/sitemap.xml":
            return site.sitemap(city, (p for p in plan.sitemap_paths() if p.strip("/") not in site.PAGES))
        key = path.strip("/")
        if key == "" or key in site.PAGES:
            return site.page(city, key, plan.links_from((host, "/" + key if key else "/")))
        target = f"{path}?{query}" if query else path
        return (plan.serve(host, target, self.slow_seconds) or (plan.serve(host, path, self.slow_seconds) if query
                                                                  else None) or site.not_found(host, path))

    def _doc_host(self, host: str, path: str, query: str) -> Response:
        """A city's Legistar site, or its part of the shared Municode library."""
        if path == "/robots.txt":
            return ROBOTS_ALLOW
        if host == evidence.MUNICODE_HOST:
            city = self.municode.get(path.strip("/").split("/")[0])
        else:
            city = self.legistar[host]
        if city is None:
            return site.not_found(host, path)
        target = f"{path}?{query}" if query else path
        return evidence.site_plan(city).serve(host, target, self.slow_seconds) or site.not_found(host, path)

    # ------------------------------------------------------------------------------------ sources
    def _census(self, path: str) -> Response:
        if path == census.PATH:
            return self._cached(("census",), lambda: Response(200, "text/csv", census.census_csv(self.population)))
        return ROBOTS_ALLOW if path == "/robots.txt" else site.not_found(census.HOST, path)

    def _github_raw(self, path: str) -> Response:
        """raw.githubusercontent.com: the two pinned files runs read (UScityURL, the portal registry)."""
        if path == uscityurl.PATH:
            return self._cached(("uscityurl",), lambda: uscityurl.uscityurl_csv(self.population))
        if path == dataportals.PATH:
            return self._cached(("dataportals",), lambda: dataportals.registry_parquet(self.population))
        return ROBOTS_ALLOW if path == "/robots.txt" else site.not_found(uscityurl.HOST, path)

    def _wikidata(self, path: str, query: str, form: bytes) -> Response:
        if path == "/robots.txt":
            return ROBOTS_ALLOW
        if path != wikidata.PATH:
            return site.not_found(wikidata.HOST, path)
        text = query_args(query).get("query")
        if text is None and form:
            text = (parse_qs(form.decode("utf-8", "replace")).get("query") or [None])[0]
        if not (text or "").strip():
            return wikidata.bad_request("missing or empty query parameter")
        return self._cached(("sparql",), lambda: wikidata.sparql_json(self.population))

    def _socrata_api(self, path: str, query: str, empty: bool) -> Response:
        if path == "/robots.txt":
            return ROBOTS_ALLOW
        if path == socrata.DOMAINS_PATH:
            listed = sorted((p for p in self.portals.values() if p.platform == "socrata"), key=lambda p: p.host)
            return socrata.domains([(p.host, 0 if empty else p.n_datasets) for p in listed], query)
        if path != socrata.PATH:
            return site.not_found(socrata.API_HOST, path)
        domain = query_args(query).get("domains", "").split(",")[0].strip().lower()
        portal = self.portals.get(domain)
        if portal is None or portal.platform != "socrata":
            return socrata.catalog(None, 0, query)
        return socrata.catalog(domain, 0 if empty else portal.n_datasets, query)

    def _arcgis(self, path: str, query: str) -> Response:
        if path == "/robots.txt":
            return ROBOTS_ALLOW
        if path != arcgis.SEARCH_PATH:
            return site.not_found(arcgis.HOST, path)
        items = self._cached(("arcgis-items",), lambda: arcgis.items_response(self.population))
        return arcgis.search(arcgis.items_of(items), query)

    # ------------------------------------------------------------------------------------ portals
    def _portal(self, portal: PortalSite, path: str, query: str, empty: bool) -> Response:
        host, p = portal.host, portal.platform
        total = 0 if empty else portal.n_datasets
        if path == "/robots.txt":
            return ROBOTS_ALLOW
        if path == "/":
            return _portal_home(portal)
        if p == "socrata" and path == socrata.PATH:
            domain = query_args(query).get("domains", host).split(",")[0].strip().lower()
            return socrata.catalog(host if domain == host else None, total, query)
        if p == "ckan" and path == ckan.SEARCH_PATH:
            return ckan.package_search(host, total, query)
        if p == "ckan" and path == ckan.STATUS_PATH:
            return ckan.status_show(host, portal.title)
        if p == "opendatasoft" and path == opendatasoft.PATH:
            return opendatasoft.catalog(host, total, query)
        if (p == "dcat" and path == dcat.DATA_JSON) or (p == "arcgis_hub" and path in (dcat.DATA_JSON, dcat.HUB_FEED)):
            hub = p == "arcgis_hub"
            return self._cached(("dcat", host, total, hub),
                                lambda: dcat.catalog(host, total, hub=hub, publisher=portal.publisher))
        if path.startswith("/api/"):
            return Response(404, "application/json", b'{"error": {"code": 404, "message": "Not found"}}')
        return site.not_found(host, path)

    def _cached(self, key: tuple, make: Callable[[], Response]) -> Response:
        """LRU within a byte budget; built outside the lock so a mega catalog stalls no other request."""
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        value = make()
        with self._lock:
            self._cache[key] = value
            while len(self._cache) > 1 and sum(len(r.body) for r in self._cache.values()) > _CACHE_BYTES:
                self._cache.popitem(last=False)
        return value


def _portal_home(portal: PortalSite) -> Response:
    generator = {"socrata": "Socrata", "ckan": "ckan 2.10.4", "arcgis_hub": "ArcGIS Hub",
                 "opendatasoft": "Opendatasoft", "dcat": "Open Data Catalog"}[portal.platform]
    title = html.escape(portal.title)
    home = f"<p><a href='{html.escape(portal.home)}'>{html.escape(portal.publisher)}</a></p>" if portal.home else ""
    body = (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><meta name='generator' content='{generator}'>"
            f"<title>{title}</title></head><body><h1>{title}</h1>"
            f"<p>{portal.n_datasets:,} datasets published by {html.escape(portal.publisher)}.</p>{home}"
            f"<p class='notice'>{SAMPLE_LABEL}</p></body></html>")
    return Response(200, HTML, body.encode())
