"""The process-wide Great Expectations context, built lazily and kept in memory.

Why a private module: importing GX costs ~2.5 s, so nothing here touches ``great_expectations`` until
the first validation asks for it; modules that merely import ``expectations.runner`` (Dagster code
locations, the CLI) stay fast. The context is *ephemeral*: suites come from the repository's JSON
files, nothing is written to disk (no ``gx/`` folder, no Data Docs, no stored results) and nothing
goes over the network.

GX gives no thread-safety guarantee for a shared context, so building it, registering suites and
running validations all happen under one lock. A validation of a city-sized frame takes
milliseconds, so serialising them costs nothing that matters.
"""

from __future__ import annotations

import copy
import importlib
import importlib.util
import os
import sys
import threading
import types
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

_LOCK = threading.RLock()
_DEFER_LOCK = threading.RLock()   # re-entrant: the real import may read the stand-in again
_STATE: _GxState | None = None

#: COMPLETE returns the index of every unexpected row (no 20-row cap), which quarantine needs;
#: the pandas "query" string GX would add is useless here and can be huge, so it is turned off.
COMPLETE: dict[str, Any] = {"result_format": "COMPLETE", "return_unexpected_index_query": False}
#: SUMMARY keeps counts and up to 20 example values: enough for a report, cheap on large frames.
SUMMARY: dict[str, Any] = {"result_format": "SUMMARY", "return_unexpected_index_query": False}


@dataclass
class _GxState:
    """The context plus the one pandas batch definition every validation reuses."""

    gx: types.ModuleType
    context: Any
    batch_definition: Any
    suites: dict[str, Any] = field(default_factory=dict)
    specs: dict[str, dict[str, Any]] = field(default_factory=dict)   # what each suite was built from


class _DeferredModule(types.ModuleType):
    """Stands in for a module until one of its attributes is read; then the real module is imported (a
    submodule's import also puts it in its parent's namespace, replacing this stand-in there). Not
    ``importlib.util.LazyLoader``: the import system reads a module's ``__spec__`` when the module is
    imported again, and a lazy module loads itself on that read, so GX's import would load it at once."""

    def __getattr__(self, name: str) -> Any:
        # Under a lock: two threads must not both take the stand-in out of sys.modules (the second would
        # remove the real module the first just imported, which would then be imported twice).
        with _DEFER_LOCK:
            if sys.modules.get(self.__name__) is self:
                del sys.modules[self.__name__]
            module = importlib.import_module(self.__name__)
        return getattr(module, name)


#: Modules GX imports at start-up but calls only for expectations cdpi's suites do not use: scipy.stats
#: (KS-test and KL-divergence metrics) and altair (the KL-divergence expectation's charts). Together about
#: 0.8 s and 30 MB of every run.
DEFERRED = ("scipy.stats", "altair")


def _import_gx() -> types.ModuleType:
    """``great_expectations``, imported with the :data:`DEFERRED` modules left for first use."""
    # Set before the import: GX reads it at import/context time. setdefault respects an explicit choice.
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    if "great_expectations" not in sys.modules:
        for name in DEFERRED:
            if name in sys.modules:
                continue
            parent, _, child = name.rpartition(".")
            if not parent:
                # The real spec (finding it imports nothing), so importlib.util.find_spec(name) keeps working;
                # a module that is not installed is left to fail GX's import as it would have.
                spec = importlib.util.find_spec(name)
                if spec is not None:
                    sys.modules[name] = stand_in = _DeferredModule(name)   # `import altair` finds it there
                    stand_in.__spec__ = spec
            elif child not in vars(module := importlib.import_module(parent)):
                setattr(module, child, _DeferredModule(name))  # `from scipy import stats` finds it here
    return importlib.import_module("great_expectations")


def _build() -> _GxState:
    gx = _import_gx()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    # Without this, every validation prints tqdm progress bars into Dagster logs and test output.
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch_definition = (context.data_sources.add_pandas("cdpi_pandas")
                        .add_dataframe_asset("frame")
                        .add_batch_definition_whole_dataframe("whole_frame"))
    return _GxState(gx=gx, context=context, batch_definition=batch_definition)


def _state() -> _GxState:
    global _STATE
    if _STATE is None:
        with _LOCK:
            if _STATE is None:
                _STATE = _build()
    return _STATE


def registered_suite(name: str, spec: dict[str, Any]) -> Any:
    """The GX ExpectationSuite for ``spec``, added to the context once per process.

    Registering once matters beyond speed: GX assigns each expectation an id when the suite is added,
    and those ids are how results are matched back to the JSON entries (GX does not return results in
    suite order).

    A different ``spec`` under a name already registered (the same suite read from another folder, see
    ``CDPI_SUITES_DIR``) replaces it, so results are never matched to the entries of another file.
    """
    with _LOCK:
        state = _state()
        suite = state.suites.get(name)
        if suite is not None and state.specs[name] == spec:
            return suite
        kept = copy.deepcopy(spec)   # as given: building the suite may change the dicts it is handed
        built = _whole_suite(state.gx, spec)   # before the old one goes: a refused spec changes nothing
        if suite is not None:
            state.context.suites.delete(name)
        suite = state.suites[name] = state.context.suites.add(built)
        state.specs[name] = kept
        return suite


def _whole_suite(gx: Any, spec: dict[str, Any]) -> Any:
    """``gx.ExpectationSuite(**spec)``, or ValueError naming the first entry GX cannot build.

    GX logs an entry it cannot build (an unknown type, bad arguments) and leaves it out of the suite. A
    suite one entry short would match results to the wrong JSON entries (they are matched by position),
    so each entry is built on its own first, and GX's own error (expectation not found, a pydantic
    validation error) stops the run with its reason."""
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    for number, entry in enumerate(spec.get("expectations", []), start=1):
        try:
            ExpectationConfiguration(**entry).to_domain_obj()
        except Exception as exc:  # noqa: BLE001 - GX raises its own and pydantic's types for a bad entry
            raise ValueError(f"entry {number} ({entry.get('type')}): {exc}") from exc
    suite = gx.ExpectationSuite(**spec)
    if len(suite.expectations) != len(spec.get("expectations", [])):   # should the check above miss one
        raise ValueError("an expectation could not be built")
    return suite


def run_suite(df: pd.DataFrame, suite: Any, *, parameters: dict[str, Any],
              result_format: dict[str, Any]) -> Any:
    """Validate ``df`` against a registered suite and return GX's ExpectationSuiteValidationResult.

    ``expectation_parameters`` is the GX 1.x name (``Batch.validate`` / ``ValidationDefinition.run``)
    for the values that replace ``{"$PARAMETER": name}`` placeholders in expectation kwargs.
    """
    with _LOCK:
        batch = _state().batch_definition.get_batch(batch_parameters={"dataframe": df})
        return batch.validate(suite, result_format=result_format, expectation_parameters=parameters)
