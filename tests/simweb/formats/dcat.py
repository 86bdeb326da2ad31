"""DCAT-US 1.1 catalogs (Project Open Data ``data.json``), plain and as ArcGIS Hub's feed.

A ``data.json`` is one unpaged document, as in reality. The ArcGIS Hub flavour
(``/api/feed/dcat-us/1.1.json``, also ``/data.json`` on a Hub site) differs the way Hub does: item
landing pages as identifiers, GeoServices REST API access URLs and export download URLs.
"""

from __future__ import annotations

from tests.simweb.formats.common import Response, json_response
from tests.simweb.formats.datasets import SynthDataset, entry

DATA_JSON = "/data.json"
HUB_FEED = "/api/feed/dcat-us/1.1.json"
_MEDIA = {"CSV": "text/csv", "JSON": "application/json", "XLSX": "application/vnd.ms-excel",
          "PDF": "application/pdf", "GeoJSON": "application/geo+json", "XML": "application/xml",
          "KML": "application/vnd.google-earth.kml+xml", "Shapefile": "application/zip"}
_LICENSE_URLS = {"Public Domain": "https://creativecommons.org/publicdomain/mark/1.0/",
                 "Creative Commons Attribution 4.0": "https://creativecommons.org/licenses/by/4.0/",
                 "Open Data Commons Open Database License": "https://opendatacommons.org/licenses/odbl/1-0/",
                 "Creative Commons 1.0 Universal (Public Domain Dedication)":
                     "https://creativecommons.org/publicdomain/zero/1.0/"}


def catalog(host: str, total: int, *, hub: bool = False, publisher: str = "City") -> Response:
    """The whole catalog; entries without a department name ``publisher`` (the body that runs the portal)."""
    def make(h: str, d: SynthDataset) -> dict:
        return (_hub_dataset if hub else _dataset)(h, d, publisher)

    return json_response({
        "@context": "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld",
        "@id": f"https://{host}{HUB_FEED if hub else DATA_JSON}",
        "@type": "dcat:Catalog",
        "conformsTo": "https://project-open-data.cio.gov/v1.1/schema",
        "describedBy": "https://project-open-data.cio.gov/v1.1/schema/catalog.json",
        "dataset": [make(host, entry(host, i)) for i in range(total)],
    })


def _common(host: str, d: SynthDataset, publisher: str) -> dict:
    doc: dict = {
        "@type": "dcat:Dataset", "title": d.title, "description": d.description or "",
        "keyword": list(d.tags), "issued": d.created.date().isoformat(), "modified": d.updated.date().isoformat(),
        "publisher": {"@type": "org:Organization", "name": d.department or publisher},
        "contactPoint": {"@type": "vcard:Contact", "fn": d.department or "Open Data Team",
                         "hasEmail": f"mailto:{d.contact or 'opendata@' + host}"},
        "accessLevel": "public", "theme": [d.category],
    }
    if d.license:
        doc["license"] = _LICENSE_URLS.get(d.license, f"https://{host}/terms")
    return doc


def _dataset(host: str, d: SynthDataset, publisher: str) -> dict:
    doc = _common(host, d, publisher)
    base = f"https://{host}/api/views/{d.uid}"
    doc["identifier"] = base
    doc["landingPage"] = f"https://{host}/d/{d.uid}"
    dists = [{"@type": "dcat:Distribution", "downloadURL": f"{base}/rows.{fmt.lower()}?accessType=DOWNLOAD",
              "mediaType": _MEDIA.get(fmt, "application/octet-stream"), "format": fmt} for fmt in d.formats]
    if d.kind == "dataset" and d.index % 4 == 0:
        dists.append({"@type": "dcat:Distribution", "accessURL": f"https://{host}/resource/{d.uid}.json",
                      "format": "API", "title": "SODA API"})
    if d.kind == "href":
        dists.append({"@type": "dcat:Distribution", "accessURL": f"https://external.example/{d.slug}",
                      "format": "Web page", "mediaType": "text/html"})
    doc["distribution"] = dists
    return doc


def _hub_dataset(host: str, d: SynthDataset, publisher: str) -> dict:
    doc = _common(host, d, publisher)
    item = d.uuid.replace("-", "")
    doc["identifier"] = f"https://www.arcgis.com/home/item.html?id={item}&sublayer=0"
    doc["landingPage"] = f"https://{host}/datasets/{d.slug}"
    doc["spatial"] = "-97.9,30.1,-97.5,30.5" if d.kind == "map" else ""
    doc["theme"] = ["geospatial"] if d.kind == "map" else doc["theme"]
    dists = [{"@type": "dcat:Distribution", "title": "ArcGIS Hub Dataset", "format": "Web page",
              "mediaType": "text/html", "accessURL": doc["landingPage"]}]
    if d.kind in ("dataset", "map"):
        dists.append({"@type": "dcat:Distribution", "title": "ArcGIS GeoService",
                      "format": "ArcGIS GeoServices REST API",
                      "accessURL": f"https://services.arcgis.example/{item[:8]}/arcgis/rest/services/{d.slug}/FeatureServer/0"})
        for fmt, media in (("CSV", "text/csv"), ("GeoJSON", "application/vnd.geo+json")):
            dists.append({"@type": "dcat:Distribution", "title": fmt, "format": fmt, "mediaType": media,
                          "downloadURL": f"https://{host}/api/download/v1/items/{item}/{fmt.lower()}?layers=0"})
    doc["distribution"] = dists
    return doc

