"""The outreach report: a static site built from the published warehouse after every run."""

import dagster as dg
import duckdb

from assets import versions
from assets.partitions import MONTHLY, snapshot_of
from assets.publish import published_warehouse
from assets.tables import lineage
from warehouse.publish import WarehouseError
from warehouse.report import build_report


@dg.asset(partitions_def=MONTHLY, group_name="warehouse", kinds={"html"}, owners=["team:cdpi"],
          code_version=versions.REPORT, required_resource_keys={"warehouse"}, deps=[published_warehouse])
def outreach_report(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    """The static outreach report of the warehouse's latest snapshot in $CDPI_HOME/report/ (national
    overview, the filterable targets table, one page per city with evidence and gaps); opens from disk with
    no network. Always the latest snapshot, whatever this partition's month: a backfill of an older month
    rebuilds the latest snapshot's report (metadata ``snapshot`` says which; ``cdpi report --snapshot
    YYYY-MM`` builds an older one). Built after publishing, so a failure here is reported without
    un-publishing the run."""
    paths = context.resources.warehouse.paths()
    month = snapshot_of(context).strftime("%Y-%m")
    try:
        # The latest snapshot, also after a backfill: report/ is the one site staff open, and it shows the
        # newest data; the data dictionary page shows which asset writes which table.
        summary = build_report(paths, paths.home / "report", lineage=lineage())
    except (WarehouseError, OSError, ValueError, duckdb.Error) as exc:
        context.log.warning(f"report for {month} not built ({exc}); re-run with `cdpi report`")
        return dg.MaterializeResult(metadata={"error": str(exc), "pages": 0, "partition": month})
    return dg.MaterializeResult(metadata={
        "index": dg.MetadataValue.path(str(summary.out_dir / "index.html")), "pages": summary.pages,
        "cities": summary.cities, "snapshot": summary.snapshot, "partition": month,
        # Said in words, since a backfill's materialization otherwise reads as that month's report.
        "shows": (f"the latest snapshot, {summary.snapshot}" if summary.snapshot == month else
                  f"the latest snapshot, {summary.snapshot}, not this partition's month {month} "
                  f"(`cdpi report --snapshot {month}` builds that one)"),
        "sample_data": summary.is_sample})
