"""Census SUB-EST 2024 ("cities and towns totals") for the synthetic population, Latin-1 encoded.

Row kinds follow the real file so a parser meets the same traps: per state a 040 row, one 162 row
per incorporated place, 170/172 rows around a "(balance)" place, then per county a 050 row, the 157
county parts of its places (a place in two counties has two), a "Balance of X County" 157 row and a
few 061 minor civil divisions. Only the 162 rows are cities; summing anything else double counts.
"""

from __future__ import annotations

import csv
import io
import random
from typing import Any

from tests.simweb.population import Population, SimCity

HOST = "www2.census.gov"
PATH = "/programs-surveys/popest/datasets/2020-2024/cities/totals/sub-est2024.csv"
COLUMNS = ["SUMLEV", "STATE", "COUNTY", "PLACE", "COUSUB", "CONCIT", "PRIMGEO_FLAG", "FUNCSTAT", "NAME",
           "STNAME", "ESTIMATESBASE2020"] + [f"POPESTIMATE{y}" for y in range(2020, 2025)]
_COUNTY_NAMES = ["Ashford", "Bellamy", "Carrow", "Dunmore", "Everly", "Fairweather", "Galloway", "Hartwell",
                 "Inglewood", "Jessup", "Kingsley", "Lowther", "Merriam", "Northcote", "Ormsby", "Pellham"]
_NEW_ENGLAND = {"09", "23", "25", "33", "44", "50"}   # states where MCDs are the primary geography


def census_csv(pop: Population) -> bytes:
    """The whole file; Latin-1 like the real download ("Cañon Springs" is one byte per letter)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(COLUMNS)
    by_state: dict[str, list[SimCity]] = {}
    for c in pop.cities:
        by_state.setdefault(c.state_fips, []).append(c)
    for fips in sorted(by_state):
        _state_rows(w, fips, sorted(by_state[fips], key=lambda c: c.geoid))
    return buf.getvalue().encode("latin-1")


def _state_rows(w: Any, fips: str, group: list[SimCity]) -> None:
    st = group[0].state_name
    total = sum(c.population for c in group) * 3 + 250_000
    w.writerow(_row("040", fips, "000", "00000", "00000", "00000", "0", "A", st, st, _series(total, fips)))
    for c in group:
        w.writerow(_row("162", fips, "000", c.geoid[2:], "00000", "00000", "0", "F" if c.consolidated_code else "A",
                        c.legal_name, st, _series(c.population, c.geoid)))
        if c.consolidated_code:
            whole = c.legal_name.removesuffix(" (balance)")
            w.writerow(_row("170", fips, "000", "00000", "00000", c.consolidated_code, "0", "A", whole, st,
                            _series(c.population + 11_250, c.geoid + "c")))
            w.writerow(_row("172", fips, "000", c.geoid[2:], "00000", c.consolidated_code, "0", "F",
                            c.legal_name, st, _series(c.population, c.geoid)))
    counties = sorted({county for c in group for county in c.counties})
    for county in counties:
        cname = f"{_COUNTY_NAMES[int(county) // 2 % len(_COUNTY_NAMES)]} County"
        inside = [c for c in group if county in c.counties]
        ctotal = sum(c.population for c in inside) + 40_000
        w.writerow(_row("050", fips, county, "00000", "00000", "00000", "0", "A", cname, st,
                        _series(ctotal, fips + county)))
        for c in inside:
            share = _county_share(c, county)
            w.writerow(_row("157", fips, county, c.geoid[2:], "00000", "00000", "0", "A", c.legal_name, st,
                            _series(share, c.geoid + county)))
        w.writerow(_row("157", fips, county, "99990", "00000", "00000", "0", "A", f"Balance of {cname}", st,
                        _series(40_000, fips + county + "b")))
        for c in inside:
            if int(c.geoid[2:]) % 4 == 0:   # a few minor civil divisions
                cousub = f"{(int(c.geoid[2:]) + int(county)) % 90000 + 5000:05d}"
                w.writerow(_row("061", fips, county, "00000", cousub, "00000",
                                "1" if fips in _NEW_ENGLAND else "0", "A", f"{c.name} township", st,
                                _series(max(800, c.population // 12), c.geoid + "t")))


def _county_share(c: SimCity, county: str) -> int:
    """County parts add up to the whole place."""
    if len(c.counties) == 1:
        return c.population
    first = c.population * 2 // 3
    return first if county == c.counties[0] else c.population - first


def _series(pop2024: int, key: str) -> list[int]:
    """ESTIMATESBASE2020 and POPESTIMATE2020..2024 ending at ``pop2024`` with a steady growth rate."""
    g = random.Random(key).uniform(-0.012, 0.022)
    years = [round(pop2024 / (1 + g) ** (2024 - y)) for y in range(2020, 2025)]
    years[-1] = pop2024
    return [years[0] - round(years[0] * g / 4)] + years


def _row(sumlev: str, state: str, county: str, place: str, cousub: str, concit: str, primgeo: str,
         funcstat: str, name: str, stname: str, numbers: list[int]) -> list[str]:
    return [sumlev, state, county, place, cousub, concit, primgeo, funcstat, name, stname] + [str(n) for n in numbers]
