"""Why a run failed or stopped, in one line, from its Dagster events: the same words whoever records it
(`cdpi run` from its result, the sensors from the instance's event log), so ops.run_failures and
`cdpi runs` read alike for runs from the command line and from the UI.

Dagster's run-level event says only ``Execution of run ... failed. Steps failed: [...]`` or ``An exception
was thrown during execution.``; the cause a researcher needs (a Census host that did not resolve, the run
holding the home) is in each step's own failure event, or in the run failure's error info when the run
failed before any step.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import dagster as dg

from assets.runlabels import decide_mode
from pipelines.resources import WarehouseResource

#: The events a failure's cause is read from (besides the run's own failure event).
CAUSE_EVENTS = {dg.DagsterEventType.STEP_FAILURE, dg.DagsterEventType.ASSET_CHECK_EVALUATION}
#: The events that tell which steps a stopped run had under way.
STEP_EVENTS = {dg.DagsterEventType.STEP_START, dg.DagsterEventType.STEP_SUCCESS,
               dg.DagsterEventType.STEP_FAILURE, dg.DagsterEventType.STEP_SKIPPED}
PARTITION_TAG, MODE_TAG = "dagster/partition", "cdpi/mode"


def describe_failure(events: Iterable[dg.DagsterEvent]) -> tuple[str | None, str]:
    """(step, error) of a failed run from its events. A blocking check that stopped the publish is named
    with the expectations it failed and a few failing rows, not Dagster's "1 blocking asset check failed";
    failed steps with each one's own error (several: ``a, b`` and ``a: ...; b: ...``); a run that failed
    before any step (the home held by another run, a stale re-execution, an executor error) with the run
    failure's own error."""
    events = list(events)
    # Each event type carries its own data class: read as Any (Dagster types it as a union of all of them).
    checks: list[tuple[dg.DagsterEvent, Any]] = [
        (e, e.event_specific_data) for e in events
        if e.event_type_value == "ASSET_CHECK_EVALUATION" and not getattr(e.event_specific_data, "passed", True)]
    if checks:
        event, data = checks[0]
        failed = data.metadata.get("failed_expectations")
        reasons = "; ".join(failed.data) if failed is not None else "see the check's metadata"
        return event.step_key, (f"blocking check {data.check_name} on {data.asset_key.to_user_string()} "
                                f"failed, nothing was published: {reasons}")
    steps: dict[str, str] = {}
    for event in events:
        if event.event_type_value == "STEP_FAILURE" and event.step_key and event.step_key not in steps:
            steps[event.step_key] = _step_error(event.event_specific_data)
    if len(steps) == 1:
        return next(iter(steps.items()))
    if steps:
        return ", ".join(steps), "; ".join(f"{step}: {error}" for step, error in steps.items())
    for event in events:
        if event.event_type_value == "PIPELINE_FAILURE":
            error = getattr(event.event_specific_data, "error", None)
            if error is not None:
                return None, _first_line(_without_class(error.message, error.cls_name)) or "run failed"
    return None, "run failed"


def _step_error(data: Any) -> str:  # Dagster's StepFailureData
    """One line of a step's failure: an asset's own words for a ``Failure`` (Dagster's class path dropped),
    otherwise the error with its innermost cause (where a dns_error or a refused connection shows)."""
    error = data.error if data is not None else None
    if error is None:
        return "step failed"
    told = _warehouse_error(error)
    if told:   # written for users (warehouse/publish.py): Dagster's wrapper and class paths add nothing
        return told
    if "ChildProcessCrash" in error.cls_name:   # its message is its class path; the exit code is elsewhere
        return "the step's process ended without finishing (killed, or out of memory; the run log says more)"
    if "Failure" in error.cls_name:
        description = data.user_failure_data.description if data.user_failure_data else None
        return _first_line(description or error.message.split("Failure: ", 1)[-1]) or "step failed"
    message = _first_line(_without_class(error.message, error.cls_name)) or "step failed"
    cause = error.cause
    while cause is not None and cause.cause is not None:
        cause = cause.cause
    return f"{message} ({_first_line(cause.message)})" if cause is not None else message


def _warehouse_error(error: Any) -> str:
    """The first line of the WarehouseError in ``error``'s chain of causes (a Dagster error info), "" if none."""
    while error is not None:
        if error.cls_name == "WarehouseError":
            return _first_line(error.message.split("WarehouseError: ", 1)[-1])
        error = error.cause
    return ""


def _without_class(message: str, cls_name: str) -> str:
    """``pipelines.runlock.HomeBusy: another run ...`` as ``another run ...``: the class path says nothing
    a researcher can act on."""
    head, sep, rest = message.partition(": ")
    return rest if sep and (head == cls_name or head.endswith("." + cls_name)) else message


def _first_line(message: str) -> str:
    lines = message.strip().splitlines()
    return lines[0] if lines else ""


def steps_under_way(events: Iterable[dg.DagsterEvent]) -> list[str]:
    """The steps a stopped run had started and not finished, in the order they started."""
    started: dict[str, None] = {}
    finished = set()
    for event in events:
        if event.step_key is None:
            continue
        if event.event_type_value == "STEP_START":
            started[event.step_key] = None
        elif event.event_type_value in ("STEP_SUCCESS", "STEP_SKIPPED"):
            finished.add(event.step_key)
    return [step for step in started if step not in finished]


def snapshot_of(tags: Mapping[str, str]) -> date | None:
    """The month a run described, from its partition tag (``2026-09-01``); None when it had none."""
    try:
        return date.fromisoformat(tags[PARTITION_TAG])
    except (KeyError, ValueError):
        return None


def _resources(run: dg.DagsterRun) -> dict | None:
    """The run config's resources section; None when the run has none (`cdpi run` binds its resources)."""
    config = run.run_config if isinstance(run.run_config, dict) else {}
    resources = config.get("resources")
    return resources if isinstance(resources, dict) else None


def _config_of(resources: dict, key: str) -> dict:
    section = resources.get(key) or {}
    config = section.get("config") if isinstance(section, dict) else None
    return config if isinstance(config, dict) else {}


def mode_of(run: dg.DagsterRun, default: str | None = None) -> str | None:
    """live, replay or sample, decided from the run config as assets/runlabels.py decides the published
    label: with replay archives, sample when the settings ask for it, else replay; without, live, whatever
    the settings say. A run with no resources in its config (`cdpi run` binds them) is read from the tag
    `cdpi run` puts on it, else ``default`` (the definitions' settings)."""
    resources = _resources(run)
    if resources is None or not (_config_of(resources, "fetcher") or _config_of(resources, "settings")):
        return str(run.tags.get(MODE_TAG) or default or "") or None
    return decide_mode(_config_of(resources, "settings").get("mode"), _config_of(resources, "fetcher").get("replay"))


def home_of(run: dg.DagsterRun, fallback: WarehouseResource) -> WarehouseResource:
    """The warehouse resource of the run's own home: the one its run config names (where the run held its
    lock and published), else ``fallback`` (the sensor's own). A Launchpad run may name another home than
    the one `cdpi dev` serves; its failure row belongs with its runs."""
    resources = _resources(run)
    home = _config_of(resources, "warehouse").get("home") if resources is not None else None
    if isinstance(home, str) and home.strip():
        return WarehouseResource(home=home)
    return fallback
