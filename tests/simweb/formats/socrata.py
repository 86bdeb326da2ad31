"""Socrata Discovery API ``/api/catalog/v1`` (on ``api.us.socrata.com`` and on the portal host).

Paging by ``limit``/``offset`` works up to offset + limit = 10,000, as on the real service; deeper
pages need ``scroll_id`` (results whose id sorts after the given one, ordered by id). ``resultSetSize``
is the catalog total whatever the page.
"""

from __future__ import annotations

from tests.simweb.formats.common import Response, int_arg, iso_z, json_response, query_args
from tests.simweb.formats.datasets import SynthDataset, entry, first_after

API_HOST = "api.us.socrata.com"
PATH = "/api/catalog/v1"
MAX_WINDOW = 10_000
_CATEGORIES = {"Public Safety": "public safety", "Finance": "finance", "Transportation": "transportation",
               "Environment": "environment", "Health": "health", "Housing & Development": "housing & development",
               "Government": "politics", "Recreation": "recreation", "Property": "economy",
               "City Services": "infrastructure"}


def catalog(host: str | None, total: int, query: str) -> Response:
    """One page of the catalog of the portal ``host`` (None: an unknown domain, zero results)."""
    args = query_args(query)
    limit, offset = int_arg(args, "limit", 100), int_arg(args, "offset", 0)
    if limit is None or offset is None or limit < 0 or offset < 0:
        return json_response({"error": "limit and offset must be non-negative integers"}, status=400)
    if host is None:
        total = 0
    if "scroll_id" in args:
        start = first_after(host, total, args["scroll_id"]) if host else 0
    elif offset + limit > MAX_WINDOW:
        return json_response({"error": f"offset + limit must not exceed {MAX_WINDOW}; use scroll_id to page "
                                       "through larger result sets"}, status=400)
    else:
        start = offset
    results = [_result(host, entry(host, i)) for i in range(start, min(total, start + limit))] if host else []
    return json_response({"results": results, "resultSetSize": total,
                          "timings": {"serviceMillis": 12 + len(results) // 10, "searchMillis": [3, 7]}})


def _result(host: str, d: SynthDataset) -> dict:
    tabular = d.kind in ("dataset", "filter", "map")
    cols = d.columns if tabular else ()
    category = d.category if d.index % 5 else None
    resource = {
        "name": d.title, "id": d.uid, "parent_fxf": [] if d.kind != "filter" else [entry(host, 0).uid],
        "description": d.description or "", "attribution": d.department, "attribution_link": None,
        "contact_email": d.contact, "type": d.kind,
        "updatedAt": iso_z(d.metadata_updated), "createdAt": iso_z(d.created),
        "metadata_updated_at": iso_z(d.metadata_updated), "data_updated_at": iso_z(d.updated),
        "publication_date": iso_z(d.created),
        "page_views": {"page_views_last_week": d.downloads // 50, "page_views_last_month": d.downloads // 12,
                       "page_views_total": d.downloads * 4},
        "columns_name": [c[0] for c in cols], "columns_field_name": [c[1] for c in cols],
        "columns_datatype": [c[2] for c in cols], "columns_description": [c[3] for c in cols],
        "columns_format": [{} for _ in cols], "download_count": d.downloads, "provenance": "official",
        "lens_view_type": "tabular" if tabular else d.kind, "hide_from_data_json": False,
    }
    if d.kind == "file":
        resource["blob_mime_type"] = "application/pdf"
    domain_metadata = [{"key": "Update_Update-Frequency", "value": "Monthly"}]
    if d.department:
        domain_metadata.append({"key": "Department_Department", "value": d.department})
    segment = (category or "dataset").replace(" & ", "-").replace(" ", "-")
    return {
        "resource": resource,
        "classification": {"categories": [_CATEGORIES[category]] if category in _CATEGORIES else [],
                           "tags": [], "domain_category": category, "domain_tags": list(d.tags),
                           "domain_metadata": domain_metadata},
        "metadata": {"domain": host, "license": d.license},
        "permalink": f"https://{host}/d/{d.uid}",
        "link": f"https://{host}/{segment}/{d.slug.rsplit('-', 1)[0].title()}/{d.uid}",
        "owner": {"id": f"{d.uid[5:]}-{d.uid[:4]}", "user_type": "interactive",
                  "display_name": d.department or "Open Data Team"},
        "creator": {"id": f"{d.uid[5:]}-{d.uid[:4]}", "user_type": "interactive",
                    "display_name": d.department or "Open Data Team"},
    }


DOMAINS_PATH = "/api/catalog/v1/domains"


def domains(listed: list[tuple[str, int]], query: str) -> Response:
    """The domain list: every Socrata site with its public asset count, one unpaged document by default
    (``limit``/``offset`` honoured when given)."""
    args = query_args(query)
    limit, offset = int_arg(args, "limit", len(listed)), int_arg(args, "offset", 0)
    if limit is None or offset is None or limit < 0 or offset < 0:
        return json_response({"error": "limit and offset must be non-negative integers"}, status=400)
    page = listed[offset: offset + limit]
    return json_response({"results": [{"domain": d, "count": n} for d, n in page], "resultSetSize": len(listed),
                          "timings": {"serviceMillis": 40, "searchMillis": [9, 21]}})
