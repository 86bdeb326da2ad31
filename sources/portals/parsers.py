"""Parsers for one page of each platform's catalog API, in the platforms' real formats.

Each returns a ``CatalogPage``: the records on the page and what the platform says about the total and
the next page, so callers can page with the platform's own mechanism.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import ijson

from sources.portals.records import DatasetRecord, parse_time, text

PLATFORMS = ("socrata", "ckan", "arcgis_hub", "opendatasoft", "dcat")
_SOCRATA_TYPES = {"dataset": "dataset", "map": "map", "file": "file", "href": "link", "chart": "other",
                  "filter": "other", "story": "other", "datalens": "other", "measure": "other"}


class CatalogFormatError(ValueError):
    """The body is not a catalog of the claimed platform (malformed JSON, wrong envelope)."""


@dataclass
class CatalogPage:
    platform: str
    records: list[DatasetRecord]
    total: int | None = None              # platform-reported total over all pages, when it says
    notes: list[str] = field(default_factory=list)


def load(body: bytes | str | dict) -> dict:
    if isinstance(body, dict):
        return body
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CatalogFormatError(f"malformed JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise CatalogFormatError(f"expected a JSON object, got {type(data).__name__}")
    return data


def parse_socrata(body, portal: str | None = None) -> CatalogPage:
    """Discovery API `/api/catalog/v1`: `results[]` of {resource, classification, metadata, owner}."""
    data = load(body)
    if not isinstance(data.get("results"), list):
        raise CatalogFormatError("Socrata catalog without a results list")
    records = _entries(data["results"], "socrata", portal, _socrata_record)
    return CatalogPage("socrata", records, _int(data.get("resultSetSize")))


def _socrata_record(item: dict, portal: str | None) -> DatasetRecord:
    res = _obj(item.get("resource"))
    cls = _obj(item.get("classification"))
    meta = _obj(item.get("metadata"))
    rec = DatasetRecord(
        platform="socrata", portal=meta.get("domain") or portal, id=_id(res.get("id")), title=text(res.get("name")),
        type=_SOCRATA_TYPES.get(str(res.get("type", "")).lower(), "other"),
        updated_at=parse_time(res.get("data_updated_at") or res.get("updatedAt")),
        department=text(res.get("attribution")) or text(cls.get("domain_category")),
        description=text(res.get("description")), license=text(meta.get("license")),
        contact=text(res.get("contact_email")),
        tags=[str(t) for t in _list(cls.get("domain_tags")) + _list(cls.get("tags"))],
        formats=["api"] if res.get("type") == "dataset" else [],
        column_descriptions=(any(str(d).strip() for d in res["columns_description"])
                             if res.get("columns_description") else None),
        api_access=res.get("type") == "dataset")
    _flag(rec, item, required=("resource",))
    return rec


def parse_ckan(body, portal: str | None = None) -> CatalogPage:
    """Action API `package_search`: `{"success": true, "result": {"count", "results": [package]}}`."""
    data = load(body)
    if data.get("success") is False:
        raise CatalogFormatError(f"CKAN error: {data.get('error')}")
    result = data.get("result")
    if not isinstance(result, dict) or not isinstance(result.get("results"), list):
        raise CatalogFormatError("CKAN response without result.results")
    return CatalogPage("ckan", _entries(result["results"], "ckan", portal, _ckan_record), _int(result.get("count")))


def _ckan_record(pkg: dict, portal: str | None) -> DatasetRecord:
    resources = [r for r in _list(pkg.get("resources")) if isinstance(r, dict)]
    formats = [str(r.get("format")).strip() for r in resources if r.get("format")]
    rec = DatasetRecord(
        platform="ckan", portal=portal, id=_id(pkg.get("id") or pkg.get("name")), title=text(pkg.get("title")),
        type="dataset" if pkg.get("type", "dataset") == "dataset" else "other",
        updated_at=parse_time(pkg.get("metadata_modified")),
        department=text(pkg.get("organization")), description=text(pkg.get("notes")),
        license=None if pkg.get("license_id") in (None, "", "notspecified") else text(pkg.get("license_title")
                                                                                    or pkg.get("license_id")),
        contact=text(pkg.get("maintainer_email") or pkg.get("author_email")),
        tags=[str(t.get("name")) for t in _list(pkg.get("tags")) if isinstance(t, dict)],
        formats=formats, api_access=any(r.get("datastore_active") for r in resources))
    _flag(rec, pkg, required=("id", "title"))
    return rec


def parse_opendatasoft(body, portal: str | None = None) -> CatalogPage:
    """Explore API v2.1 `catalog/datasets`: `{"total_count", "results": [{dataset_id, metas.default}]}`."""
    data = load(body)
    if not isinstance(data.get("results"), list):
        raise CatalogFormatError("OpenDataSoft catalog without a results list")
    return CatalogPage("opendatasoft", _entries(data["results"], "opendatasoft", portal, _ods_record),
                       _int(data.get("total_count")))


def _ods_record(ds: dict, portal: str | None) -> DatasetRecord:
    meta = _obj(_obj(ds.get("metas")).get("default"))
    fields = [f for f in _list(ds.get("fields")) if isinstance(f, dict)]
    rec = DatasetRecord(
        platform="opendatasoft", portal=portal, id=_id(ds.get("dataset_id")), title=text(meta.get("title")),
        type="dataset" if ds.get("has_records", True) else "file",
        updated_at=parse_time(meta.get("modified") or meta.get("data_processed")),
        department=text(meta.get("publisher")), description=text(meta.get("description")),
        license=text(meta.get("license")), tags=[str(k) for k in _list(meta.get("keyword"))],
        formats=["api", "csv", "json"] if ds.get("has_records", True) else [],
        column_descriptions=any(f.get("description") for f in fields) if fields else None,
        api_access=bool(ds.get("has_records", True)))
    _flag(rec, ds, required=("dataset_id",))
    return rec


def parse_dcat(body, portal: str | None = None, platform: str = "dcat") -> CatalogPage:
    """Project Open Data DCAT-US 1.1 `data.json` (also ArcGIS Hub's DCAT feed): `dataset[]`.

    A whole catalog is one document, tens of megabytes for the largest portals, so entries are streamed
    (ijson) and turned into records one at a time instead of building the whole JSON tree first: peak
    memory is the body plus the records, not several times the body.
    """
    if isinstance(body, dict):
        if not isinstance(body.get("dataset"), list):
            raise CatalogFormatError("DCAT-US catalog without a dataset list")
        conforms, items = bool(body.get("conformsTo")), body["dataset"]
        records = _entries(items, platform, portal, _dcat_record)
    else:
        raw = body.encode("utf-8") if isinstance(body, str) else body
        conforms = _dcat_head(raw)
        try:
            records = _entries(ijson.items(raw, "dataset.item", use_float=True), platform, portal, _dcat_record)
        except ijson.JSONError as exc:
            raise CatalogFormatError(f"malformed JSON: {exc}") from exc
    notes = [] if conforms else ["catalog does not declare conformsTo"]
    return CatalogPage(platform, records, len(records), notes)


def _dcat_head(raw: bytes) -> bool:
    """Check the envelope without reading the entries: a top-level object whose ``dataset`` is an array.
    Returns whether the catalog declares ``conformsTo``. Only the top-level keys before ``dataset`` are
    walked; a ``conformsTo`` placed after the entries is found by a plain byte search."""
    conforms = False
    try:
        events = ijson.parse(raw, use_float=True)
        prefix, event, _ = next(events)
        if event != "start_map":
            raise CatalogFormatError(f"expected a JSON object, got {event}")
        for prefix, event, value in events:
            if prefix == "conformsTo" and event == "string":
                conforms = bool(value.strip())
            elif prefix == "dataset":
                if event != "start_array":
                    raise CatalogFormatError("DCAT-US catalog without a dataset list")
                return conforms or b'"conformsTo"' in raw
            elif prefix == "" and event == "end_map":
                break
    except StopIteration as exc:
        raise CatalogFormatError("malformed JSON: empty body") from exc
    except (ijson.JSONError, UnicodeDecodeError) as exc:
        raise CatalogFormatError(f"malformed JSON: {exc}") from exc
    raise CatalogFormatError("DCAT-US catalog without a dataset list")


def _dcat_record(ds: dict, portal: str | None, platform: str) -> DatasetRecord:
    formats = []
    for d in _list(ds.get("distribution")):
        if not isinstance(d, dict):
            continue
        fmt = d.get("format") or d.get("mediaType")
        if fmt:
            formats.append(str(fmt))
        if d.get("accessURL") and not d.get("downloadURL"):
            formats.append("api")
    contact = _obj(ds.get("contactPoint"))
    rec = DatasetRecord(
        platform=platform, portal=portal, id=text(ds.get("identifier")), title=text(ds.get("title")),
        updated_at=parse_time(ds.get("modified")), department=text(ds.get("publisher")),
        description=text(ds.get("description")), license=text(ds.get("license")),
        contact=text(contact.get("hasEmail") or contact.get("fn")),
        tags=[str(k) for k in _list(ds.get("keyword"))] + [str(t) for t in _list(ds.get("theme"))],
        formats=formats, api_access="api" in formats)
    _flag(rec, ds, required=("identifier", "title", "modified"))
    return rec


def _entries(items: list, platform: str, portal: str | None,
             build: Callable[..., DatasetRecord]) -> list[DatasetRecord]:
    """One record per catalog entry, always: an entry of the wrong shape becomes a flagged placeholder, so
    counts stay those of the catalog and one bad entry never costs the page."""
    records = []
    for item in items:
        if not isinstance(item, dict):
            records.append(DatasetRecord(platform=platform, portal=portal, id=None, title=None,
                                         issues=["entry is not an object"]))
            continue
        try:
            rec = build(item, portal, platform) if build is _dcat_record else build(item, portal)
        except (TypeError, AttributeError, ValueError) as exc:
            rec = DatasetRecord(platform=platform, portal=portal, id=None, title=None,
                                issues=[f"malformed entry: {type(exc).__name__}"])
        records.append(rec)
    return records


def _id(value) -> str | None:
    """Identifiers as text; a non-scalar identifier is as good as none (and is flagged as missing)."""
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else None


def _obj(value) -> dict:
    """The value when it is a JSON object, else an empty one (wrong types read as missing)."""
    return value if isinstance(value, dict) else {}


def _list(value) -> list:
    """The value when it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else []


def _flag(rec: DatasetRecord, raw: dict, required: tuple[str, ...]) -> None:
    for key in required:
        value = raw.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            rec.issues.append(f"missing {key}")
    if rec.title is not None and rec.title.strip().isdigit():
        rec.issues.append("numeric title")


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


PARSERS: dict[str, Callable[..., CatalogPage]] = {
    "socrata": parse_socrata, "ckan": parse_ckan, "opendatasoft": parse_opendatasoft, "dcat": parse_dcat,
    "arcgis_hub": lambda body, portal=None: parse_dcat(body, portal, platform="arcgis_hub"),
}
