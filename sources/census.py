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
    "simple CSV (geoid, name, state_abbr, population[, website])"
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


def parse_city_table(data: bytes, *, min_population: int = 30_000) -> pd.DataFrame:
    """Canonical frame from any accepted city table, chosen by its header (see ``ACCEPTED_FORMATS``).

    A user's list only needs ``geoid,name,state_abbr,population``; a ``website`` column, when present,
    is passed through (the caller lets it win over Wikidata), as are optional ``legal_name`` and
    ``population_year``. User rows are not filtered by state: a territory in a hand-made list is
    kept so that validation reports it instead of it vanishing silently.
    """
    frame = _read_table(data)
    columns = set(frame.columns)
    if "SUMLEV" in columns and "PLACE" in columns:
        return _subest_frame(frame, min_population=min_population)
    if set(ACS_REQUIRED) <= columns:
        return _acs_frame(frame, min_population=min_population)
    if set(SIMPLE_REQUIRED) <= {c.lower() for c in columns}:
        return _simple_frame(frame, min_population=min_population)
    found = ", ".join(frame.columns[:12]) + (" ..." if len(frame.columns) > 12 else "")
    raise ValueError(f"unrecognized city table header ({found}); accepted formats: {ACCEPTED_FORMATS}")


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
    return frame


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
    frame = frame.rename(columns={c: c.lower() for c in frame.columns})
    frame = frame.loc[:, ~frame.columns.duplicated()]
    geoid = frame["geoid"].astype(str).str.strip()
    bad = geoid[~geoid.str.fullmatch(r"\d{6,7}")]
    if len(bad):
        examples = ", ".join(repr(v) for v in bad.unique()[:5])
        raise ValueError(f"{len(bad)} row(s) with an invalid geoid (expected 7 digits: state FIPS + "
                         f"place FIPS): {examples}")
    geoid = geoid.str.zfill(7)  # a spreadsheet turns 0103076 into 103076
    population = _numbers(frame["population"])
    if population.isna().any():
        examples = ", ".join(repr(v) for v in frame.loc[population.isna(), "population"].unique()[:5])
        raise ValueError(f"{int(population.isna().sum())} row(s) with a non-numeric population: {examples}")
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
