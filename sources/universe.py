"""Fetch the inputs of the city universe through the shared fetcher (so they are archived and
replayable) and hand the bytes to the pure parsers in ``census`` and ``wikidata``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sources import census, wikidata
from sources.errors import SourceUnavailable
from sources.http.fetcher import Fetcher
from sources.http.result import FetchResult


def census_places(fetcher: Fetcher, *, url: str = census.SUBEST_URL, min_population: int = 30_000,
                  include_towns: bool = False) -> tuple[pd.DataFrame, FetchResult]:
    """Incorporated places at or above the threshold (and, with ``include_towns``, the towns and townships
    that are governments: ``census.parse_subest_places``), and the fetch that read them: in a replay, its
    ``archived_in`` and ``fetched_at`` say which archive served the file and when it was recorded, which the
    URL alone does not. No universe, no run: unreachable raises."""
    result = fetcher.get(url)
    if not result.ok:
        raise SourceUnavailable("Census population estimates", result)
    places = census.parse_subest_places(result.body, min_population=min_population, include_towns=include_towns)
    return places, result


def city_file_places(path: Path, *, min_population: int = 30_000, include_towns: bool = False) -> pd.DataFrame:
    """A user's city list (SUB-EST, ACS-style or simple CSV) instead of the Census download; towns only
    come from a SUB-EST file (the others have no minor civil divisions)."""
    if not path.exists():
        raise FileNotFoundError(f"city list not found: {path}")
    return census.parse_city_table(path.read_bytes(), min_population=min_population, include_towns=include_towns)


def wikidata_websites(fetcher: Fetcher) -> tuple[pd.DataFrame, str]:
    """Official websites from Wikidata, and the lookup status so callers can tell unknown from none.

    An unreachable or malformed answer yields an empty frame (websites unknown), not an error: the
    rest of the universe is still worth publishing.
    """
    result = fetcher.get(wikidata.sparql_url(wikidata.CITY_WEBSITES_QUERY), headers=wikidata.SPARQL_HEADERS)
    empty = pd.DataFrame(columns=["qid", "label", "fips7", "website", "state_abbr"])
    if not result.ok:
        return empty, result.outcome.value
    try:
        return wikidata.parse_sparql_websites(result.body), "ok"
    except ValueError:
        return empty, "malformed_response"
