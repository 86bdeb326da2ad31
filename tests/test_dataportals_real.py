"""The Common Data Index registry of data portals as a discovery route (issue 16, item 2, sources level).

Unit tests on small hand-written frames for the scope decisions, then tests on the registry's real
Parquet in ../shared/realdata (skipped with the reason when it is absent). Nothing from ../shared is
copied here except the (city, portal host) pairs and reasons written by hand below.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from sources.census import parse_acs_places
from sources.http.outcomes import Outcome
from sources.http.result import FetchResult
from sources.portals.dataportals import (
    CREDIT_COLUMNS,
    LEAD_COLUMNS,
    REGISTRY_URL,
    credit_registry_leads,
    fetch_registry,
    is_gis_server,
    registry_decisions,
    registry_leads,
    registry_url,
)
from sources.portals.registries import city_site_domain
from sources.portals.scope import normalize
from tests.conftest import realdata

# ---- unit: hand-written frames ---------------------------------------------------------------------------

CITIES = pd.DataFrame([
    {"geoid": "4801000", "name": "Alder Falls", "state_abbr": "TX", "website_url": "https://www.alderfallstx.gov/"},
    {"geoid": "1224000", "name": "North Miami", "state_abbr": "FL", "website_url": "https://www.northmiamifl.gov/"},
    {"geoid": "1224100", "name": "North Miami Beach", "state_abbr": "FL", "website_url": "https://www.citynmb.com/"},
    {"geoid": "3318820", "name": "Dover", "state_abbr": "NH", "website_url": "https://www.dover.nh.gov/"},
    {"geoid": "0600001", "name": "Brookfield", "state_abbr": "CA", "website_url": None},
])


def lead(uid: str, owner: str, name: str, link: str, state: str = "TX", software: str = "arcgishub",
         status: str = "active", platform: str | None = "arcgis_hub", catalog_url: str | None = None) -> dict:
    host = re.sub(r"^https?://([^/]+).*$", r"\1", link).lower()
    return {"uid": uid, "registry_id": uid.lower(), "name": name, "link": link, "host": host, "owner_name": owner,
            "owner_type": "Local government", "owner_state": f"US-{state}", "state_abbr": state,
            "software_id": software, "platform": platform, "status": status, "catalog_type": "Open data portal",
            "gis_server": is_gis_server(software, link), "endpoints": "[]", "catalog_url": catalog_url}


def decide(*leads: dict) -> pd.DataFrame:
    return registry_decisions(pd.DataFrame(list(leads), columns=LEAD_COLUMNS), CITIES)


def test_city_owner_in_its_state_is_credited_with_uid() -> None:
    out = credit_registry_leads([lead("cdi1", "City of Alder Falls", "Alder Falls Open Data",
                                      "https://data-alderfalls.opendata.arcgis.com/")], CITIES)
    assert list(out.columns)[:len(CREDIT_COLUMNS)] == CREDIT_COLUMNS
    assert out[["geoid", "uid", "platform"]].values.tolist() == [["4801000", "cdi1", "arcgis_hub"]]
    assert "City of Alder Falls" in out.loc[0, "reason"] and "cdi1" in out.loc[0, "reason"]


def test_portal_title_alone_names_the_city() -> None:
    d = decide(lead("cdi2", "Alder Falls GIS", "Open Data Alder Falls", "https://gis-af.hub.arcgis.com/"))
    assert d["credited"].tolist() == [True] and d.loc[0, "route"] == "name"


@pytest.mark.parametrize("owner,name,level", [
    ("Alder Falls County", "Alder Falls County Open Data", "county"),
    ("Alder Falls Regional Planning Commission", "Alder Falls Region Hub", "regional"),
    ("State of Texas", "Alder Falls Data", "state"),
])
def test_county_regional_state_bodies_are_never_credited(owner: str, name: str, level: str) -> None:
    d = decide(lead("cdi3", owner, name, "https://data-x.hub.arcgis.com/"))
    assert not d["credited"].any()
    assert d.loc[0, "level"] == level


def test_county_on_the_city_domain_is_still_refused() -> None:
    d = decide(lead("cdi4", "Alder Falls County", "County GIS", "https://county.alderfallstx.gov/"))
    assert not d["credited"].any() and d.loc[0, "level"] == "county"


def test_gis_servers_are_never_credited() -> None:
    rest = lead("cdi5", "City of Alder Falls", "City of Alder Falls GIS", "https://gis.alderfallstx.gov/arcgis/rest/services",
                software="arcgishub")
    server = lead("cdi6", "City of Alder Falls", "Alder Falls maps", "https://maps.alderfallstx.gov/", software="arcgisserver",
                  platform=None)
    d = decide(rest, server)
    assert len(d) == 2 and not d["credited"].any()
    assert all(r.startswith("GIS server") for r in d["reason"])


def test_wrong_state_needs_the_domain() -> None:
    elsewhere = lead("cdi7", "City of Alder Falls", "Alder Falls Open Data", "https://af.hub.arcgis.com/", state="OK")
    on_domain = lead("cdi8", "City of Alder Falls", "Alder Falls Open Data", "https://data.alderfallstx.gov/", state="OK")
    d = decide(elsewhere, on_domain)
    assert d.set_index("uid")["credited"].to_dict() == {"cdi8": True}


def test_city_department_on_the_city_domain_is_credited_by_domain() -> None:
    d = decide(lead("cdi9", "Alder Falls Police Department", "Police Transparency", "https://policedata.alderfallstx.gov/"))
    assert d["credited"].tolist() == [True] and d.loc[0, "route"] == "domain"


def test_unnamed_owner_off_domain_is_not_credited() -> None:
    d = decide(lead("cdi10", "Alder Falls Transit Partnership", "Project Data", "https://atp.hub.arcgis.com/"))
    assert not d["credited"].any()


def test_longer_city_name_wins() -> None:
    d = decide(lead("cdi11", "City of North Miami Beach", "NMB Open Data", "https://nmb.hub.arcgis.com/", state="FL"))
    assert d["geoid"].tolist() == ["1224100"] and d["credited"].all()


def test_state_government_domain_is_not_the_city_domain() -> None:
    assert city_site_domain("www.dover.nh.gov") == "dover.nh.gov"
    assert city_site_domain("www2.nhes.nh.gov") == "nhes.nh.gov"
    assert city_site_domain("opendata.dc.gov") == "dc.gov"
    d = decide(lead("cdi12", "New Hampshire Employment Security", "Labor stats", "https://www2.nhes.nh.gov/", state="NH",
                    software="custom", platform=None))
    assert d.empty


def test_inactive_and_own_website_pages_are_not_credited() -> None:
    inactive = lead("cdi13", "City of Alder Falls", "Alder Falls Open Data", "https://old.alderfallstx.gov/", status="inactive")
    page = lead("cdi14", "City of Alder Falls", "City budget data", "https://www.alderfallstx.gov/budget", software="custom",
                platform=None)
    d = decide(inactive, page)
    assert not d["credited"].any()


def test_city_without_website_only_by_name() -> None:
    d = decide(lead("cdi15", "City of Brookfield", "Brookfield Data", "https://bf.hub.arcgis.com/", state="CA"))
    assert d["credited"].tolist() == [True]


def _struct_row(uid: str, country: str, owner_type: str, software: str, link: str) -> str:
    return (f"SELECT '{uid}' AS uid, '{uid}x' AS id, 'Portal {uid}' AS name, '{link}' AS link, 'active' AS status, "
            f"'Open data portal' AS catalog_type, {{'id': '{software}', 'name': '{software}'}} AS software, "
            f"{{'name': 'City of Alder Falls', 'type': '{owner_type}', 'link': NULL, 'location': "
            f"{{'country': {{'id': '\"{country}\"'::JSON, 'name': 'x'}}, 'level': 30, "
            f"'subregion': {{'id': '{country}-TX', 'name': 'Texas'}}}}}} AS owner, "
            f"[{{'type': 'dcatus11', 'url': '{link}data.json', 'version': NULL, 'url_pattern': NULL}}, "
            f"{{'type': 'sitemap', 'url': '{link}sitemap.xml', 'version': NULL, 'url_pattern': NULL}}] AS endpoints")


def test_registry_leads_reads_a_small_parquet(tmp_path: Path) -> None:
    path = tmp_path / "mini.parquet"
    rows = " UNION ALL ".join([
        _struct_row("a1", "US", "Local government", "custom", "https://data.alderfallstx.gov/"),
        _struct_row("a2", "US", "Academy", "ckan", "https://data.uni.edu/"),
        _struct_row("a3", "FR", "Local government", "ckan", "https://data.ville.fr/"),
        _struct_row("a4", "US", "Regional government", "arcgisserver", "https://gis.tx.gov/arcgis/rest/services"),
    ])
    duckdb.execute(f"COPY ({rows}) TO '{path}' (FORMAT parquet)")
    leads = registry_leads(path.read_bytes())
    assert leads["uid"].tolist() == ["a1", "a4"]
    first = leads.iloc[0]
    assert first["platform"] == "dcat" and first["state_abbr"] == "TX" and not first["gis_server"]
    assert json.loads(first["endpoints"]) == [{"type": "dcatus11", "url": "https://data.alderfallstx.gov/data.json"}]
    assert first["catalog_url"] == "https://data.alderfallstx.gov/data.json"
    assert bool(leads.iloc[1]["gis_server"]) and leads.iloc[1]["platform"] is None


class _Fake:
    def __init__(self, result: FetchResult):
        self.result, self.asked = result, []

    def get(self, url: str, **kw) -> FetchResult:
        self.asked.append(url)
        return self.result


def test_fetch_failures_are_recorded_never_raised() -> None:
    assert registry_url() == REGISTRY_URL and "/08638eaf604fd1ab31bd4e5de00492dd26fe9eac/" in REGISTRY_URL
    assert registry_url(commit="ABCDEF1").endswith("/abcdef1/data/datasets/full.parquet")
    with pytest.raises(ValueError):
        registry_url(commit="main")   # a branch moves: runs would not be reproducible
    down = _Fake(FetchResult(REGISTRY_URL, REGISTRY_URL, "GET", Outcome.DNS_ERROR, error="no such host"))
    read = fetch_registry(down)
    assert read.outcome == "unreachable" and read.entries == [] and "dns_error" in read.detail
    assert down.asked == [REGISTRY_URL]
    gone = fetch_registry(_Fake(FetchResult(REGISTRY_URL, REGISTRY_URL, "GET", Outcome.HTTP_ERROR, status=404)))
    assert gone.outcome == "http_error"
    junk = fetch_registry(_Fake(FetchResult(REGISTRY_URL, REGISTRY_URL, "GET", Outcome.OK, status=200, body=b"<html>")))
    assert junk.outcome == "malformed" and junk.entries == []
    broken = fetch_registry(_Fake(FetchResult(REGISTRY_URL, REGISTRY_URL, "GET", Outcome.OK, status=200,
                                              body=b"PAR1 truncated")))
    assert broken.outcome == "malformed"


# ---- real registry file ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def real_leads() -> pd.DataFrame:
    return registry_leads(realdata("registries/dataportals_registry_full_2026-08.parquet").read_bytes())


@pytest.fixture(scope="module")
def real_cities() -> pd.DataFrame:
    acs = parse_acs_places(realdata("census_acs2023_places_pop20k.csv").read_bytes())
    sites = pd.read_csv(realdata("websites/UScityURL.csv"), dtype=str)
    sites = pd.DataFrame({"geoid": sites["GEOID"].str[-7:], "website_url": sites["WEBSITE_URL"]})
    return acs.merge(sites.drop_duplicates("geoid"), on="geoid", how="left")


@pytest.fixture(scope="module")
def real_decisions(real_leads: pd.DataFrame, real_cities: pd.DataFrame) -> pd.DataFrame:
    out = registry_decisions(real_leads, real_cities)
    names = real_cities.set_index("geoid")
    out["city"] = out["geoid"].map(names["name"]) + ", " + out["geoid"].map(names["state_abbr"])
    return out


def test_real_registry_leads(real_leads: pd.DataFrame) -> None:
    assert len(real_leads) == 3615                           # 2,466 local + 1,149 regional U.S. entries
    assert set(real_leads["owner_type"]) == {"Local government", "Regional government"}
    assert real_leads["uid"].notna().all() and real_leads["registry_id"].is_unique
    counts = real_leads["platform"].value_counts().to_dict()
    assert counts["arcgis_hub"] > 1000 and counts["socrata"] > 100 and counts["ckan"] > 30
    assert counts["opendatasoft"] >= 10
    assert real_leads["gis_server"].sum() > 1600              # every arcgisserver row at least
    socrata = real_leads[real_leads["platform"] == "socrata"]
    assert socrata["catalog_url"].notna().mean() > 0.9


def test_real_coverage_per_platform(real_decisions: pd.DataFrame, real_cities: pd.DataFrame) -> None:
    credited = real_decisions[real_decisions["credited"]]
    per_platform = (credited.drop_duplicates(["geoid", "platform"])["platform"].fillna("unknown")
                    .value_counts().to_dict())
    cities_with_lead = credited["geoid"].nunique()
    print(f"\n{len(real_cities)} cities, {cities_with_lead} with a registry lead, {len(credited)} (city, entry) "
          f"credits; cities per platform {per_platform}; routes {credited['route'].value_counts().to_dict()}")
    assert len(real_cities) == 1309
    assert 300 <= cities_with_lead <= 420
    assert per_platform["arcgis_hub"] >= 250 and per_platform["socrata"] >= 60 and per_platform["ckan"] >= 12


#: Pairs checked by hand in the registry file: (city, portal host, credited?, why).
HAND_CHECKED = [
    ("Austin, TX", "data.austintexas.gov", True, "owner 'City of Austin', US-TX, Socrata on the city's domain"),
    ("Chicago, IL", "data.cityofchicago.org", True, "owner 'City of Chicago', US-IL, Socrata"),
    ("New York, NY", "data.cityofnewyork.us", True, "owner names the City of New York, US-NY, Socrata"),
    ("Seattle, WA", "data.seattle.gov", True, "owner 'City of Seattle', US-WA, Socrata on seattle.gov"),
    ("San Francisco, CA", "data.sfgov.org", True, "owner 'City of San Francisco', US-CA, Socrata on sfgov.org"),
    ("Los Angeles, CA", "data.lacity.org", True, "owner 'City of Los Angeles', US-CA, Socrata"),
    ("Los Angeles, CA", "controllerdata.lacity.org", True, "owner is the L.A. City Controller, lacity.org host"),
    ("Houston, TX", "data.houstontx.gov", True, "owner 'City of Houston', US-TX, CKAN on houstontx.gov"),
    ("Philadelphia, PA", "metadata.phila.gov", True, "owner 'City of Philadelphia', US-PA, phila.gov host"),
    ("Detroit, MI", "data.detroitmi.gov", True, "owner 'City of Detroit', US-MI, detroitmi.gov host"),
    ("Denver, CO", "data.denvergov.org", True, "owner 'City And County Of Denver', consolidated city"),
    ("Boston, MA", "data.boston.gov", True, "owner 'City of Boston', US-MA, CKAN on boston.gov"),
    ("Milwaukee, WI", "data.milwaukee.gov", True, "owner 'City of Milwaukee', US-WI, CKAN"),
    ("New Orleans, LA", "data.nola.gov", True, "owner 'City of New Orleans', US-LA, Socrata"),
    ("Nashville-Davidson, TN", "data.nashville.gov", True, "owner 'Metro Nashville Government', 'Nashville Open Data'"),
    ("Louisville/Jefferson County, KY", "data.louisvilleky.gov", True, "Louisville Metro on the city's domain"),
    ("Lexington-Fayette, KY", "data.lexingtonky.gov", True, "'Lexington Open Data' on the urban county's own domain"),
    ("Indianapolis, IN", "data.indy.gov", True, "owner 'City of Indianapolis', host on indy.gov"),
    ("Baton Rouge, LA", "data.brla.gov", True, "owner 'City of Baton Rouge, Parish of East Baton Rouge', consolidated"),
    ("Washington, DC", "opendata.dc.gov", True, "DC's Chief Technology Officer, 'Open Data DC' on dc.gov"),
    ("Cincinnati, OH", "data.cincinnati-oh.gov", True, "owner 'City of Cincinnati', US-OH, Socrata"),
    ("Minneapolis, MN", "opendata.minneapolismn.gov", True, "owner 'City of Minneapolis', US-MN"),
    ("Raleigh, NC", "data.raleighnc.gov", True, "owner 'City of Raleigh', US-NC, 'Open Raleigh Data'"),
    ("Jersey City, NJ", "data.jerseycitynj.gov", True, "owner 'Jersey city', US-NJ, OpenDataSoft"),
    ("Cary, NC", "data.carync.gov", True, "owner 'Town of Cary', US-NC, OpenDataSoft"),
    ("Salinas, CA", "cityofsalinas.opendatasoft.com", True, "owner 'City of Salinas', US-CA, OpenDataSoft"),
    ("Tempe, AZ", "data.tempe.gov", True, "owner 'City of Tempe', US-AZ, tempe.gov"),
    ("Grand Island, NE", "opengis.grand-island.com", True, "owner 'City of Grand Island', host on the city's domain"),
    ("Gilbert, AZ", "data.gilbertaz.gov", True, "owner 'City of Gilbert', US-AZ"),
    ("Little Rock, AR", "data.littlerock.gov", True, "owner 'City of Little Rock', US-AR"),
    ("Fontana, CA", "data-fontanaca.opendata.arcgis.com", True, "owner 'City of Fontana', US-CA, Hub"),
    ("Charlottesville, VA", "data-charlottesville.opendata.arcgis.com", True, "owner 'City of Charlottesville', Hub"),
    ("Naperville, IL", "data.naperville.il.us", True, "owner 'City of Naperville', 'Open Data Naperville'"),
    ("Colorado Springs, CO", "policedata.coloradosprings.gov", True, "city police department on the city domain"),
    ("Elk Grove, CA", "gisdata.elkgrovecity.org", True, "owner 'City of Elk' filed in US-OK; portal 'City of Elk Grove' on the city domain"),
    ("Mobile, AL", "open-government-cityofmobile.hub.arcgis.com", True, "owner 'City of Mobile, Alabama'"),
    ("Bend, OR", "bend-data-portal-bendoregon.hub.arcgis.com", True, "owner 'City of Bend, Oregon'"),
    ("North Miami Beach, FL", "city-of-north-miami-beach-open-data-hub-nmbpu.hub.arcgis.com", True,
     "owner 'City Of North Miami Beach'"),
    # County, state and regional bodies in or around the city: never the city's.
    ("North Miami, FL", "city-of-north-miami-beach-open-data-hub-nmbpu.hub.arcgis.com", False,
     "North Miami Beach, a different city whose name contains North Miami"),
    ("Baltimore, MD", "opendata.baltimorecountymd.gov", False, "owner 'Baltimore County Government', a county"),
    ("Miami, FL", "gis-mdc.opendata.arcgis.com", False, "owner 'Miami-Dade County, Florida', a county"),
    ("Omaha, NE", "data.dogis.opendata.arcgis.com", False, "owner 'Douglas County, Nebraska'"),
    ("Milwaukee, WI", "gis-mclio.opendata.arcgis.com", False, "Milwaukee County GIS & Land Information"),
    ("Spokane, WA", "gisdatacatalog-spokanecounty.opendata.arcgis.com", False, "Spokane County"),
    ("Riverside, CA", "gisopendata-countyofriverside.opendata.arcgis.com", False, "Riverside County"),
    ("Dallas, TX", "covid-analytics-pccinnovation.hub.arcgis.com", False, "owner 'Dallas County'"),
    ("Louisville/Jefferson County, KY", "data.lojic.org", False, "LOJIC consortium, read as a county body"),
    ("New York, NY", "data.ny.gov", False, "owner 'State of New York', the state portal"),
    ("San Diego, CA", "ocean-cslc.opendata.arcgis.com", False, "California State Lands Commission"),
    ("Sacramento, CA", "data.sacog.opendata.arcgis.com", False, "Sacramento Area Council of Governments, regional"),
    ("San Diego, CA", "sdgis-sandag.opendata.arcgis.com", False, "SANDAG, a regional association of governments"),
    ("Houston, TX", "gishub-h-gac.hub.arcgis.com", False, "Houston-Galveston Area Council, regional"),
    ("Atlanta, GA", "opendata.atlantaregional.com", False, "Atlanta Regional Commission"),
    ("Indianapolis, IN", "data-indympo.hub.arcgis.com", False, "Indianapolis Metropolitan Planning Organization"),
    ("Chicago, IL", "rtams.org", False, "Regional Transportation Authority"),
    ("San Diego, CA", "opendata.sandag.org", False, "SANDAG: names San Diego, but not the city government"),
    ("Chicago, IL", "datahub.cmap.illinois.gov", False, "Chicago Metropolitan Agency for Planning, regional"),
    ("Dover, NH", "www2.nhes.nh.gov", False, "New Hampshire Employment Security shares nh.gov, not dover.nh.gov"),
    # GIS servers (ArcGIS REST service directories) are not portals, even the city's own.
    ("Austin, TX", "coagiswebadaptor.austintexas.gov", False, "arcgisserver row on the city's domain"),
    ("Cincinnati, OH", "arcgis.cincinnati-oh.gov", False, "owner 'City of Cincinnati' but an arcgisserver row"),
    ("Jacksonville, FL", "maps.coj.net", False, "'City of Jacksonville GIS Portal' is an arcgisserver row"),
    ("Bakersfield, CA", "gis.bakersfieldcity.us", False, "'City of Bakersfield' arcgisserver row"),
    ("Los Angeles, CA", "arcgis.gis.lacounty.gov", False, "county REST services, GIS server and county"),
]


def test_hand_checked_pairs(real_decisions: pd.DataFrame) -> None:
    assert len(HAND_CHECKED) >= 40
    credited = {(r.city, r.host) for r in real_decisions[real_decisions["credited"]].itertuples()}
    wrong = [(city, host, why) for city, host, expected, why in HAND_CHECKED if ((city, host) in credited) != expected]
    assert wrong == []
    positives = [p for p in HAND_CHECKED if p[2]]
    hits = [p for p in positives if (p[0], p[1]) in credited]
    print(f"\nhand-checked: {len(HAND_CHECKED)} pairs; {len(hits)}/{len(positives)} city portals credited; "
          f"{len(HAND_CHECKED) - len(positives)} county/state/regional/GIS pairs, 0 credited")


#: Joint or consolidated city-county governments: the only credited entries whose names say county/parish.
CITY_COUNTY = {"Denver, CO", "San Francisco, CA", "Baton Rouge, LA", "Lincoln, NE", "Helena, MT", "Indianapolis, IN",
               "Lexington-Fayette, KY", "Louisville/Jefferson County, KY", "Nashville-Davidson, TN"}
_NOT_CITY = re.compile(r"\bcounty\b|\bparish\b|\bstate of\b|\bcommonwealth of\b|\bregional\b|\bregion\b|"
                       r"council of governments|association of governments|\bmpo\b|planning (commission|organization)")


def test_no_county_state_or_regional_portal_credited(real_decisions: pd.DataFrame, real_leads: pd.DataFrame) -> None:
    credited = real_decisions[real_decisions["credited"]]
    names = (credited["owner_name"].fillna("") + " | " + credited["name"].fillna("")).map(normalize)
    flagged = credited[names.map(lambda t: bool(_NOT_CITY.search(t)))]
    assert set(flagged["city"]) <= CITY_COUNTY, flagged[["city", "owner_name", "name", "host"]].to_string()
    # every flagged entry also names the city government itself or sits on the city's own domain
    assert flagged["route"].isin(["name", "name+domain", "domain"]).all()
    gis = set(real_leads.loc[real_leads["gis_server"], "registry_id"])
    assert not gis & set(credited["registry_id"])
    assert not credited["portal_url"].str.contains("/rest/services", case=False).any()
    refused = real_decisions[~real_decisions["credited"]]
    print(f"\nrefused pairs by level: {refused['level'].value_counts().to_dict()}; "
          f"GIS servers refused: {int(refused['reason'].str.startswith('GIS server').sum())}")
