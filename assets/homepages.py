"""Each city's official home page, fetched politely once per run."""


from typing import Any

import dagster as dg
import pandas as pd

from assets import versions
from assets.metadata import table_metadata
from assets.partitions import MONTHLY
from assets.progress import StageProgress
from assets.validation import value_counts
from sources.homepages import settle_homepages

#: Every output here is a pandas frame owned by the team.
_OUT: dict[str, Any] = {"kinds": {"python", "pandas"}, "owners": ["team:cdpi"]}


@dg.multi_asset(
    partitions_def=MONTHLY, group_name="signals", can_subset=False, required_resource_keys={"fetcher", "warehouse"},
    outs={
        "city_homepages": dg.AssetOut(**_OUT, code_version=versions.HOMEPAGES,
                                      description="Home page fetch per city (of its settled website) with its "
                                                  "outcome class and title; unreachable sites stay "
                                                  "distinguishable from missing ones."),
        "city_websites": dg.AssetOut(**_OUT, code_version=versions.HOMEPAGES,
                                     description="Every website candidate of every city by source (a city "
                                                 "list, UScityURL, Wikidata), whether its fetch answered and "
                                                 "from where, which one won and why; marts.city_websites."),
    },
)
def city_homepages(context: dg.AssetExecutionContext, cities: pd.DataFrame, website_candidates: pd.DataFrame):
    """Fetch each city's website, and where its sources disagree every candidate: the first by precedence
    that answers is the city's website from here on (crawl, portals, the published marts); when none
    answers, the one whose host looked most alive."""
    res = context.resources
    with (res.fetcher.open(res.warehouse.paths(), context.run_id, "city_homepages") as f,
          StageProgress(context, "home pages", "websites", f) as progress):
        frame, settled = progress.call(settle_homepages, f, cities, website_candidates, progress=progress)
    outcomes = {str(k): int(v) for k, v in frame["outcome"].value_counts().items()}
    yield dg.Output(frame, "city_homepages", metadata=table_metadata(
        frame, preview=5, preview_columns=["geoid", "url", "outcome", "status", "title"],
        outcomes=dg.MetadataValue.json(outcomes), **progress.close()))
    changed = settled[settled["winner"] & ~settled["chosen"]]
    yield dg.Output(settled, "city_websites", metadata=table_metadata(
        settled, by_source=value_counts(settled["source"]),
        cities_with_disagreement=int(settled.loc[settled["disagreement"], "geoid"].nunique()),
        settled_elsewhere=len(changed), moved=int(settled.loc[settled["winner"], "moved"].sum())))
