"""Open data portals: discovered per city, catalogs read in full, profiled."""

import dagster as dg
import pandas as pd

from assets.partitions import MONTHLY, snapshot_of
from assets.validation import check_result
from expectations.runner import quarantine, validate
from sources.portals.survey import survey


@dg.multi_asset(
    partitions_def=MONTHLY, group_name="signals", can_subset=False,
    required_resource_keys={"fetcher", "warehouse"},
    outs={
        "portal_profiles": dg.AssetOut(kinds={"python", "pandas"}, owners=["team:cdpi"], code_version="1",
                                       description="One row per city and probed portal host: how it was found, "
                                                   "its platform, the probe outcome and catalog metrics."),
        "portal_datasets": dg.AssetOut(kinds={"python", "pandas"}, owners=["team:cdpi"], code_version="1",
                                       description="Every dataset listed by a discovered portal (staging)."),
        "portal_quarantine": dg.AssetOut(kinds={"python", "pandas"}, owners=["team:cdpi"], code_version="1",
                                         description="Portal profile rows that failed their suite "
                                                     "(ops.quarantine)."),
    },
    check_specs=[dg.AssetCheckSpec("portal_profiles_suite", asset="portal_profiles", blocking=True,
                                   description="Great Expectations suite expectations/suites/portal_profiles.json"),
                 dg.AssetCheckSpec("portal_datasets_suite", asset="portal_datasets", blocking=True,
                                   description="Great Expectations suite expectations/suites/portal_datasets.json")],
)
def city_portals(context: dg.AssetExecutionContext, cities: pd.DataFrame, city_homepages: pd.DataFrame):
    """Probe each city's candidate portal hosts (home page links, conventional names) with each platform's
    identifying request, read the catalogs with the platforms' own paging, and profile them."""
    res = context.resources
    as_of = snapshot_of(context) + pd.offsets.MonthEnd(0)
    with res.fetcher.open(res.warehouse.paths(), context.run_id, "city_portals") as f:
        profiles, datasets = survey(f, cities, city_homepages, as_of=as_of.to_pydatetime(),
                                    workers=f.config.concurrency)
    clean, quarantined = quarantine(profiles, "portal_profiles", key_columns=["geoid", "portal_host"])
    clean_ds, quarantined_ds = quarantine(datasets, "portal_datasets",
                                          key_columns=["geoid", "portal_host", "dataset_id"])
    dropped = len(profiles) - len(clean) + len(datasets) - len(clean_ds)
    if dropped:
        context.log.warning(f"{dropped} portal rows quarantined (see ops.quarantine)")
    profiles, datasets = clean, clean_ds
    quarantined = pd.concat([quarantined, quarantined_ds], ignore_index=True)
    found = profiles[profiles["outcome"].isin(["found", "partial"])]
    yield dg.Output(profiles, "portal_profiles", metadata={
        "probed": len(profiles), "found": len(found), "cities_with_portal": int(found["geoid"].nunique()),
        "outcomes": dg.MetadataValue.json({str(k): int(v) for k, v in profiles["outcome"].value_counts().items()})})
    yield dg.Output(datasets, "portal_datasets", metadata={"rows": len(datasets)})
    yield dg.Output(quarantined, "portal_quarantine", metadata={"rows": len(quarantined)})
    yield check_result(validate(profiles, "portal_profiles"), asset="portal_profiles",
                       check_name="portal_profiles_suite")
    yield check_result(validate(datasets, "portal_datasets"), asset="portal_datasets",
                       check_name="portal_datasets_suite")
