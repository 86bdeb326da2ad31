"""The Common Data Index registry of data portals (commondataio/dataportals-registry) as a discovery route.

The registry publishes every catalog it knows as one Parquet file (``data/datasets/full.parquet``; data
licensed CC BY 4.0). It is fetched live from the repository at a pinned commit, through the project's
``Fetcher`` (so it is archived and replayable like any other input), and read with DuckDB.

Only U.S. entries whose owner is a local or regional government are kept. The registry is machine-built:
owners and states are sometimes wrong, counties and regional bodies sit beside cities, and many
``arcgisserver`` rows are GIS servers (ArcGIS REST service directories), not data portals. So a registry
entry is a *lead*, never a credit: ``credit_registry_leads`` credits a lead to a city only by the
project's scope rules (scope.py / scope.yaml): the owner's or the portal's name names the city at city
level in the city's own state, or the portal's host shares the city website's registrable domain while no
name on the entry states a county, state, regional or federal body. GIS servers are never credited.
Every lead carries the registry ``uid``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import duckdb
import pandas as pd

from sources.geo import state_by_usps
from sources.http.fetcher import Fetcher
from sources.http.urls import pinned_github_file
from sources.portals.registries import RegistryRead, city_site_domain
from sources.portals.scope import CityContext, normalize, portal_scope

#: The registry's public repository, the commit pinned (release v1.15.0 of 2026-08-22, whose
#: full.parquet has git blob ab8d4954...), and the file's path in it. A run setting may override each.
REGISTRY_REPO = "commondataio/dataportals-registry"
REGISTRY_COMMIT = "08638eaf604fd1ab31bd4e5de00492dd26fe9eac"
REGISTRY_PATH = "data/datasets/full.parquet"
#: The file is ~4 MB today; room to grow without accepting anything unbounded.
REGISTRY_MAX_BYTES = 128 * 1024 * 1024
REGISTRY_NAME = "dataportals_registry"
ATTRIBUTION = ("Common Data Index registry of data portals (commondataio/dataportals-registry), "
               "data licensed CC BY 4.0")

#: Owner types kept (the registry's vocabulary). "Regional government" there mostly means state-level
#: bodies; they are kept as leads and then refused by the scope rules unless a name says city.
OWNER_TYPES = ("Local government", "Regional government")

#: Registry software id -> the project's platform names (parsers.PARSERS / discovery.page_url).
SOFTWARE_PLATFORM = {
    "socrata": "socrata",
    "ckan": "ckan",
    "opendatasoft": "opendatasoft",
    "arcgishub": "arcgis_hub",
    "dkan": "dcat",     # DKAN and JKAN publish a DCAT-US data.json
    "jkan": "dcat",
}
#: Software whose entries are map/GIS service servers, not data portals: never credited.
GIS_SERVER_SOFTWARE = frozenset({"arcgisserver", "mapserver", "geoserver", "geocortex", "maptilerserver",
                                 "mangomap", "mapstore"})
#: A link that is an ArcGIS (or any) REST service directory is a GIS server whatever the software says.
_GIS_LINK = re.compile(r"/(arcgis/)?rest/services\b|/arcgis/services\b", re.I)

#: Registry endpoint types that are machine catalogs (kept on the lead), in order of preference.
CATALOG_ENDPOINT_TYPES = (
    "dcatus11", "socrata:search", "socrata:views", "socrata:catalog", "ckan:package-search", "ckan",
    "ckan:package-list", "opendatasoftapi", "opendatasoft", "dcatap201", "dcat:jsonld", "dcat:xml",
    "dcat:ttl", "dcat:n3", "ogcrecordsapi", "arcgishub", "csw202", "csw300", "oaipmh20", "customapi",
)
#: The endpoint whose answer the project's parser for each platform reads best.
_PLATFORM_ENDPOINT = {"dcat": ("dcatus11",), "arcgis_hub": ("dcatus11",),
                      "socrata": ("socrata:search", "socrata:views", "dcatus11"),
                      "ckan": ("ckan:package-search", "ckan"), "opendatasoft": ("opendatasoft", "opendatasoftapi")}
#: Registrable domains that host many unrelated sites: sharing one says nothing about who runs a portal.
SHARED_HOSTING_DOMAINS = frozenset({
    "arcgis.com", "socrata.com", "opendatasoft.com", "mangomap.com", "geocortex.com", "github.io",
    "google.com", "wixsite.com", "squarespace.com", "civicplus.com", "amazonaws.com", "azurewebsites.net",
})

LEAD_COLUMNS = ["uid", "registry_id", "name", "link", "host", "owner_name", "owner_type", "owner_state",
                "state_abbr", "software_id", "platform", "status", "catalog_type", "gis_server", "endpoints",
                "catalog_url"]
CREDIT_COLUMNS = ["geoid", "uid", "portal_url", "platform", "endpoints", "reason"]
DECISION_COLUMNS = ["geoid", "uid", "registry_id", "name", "host", "portal_url", "platform", "endpoints", "owner_name", "owner_state",
                    "level", "route", "credited", "reason"]

_SQL = """
SELECT uid, id AS registry_id, name, link,
       owner.name AS owner_name, owner.type AS owner_type,
       owner.location.subregion.id AS owner_state,
       software.id AS software_id, status, catalog_type,
       [{'type': e.type, 'url': e.url} FOR e IN coalesce(endpoints, []) IF e.url IS NOT NULL] AS endpoints
FROM read_parquet(?)
WHERE json_extract_string(owner.location.country.id, '$') = 'US'
  AND owner.type IN ('Local government', 'Regional government')
ORDER BY uid, id
"""


class RegistryFormatError(ValueError):
    """The bytes are not the registry's Parquet (or its schema lost a column this reader needs)."""


def registry_url(repo: str = REGISTRY_REPO, commit: str = REGISTRY_COMMIT, path: str = REGISTRY_PATH) -> str:
    """The raw file at one commit (a hex SHA) of the repository: immutable, so a replay answers exactly
    the same URL (see ``pinned_github_file``)."""
    return pinned_github_file(repo, commit, path, "registry of data portals")


REGISTRY_URL = registry_url()


def fetch_registry(fetcher: Fetcher, url: str = REGISTRY_URL) -> RegistryRead:
    """Fetch and read the registry. Never raises: a failed fetch or unreadable file is a recorded outcome.

    ``entries`` are the leads (``registry_leads`` rows as dicts); ``detail`` says what was read (bytes,
    sha256, lead count) or why nothing was.
    """
    read = RegistryRead(REGISTRY_NAME, requests=1)
    res = fetcher.get(url, max_bytes=REGISTRY_MAX_BYTES)
    if not res.ok:
        read.outcome = "unreachable" if not res.outcome.reachable else "http_error"
        read.detail = f"{res.outcome.value} {res.status or ''}: {res.error or ''}".strip()
        return read
    try:
        leads = registry_leads(res.body)
    except RegistryFormatError as exc:
        read.outcome, read.detail = "malformed", str(exc)
        return read
    read.entries = leads.to_dict("records")
    read.detail = (f"{len(res.body)} bytes, sha256 {hashlib.sha256(res.body).hexdigest()}, "
                   f"{len(leads)} U.S. local/regional entries")
    return read


def registry_leads(parquet_bytes: bytes) -> pd.DataFrame:
    """U.S. local and regional government entries of the registry, one row per entry (``LEAD_COLUMNS``).

    ``endpoints`` is a JSON list of ``{"type", "url"}`` machine catalogs the entry lists (DCAT-US
    data.json, DCAT feeds, Socrata, CKAN package_search, OpenDataSoft API, OGC records...);
    ``catalog_url`` the one the project's parser for ``platform`` reads. ``gis_server`` marks entries
    that are GIS service servers (never credited). Raises RegistryFormatError on bytes that are not
    the registry's Parquet.
    """
    if not parquet_bytes[:4] == b"PAR1":
        raise RegistryFormatError("registry file is not Parquet (no PAR1 magic)")
    fd, path = tempfile.mkstemp(suffix=".parquet", prefix="dataportals-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(parquet_bytes)
        con = duckdb.connect()
        try:
            raw = con.execute(_SQL, [path]).fetchdf()
        except duckdb.Error as exc:
            raise RegistryFormatError(f"registry Parquet unreadable: {type(exc).__name__}: {exc}") from exc
        finally:
            con.close()
    finally:
        os.unlink(path)
    return _leads_frame(raw)


def _leads_frame(raw: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for rec in raw.to_dict("records"):
        link = str(rec.get("link") or "").strip()
        software = str(rec.get("software_id") or "").strip().lower() or None
        endpoints = [{"type": str(e["type"]), "url": str(e["url"])} for e in _seq(rec.get("endpoints"))
                     if e and e.get("type") in CATALOG_ENDPOINT_TYPES and e.get("url")]
        endpoints.sort(key=lambda e: CATALOG_ENDPOINT_TYPES.index(e["type"]))
        platform = _platform(software, endpoints)
        state = str(rec.get("owner_state") or "")
        rows.append({
            "uid": rec.get("uid") or rec.get("registry_id"),
            "registry_id": rec.get("registry_id"),
            "name": rec.get("name"),
            "link": link,
            "host": _host(link),
            "owner_name": rec.get("owner_name"),
            "owner_type": rec.get("owner_type"),
            "owner_state": state or None,
            "state_abbr": state[3:].upper() if state.upper().startswith("US-") and len(state) == 5 else None,
            "software_id": software,
            "platform": platform,
            "status": rec.get("status"),
            "catalog_type": rec.get("catalog_type"),
            "gis_server": is_gis_server(software, link),
            "endpoints": json.dumps(endpoints),
            "catalog_url": _catalog_url(platform, endpoints),
        })
    return pd.DataFrame(rows, columns=LEAD_COLUMNS)


def is_gis_server(software_id: str | None, link: str | None) -> bool:
    """ArcGIS Server / map servers, and any link that is a REST service directory, are not portals."""
    return (software_id or "").lower() in GIS_SERVER_SOFTWARE or bool(_GIS_LINK.search(link or ""))


def _platform(software: str | None, endpoints: list[dict]) -> str | None:
    if software in SOFTWARE_PLATFORM:
        return SOFTWARE_PLATFORM[software]
    if software in GIS_SERVER_SOFTWARE:
        return None
    if any(e["type"] == "dcatus11" for e in endpoints):
        return "dcat"   # a custom site that publishes a DCAT-US data.json is read as one
    return None


def _catalog_url(platform: str | None, endpoints: list[dict]) -> str | None:
    for wanted in _PLATFORM_ENDPOINT.get(platform or "", ()):
        for e in endpoints:
            if e["type"] == wanted:
                return e["url"]
    return None


def dcat_endpoint(endpoints: object) -> str | None:
    """The DCAT-US 1.1 document (``dcatus11``) among an entry's ``endpoints`` (the JSON list of a lead), or
    None: what discovery reads when the platform's own API gives no catalog."""
    try:
        listed = json.loads(endpoints) if isinstance(endpoints, str) else []
    except ValueError:
        return None
    return next((e.get("url") for e in listed if isinstance(e, dict) and e.get("type") == "dcatus11"), None)


def _seq(value) -> list:
    if value is None:
        return []
    try:
        return list(value)
    except TypeError:
        return []


def _host(link: str) -> str | None:
    try:
        host = urlsplit(link if "//" in link else f"https://{link}").hostname
    except ValueError:
        return None
    return host.lower().rstrip(".") if host else None


# ------------------------------------------------------------------------------------------------ crediting

@dataclass(frozen=True)
class _City:
    geoid: str
    name: str
    state_abbr: str
    state_name: str | None
    host: str | None        # the website's host
    domain: str | None      # its city_site_domain
    pattern: re.Pattern
    key: str                # normalized name


def credit_registry_leads(leads: pd.DataFrame | Iterable[dict], cities: pd.DataFrame) -> pd.DataFrame:
    """Registry leads credited to cities by the scope rules: ``geoid, uid, portal_url, platform, endpoints, reason``.

    ``cities`` needs ``geoid, name, state_abbr, website_url`` (``state_name`` optional). See
    ``registry_decisions`` for every candidate pair considered, refused ones included.
    """
    decisions = registry_decisions(leads, cities)
    credited = decisions[decisions["credited"]]
    return credited[CREDIT_COLUMNS].reset_index(drop=True)


def registry_decisions(leads: pd.DataFrame | Iterable[dict], cities: pd.DataFrame) -> pd.DataFrame:
    """Every (city, lead) pair the registry suggests, with the scope level, the route and the decision.

    A pair is considered when a name on the entry (owner or portal) spells the city's name and the
    entry's state is the city's, or when the entry's host shares the city website's registrable domain.
    It is credited when:
    - route ``name``: the names, read by the scope rules for that city, say city level (``City of X``,
      ``X Open Data``...) and the entry's state is the city's; or
    - route ``name+domain``: a name says city level but the entry's state is wrong, or another name
      states another level ("Lexington-Fayette Urban County Government" / "Lexington Open Data"), and
      the host is on the city website's domain, which settles it;
    - route ``domain``: the host shares the city website's domain (``city_site_domain``; not a shared-hosting
      domain, not shared by two cities' websites) and no name states another level.
    Never credited: GIS servers, inactive entries, pages of the city's own website host without a
    catalog endpoint, and any entry a name places at county, state, regional, federal or another city's
    level (unless another name on it says city and its host is on the city website's domain).
    """
    frame = leads if isinstance(leads, pd.DataFrame) else pd.DataFrame(list(leads), columns=LEAD_COLUMNS)
    city_list = _cities(cities)
    by_state: dict[str, list[_City]] = {}
    for c in city_list:
        by_state.setdefault(c.state_abbr, []).append(c)
    domain_count: dict[str, int] = {}
    for c in city_list:
        if c.domain:
            domain_count[c.domain] = domain_count.get(c.domain, 0) + 1
    by_domain = {c.domain: c for c in city_list
                 if c.domain and domain_count[c.domain] == 1 and c.domain not in SHARED_HOSTING_DOMAINS}

    out = []
    for lead in frame.to_dict("records"):
        names = [n for n in (lead.get("owner_name"), lead.get("name")) if isinstance(n, str) and n.strip()]
        text = " ".join(normalize(n) for n in names)
        state = lead.get("state_abbr") or None
        host = lead.get("host") or _host(str(lead.get("link") or ""))
        domain = city_site_domain(host)
        named = [c for c in by_state.get(state or "", []) if c.pattern.search(text)]
        # "City of North Miami Beach" also spells "North Miami": the longer name that matches wins.
        candidates = {c.geoid: c for c in named
                      if not any(o is not c and o.key != c.key and c.pattern.search(o.key) for o in named)}
        if domain and domain in by_domain:
            candidates.setdefault(by_domain[domain].geoid, by_domain[domain])
        for city in candidates.values():
            out.append(_decide(lead, city, state, host, domain))
    return pd.DataFrame(out, columns=DECISION_COLUMNS)


def _decide(lead: dict, city: _City, state: str | None, host: str | None, domain: str | None) -> dict:
    ctx = CityContext(city.name, city.state_name, city.state_abbr)
    owner, portal_name = lead.get("owner_name"), lead.get("name")
    # Each name is read on its own: the owner and the portal's name can disagree in a machine-built entry.
    scopes = [(label, portal_scope(ctx, title=n)) for label, n in (("owner", owner), ("portal name", portal_name))
              if isinstance(n, str) and n.strip()]
    said_city = next((f"{label} {s.reason}" for label, s in scopes if s.level == "city"), None)
    other = next(((label, s) for label, s in scopes if s.level not in ("city", "unknown")), None)
    same_domain = bool(domain) and domain == city.domain
    same_state = state == city.state_abbr
    # the level recorded: city when credited, else the other level a name states, else what names said
    level = other[1].level if other else ("city" if said_city else "unknown")
    row = {"geoid": city.geoid, "uid": lead.get("uid"), "registry_id": lead.get("registry_id"),
           "name": portal_name, "host": host, "portal_url": lead.get("link"),
           "platform": lead.get("platform"), "endpoints": lead.get("endpoints"), "owner_name": owner,
           "owner_state": lead.get("owner_state"), "level": level, "route": None, "credited": False}
    who = f'owner "{owner}" ({lead.get("owner_state")}), portal "{portal_name}", host {host}'
    uid = lead.get("uid")
    if lead.get("gis_server"):
        row["reason"] = f"GIS server, not a data portal (software {lead.get('software_id')}, link {lead.get('link')})"
    elif str(lead.get("status") or "active") != "active":
        row["reason"] = f"registry status {lead.get('status')}: {who}"
    elif host and city.host and _bare(host) == _bare(city.host) and lead.get("catalog_url") is None:
        row["reason"] = f"a page of the city's own website, not a portal host: {who}"
    elif said_city and not other and same_state:
        row.update(route="name", credited=True, reason=f"registry {uid}: {said_city}, state {state}; {who}")
    elif said_city and same_domain:
        row.update(route="name+domain", credited=True,
                   reason=(f"registry {uid}: {said_city} (the {other[0]} says {other[1].level}: the host "
                           f"{host} on the city website's domain {domain} settles it); {who}"
                           if other else f"registry {uid}: {said_city}, host {host} on the city website's "
                           f"domain {domain} (registry state {state}); {who}"))
    elif other:
        row["reason"] = f"{other[1].level} body, not the city: {other[0]} {other[1].reason}; {who}"
    elif same_domain:
        row.update(route="domain", credited=True,
                   reason=(f"registry {uid}: host {host} shares the city website's domain {domain} "
                           f"and no name states another level; {who}"))
    elif said_city:
        row["reason"] = f"names the city but the registry places it in {state}, not {city.state_abbr}: {who}"
    else:
        row["reason"] = f"no name or domain ties it to the city: {who}"
    if row["credited"]:
        row["level"] = "city"
    return row


def _bare(host: str) -> str:
    return host[4:] if host.startswith("www.") else host


def _cities(cities: pd.DataFrame) -> list[_City]:
    out = []
    for rec in cities.to_dict("records"):
        name, st = rec.get("name"), rec.get("state_abbr")
        if not isinstance(name, str) or not name.strip() or not isinstance(st, str):
            continue
        state_name = rec.get("state_name") if isinstance(rec.get("state_name"), str) else None
        if state_name is None:
            state_name = getattr(state_by_usps(st.upper(), include_territories=True), "name", None)
        website = rec.get("website_url") if isinstance(rec.get("website_url"), str) else None
        site_host = _host(website.strip()) if website and website.strip() else None
        domain = city_site_domain(site_host)
        variants = {normalize(name)}
        head = re.split(r"[-–/]", name)[0].strip()
        if head != name and len(head) >= 4:
            variants.add(normalize(head))
        pattern = re.compile(r"\b(?:" + "|".join(re.escape(v) for v in sorted(variants, key=len, reverse=True))
                             + r")\b")
        out.append(_City(str(rec["geoid"]), name, st.upper(), state_name, site_host, domain, pattern, normalize(name)))
    return out
