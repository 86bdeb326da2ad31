"""Census place tables (bytes) -> the canonical city-universe frame (pure parsing, no I/O).

Three inputs are accepted, all ending in the same columns (``CANONICAL_COLUMNS``):

* the Census Bureau's population estimates for cities and towns (SUB-EST series, e.g.
  ``sub-est2024.csv``), the default source of a live run;
* an ACS-style place table (``state_fips, place_fips, NAME, population``), as published by the Census
  API and by third parties;
* a simple CSV a user passes with ``cdpi run --cities FILE.csv``
  (``geoid,name,state_abbr,population[,website]``).

The universe is *incorporated places* (municipal governments) at or above a population threshold in
the 50 states and DC. Census-designated places (CDPs) are statistical areas without a government, so
they are excluded; see ``docs/city-universe.md`` for what that leaves out.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable

import pandas as pd

from sources import geo

SUBEST_VINTAGE = 2024


def subest_url(vintage: int = SUBEST_VINTAGE) -> str:
    """URL of the SUB-EST "totals" file of a vintage (2021 onwards share the 2020-based layout).

    Earlier vintages are refused rather than guessed: they live under another path and carry
    2010-based columns, so a silently wrong URL would only surface as a 404 mid-run.
    """
    if not 2021 <= vintage <= 2029:
        raise ValueError(f"SUB-EST vintage {vintage} is not supported (2021-2029 use the 2020-based layout)")
    return ("https://www2.census.gov/programs-surveys/popest/datasets/"
            f"2020-{vintage}/cities/totals/sub-est{vintage}.csv")


SUBEST_URL = subest_url()

CANONICAL_COLUMNS: list[str] = [
    "geoid", "state_fips", "place_fips", "name", "legal_name", "state_abbr", "state_name",
    "population", "population_year", "sumlev", "funcstat", "source",
]

SUBEST_REQUIRED = ["SUMLEV", "STATE", "PLACE", "NAME", "FUNCSTAT"]
ACS_REQUIRED = ["state_fips", "place_fips", "NAME", "population"]
SIMPLE_REQUIRED = ["geoid", "name", "state_abbr", "population"]
#: The warehouse's names for the same columns (marts.cities.city, .state): a list exported from the
#: warehouse reads back as a city list.
SIMPLE_ALIASES = {"city": "name", "state": "state_abbr"}

# SUB-EST summary levels. Only 162 (whole incorporated place) is kept: 157 rows are the county parts
# of the same places (adding them would double count), 170 is a consolidated city whose population
# is already carried by its "(balance)" place (162) plus the separately incorporated places inside
# it, and 061/071 are minor civil divisions.
SUMLEV_INCORPORATED_PLACE = "162"

_POP_COLUMN = re.compile(r"POPESTIMATE(\d{4})")
# Statistical (non-governmental) places: CDPs in the states; "zona urbana" and "comunidad" are the
# Puerto Rico CDP types. A county qualifier follows when two CDPs of a state share a name.
_STATISTICAL = re.compile(r"\s+(?:CDP|zona urbana|comunidad)(?:\s+\([^()]*\))?$")
_BALANCE = " (balance)"
# Longest first: "city and borough" must win over "borough" and "city", "metro township" over
# "township". Matching is case-sensitive on purpose: Census appends the lowercase legal type, so
# "Carson City" and "Boise City city" keep their capitalized "City".
_LEGAL_SUFFIXES = (
    "metropolitan government", "consolidated government", "unified government", "metro government",
    "city and borough", "charter township", "metro township", "urban county", "municipality",
    "township", "borough", "village", "city", "town",
)

ACCEPTED_FORMATS = (
    "Census SUB-EST (SUMLEV, STATE, COUNTY, PLACE, ..., NAME, STNAME, POPESTIMATEyyyy ...); "
    "ACS-style (state_fips, place_fips, NAME, population); "
    "simple CSV (geoid, name, state_abbr, population[, website]; city and state are accepted for name "
    "and state_abbr)"
)


def clean_place_name(legal_name: str) -> str:
    """Short display name from a Census legal name: "Alder Falls city" -> "Alder Falls".

    Readers and name matching want the common name, while the legal suffix only says which kind of
    government it is (kept in ``legal_name``). Handles balances of consolidated governments
    ("Nashville-Davidson metropolitan government (balance)" -> "Nashville-Davidson",
    "Milford city (balance)" -> "Milford"), "Juneau city and borough" -> "Juneau",
    "Lexington-Fayette urban county" -> "Lexington-Fayette", and statistical names
    ("Spring Valley CDP (San Diego County)" -> "Spring Valley"). Names without a lowercase legal
    suffix ("Carson City", "Macon-Bibb County", "Princeton") are returned unchanged. Only one suffix
    is removed, so "Charles Town city" stays "Charles Town".
    """
    name = " ".join(str(legal_name).split())
    statistical = _STATISTICAL.search(name)
    if statistical:
        return name[:statistical.start()]
    if name.endswith(_BALANCE):
        name = name[: -len(_BALANCE)].rstrip()
    for suffix in _LEGAL_SUFFIXES:
        if name.endswith(" " + suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix) - 1].rstrip()
    return name


def is_statistical_place(legal_name: str) -> bool:
    """True for CDPs (and Puerto Rico's zonas urbanas / comunidades): areas with no municipal government."""
    return bool(_STATISTICAL.search(" ".join(str(legal_name).split())))


def parse_subest(data: bytes, *, min_population: int = 30_000, year: int | None = None,
                 include_territories: bool = False) -> pd.DataFrame:
    """Incorporated places of at least ``min_population`` from a Census SUB-EST file.

    The population is the latest ``POPESTIMATEyyyy`` column unless ``year`` picks another, so a new
    vintage works without a code change. Codes are read as text and zero-padded: GEOIDs lose their
    leading zero (Alabama, Alaska, ...) as soon as a reader treats them as numbers. The real file is
    Latin-1 ("Cañon City"); UTF-8 is accepted too.

    Raises ValueError naming the missing columns when the bytes are not a SUB-EST table.
    """
    return _subest_frame(_read_table(data), min_population=min_population, year=year,
                         include_territories=include_territories)


def parse_acs_places(data: bytes, *, min_population: int = 30_000, year: int = 2023,
                     include_territories: bool = False) -> pd.DataFrame:
    """Incorporated places from an ACS-style table (``state_fips, place_fips, NAME, population``).

    ``NAME`` ("Phenix City city, Alabama") is used rather than any shortened name column, because
    hand-shortened names are unreliable ("Juneau and"). Rows whose NAME marks a statistical place
    (CDP, also with a county qualifier, and Puerto Rico's zonas urbanas / comunidades) are dropped.
    ``legal_name`` is NAME without the trailing ", State" so that it equals the SUB-EST NAME.
    """
    return _acs_frame(_read_table(data), min_population=min_population, year=year,
                      include_territories=include_territories)


def parse_city_table(data: bytes, *, min_population: int = 30_000, include_towns: bool = False) -> pd.DataFrame:
    """Canonical frame from any accepted city table, chosen by its header (see ``ACCEPTED_FORMATS``).

    A user's list only needs ``geoid,name,state_abbr,population``; a ``website`` column, when present,
    is passed through (the caller lets it win over Wikidata), as are optional ``legal_name`` and
    ``population_year``. User rows are not filtered by state: a territory in a hand-made list is
    kept so that validation reports it instead of it vanishing silently.
    """
    frame = _read_table(data)
    columns = set(frame.columns)
    if "SUMLEV" in columns and "PLACE" in columns:
        if include_towns:
            return parse_subest_places(data, min_population=min_population, include_towns=True)
        return _subest_frame(frame, min_population=min_population)
    if set(ACS_REQUIRED) <= columns:
        return _acs_frame(frame, min_population=min_population)
    if set(SIMPLE_REQUIRED) <= {SIMPLE_ALIASES.get(c.lower(), c.lower()) for c in columns}:
        return _simple_frame(frame, min_population=min_population)
    found = ", ".join(frame.columns[:12]) + (" ..." if len(frame.columns) > 12 else "")
    raise ValueError(f"unrecognized city table header ({found}); accepted formats: {ACCEPTED_FORMATS}")


# --------------------------------------------------------------------------------------------------
# towns and townships (minor civil divisions) that are general-purpose governments

# States whose minor civil divisions (towns, townships) are general-purpose local governments, by
# FIPS: New England (CT, ME, MA, NH, RI, VT), New York, New Jersey, Pennsylvania, Michigan, Wisconsin
# and Minnesota. Townships elsewhere (Ohio, Indiana, Illinois, ...) are left out on purpose (issue 16).
MCD_GOVERNMENT_STATES: frozenset[str] = frozenset(
    {"09", "23", "25", "33", "44", "50", "36", "34", "42", "26", "55", "27"})
SUMLEV_MCD = "061"             # whole minor civil division within a county
SUMLEV_PLACE_IN_MCD = "071"    # the part of a place (or the "Balance of" the MCD) inside an MCD
FUNCSTAT_ACTIVE = "A"          # active government providing primary general-purpose functions
TOWN_EXTRA_COLUMNS: list[str] = ["kind", "county_fips", "cousub_fips"]
_POPULATION_COLUMN = re.compile(r"(?:ESTIMATESBASE|POPESTIMATE)\d{4}")


def parse_subest_places(data: bytes, *, include_towns: bool = False, min_population: int = 30_000,
                        year: int | None = None, include_territories: bool = False) -> pd.DataFrame:
    """Incorporated places, plus (``include_towns=True``) towns and townships that are governments.

    With ``include_towns=False`` (the default) this is exactly ``parse_subest``: same rows, same
    columns. With it, the frame gains ``kind`` (``place`` / ``town``), ``county_fips`` and
    ``cousub_fips``, and one row per town or township of at least ``min_population`` from
    ``subest_towns`` that does not coincide with an incorporated place. A town's ``geoid`` is the
    10-digit county-subdivision code (state + county + COUSUB) and its ``place_fips`` is empty, so a
    7-character GEOID is always a place and a 10-character one always a town. A place keeps its
    7-digit GEOID even when it is also a minor civil division (every Massachusetts city, Connecticut's
    consolidated city-towns): it appears once, as the place.
    """
    frame = _read_table(data)
    places = _subest_frame(frame, min_population=min_population, year=year,
                           include_territories=include_territories)
    if not include_towns:
        return places
    towns = _subest_towns(frame, min_population=min_population, year=year)
    towns = towns[towns["coincident_place_geoid"].isna()].drop(columns=["coincident_place_geoid"])
    places = places.assign(kind="place", county_fips=None, cousub_fips=None)
    out = pd.concat([places, towns], ignore_index=True) if len(towns) else places
    return _typed(out.sort_values("geoid", kind="stable"), extra=TOWN_EXTRA_COLUMNS)


def subest_towns(data: bytes, *, min_population: int = 30_000, year: int | None = None) -> pd.DataFrame:
    """Every active town or township of at least ``min_population`` in ``MCD_GOVERNMENT_STATES``,
    with ``coincident_place_geoid`` naming the incorporated place it coincides with (else None).

    Kept: SUMLEV 061 rows with FUNCSTAT ``A``. That alone drops the minor civil divisions that merely
    repeat a place: Massachusetts and New York cities are fictitious MCDs (``F``), Connecticut's
    city-towns are consolidated (``C``), a few New York town-villages partially consolidated (``B``).

    An MCD split across counties (the same COUSUB code in two counties) is one government: its county
    parts are summed and it is identified by the county holding most of its population (ties: the
    lowest county code).

    Coincidence (one territory, two records) is then detected structurally, independent of FUNCSTAT,
    which other states may code differently: a town coincides with an incorporated place when the
    place's 071 part inside the town, the whole town and the whole place (162) have the same
    population in every population column of the file (the 2020 base and each year's estimate).
    Files without 071 rows fall back to the same rule on names: same state, same name once the legal
    suffix is removed, same population in every column. A place that only lies *inside* a town (a
    New York village, a Connecticut borough) is another government and does not make the town
    coincident. A town with the same populations as a consolidated city (SUMLEV 170) whose places (172)
    include every place inside the town coincides with it and is represented by the consolidated
    city's "(balance)" place, the row ``parse_subest`` keeps (Milford, Connecticut).
    """
    return _subest_towns(_read_table(data), min_population=min_population, year=year)


# --------------------------------------------------------------------------------------------------
# internals


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM) when valid, else Latin-1, the encoding of Census CSV downloads.

    Trying UTF-8 first is safe: Latin-1 text with accented letters is almost never valid UTF-8,
    whereas decoding UTF-8 as Latin-1 would silently produce mojibake ("CaÃ±on").
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _read_table(data: bytes) -> pd.DataFrame:
    """Every cell as text (no NaN guessing, no numeric coercion), header names stripped."""
    if not isinstance(data, bytes | bytearray):
        raise TypeError(f"expected bytes, got {type(data).__name__}")
    text = _decode(bytes(data))
    if not text.strip():
        raise ValueError(f"empty city table; accepted formats: {ACCEPTED_FORMATS}")
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False,
                            skipinitialspace=True)
    except (pd.errors.ParserError, csv.Error) as exc:
        raise ValueError(f"city table is not a readable CSV: {exc}") from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    frame.attrs["lines"] = _record_lines(text)
    return frame


def _record_lines(text: str) -> list[int]:
    """The line of the file each data row starts on, as pandas reads rows (blank lines skipped; a quoted
    value may hold line breaks): error messages name the line a user's editor shows."""
    reader = csv.reader(io.StringIO(text))
    starts, last = [], 0
    for row in reader:
        if row:
            starts.append(last + 1)
        last = reader.line_num
    return starts[1:]          # the header's line is not a row


def _require(frame: pd.DataFrame, required: Iterable[str], what: str) -> None:
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise ValueError(f"not a {what} file: missing column(s) {', '.join(missing)}")


def _codes(values: pd.Series, width: int, label: str) -> pd.Series:
    """Zero-padded numeric codes; a non-numeric code means a corrupted file, not a row to skip."""
    codes = values.astype(str).str.strip()
    bad = codes[~codes.str.fullmatch(rf"\d{{1,{width}}}")]
    if len(bad):
        examples = ", ".join(repr(v) for v in bad.unique()[:5])
        raise ValueError(f"{len(bad)} row(s) with an invalid {label} code (expected up to {width} digits): "
                         f"{examples}")
    return codes.str.zfill(width)


def _numbers(values: pd.Series) -> pd.Series:
    """Population counts; thousands separators tolerated, anything else becomes NaN."""
    return pd.to_numeric(values.astype(str).str.strip().str.replace(",", "", regex=False), errors="coerce")


def _subest_frame(frame: pd.DataFrame, *, min_population: int, year: int | None = None,
                  include_territories: bool = False) -> pd.DataFrame:
    year, years = _subest_year(frame, year)
    sumlev = frame["SUMLEV"].astype(str).str.strip().str.zfill(3)
    rows = frame[sumlev == SUMLEV_INCORPORATED_PLACE]
    place_fips = _codes(rows["PLACE"], 5, "PLACE")
    out = pd.DataFrame({
        "state_fips": _codes(rows["STATE"], 2, "STATE"),
        "place_fips": place_fips,
        "legal_name": rows["NAME"].astype(str).str.strip(),
        "population": _numbers(rows[years[year]]),
        "population_year": year,
        "sumlev": SUMLEV_INCORPORATED_PLACE,
        "funcstat": rows["FUNCSTAT"].astype(str).str.strip().replace("", None),
        "source": "census_subest",
    })
    out = out[~place_fips.isin(["00000", "99990"])]  # state totals / "balance of county" never count
    return _finish(out, min_population=min_population, include_territories=include_territories)


def _subest_year(frame: pd.DataFrame, year: int | None) -> tuple[int, dict[int, str]]:
    """The population year to use and every ``POPESTIMATEyyyy`` column; ValueError when not SUB-EST."""
    years = {int(m.group(1)): c for c in frame.columns if (m := _POP_COLUMN.fullmatch(c))}
    missing = [c for c in SUBEST_REQUIRED if c not in frame.columns]
    if not years:
        missing.append("POPESTIMATE<year>")
    if missing:
        raise ValueError(f"not a Census SUB-EST file: missing column(s) {', '.join(missing)}")
    if year is None:
        year = max(years)
    elif year not in years:
        raise ValueError(f"SUB-EST file has no POPESTIMATE{year} column (years: "
                         f"{', '.join(str(y) for y in sorted(years))})")
    return year, years


def _subest_towns(frame: pd.DataFrame, *, min_population: int, year: int | None) -> pd.DataFrame:
    year, years = _subest_year(frame, year)
    for column in ("COUNTY", "COUSUB"):
        if column not in frame.columns:
            raise ValueError(f"not a Census SUB-EST file with minor civil divisions: missing column {column}")
    pop_columns = [c for c in frame.columns if _POPULATION_COLUMN.fullmatch(c)]
    sumlev = frame["SUMLEV"].astype(str).str.strip().str.zfill(3)
    state = frame["STATE"].astype(str).str.strip().str.zfill(2)
    funcstat = frame["FUNCSTAT"].astype(str).str.strip()
    mcd = frame[(sumlev == SUMLEV_MCD) & state.isin(MCD_GOVERNMENT_STATES) & (funcstat == FUNCSTAT_ACTIVE)]
    mcd = pd.DataFrame({
        "state_fips": _codes(mcd["STATE"], 2, "STATE"),
        "county_fips": _codes(mcd["COUNTY"], 3, "COUNTY"),
        "cousub_fips": _codes(mcd["COUSUB"], 5, "COUSUB"),
        "legal_name": mcd["NAME"].astype(str).str.strip(),
        **{c: _numbers(mcd[c]) for c in pop_columns},
    })
    mcd = mcd[(mcd["cousub_fips"] != "00000") & mcd[years[year]].notna()]
    key = ["state_fips", "cousub_fips"]
    # one row per government: the county parts summed, named and identified by the largest part
    main = (mcd.sort_values([years[year], "county_fips"], ascending=[False, True], kind="stable")
               .drop_duplicates(key, keep="first")[[*key, "county_fips", "legal_name"]])
    totals = mcd.groupby(key, as_index=False)[pop_columns].sum(min_count=1)
    towns = main.merge(totals, on=key, how="inner")
    towns = towns[towns[years[year]] >= min_population].copy()
    towns["coincident_place_geoid"] = _coincident_places(frame, sumlev, towns, key, pop_columns)

    states = {s.fips: s for s in geo.states(include_territories=True)}
    out = pd.DataFrame({
        "geoid": towns["state_fips"] + towns["county_fips"] + towns["cousub_fips"],
        "state_fips": towns["state_fips"],
        "place_fips": None,
        "name": towns["legal_name"].map(clean_place_name),
        "legal_name": towns["legal_name"],
        "state_abbr": towns["state_fips"].map(lambda f: states[f].usps),
        "state_name": towns["state_fips"].map(lambda f: states[f].name),
        "population": towns[years[year]],
        "population_year": year,
        "sumlev": SUMLEV_MCD,
        "funcstat": FUNCSTAT_ACTIVE,
        "source": "census_subest",
        "kind": "town",
        "county_fips": towns["county_fips"],
        "cousub_fips": towns["cousub_fips"],
        "coincident_place_geoid": towns["coincident_place_geoid"],
    })
    return _typed(out.sort_values("geoid", kind="stable"), extra=[*TOWN_EXTRA_COLUMNS, "coincident_place_geoid"])


def _coincident_places(frame: pd.DataFrame, sumlev: pd.Series, towns: pd.DataFrame, key: list[str],
                       pop_columns: list[str]) -> pd.Series:
    """For each town, the 7-digit GEOID of the incorporated place covering exactly the same people."""
    whole = frame[sumlev == SUMLEV_INCORPORATED_PLACE]
    whole = pd.DataFrame({"state_fips": _codes(whole["STATE"], 2, "STATE"),
                          "place_fips": _codes(whole["PLACE"], 5, "PLACE"),
                          "place_name": whole["NAME"].astype(str).str.strip().map(clean_place_name),
                          **{c: _numbers(whole[c]) for c in pop_columns}})
    whole = whole[~whole["place_fips"].isin(["00000", "99990"])].drop_duplicates(["state_fips", "place_fips"])
    parts = frame[sumlev == SUMLEV_PLACE_IN_MCD]
    parts = pd.DataFrame({"state_fips": _codes(parts["STATE"], 2, "STATE"),
                          "cousub_fips": _codes(parts["COUSUB"], 5, "COUSUB"),
                          "place_fips": _codes(parts["PLACE"], 5, "PLACE"),
                          **{c: _numbers(parts[c]) for c in pop_columns}})
    parts = parts[~parts["place_fips"].isin(["00000", "99990"])]
    parts = parts.groupby([*key, "place_fips"], as_index=False)[pop_columns].sum(min_count=1)

    def same(left: pd.DataFrame, suffix: str) -> pd.Series:
        return pd.concat([left[c].eq(left[c + suffix]) for c in pop_columns], axis=1).all(axis=1)

    found: dict[tuple[str, str], str] = {}
    # structural: the place's part inside the town is the whole town and the whole place
    linked = towns[[*key, *pop_columns]].merge(parts, on=key, suffixes=("", "_part"))
    linked = linked[same(linked, "_part")]
    linked = linked.merge(whole.drop(columns=["place_name"]), on=["state_fips", "place_fips"],
                          suffixes=("", "_place"))
    for row in linked[same(linked, "_place")].itertuples(index=False):
        found.setdefault((row.state_fips, row.cousub_fips), row.state_fips + row.place_fips)
    # a consolidated city (170, e.g. Milford, Connecticut) whose balance (162) carries the GEOID: the
    # town coincides with it when they have the same populations and every place of the town is one
    # of the consolidated city's places (172)
    if "CONCIT" in frame.columns:
        conc = frame[sumlev == "170"]
        conc = pd.DataFrame({"state_fips": _codes(conc["STATE"], 2, "STATE"),
                             "concit": _codes(conc["CONCIT"], 5, "CONCIT"),
                             **{c: _numbers(conc[c]) for c in pop_columns}})
        members = frame[sumlev == "172"]
        members = pd.DataFrame({"state_fips": _codes(members["STATE"], 2, "STATE"),
                                "concit": _codes(members["CONCIT"], 5, "CONCIT"),
                                "place_fips": _codes(members["PLACE"], 5, "PLACE"),
                                "balance": members["NAME"].astype(str).str.strip().str.endswith(_BALANCE)})
        paired = towns[[*key, *pop_columns]].merge(conc, on="state_fips", suffixes=("", "_place"))
        for row in paired[same(paired, "_place")].itertuples(index=False):
            mine = members[(members["state_fips"] == row.state_fips) & (members["concit"] == row.concit)]
            inside = parts[(parts["state_fips"] == row.state_fips) & (parts["cousub_fips"] == row.cousub_fips)]
            balance = mine[mine["balance"]]
            if len(balance) and len(inside) and inside["place_fips"].isin(mine["place_fips"]).all():
                found.setdefault((row.state_fips, row.cousub_fips), row.state_fips + balance["place_fips"].iloc[0])
    # fallback for files without 071 rows: same state, same common name, same populations
    if parts.empty:
        named = towns[[*key, "legal_name", *pop_columns]].assign(
            place_name=towns["legal_name"].map(clean_place_name))
        named = named.merge(whole, on=["state_fips", "place_name"], suffixes=("", "_place"))
        for row in named[same(named, "_place")].itertuples(index=False):
            found.setdefault((row.state_fips, row.cousub_fips), row.state_fips + row.place_fips)
    return pd.Series([found.get((s, c)) for s, c in zip(towns["state_fips"], towns["cousub_fips"], strict=True)],
                     index=towns.index, dtype=object)


def _acs_frame(frame: pd.DataFrame, *, min_population: int, year: int = 2023,
               include_territories: bool = False) -> pd.DataFrame:
    _require(frame, ACS_REQUIRED, "ACS-style place")
    full_name = frame["NAME"].astype(str).str.strip()
    legal = full_name.str.rsplit(",", n=1).str[0].str.strip()
    keep = ~legal.map(is_statistical_place)
    rows = frame[keep]
    out = pd.DataFrame({
        "state_fips": _codes(rows["state_fips"], 2, "state_fips"),
        "place_fips": _codes(rows["place_fips"], 5, "place_fips"),
        "legal_name": legal[keep],
        "population": _numbers(rows["population"]),
        "population_year": year,
        "sumlev": "160",  # ACS summary level of a place
        "funcstat": None,
        "source": "acs",
    })
    return _finish(out, min_population=min_population, include_territories=include_territories)


def _simple_frame(frame: pd.DataFrame, *, min_population: int) -> pd.DataFrame:
    lines = frame.attrs.get("lines") or []
    frame = frame.rename(columns={c: c.lower() for c in frame.columns})
    lowered = set(frame.columns)
    frame = frame.rename(columns={a: n for a, n in SIMPLE_ALIASES.items() if a in lowered and n not in lowered})
    frame = frame.loc[:, ~frame.columns.duplicated()]
    # A line repeated exactly (pasted twice) says nothing new: read once. Rows that share a geoid but differ
    # are kept, and the cities suite sets them aside, since nothing says which is right.
    frame = frame[~frame.fillna("").astype(str).duplicated(keep="first")]
    geoid = frame["geoid"].fillna("").astype(str).str.strip()
    bad = geoid[~geoid.str.fullmatch(r"\d{6,7}")]
    if len(bad):
        raise ValueError(f"{len(bad)} row(s) with an invalid geoid (expected 7 digits: state FIPS + place FIPS): "
                         f"{_where(frame, bad.index, 'geoid', lines)}")
    geoid = geoid.str.zfill(7)  # a spreadsheet turns 0103076 into 103076
    population = _numbers(frame["population"].fillna(""))
    if population.isna().any():
        missing = frame["population"].fillna("").astype(str).str.strip() == ""
        what = ("no population" if missing[population.isna()].all() else
                "a missing or non-numeric population")
        raise ValueError(f"{int(population.isna().sum())} row(s) with {what}: "
                         f"{_where(frame, population.index[population.isna()], 'population', lines)}")
    abbr = frame["state_abbr"].astype(str).str.strip().str.upper()
    name = frame["name"].astype(str).str.strip()
    legal = frame["legal_name"].astype(str).str.strip() if "legal_name" in frame.columns else name
    out = pd.DataFrame({
        "geoid": geoid,
        "state_fips": geoid.str[:2],
        "place_fips": geoid.str[2:],
        "name": name.replace("", None),
        "legal_name": legal.replace("", None),
        "state_abbr": abbr.replace("", None),
        "state_name": abbr.map(lambda a: getattr(geo.state_by_usps(a, include_territories=True), "name", None)),
        "population": population,
        "population_year": (_numbers(frame["population_year"]) if "population_year" in frame.columns
                            else pd.NA),
        "sumlev": None,
        "funcstat": None,
        "source": "csv",
    })
    if "website" in frame.columns:
        out["website"] = frame["website"].astype(str).str.strip().replace("", None)
    out = out[out["population"] >= min_population]
    return _typed(out.sort_values("geoid", kind="stable"), extra=["website"] if "website" in out else [])


def _where(frame: pd.DataFrame, index: Iterable, column: str, lines: list[int], limit: int = 5) -> str:
    """The first rows named by their place in the file ("row 3 (line 5): 'many'"): rows count from the first
    row after the header; ``lines`` (``_record_lines``) give the line each starts on."""
    rows = list(index)
    shown = []
    for i in rows[:limit]:       # the index is the row's place in the file as read (repeated lines included)
        value = frame.at[i, column]
        line = f" (line {lines[i]})" if i < len(lines) else ""
        shown.append(f"row {i + 1}{line}: {str(value) if pd.notna(value) else ''!r}")
    return "; ".join(shown) + ("; ..." if len(rows) > limit else "")


def _finish(out: pd.DataFrame, *, min_population: int, include_territories: bool) -> pd.DataFrame:
    """Shared tail of the Census parsers: state lookup, scope, threshold, one row per GEOID."""
    states = {s.fips: s for s in geo.states(include_territories=include_territories)}
    out = out[out["state_fips"].isin(states) & out["population"].notna()]
    out = out[out["population"] >= min_population].copy()
    out["geoid"] = out["state_fips"] + out["place_fips"]
    out["name"] = out["legal_name"].map(clean_place_name)
    out["state_abbr"] = out["state_fips"].map(lambda f: states[f].usps)
    out["state_name"] = out["state_fips"].map(lambda f: states[f].name)
    out = out.drop_duplicates("geoid", keep="first").sort_values("geoid", kind="stable")
    return _typed(out)


def _typed(out: pd.DataFrame, extra: list[str] | None = None) -> pd.DataFrame:
    """Canonical column order and dtypes, whatever the source, so downstream code sees one schema."""
    out = out.reindex(columns=CANONICAL_COLUMNS + (extra or [])).reset_index(drop=True)
    out["population"] = out["population"].astype("int64")
    out["population_year"] = pd.to_numeric(out["population_year"], errors="coerce").astype("Int64")
    for column in out.columns:
        if column not in ("population", "population_year"):
            out[column] = out[column].astype(object).where(out[column].notna(), None)
    return out
