"""What the assets share for validation: blocking suite checks, row quarantine, check results, metadata."""


from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd

from assets.metadata import table_metadata
from assets.tables import table_of
from expectations.docs import write_page
from expectations.runner import ValidationReport, custom_suites_dir, describe_check, quarantine_and_check
from warehouse.paths import DATA_DOCS


def check_result(report: ValidationReport, *, asset: str, check_name: str,
                 context: dg.AssetExecutionContext | None = None) -> dg.AssetCheckResult:
    """A suite report as a blocking check result; its failures (expectation, observed value, a few failing
    rows) are what `cdpi run` prints when the check stops the publish. With the step's ``context``, the
    suite's Great Expectations Data Docs page is written into the run folder and linked from the check."""
    failed = [f.message for f in report.failures]
    extra: dict[str, Any] = {}
    if context is not None:
        page = write_page(report, data_docs_dir(context))
        extra["data_docs"] = dg.MetadataValue.path(str(page))
    folder = custom_suites_dir()
    if folder is not None:   # not the shipped suite: the check's record names the file that decided it
        extra["suite_file"] = dg.MetadataValue.path(str(folder / f"{report.suite}.json"))
    if report.rows_in is not None:   # the table facts' figures: what the quarantine limit was judged on
        extra.update({"rows_checked": report.rows_in, "rows_quarantined": report.quarantined_rows or 0,
                      "quarantined_share": float(report.quarantined_share or 0.0),
                      "max_quarantined_share": float(report.max_quarantined_share or 0.0)})
    return dg.AssetCheckResult(
        asset_key=asset, check_name=check_name, passed=bool(report.success),
        severity=dg.AssetCheckSeverity.ERROR, description="; ".join(failed)[:2000] or None,
        metadata={"suite": report.suite, "rows": report.rows, "evaluated": report.evaluated,
                  "successful": report.successful, "success_percent": float(report.success_percent or 0.0),
                  "failed_expectations": dg.MetadataValue.json(failed), **extra})


def data_docs_dir(context: dg.AssetExecutionContext) -> Path:
    """The run's Data Docs folder, ``runs/<run_id>/data_docs`` (the report copies it)."""
    return context.resources.warehouse.paths().run_dir(context.run_id) / DATA_DOCS


def suite_checks(outputs: tuple[str, ...]) -> list[dg.AssetCheckSpec]:
    """One blocking check per output, named ``<output>_suite``: the GX suite of the same name runs on the
    output before anything downstream (the warehouse) may use it. The table it guards is the one
    assets/tables.py maps the output to; its description says that it blocks and what it checks, so the
    UI answers "what stops a publish" without opening the suite."""
    return [dg.AssetCheckSpec(f"{name}_suite", asset=name, blocking=True,
                              description=describe_check(name, table_of(name)))
            for name in outputs]


def quarantine_metadata(quarantined: pd.DataFrame) -> dict[str, Any]:
    """A quarantine output's metadata: its size, and when rows were set aside, which expectations they
    failed and the first few of them, so the UI answers "why" without a query on ops.quarantine."""
    extra = {"by_expectation": value_counts(quarantined["expectation"])} if len(quarantined) else {}
    return table_metadata(quarantined, preview=5, preview_columns=["suite", "key", "expectation", "column", "reason"],
                          **extra)


def value_counts(series) -> dg.MetadataValue:
    """A column's value counts as JSON metadata (missing values counted too)."""
    return dg.MetadataValue.json({str(k): int(v) for k, v in series.value_counts(dropna=False).items()})


def quarantine_outputs(frames: dict[str, tuple], inputs: dict[str, int] | None = None,
                       max_quarantined_share: float | None = None
                       ) -> tuple[dict, pd.DataFrame, dict[str, ValidationReport]]:
    """Run each output's suite row by row: ``{name: (frame, key_columns)}`` -> (clean frames by name, every
    quarantined row of all of them, the blocking-check report of each output), so failing rows are set
    aside with their reason, never dropped, and a run that sets aside too much, or empties a table whose
    inputs were not empty (``inputs``: rows it was built from, by name), fails its check."""
    clean, bad, reports = {}, [], {}
    for name, (frame, keys) in frames.items():
        clean[name], rejected, reports[name] = quarantine_and_check(
            frame, name, key_columns=keys, inputs=(inputs or {}).get(name), max_quarantined_share=max_quarantined_share)
        bad.append(rejected)
    return clean, pd.concat(bad, ignore_index=True), reports
