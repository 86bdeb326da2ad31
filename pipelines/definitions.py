"""The one Definitions object: assets, checks, the monthly job and schedule, the failure and cancel sensors.

`dagster dev` (run from the repository root, via `make dev`) and `cdpi run` both load this module. Two
environment variables shape it when it loads: ``CDPI_CRAWL_SHARDS`` (the website crawl as that many
steps) and ``CDPI_EXECUTOR`` (in_process, or multiprocess to run those steps side by side); see
docs/scale-out.md. pipelines/environment.py reads and checks them, so the CLI can refuse a bad value before
this module loads.
"""

from __future__ import annotations

import dagster as dg

from assets.evidence import evidence_assets
from assets.homepages import city_homepages
from assets.index import (
    attested_corrections,
    certified_cities,
    index_validation,
    readiness_index,
    wwc_partners,
)
from assets.portals import city_portals
from assets.publish import published_warehouse, snapshot_exports
from assets.report import outreach_report
from assets.shards import crawl_shards
from assets.universe import census_places, cities, uscityurl_websites, wikidata_websites
from pipelines.environment import executor_choice
from pipelines.instance import helpers_ignore_ctrl_c_in_step_processes
from pipelines.progress import lines_in_step_processes, step_lines
from pipelines.resources import CrawlSettings, FetcherResource, RunSettings, WarehouseResource, step_outputs
from pipelines.runlock import guarded
from pipelines.runlog import run_log
from pipelines.sensors import record_canceled_runs, record_failed_runs


def all_assets(shards: int = 1) -> list:
    """Every asset of a run, with the website crawl split into ``shards`` steps."""
    return [census_places, wikidata_websites, uscityurl_websites, cities, city_homepages, city_portals, *evidence_assets(shards),
            certified_cities, wwc_partners, attested_corrections, readiness_index, index_validation,
            published_warehouse, snapshot_exports, outreach_report]


#: Dagster's console plus the run's log file (pipelines/runlog.py). Runs launched from the UI, the schedule or a
#: backfill use LOGGER_CONFIG; `cdpi run` passes its own (console silenced: the terminal is for progress, and
#: ``steps`` prints a line per finished step).
LOGGERS = {"console": dg.colored_console_logger, "run_log": run_log, "steps": step_lines}
LOGGER_CONFIG = {"console": {"config": {"log_level": "INFO"}}, "run_log": {"config": {"log_level": "DEBUG"}}}


def refresh_job(assets: list) -> dg.UnresolvedAssetJobDefinition:
    # The job takes the monthly partitions from its assets (passing partitions_def here is deprecated).
    return dg.define_asset_job(
        "monthly_refresh", selection=dg.AssetSelection.assets(*assets), config={"loggers": LOGGER_CONFIG},
        description="Refresh every signal for one month and publish the snapshot.")


def default_resources(warehouse: WarehouseResource | None = None, fetcher: FetcherResource | None = None,
                      settings: RunSettings | None = None, crawl: CrawlSettings | None = None) -> dict:
    warehouse = warehouse or WarehouseResource()
    return {
        "warehouse": warehouse,
        "fetcher": fetcher or FetcherResource(),
        "settings": settings or RunSettings(),
        "crawl": crawl or CrawlSettings(),
        # Intermediate frames between steps live in the run's home, never in the published warehouse.
        "io_manager": step_outputs,
    }


def executor(choice: str | None = None) -> dg.ExecutorDefinition:
    """``CDPI_EXECUTOR``: in_process (default: one process, what `cdpi run` uses) or multiprocess (each
    step its own process, so the crawl shards run side by side; steps that do not depend on each other
    overlap too). The warehouse is still written by the one publish step. Either holds the run's home
    for the whole run (pipelines/runlock.py): two runs of one home at once would mix their step outputs."""
    if executor_choice(choice) == "in_process":
        return guarded(dg.in_process_executor)
    return guarded(dg.multiprocess_executor)


#: What the UI shows on the schedule: when, which month, and that it starts stopped.
SCHEDULE_DESCRIPTION = (
    "Runs monthly_refresh at 03:00 UTC on the 2nd of each month for the month just ended (the run of "
    "2 November is the October partition). Off by default: turn it on in the UI (Automation, then "
    "monthly_refresh_schedule) or with `dagster schedule start monthly_refresh_schedule -m "
    "pipelines.definitions` against the home's instance; the dagster-daemon `cdpi dev` starts fires it.")


def build_definitions(assets: list, executor_name: str | None = None, resources: dict | None = None
                      ) -> dg.Definitions:
    """The definitions `dagster dev` loads; `cdpi run` builds the same with its own ``resources``, so its
    runs are runs of ``monthly_refresh`` too and sit beside the scheduled ones in the UI."""
    job = refresh_job(assets)
    return dg.Definitions(
        assets=assets, jobs=[job], sensors=[record_failed_runs, record_canceled_runs], resources=resources or default_resources(),
        loggers=LOGGERS,
        #: Early on the 2nd of each month (UTC), for the month just ended.
        schedules=[dg.build_schedule_from_partitioned_job(
            job, day_of_month=2, hour_of_day=3,
            default_status=dg.DefaultScheduleStatus.STOPPED, description=SCHEDULE_DESCRIPTION)],
        executor=executor(executor_name))


def sharded_refresh_job() -> dg.JobDefinition:
    """The monthly job as the environment describes it, built afresh: the target `dagster.reconstructable`
    hands to every process of a multiprocess run, so each rebuilds the same shards."""
    return build_definitions(all_assets(crawl_shards())).resolve_job_def("monthly_refresh")


lines_in_step_processes()
helpers_ignore_ctrl_c_in_step_processes()
ALL_ASSETS = all_assets(crawl_shards())
defs = build_definitions(ALL_ASSETS)
