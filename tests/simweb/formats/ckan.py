"""CKAN Action API (2.10): ``package_search`` paged by ``rows``/``start`` and ``status_show``.

``rows`` is capped at 1000 silently, as CKAN's ``ckan.search.rows_max`` default does; a non-integer
parameter gets CKAN's 409 validation error envelope (``success: false``).
"""

from __future__ import annotations

from tests.simweb.formats.common import Response, int_arg, json_response, query_args
from tests.simweb.formats.datasets import SynthDataset, entry

SEARCH_PATH = "/api/3/action/package_search"
STATUS_PATH = "/api/3/action/status_show"
ROWS_MAX = 1000
_LICENSE_IDS = {"Public Domain": "other-pd", "Creative Commons Attribution 4.0": "cc-by",
                "Open Data Commons Open Database License": "odc-odbl", "See Terms of Use": "other-closed",
                "Creative Commons 1.0 Universal (Public Domain Dedication)": "cc-zero"}
_MIME = {"CSV": "text/csv", "JSON": "application/json", "XLSX": "application/vnd.ms-excel", "PDF": "application/pdf",
         "GeoJSON": "application/geo+json", "XML": "application/xml", "KML": "application/vnd.google-earth.kml+xml",
         "Shapefile": "application/zip"}


def package_search(host: str, total: int, query: str) -> Response:
    args = query_args(query)
    rows, start = int_arg(args, "rows", 10), int_arg(args, "start", 0)
    errors = {k: ["Invalid integer"] for k, v in (("rows", rows), ("start", start)) if v is None or v < 0}
    if errors:
        return json_response({"help": _help(host, "package_search"), "success": False,
                              "error": {"__type": "Validation Error", **errors}}, status=409)
    rows = min(rows, ROWS_MAX)
    results = [_package(host, entry(host, i)) for i in range(start, min(total, start + rows))]
    return json_response({"help": _help(host, "package_search"), "success": True,
                          "result": {"count": total, "facets": {}, "results": results,
                                     "sort": args.get("sort", "score desc, metadata_modified desc"),
                                     "search_facets": {}}})


def status_show(host: str, title: str) -> Response:
    return json_response({"help": _help(host, "status_show"), "success": True,
                          "result": {"site_title": title, "site_description": "", "site_url": f"https://{host}",
                                     "ckan_version": "2.10.4", "error_emails_to": None, "locale_default": "en",
                                     "extensions": ["envvars", "activity", "datastore", "datapusher", "scheming_datasets",
                                                    "dcat", "structured_data"]}})


def _package(host: str, d: SynthDataset) -> dict:
    org = (d.department or "city-of-sample").lower().replace(" ", "-")
    stamp = "%Y-%m-%dT%H:%M:%S.%f"
    resources = [{"id": f"{d.uuid[:-4]}{k:04x}", "package_id": d.uuid, "name": f"{d.title} ({fmt})",
                  "description": "", "format": fmt, "mimetype": _MIME.get(fmt),
                  "url": f"https://{host}/dataset/{d.uuid}/resource/{d.uuid[:-4]}{k:04x}/download/{d.slug}.{fmt.lower()}",
                  "url_type": "upload", "datastore_active": fmt == "CSV" and d.index % 2 == 0,
                  "created": d.created.strftime(stamp), "last_modified": d.updated.strftime(stamp),
                  "position": k, "state": "active"} for k, fmt in enumerate(d.formats)]
    license_id = _LICENSE_IDS.get(d.license or "", "notspecified")
    return {
        "id": d.uuid, "name": d.slug, "title": d.title, "notes": d.description, "type": "dataset",
        "state": "active", "private": False, "license_id": license_id,
        "license_title": d.license or "License not specified", "license_url": None,
        "metadata_created": d.created.strftime(stamp), "metadata_modified": d.metadata_updated.strftime(stamp),
        "author": None, "author_email": None, "maintainer": d.department, "maintainer_email": d.contact,
        "url": "", "version": None, "isopen": license_id in ("other-pd", "cc-by", "odc-odbl", "cc-zero"),
        "owner_org": d.uuid[::-1][:36] if d.department else None,
        "organization": {"id": f"org-{org}", "name": org, "title": d.department or "City of Sample",
                         "type": "organization", "description": "", "image_url": "", "is_organization": True,
                         "approval_status": "approved", "state": "active"} if d.department else None,
        "tags": [{"id": f"tag-{t.replace(' ', '-')}", "name": t, "display_name": t, "state": "active",
                  "vocabulary_id": None} for t in d.tags],
        "groups": [{"name": d.category.lower().replace(" & ", "-").replace(" ", "-"), "title": d.category}],
        "extras": [], "resources": resources, "num_resources": len(resources), "num_tags": len(d.tags),
    }


def _help(host: str, action: str) -> str:
    return f"https://{host}/api/3/action/help_show?name={action}"
