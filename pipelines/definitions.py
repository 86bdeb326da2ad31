"""The one Definitions object: assets, checks, the monthly job and schedule, the failure sensor.

`dagster dev` (run from the repository root, via `make dev`) and `cdpi run` both load this module.
"""

from __future__ import annotations

import dagster as dg

from assets.evidence import city_evidence
from assets.homepages import city_homepages
from assets.index import certified_cities, index_calibration, index_validation, readiness_index, wwc_partners
from assets.partitions import MONTHLY
from assets.portals import city_portals
from assets.publish import published_warehouse, snapshot_exports
from assets.report import outreach_report
from assets.universe import census_places, cities, wikidata_websites
from pipelines.resources import CrawlSettings, FetcherResource, RunSettings, WarehouseResource
from pipelines.sensors import record_failed_runs

ALL_ASSETS = [census_places, wikidata_websites, cities, city_homepages, city_portals, city_evidence,
              certified_cities, wwc_partners, readiness_index, index_validation, index_calibration,
              published_warehouse, snapshot_exports, outreach_report]

monthly_refresh = dg.define_asset_job(
    "monthly_refresh", selection=dg.AssetSelection.assets(*ALL_ASSETS), partitions_def=MONTHLY,
    description="Refresh every signal for one month and publish the snapshot.")

#: Early on the 2nd of each month (UTC), for the month just ended.
monthly_schedule = dg.build_schedule_from_partitioned_job(monthly_refresh, day_of_month=2, hour_of_day=3)


def default_resources(warehouse: WarehouseResource | None = None, fetcher: FetcherResource | None = None,
                      settings: RunSettings | None = None, crawl: CrawlSettings | None = None) -> dict:
    warehouse = warehouse or WarehouseResource()
    return {
        "warehouse": warehouse,
        "fetcher": fetcher or FetcherResource(),
        "settings": settings or RunSettings(),
        "crawl": crawl or CrawlSettings(),
        # Intermediate frames between steps live under $CDPI_HOME, never in the published warehouse.
        "io_manager": dg.FilesystemIOManager(base_dir=str(warehouse.paths().dagster_storage)),
    }


defs = dg.Definitions(
    assets=ALL_ASSETS,
    jobs=[monthly_refresh],
    schedules=[monthly_schedule],
    sensors=[record_failed_runs],
    resources=default_resources(),
    executor=dg.in_process_executor,
)
