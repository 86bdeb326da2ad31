"""Portal catalog parsers on real recorded responses and on the simulated web's five formats."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipelines.cli import main as cli
from sources.http.fetcher import Fetcher
from sources.portals.parsers import PARSERS, CatalogFormatError, parse_socrata
from sources.portals.profile import profile
from sources.portals.records import DatasetRecord
from tests.conftest import REALDATA
from tests.simweb.faults import FaultPlan
from tests.simweb.population import build_population
from tests.simweb.server import SimWeb

PORTALS = REALDATA / "portals"


def _recorded() -> list[tuple[str, Path, dict]]:
    if not PORTALS.exists():
        return []
    out = []
    for meta_path in sorted(PORTALS.glob("*/*.meta.json")):
        meta = json.loads(meta_path.read_text())
        body = meta_path.with_name(meta_path.name.replace(".meta.json", ".json"))
        out.append((meta_path.parent.name, body, meta))
    return out


RECORDED = _recorded()


@pytest.mark.skipif(not RECORDED, reason="recorded portal responses not available in ../shared/realdata/portals")
@pytest.mark.parametrize(("platform", "path", "meta"), RECORDED, ids=[p.name for _, p, _ in RECORDED] or None)
def test_recorded_responses_parse_to_their_expected_counts(platform: str, path: Path, meta: dict) -> None:
    page = PARSERS[platform](path.read_bytes())
    expect = meta.get("expect") or {}
    if "dataset_count" in expect:
        assert len(page.records) == expect["dataset_count"], "entries with bad fields are flagged, not dropped"
    facts = meta.get("facts") or {}
    if "results_in_page" in facts:
        assert len(page.records) == facts["results_in_page"]
    if "resultSetSize" in facts:
        assert page.total == facts["resultSetSize"]
    if "domains" in facts:
        assert {r.portal for r in page.records} == set(facts["domains"])


def test_defective_dcat_entries_are_flagged() -> None:
    path = PORTALS / "dcat" / "gsa_missing-identifier-title.json"
    if not path.exists():
        pytest.skip("recorded DCAT sample not available in ../shared/realdata/portals")
    page = PARSERS["dcat"](path.read_bytes())
    flagged = [r.issues for r in page.records if r.issues]
    assert any("missing identifier" in i for i in flagged) and any("missing title" in i for i in flagged)


def test_socrata_fields_map_to_the_record() -> None:
    path = PORTALS / "socrata" / "sodapy_catalog_v1_sample.json"
    if not path.exists():
        pytest.skip("recorded Socrata sample not available in ../shared/realdata/portals")
    page = parse_socrata(path.read_bytes())
    permits = next(r for r in page.records if r.id == "msk6-43c6")
    assert permits.title == "Approved Building Permits" and permits.portal == "data.cityofboston.gov"
    assert permits.department == "Inspectional Services Division"
    assert permits.column_descriptions is False and permits.updated_at.year == 2017


def _pages(fetch, platform: str, host: str) -> list[bytes]:
    """Walk a catalog with the platform's own paging, as a client of the real API would."""
    bodies, offset = [], 0
    while True:
        if platform == "socrata":
            url = f"https://{host}/api/catalog/v1?domains={host}&limit=100&offset={offset}"
        elif platform == "ckan":
            url = f"https://{host}/api/3/action/package_search?rows=1000&start={offset}"
        elif platform == "opendatasoft":
            url = f"https://{host}/api/explore/v2.1/catalog/datasets?limit=100&offset={offset}"
        else:
            url = f"https://{host}/data.json"
        result = fetch(url)
        assert result.ok, result.error
        bodies.append(result.body)
        page = PARSERS[platform](result.body)
        offset += len(page.records)
        if platform in ("dcat", "arcgis_hub") or not page.records or offset >= (page.total or 0):
            return bodies


@pytest.mark.parametrize("platform", ["socrata", "ckan", "arcgis_hub", "opendatasoft", "dcat"])
def test_simulated_portals_page_to_their_declared_totals(platform: str, tmp_path: Path) -> None:
    pop = build_population(60, seed=3)
    city = max((c for c in pop.cities if c.platform == platform), key=lambda c: c.n_datasets)
    with SimWeb(pop) as sim, Fetcher(sim.fetcher_config(), run_dir=tmp_path) as f:
        bodies = _pages(f.get, platform, city.portal_host)
    records = [r for b in bodies for r in PARSERS[platform](b, city.portal_host).records]
    assert len(records) == city.n_datasets
    assert len({r.id for r in records}) == len(records)
    assert all(r.updated_at is not None for r in records)
    prof = profile(records, as_of=datetime(2026, 10, 31, tzinfo=UTC))
    assert prof["dataset_count"] == city.n_datasets and 0 <= prof["updated_365d_share"] <= 1


def test_empty_catalog_profiles_to_zero(tmp_path: Path) -> None:
    pop = build_population(60, seed=3)
    city = next(c for c in pop.cities if c.platform == "ckan")
    faults = FaultPlan().add(city.portal_host, "empty_catalog")
    with SimWeb(pop, faults=faults) as sim, Fetcher(sim.fetcher_config(), run_dir=tmp_path) as f:
        body = f.get(f"https://{city.portal_host}/api/3/action/package_search?rows=10&start=0").body
    page = PARSERS["ckan"](body)
    assert page.total == 0 and profile(page.records)["dataset_count"] == 0


@pytest.mark.parametrize("body", [b'{"results": [{"resource": {"name": "cut', b'["a", 2]', b'{"nothing": 1}'])
def test_malformed_catalogs_raise_a_format_error(body: bytes) -> None:
    with pytest.raises(CatalogFormatError):
        parse_socrata(body)


def test_profile_metrics_and_signal_phrases() -> None:
    as_of = datetime(2026, 10, 31, tzinfo=UTC)
    recs = [
        DatasetRecord("dcat", "p", "1", "City Data Inventory", updated_at=datetime(2026, 10, 1, tzinfo=UTC),
                      description="All datasets", license="CC0", department="IT", formats=["CSV"]),
        DatasetRecord("dcat", "p", "2", "Police Performance Measures", updated_at=datetime(2025, 1, 1, tzinfo=UTC),
                      department="Police", formats=["PDF"]),
        DatasetRecord("dcat", "p", "3", "Performance bond releases", updated_at=None, department="Finance"),
    ]
    prof = profile(recs, as_of=as_of)
    assert prof["dataset_count"] == 3 and prof["updated_90d_share"] == round(1 / 3, 4)
    assert prof["updated_365d_share"] == round(1 / 3, 4) and prof["median_days_since_update"] == (30 + 668) / 2
    assert prof["described_share"] == round(1 / 3, 4) and prof["licensed_share"] == round(1 / 3, 4)
    assert prof["machine_readable_share"] == round(1 / 3, 4) and prof["departments"] == 3
    assert prof["has_data_inventory"] and prof["performance_datasets"] == 1


def test_profile_portal_cli(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    page = tmp_path / "page.json"
    page.write_text(json.dumps({"total_count": 2, "results": [
        {"dataset_id": "a", "metas": {"default": {"title": "Budget", "modified": "2026-10-01T00:00:00Z",
                                                  "license": "ODbL", "description": "x"}}},
        {"dataset_id": "b", "metas": {"default": {"title": "Permits", "modified": "2020-01-01T00:00:00Z"}}}]}))
    assert cli(["profile-portal", "--platform", "opendatasoft", str(page), "--as-of", "2026-10-31"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["dataset_count"] == 2 and out["updated_365d_share"] == 0.5
    assert out["described_share"] == 0.5 and out["licensed_share"] == 0.5
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert cli(["profile-portal", "--platform", "ckan", str(bad)]) == 1
    assert "not a catalog page of ckan" in capsys.readouterr().err


def test_portal_suites_accept_survey_output_and_quarantine_bad_rows() -> None:
    import pandas as pd

    from expectations.runner import quarantine, validate
    from sources.portals.survey import DATASET_COLUMNS

    rows = [dict.fromkeys(DATASET_COLUMNS) | {"portal_host": "data.a.example",
                                               "platform": "ckan", "dataset_id": str(i), "type": "dataset",
                                               "has_description": True, "machine_readable": False}
            for i in range(3)]
    rows[1]["type"] = "spreadsheet"
    frame = pd.DataFrame(rows, columns=DATASET_COLUMNS)
    clean, bad = quarantine(frame, "portal_datasets", key_columns=["portal_host", "dataset_id"])
    assert len(clean) == 2 and bad["column"].tolist() == ["type"]
    assert validate(clean, "portal_datasets").success


def test_legacy_v1_array_is_a_catalog_without_its_self_entry() -> None:
    """Project Open Data v1.0 (2013): a bare array; the entry whose identifier is the data.json file
    describes the file, not a dataset. v1.0 names: accessURL is the download, webService the API,
    publisher/contactPoint are strings, mbox is the email; Socrata gave keyword as one string."""
    body = json.dumps([
        {"identifier": "https://data.example.gov/data.json", "title": "Project Open Data, /data.json file",
         "modified": "2013-08-28", "webService": "https://data.example.gov/data.json", "format": "application/json"},
        {"identifier": "abcd-1234", "title": "Permits", "modified": "2013-07-16", "publisher": "City of Example",
         "contactPoint": "Jane Doe", "mbox": "jane@example.gov", "keyword": "permits, buildings",
         "accessURL": "https://data.example.gov/api/views/abcd-1234/rows.csv", "format": "text/csv; charset=utf-8",
         "webService": "https://data.example.gov/resource/abcd-1234",
         "distribution": [{"accessURL": "https://data.example.gov/x.json",
                           "formats": [{"label": "json", "value": "application/json"}]}]},
        {"identifier": "efgh-5678", "title": "Map", "modified": "2012-01-01",
         "accessURL": "https://data.example.gov/file.csv", "format": "text/csv; charset=binary"},
    ]).encode()
    page = PARSERS["dcat"](body, "data.example.gov")
    assert [r.id for r in page.records] == ["abcd-1234", "efgh-5678"] and page.skipped == 1 and page.total == 2
    permits, csv_file = page.records
    assert permits.department == "City of Example" and permits.contact == "jane@example.gov"
    assert permits.tags == ["permits", "buildings"] and permits.api_access
    assert "text/csv" in permits.formats and "application/json" in permits.formats
    assert csv_file.formats == ["text/csv"] and csv_file.machine_readable and not csv_file.api_access
    prof = profile(page.records, as_of=datetime(2013, 8, 28, tzinfo=UTC))
    assert prof["dataset_count"] == 2 and prof["updated_365d_share"] == 0.5
    with pytest.raises(CatalogFormatError):
        PARSERS["dcat"](b"[1, 2]")


def test_socrata_view_metadata() -> None:
    from sources.portals.parsers import parse_socrata_view

    view = {"id": "zidz-sdfj", "name": "Landmark Districts", "viewType": "tabular", "assetType": "dataset",
            "rowsUpdatedAt": 1313894849, "viewLastModified": 1700000000, "attribution": "Planning",
            "columns": [{"fieldName": "a", "description": ""}, {"fieldName": "b", "description": "Name"}]}
    parsed = parse_socrata_view(json.dumps(view).encode(), "data.example.gov")
    assert (parsed.id, parsed.name, parsed.column_count, parsed.rows_updated_at) == (
        "zidz-sdfj", "Landmark Districts", 2, 1313894849)
    assert parsed.updated_at == datetime(2011, 8, 21, 2, 47, 29, tzinfo=UTC)
    assert parsed.record.column_descriptions is True and parsed.record.api_access
    page = parse_socrata(json.dumps(view).encode())     # profile-portal accepts a view as a one-dataset page
    assert len(page.records) == 1 and page.total is None
    with pytest.raises(CatalogFormatError):
        parse_socrata_view(b'{"id": "not a 4x4", "columns": []}')


def test_arcgis_hub_v3_document() -> None:
    doc = {"data": {"id": "afcf88c4", "type": "dataset", "attributes": {
        "name": "Zoning", "type": "Feature Layer", "hasApi": True, "modified": 1571933048000, "tags": ["zoning"]}}}
    page = PARSERS["arcgis_hub"](json.dumps(doc).encode())
    (rec,) = page.records
    assert rec.id == "afcf88c4" and rec.title == "Zoning" and rec.api_access and rec.updated_at.year == 2019
    with pytest.raises(CatalogFormatError):
        PARSERS["dcat"](json.dumps(doc).encode())    # a v3 document is Hub's, not a DCAT-US catalog


def _ods_dataset(dataset_id: str, modified: str, *, v1: bool = False) -> dict:
    """One dataset as the Explore API describes it: v2 nests its metadata under metas.default, v1 keeps
    it directly under metas and names the id ``datasetid``."""
    meta = {"title": dataset_id.replace("-", " ").title(), "modified": modified, "publisher": "Public Works",
            "keyword": ["streets"], "license": "Open Database License (ODbL)", "description": "<p>Rows.</p>"}
    fields = [{"name": "street", "type": "text", "label": "Street", "description": "Street name"}]
    if v1:
        return {"datasetid": dataset_id, "metas": meta, "has_records": True, "fields": fields, "features": []}
    return {"dataset_id": dataset_id, "dataset_uid": "da_" + dataset_id[:6], "has_records": True,
            "metas": {"default": meta}, "fields": fields, "features": ["analyze"]}


def test_opendatasoft_catalogs_of_every_api_version_profile_alike() -> None:
    """v2.1 (results[]), v2.0 (datasets[].dataset, with links) and v1 (datasets[] with datasetid, flat metas,
    nhits) describe the same two datasets; each reads to the same records and total."""
    a, b = ("street-trees", "2024-05-01T10:00:00+00:00"), ("paving-plan", "2019-02-01T00:00:00+00:00")
    v21 = {"total_count": 40, "results": [_ods_dataset(*a), _ods_dataset(*b)]}
    v20 = {"total_count": 40, "links": [{"href": "https://data.example.gov/api/v2/catalog/datasets", "rel": "self"}],
           "datasets": [{"links": [], "dataset": _ods_dataset(*a)}, {"links": [], "dataset": _ods_dataset(*b)}]}
    v1 = {"nhits": 40, "parameters": {"rows": 10, "start": 0, "format": "json", "timezone": "UTC"},
          "datasets": [_ods_dataset(*a, v1=True), _ods_dataset(*b, v1=True)]}
    as_of = datetime(2024, 12, 1, tzinfo=UTC)
    profiles = []
    for body in (v21, v20, v1):
        page = PARSERS["opendatasoft"](json.dumps(body).encode(), "data.example.gov")
        assert [r.id for r in page.records] == ["street-trees", "paving-plan"] and page.total == 40
        assert all(not r.issues and r.department == "Public Works" and r.column_descriptions for r in page.records)
        profiles.append(profile(page.records, as_of=as_of, reported_total=page.total))
    assert profiles[0] == profiles[1] == profiles[2] and profiles[0]["updated_365d_share"] == 0.5


def test_opendatasoft_dataset_lookup_is_a_one_dataset_page() -> None:
    for body in (_ods_dataset("street-trees", "2024-05-01"), {"links": [], "dataset": _ods_dataset("street-trees",
                 "2024-05-01")}, _ods_dataset("street-trees", "2024-05-01", v1=True)):
        page = PARSERS["opendatasoft"](json.dumps(body).encode())
        assert [r.id for r in page.records] == ["street-trees"] and page.total is None and page.notes
    with pytest.raises(CatalogFormatError):
        PARSERS["opendatasoft"](b'{"total_count": 3}')


def _ckan_package(name: str, modified: str) -> dict:
    return {"id": f"id-{name}", "name": name, "title": name.title(), "type": "dataset", "metadata_modified": modified,
            "notes": "Rows.", "license_id": "cc-by", "license_title": "Creative Commons Attribution",
            "organization": {"name": "public-works", "title": "Public Works"}, "tags": [{"name": "streets"}],
            "resources": [{"format": "CSV", "datastore_active": True}]}


def test_ckan_catalog_from_each_action_it_is_read_with() -> None:
    """package_search is the catalog page; current_package_list_with_resources, package_show and
    package_list are read too, each with what it can say (package_list: names only)."""
    pkgs = [_ckan_package("permits", "2024-06-01T12:00:00.123456"), _ckan_package("parcels", "2020-01-01T00:00:00")]
    with_resources = PARSERS["ckan"](json.dumps({"success": True, "result": pkgs}).encode())
    assert [r.id for r in with_resources.records] == ["id-permits", "id-parcels"] and with_resources.total is None
    assert with_resources.records[0].department == "public-works" and with_resources.records[0].api_access
    show = PARSERS["ckan"](json.dumps({"help": "…package_show", "success": True, "result": pkgs[0]}).encode())
    assert [r.title for r in show.records] == ["Permits"] and show.notes
    names = PARSERS["ckan"](json.dumps({"success": True, "result": ["permits", "parcels", "budget"]}).encode())
    assert [r.id for r in names.records] == ["permits", "parcels", "budget"] and names.total == 3
    assert profile(names.records)["dataset_count"] == 3 and profile(names.records)["updated_365d_share"] == 0.0
    with pytest.raises(CatalogFormatError):
        PARSERS["ckan"](b'{"success": true, "result": {"count": 2}}')
    with pytest.raises(CatalogFormatError):
        PARSERS["ckan"](b'{"success": false, "error": {"__type": "Not Found Error", "message": "Not found"}}')


def test_socrata_list_of_views_is_a_catalog_without_a_total() -> None:
    """``/api/views.json``: a bare array of view objects, columns left out, types from displayType."""
    views = [{"id": "abcd-1234", "name": "Permits", "viewType": "tabular", "displayType": "table",
              "rowsUpdatedAt": 1717243200, "category": "Housing", "tags": ["permits"]},
             {"id": "efgh-5678", "name": "Council map", "viewType": "geo", "displayType": "map",
              "viewLastModified": 1500000000},
             {"id": "ijkl-9012", "name": "Annual report", "viewType": "blobby", "displayType": "blob",
              "viewLastModified": 1600000000}]
    page = parse_socrata(json.dumps(views).encode(), "data.example.gov")
    assert [(r.id, r.type) for r in page.records] == [("abcd-1234", "dataset"), ("efgh-5678", "map"),
                                                     ("ijkl-9012", "file")]
    assert page.total is None and page.records[0].api_access and page.records[0].column_descriptions is None
    assert page.records[0].updated_at == datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
    assert parse_socrata(b"[]").records == []


def test_arcgis_hub_search_api_feature_collection() -> None:
    """The Hub Search API (OGC API - Records): features[].properties are ArcGIS items, numberMatched the
    total; a service type is data behind an API, a PDF a file, a web map a map."""
    def item(item_id: str, title: str, kind: str, modified_ms: int) -> dict:
        return {"id": item_id, "type": "Feature", "geometry": None, "time": None,
                "links": [{"rel": "self", "href": f"https://hub.example.gov/api/search/v1/items/{item_id}"}],
                "properties": {"id": item_id, "title": title, "type": kind, "modified": modified_ms,
                               "owner": "gis_admin", "tags": ["city"], "licenseInfo": "", "access": "public",
                               "snippet": f"{title}.", "typeKeywords": ["Data"]}}
    body = {"type": "FeatureCollection", "numberMatched": 812, "numberReturned": 3, "timeStamp": "2024-12-01T00:00:00Z",
            "links": [{"rel": "next", "href": "https://hub.example.gov/api/search/v1/collections/dataset/items?startindex=4"}],
            "features": [item("a1", "Parcels", "Feature Service", 1730000000000),
                         item("b2", "Annual Report", "PDF", 1500000000000),
                         item("c3", "Zoning Map", "Web Map", 1720000000000)]}
    for raw in (json.dumps(body).encode(), body):
        page = PARSERS["arcgis_hub"](raw, "hub.example.gov")
        assert page.total == 812 and [(r.id, r.type, r.api_access) for r in page.records] == [
            ("a1", "dataset", True), ("b2", "file", False), ("c3", "map", False)]
        assert page.records[0].updated_at.year == 2024 and page.records[0].department == "gis_admin"
    (one,) = PARSERS["arcgis_hub"](json.dumps(body["features"][0]).encode()).records
    assert one.title == "Parcels"
    with pytest.raises(CatalogFormatError):
        PARSERS["dcat"](json.dumps(body).encode())      # a Hub search document is not a DCAT-US catalog


@pytest.mark.parametrize("body", [b'{"dataset": [ {"identifier": \x1e\xda } ] }', b'{"dataset": [ {"identifier": "a", ',
                                  bytes(range(128, 256))])
@pytest.mark.parametrize("platform", ["dcat", "arcgis_hub"])
def test_a_streamed_catalogs_format_error_is_one_line_of_text(platform: str, body: bytes) -> None:
    """The streaming parser words its errors as bytes with the body and a caret under it; a user sees one
    line of text saying what is wrong."""
    with pytest.raises(CatalogFormatError) as caught:
        PARSERS[platform](body)
    message = str(caught.value)
    assert message.startswith("malformed JSON: ") and "\n" not in message and "b'" not in message
    assert 'b"' not in message and "\\x" not in message, message


def test_the_same_page_given_twice_counts_its_datasets_once(tmp_path: Path, capsys) -> None:
    page = tmp_path / "page.json"
    page.write_text(json.dumps({"total_count": 2, "results": [_ods_dataset("trees", "2026-01-01"),
                                                              _ods_dataset("parks", "2025-01-01")]}))
    assert cli(["profile-portal", "--platform", "opendatasoft", str(page), str(page), "--as-of", "2026-06-01"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["dataset_count"], out["reported_total"], out["pages"]) == (2, 2, 2)
    assert any("2 entries repeated an id already read" in n for n in out["notes"])


@pytest.mark.parametrize("count", [1e20, 10**20, -5, True], ids=["float", "beyond-bigint", "negative", "true"])
def test_a_total_no_catalog_could_have_is_noted_and_ignored(count: object, tmp_path: Path, capsys) -> None:
    """A reported total past a BIGINT stopped a whole run at publish; a negative one or JSON true became a
    total of -5 or 1. Each is left out with a note; the datasets on the page still count."""
    page = tmp_path / "page.json"
    page.write_text(json.dumps({"help": "https://data.example.gov/api/3/action/help_show?name=package_search",
                                "success": True, "result": {"count": count, "results": [
                                    {"id": "a1", "name": "permits", "metadata_modified": "2026-05-01T00:00:00"}]}}))
    assert cli(["profile-portal", "--platform", "ckan", str(page), "--as-of", "2026-06-01"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["reported_total"] is None and out["dataset_count"] == 1
    if count is not True:
        assert any(f"reported total {int(count)} ignored" in n for n in out["notes"]), out["notes"]


def test_look_alike_bodies_are_not_catalogs_and_huge_numbers_are_no_totals() -> None:
    """From a review of the new formats: a dataset's rows (Socrata's or OpenDataSoft's), a CKAN license or
    organization list and a map layer's features each have the shape of a list of objects, but are not catalogs; JSON's 1e400 and deep
    nesting end as a format error or a missing total, never another exception."""
    rows = [{"id": "0", "name": "Riverside Park", "acres": "12.5"}, {"id": "1", "name": "Elm Park"}]
    with pytest.raises(CatalogFormatError):
        parse_socrata(json.dumps(rows).encode())                                  # /resource/<id>.json rows
    filtered = [{"id": "abcd-1234", "name": "Permits", "viewType": "tabular", "displayType": "table"},
                {"id": "wxyz-9876", "name": "Permits, 2024 only", "viewType": "tabular", "displayType": "table",
                 "modifyingViewUid": "abcd-1234"}]
    assert [r.type for r in parse_socrata(json.dumps(filtered).encode()).records] == ["dataset", "other"]
    for action, result in (("license_list", [{"id": "cc-by", "title": "Creative Commons Attribution"}]),
                           ("organization_list", ["public-works", "parks"])):
        body = {"help": f"https://data.example.gov/api/3/action/help_show?name={action}", "success": True,
                "result": result}
        with pytest.raises(CatalogFormatError):
            PARSERS["ckan"](json.dumps(body).encode())
    with pytest.raises(CatalogFormatError):
        PARSERS["ckan"](json.dumps({"success": True, "result": [{"id": "cc-by", "title": "CC BY"}]}).encode())
    names = PARSERS["ckan"](json.dumps({"success": True, "result": ["permits", None, "parcels"]}).encode())
    assert [r.id for r in names.records] == ["permits", None, "parcels"] and names.records[1].issues
    parks = {"type": "FeatureCollection", "numberMatched": 2, "features": [
        {"type": "Feature", "geometry": None, "properties": {"name": "Riverside Park", "type": "park"}}]}
    with pytest.raises(CatalogFormatError):
        PARSERS["arcgis_hub"](json.dumps(parks).encode())
    sd = {"type": "Feature", "id": "s1", "properties": {"title": "Parcels", "type": "Service Definition",
                                                         "owner": "gis", "modified": 1700000000000}}
    (rec,) = PARSERS["arcgis_hub"](json.dumps(sd).encode()).records
    assert not rec.api_access                                   # an uploaded service file, not a running service
    records = {"total_count": 2, "results": [{"name": "Riverside Park", "acres": 12.5}, {"name": "Elm Park"}]}
    with pytest.raises(CatalogFormatError, match="records of one dataset"):
        PARSERS["opendatasoft"](json.dumps(records).encode())                 # v2.1 /records, same envelope
    with pytest.raises(CatalogFormatError, match="no Socrata catalog entry"):
        PARSERS["socrata"](json.dumps(records).encode())                      # the same body, wrong platform
    broken = {"total_count": 2, "results": [{"dataset_id": "trees", "metas": None}, {"name": "Elm Park"}]}
    assert len(PARSERS["opendatasoft"](json.dumps(broken).encode()).records) == 2    # a defective catalog
    huge = PARSERS["opendatasoft"](b'{"total_count": 1e400, "results": []}')
    assert huge.total is None and huge.records == []
    views = parse_socrata(b'[{"id": "abcd-1234", "name": "P", "viewType": "tabular", "rowsUpdatedAt": 1e400}]')
    assert views.records[0].updated_at is None
    for platform in ("socrata", "ckan", "opendatasoft"):
        with pytest.raises(CatalogFormatError):
            PARSERS[platform](b"[" * 100_000)


def _dcat_dataset(identifier: str, modified: str | None) -> dict:
    """One DCAT-US 1.1 dataset entry, as a city's data.json lists it."""
    entry = {"@type": "dcat:Dataset", "identifier": identifier, "title": identifier.title(),
             "description": "Rows.", "keyword": ["city"], "accessLevel": "public",
             "publisher": {"@type": "org:Organization", "name": "City of Example"},
             "contactPoint": {"@type": "vcard:Contact", "fn": "Open Data", "hasEmail": "mailto:data@example.gov"},
             "distribution": [{"@type": "dcat:Distribution", "mediaType": "text/csv",
                               "downloadURL": f"https://data.example.gov/{identifier}.csv"}]}
    if modified is not None:
        entry["modified"] = modified
    return entry


def test_entries_updated_after_as_of_are_left_out_of_freshness_and_counted(tmp_path: Path, capsys) -> None:
    """A past month built from a catalog read later (a backfill): the catalog keeps only each dataset's
    latest update, so one updated after the month's end has an unknown age then. It is left out of both
    freshness shares (numerator and denominator) and of the median, counted, and a note says so. An update
    later on the last day itself is within the month."""
    page = tmp_path / "data.json"
    page.write_text(json.dumps({
        "@context": "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld", "@type": "dcat:Catalog",
        "conformsTo": "https://project-open-data.cio.gov/v1.1/schema", "dataset": [
            _dcat_dataset("permits", "2026-09-10"),                 # 20 days old on 2026-09-30
            _dcat_dataset("budget", "2025-12-01"),                  # 303 days
            _dcat_dataset("zoning", "2024-01-15"),                  # 989 days
            _dcat_dataset("crime", "2026-09-30T18:00:00Z"),         # the last day itself: known
            _dcat_dataset("no-date", None),                         # undated: known, never fresh
            _dcat_dataset("parking", "2026-10-02T09:00:00Z"),       # after: unknown on 2026-09-30
            _dcat_dataset("trees", "2026-12-05"),                   # after
        ]}))
    assert cli(["profile-portal", "--platform", "dcat", str(page), "--as-of", "2026-09-30"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["updated_90d_share"] == round(2 / 5, 4)       # permits, crime of the five known
    assert out["updated_365d_share"] == round(3 / 5, 4)      # and budget
    assert out["median_days_since_update"] == (20 + 303) / 2
    assert out["dataset_count"] == 7 and out["updated_after_as_of"] == 2
    assert any(n.startswith("2 entries last updated after 2026-09-30") for n in out["notes"]), out["notes"]
    # As of a month after every update (what a monthly run sees), nothing is left out...
    assert cli(["profile-portal", "--platform", "dcat", str(page), "--as-of", "2026-12-31"]) == 0
    later = json.loads(capsys.readouterr().out)
    assert later["updated_after_as_of"] == 0 and not later["notes"]
    assert later["updated_365d_share"] == round(4 / 7, 4)    # all but budget, zoning and the undated
    # ...and an update the day after as_of (UTC) is within a day's slack: a U.S. evening is the next day in
    # UTC, and a catalog recorded on a date lists that evening's updates. Two days after is unknown.
    one_day = profile(PARSERS["dcat"](page.read_bytes()).records, as_of=datetime(2026, 10, 1, tzinfo=UTC))
    assert one_day["updated_after_as_of"] == 1 and one_day["updated_90d_share"] == round(3 / 6, 4)
