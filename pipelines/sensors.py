"""Failed runs are recorded in the warehouse (ops.run_failures), so history shows gaps honestly."""

from __future__ import annotations

import dagster as dg

from pipelines.resources import WarehouseResource
from warehouse.publish import WarehouseError, record_run_failure


def failure_step(event: dg.DagsterEvent | None) -> str | None:
    return event.step_key if event is not None else None


@dg.run_failure_sensor(name="record_failed_runs", default_status=dg.DefaultSensorStatus.RUNNING,
                       description="Writes each failed run into ops.run_failures of the published warehouse.")
def record_failed_runs(context: dg.RunFailureSensorContext, warehouse: WarehouseResource) -> None:
    """Into the warehouse the job's own resource names (a deployment's configured home, not a default)."""
    event = context.failure_event
    try:
        record_run_failure(warehouse.paths(), context.dagster_run.run_id, context.dagster_run.job_name,
                           failure_step(event), event.message or "run failed")
    except WarehouseError as exc:
        context.log.error(f"could not record run failure: {exc}")
