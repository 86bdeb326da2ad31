"""A whole run on real recorded bytes (issue 16): real registry, real UScityURL, real portal catalogs, the real
ACS list of places, replayed through every asset by scripts/real_replay.py. Skips without ../shared."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.real_replay import credited_table, main, recorded_states, recordings
from tests.conftest import SHARED, realdata
from warehouse.paths import WarehousePaths
from warehouse.read import connect_published

#: Portal hosts with a recorded catalog at a URL the registry lists, and the city that runs each, checked by
#: hand against each portal's own name and address.
OWNERS = {
    "data.sfgov.org": ("San Francisco", "CA"),            # "SF OpenData", the city and county's portal
    "data.cityofchicago.org": ("Chicago", "IL"),          # "City of Chicago Data Portal"
    "data.nola.gov": ("New Orleans", "LA"),               # the City of New Orleans' open data site
    "data.somervillema.gov": ("Somerville", "MA"),        # City of Somerville, MA
    "data.detroitmi.gov": ("Detroit", "MI"),              # Detroit's Open Data Portal (ArcGIS Hub)
    "opendata.minneapolismn.gov": ("Minneapolis", "MN"),  # "Open Minneapolis"
    "information.stpaul.gov": ("St. Paul", "MN"),         # Saint Paul's open information portal
    "data-cityofgi.opendata.arcgis.com": ("Grand Island", "NE"),   # City of Grand Island GIS hub
    "data.cityofnewyork.us": ("New York", "NY"),          # NYC Open Data
    "data.cincinnati-oh.gov": ("Cincinnati", "OH"),       # CincyInsights / Cincinnati open data
    "data.austintexas.gov": ("Austin", "TX"),             # City of Austin open data portal
    "data.redmond.gov": ("Redmond", "WA"),                # City of Redmond, WA
    "data.seattle.gov": ("Seattle", "WA"),                # City of Seattle open data
}
#: Recorded hosts that must be credited to no city: a county's hub (Dane County, WI, around Madison), Urban
#: Honolulu (a census-designated place, so not in the list of incorporated places), and Wisconsin Rapids
#: (fewer than 30,000 residents).
NOBODYS = {"gis-countyofdane.opendata.arcgis.com", "data.honolulu.gov",
           "rapidsdata-wisconsinrapids.opendata.arcgis.com"}


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    realdata("registries/dataportals_registry_full_2026-08.parquet")
    realdata("websites/UScityURL.csv")
    home = tmp_path_factory.mktemp("real_replay")
    assert main(["--shared", str(SHARED), "--home", str(home)]) == 0
    con = connect_published(WarehousePaths(home))
    try:
        run_id = con.execute("SELECT run_id FROM ops.runs").fetchone()[0]
    finally:
        con.close()
    return home, run_id


@pytest.mark.slow
def test_each_recorded_city_portal_is_credited_to_its_city_with_the_recorded_count(replayed) -> None:
    home, run_id = replayed
    table = credited_table(home, run_id, recordings(SHARED / "realdata"))
    got = {h: (c, s) for h, c, s in zip(table["portal_host"], table["city"], table["state"], strict=True)}
    assert {h: got.get(h) for h in OWNERS} == OWNERS
    assert not set(got) & NOBODYS
    wrong = {h: city for h, city in got.items() if h not in OWNERS}
    assert not wrong, f"credited beyond the checked list (check each by hand): {wrong}"
    mine = table[table["portal_host"].isin(OWNERS)]
    assert mine["recording"].notna().all(), "each was read from its recording"
    assert (mine["dataset_count"] == mine["expected"]).all(), mine[["portal_host", "dataset_count", "expected"]]
    assert set(table.loc[table["portal_host"].isin(OWNERS), "discovered_via"].str.split(";").explode()) >= {
        "dataportals_registry"}


@pytest.mark.slow
def test_the_run_publishes_and_everything_unrecorded_is_not_archived(replayed) -> None:
    home, run_id = replayed
    con = connect_published(WarehousePaths(home))
    try:
        outcomes = dict(con.execute("SELECT outcome, count(*) FROM ops.fetch_log WHERE run_id = ? GROUP BY 1",
                                    [run_id]).fetchall())
        cities, scored, websites = con.execute(
            "SELECT count(*), (SELECT count(*) FROM marts.city_index WHERE run_id = ?), count(website_url) "
            "FROM marts.cities WHERE run_id = ?", [run_id, run_id]).fetchone()
        states = {s for (s,) in con.execute("SELECT DISTINCT state_abbr FROM marts.cities WHERE run_id = ?",
                                            [run_id]).fetchall()}
        by_source = dict(con.execute("SELECT website_match, count(*) FROM marts.cities WHERE run_id = ? GROUP BY 1",
                                     [run_id]).fetchall())
    finally:
        con.close()
    assert set(outcomes) == {"ok", "not_archived"} and outcomes["not_archived"] > 1000
    # Hawaii's recorded portal is Honolulu's, a census-designated place: no incorporated place of the state is in.
    assert states == set(recorded_states(SHARED / "realdata", recordings(SHARED / "realdata"))) - {"HI"} and cities > 500 and scored == cities
    # Websites from the real UScityURL by GEOID (Wikidata is not recorded): nearly every place has one.
    assert by_source.get("uscityurl", 0) >= 0.98 * cities and websites == by_source["uscityurl"]
    assert (home / "report" / "index.html").exists()


def test_the_latest_recording_of_a_url_wins() -> None:
    recs = recordings(realdata("portals").parent)
    chicago = recs["https://data.cityofchicago.org/data.json"]
    assert chicago.recorded.startswith("2020") and chicago.expected == 782   # over the 2013 recording
