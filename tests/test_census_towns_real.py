"""Towns and townships that are governments (issue 16, item 4): ``census.parse_subest_places`` with
``include_towns`` and ``census.subest_towns``.

Real files: ../shared/realdata/census/sub_est2024/sub-est2024_<fips>.csv, read in place (never copied).
Expected figures are counted from the files independently of the parser (csv module, raw columns).
Unit tests use small hand-written SUB-EST tables with invented names.
"""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest

from sources import census, geo
from sources.census import (
    CANONICAL_COLUMNS,
    TOWN_EXTRA_COLUMNS,
    parse_subest,
    parse_subest_places,
    subest_towns,
)
from tests.conftest import realdata

SUBEST_DIR = "census/sub_est2024"
MCD_FILES = {"MA": "25", "CT": "9", "NY": "36", "RI": "44", "NH": "33", "ME": "23", "VT": "50"}
# fips -> (places of 30,000+ flag off, towns added flag on); places are unchanged by the flag
EXPECTED = {"25": (45, 18), "9": (17, 16), "36": (26, 53), "44": (6, 6), "33": (5, 2), "23": (3, 0),
            "50": (1, 0), "6": (245, 0), "48": (115, 0), "35": (10, 0), "11": (1, 0), "15": (1, 0)}


def real_bytes(fips: str) -> bytes:
    return realdata(f"{SUBEST_DIR}/sub-est2024_{fips}.csv").read_bytes()


def raw_rows(fips: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(real_bytes(fips).decode("latin-1"))))


def all_active(data: bytes) -> bytes:
    """The same file with every 061 row marked FUNCSTAT A, as another state might code its MCDs: the
    coincidence rule alone must then still keep the fictitious/consolidated MCDs out."""
    lines = []
    for line in data.split(b"\n"):
        cells = line.split(b",")
        if cells[0] == b"061":
            cells[7] = b"A"
        lines.append(b",".join(cells))
    return b"\n".join(lines)


# ---- real files -------------------------------------------------------------------------------


@pytest.mark.parametrize("fips", sorted(EXPECTED))
def test_flag_off_is_todays_output_and_counts_per_state(fips: str) -> None:
    data = real_bytes(fips)
    today = parse_subest(data)
    pd.testing.assert_frame_equal(parse_subest_places(data), today)
    pd.testing.assert_frame_equal(parse_subest_places(data, include_towns=False), today)
    on = parse_subest_places(data, include_towns=True)
    places, towns = EXPECTED[fips]
    assert (len(today), int((on["kind"] == "town").sum())) == (places, towns)
    assert list(on.columns) == CANONICAL_COLUMNS + TOWN_EXTRA_COLUMNS
    # the places are untouched by the flag
    got_places = on[on["kind"] == "place"].drop(columns=TOWN_EXTRA_COLUMNS).reset_index(drop=True)
    pd.testing.assert_frame_equal(got_places, today)
    assert on["geoid"].is_unique
    assert on["geoid"].str.len().map({7: "place", 10: "town"}).tolist() == on["kind"].tolist()


@pytest.mark.parametrize("fips", ["25", "9"])
def test_new_england_every_mcd_of_30k_appears_once(fips: str) -> None:
    """In MA and CT every municipality is a minor civil division: cities are MCDs too (MA: 061 F,
    CT: 061 C), so places + towns must equal the 061 rows of 30,000+, each once."""
    rows = raw_rows(fips)
    mcds = [r for r in rows if r["SUMLEV"] == "061" and int(r["POPESTIMATE2024"]) >= 30_000]
    active = [r for r in mcds if r["FUNCSTAT"] == "A"]
    on = parse_subest_places(real_bytes(fips), include_towns=True)
    assert len(on) == len(mcds)
    towns = on[on["kind"] == "town"]
    assert sorted(towns["geoid"]) == sorted(r["STATE"] + r["COUNTY"] + r["COUSUB"] for r in active)
    assert towns.set_index("legal_name")["population"].to_dict() == {
        r["NAME"]: int(r["POPESTIMATE2024"]) for r in active}
    assert towns["funcstat"].eq("A").all() and towns["sumlev"].eq("061").all()
    assert towns["place_fips"].isna().all()
    # a non-active MCD (the city's or city-town's duplicate record) never appears
    dup_geoids = {r["STATE"] + r["COUNTY"] + r["COUSUB"] for r in mcds if r["FUNCSTAT"] != "A"}
    assert not dup_geoids & set(on["geoid"])


def test_massachusetts_towns_and_cities() -> None:
    on = parse_subest_places(real_bytes("25"), include_towns=True).set_index("geoid")
    towns = on[on["kind"] == "town"]
    assert len(towns) == 18
    for name, pop in [("Brookline", 63_925), ("Plymouth", 66_663), ("Arlington", 47_112),
                      ("Lexington", 34_743), ("Needham", 32_931), ("Milford", 30_640)]:
        assert towns.loc[towns["name"] == name, "population"].tolist() == [pop], name
    assert towns.loc["2502109175", "legal_name"] == "Brookline town"
    # Framingham became a city in 2018: 162 "Framingham city" (and 157/071, plus a fictitious 061);
    # it is a place, once, with its place GEOID
    assert on.loc["2524960", ["legal_name", "kind", "population"]].tolist() == ["Framingham city", "place", 73_361]
    assert (on["name"] == "Framingham").sum() == 1
    # "Town city" governments (Barnstable, Weymouth...) are places too
    for geoid in ("2503690", "2578972", "2501370"):
        assert on.loc[geoid, "kind"] == "place"
    assert on["name"].is_unique


def test_connecticut_towns_not_their_places() -> None:
    data = real_bytes("9")
    on = parse_subest_places(data, include_towns=True).set_index("geoid")
    towns = on[on["kind"] == "town"]
    for name in ("West Hartford", "Greenwich", "Fairfield", "Hamden", "Manchester", "East Hartford",
                 "Stratford", "Groton"):
        assert (towns["name"] == name).sum() == 1, name
    # consolidated city-towns appear once, as the city (place GEOID)
    for geoid, legal in [("0937000", "Hartford city"), ("0908000", "Bridgeport city"),
                         ("0973000", "Stamford city"), ("0949880", "Naugatuck borough"),
                         ("0947515", "Milford city (balance)")]:
        assert on.loc[geoid, ["legal_name", "kind"]].tolist() == [legal, "place"]
    assert not ({"Hartford", "Bridgeport", "Stamford", "Naugatuck", "Milford"} & set(towns["name"]))
    # no place is added by the flag: CDPs are not in SUB-EST and the boroughs/cities inside towns
    # (Groton city, Stonington borough...) stay under the place rules
    assert set(on.index[on["kind"] == "place"]) == set(parse_subest(data)["geoid"])


def test_new_york_towns_and_villages() -> None:
    data = real_bytes("36")
    on = parse_subest_places(data, include_towns=True).set_index("geoid")
    for geoid, legal, pop in [("3605934000", "Hempstead town", 792_341), ("3610310000", "Brookhaven town", 492_759),
                              ("3610338000", "Islip town", 339_170), ("3605956000", "Oyster Bay town", 299_540),
                              ("3602902000", "Amherst town", 130_862)]:
        assert on.loc[geoid, ["legal_name", "kind", "population"]].tolist() == [legal, "town", pop]
    # a village is its own government inside its town: both appear (different governments, the
    # town's population includes the village's, as the village's residents are the town's too)
    assert on.loc["3633139", ["legal_name", "kind"]].tolist() == ["Hempstead village", "place"]
    # Palm Tree town is coterminous with Kiryas Joel village: same people, kept once, as the village
    assert on.loc["3639853", "legal_name"] == "Kiryas Joel village"
    assert "Palm Tree town" not in set(on["legal_name"])
    towns = subest_towns(data)
    assert towns.set_index("legal_name").loc["Palm Tree town", "coincident_place_geoid"] == "3639853"
    assert towns["coincident_place_geoid"].notna().sum() == 1
    # Harrison town/village (partially consolidated, FUNCSTAT B): once, as the village
    assert on.loc["3632402", "legal_name"] == "Harrison village"
    assert not on["legal_name"].str.startswith("Harrison town").any()
    # cities are places once (their 061 rows are fictitious), New York City included
    assert (on["name"] == "New York").sum() == 1 and on.loc["3651000", "kind"] == "place"
    assert not on.loc[on["kind"] == "town", "legal_name"].str.endswith(" city").any()


@pytest.mark.parametrize("fips", ["25", "9", "36", "44", "33", "23", "50"])
def test_coincidence_rule_alone_removes_duplicate_mcds(fips: str) -> None:
    """FUNCSTAT is what removes the duplicates in these files; the structural rule must too, for
    states that might code them A (all 061 rows rewritten to A in memory)."""
    data = real_bytes(fips)
    pd.testing.assert_frame_equal(parse_subest_places(all_active(data), include_towns=True),
                                  parse_subest_places(data, include_towns=True))


def test_no_active_mcd_is_split_across_counties_in_the_real_files() -> None:
    for fips in MCD_FILES.values():
        active = [r for r in raw_rows(fips) if r["SUMLEV"] == "061" and r["FUNCSTAT"] == "A"]
        codes = [r["COUSUB"] for r in active]
        assert len(codes) == len(set(codes)), fips


# ---- hand-written tables ----------------------------------------------------------------------

HEADER = ("SUMLEV,STATE,COUNTY,PLACE,COUSUB,CONCIT,PRIMGEO_FLAG,FUNCSTAT,NAME,STNAME,"
          "ESTIMATESBASE2020,POPESTIMATE2023,POPESTIMATE2024")


def table(*rows: str) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode("latin-1")


def row(sumlev: str, county: str, place: str, cousub: str, funcstat: str, name: str, pop: int, *,
        state: str = "25", base: int | None = None, concit: str = "00000") -> str:
    base = pop - 500 if base is None else base
    return f"{sumlev},{state},{county},{place},{cousub},{concit},0,{funcstat},{name},Somestate,{base},{pop - 100},{pop}"


def test_unit_flag_off_equals_parse_subest_and_towns_are_filtered() -> None:
    data = table(
        row("162", "000", "10000", "00000", "A", "Alder Falls city", 50_000),
        row("061", "001", "00000", "10000", "F", "Alder Falls city", 50_000),
        row("061", "001", "00000", "20000", "A", "Birchwood town", 30_000),      # kept (inclusive)
        row("061", "001", "00000", "20500", "A", "Cedar Vale town", 29_999),     # under threshold
        row("061", "003", "00000", "30000", "C", "Dune town", 40_000),           # consolidated
        row("061", "003", "00000", "40000", "N", "Elm Gore town", 40_000),       # not functioning
        row("061", "003", "00000", "50000", "A", "Fenwick township", 40_000, state="39"),  # Ohio
    )
    assert list(parse_subest_places(data).columns) == CANONICAL_COLUMNS
    pd.testing.assert_frame_equal(parse_subest_places(data), parse_subest(data))
    on = parse_subest_places(data, include_towns=True)
    assert on[["geoid", "name", "kind", "population"]].values.tolist() == [
        ["2500120000", "Birchwood", "town", 30_000], ["2510000", "Alder Falls", "place", 50_000]]
    town = on.iloc[0]
    assert (town["state_fips"], town["county_fips"], town["cousub_fips"], town["place_fips"],
            town["state_abbr"], town["sumlev"], town["population_year"]) == ("25", "001", "20000", None,
                                                                            "MA", "061", 2024)
    assert on.iloc[1][["kind", "county_fips", "cousub_fips"]].tolist() == ["place", None, None]
    assert len(parse_subest_places(data, include_towns=True, min_population=29_999)) == 3


def test_unit_active_mcd_coextensive_with_place_appears_once_as_the_place() -> None:
    data = table(
        row("162", "000", "10000", "00000", "A", "Alder Falls city", 50_000),
        row("061", "001", "00000", "10070", "A", "Alder Falls town", 50_000),
        row("071", "001", "10000", "10070", "A", "Alder Falls city", 50_000),
    )
    on = parse_subest_places(data, include_towns=True)
    assert on[["geoid", "kind"]].values.tolist() == [["2510000", "place"]]
    assert subest_towns(data)["coincident_place_geoid"].tolist() == ["2510000"]


def test_unit_village_inside_town_both_appear() -> None:
    data = table(
        row("162", "000", "11000", "00000", "A", "Glen Cove village", 35_000, state="36"),
        row("061", "005", "00000", "22000", "A", "Harbor town", 120_000, state="36"),
        row("071", "005", "11000", "22000", "A", "Glen Cove village", 35_000, state="36"),
        row("071", "005", "99990", "22000", "S", "Balance of Harbor town", 85_000, state="36"),
    )
    on = parse_subest_places(data, include_towns=True)
    assert on[["geoid", "kind", "population"]].values.tolist() == [
        ["3600522000", "town", 120_000], ["3611000", "place", 35_000]]


def test_unit_same_population_this_year_but_not_every_year_is_not_coincidence() -> None:
    data = table(
        row("162", "000", "11000", "00000", "A", "Glen Cove village", 35_000, base=34_000, state="36"),
        row("061", "005", "00000", "22000", "A", "Harbor town", 35_000, base=36_000, state="36"),
        row("071", "005", "11000", "22000", "A", "Glen Cove village", 35_000, base=34_000, state="36"),
    )
    assert subest_towns(data)["coincident_place_geoid"].tolist() == [None]
    assert len(parse_subest_places(data, include_towns=True)) == 2


def test_unit_mcd_split_across_counties_is_one_town() -> None:
    data = table(
        row("061", "001", "00000", "30000", "A", "Ironwood township", 12_000, state="42"),
        row("061", "003", "00000", "30000", "A", "Ironwood township", 20_000, state="42"),
    )
    on = parse_subest_places(data, include_towns=True)
    assert on[["geoid", "name", "population", "county_fips"]].values.tolist() == [
        ["4200330000", "Ironwood", 32_000, "003"]]


def test_unit_without_071_rows_name_and_populations_decide() -> None:
    data = table(
        row("162", "000", "10000", "00000", "A", "Alder Falls city", 50_000, state="34"),
        row("061", "001", "00000", "10000", "A", "Alder Falls city", 50_000, state="34"),
        row("061", "001", "00000", "20000", "A", "Birchwood township", 40_000, state="34"),
    )
    assert subest_towns(data)["coincident_place_geoid"].tolist() == ["3410000", None]
    assert parse_subest_places(data, include_towns=True)["geoid"].tolist() == ["3400120000", "3410000"]


def test_unit_town_coextensive_with_consolidated_city_is_its_balance() -> None:
    data = table(
        row("170", "000", "00000", "00000", "A", "Juniper city", 60_000, state="09", concit="40000"),
        row("162", "000", "40015", "00000", "F", "Juniper city (balance)", 57_000, state="09"),
        row("172", "000", "40015", "00000", "F", "Juniper city (balance)", 57_000, state="09", concit="40000"),
        row("172", "000", "41000", "00000", "A", "Kestrel borough", 3_000, state="09", concit="40000"),
        row("061", "170", "00000", "40035", "A", "Juniper town", 60_000, state="09"),
        row("071", "170", "40015", "40035", "F", "Juniper city (balance)", 57_000, state="09"),
        row("071", "170", "41000", "40035", "A", "Kestrel borough", 3_000, state="09"),
    )
    assert subest_towns(data)["coincident_place_geoid"].tolist() == ["0940015"]
    assert parse_subest_places(data, include_towns=True)["geoid"].tolist() == ["0940015"]


def test_unit_missing_cousub_column_is_named() -> None:
    data = b"SUMLEV,STATE,COUNTY,PLACE,FUNCSTAT,NAME,POPESTIMATE2024\n162,25,000,10000,A,Alder Falls city,50000\n"
    assert len(parse_subest_places(data)) == 1
    with pytest.raises(ValueError, match="missing column COUSUB"):
        parse_subest_places(data, include_towns=True)


def test_mcd_states_are_new_england_ny_nj_pa_mi_wi_mn() -> None:
    usps = {"CT", "ME", "MA", "NH", "RI", "VT", "NY", "NJ", "PA", "MI", "WI", "MN"}
    assert {geo.state_by_usps(a).fips for a in usps} == census.MCD_GOVERNMENT_STATES


def test_a_city_list_in_sub_est_format_gives_towns_only_when_asked() -> None:
    from sources.census import parse_city_table

    data = realdata("census/sub_est2024/sub-est2024_25.csv").read_bytes()
    plain = parse_city_table(data)
    towns = parse_city_table(data, include_towns=True)
    assert len(plain) == 45 and "kind" not in plain.columns
    assert (towns["kind"] == "town").sum() == 18 and set(towns.loc[towns["kind"] == "place", "geoid"]) == set(plain["geoid"])


@pytest.mark.slow
def test_a_run_with_include_towns_publishes_towns_with_ten_digit_geoids(tmp_path) -> None:
    """`cdpi run --include-towns` with the real Massachusetts SUB-EST file as the city list (replayed from the
    sample archive, so no website is known: the universe is what is checked): the towns pass every blocking
    check and reach marts.cities as kind 'town'; without the flag the same list gives the 45 places."""
    from pipelines.cli import main as cli
    from warehouse.paths import WarehousePaths
    from warehouse.read import connect_published

    ma = realdata("census/sub_est2024/sub-est2024_25.csv")
    counts = {}
    for flag in ([], ["--include-towns"]):
        home = tmp_path / ("towns" if flag else "places")
        assert cli(["run", "--sample", "--cities", str(ma), "--home", str(home), "--quiet", *flag]) == 0
        con = connect_published(WarehousePaths(home))
        try:
            counts[bool(flag)] = dict(con.execute(
                "SELECT kind || ':' || length(geoid), count(*) FROM marts.cities_latest GROUP BY 1").fetchall())
            scored = con.execute("SELECT count(*) FROM marts.city_index_latest").fetchone()[0]
        finally:
            con.close()
        assert scored == sum(counts[bool(flag)].values())
    assert counts == {False: {"place:7": 45}, True: {"place:7": 45, "town:10": 18}}
