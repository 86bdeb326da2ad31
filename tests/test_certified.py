"""The certified list: tiers, years and states read whatever the tile markup, nothing dropped silently."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sources.certified import match_to_cities, parse_certified

FIXTURES = Path(__file__).parent / "fixtures" / "certified"


def test_tiles_and_lists_under_tier_headings() -> None:
    result = parse_certified((FIXTURES / "tiles.html").read_text(encoding="utf-8"))
    assert result.outcome == "ok" and result.error is None
    got = {(r["city"], r["state"]): (r["tier"], r["year"]) for r in result.rows}
    assert got[("Arlington", "TX")] == ("platinum", 2022)          # year from a data attribute
    assert got[("Scottsdale", "AZ")] == ("platinum", 2023)         # full state name and "(2023)"
    assert got[("Boulder", "CO")] == ("gold", None)
    assert got[("Tulsa", "OK")] == ("gold", None)                  # listed twice: the higher tier wins
    assert got[("Cañon Springs", "NM")] == ("silver", 2021)
    assert got[("Long Beach", "CA")][0] == "honor_roll"
    assert ("Mogi das Cruzes", "Brazil") not in got and ("Chicago", "IL") not in got   # not U.S.; prose
    assert ("Washington", "DC") not in got                         # footer address
    assert len(result.rows) == 8


def test_pages_without_tiers_or_cities_are_errors_not_empty_lists() -> None:
    assert parse_certified("<html><body><h1>Maintenance</h1></body></html>").outcome == "unparsed"
    empty = parse_certified("<html><body><h2>Gold Certified Cities</h2><p>Coming soon.</p></body></html>")
    assert empty.outcome == "unparsed" and "no 'City, ST'" in empty.error


def test_matching_keeps_unmatched_rows() -> None:
    result = parse_certified((FIXTURES / "tiles.html").read_text(encoding="utf-8"))
    cities = pd.DataFrame([{"geoid": "3900001", "name": "Alder Falls", "state_abbr": "OH"},
                           {"geoid": "4000002", "name": "Tulsa", "state_abbr": "OK"}])
    matched = match_to_cities(result, cities).set_index(["city", "state"])
    assert matched.loc[("Alder Falls", "OH"), "geoid"] == "3900001"
    assert matched.loc[("Tulsa", "OK"), "tier"] == "gold"
    assert matched.loc[("Boulder", "CO"), "match"] == "not_in_universe" and pd.isna(matched.loc[("Boulder", "CO"), "geoid"])
    assert len(matched) == len(result.rows)
