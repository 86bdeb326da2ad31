"""Property-based tests: whatever a portal answers, a parser returns a page or a CatalogFormatError.

Real catalogs carry every defect imaginable (nulls, numbers where strings belong, objects where lists
belong, truncated bodies). The contract the survey relies on: no other exception escapes a parser, and a
page that parses keeps one record per catalog entry, so counts never silently shrink. (An OpenDataSoft or
Socrata page none of whose entries is a catalog entry is another API's list in the same envelope: refused.)
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sources.portals.parsers import PARSERS, CatalogFormatError, CatalogPage

_SCALARS = st.none() | st.booleans() | st.integers(-10**12, 10**13) | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12)
_JSON = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4)
                     | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)

#: Field names the parsers read, so generated entries hit the real code paths with wrong types.
_FIELDS = {
    "socrata": ["resource", "classification", "metadata", "id", "name", "type", "updatedAt", "data_updated_at",
                "attribution", "description", "license", "domain", "columns_description", "domain_tags", "tags"],
    "ckan": ["id", "name", "title", "type", "metadata_modified", "organization", "notes", "license_id",
             "license_title", "maintainer_email", "tags", "resources", "format", "datastore_active"],
    "opendatasoft": ["dataset_id", "metas", "default", "title", "modified", "publisher", "license", "keyword",
                     "fields", "description", "has_records"],
    "dcat": ["identifier", "title", "modified", "publisher", "description", "license", "contactPoint",
             "keyword", "theme", "distribution", "format", "mediaType", "accessURL", "downloadURL",
             # Project Open Data v1.0 (bare-array catalogs) and Socrata's v1.0 distributions
             "webService", "mbox", "person", "keywords", "formats", "label", "value"],
}
_FIELDS["arcgis_hub"] = _FIELDS["dcat"]


def _entry(platform: str) -> st.SearchStrategy:
    keys = st.sampled_from(_FIELDS[platform])
    return _JSON | st.dictionaries(keys, _JSON | st.dictionaries(keys, _JSON, max_size=4), max_size=8)


#: Keys one of which some entry of a catalog page must have: OpenDataSoft's records endpoint answers in its
#: catalog's envelope, and the same ``{"results": [...]}`` shape reaches the Socrata parser by mistake.
_ENTRY_KEYS = {"opendatasoft": {"dataset_id", "datasetid", "metas"}, "socrata": {"resource"}}


def _names_a_dataset(platform: str, entry) -> bool:
    return isinstance(entry, dict) and bool(_ENTRY_KEYS[platform] & set(entry))


def _envelope(platform: str, entries: list, total) -> dict:
    if platform == "socrata":
        return {"results": entries, "resultSetSize": total}
    if platform == "ckan":
        return {"success": True, "result": {"count": total, "results": entries}}
    if platform == "opendatasoft":
        return {"total_count": total, "results": entries}
    return {"conformsTo": "https://project-open-data.cio.gov/v1.1/schema", "dataset": entries}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_entries_parse_to_one_record_each(data: st.DataObject) -> None:
    platform = data.draw(st.sampled_from(sorted(PARSERS)))
    entries = data.draw(st.lists(_entry(platform), max_size=6))
    total = data.draw(_SCALARS)
    body = json.dumps(_envelope(platform, entries, total)).encode()
    if platform in _ENTRY_KEYS and entries and not any(_names_a_dataset(platform, e) for e in entries):
        with pytest.raises(CatalogFormatError):     # no entry is a dataset: another API's list, not a catalog
            PARSERS[platform](body, "portal.example")
        return
    page = PARSERS[platform](body, "portal.example")
    assert isinstance(page, CatalogPage)
    assert len(page.records) == len(entries)
    for rec, raw in zip(page.records, entries, strict=True):
        assert rec.id is None or isinstance(rec.id, str)
        if not isinstance(raw, dict):
            assert rec.issues == ["entry is not an object"]


@settings(max_examples=60, deadline=None)
@given(platform=st.sampled_from(sorted(PARSERS)), body=st.binary(max_size=64) | _JSON.map(lambda v: json.dumps(v).encode()))
def test_arbitrary_bodies_give_a_page_or_a_format_error(platform: str, body: bytes) -> None:
    try:
        page = PARSERS[platform](body, "portal.example")
    except CatalogFormatError:
        return
    assert isinstance(page, CatalogPage)


@settings(max_examples=40, deadline=None)
@given(platform=st.sampled_from(sorted(PARSERS)), cut=st.integers(1, 400))
def test_truncated_bodies_are_format_errors(platform: str, cut: int) -> None:
    entry = {k: "x" for k in _FIELDS[platform]}
    body = json.dumps(_envelope(platform, [entry, entry], 2)).encode()
    truncated = body[: min(cut, len(body) - 1)]
    try:
        PARSERS[platform](truncated, "portal.example")
    except CatalogFormatError:
        return
    raise AssertionError("a truncated body parsed")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_legacy_v1_arrays_parse_to_one_record_per_entry(data: st.DataObject) -> None:
    """Project Open Data v1.0: the catalog is a bare array. Entries that are objects each give a record (the
    file's own self-description aside); an array whose first entry is not an object is no catalog."""
    platform = data.draw(st.sampled_from(["dcat", "arcgis_hub"]))
    entries = data.draw(st.lists(st.dictionaries(st.sampled_from(_FIELDS["dcat"]), _JSON, max_size=8)
                                 | _entry("dcat"), max_size=6))
    try:
        page = PARSERS[platform](json.dumps(entries).encode(), "portal.example")
    except CatalogFormatError:
        assert entries and not isinstance(entries[0], dict)
        return
    assert len(page.records) + page.skipped == len(entries)
    assert page.notes and "v1.0" in page.notes[0]


@settings(max_examples=40, deadline=None)
@given(cut=st.integers(1, 400))
def test_truncated_legacy_arrays_are_format_errors(cut: int) -> None:
    entry = {k: "x" for k in _FIELDS["dcat"]}
    body = json.dumps([entry, entry]).encode()
    try:
        PARSERS["dcat"](body[: min(cut, len(body) - 1)], "portal.example")
    except CatalogFormatError:
        return
    raise AssertionError("a truncated body parsed")
