"""UScityURL on the real file in ../shared/realdata (read in place, never copied), joined to the real ACS
places of 30,000+ and, where a recorded Wikidata answer for U.S. cities exists, compared with Wikidata.

Figures measured on the file at commit f533039 (Sept 2022 collection): 19,518 rows, 13,723 with a
website; the ACS 2023 file has 1,318 non-CDP places of 30,000+ (1,309 incorporated places of the 50 states
and DC, the project's universe, plus 9 Puerto Rico zonas urbanas, which UScityURL does not cover): all
1,309 match by GEOID and all have a website (1,309 / 1,318 = 99.3 %).
"""

from __future__ import annotations

import csv
import io
import json

import pandas as pd
import pytest

from sources import census, geo
from sources.http.outcomes import Outcome
from sources.websites import (
    USCITYURL_URL,
    city_websites,
    parse_uscityurl,
    uscityurl_websites,
    website_candidates,
)
from sources.wikidata import match_websites, normalize_name, parse_sparql_websites
from tests.conftest import REALDATA, realdata
from tests.test_websites import _StubFetcher

UCU = "websites/UScityURL.csv"
ACS = "census_acs2023_places_pop20k.csv"


@pytest.fixture(scope="module")
def uscityurl_bytes() -> bytes:
    return realdata(UCU).read_bytes()


@pytest.fixture(scope="module")
def uscityurl(uscityurl_bytes: bytes) -> pd.DataFrame:
    return parse_uscityurl(uscityurl_bytes)


@pytest.fixture(scope="module")
def acs_bytes() -> bytes:
    return realdata(ACS).read_bytes()


@pytest.fixture(scope="module")
def universe(acs_bytes: bytes) -> pd.DataFrame:
    """The project's universe from the ACS file: incorporated places of 30,000+ in the states and DC."""
    return census.parse_acs_places(acs_bytes, min_population=30_000)


def test_every_row_parses(uscityurl_bytes: bytes, uscityurl: pd.DataFrame) -> None:
    raw = list(csv.DictReader(io.StringIO(uscityurl_bytes.decode("utf-8-sig"), newline="")))
    assert len(raw) == 19_518
    assert len(uscityurl) == len(raw) and uscityurl.attrs["skipped_rows"] == 0
    assert uscityurl["geoid"].str.fullmatch(r"\d{7}").all() and uscityurl["geoid"].is_unique
    assert uscityurl["geoid"].tolist() == [r["GEOID"].strip()[-7:] for r in raw]  # file (population) order
    # the flag and the address agree on every row, and every address is usable
    flags = [r["WEBSITE_AVAILABLE"].strip() == "1" for r in raw]
    assert uscityurl["available"].tolist() == flags
    assert uscityurl["website_url"].notna().tolist() == flags
    assert int(uscityurl["available"].sum()) == 13_723
    assert uscityurl["website_url"].dropna().str.match(r"https?://[a-z0-9.-]+\.[a-z]+(:\d+)?/").all()
    # the state from the GEOID equals the state named in the row
    named = [geo.state_by_name(r["STATE"]).usps for r in raw]
    assert uscityurl["state_abbr"].tolist() == named
    # the one address without a scheme in the file is read as http
    no_scheme = [r["GEOID"][-7:] for r in raw if r["WEBSITE_URL"].strip()
                 and not r["WEBSITE_URL"].strip().lower().startswith(("http://", "https://"))]
    assert len(no_scheme) == 1
    assert uscityurl.set_index("geoid").loc[no_scheme[0], "website_url"].startswith("http://")


def test_the_pinned_url_path_gives_the_same_frame(uscityurl_bytes: bytes, uscityurl: pd.DataFrame) -> None:
    """The fetch path (a stub answering the pinned URL with the real bytes) parses like the file."""
    fetcher = _StubFetcher(Outcome.OK, uscityurl_bytes)
    frame, lookup = uscityurl_websites(fetcher)
    assert lookup == "ok" and fetcher.asked == [USCITYURL_URL]
    pd.testing.assert_frame_equal(frame, uscityurl)


def test_acs_places_of_30000_get_a_website_by_geoid(acs_bytes: bytes, universe: pd.DataFrame,
                                                    uscityurl: pd.DataFrame) -> None:
    acs = pd.read_csv(io.BytesIO(acs_bytes), dtype=str, keep_default_na=False)
    acs = acs[acs["population"].astype(int) >= 30_000]
    places = acs[~acs["NAME"].str.contains(r"\bCDP\b")]          # the 1,318 places
    assert len(places) == 1_318
    geoids = places["state_fips"].str.zfill(2) + places["place_fips"].str.zfill(5)
    sites = uscityurl.set_index("geoid")["website_url"]
    with_site = int(geoids.map(sites).notna().sum())
    assert with_site == 1_309 and with_site / len(places) >= 0.99
    # the 9 without one are Puerto Rico's zonas urbanas (statistical, outside the universe)
    assert set(places.loc[geoids.map(sites).isna().to_numpy(), "state_fips"]) == {"72"}

    # the project's universe: every place matches by GEOID and has a website
    assert len(universe) == 1_309
    joined = universe.merge(uscityurl, on="geoid", how="left", suffixes=("", "_ucu"), indicator=True)
    assert (joined["_merge"] == "both").all()
    assert joined["website_url"].notna().all()
    # no name/state fallback is needed: each GEOID match is the same place by state and by name
    assert (joined["state_abbr"] == joined["state_abbr_ucu"]).all()
    same_name = [normalize_name(u) in (normalize_name(n), normalize_name(legal))
                 for u, n, legal in zip(joined["name_ucu"], joined["name"], joined["legal_name"], strict=True)]
    assert all(same_name)
    # UScityURL names consolidated governments by their legal "(balance)" name; 7 such places here
    by_legal_only = sum(normalize_name(u) != normalize_name(n) for u, n in zip(joined["name_ucu"], joined["name"],
                                                                               strict=True))
    assert by_legal_only == 7


def test_candidates_on_the_real_universe(universe: pd.DataFrame, uscityurl: pd.DataFrame) -> None:
    """UScityURL alone gives one candidate per city; a user's list overrides it where it gives one."""
    places = uscityurl[uscityurl["geoid"].isin(universe["geoid"])]
    cand = website_candidates({"uscityurl": places})
    assert len(cand) == 1_309 and cand["chosen"].all() and not cand["disagreement"].any()
    # each city has a domain of its own once state .gov parents are looked through (ca.gov: 13 cities,
    # in.gov: 11, utah.gov: 5 would otherwise share one)
    assert cand["registrable_domain"].is_unique
    user = pd.DataFrame({"geoid": [places["geoid"].iloc[0]], "website": ["https://www.example.org/"]})
    chosen = city_websites(website_candidates({"csv": user, "uscityurl": places})).set_index("geoid")
    first = chosen.loc[places["geoid"].iloc[0]]
    assert first["website_source"] == "csv" and first["website_disagreement"] and first["website_candidates"] == 2
    assert (chosen["website_source"] == "uscityurl").sum() == 1_308


def _recorded_us_wikidata() -> pd.DataFrame | None:
    """Rows of every recorded WDQS answer to CITY_WEBSITES_QUERY under ../shared/realdata, or None."""
    frames = []
    for path in sorted(REALDATA.glob("wikidata*/**/*.json")):
        try:
            frame = parse_sparql_websites(path.read_bytes())
        except (ValueError, json.JSONDecodeError):
            continue  # another query's answer (e.g. the European-city results)
        frames.append(frame[frame["fips7"].notna() | frame["state_abbr"].notna()])
    frames = [f for f in frames if not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else None


def test_registrable_domains_against_wikidata(universe: pd.DataFrame, uscityurl: pd.DataFrame) -> None:
    wd = _recorded_us_wikidata()
    if wd is None:
        pytest.skip("no recorded Wikidata answer for U.S. cities in ../shared/realdata (the wikidata_sparql_2023-08 "
                    "results are European cities from another query); the UScityURL/Wikidata comparison needs one")
    matched = match_websites(universe, wd)
    cand = website_candidates({"uscityurl": uscityurl[uscityurl["geoid"].isin(universe["geoid"])],
                               "wikidata": matched[["geoid", "website_url"]]})
    per_city = cand.groupby("geoid").agg(sources=("source", "nunique"), disagree=("disagreement", "any"))
    both = per_city[per_city["sources"] == 2]
    differ = int(both["disagree"].sum())
    print(f"UScityURL vs Wikidata: {len(both)} cities with both, {differ} with different registrable domains")
    assert differ <= len(both)
