"""The registry of data portals' Parquet export for the synthetic population, served where the pinned
commit's raw file lives on the real web.

Columns and nesting follow the registry's published file (only those the project reads are filled):
``uid``, ``id``, ``name``, ``link``, ``owner`` {``name``, ``type``, ``link``, ``location`` {``country``
{``id`` as JSON, ``name``}, ``level``, ``subregion`` {``id`` "US-XX", ``name``}, ``macroregion``}},
``software`` {``id``, ``name``}, ``status``, ``catalog_type``, ``endpoints`` [{``type``, ``url``,
``version``, ``url_pattern``}]. Like the real registry it is machine-built and incomplete: about two in
three city portals are listed (chosen by a hash of the host, so populations stay identical), every county,
state and regional portal is (never to be credited to a city), and every fifth city has a GIS server entry
(``arcgisserver``, a REST services directory: not a portal).
"""

from __future__ import annotations

import hashlib
import os
import tempfile

import duckdb

from sources.portals.dataportals import REGISTRY_COMMIT, REGISTRY_PATH, REGISTRY_REPO
from tests.simweb.formats.common import Response
from tests.simweb.population import Population, PortalSite

HOST = "raw.githubusercontent.com"
PATH = f"/{REGISTRY_REPO}/{REGISTRY_COMMIT}/{REGISTRY_PATH}"

_SOFTWARE = {"socrata": ("socrata", "Socrata"), "ckan": ("ckan", "CKAN"), "arcgis_hub": ("arcgishub", "ArcGIS Hub"),
             "opendatasoft": ("opendatasoft", "OpenDataSoft"), "dcat": ("dkan", "DKAN")}
_OWNER_TYPE = {"city": "Local government", "county": "Local government", "state": "Regional government",
               "regional": "Regional government", "other": "Local government"}
_SCHEMA = """
CREATE TABLE registry (
    uid VARCHAR, id VARCHAR, name VARCHAR, link VARCHAR,
    owner STRUCT(link VARCHAR, location STRUCT(country STRUCT(id JSON, name VARCHAR), level BIGINT,
                 subregion STRUCT(id VARCHAR, name VARCHAR), macroregion STRUCT(id VARCHAR, name VARCHAR)),
                 name VARCHAR, type VARCHAR),
    software STRUCT(id VARCHAR, name VARCHAR), status VARCHAR, catalog_type VARCHAR,
    endpoints STRUCT(type VARCHAR, url VARCHAR, version VARCHAR, url_pattern VARCHAR)[]
)
"""


def listed(site: PortalSite) -> bool:
    """Whether the registry knows a city portal (county, state and regional ones are always listed)."""
    return site.level != "city" or int(hashlib.sha256(site.host.encode()).hexdigest()[:4], 16) % 3 != 0


def _endpoints(site: PortalSite) -> list[dict]:
    base = f"https://{site.host}"
    paths = {"socrata": [("socrata:views", "/api/views"), ("dcatus11", "/data.json")],
             "ckan": [("ckan:package-search", "/api/3/action/package_search"), ("ckan", "/api/3")],
             "arcgis_hub": [("dcatus11", "/api/feed/dcat-us/1.1.json")],
             "opendatasoft": [("opendatasoft", "/api/explore/v2.1/catalog/datasets")],
             "dcat": [("dcatus11", "/data.json")]}[site.platform]
    return [{"type": t, "url": base + p, "version": None, "url_pattern": None} for t, p in paths]


def _row(uid: str, name: str, link: str, owner: str, level: str, state: tuple[str, str] | None,
         software: tuple[str, str], endpoints: list[dict]) -> tuple:
    subregion = {"id": f"US-{state[0]}", "name": state[1]} if state else None
    location = {"country": {"id": '"US"', "name": "United States"}, "level": 3 if state else 2,
                "subregion": subregion, "macroregion": None}
    return (uid, uid.split("-", 1)[1], name, link,
            {"link": None, "location": location, "name": owner, "type": _OWNER_TYPE[level]},
            {"id": software[0], "name": software[1]}, "active", "Open data portal", endpoints)


def registry_parquet(pop: Population) -> Response:
    state_names = {c.state_abbr: c.state_name for c in pop.cities}
    rows = []
    for k, site in enumerate(sorted(pop.portals().values(), key=lambda p: p.host)):
        if not listed(site):
            continue
        state = (site.state_abbr, state_names.get(site.state_abbr, "")) if site.state_abbr else None
        rows.append(_row(f"cdi{k:05d}-{site.host}", site.title, f"https://{site.host}/", site.publisher,
                         site.level, state, _SOFTWARE[site.platform], _endpoints(site)))
    for k, c in enumerate(c for c in pop.cities if c.website_host):
        if k % 5 == 0:
            host = "gis." + c.website_host.removeprefix("www.")
            rows.append(_row(f"gis{k:05d}-{host}", f"{c.name} GIS services", f"https://{host}/arcgis/rest/services",
                             f"City of {c.name}", "city", (c.state_abbr, c.state_name),
                             ("arcgisserver", "ArcGIS Server"), []))
    fd, path = tempfile.mkstemp(suffix=".parquet")
    os.close(fd)
    try:
        con = duckdb.connect()
        try:
            con.execute(_SCHEMA)
            if rows:
                con.executemany("INSERT INTO registry VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
            con.execute(f"COPY registry TO '{path}' (FORMAT parquet)")
        finally:
            con.close()
        with open(path, "rb") as fh:
            body = fh.read()
    finally:
        os.unlink(path)
    return Response(200, "application/octet-stream", body)
