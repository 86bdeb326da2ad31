"""Data quality for cdpi: Great Expectations suites (``expectations/suites/*.json``) and their runner.

Importing this package is cheap: Great Expectations itself is only imported on the first validation.
It never imports Dagster; the assets layer turns :class:`ValidationReport` into asset check results.
"""

from expectations.runner import (
    QUARANTINE_COLUMNS,
    ExpectationFailure,
    SuiteError,
    ValidationReport,
    load_suite_spec,
    quarantine,
    suite_names,
    suite_parameters,
    validate,
)

__all__ = [
    "QUARANTINE_COLUMNS",
    "ExpectationFailure",
    "SuiteError",
    "ValidationReport",
    "load_suite_spec",
    "quarantine",
    "suite_names",
    "suite_parameters",
    "validate",
]
