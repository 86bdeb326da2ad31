"""Census place parsers: real ACS 2023 place populations, and SUB-EST built from the same real rows.

The real file (../shared/realdata/census_acs2023_places_pop20k.csv, read in place, never copied) gives
real names and FIPS codes. The SUB-EST parser is proven on those same names and codes by writing a
SUB-EST-format Latin-1 file at test time (state, county, MCD, county-part, consolidated-city rows
around the real 162 rows) and checking it yields exactly what the ACS parser yields.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest

from sources import census, geo
from sources.census import (
    CANONICAL_COLUMNS,
    clean_place_name,
    parse_acs_places,
    parse_city_table,
    parse_subest,
)

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
ACS_FILE = SHARED / "realdata" / "census_acs2023_places_pop20k.csv"
YEARS = range(2020, 2025)
SUBEST_HEADER = ["SUMLEV", "STATE", "COUNTY", "PLACE", "COUSUB", "CONCIT", "PRIMGEO_FLAG", "FUNCSTAT",
                 "NAME", "STNAME", "ESTIMATESBASE2020", *[f"POPESTIMATE{y}" for y in YEARS]]


# ---- helpers ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def acs_bytes() -> bytes:
    if not ACS_FILE.exists():
        pytest.skip(f"real data not available: expected {ACS_FILE.name} in ../shared/realdata beside the repo")
    return ACS_FILE.read_bytes()


@pytest.fixture(scope="module")
def acs_rows(acs_bytes: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(acs_bytes.decode("utf-8"))))


@pytest.fixture(scope="module")
def acs(acs_bytes: bytes) -> pd.DataFrame:
    return parse_acs_places(acs_bytes)


def pops(latest: int) -> list[int]:
    """ESTIMATESBASE2020 and POPESTIMATE2020..2024, ending at ``latest``, 100 apart per year."""
    return [latest - 600] + [latest - 100 * (2024 - y) for y in YEARS]


def subest_row(sumlev: str, state: str, name: str, stname: str, latest: int, *, county: str = "000",
               place: str = "00000", cousub: str = "00000", concit: str = "00000",
               funcstat: str = "A") -> list:
    return [sumlev, state, county, place, cousub, concit, "0", funcstat, name, stname, *pops(latest)]


def subest_from_acs(rows: list[dict[str, str]]) -> bytes:
    """A SUB-EST-format Latin-1 file whose incorporated places are the real ACS ones.

    Selection is deliberately independent of the parser under test: what the real SUB-EST holds is
    every incorporated place of the states and DC, i.e. no CDP and no Puerto Rico.
    """
    places = [r for r in rows if " CDP" not in r["NAME"] and r["state_fips"] != "72"]
    out: list[list] = []
    by_state: dict[str, list[dict[str, str]]] = {}
    for r in places:
        by_state.setdefault(r["state_fips"], []).append(r)
    for fips, members in sorted(by_state.items()):
        stname = members[0]["state_name"]
        out.append(subest_row("040", fips, stname, stname, sum(int(r["population"]) for r in members) * 3))
        out.append(subest_row("050", fips, "Imaginary County", stname, 5_000_000, county="999"))
        out.append(subest_row("061", fips, "Imaginary township", stname, 95_000, county="999", cousub="99999"))
        for i, r in enumerate(members):
            legal = r["NAME"].rsplit(", ", 1)[0]
            latest = int(r["population"])
            out.append(subest_row("162", fips, legal, stname, latest, place=r["place_fips"],
                                  funcstat="F" if "(balance)" in legal else "A"))
            if i % 5 == 0:  # the same place again, split across two counties
                half = latest // 2
                for county, part in (("001", half), ("003", latest - half)):
                    out.append(subest_row("157", fips, f"{legal} (pt.)", stname, part, county=county,
                                          place=r["place_fips"]))
            if i % 11 == 0:  # and as the place part of a minor civil division
                out.append(subest_row("071", fips, legal, stname, latest, county="001", cousub="88888",
                                      place=r["place_fips"]))
    # Nashville: the consolidated city (170) and a place within it (172) around the balance (162).
    out.append(subest_row("170", "47", "Nashville-Davidson metropolitan government", "Tennessee", 720_000,
                          place="52004", concit="52004", funcstat="C"))
    out.append(subest_row("172", "47", "Nashville-Davidson metropolitan government (balance)", "Tennessee",
                          690_000, place="52006", concit="52004", funcstat="F"))
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(SUBEST_HEADER)
    writer.writerows(out)
    return buf.getvalue().encode("latin-1")


@pytest.fixture(scope="module")
def subest_bytes(acs_rows: list[dict[str, str]]) -> bytes:
    return subest_from_acs(acs_rows)


def synthetic_subest(rows: list[list], header: list[str] = SUBEST_HEADER) -> bytes:
    buf = io.StringIO()
    csv.writer(buf).writerows([header, *rows])
    return buf.getvalue().encode("latin-1")


# ---- real ACS file ----------------------------------------------------------------------------


def test_acs_universe_size(acs: pd.DataFrame, acs_rows: list[dict[str, str]]) -> None:
    # README: 1,318 rows of 30,000+ are "not CDP". Nine of them are Puerto Rico "zonas urbanas",
    # which are CDP-type statistical places too (Puerto Rico has no incorporated places), so the
    # incorporated places of 30,000+ are 1,309, all in the 50 states and DC.
    big = [r for r in acs_rows if int(r["population"]) >= 30_000]
    not_cdp = [r for r in big if " CDP" not in r["NAME"]]
    assert len(not_cdp) == 1318
    pr = [r["NAME"] for r in not_cdp if r["state_fips"] == "72"]
    assert len(pr) == 9 and all(" zona urbana, " in n for n in pr)
    assert len(acs) == 1309
    assert len(parse_acs_places(ACS_FILE.read_bytes(), include_territories=True)) == 1309
    cdps = [r for r in big if census.is_statistical_place(r["NAME"].rsplit(", ", 1)[0])]
    assert len(cdps) == 217  # 208 CDPs in the states + 9 PR zonas urbanas
    assert not set(acs["geoid"]) & {r["state_fips"] + r["place_fips"] for r in cdps}


def test_acs_schema(acs: pd.DataFrame) -> None:
    assert list(acs.columns) == CANONICAL_COLUMNS
    assert acs["geoid"].str.fullmatch(r"\d{7}").all() and acs["geoid"].is_unique
    assert (acs["geoid"] == acs["state_fips"] + acs["place_fips"]).all()
    assert acs["geoid"].is_monotonic_increasing
    assert acs["population"].dtype == "int64" and (acs["population"] >= 30_000).all()
    assert acs["population_year"].eq(2023).all()
    assert set(acs["source"]) == {"acs"} and set(acs["sumlev"]) == {"160"}
    pairs = {(s.fips, s.usps, s.name) for s in geo.STATES}
    assert set(zip(acs["state_fips"], acs["state_abbr"], acs["state_name"], strict=True)) <= pairs
    assert acs["name"].notna().all() and (acs["name"].str.len() > 0).all()
    assert not acs["name"].str.contains(r" (?:city|town|village|borough|CDP|\(balance\))$").any()


@pytest.mark.parametrize(("geoid", "name", "legal_name"), [
    ("0159472", "Phenix City", "Phenix City city"),  # the file's place_name says "Phenix"
    ("0203000", "Anchorage", "Anchorage municipality"),
    ("0236400", "Juneau", "Juneau city and borough"),  # place_name: "Juneau and"
    ("0947515", "Milford", "Milford city (balance)"),
    ("1150000", "Washington", "Washington city"),
    ("1303440", "Athens-Clarke County", "Athens-Clarke County unified government (balance)"),
    ("1304204", "Augusta-Richmond County", "Augusta-Richmond County consolidated government (balance)"),
    ("1349008", "Macon-Bibb County", "Macon-Bibb County"),
    ("1608830", "Boise City", "Boise City city"),
    ("1836003", "Indianapolis", "Indianapolis city (balance)"),
    ("2146027", "Lexington-Fayette", "Lexington-Fayette urban county"),
    ("2148006", "Louisville/Jefferson County", "Louisville/Jefferson County metro government (balance)"),
    ("2546598", "North Attleborough Town", "North Attleborough Town city"),
    ("3011397", "Butte-Silver Bow", "Butte-Silver Bow (balance)"),
    ("3209700", "Carson City", "Carson City"),
    ("3460900", "Princeton", "Princeton"),
    ("4206064", "Bethel Park", "Bethel Park municipality"),
    ("4752006", "Nashville-Davidson", "Nashville-Davidson metropolitan government (balance)"),
    ("4940470", "Kearns", "Kearns metro township"),
])
def test_acs_tricky_names(acs: pd.DataFrame, geoid: str, name: str, legal_name: str) -> None:
    row = acs.set_index("geoid").loc[geoid]
    assert (row["name"], row["legal_name"]) == (name, legal_name)


@pytest.mark.parametrize("geoid", [
    "1571550",  # Urban Honolulu CDP
    "5103000",  # Arlington CDP, Virginia
    "3254600",  # Paradise CDP, Nevada
    "2250115",  # Metairie CDP, Louisiana
    "0673696",  # Spring Valley CDP (San Diego County): county-qualified CDP name
    "7276770",  # San Juan zona urbana, Puerto Rico
])
def test_acs_statistical_places_excluded(acs: pd.DataFrame, geoid: str) -> None:
    assert geoid not in set(acs["geoid"])


def test_acs_lower_threshold_keeps_non_ascii_names(acs_bytes: bytes) -> None:
    small = parse_acs_places(acs_bytes, min_population=20_000)
    assert len(small) > 1309 and small["population"].min() >= 20_000
    assert small.set_index("geoid").loc["0639003", "name"] == "La Cañada Flintridge"
    assert not (small["state_abbr"] == "HI").any()  # Hawaii has no incorporated places


def test_geo_matches_the_real_file(acs_rows: list[dict[str, str]]) -> None:
    for r in acs_rows:
        state = geo.state_by_fips(r["state_fips"], include_territories=True)
        assert state is not None and (state.usps, state.name) == (r["state_abbrev"], r["state_name"])
    assert len(geo.STATES) == 51
    assert geo.state_by_fips("72") is None and geo.state_by_usps("PR", include_territories=True).fips == "72"
    assert geo.state_by_usps("oh").fips == "39" and geo.state_by_fips(6).usps == "CA"
    assert geo.state_by_name(" district of  COLUMBIA ").usps == "DC"
    assert geo.state_by_fips("00") is None and geo.state_by_usps("") is None


# ---- SUB-EST built from the real rows ---------------------------------------------------------


COMPARED = ["geoid", "state_fips", "place_fips", "name", "legal_name", "state_abbr", "state_name", "population"]


@pytest.mark.parametrize("threshold", [30_000, 20_000])
def test_subest_equals_acs_on_real_names_and_codes(acs_bytes: bytes, subest_bytes: bytes, threshold: int) -> None:
    expected = parse_acs_places(acs_bytes, min_population=threshold)
    got = parse_subest(subest_bytes, min_population=threshold)
    assert list(got.columns) == CANONICAL_COLUMNS
    pd.testing.assert_frame_equal(got[COMPARED], expected[COMPARED])
    assert got["population_year"].eq(2024).all() and set(got["source"]) == {"census_subest"}
    assert set(got["sumlev"]) == {"162"}


def test_subest_real_rows_details(subest_bytes: bytes) -> None:
    got = parse_subest(subest_bytes, min_population=20_000).set_index("geoid")
    assert got.loc["0639003", "name"] == "La Cañada Flintridge"  # decoded from Latin-1
    assert got.loc["4752006", "funcstat"] == "F" and got.loc["0100820", "funcstat"] == "A"
    assert "4752004" not in got.index  # the consolidated city (170) itself is not a row
    assert got.loc["4752006", "population"] == 684_298  # the 162 balance, not the 172 copy


def test_subest_year_selection(subest_bytes: bytes, acs: pd.DataFrame) -> None:
    older = parse_subest(subest_bytes, year=2022, min_population=0).set_index("geoid")
    assert older["population_year"].eq(2022).all()
    latest = acs.set_index("geoid")["population"]
    assert (older.loc[latest.index, "population"] == latest - 200).all()


def test_city_table_sniffs_real_formats(acs_bytes: bytes, subest_bytes: bytes) -> None:
    pd.testing.assert_frame_equal(parse_city_table(acs_bytes), parse_acs_places(acs_bytes))
    pd.testing.assert_frame_equal(parse_city_table(subest_bytes), parse_subest(subest_bytes))


# ---- synthetic SUB-EST cases ------------------------------------------------------------------


def test_subest_threshold_is_inclusive_and_configurable() -> None:
    data = synthetic_subest([
        subest_row("040", "39", "Ohio", "Ohio", 11_800_000),
        subest_row("162", "39", "Alder Falls city", "Ohio", 30_000, place="01234"),
        subest_row("162", "39", "Birch Harbor village", "Ohio", 29_999, place="05678"),
        subest_row("162", "39", "Cedar Mesa city", "Ohio", 75_000, place="09012"),
    ])
    assert parse_subest(data)["name"].tolist() == ["Alder Falls", "Cedar Mesa"]
    assert parse_subest(data, min_population=50_000)["name"].tolist() == ["Cedar Mesa"]
    assert len(parse_subest(data, min_population=1)) == 3


def test_subest_county_parts_do_not_double_count() -> None:
    data = synthetic_subest([
        subest_row("162", "48", "Alder Falls city", "Texas", 40_000, place="01234"),
        subest_row("157", "48", "Alder Falls city (pt.)", "Texas", 25_000, county="001", place="01234"),
        subest_row("157", "48", "Alder Falls city (pt.)", "Texas", 15_000, county="003", place="01234"),
        subest_row("157", "48", "Balance of Imaginary County", "Texas", 90_000, county="005", place="99990"),
    ])
    out = parse_subest(data)
    assert out[["geoid", "population"]].values.tolist() == [["4801234", 40_000]]


def test_subest_codes_are_zero_padded_text() -> None:
    data = synthetic_subest([subest_row("162", "1", "Alder Falls city", "Alabama", 31_000, place="820")])
    row = parse_subest(data).iloc[0]
    assert (row["geoid"], row["state_fips"], row["place_fips"], row["state_abbr"]) == (
        "0100820", "01", "00820", "AL")


def test_subest_latest_year_whatever_the_column_order() -> None:
    header = ["SUMLEV", "STATE", "COUNTY", "PLACE", "COUSUB", "CONCIT", "PRIMGEO_FLAG", "FUNCSTAT", "NAME",
              "STNAME", "POPESTIMATE2025", "POPESTIMATE042020", "POPESTIMATE2024"]
    data = synthetic_subest([["162", "08", "000", "11810", "00000", "00000", "0", "A", "Cañon City city",
                              "Colorado", "31000", "29000", "30500"]], header)
    row = parse_subest(data).iloc[0]
    assert (row["name"], row["population"], row["population_year"]) == ("Cañon City", 31_000, 2025)
    assert parse_subest(data, year=2024).iloc[0]["population"] == 30_500
    with pytest.raises(ValueError, match=r"no POPESTIMATE2019 column \(years: 2024, 2025\)"):
        parse_subest(data, year=2019)


def test_subest_accepts_utf8_too() -> None:
    text = ",".join(SUBEST_HEADER) + "\n162,08,000,11810,00000,00000,0,A,Cañon City city,Colorado," \
        + ",".join(str(p) for p in pops(30_100)) + "\n"
    assert parse_subest(text.encode("utf-8"))["name"].tolist() == ["Cañon City"]
    assert parse_subest(text.encode("utf-8-sig"))["name"].tolist() == ["Cañon City"]


def test_subest_missing_columns_are_named() -> None:
    header = [c for c in SUBEST_HEADER if c != "FUNCSTAT" and not c.startswith("POPESTIMATE")]
    data = synthetic_subest([["162", "39", "000", "01234", "00000", "00000", "0", "Alder Falls city",
                              "Ohio", "31000"]], header)
    with pytest.raises(ValueError, match=r"not a Census SUB-EST file: missing column\(s\) FUNCSTAT, POPESTIMATE"):
        parse_subest(data)


def test_subest_rejects_the_acs_table(acs_bytes: bytes) -> None:
    with pytest.raises(ValueError, match=r"missing column\(s\) SUMLEV, STATE, PLACE, FUNCSTAT"):
        parse_subest(acs_bytes)


def test_subest_rejects_empty_and_corrupt_files() -> None:
    with pytest.raises(ValueError, match="empty"):
        parse_subest(b"")
    with pytest.raises(ValueError, match="invalid STATE code"):
        parse_subest(synthetic_subest([subest_row("162", "OH", "Alder Falls city", "Ohio", 31_000,
                                                  place="01234")]))


def test_subest_excludes_territories_by_default() -> None:
    data = synthetic_subest([subest_row("162", "72", "Imaginary municipio city", "Puerto Rico", 99_000,
                                        place="01234")])
    assert parse_subest(data).empty
    assert parse_subest(data, include_territories=True)["state_abbr"].tolist() == ["PR"]


# ---- user city lists --------------------------------------------------------------------------


def test_simple_csv() -> None:
    data = (b"GeoID,Name,State_Abbr,Population,Website\n"
            b"103076,Alder Falls,al,\"45,000\",https://www.alderfalls.example.gov/\n"
            b"3901234,Birch Harbor,OH,29000,\n"
            b"3905678,Cedar Mesa,OH,31000,\n")
    out = parse_city_table(data)
    assert list(out.columns) == [*CANONICAL_COLUMNS, "website"]
    assert out["geoid"].tolist() == ["0103076", "3905678"]
    first = out.iloc[0]
    assert (first["state_fips"], first["place_fips"], first["state_abbr"], first["state_name"]) == (
        "01", "03076", "AL", "Alabama")
    assert first["population"] == 45_000 and pd.isna(first["population_year"])
    assert first["website"] == "https://www.alderfalls.example.gov/" and out.iloc[1]["website"] is None
    assert set(out["source"]) == {"csv"} and first["legal_name"] == "Alder Falls"
    assert len(parse_city_table(data, min_population=1)) == 3


def test_simple_csv_without_website_and_with_year() -> None:
    out = parse_city_table(b"geoid,name,state_abbr,population,population_year\n3905678,Cedar Mesa,OH,31000,2024\n")
    assert "website" not in out.columns and out.iloc[0]["population_year"] == 2024


def test_simple_csv_with_the_warehouse_column_names() -> None:
    """A list exported from marts.cities (geoid, city, state, population) reads back as a city list."""
    out = parse_city_table(b"geoid,city,state,population,website_url\n3905678,Cedar Mesa,oh,31000,\n")
    assert (out.iloc[0]["name"], out.iloc[0]["state_abbr"], out.iloc[0]["state_name"]) == ("Cedar Mesa", "OH", "Ohio")


@pytest.mark.parametrize(("data", "message"), [
    (b"geoid,name,state_abbr,population\nOH-1234,Alder Falls,OH,40000\n", "invalid geoid"),
    (b"geoid,name,state_abbr,population\n3901234,Alder Falls,OH,many\n", "non-numeric population"),
    (b"city,state,pop\nAlder Falls,OH,40000\n", "accepted formats: Census SUB-EST"),
    (b"\n\n", "empty city table"),
])
def test_city_table_errors(data: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_city_table(data)


def test_a_bad_row_of_a_users_list_is_named_by_its_line_and_a_repeated_line_read_once() -> None:
    """A hand-made list: the error names each bad row and its line, and says a population is missing (a short
    row) rather than calling it non-numeric; a line pasted twice is one city, not a duplicate to set aside."""
    head = b"geoid,name,state_abbr,population\n"
    with pytest.raises(ValueError, match=r"no population: row 2 \(line 3\): ''"):
        parse_city_table(head + b"3901234,Alder Falls,OH,40000\n3901236,Birch Bay,OH\n")
    with pytest.raises(ValueError, match=r"missing or non-numeric population: row 1 \(line 2\): 'many'"):
        parse_city_table(head + b"3901234,Alder Falls,OH,many\n3901236,Birch Bay,OH,\n")
    with pytest.raises(ValueError, match=r"invalid geoid .*row 2 \(line 3\): '48ABC99'"):
        parse_city_table(head + b"3901234,Alder Falls,OH,40000\n48ABC99,Birch Bay,TX,50000\n")
    twice = parse_city_table(head + b"3901234,Alder Falls,OH,40000\n3901236,Birch Bay,OH,52000\n"
                             b"3901234,Alder Falls,OH,40000\n")
    assert list(twice["geoid"]) == ["3901234", "3901236"]
    blank_and_quoted = (head + b"\n3901234,\"Alder\nFalls\",OH,40000\n\n3901236,Birch Bay,OH,many\n")
    with pytest.raises(ValueError, match=r"row 2 \(line 6\): 'many'"):
        parse_city_table(blank_and_quoted)
    differing = parse_city_table(head + b"3901234,Alder Falls,OH,40000\n3901234,Alder Falls,OH,41000\n")
    assert len(differing) == 2, "rows that disagree are both kept, for the cities suite to set aside"


# ---- names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("legal", "name"), [
    ("Alder Falls city", "Alder Falls"),
    ("Alder Falls town", "Alder Falls"),
    ("Alder Falls village", "Alder Falls"),
    ("Alder Falls borough", "Alder Falls"),
    ("Alder Falls municipality", "Alder Falls"),
    ("Alder Falls charter township", "Alder Falls"),
    ("Alder Falls township", "Alder Falls"),
    ("Alder Falls city and borough", "Alder Falls"),
    ("Alder Falls city (balance)", "Alder Falls"),
    ("Alder-Pine County unified government (balance)", "Alder-Pine County"),
    ("Alder Falls CDP", "Alder Falls"),
    ("Alder Falls CDP (Birch County)", "Alder Falls"),
    ("Charles Town city", "Charles Town"),
    ("Kansas City city", "Kansas City"),
    ("Carson City", "Carson City"),
    ("  Alder   Falls city ", "Alder Falls"),
    ("city", "city"),
])
def test_clean_place_name(legal: str, name: str) -> None:
    assert clean_place_name(legal) == name


def test_subest_url_is_parameterized_by_vintage() -> None:
    assert census.SUBEST_URL == ("https://www2.census.gov/programs-surveys/popest/datasets/2020-2024/"
                                 "cities/totals/sub-est2024.csv")
    assert census.subest_url(2025).endswith("/2020-2025/cities/totals/sub-est2025.csv")
    with pytest.raises(ValueError, match="vintage 2019"):
        census.subest_url(2019)
