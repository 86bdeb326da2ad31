"""Failed and canceled runs are recorded in the warehouse (ops.run_failures), so history shows gaps honestly.

Each row says which step failed and why in the step's own words (pipelines/failures.py), the month the run
was for and its mode, as `cdpi run` records its own failures: Dagster's run-level event carries only a
generic sentence and no step. A run stopped from the UI (terminate) ends CANCELED, not FAILURE, so a sensor
of its own records it, with status ``canceled``. Both write through the warehouse's publish path (a copy
with the row added, renamed over the file), so readers never see a half-written file.
"""

from __future__ import annotations

import dagster as dg

from pipelines.failures import (
    CAUSE_EVENTS,
    STEP_EVENTS,
    describe_failure,
    home_of,
    mode_of,
    snapshot_of,
    steps_under_way,
)
from pipelines.resources import RunSettings, WarehouseResource
from warehouse.publish import WarehouseError, record_run_failure


def _events(context: dg.RunStatusSensorContext, types: set[dg.DagsterEventType]) -> list[dg.DagsterEvent]:
    records = context.instance.all_logs(context.dagster_run.run_id, of_type=types)
    return [r.dagster_event for r in records if r.dagster_event is not None]


def failure_of_run(context: dg.RunStatusSensorContext) -> tuple[str | None, str]:
    """(step, error) of the failed run: its step failures and failed blocking checks from the event log,
    then the run failure's own error (a run refused before its first step has no step failure)."""
    return describe_failure([*_events(context, CAUSE_EVENTS), context.dagster_event])


def cancellation_of_run(context: dg.RunStatusSensorContext) -> tuple[str | None, str]:
    """(steps under way, what happened) of a canceled run."""
    steps = steps_under_way(_events(context, STEP_EVENTS))
    said = (context.dagster_event.message or "").strip() if context.dagster_event else ""
    error = ("canceled before it finished (stopped from the Dagster UI or by a terminate request)"
             + (f" during {', '.join(steps)}" if steps else "") + (f"; Dagster: {said}" if said else ""))
    return (", ".join(steps) or None), error


def _record(context: dg.RunStatusSensorContext, warehouse: WarehouseResource, settings: RunSettings,
            status: str, step: str | None, error: str) -> None:
    """One ops.run_failures row for the run, once (a tick that runs again after writing it adds no
    second row); a warehouse that cannot be written is logged, not raised: the sensor must keep ticking."""
    run = context.dagster_run
    try:
        record_run_failure(home_of(run, warehouse).paths(), run.run_id, run.job_name, step, error, once=True, status=status,
                           snapshot=snapshot_of(run.tags), mode=mode_of(run, settings.mode))
    except WarehouseError as exc:
        context.log.error(f"could not record run {status}: {exc}")


@dg.run_failure_sensor(name="record_failed_runs", default_status=dg.DefaultSensorStatus.RUNNING,
                       description="Writes each failed run into ops.run_failures of the published warehouse: "
                                   "the failed step, its own error, the month and the mode.")
def record_failed_runs(context: dg.RunFailureSensorContext, warehouse: WarehouseResource,
                       settings: RunSettings) -> None:
    """Into the warehouse the job's own resource names (a deployment's configured home, not a default)."""
    step, error = failure_of_run(context)
    _record(context, warehouse, settings, "failed", step, error)


@dg.run_status_sensor(run_status=dg.DagsterRunStatus.CANCELED, name="record_canceled_runs",
                      default_status=dg.DefaultSensorStatus.RUNNING,
                      description="Writes each canceled run (stopped from the UI) into ops.run_failures of the "
                                  "published warehouse, with status canceled.")
def record_canceled_runs(context: dg.RunStatusSensorContext, warehouse: WarehouseResource,
                         settings: RunSettings) -> None:
    """Without a row a stopped run would simply be missing from `cdpi runs` and from the warehouse's
    account of its history; the row names the steps it was stopped in."""
    step, error = cancellation_of_run(context)
    _record(context, warehouse, settings, "canceled", step, error)
