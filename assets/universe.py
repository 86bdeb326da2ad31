"""The city universe: Census places of 30,000+, their official websites, validated."""


from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd

from assets import versions
from assets.metadata import table_metadata
from assets.partitions import MONTHLY
from assets.runlabels import run_labels
from assets.validation import check_result, quarantine_metadata, suite_checks, value_counts
from expectations.runner import quarantine_and_check, suites_note
from sources import universe, websites, wikidata
from sources.errors import SourceUnavailable

GROUP = "universe"
#: Every output here is a pandas frame owned by the team.
_OUT: dict[str, Any] = {"kinds": {"python", "pandas"}, "owners": ["team:cdpi"]}
_COMMON: dict[str, Any] = {"partitions_def": MONTHLY, "group_name": GROUP, **_OUT, "code_version": versions.UNIVERSE}
_CITY_PREVIEW = ["geoid", "name", "state_abbr", "population", "website_url", "website_match"]


@dg.asset(required_resource_keys={"fetcher", "warehouse", "settings"}, **_COMMON)
def census_places(context: dg.AssetExecutionContext) -> dg.Output[pd.DataFrame]:
    """U.S. incorporated places at or above the population threshold (Census SUB-EST estimates, or the
    city list given with `--cities`). GEOID = state FIPS + place FIPS is the canonical city id."""
    res = context.resources
    served: dict[str, Any] = {}
    try:
        if res.settings.cities_csv:
            frame = universe.city_file_places(Path(res.settings.cities_csv),
                                              min_population=res.settings.min_population,
                                              include_towns=res.settings.include_towns)
            origin = res.settings.cities_csv
        else:
            with res.fetcher.open(res.warehouse.paths(), context.run_id, "census_places") as f:
                frame, fetched = universe.census_places(f, url=res.settings.census_url,
                                                        min_population=res.settings.min_population,
                                                        include_towns=res.settings.include_towns)
            origin = res.settings.census_url
            if res.fetcher.replay:   # the URL is where the file was once fetched, not where this run read it
                served = ({"served_from": f"replay archive {fetched.archived_in}"} if fetched.archived_in
                          else _served_from(res.fetcher.replay)) | {"recorded_at": fetched.fetched_at}
    except (SourceUnavailable, FileNotFoundError, ValueError) as exc:
        raise dg.Failure(description=str(exc)) from exc
    return dg.Output(frame, metadata=table_metadata(
        frame, preview=5, preview_columns=_CITY_PREVIEW[:4] + ["population_year"], source=origin, **served,
        min_population=res.settings.min_population))


def _served_from(replay: list[str]) -> dict[str, Any]:
    """Metadata of a source read through the fetcher: in a replay, the archives that answered (its URL or
    endpoint is where the data was once fetched, not where this run read it); nothing in a live run."""
    return {"served_from": "replay archive " + ", ".join(Path(p).name for p in replay)} if replay else {}


@dg.asset(required_resource_keys={"fetcher", "warehouse"}, **_COMMON)
def wikidata_websites(context: dg.AssetExecutionContext) -> dg.Output[pd.DataFrame]:
    """Official websites (P856) of U.S. places from the Wikidata Query Service. An unreachable service
    yields no rows and a lookup status, so cities read as 'website unknown', not 'no website'."""
    res = context.resources
    with res.fetcher.open(res.warehouse.paths(), context.run_id, "wikidata_websites") as f:
        frame, lookup = universe.wikidata_websites(f)
    frame.attrs["lookup"] = lookup
    if lookup != "ok":
        context.log.warning(f"Wikidata lookup failed ({lookup}); websites will be unknown")
    return dg.Output(frame, metadata=table_metadata(frame, lookup=lookup, endpoint=wikidata.SPARQL_ENDPOINT,
                                                    **_served_from(res.fetcher.replay)))


@dg.asset(required_resource_keys={"fetcher", "warehouse", "settings"}, **_COMMON)
def uscityurl_websites(context: dg.AssetExecutionContext) -> dg.Output[pd.DataFrame]:
    """Official websites of U.S. incorporated places from UScityURL (each checked by hand by two
    researchers; CC BY 4.0), read at a pinned commit of its public repository and archived like every
    fetch. It outranks Wikidata; a failed read yields no rows and a lookup status, never an error."""
    res = context.resources
    try:
        url = websites.uscityurl_url(res.settings.uscityurl_commit)
    except ValueError as exc:
        raise dg.Failure(description=str(exc)) from exc
    with res.fetcher.open(res.warehouse.paths(), context.run_id, "uscityurl_websites") as f:
        frame, lookup = websites.uscityurl_websites(f, url=url)
    frame.attrs["lookup"] = lookup
    if lookup != "ok":
        context.log.warning(f"UScityURL could not be read ({lookup}); websites come from the other sources")
    return dg.Output(frame, metadata=table_metadata(
        frame, lookup=lookup, source=url, license=websites.USCITYURL_LICENSE,
        attribution=websites.USCITYURL_CITATION, **_served_from(res.fetcher.replay)))


@dg.multi_asset(
    partitions_def=MONTHLY, group_name=GROUP, can_subset=False,
    required_resource_keys={"settings", "warehouse", "fetcher"},
    outs={
        "cities": dg.AssetOut(**_OUT, code_version=versions.UNIVERSE,
                              description="Validated city universe with official websites; the rows of "
                                          "marts.cities."),
        "website_candidates": dg.AssetOut(**_OUT, code_version=versions.UNIVERSE,
                                          description="Every website candidate of every city, by source (a city "
                                                      "list, UScityURL, Wikidata), which one precedence chose and "
                                                      "whether the sources disagree; settled by city_homepages."),
        "cities_quarantine": dg.AssetOut(**_OUT, code_version=versions.UNIVERSE,
                                         description="City rows that failed the cities suite, with reasons "
                                                     "(ops.quarantine)."),
    },
    check_specs=suite_checks(("cities",)),
)
def cities(context: dg.AssetExecutionContext, census_places: pd.DataFrame, wikidata_websites: pd.DataFrame,
           uscityurl_websites: pd.DataFrame):
    """Join places with websites (a city list's own > UScityURL > Wikidata), apply the run's filters, and
    set aside rows that fail validation."""
    settings = context.resources.settings
    is_sample = run_labels(context).is_sample
    places = census_places
    if settings.states:
        places = places[places["state_abbr"].isin({s.upper() for s in settings.states})]
    if settings.limit:
        places = places.sort_values(["population", "geoid"], ascending=[False, True]).head(settings.limit)
    places = places.reset_index(drop=True)
    matched = wikidata.match_websites(places, wikidata_websites)
    given = matched[["geoid", "website"]] if "website" in matched.columns else None   # a user's own list
    matched, candidates = websites.choose_websites(
        matched, {"csv": given, "uscityurl": uscityurl_websites, "wikidata": matched[["geoid", "website_url"]]},
        lookups={"uscityurl": uscityurl_websites.attrs.get("lookup", "ok"),
                 "wikidata": wikidata_websites.attrs.get("lookup", "ok")})
    matched = matched.drop(columns=["website"], errors="ignore")
    matched["is_sample"] = is_sample
    matched = matched.sort_values("geoid").reset_index(drop=True)
    params = {"min_population": settings.min_population}
    clean, quarantined, report = quarantine_and_check(matched, "cities", key_columns=["geoid"], parameters=params,
                                                      max_quarantined_share=settings.max_quarantined_share)
    if note := suites_note():   # here, the run's first check: its log says once which suites decided
        context.log.warning(note)
    bad_rows = len(matched) - len(clean)
    if bad_rows:
        context.log.warning(f"{bad_rows} city rows quarantined (see ops.quarantine)")
    yield dg.Output(clean, "cities", metadata=table_metadata(
        clean, preview=5, preview_columns=_CITY_PREVIEW, quarantined_rows=bad_rows,
        sample_data=is_sample, website_matches=dg.MetadataValue.json(
            {str(k): int(v) for k, v in clean["website_match"].value_counts().items()})))
    candidates = candidates[candidates["geoid"].isin(set(clean["geoid"]))].reset_index(drop=True)
    yield dg.Output(candidates, "website_candidates", metadata=table_metadata(
        candidates, by_source=value_counts(candidates["source"]),
        cities_with_disagreement=int(candidates.loc[candidates["disagreement"], "geoid"].nunique())))
    yield dg.Output(quarantined, "cities_quarantine", metadata=quarantine_metadata(quarantined))
    yield check_result(report, asset="cities", check_name="cities_suite", context=context)


def with_settled_websites(cities: pd.DataFrame, homepages: pd.DataFrame) -> pd.DataFrame:
    """``cities`` with each website replaced by the one its home page fetch settled on (city_homepages):
    what the crawl and the portal survey start from."""
    if not len(homepages):
        return cities
    settled = dict(zip(homepages["geoid"], homepages["url"], strict=True))
    out = cities.copy()
    out["website_url"] = [settled.get(g, w) for g, w in zip(out["geoid"], out["website_url"], strict=True)]
    return out
