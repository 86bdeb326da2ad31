"""Wikidata websites: the query contract, the SPARQL JSON parser and the city matching rules.

The fixture is a hand-written WDQS answer with invented items (Q900000001+) and invented places, each
binding covering one case; see tests/fixtures/wikidata/README.md.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest

from sources import wikidata
from sources.wikidata import (
    CITY_WEBSITES_QUERY,
    match_websites,
    normalize_fips,
    normalize_name,
    parse_sparql_websites,
    sparql_url,
)

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "wikidata" / "city_websites.json"


def city(geoid: str, name: str, abbr: str, legal: str | None = None) -> dict:
    return {"geoid": geoid, "state_fips": geoid[:2], "place_fips": geoid[2:], "name": name,
            "legal_name": legal or f"{name} city", "state_abbr": abbr, "population": 50_000}


CITIES = pd.DataFrame([
    city("3901234", "Alder Falls", "OH"),
    city("0654321", "Birch Harbor", "CA"),
    city("4811111", "Cedar Mesa", "TX"),
    city("2712345", "St. Dunmore", "MN"),
    city("3512121", "Cañada Verde", "NM"),
    city("5523456", "Maple Grove", "WI", "Maple Grove village"),
    city("4752999", "Oakridge-Pine County", "TN", "Oakridge-Pine County metropolitan government (balance)"),
    city("3913579", "Fernwood", "OH"),
    city("1224680", "Juniper Bay", "FL"),
    city("5577777", "Quarry Hill", "WI"),
    city("1712000", "Elm Point", "IL"),
])


@pytest.fixture(scope="module")
def wd() -> pd.DataFrame:
    return parse_sparql_websites(FIXTURE.read_bytes())


@pytest.fixture(scope="module")
def matched(wd: pd.DataFrame) -> pd.DataFrame:
    return match_websites(CITIES, wd).set_index("geoid")


# ---- query contract ---------------------------------------------------------------------------


def test_query_selects_exactly_the_parsed_variables() -> None:
    select = re.search(r"SELECT\s+(?:DISTINCT\s+)?(.*?)\s+WHERE", CITY_WEBSITES_QUERY, re.S)
    assert select is not None
    assert re.findall(r"\?(\w+)", select.group(1)) == list(wikidata.QUERY_VARS)
    for prop in ("wdt:P774", "wdt:P856", "wdt:P300", "wdt:P131", "SERVICE wikibase:label"):
        assert prop in CITY_WEBSITES_QUERY
    assert CITY_WEBSITES_QUERY.count("{") == CITY_WEBSITES_QUERY.count("}")


def test_sparql_url_is_a_get_with_json_format() -> None:
    url = sparql_url(CITY_WEBSITES_QUERY)
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == wikidata.SPARQL_ENDPOINT
    params = parse_qs(parts.query)
    assert params["format"] == ["json"]
    assert params["query"] == [CITY_WEBSITES_QUERY]
    assert wikidata.SPARQL_HEADERS["Accept"] == "application/sparql-results+json"


# ---- parsing ----------------------------------------------------------------------------------


def test_parse_fixture(wd: pd.DataFrame) -> None:
    assert list(wd.columns) == wikidata.WEBSITE_COLUMNS
    by_qid = {q: g for q, g in wd.groupby("qid")}
    alder = by_qid["Q900000001"]
    assert len(alder) == 1  # "39-01234" and "3901234" are one code
    assert alder.iloc[0].to_dict() == {"qid": "Q900000001", "label": "Alder Falls", "fips7": "3901234",
                                       "website": "https://www.alderfalls.example.gov/", "state_abbr": "OH"}
    assert len(by_qid["Q900000002"]) == 3  # one row per website
    assert by_qid["Q900000003"].iloc[0]["website"] is None
    assert by_qid["Q900000009"].iloc[0]["fips7"] == "3913579"  # 5-digit code + state
    assert by_qid["Q900000010"].iloc[0]["website"] is None  # ftp is not a website
    assert by_qid["Q900000013"].iloc[0]["state_abbr"] is None
    assert by_qid["Q900000014"].iloc[0]["label"] is None  # the label service echoes the QID
    assert wd["qid"].tolist() == sorted(wd["qid"].tolist(), key=lambda q: int(q[1:]))


@pytest.mark.parametrize(("raw", "state", "expected"), [
    ("06-44000", None, "0644000"),
    ("0644000", None, "0644000"),
    ("6-44000", None, "0644000"),
    (" 48-05000 ", None, "4805000"),
    ("44000", "CA", "0644000"),
    ("44000", None, None),
    ("644000", None, None),  # six digits: which digit is missing cannot be known
    ("99-12345", None, None),  # no such state
    ("06-4400", None, None),
    ("", None, None),
    (None, None, None),
])
def test_normalize_fips(raw: str | None, state: str | None, expected: str | None) -> None:
    assert normalize_fips(raw, state) == expected


@pytest.mark.parametrize("body", [
    b"",
    b"<html><body>Too Many Requests</body></html>",
    b"java.util.concurrent.TimeoutException",
    b'{"head": {"vars": ["item"]}, "results": {"bindings": [',
    b"[1, 2, 3]",
    b'{"head": {"vars": ["item"]}}',
    b'{"results": {"bindings": {"item": 1}}}',
    b'{"head": {"vars": ["item", "website"]}, "results": {"bindings": []}}',
    b'{"results": {"bindings": ["Q1"]}}',
    b"\xff\xfe\x00garbage",
])
def test_malformed_response_is_a_value_error(body: bytes) -> None:
    with pytest.raises(ValueError, match="Wikidata SPARQL response"):
        parse_sparql_websites(body)


def test_empty_result_is_an_empty_frame() -> None:
    body = json.dumps({"head": {"vars": list(wikidata.QUERY_VARS)}, "results": {"bindings": []}})
    frame = parse_sparql_websites(body.encode())
    assert frame.empty and list(frame.columns) == wikidata.WEBSITE_COLUMNS
    out = match_websites(CITIES, frame)
    assert set(out["website_match"]) == {"none"} and out["website_candidates"].eq(0).all()


# ---- names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("a", "b"), [
    ("St. Cloud", "Saint Cloud"),
    ("Cañon City", "Canon City"),
    ("Coeur d'Alene", "Coeur D’Alene"),
    ("Winston-Salem", "Winston Salem"),
    ("Mt. Pleasant", "Mount Pleasant"),
    ("Ste. Genevieve", "Sainte Genevieve"),
    ("  LAKE   Élan ", "lake elan"),
])
def test_normalize_name_equivalences(a: str, b: str) -> None:
    assert normalize_name(a) == normalize_name(b)


def test_normalize_name_keeps_distinct_places_apart() -> None:
    assert normalize_name("Springfield") != normalize_name("West Springfield")
    assert normalize_name("Kansas City") != normalize_name("Kansas")


# ---- matching ---------------------------------------------------------------------------------


def test_match_columns_and_row_order(matched: pd.DataFrame, wd: pd.DataFrame) -> None:
    out = match_websites(CITIES, wd)
    assert list(out.columns) == list(CITIES.columns) + wikidata.MATCH_COLUMNS
    assert out["geoid"].tolist() == CITIES["geoid"].tolist()
    assert out["website_candidates"].dtype == "int64"
    assert set(out["website_match"]) <= {"fips", "name", "none"}
    assert "website_url" not in CITIES.columns  # input left untouched


def test_fips_match_hyphenated(matched: pd.DataFrame) -> None:
    row = matched.loc["3901234"]
    assert (row.website_match, row.wikidata_qid, row.website_url, row.website_candidates) == (
        "fips", "Q900000001", "https://www.alderfalls.example.gov/", 1)


def test_several_websites_choose_https_gov(matched: pd.DataFrame) -> None:
    row = matched.loc["0654321"]
    assert row.website_match == "fips"
    assert row.website_url == "https://www.birchharbor.example.gov/"
    assert row.website_candidates == 3


def test_fips_item_without_website_is_known_but_unmatched(matched: pd.DataFrame) -> None:
    for geoid, qid in (("4811111", "Q900000003"), ("1224680", "Q900000010")):
        row = matched.loc[geoid]
        assert (row.website_match, row.wikidata_qid, row.website_url, row.website_candidates) == (
            "none", qid, None, 0)


def test_five_digit_fips_completed_from_state(matched: pd.DataFrame) -> None:
    row = matched.loc["3913579"]
    assert (row.website_match, row.wikidata_qid, row.website_url) == (
        "fips", "Q900000009", "http://fernwood.example.us/")


def test_name_match_saint_and_accents(matched: pd.DataFrame) -> None:
    assert matched.loc["2712345", ["website_match", "wikidata_qid"]].tolist() == ["name", "Q900000004"]
    assert matched.loc["3512121", ["website_match", "wikidata_qid"]].tolist() == ["name", "Q900000005"]
    assert matched.loc["3512121", "website_url"] == "https://canadaverde.example.org/"


def test_ambiguous_name_matches_nothing(matched: pd.DataFrame) -> None:
    row = matched.loc["5523456"]
    assert (row.website_match, row.wikidata_qid, row.website_url, row.website_candidates) == (
        "none", None, None, 2)


def test_consolidated_government_matched_by_its_city_name(matched: pd.DataFrame) -> None:
    row = matched.loc["4752999"]
    assert (row.website_match, row.wikidata_qid) == ("name", "Q900000008")


def test_town_with_city_government_matched_by_its_plain_name() -> None:
    cities = pd.DataFrame([city("2599991", "Heron Town", "MA", "Heron Town city")])
    wd = pd.DataFrame([{"qid": "Q900000107", "label": "Heron", "fips7": None,
                        "website": "https://www.heron-ma.example.gov/", "state_abbr": "MA"}])
    assert match_websites(cities, wd)["website_match"].tolist() == ["name"]


def test_item_with_another_fips_code_is_not_used_by_name(matched: pd.DataFrame) -> None:
    # "Quarry Hill" of Wikidata carries the code of another place (e.g. the township of that name).
    assert matched.loc["5577777", ["website_match", "wikidata_qid"]].tolist() == ["none", None]


def test_item_without_state_is_not_used_by_name(matched: pd.DataFrame) -> None:
    assert matched.loc["1712000", ["website_match", "wikidata_qid"]].tolist() == ["none", None]


def test_no_item_matched_twice(matched: pd.DataFrame) -> None:
    qids = matched["wikidata_qid"].dropna()
    assert qids.is_unique
    assert "Q900000011" not in set(qids)  # the name twin of a FIPS-matched city stays unused


def test_matching_is_deterministic_under_row_order(wd: pd.DataFrame, matched: pd.DataFrame) -> None:
    for seed in range(5):
        shuffled = match_websites(CITIES.sample(frac=1, random_state=seed),
                                  wd.sample(frac=1, random_state=seed + 100)).set_index("geoid")
        pd.testing.assert_frame_equal(shuffled.loc[matched.index], matched)


def test_item_claiming_two_cities_goes_to_neither() -> None:
    cities = pd.DataFrame([city("3900001", "Twinsburg North", "OH"), city("3900002", "Twinsburg South", "OH")])
    wd = pd.DataFrame([
        {"qid": "Q900000101", "label": "Twinsburg", "fips7": "3900001", "website": "https://a.example.gov/",
         "state_abbr": "OH"},
        {"qid": "Q900000101", "label": "Twinsburg", "fips7": "3900002", "website": "https://a.example.gov/",
         "state_abbr": "OH"},
    ])
    out = match_websites(cities, wd)
    assert out["website_match"].tolist() == ["none", "none"]
    assert out["wikidata_qid"].isna().all()


def test_item_in_two_states_named_like_two_cities_goes_to_neither() -> None:
    cities = pd.DataFrame([city("4800001", "Borderline", "TX"), city("0500001", "Borderline", "AR")])
    wd = pd.DataFrame([
        {"qid": "Q900000102", "label": "Borderline", "fips7": None, "website": "https://b.example.org/",
         "state_abbr": state} for state in ("TX", "AR")])
    out = match_websites(cities, wd)
    assert out["website_match"].tolist() == ["none", "none"]


def test_two_cities_with_one_name_in_a_state_are_not_name_matched() -> None:
    cities = pd.DataFrame([city("3900011", "Lakeview", "OH"), city("3900012", "Lakeview", "OH", "Lakeview village")])
    wd = pd.DataFrame([{"qid": "Q900000103", "label": "Lakeview", "fips7": None,
                        "website": "https://lakeview.example.org/", "state_abbr": "OH"}])
    assert match_websites(cities, wd)["website_match"].tolist() == ["none", "none"]


def test_website_ranking_prefers_https_then_government_hosts_then_short() -> None:
    urls = ["http://www.x.gov/", "https://www.x-city.example.org/", "https://x.example.us/",
            "https://www.x.gov/home", "https://www.x.gov/"]
    assert sorted(urls, key=wikidata._website_rank)[0] == "https://www.x.gov/"
    assert sorted(["https://b.example.org/", "https://a.example.org/"], key=wikidata._website_rank)[0] == \
        "https://a.example.org/"


def test_duplicate_fips_items_pool_their_websites() -> None:
    cities = pd.DataFrame([city("3900021", "Pinecrest", "OH")])
    wd = pd.DataFrame([
        {"qid": "Q900000105", "label": "Pinecrest", "fips7": "3900021", "website": "http://pinecrest.example.com/",
         "state_abbr": "OH"},
        {"qid": "Q900000104", "label": "Pinecrest", "fips7": "3900021", "website": None, "state_abbr": "OH"},
        {"qid": "Q900000106", "label": "City of Pinecrest", "fips7": "3900021",
         "website": "https://www.pinecrest-oh.example.gov/", "state_abbr": "OH"},
        {"qid": "Q900000106", "label": "City of Pinecrest", "fips7": "3900021",
         "website": "https://www.pinecrest-oh.example.gov", "state_abbr": "OH"},  # same site, no slash
    ])
    row = match_websites(cities, wd).iloc[0]
    assert (row.website_url, row.wikidata_qid, row.website_match, row.website_candidates) == (
        "https://www.pinecrest-oh.example.gov", "Q900000106", "fips", 2)  # the shorter spelling wins
