"""OpenDataSoft Explore API v2.1 ``/api/explore/v2.1/catalog/datasets``.

As on the real API, ``limit`` above 100 or ``offset + limit`` above 10,000 is a 400 with ODS's
``error_code``/``message`` body rather than a silently shorter page.
"""

from __future__ import annotations

from tests.simweb.formats.common import Response, int_arg, iso_z, json_response, query_args
from tests.simweb.formats.datasets import SynthDataset, entry

PATH = "/api/explore/v2.1/catalog/datasets"
MAX_LIMIT = 100
MAX_WINDOW = 10_000
_TYPES = {"Text": "text", "Number": "double", "Calendar date": "date", "Location": "geo_point_2d"}


def catalog(host: str, total: int, query: str) -> Response:
    args = query_args(query)
    limit, offset = int_arg(args, "limit", 10), int_arg(args, "offset", 0)
    if limit is None or not 0 <= limit <= MAX_LIMIT:
        return _error(f"Invalid value for limit API parameter: {args.get('limit')} was found but "
                      f"0 <= limit <= {MAX_LIMIT} is expected.")
    if offset is None or offset < 0 or offset + limit > MAX_WINDOW:
        return _error(f"Invalid value for sum of offset + limit API parameter: {args.get('offset')} + {limit} "
                      f"was found but <= {MAX_WINDOW} is expected.")
    results = [_dataset(host, entry(host, i)) for i in range(offset, min(total, offset + limit))]
    base = f"https://{host}{PATH}"
    links = [{"rel": "self", "href": f"{base}?limit={limit}&offset={offset}"},
             {"rel": "first", "href": f"{base}?limit={limit}&offset=0"}]
    if offset + limit < total:
        links.append({"rel": "next", "href": f"{base}?limit={limit}&offset={offset + limit}"})
    return json_response({"total_count": total, "links": links, "results": results})


def _dataset(host: str, d: SynthDataset) -> dict:
    has_records = d.kind != "file"
    return {
        "visibility": "domain", "dataset_id": d.slug, "dataset_uid": f"da_{d.uid.replace('-', '')[:6]}",
        "has_records": has_records, "data_visible": True,
        "features": (["analyze", "timeserie"] + (["geo"] if d.kind == "map" else [])) if has_records else [],
        "attachments": [] if has_records else [{"href": f"https://{host}/api/datasets/1.0/{d.slug}/attachments/doc_pdf",
                                                "id": "doc_pdf", "mimetype": "application/pdf", "title": "doc.pdf"}],
        "metas": {"default": {
            "title": d.title, "description": f"<p>{d.description}</p>" if d.description else None,
            "theme": [d.category], "keyword": list(d.tags) or None, "license": d.license,
            "license_url": None, "language": "en", "timezone": "America/Chicago",
            "modified": iso_z(d.updated).replace(".000Z", "+00:00"), "modified_updates_on_data_change": True,
            "data_processed": iso_z(d.updated).replace(".000Z", "+00:00"),
            "metadata_processed": iso_z(d.metadata_updated).replace(".000Z", "+00:00"),
            "publisher": d.department, "references": None, "records_count": d.records if has_records else 0,
            "territory": None, "geographic_reference": ["us"], "federated": False, "update_frequency": None,
            "attributions": None, "source_domain": None, "source_dataset": None, "shared_catalog": None,
        }},
        "fields": [{"name": f, "label": n, "type": _TYPES.get(t, "text"), "annotations": {},
                    "description": desc or None} for n, f, t, desc in d.columns] if has_records else [],
    }


def _error(message: str) -> Response:
    return json_response({"error_code": "InvalidRESTParameterError", "message": message}, status=400)
