"""The last step of every run: append it to the warehouse history and publish atomically."""


import os

import dagster as dg
import duckdb

from assets import versions
from assets.partitions import MONTHLY, corrections_as_of, run_started, snapshot_of
from assets.provenance import cdpi_version
from assets.runlabels import run_labels
from assets.tables import published_outputs, table_frames
from expectations.runner import SUITES_DIR_ENV, SuiteError, custom_suites_dir, suites_digest
from sources.criteria.catalog import load_catalog
from sources.evidence.classify import load_rules
from sources.http.archive import replay_fingerprints, unreadable_records
from sources.http.fetchlog import read_fetch_logs
from warehouse.corrections import applied_summary, corrections_file
from warehouse.export import export_snapshot
from warehouse.publish import PublishSummary, RunRecord, WarehouseError, publish_run
from warehouse.read import column_descriptions

#: The marts whose columns, with their descriptions, the publish's metadata shows (the UI renders each as a
#: table of name, type and description). The main ones only: about 12 KB of text per materialization.
DESCRIBED_MARTS = ["marts.cities", "marts.city_index", "marts.portals", "marts.evidence", "marts.city_changes"]


@dg.asset(partitions_def=MONTHLY, group_name="warehouse", kinds={"duckdb"}, owners=["team:cdpi"],
          code_version=versions.PUBLISH, required_resource_keys={"fetcher", "warehouse", "settings", "crawl"},
          ins={name: dg.AssetIn(name) for name in published_outputs()})
def published_warehouse(context: dg.AssetExecutionContext, **inputs) -> dg.MaterializeResult:
    """The published DuckDB warehouse ($CDPI_HOME/warehouse.duckdb): this run's rows appended to the
    history, marts rebuilt, swapped in atomically so readers never see a half-written file. Its inputs
    are every output assets/tables.py maps to a table."""
    res = context.resources
    paths = res.warehouse.paths()
    run_dir = paths.run_dir(context.run_id)
    fetch_log = read_fetch_logs(run_dir)
    warcs = sorted(str(p.relative_to(paths.home)) for p in (run_dir / "warc").glob("*.warc.gz"))
    # What a replay could not read of its archives: the requests it held ended as not_archived.
    unreadable = sum(unreadable_records(res.fetcher.replay).values()) if res.fetcher.replay else None
    # The archives' digests and sizes, taken when this process indexed them (before the first fetch in a
    # one-process run; see replay_fingerprints): a path alone does not say which bytes were replayed.
    archives = [f.as_record() for f in replay_fingerprints(res.fetcher.replay)] if res.fetcher.replay else []
    labels = run_labels(context)
    # The data files as the run's steps parsed them; a file edited since is recorded as used, and said.
    try:
        data_files, changed = versions.data_files_used(run_dir)
    except versions.DataFilesChanged as exc:
        raise dg.Failure(str(exc)) from None
    for warning in changed:
        context.log.warning(warning)
    record = RunRecord(
        run_id=context.run_id, snapshot=snapshot_of(context), mode=labels.mode,
        is_sample=labels.is_sample, started_at=run_started(context),
        config={"settings": res.settings.model_dump(), "fetcher": res.fetcher.model_dump(),
                "crawl": res.crawl.model_dump(), "suites_dir": _suites_dir(), "suites_sha256": _suites_sha256(),
                # The bands by name, also when settings leave them to the catalog's default (""): a later
                # default must not relabel this run's tiers (cdpi history shows it).
                "tier_bands": load_catalog().with_bands(res.settings.tier_bands).bands,
                # The bytes of the data files that decide the scores (rules, catalog, portal and partner files):
                # an edit that kept rules.yaml's version string still gives another digest. As the evidence
                # step parsed them, not as they are now (versions.data_files_used).
                "data_files_sha256": data_files,
                "evidence_rules_version": load_rules().version,
                # The attested corrections it applied, and when their status was judged: a replay needs the
                # same file and that moment (`cdpi run --corrections-as-of`) to apply the same ones.
                "corrections": {"as_of": corrections_as_of(context).isoformat().replace("+00:00", "Z"),
                                "file": str(corrections_file(paths)),
                                **applied_summary(inputs["attested_corrections"])}},
        warc_files=warcs, replay_sources=list(res.fetcher.replay), cdpi_version=cdpi_version(),
        replay_unreadable_records=unreadable, replay_archives=archives)
    frames = table_frames(inputs)
    summary = publish_run(paths, record, frames, fetch_log)
    outcomes: dict[str, int] = {}
    for row in fetch_log:
        outcomes[row["outcome"]] = outcomes.get(row["outcome"], 0) + 1
    return dg.MaterializeResult(metadata={
        # The warehouse's row count is what this run added to it, over every table: the frames handed in,
        # the marts the models built from them, its ops.runs row and its fetch log.
        "dagster/row_count": sum(summary.run_rows.values()),
        "path": dg.MetadataValue.path(summary.path), "runs_in_history": summary.history_runs,
        "row_counts": dg.MetadataValue.json(summary.row_counts),
        "tables": dg.MetadataValue.md(tables_markdown(summary)),
        "fetch_outcomes": dg.MetadataValue.json(outcomes), "sample_data": labels.is_sample,
        **({} if unreadable is None else {"replay_unreadable_records": unreadable}),
        **_mart_columns(context, paths)})


def _mart_columns(context: dg.AssetExecutionContext, paths) -> dict[str, dg.MetadataValue]:
    """``columns of <mart>``: each of :data:`DESCRIBED_MARTS` as a table schema with the column descriptions
    of the published file. Not ``dagster/column_schema``: this asset is the whole warehouse, and its Columns
    tab would present one table's columns as all of it. The run is already published: a file that cannot
    be read here costs the entries, not the run."""
    try:
        tables = column_descriptions(paths, DESCRIBED_MARTS)
    except (WarehouseError, duckdb.Error) as exc:
        context.log.warning(f"column descriptions not read from the published warehouse ({exc})")
        return {}
    return {f"columns of {table}": dg.MetadataValue.table_schema(dg.TableSchema(columns=[
        dg.TableColumn(name=name, type=dtype, description=text or None) for name, dtype, text in columns]))
        for table, columns in tables.items()}


def tables_markdown(summary: PublishSummary) -> str:
    """Each table's rows from this run and in the whole warehouse, as a Markdown table. The run's rows are
    counted in the published file by run_id, so the marts and ops tables the publish itself writes show
    theirs too; a table without a run_id column shows "-" (a footnote says why)."""
    lines = ["| table | rows from this run | rows in the warehouse |", "|---|---|---|"]
    lines += [f"| {name} | {summary.run_rows.get(name, '-')} | {rows} |"
              for name, rows in sorted(summary.row_counts.items())]
    if set(summary.row_counts) - set(summary.run_rows):
        lines.append("\n\"-\": the table has no run_id column, so its rows cannot be told apart by run.")
    return "\n".join(lines)


def _suites_dir() -> str | None:
    """The edited copy of the suites this run validated with ($CDPI_SUITES_DIR), None for the shipped ones:
    a researcher comparing two snapshots can tell whether the same checks decided what was quarantined."""
    try:
        folder = custom_suites_dir()
    except SuiteError:   # the folder went away during the run: record what was named, never fail the publish
        return os.environ.get(SUITES_DIR_ENV)
    return str(folder) if folder else None


def _suites_sha256() -> str | None:
    """The digest of the suites the run validated with (expectations.runner.suites_digest); None when they
    can no longer be read at publish (the folder went away): the folder's name is then all that is known."""
    try:
        return suites_digest()
    except SuiteError:
        return None




@dg.asset(partitions_def=MONTHLY, group_name="warehouse", kinds={"csv", "parquet"}, owners=["team:cdpi"],
          code_version=versions.EXPORTS, required_resource_keys={"warehouse"}, deps=[published_warehouse])
def snapshot_exports(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    """Every mart of this run's snapshot as CSV and Parquet in $CDPI_HOME/exports/<YYYY-MM>/, with a
    manifest of row counts and SHA-256 checksums, for people who do not use DuckDB."""
    month = snapshot_of(context).strftime("%Y-%m")
    try:
        summary = export_snapshot(context.resources.warehouse.paths(), month)
    except (WarehouseError, OSError, duckdb.Error) as exc:
        # The run's data is already published; a failed export must not mark the run failed. Say so, and
        # how to redo it.
        context.log.warning(f"export of {month} failed ({exc}); re-run with `cdpi export --snapshot {month}`")
        return dg.MaterializeResult(metadata={"error": str(exc), "files": 0})
    return dg.MaterializeResult(metadata={
        "folder": dg.MetadataValue.path(str(summary.folder)), "run_id": summary.run_id,
        "files": len(summary.files),
        "rows": dg.MetadataValue.json({k: v for k, v in summary.files.items() if k.endswith(".parquet")})})
