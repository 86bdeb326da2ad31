"""Who runs a portal: checked on real registry entries (dataportals.org, U.S. rows) and on edge cases."""

from __future__ import annotations

import csv
from urllib.parse import urlsplit

import pytest

from sources.geo import states
from sources.portals.scope import CityContext, portal_scope
from tests.conftest import realdata

_STATES = {s.usps: s for s in states()}

#: dataportals.org entry name -> (city the question is asked for, state, expected level). Labels are ours.
LABELS = {
    "a2gov_org": ("Ann Arbor", "MI", "city"),
    "boston-gis-data-hub": ("Boston", "MA", "city"),
    "city-of-boston": ("Boston", "MA", "city"),
    "city-and-county-of-durham": ("Durham", "NC", "city"),
    "city-and-county-of-honolulu": ("Honolulu", "HI", "city"),
    "denver": ("Denver", "CO", "city"),
    "metropolitan-government-of-nashville-and-davison-county": ("Nashville-Davidson", "TN", "city"),
    "city-of-austin": ("Austin", "TX", "city"),
    "dallas-open-data": ("Dallas", "TX", "city"),
    "nyc_gov": ("New York", "NY", "city"),
    "houston_data_portal": ("Houston", "TX", "city"),
    "open-raleigh": ("Raleigh", "NC", "city"),
    "city-of-los-angeles": ("Los Angeles", "CA", "city"),
    # A county's portal, asked for a city inside the county: recorded as county, never credited.
    "cook-county-government": ("Chicago", "IL", "county"),
    "cook-central": ("Chicago", "IL", "county"),
    "king-county": ("Seattle", "WA", "county"),
    "miami-dade-county": ("Miami", "FL", "county"),
    "nevada_county-ca-usa": ("Grass Valley", "CA", "county"),
    # State portals asked for the capital or a big city.
    "open_new_york": ("Albany", "NY", "state"),
    "data-colorado-gov": ("Denver", "CO", "state"),
    "state_of_washington": ("Seattle", "WA", "state"),
    "oregon": ("Portland", "OR", "state"),
    "ca_gov": ("Sacramento", "CA", "state"),
    "hawaii_gov": ("Honolulu", "HI", "state"),
    "alabama": ("Montgomery", "AL", "state"),
    "texas": ("Austin", "TX", "state"),
    # Regional and federal bodies.
    "metroboston-datacommon": ("Boston", "MA", "regional"),
    "data_gov": ("Boston", "MA", "federal"),
    "healthdata-gov": ("Boston", "MA", "federal"),
    # Another city's portal is not this city's.
    "city-of-santa-monica": ("Los Angeles", "CA", "other_city"),
    "city-of-west-hollywood": ("Los Angeles", "CA", "other_city"),
}


@pytest.fixture(scope="module")
def registry() -> dict[str, dict]:
    path = realdata("dataportals_org_portals.csv")
    with path.open(encoding="utf-8", newline="") as fh:
        return {r["name"]: r for r in csv.DictReader(fh) if r.get("country") == "US"}


@pytest.mark.parametrize("name", sorted(LABELS))
def test_real_registry_entries_get_the_level_of_their_publisher(registry: dict[str, dict], name: str) -> None:
    city, st, expected = LABELS[name]
    row = registry[name]
    ctx = CityContext(city, _STATES[st].name, st)
    scope = portal_scope(ctx, title=row["title"], publishers=[row["publisher"]], host=urlsplit(row["url"]).hostname)
    assert scope.level == expected, scope.reason


def test_every_us_registry_entry_gets_a_level_and_a_reason(registry: dict[str, dict]) -> None:
    levels = {}
    for row in registry.values():
        scope = portal_scope(CityContext(None, None, None), title=row["title"], publishers=[row["publisher"]],
                             host=urlsplit(row["url"]).hostname)
        assert scope.reason
        levels[scope.level] = levels.get(scope.level, 0) + 1
    # Without a city in mind, nothing can be this city's; "City of X" reads as some other city.
    assert "city" not in levels
    assert levels["state"] >= 25 and levels["county"] >= 4 and levels["other_city"] >= 30


def test_title_outranks_publishers_and_publishers_count_by_datasets() -> None:
    ctx = CityContext("Alder Falls", "Texas", "TX")
    county = portal_scope(ctx, title="Granite County Open Data",
                          publishers=["City of Alder Falls Police"] * 3 + ["Granite County Assessor"])
    assert county.level == "county" and "site title" in county.reason
    mostly_city = portal_scope(ctx, title="Open Data", publishers=["City of Alder Falls"] * 5 + ["Granite County"])
    assert mostly_city.level == "city"
    assert portal_scope(ctx, title="Alder Falls Open Data Hub").level == "city"
    assert portal_scope(ctx, title=None, host="data.alderfalls.example").level == "city"
    assert portal_scope(ctx, title="Open Data", host="opendata.example").level == "unknown"
    assert portal_scope(ctx, title="Alder Falls Watershed Council Data").level == "unknown"
