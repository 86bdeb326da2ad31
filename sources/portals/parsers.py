"""Parsers for one page of each platform's catalog API, in the platforms' real formats.

Each returns a ``CatalogPage``: the records on the page and what the platform says about the total and
the next page, so callers can page with the platform's own mechanism.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

import ijson

from sources.portals.records import DatasetRecord, parse_time, text

PLATFORMS = ("socrata", "ckan", "arcgis_hub", "opendatasoft", "dcat")
_SOCRATA_TYPES = {"dataset": "dataset", "map": "map", "file": "file", "href": "link", "chart": "other",
                  "filter": "other", "story": "other", "datalens": "other", "measure": "other",
                  # a view's displayType, where a list of views gives no assetType
                  "table": "dataset", "blob": "file", "calendar": "other"}


class CatalogFormatError(ValueError):
    """The body is not a catalog of the claimed platform (malformed JSON, wrong envelope)."""


@dataclass
class CatalogPage:
    platform: str
    records: list[DatasetRecord]
    total: int | None = None              # platform-reported total over all pages, when it says
    notes: list[str] = field(default_factory=list)
    skipped: int = 0                      # entries left out as not datasets (a v1.0 file's self-description)

    def __post_init__(self) -> None:
        # A server's number goes to a BIGINT column and into shares: one absurd total (1e20, -5) must not
        # stop a national run at publish or skew a profile. The largest public catalogs hold some 10^5.
        if self.total is not None and not 0 <= self.total <= MAX_REPORTED_TOTAL:
            self.notes.append(f"reported total {self.total} ignored: not a plausible count of datasets")
            self.total = None


#: Above this a reported catalog size is a server's error, not a count (data.gov lists some 3 x 10^5).
MAX_REPORTED_TOTAL = 100_000_000


def load(body: bytes | str | dict) -> dict:
    data = load_any(body)
    if not isinstance(data, dict):
        raise CatalogFormatError(f"expected a JSON object, got {type(data).__name__}")
    return data


def load_any(body: bytes | str | dict | list) -> dict | list:
    """The JSON document, object or array: some endpoints answer with a bare array (Socrata's
    ``/api/views.json``)."""
    if isinstance(body, dict | list):
        return body
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CatalogFormatError(f"malformed JSON: {exc}") from exc
    except RecursionError as exc:
        raise CatalogFormatError("malformed JSON: nested too deeply to be a catalog") from exc


def parse_socrata(body, portal: str | None = None) -> CatalogPage:
    """Discovery API `/api/catalog/v1`: `results[]` of {resource, classification, metadata, owner}.

    Also read: one dataset's metadata (``/api/views/<id>.json``) and a domain's list of views
    (``/api/views.json``, a bare array of the same objects, columns usually left out), which older
    portals and saved copies still carry. Neither says how many the catalog holds."""
    data = load_any(body)
    if isinstance(data, list):
        if data and not any(_looks_like_view(view) for view in data):
            raise CatalogFormatError("a JSON array with no Socrata view in it (an object with a 4x4 id and a view "
                                     "type) is not a list of views: rows of a dataset, perhaps")
        records = _entries(data, "socrata", portal, _socrata_view_record)
        return CatalogPage("socrata", records, None, ["Socrata list of views (/api/views.json): no reported total"])
    if not isinstance(data, dict):
        raise CatalogFormatError(f"expected a JSON object or array, got {type(data).__name__}")
    if not isinstance(data.get("results"), list):
        if _is_socrata_view(data):
            view = parse_socrata_view(data, portal)
            return CatalogPage("socrata", [view.record], None,
                               ["Socrata dataset metadata (/api/views/<id>.json): one dataset, not a catalog page"])
        raise CatalogFormatError("Socrata catalog without a results list")
    if data["results"] and not any(isinstance(e, dict) and "resource" in e for e in data["results"]):
        # Another API's envelope (OpenDataSoft's records, a search of something else): no entry is a dataset.
        raise CatalogFormatError("a results list with no Socrata catalog entry in it (an object with a "
                                 "resource) is not a Discovery API page")
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


_SOCRATA_4X4 = re.compile(r"^[a-z0-9]{4}-[a-z0-9]{4}$")


@dataclass
class SocrataView:
    """One dataset's metadata from ``/api/views/<id>.json`` (not a catalog page)."""
    id: str
    name: str | None
    column_count: int
    rows_updated_at: int | None           # epoch seconds, as Socrata gives it
    updated_at: datetime | None           # rows_updated_at (else viewLastModified) as a UTC datetime
    record: DatasetRecord


def _has_4x4_id(data) -> bool:
    return isinstance(data, dict) and isinstance(data.get("id"), str) and bool(_SOCRATA_4X4.match(data["id"]))


def _looks_like_view(data) -> bool:
    """An entry of ``/api/views.json``: a 4x4 id and a view type (columns are usually left out there)."""
    return _has_4x4_id(data) and any(key in data for key in ("viewType", "displayType", "assetType"))


def _is_socrata_view(data: dict) -> bool:
    """A whole ``/api/views/<id>.json``: a 4x4 id, its columns, and a view type or the data's update time."""
    return (_has_4x4_id(data) and isinstance(data.get("columns"), list)
            and ("viewType" in data or "rowsUpdatedAt" in data))


def parse_socrata_view(body, portal: str | None = None) -> SocrataView:
    """Socrata dataset metadata ``/api/views/<id>.json``: id, name, ``columns[]`` and ``rowsUpdatedAt``
    (epoch seconds of the last data change; ``viewLastModified`` is the last metadata change)."""
    data = load(body)
    if not _is_socrata_view(data):
        raise CatalogFormatError("not Socrata dataset metadata (/api/views/<id>.json)")
    rec = _socrata_view_record(data, portal)
    rows_updated = _rows_updated(data)
    return SocrataView(data["id"], rec.title, len(data["columns"]), rows_updated, rec.updated_at, rec)


def _rows_updated(data: dict) -> int | None:
    return _int(data.get("rowsUpdatedAt")) if not isinstance(data.get("rowsUpdatedAt"), bool) else None


def _socrata_view_record(data: dict, portal: str | None) -> DatasetRecord:
    """A record from a view object: the data's last change (``rowsUpdatedAt``), else the metadata's."""
    columns = [c for c in _list(data.get("columns")) if isinstance(c, dict)]
    rows_updated = _rows_updated(data)
    updated_at = parse_time(rows_updated if rows_updated is not None else _int(data.get("viewLastModified")))
    meta = _obj(data.get("metadata"))
    license_ = _obj(data.get("license"))
    kind = str(data.get("assetType") or data.get("displayType") or "").lower()
    if not data.get("assetType") and data.get("modifyingViewUid"):
        kind = "filter"                   # a view derived from another (a filtered view), not a dataset of its own
    tabular = data.get("viewType") == "tabular"
    rec = DatasetRecord(
        platform="socrata", portal=portal, id=_id(data.get("id")), title=text(data.get("name")),
        type=_SOCRATA_TYPES.get(kind, "dataset" if tabular else "other"), updated_at=updated_at,
        department=text(data.get("attribution")) or text(data.get("category")),
        description=text(data.get("description")),
        license=text(license_.get("name")) or text(data.get("licenseId")) or text(meta.get("license")),
        tags=[str(t) for t in _list(data.get("tags"))], formats=["api"] if tabular else [],
        column_descriptions=any(str(c.get("description") or "").strip() for c in columns) if columns else None,
        api_access=tabular)
    _flag(rec, data, required=("id", "name"))
    return rec


def parse_ckan(body, portal: str | None = None) -> CatalogPage:
    """Action API, ``{"success": true, "result": ...}``, from any of the actions a catalog is read with:

    - ``package_search``: ``result = {"count", "results": [package]}``, the catalog page;
    - ``current_package_list_with_resources``: ``result = [package]``, no total;
    - ``package_show``: ``result = package``, one dataset;
    - ``package_list``: ``result = ["name", ...]``, the catalog's names only (no dates, no metadata).
    """
    data = load(body)
    if data.get("success") is False:
        raise CatalogFormatError(f"CKAN error: {data.get('error')}")
    action = _ckan_action(data.get("help"))
    if action is not None and action not in _CKAN_CATALOG_ACTIONS:
        raise CatalogFormatError(f"CKAN {action} is not a list of datasets")
    result = data.get("result")
    if isinstance(result, dict) and isinstance(result.get("results"), list):
        return CatalogPage("ckan", _entries(result["results"], "ckan", portal, _ckan_record),
                           _int(result.get("count")))
    if isinstance(result, list) and result and all(name is None or isinstance(name, str) for name in result):
        if action is None and not any(result):
            raise CatalogFormatError("CKAN result of nulls is not a list of dataset names")
        return CatalogPage("ckan", [DatasetRecord(platform="ckan", portal=portal, id=name, title=None,
                                                  issues=[] if name else ["missing name"]) for name in result],
                           len(result), ["CKAN package_list: dataset names only, no dates or metadata"])
    if isinstance(result, list):
        if result and not any(_looks_like_package(pkg) for pkg in result):
            raise CatalogFormatError("CKAN list whose entries are not packages (no resources, no "
                                     "metadata_modified): licenses, groups or organizations, perhaps")
        return CatalogPage("ckan", _entries(result, "ckan", portal, _ckan_record), None,
                           ["CKAN package list with resources: no reported total"])
    if isinstance(result, dict) and ("id" in result or "name" in result) and "resources" in result:
        return CatalogPage("ckan", _entries([result], "ckan", portal, _ckan_record), None,
                           ["CKAN package_show: one dataset, not a catalog page"])
    raise CatalogFormatError("CKAN response without result.results (nor a package list or one package)")


#: The Action API calls whose result is a catalog or a part of one; ``help`` names the call (its URL ends in
#: ``help_show?name=<action>``), so a tag, group or license list cannot pass for one.
_CKAN_CATALOG_ACTIONS = frozenset({"package_search", "package_list", "current_package_list_with_resources",
                                   "package_show"})
_CKAN_HELP = re.compile(r"help_show\?name=([a-z_]+)")


def _ckan_action(help_value) -> str | None:
    found = _CKAN_HELP.search(help_value) if isinstance(help_value, str) else None
    return found.group(1) if found else None


def _looks_like_package(pkg) -> bool:
    return isinstance(pkg, dict) and any(key in pkg for key in ("resources", "metadata_modified", "num_resources"))


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
    """Explore API catalog search, in each version portals still answer, and one dataset's lookup:

    - v2.1 ``/api/explore/v2.1/catalog/datasets``: ``{"total_count", "results": [dataset]}``;
    - v2.0 ``/api/v2/catalog/datasets``: ``{"total_count", "links", "datasets": [{"links", "dataset"}]}``;
    - v1 ``/api/datasets/1.0/search``: ``{"nhits", "parameters", "datasets": [dataset]}``, each with
      ``datasetid`` and its metadata directly under ``metas`` (v2 nests it under ``metas.default``);
    - a lookup of one dataset (``…/catalog/datasets/<id>``; v2.0 wraps it in ``{"dataset": …}``).
    """
    data = load(body)
    if isinstance(data.get("results"), list):
        items, total = data["results"], data.get("total_count")
    elif isinstance(data.get("datasets"), list):
        items = [d["dataset"] if isinstance(d, dict) and "dataset" in d else d for d in data["datasets"]]
        total = data["total_count"] if "total_count" in data else data.get("nhits")
    else:
        one = data if _is_ods_dataset(data) else _obj(data.get("dataset"))
        if not _is_ods_dataset(one):
            raise CatalogFormatError("OpenDataSoft catalog without a results or datasets list")
        return CatalogPage("opendatasoft", _entries([one], "opendatasoft", portal, _ods_record), None,
                           ["OpenDataSoft dataset lookup: one dataset, not a catalog page"])
    if items and not any(_looks_like_ods_dataset(d) for d in items):
        # v2.1's /records answers in the catalog's own envelope: counting its rows would count rows as datasets.
        raise CatalogFormatError("a results list with no OpenDataSoft dataset in it (an object with dataset_id "
                                 "or datasetid, or metas) is not a catalog page: records of one dataset, perhaps")
    return CatalogPage("opendatasoft", _entries(items, "opendatasoft", portal, _ods_record), _int(total))


def _is_ods_dataset(data: dict) -> bool:
    return isinstance(data.get("metas"), dict) and ("dataset_id" in data or "datasetid" in data)


def _looks_like_ods_dataset(entry) -> bool:
    """An entry of a catalog page, however defective: it names its dataset or carries its metadata. A page
    none of whose entries does is something else (a dataset's records); one that does keeps every entry."""
    return isinstance(entry, dict) and any(key in entry for key in ("dataset_id", "datasetid", "metas"))


def _ods_record(ds: dict, portal: str | None) -> DatasetRecord:
    metas = _obj(ds.get("metas"))
    meta = _obj(metas.get("default")) if "default" in metas else metas
    id_key = "datasetid" if "datasetid" in ds and "dataset_id" not in ds else "dataset_id"
    fields = [f for f in _list(ds.get("fields")) if isinstance(f, dict)]
    rec = DatasetRecord(
        platform="opendatasoft", portal=portal, id=_id(ds.get(id_key)), title=text(meta.get("title")),
        type="dataset" if ds.get("has_records", True) else "file",
        updated_at=parse_time(meta.get("modified") or meta.get("data_processed")),
        department=text(meta.get("publisher")), description=text(meta.get("description")),
        license=text(meta.get("license")), tags=[str(k) for k in _list(meta.get("keyword"))],
        formats=["api", "csv", "json"] if ds.get("has_records", True) else [],
        column_descriptions=any(f.get("description") for f in fields) if fields else None,
        api_access=bool(ds.get("has_records", True)))
    _flag(rec, ds, required=(id_key,))
    return rec


def parse_dcat(body, portal: str | None = None, platform: str = "dcat") -> CatalogPage:
    """Project Open Data ``data.json`` (also ArcGIS Hub's DCAT feed), in both of its schemas:

    - DCAT-US 1.1 (POD v1.1, 2014 on): a catalog object whose ``dataset[]`` holds the entries;
    - POD v1.0 (2013, still served by some portals): a bare top-level array of entries, one of which
      usually describes the data.json file itself (its identifier, accessURL or webService is the
      file's own URL). That entry is not a dataset and is left out (and said so in ``notes``).

    A whole catalog is one document, tens of megabytes for the largest portals, so entries are streamed
    (ijson) and turned into records one at a time instead of building the whole JSON tree first: peak
    memory is the body plus the records, not several times the body.

    For ``arcgis_hub`` a Hub v3 JSON:API document (``{"data": {...}|[...], "meta": ...}``, from
    ``/api/v3/datasets``) and a Hub Search API feature collection (``/api/search/v1/…/items``) are read
    as well.
    """
    self_entries: list[dict] = []
    if isinstance(body, dict | list):
        if isinstance(body, list):
            kind, conforms, items = "legacy", False, body
        elif isinstance(body.get("dataset"), list):
            kind, conforms, items = "catalog", bool(body.get("conformsTo")), body["dataset"]
        elif platform == "arcgis_hub" and isinstance(body.get("data"), dict | list):
            return _hub_v3_page(body, portal)
        elif platform == "arcgis_hub" and _is_ogc(body):
            return _hub_ogc_page(body, portal)
        else:
            raise CatalogFormatError("DCAT-US catalog without a dataset list")
        records = _dcat_entries(items, kind, platform, portal, self_entries)
    else:
        raw = body.encode("utf-8") if isinstance(body, str) else body
        kind, conforms = _dcat_head(raw, jsonapi=platform == "arcgis_hub")
        if kind == "jsonapi":
            return _hub_v3_page(load(raw), portal)
        if kind == "ogc":
            return _hub_ogc_page(load(raw), portal)
        try:
            items = ijson.items(raw, "item" if kind == "legacy" else "dataset.item", use_float=True)
            records = _dcat_entries(items, kind, platform, portal, self_entries)
        except ijson.JSONError as exc:
            raise CatalogFormatError(f"malformed JSON: {_stream_error(exc)}") from exc
    if kind == "legacy":
        notes = ["legacy Project Open Data v1.0 catalog (a bare JSON array)"]
        if self_entries:
            notes.append(f"{len(self_entries)} entry describing the data.json file itself left out (not a dataset)")
    else:
        notes = [] if conforms else ["catalog does not declare conformsTo"]
    return CatalogPage(platform, records, len(records), notes, skipped=len(self_entries))


def _dcat_entries(items: Iterable, kind: str, platform: str, portal: str | None,
                  self_entries: list[dict]) -> list[DatasetRecord]:
    legacy = kind == "legacy"
    if legacy:
        items = _without_self_entries(items, portal, self_entries)
    return _entries(items, platform, portal, lambda ds, portal: _dcat_record(ds, portal, platform, legacy))


def _without_self_entries(items: Iterable, portal: str | None, skipped: list[dict]) -> Iterator:
    for item in items:
        if isinstance(item, dict) and _describes_catalog_file(item, portal):
            skipped.append(item)
            continue
        yield item


def _describes_catalog_file(entry: dict, portal: str | None) -> bool:
    """A v1.0 entry that describes the catalog file itself: its identifier is a ``.../data.json`` URL, or
    its accessURL or webService is one on the portal's own host (any host when the portal is unknown; a
    dataset may well link to another publisher's catalog)."""
    own_host = _host(portal) if portal else None
    for key in ("identifier", "accessURL", "webService"):
        value = entry.get(key)
        if not isinstance(value, str) or "://" not in value:
            continue
        try:
            url = urlsplit(value.strip())
        except ValueError:
            continue
        if url.path.rstrip("/").lower().endswith("/data.json") and (
                key == "identifier" or own_host is None or _host(url.netloc) == own_host):
            return True
    return False


def _host(value: str) -> str:
    host = urlsplit(value).netloc if "://" in value else value
    host = host.rsplit("@", 1)[-1].split(":", 1)[0].strip().lower().rstrip(".")
    return host.removeprefix("www.")


def _dcat_head(raw: bytes, jsonapi: bool = False) -> tuple[str, bool]:
    """Check the envelope without reading the entries. Returns (kind, declares conformsTo):

    - ``catalog``: a top-level object whose ``dataset`` is an array (DCAT-US 1.1);
    - ``legacy``: a top-level array of objects (Project Open Data v1.0);
    - ``jsonapi`` (only when asked): a top-level object with a ``data`` object or array (ArcGIS Hub v3);
    - ``ogc`` (only when asked): a GeoJSON feature collection or feature (the Hub Search API).

    Only the top-level keys before ``dataset`` are walked; a ``conformsTo`` placed after the entries is
    found by a plain byte search."""
    conforms = False
    try:
        events = ijson.parse(raw, use_float=True)
        prefix, event, _ = next(events)
        if event == "start_array":
            _, first, _ = next(events)
            if first not in ("start_map", "end_array"):
                raise CatalogFormatError("a top-level array whose entries are not objects is not a catalog")
            return "legacy", False
        if event != "start_map":
            raise CatalogFormatError(f"expected a JSON object or array, got {event}")
        for prefix, event, value in events:
            if prefix == "conformsTo" and event == "string":
                conforms = bool(value.strip())
            elif prefix == "dataset":
                if event != "start_array":
                    raise CatalogFormatError("DCAT-US catalog without a dataset list")
                return "catalog", conforms or b'"conformsTo"' in raw
            elif jsonapi and prefix == "data" and event in ("start_map", "start_array"):
                return "jsonapi", False
            elif jsonapi and ((prefix == "features" and event == "start_array")
                              or (prefix == "type" and event == "string" and value == "Feature")):
                return "ogc", False
            elif prefix == "" and event == "end_map":
                break
    except StopIteration as exc:
        raise CatalogFormatError("malformed JSON: empty or truncated body") from exc
    except (ijson.JSONError, UnicodeDecodeError) as exc:
        raise CatalogFormatError(f"malformed JSON: {_stream_error(exc)}") from exc
    raise CatalogFormatError("DCAT-US catalog without a dataset list")


def _stream_error(exc: Exception) -> str:
    """The streaming parser's (yajl's) message in one line of text: it comes as bytes holding the offending
    body and a caret drawn under it, which would print as raw bytes over several lines."""
    message = exc.args[0] if isinstance(exc, ijson.JSONError) and exc.args else str(exc)
    if isinstance(message, bytes):
        message = message.decode("utf-8", "backslashreplace")
    lines = [line.strip() for line in str(message).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def _dcat_record(ds: dict, portal: str | None, platform: str, legacy: bool = False) -> DatasetRecord:
    """One DCAT-US entry. ``legacy``: POD v1.0 field meanings, where a distribution's ``accessURL`` is
    the download itself and ``webService`` is the API endpoint (v1.1 renamed them ``downloadURL`` and
    ``accessURL``); v1.0 also has ``publisher``/``contactPoint`` (``person`` in drafts) as plain strings, ``mbox``, and
    (Socrata) ``keyword`` as one comma-separated string and distribution ``formats[]``."""
    formats = [f for f in (_media_type(ds.get("format")),) if f] if legacy else []
    api = legacy and bool(text(ds.get("webService")))
    for d in _list(ds.get("distribution")):
        if not isinstance(d, dict):
            continue
        fmt = _media_type(d.get("format") or d.get("mediaType"))
        if fmt:
            formats.append(fmt)
        for f in _list(d.get("formats")):    # Socrata's v1.0 files: [{"label": "csv", "value": "text/csv"}]
            fmt = _media_type(_obj(f).get("value") or _obj(f).get("label"))
            if fmt:
                formats.append(fmt)
        if legacy:
            api = api or bool(d.get("webService"))
        elif d.get("accessURL") and not d.get("downloadURL"):
            formats.append("api")
    if api:
        formats.append("api")
    point = ds.get("contactPoint")
    if isinstance(point, dict):
        contact = text(point.get("hasEmail") or point.get("fn"))
    else:
        contact = (text(ds.get("mbox")) or text(point if isinstance(point, str) else None)
                   or text(ds.get("person")))     # early v1.0 drafts: person/mbox
    keywords = _keywords(ds.get("keyword")) or _keywords(ds.get("keywords"))
    themes = [t for t in (_list(ds.get("theme")) or [ds.get("theme")]) if isinstance(t, str) and t.strip()]
    rec = DatasetRecord(
        platform=platform, portal=portal, id=text(ds.get("identifier")), title=text(ds.get("title")),
        updated_at=parse_time(ds.get("modified")), department=text(ds.get("publisher")),
        description=text(ds.get("description")), license=text(ds.get("license")), contact=contact,
        tags=keywords + [str(t) for t in themes], formats=formats, api_access="api" in formats)
    _flag(rec, ds, required=("identifier", "title", "modified"))
    return rec


def _keywords(value) -> list[str]:
    """Keywords as a list: v1.1 gives an array; Socrata's v1.0 files give one comma-separated string."""
    if isinstance(value, str):
        return [k.strip() for k in value.split(",") if k.strip()]
    return [str(k) for k in _list(value) if k is not None and str(k).strip()]


def _media_type(value) -> str | None:
    """A format or media type without parameters ("application/zip; charset=binary" -> "application/zip")."""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        return None
    value = str(value).split(";", 1)[0].strip()
    return value or None


def _hub_v3_page(data: dict, portal: str | None) -> CatalogPage:
    """ArcGIS Hub v3 JSON:API (``/api/v3/datasets`` and ``/api/v3/datasets/<id>``): ``data`` is one
    resource or a list of them, each ``{id, type, attributes}``; a search reports ``meta.stats.totalCount``."""
    items = data.get("data")
    total: int | None
    if isinstance(items, dict):
        items, total = [items], 1
    elif isinstance(items, list):
        stats = _obj(_obj(data.get("meta")).get("stats"))
        total = _int(stats.get("totalCount") if "totalCount" in stats else stats.get("count"))
    else:
        raise CatalogFormatError("ArcGIS Hub v3 document without data")
    return CatalogPage("arcgis_hub", _entries(items, "arcgis_hub", portal, _hub_v3_record), total,
                       ["ArcGIS Hub v3 JSON:API document"])


def _hub_v3_record(item: dict, portal: str | None) -> DatasetRecord:
    attrs = _obj(item.get("attributes"))
    kind = str(attrs.get("type") or "").lower()
    has_api = attrs.get("hasApi") is True
    rec = DatasetRecord(
        platform="arcgis_hub", portal=portal, id=_id(item.get("id") or attrs.get("id")), title=text(attrs.get("name")),
        type=("dataset" if has_api or any(k in kind for k in ("layer", "table", "csv", "feature"))
              else "map" if "map" in kind else "file" if kind in ("pdf", "microsoft word", "microsoft excel",
                                                                 "document link", "image") else "other"),
        updated_at=parse_time(attrs.get("modified") or attrs.get("itemModified")),
        department=text(attrs.get("orgTitle")) or text(attrs.get("source")) or text(attrs.get("owner")),
        description=text(attrs.get("searchDescription") or attrs.get("description") or attrs.get("snippet")),
        license=text(_obj(attrs.get("structuredLicense")).get("type") or attrs.get("license")),
        tags=[str(t) for t in _list(attrs.get("tags")) if t is not None],
        formats=["api"] if has_api else [], api_access=has_api)
    _flag(rec, item, required=("id",))
    if not rec.title:
        rec.issues.append("missing name")
    return rec


def _is_ogc(data: dict) -> bool:
    return isinstance(data.get("features"), list) or (data.get("type") == "Feature"
                                                       and isinstance(data.get("properties"), dict))


#: ArcGIS item types served as a queryable service: the data is there through an API, not only a file.
_HUB_SERVICE = re.compile(r"(\bservice|\bwfs|\bwms|\bwmts|ogcfeatureserver)$", re.I)


def _hub_ogc_page(data: dict, portal: str | None) -> CatalogPage:
    """ArcGIS Hub Search API (OGC API - Records, ``/api/search/v1/collections/<id>/items[/<item>]``): a
    GeoJSON ``FeatureCollection`` whose ``features[].properties`` are the ArcGIS items, with the total
    in ``numberMatched``; or one ``Feature``."""
    if isinstance(data.get("features"), list):
        items, total = data["features"], _int(data.get("numberMatched"))
        if items and not any(_looks_like_hub_item(f) for f in items):
            raise CatalogFormatError("a feature collection whose features are not ArcGIS items (a map layer's "
                                     "features, perhaps: Hub's search gives each item's type and owner)")
    elif _is_ogc(data):
        items, total = [data], 1
    else:
        raise CatalogFormatError("ArcGIS Hub search response without features")
    return CatalogPage("arcgis_hub", _entries(items, "arcgis_hub", portal, _hub_ogc_record), total,
                       ["ArcGIS Hub Search API (OGC API - Records) document"])


def _looks_like_hub_item(feature) -> bool:
    props = feature.get("properties") if isinstance(feature, dict) else None
    return isinstance(props, dict) and "type" in props and any(
        key in props for key in ("owner", "orgId", "access", "typeKeywords"))


def _hub_ogc_record(feature: dict, portal: str | None) -> DatasetRecord:
    """The item's own fields under v3's names, then read as a v3 resource: one mapping for both APIs."""
    props = feature.get("properties")
    if not isinstance(props, dict):
        raise TypeError("feature without properties")
    attrs = dict(props, name=props.get("title") or props.get("name"), license=props.get("licenseInfo") or None,
                 hasApi=bool(_HUB_SERVICE.search(str(props.get("type") or ""))))
    return _hub_v3_record({"id": feature.get("id") or props.get("id"), "attributes": attrs}, portal)


def _entries(items: Iterable, platform: str, portal: str | None,
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
            rec = build(item, portal)
        except (TypeError, AttributeError, ValueError, OverflowError) as exc:
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
    if isinstance(value, bool):     # JSON true is not a number, though Python counts it as 1
        return None
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):     # JSON allows 1e400 and Infinity
        return None


PARSERS: dict[str, Callable[..., CatalogPage]] = {
    "socrata": parse_socrata, "ckan": parse_ckan, "opendatasoft": parse_opendatasoft, "dcat": parse_dcat,
    "arcgis_hub": lambda body, portal=None: parse_dcat(body, portal, platform="arcgis_hub"),
}
