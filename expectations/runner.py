"""Run the repository's Great Expectations suites on pandas frames and turn the results into plain data.

Why this layer exists:

* The suites live as GX 1.x JSON in ``expectations/suites/`` (shipped as package data) so they can be
  reviewed like code and read by analysts; this module is the only code that knows how to run them.
* Run-time thresholds (the minimum population, ...) stay *in* the JSON as GX suite parameters,
  ``{"$PARAMETER": "min_population"}``, and are supplied per run with GX's own
  ``expectation_parameters``; no threshold is duplicated in Python.
* GX result objects are large and version-specific. Callers (the Dagster assets, the CLI, tests) get
  a small frozen :class:`ValidationReport` with JSON-safe values, and :func:`quarantine` turns GX's
  row-level results into an auditable "set aside, with reason" table instead of silently dropping rows.
* GX is imported lazily (see ``_context``), so importing this module is cheap. Nothing here imports
  Dagster: the assets layer converts reports into asset check results.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import math
import os
import re
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import date, datetime, time
from decimal import Decimal
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from expectations import _context

#: Columns of the quarantine frame, in order; they match the ``ops.quarantine`` warehouse table
#: (minus the run columns the publisher adds).
QUARANTINE_COLUMNS: tuple[str, ...] = ("suite", "key", "expectation", "column", "reason", "row_json")

_SUITE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")  # also keeps names from escaping the suites folder
_UNIQUENESS = frozenset({"expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique",
                         "expect_select_column_values_to_be_unique_within_record",
                         "expect_multicolumn_values_to_be_unique"})


class SuiteError(ValueError):
    """A suite cannot be run as asked: unknown name, malformed JSON, or a parameter not supplied.

    These are programming or configuration errors, so they raise; data problems never raise, they
    show up as failures in the report.
    """


@dataclass(frozen=True)
class ExpectationFailure:
    """One expectation that did not pass, reduced to JSON-safe values.

    ``unexpected_count`` is None for table-level expectations (they have an ``observed_value``
    instead) and for expectations that could not be evaluated at all (``error`` says why, e.g. a
    missing column).
    """

    type: str
    column: str | None
    kwargs: dict[str, Any]
    unexpected_count: int | None
    partial_unexpected_list: list[Any]
    observed_value: Any = None
    error: str | None = None
    why: str | None = None

    @property
    def message(self) -> str:
        """One human-readable line, for logs and check metadata."""
        target = f"{self.type}({self.column})" if self.column else self.type
        if self.error:
            return f"{target}: {self.error}"
        if self.unexpected_count is not None:
            examples = ", ".join(_fmt(v) for v in self.partial_unexpected_list[:5])
            return f"{target}: {self.unexpected_count} unexpected value(s)" + (f", e.g. {examples}" if examples else "")
        examples = "; ".join(str(v) for v in self.partial_unexpected_list[:3])
        observed = self.observed_value if isinstance(self.observed_value, str) else _fmt(self.observed_value)
        return f"{target}: observed {observed}" + (f", e.g. {examples}" if examples else "")


@dataclass(frozen=True)
class ValidationReport:
    """Outcome of one suite run on one frame; everything in it survives ``json.dumps(to_dict())``."""

    suite: str
    success: bool
    evaluated: int
    successful: int
    success_percent: float
    failures: list[ExpectationFailure]
    rows: int
    parameters: dict[str, Any]
    #: GX's own ExpectationSuiteValidationResult, for its Data Docs renderer (expectations/docs.py); not
    #: part of the report's plain form.
    gx_result: Any = dataclasses.field(default=None, repr=False, compare=False)
    #: The table facts' figures (:func:`validate_output`; None on a report of the suite alone): the rows the
    #: output had before quarantine, how many of them were set aside, and the share of them allowed.
    rows_in: int | None = None
    quarantined_rows: int | None = None
    max_quarantined_share: float | None = None

    @property
    def quarantined_share(self) -> float | None:
        """The share of the rows in that were quarantined (None without table facts; 0 with no rows in)."""
        if self.rows_in is None or self.quarantined_rows is None:
            return None
        return self.quarantined_rows / self.rows_in if self.rows_in else 0.0

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (failures include their ``message``), ready for JSON or Dagster metadata."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "gx_result"}
        out["failures"] = [{**asdict(f), "message": f.message} for f in self.failures]
        return out


# --------------------------------------------------------------------------------------------- suites

#: A folder of suite JSON files to validate with instead of the shipped ones: a whole copy of
#: ``expectations/suites`` with a suite edited, tried on a run before the edit is shipped.
SUITES_DIR_ENV = "CDPI_SUITES_DIR"


def custom_suites_dir() -> Path | None:
    """The folder ``$CDPI_SUITES_DIR`` names, or None when the shipped suites are in use.

    Read at each call, not once: a process's later validations follow the setting it has then."""
    configured = os.environ.get(SUITES_DIR_ENV, "").strip()
    if not configured:
        return None
    try:
        folder = Path(configured).expanduser().resolve()
    except (OSError, RuntimeError) as exc:   # RuntimeError: a symlink loop, on Python 3.11
        raise SuiteError(f"{SUITES_DIR_ENV} names {configured}, which cannot be resolved ({exc})") from None
    if not folder.is_dir():
        raise SuiteError(f"{SUITES_DIR_ENV} names {folder}, which is not a folder")
    return folder


@cache
def _shipped_dir() -> Traversable:
    # importlib.resources, not a path relative to __file__: works from a wheel or a zip as well. Cached:
    # the installed package does not move, and every read of a suite asks for it.
    return resources.files("expectations") / "suites"


def _suites_dir() -> Traversable:
    return custom_suites_dir() or _shipped_dir()


def suites_note() -> str | None:
    """The sentence a run's terminal and log carry once when ``$CDPI_SUITES_DIR`` is set (None when not):
    an edited copy of the suites, not the shipped ones, decides which rows are published."""
    folder = custom_suites_dir()
    return f"validating with the suites in {folder} ({SUITES_DIR_ENV}), not the shipped ones" if folder else None


def suites_digest() -> str:
    """SHA-256 of every suite in use, as parsed (names sorted, keys sorted): the same checks give the same
    digest from any folder, and any edit changes it. A run records it, so a snapshot names its checks."""
    specs = {name: _spec(name) for name in suite_names()}
    return hashlib.sha256(json.dumps(specs, sort_keys=True).encode("utf-8")).hexdigest()


def _where() -> str:
    """Where the suites are read, for messages: empty for the shipped ones."""
    folder = custom_suites_dir()
    return f" in {SUITES_DIR_ENV} {folder}" if folder else ""


def suite_names() -> list[str]:
    """Names of the suites in use (the JSON file stems), sorted: the shipped ones, or those of
    ``$CDPI_SUITES_DIR``."""
    return _names_in(_suites_dir())


def _names_in(folder: Traversable) -> list[str]:
    return sorted(p.name[: -len(".json")] for p in folder.iterdir()
                  if p.name.endswith(".json") and _SUITE_NAME.match(p.name[: -len(".json")]))


#: Parsed suites by (folder, name): a suite file is read once per process, and per folder because the
#: folder in use may change within one (a test, or an edited copy tried next).
_SPECS: dict[tuple[str, str], dict[str, Any]] = {}


def _spec(name: str) -> dict[str, Any]:
    """Parsed and checked suite JSON, from the folder in use."""
    if not isinstance(name, str) or not _SUITE_NAME.match(name):
        raise SuiteError(f"invalid suite name {name!r}")
    folder = _suites_dir()
    key = (str(folder), name)
    if key not in _SPECS:
        _SPECS[key] = _read_spec(folder, name)
    return _SPECS[key]


#: The largest suite file read, in bytes. The shipped suites are under 8 KiB; an edited copy 128 times
#: the largest is still a suite, while a file far past that is a mistake (a data file saved under a
#: suite's name), and parsing it would take several times its size in memory before any check ran.
MAX_SUITE_BYTES = 1024 * 1024


def _read_spec(folder: Traversable, name: str) -> dict[str, Any]:
    path = folder / f"{name}.json"
    if not path.is_file():
        raise SuiteError(f"unknown suite {name!r}{_where()}; known suites: {', '.join(suite_names()) or 'none'}")
    try:
        # Size first, from the file system (a Path; the shipped suites may sit in a zip, which has no
        # stat), then a read of at most one byte past the cap: a file that grew since is refused too.
        size = path.stat().st_size if isinstance(path, Path) else 0
        if size > MAX_SUITE_BYTES:
            raise _too_big(name, size)
        with path.open("rb") as handle:
            raw = handle.read(MAX_SUITE_BYTES + 1)
        if len(raw) > MAX_SUITE_BYTES:
            raise _too_big(name, None)
        # utf-8-sig: an editor's byte-order mark is not a reason to refuse a suite
        spec = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise SuiteError(f"suite {name!r}{_where()} is not UTF-8 text ({exc.reason} at byte {exc.start}): "
                         "save it as UTF-8") from exc
    except json.JSONDecodeError as exc:
        raise SuiteError(f"suite {name!r}{_where()} is not valid JSON: {exc}") from exc
    except OSError as exc:
        raise SuiteError(f"suite {name!r}{_where()} cannot be read: {exc.strerror or exc}") from exc
    _check_spec(name, spec)
    return spec


def _too_big(name: str, size: int | None) -> SuiteError:
    """The refusal of a suite file over :data:`MAX_SUITE_BYTES` (``size`` None: no stat, or it grew as read)."""
    what = f"is {_size(size)}, over" if size is not None else "is over"
    return SuiteError(f"suite file {name}.json{_where()} {what} the {_size(MAX_SUITE_BYTES)} cap on a suite file "
                      "(MAX_SUITE_BYTES); the shipped suites are a few KiB: is it the right file?")


def _size(n: int) -> str:
    """A byte count in words: exact bytes under 1 KiB, else MiB or KiB with one decimal."""
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MiB ({n} bytes)"
    return f"{n / 1024:.1f} KiB ({n} bytes)" if n >= 1024 else f"{n} bytes"


def _check_spec(name: str, spec: Any) -> None:
    if not isinstance(spec, dict) or spec.get("name") != name:
        raise SuiteError(f"suite file {name}.json must be an object whose \"name\" is {name!r}")
    entries = spec.get("expectations")
    if not isinstance(entries, list) or not entries:
        raise SuiteError(f"suite {name!r} has no expectations")
    for i, entry in enumerate(entries):
        if not (isinstance(entry, dict) and isinstance(entry.get("type"), str)
                and isinstance(entry.get("kwargs", {}), dict)):
            raise SuiteError(f"suite {name!r}: expectation #{i} needs a string \"type\" and object \"kwargs\"")


def load_suite_spec(name: str) -> dict[str, Any]:
    """The suite ``name`` as written in ``expectations/suites/<name>.json``, or in the folder
    ``$CDPI_SUITES_DIR`` names (a fresh copy).

    Raises :class:`SuiteError` for an unknown name or a malformed file.
    """
    return copy.deepcopy(_spec(name))


def prepare(suites: list[str] | None = None) -> None:
    """Import GX, build its context and register ``suites`` (default: every suite in use) now, instead
    of at the first validation. For a process about to run the whole pipeline: this is the larger part
    of what it holds for its whole life, so it can be built in one go before the data arrives (the
    `cdpi` command then keeps the garbage collector off it, see pipelines/heap.py). A suite GX refuses
    (an unknown expectation type, a bad argument) raises :class:`SuiteError` naming it, and so does a
    ``$CDPI_SUITES_DIR`` folder that lacks a shipped suite (the run would stop at that table's check,
    after its fetches)."""
    for name in check_suites() if suites is None else suites:
        _registered(name, load_suite_spec(name))


def check_suites() -> list[str]:
    """The names of the suites in use, once each file has been read and checked (GX not involved).
    SuiteError for a file that is not a suite, and for a ``$CDPI_SUITES_DIR`` folder that lacks a shipped
    suite: a run would otherwise stop at that table's check, after its fetches."""
    suites = suite_names()
    lacking = sorted(set(_names_in(_shipped_dir())) - set(suites))
    if lacking:
        raise SuiteError(f"{SUITES_DIR_ENV} {custom_suites_dir()} lacks the suite(s) {', '.join(lacking)}; "
                         "copy the whole expectations/suites folder there, then edit it")
    for name in suites:
        _spec(name)
    return suites


def _registered(name: str, spec: dict[str, Any]) -> Any:
    """The GX suite of ``spec``, registered once per process; SuiteError when GX refuses an entry."""
    try:
        return _context.registered_suite(name, spec)
    except Exception as exc:  # noqa: BLE001 - GX raises many types (pydantic, its own) for a bad entry
        raise SuiteError(f"suite {name!r}{_where()} is refused by Great Expectations: {exc}") from exc


def _param_ref(value: Any) -> str | None:
    """The parameter name if ``value`` is a GX suite-parameter placeholder ``{"$PARAMETER": name}``."""
    if isinstance(value, dict) and set(value) == {"$PARAMETER"} and isinstance(value["$PARAMETER"], str):
        return value["$PARAMETER"]
    return None


def suite_parameters(name: str) -> list[str]:
    """Parameters the suite needs at run time (the ``$PARAMETER`` placeholders in its kwargs), sorted."""
    found = {ref for entry in _spec(name)["expectations"]
             for value in entry.get("kwargs", {}).values() if (ref := _param_ref(value))}
    return sorted(found)


# ----------------------------------------------------------------------------------------- validation

def validate(df: pd.DataFrame, suite: str, *, parameters: dict[str, Any] | None = None) -> ValidationReport:
    """Run ``suite`` on ``df`` and summarise the outcome.

    ``parameters`` supplies every ``$PARAMETER`` of the suite (e.g. ``{"min_population": 30000}``);
    a missing one raises :class:`SuiteError` up front rather than failing deep inside GX. Data
    problems, including an empty frame or a missing column, never raise: they are failures in the
    report (a missing column's failure carries ``error="column 'x' is missing from the frame"``).
    """
    return _report_of(_run(df, suite, parameters, _context.SUMMARY), suite)


def _report_of(run: _Run, suite: str) -> ValidationReport:
    spec = _spec(suite)
    failures = [_failure(r, spec["expectations"][i], run.params, run.work.columns)
                for i, r in run.ordered if not r.success]
    stats = run.result.statistics
    evaluated = int(stats.get("evaluated_expectations") or 0)
    successful = int(stats.get("successful_expectations") or 0)
    return ValidationReport(
        suite=suite, success=bool(run.result.success), evaluated=evaluated, successful=successful,
        success_percent=100.0 * successful / evaluated if evaluated else 100.0,
        failures=failures, rows=len(run.work), parameters=_json_safe(run.params), gx_result=run.result)


#: Table-level facts every blocking suite checks besides its expectations (see :func:`validate_output`);
#: a suite may set its own limits in ``meta.table_facts``.
DEFAULT_TABLE_FACTS: dict[str, Any] = {"max_quarantined_share": 0.05, "not_empty_when_inputs_are_not": True}
QUARANTINED_SHARE = "expect_quarantined_share_to_be_at_most"
NOT_EMPTY = "expect_table_to_not_be_empty_when_its_inputs_are_not"


def table_facts(suite: str) -> dict[str, Any]:
    """The suite's table-level limits: :data:`DEFAULT_TABLE_FACTS` overridden by ``meta.table_facts``."""
    return {**DEFAULT_TABLE_FACTS, **((_spec(suite).get("meta") or {}).get("table_facts") or {})}


def validate_output(clean: pd.DataFrame, suite: str, *, quarantined: pd.DataFrame, rows_in: int,
                    inputs: int | None = None, parameters: dict[str, Any] | None = None,
                    max_quarantined_share: float | None = None) -> ValidationReport:
    """The blocking check of one output: the suite on the rows that survived :func:`quarantine`, plus the
    table-level facts a row-by-row suite cannot see.

    A suite run on the clean rows alone passes even when every row was set aside, so two facts are
    checked against what came in: the share of the ``rows_in`` rows that were quarantined stays within
    ``max_quarantined_share``, and the output is not empty when ``inputs`` (rows of what it was built
    from; ``rows_in`` when not given) were not. Their failures carry a few quarantined rows as examples
    (key and reason), so the message that stops a publish shows what went wrong. ``max_quarantined_share``
    overrides the suite's limit for one run (a user's own city list may be known to be messy).
    """
    return _with_table_facts(validate(clean, suite, parameters=parameters), clean, suite, quarantined=quarantined,
                             rows_in=rows_in, inputs=inputs, max_quarantined_share=max_quarantined_share)


def _with_table_facts(report: ValidationReport, clean: pd.DataFrame, suite: str, *, quarantined: pd.DataFrame,
                      rows_in: int, inputs: int | None, max_quarantined_share: float | None) -> ValidationReport:
    """``report`` (the suite on ``clean``) with the table-level facts of :func:`validate_output` added."""
    limits = table_facts(suite)
    if max_quarantined_share is not None:
        limits["max_quarantined_share"] = max_quarantined_share
    examples = _examples(quarantined)
    # Rows, not reasons: ``quarantined`` has a line per broken rule, and identical rows are separate rows
    # (counting distinct row contents let ten copies of one bad row pass as one).
    bad = rows_in - len(clean)      # clean is a subset of the rows in (see _split)
    share = bad / rows_in if rows_in else 0.0
    extra: list[ExpectationFailure] = []
    if share > float(limits["max_quarantined_share"]):
        extra.append(ExpectationFailure(
            type=QUARANTINED_SHARE, column=None, kwargs={"max_quarantined_share": limits["max_quarantined_share"]},
            unexpected_count=None, partial_unexpected_list=examples,
            observed_value=f"{bad} of {rows_in} rows quarantined ({share:.1%})",
            why="More rows were set aside than a healthy run produces: a parser, a rule or a source broke."))
    upstream = rows_in if inputs is None else inputs
    if limits["not_empty_when_inputs_are_not"] and upstream > 0 and clean.empty:
        extra.append(ExpectationFailure(
            type=NOT_EMPTY, column=None, kwargs={"inputs": upstream}, unexpected_count=None,
            partial_unexpected_list=examples, observed_value=f"0 rows from {upstream} input rows",
            why="An empty table published over a non-empty input would read as 'nothing found'."))
    report = dataclasses.replace(report, rows_in=rows_in, quarantined_rows=bad,
                                 max_quarantined_share=float(limits["max_quarantined_share"]))
    if not extra:
        return report
    evaluated = report.evaluated + 2
    successful = report.successful + 2 - len(extra)
    return dataclasses.replace(report, success=False, evaluated=evaluated, successful=successful,
                               success_percent=100.0 * successful / evaluated,
                               failures=[*report.failures, *extra])


def describe_check(suite: str, table: str) -> str:
    """What the blocking check of ``suite`` stops a publish for, in words, from the shipped suite (its row
    rules, uniqueness and ``meta.table_facts``): the description the Dagster UI shows on the check. The
    shipped file, not ``$CDPI_SUITES_DIR``: the description is fixed when the definitions load, and an
    edited copy that cannot be read must fail the run's check, not the loading of every definition."""
    spec = _read_spec(_shipped_dir(), suite)
    limits = {**DEFAULT_TABLE_FACTS, **((spec.get("meta") or {}).get("table_facts") or {})}
    entries = spec["expectations"]
    table_rules = [e for e in entries if e["type"].startswith("expect_table_")]
    unique = []
    for entry in entries:
        if entry["type"] in _UNIQUENESS:
            kwargs = entry.get("kwargs", {})
            columns = [str(c) for c in kwargs.get("column_list") or [kwargs.get("column")] if c]
            unique.append(columns[0] if len(columns) == 1 else f"({', '.join(columns)})")
    facts = [f"unique {' and '.join(unique)}"] if unique else []
    if limits["not_empty_when_inputs_are_not"]:
        facts.append("not empty when its inputs are not")
    facts.append(f"at most {float(limits['max_quarantined_share']):.0%} of its rows quarantined "
                 "(--max-quarantined-share may set another limit for a run; the check's metadata shows the "
                 "one in force)")
    rows = len(entries) - len(table_rules)
    whole = f" and {len(table_rules)} rule(s) on the whole table" if table_rules else ""
    return (f"Blocking: a failure stops the run before the publish, so nothing of it reaches the warehouse. "
            f"Great Expectations suite expectations/suites/{suite}.json on the rows bound for {table}: "
            f"{rows} row rules (a row that breaks one is set aside in ops.quarantine with its reason){whole}, "
            f"then table facts: {'; '.join(facts)}. With ${SUITES_DIR_ENV} set, that folder's copy of the "
            "suite decides; the check's metadata then names its file.")


def _examples(quarantined: pd.DataFrame, limit: int = 3) -> list[str]:
    """A few quarantined rows as ``key: reason`` lines, first rows first."""
    if quarantined.empty:
        return []
    lines = dict.fromkeys(f"{k}: {r}" for k, r in quarantined[["key", "reason"]].itertuples(index=False))
    return list(lines)[:limit]


def quarantine(df: pd.DataFrame, suite: str, *, key_columns: list[str],
               parameters: dict[str, Any] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split ``df`` into ``(clean, quarantined)`` using GX's row-level results.

    Every row-level expectation (column map, column pair and multicolumn expectations: not-null,
    regex, between, in-set, unique, ...) reports the index of each offending row; each such row goes
    to the quarantine frame once per expectation it breaks, with a readable reason and the whole row
    as JSON, so analysts can see exactly what was set aside and why. ``clean`` keeps the rows (and
    the index) of ``df`` that broke nothing, in their original order.

    Policy choices, deliberately simple:

    * A row breaking a row-level rule is quarantined even when the expectation's ``mostly`` lets the
      table pass: ``mostly`` is a table-level tolerance for the report, not a licence for bad rows.
    * Table-level expectations (row count, ...) and expectations that could not run (missing column)
      cannot single out rows; they quarantine nothing and show up in :func:`validate`'s report.
    * Duplicates: when the rows sharing a key are copies of one another (equal in every column but the
      suite's ``meta.duplicate_ignores``, e.g. the time a page was fetched), the first copy that breaks
      no other rule is kept and only the extra copies are quarantined: set aside as "copy of a kept
      row", never instead of the original. When they differ, every one is quarantined, since nothing
      says which is right.

    Nothing is dropped silently: ``len(clean)`` plus the number of distinct quarantined rows always
    equals ``len(df)`` (checked; a mismatch raises AssertionError).
    """
    return _split(_run(df, suite, parameters, _context.COMPLETE), df, suite, key_columns)


def quarantine_and_check(df: pd.DataFrame, suite: str, *, key_columns: list[str], inputs: int | None = None,
                         parameters: dict[str, Any] | None = None, max_quarantined_share: float | None = None
                         ) -> tuple[pd.DataFrame, pd.DataFrame, ValidationReport]:
    """:func:`quarantine`, then :func:`validate_output` on the clean rows: ``(clean, quarantined, report)``.

    When no row was set aside, the clean rows are the rows the suite just ran on, and its result is the
    report: the suite is not run a second time. (GX is most of a validation's cost; on a national run's
    largest tables a second pass took seconds per table.)"""
    run = _run(df, suite, parameters, _context.COMPLETE)
    clean, quarantined = _split(run, df, suite, key_columns)
    report = _report_of(run, suite) if quarantined.empty else validate(clean, suite, parameters=parameters)
    return clean, quarantined, _with_table_facts(report, clean, suite, quarantined=quarantined, rows_in=len(df),
                                                 inputs=inputs, max_quarantined_share=max_quarantined_share)


def _split(run: _Run, df: pd.DataFrame, suite: str, key_columns: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``df`` split into (clean, quarantined) by the row-level results of ``run`` (see :func:`quarantine`)."""
    work = run.work
    spec = _spec(suite)
    entries: list[tuple[int, int, dict[str, Any]]] = []
    flagged: set[int] = set()
    found = [(order, r, _unexpected_positions(r, len(work))) for order, r in run.ordered]
    broken_otherwise = {pos for order, _, positions in found
                        if spec["expectations"][order]["type"] not in _UNIQUENESS for pos in positions}
    ignores = [c for c in (spec.get("meta") or {}).get("duplicate_ignores", []) if c in work.columns]
    for order, r, positions in found:
        if not positions:
            continue
        entry = spec["expectations"][order]
        kwargs = _resolved_kwargs(r, entry, run.params)
        columns = _columns_of(kwargs)
        present = [c for c in columns if c in work.columns]
        values = {pos: tuple(_json_safe(work[c].iat[pos]) for c in present) for pos in positions}
        counts = Counter(json.dumps(v, default=str) for v in values.values())
        kept: set[int] = set()
        if entry["type"] in _UNIQUENESS:
            kept = _kept_copies(work.drop(columns=ignores), values, broken_otherwise)
            positions = [pos for pos in positions if pos not in kept]
        for pos in positions:
            reason = _reason(entry["type"], present, values[pos], kwargs, entry.get("kwargs", {}),
                             counts[json.dumps(values[pos], default=str)])
            if kept and _copy_of_kept(values, pos, kept):
                reason += "; an identical copy of a row that was kept"
            entries.append((pos, order, {
                "suite": suite,
                "key": _dumps({str(k): _cell(work, k, pos) for k in key_columns}),
                "expectation": entry["type"],
                "column": ",".join(columns) if columns else None,
                "reason": reason,
                "row_json": _dumps({str(c): _cell(work, c, pos) for c in work.columns}),
            }))
            flagged.add(pos)
    entries.sort(key=lambda e: (e[0], e[1]))  # a row's failures together, in suite order
    quarantined = pd.DataFrame([e[2] for e in entries], columns=list(QUARANTINE_COLUMNS))
    clean = df.iloc[[pos for pos in range(len(df)) if pos not in flagged]].copy()
    quarantined_rows = len({e[0] for e in entries})
    if len(clean) + quarantined_rows != len(df) or quarantined_rows != len(flagged):
        raise AssertionError(f"quarantine accounting broken for suite {suite!r}: {len(clean)} clean + "
                             f"{quarantined_rows} quarantined != {len(df)} rows")
    return clean, quarantined


def _kept_copies(frame: pd.DataFrame, values: dict[int, tuple], broken: set[int]) -> set[int]:
    """Of each group of rows sharing a key, the one to keep when all of them are copies of each other:
    the first that breaks no other rule. Groups whose rows differ keep nothing."""
    groups: dict[str, list[int]] = {}
    for pos, key in values.items():
        groups.setdefault(json.dumps(key, default=str), []).append(pos)
    kept = set()
    for members in groups.values():
        rows = {_dumps({str(c): _cell(frame, c, pos) for c in frame.columns}) for pos in members}
        candidates = [pos for pos in sorted(members) if pos not in broken]
        if len(rows) == 1 and candidates:
            kept.add(candidates[0])
    return kept


def _copy_of_kept(values: dict[int, tuple], pos: int, kept: set[int]) -> bool:
    return any(values[k] == values[pos] for k in kept)


class _Run(NamedTuple):
    work: pd.DataFrame  # the validated frame (fresh RangeIndex)
    ordered: list[tuple[int, Any]]  # (position in the suite JSON, GX ExpectationValidationResult)
    result: Any  # GX ExpectationSuiteValidationResult
    params: dict[str, Any]


def _run(df: pd.DataFrame, suite: str, parameters: dict[str, Any] | None,
         result_format: dict[str, Any]) -> _Run:
    """Shared front half of validate/quarantine: check inputs, run GX, order results as in the JSON.

    The frame gets a fresh RangeIndex so GX's ``unexpected_index_list`` holds row positions, which
    stay unambiguous even when the caller's index (or the key columns) have duplicates.
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(df).__name__}")
    spec = _spec(suite)
    params = dict(parameters or {})
    missing = [p for p in suite_parameters(suite) if p not in params]
    if missing:
        raise SuiteError(f"suite {suite!r} needs parameter(s) {', '.join(missing)}; pass "
                         f"parameters={{{', '.join(repr(p) + ': ...' for p in missing)}}}")
    work = df.reset_index(drop=True)
    gx_suite = _registered(suite, copy.deepcopy(spec))
    position = {e.id: i for i, e in enumerate(gx_suite.expectations)}
    result = _context.run_suite(work, gx_suite, parameters=params, result_format=result_format)
    ordered = sorted(((position[r.expectation_config.id], r) for r in result.results), key=lambda t: t[0])
    return _Run(work, ordered, result, params)


def _unexpected_positions(r: Any, n_rows: int) -> list[int]:
    """Row positions GX flagged for one result; empty for table-level or unevaluable expectations."""
    raw = (r.result or {}).get("unexpected_index_list")
    if not raw:
        return []
    positions = []
    for item in raw:
        if isinstance(item, dict) or not 0 <= int(item) < n_rows:
            # Never guess: an unknown result shape would make the accounting meaningless.
            raise AssertionError(f"unexpected GX index entry {item!r} for {r.expectation_config.type}")
        positions.append(int(item))
    return sorted(set(positions))


def _failure(r: Any, entry: dict[str, Any], params: dict[str, Any], frame_columns: pd.Index) -> ExpectationFailure:
    kwargs = _resolved_kwargs(r, entry, params)
    columns = _columns_of(kwargs)
    res = r.result or {}
    count = res.get("unexpected_count")
    return ExpectationFailure(
        type=entry["type"], column=",".join(columns) if columns else None, kwargs=kwargs,
        unexpected_count=None if count is None else int(count),
        partial_unexpected_list=_json_safe(list(res.get("partial_unexpected_list") or [])),
        observed_value=_json_safe(res.get("observed_value")),
        error=_error_of(r, columns, frame_columns),
        why=(entry.get("meta") or {}).get("why"))


def _resolved_kwargs(r: Any, entry: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """Kwargs as evaluated, JSON-safe. Parameter values come from the caller's dict rather than GX's
    echo because GX turns numbers into floats (30000 -> 30000.0)."""
    out = {k: v for k, v in dict(r.expectation_config.kwargs).items() if k != "batch_id"}
    for key, value in (entry.get("kwargs") or {}).items():
        ref = _param_ref(value)
        if ref is not None and ref in params:
            out[key] = params[ref]
    return _json_safe(out)


def _columns_of(kwargs: dict[str, Any]) -> list[str]:
    if isinstance(kwargs.get("column"), str):
        return [kwargs["column"]]
    if isinstance(kwargs.get("column_A"), str) and isinstance(kwargs.get("column_B"), str):
        return [kwargs["column_A"], kwargs["column_B"]]
    if isinstance(kwargs.get("column_list"), list):
        return [str(c) for c in kwargs["column_list"]]
    return []


def _error_of(r: Any, columns: list[str], frame_columns: pd.Index) -> str | None:
    """Why an expectation could not be evaluated, in words (GX nests this per metric)."""
    absent = [c for c in columns if c not in frame_columns]
    if absent:
        return f"column {', '.join(repr(c) for c in absent)} {'is' if len(absent) == 1 else 'are'} missing from the frame"
    info = r.exception_info or {}
    candidates = [info] if "raised_exception" in info else [v for v in info.values() if isinstance(v, dict)]
    for item in candidates:
        if item.get("raised_exception") and item.get("exception_message"):
            return str(item["exception_message"])
    return None


# ----------------------------------------------------------------------------------------- reasons

def _reason(etype: str, columns: list[str], values: tuple[Any, ...], kwargs: dict[str, Any],
            raw: dict[str, Any], count: int) -> str:
    """A sentence an analyst can act on, e.g. ``population 12000 below min_population 30000``."""
    col = "/".join(columns) or "row"
    shown = _fmt(values[0]) if len(values) == 1 else "(" + ", ".join(_fmt(v) for v in values) + ")"
    if etype == "expect_column_values_to_not_be_null":
        return f"{col} is null"
    if etype in _UNIQUENESS:
        return f"{col} {shown} is not unique ({count} rows share it)"
    if etype == "expect_column_values_to_match_regex":
        return f"{col} {shown} does not match {kwargs.get('regex')}"
    if etype == "expect_column_values_to_not_match_regex":
        return f"{col} {shown} matches forbidden pattern {kwargs.get('regex')}"
    if etype == "expect_column_values_to_be_in_set":
        return f"{col} {shown} not in {_set_label(kwargs.get('value_set'), raw.get('value_set'))}"
    if etype == "expect_column_values_to_not_be_in_set":
        return f"{col} {shown} is in the forbidden set"
    if etype == "expect_column_pair_values_to_be_in_set":
        return f"{col} {shown} is not an allowed combination"
    if etype == "expect_column_values_to_be_between" and len(values) == 1:
        return _between_reason(col, values[0], kwargs, raw)
    return f"{col} {shown} fails {etype}"


def _between_reason(col: str, value: Any, kwargs: dict[str, Any], raw: dict[str, Any]) -> str:
    lo, hi = kwargs.get("min_value"), kwargs.get("max_value")
    lo_name = _param_ref(raw.get("min_value")) or "minimum"
    hi_name = _param_ref(raw.get("max_value")) or "maximum"
    try:
        if lo is not None and (value < lo or (kwargs.get("strict_min") and value == lo)):
            return f"{col} {_fmt(value)} {'below' if value < lo else 'not above'} {lo_name} {_fmt(lo)}"
        if hi is not None and (value > hi or (kwargs.get("strict_max") and value == hi)):
            return f"{col} {_fmt(value)} {'above' if value > hi else 'not below'} {hi_name} {_fmt(hi)}"
    except TypeError:  # e.g. a string in a numeric column: fall through to the generic wording
        pass
    return f"{col} {_fmt(value)} outside [{_fmt(lo)}, {_fmt(hi)}]"


def _set_label(value_set: Any, raw: Any) -> str:
    ref = _param_ref(raw)
    if ref:
        return ref
    if isinstance(value_set, list) and len(value_set) <= 8:
        return "{" + ", ".join(_fmt(v) for v in value_set) + "}"
    return f"the {len(value_set)} allowed values" if isinstance(value_set, list) else "the allowed set"


def _fmt(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# ------------------------------------------------------------------------------------------- JSON

def _cell(frame: pd.DataFrame, column: Any, pos: int) -> Any:
    # Column-wise access: a row Series would upcast ints to floats in all-numeric frames.
    return _json_safe(frame[column].iat[pos]) if column in frame.columns else None


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, default=str)


def _json_safe(value: Any) -> Any:
    """Plain JSON types for numpy/pandas scalars and containers; NaN/NA/NaT become None."""
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        f = float(value)
        return f if math.isfinite(f) else None
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return [_json_safe(v) for v in sorted(value, key=str)]
    if isinstance(value, list | tuple | np.ndarray | pd.Series | pd.Index):
        return [_json_safe(v) for v in value]
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else pd.Timestamp(value).isoformat()
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value) if value.is_finite() else None
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)
