"""Each city's official home page, fetched politely once per run."""


import dagster as dg
import pandas as pd

from assets.metadata import table_metadata
from assets.partitions import MONTHLY
from sources.homepages import fetch_homepages


@dg.asset(partitions_def=MONTHLY, group_name="signals", kinds={"python", "pandas"}, owners=["team:cdpi"],
          code_version="1", required_resource_keys={"fetcher", "warehouse"})
def city_homepages(context: dg.AssetExecutionContext, cities: pd.DataFrame) -> dg.Output[pd.DataFrame]:
    """Home page fetch per city with its outcome class and title; unreachable sites stay distinguishable
    from missing ones."""
    res = context.resources
    with res.fetcher.open(res.warehouse.paths(), context.run_id, "city_homepages") as f:
        frame = fetch_homepages(f, cities)
    outcomes = {str(k): int(v) for k, v in frame["outcome"].value_counts().items()}
    return dg.Output(frame, metadata=table_metadata(
        frame, preview=5, preview_columns=["geoid", "url", "outcome", "status", "title"],
        outcomes=dg.MetadataValue.json(outcomes)))
