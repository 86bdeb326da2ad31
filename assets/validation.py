"""Turn a validation report from expectations/ into a Dagster asset check result."""


import dagster as dg

from expectations.runner import ValidationReport


def check_result(report: ValidationReport, *, asset: str, check_name: str) -> dg.AssetCheckResult:
    failed = [f.message for f in report.failures]
    return dg.AssetCheckResult(
        asset_key=asset, check_name=check_name, passed=bool(report.success),
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"suite": report.suite, "evaluated": report.evaluated, "successful": report.successful,
                  "success_percent": float(report.success_percent or 0.0),
                  "failed_expectations": dg.MetadataValue.json(failed)})
