"""Running the monthly job for the command line: in one process, or with the website crawl split over
processes; recorded in the home's Dagster instance; a failed run reduced to the step and one line of
cause, and written to ops.run_failures. The CLI parses arguments and prints; everything between a
set of resources and a finished (or failed) run lives here."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb

from pipelines.failures import describe_failure, mode_of, snapshot_of
from pipelines.instance import (
    STEP_PROCESS_ENV,
    launcher_tags,
    mark_failure_recorded,
    run_instance,
    settle_abandoned_runs,
    settle_unrecorded_failures,
)
from pipelines.progress import STEP_PROCESS_LINES, terminal_progress
from pipelines.runlock import Outputs, holding_home
from pipelines.runlog import detach as detach_run_log
from warehouse.paths import WarehousePaths
from warehouse.publish import WarehouseError, record_run_failure


@dataclass(frozen=True)
class RunOutcome:
    run_id: str
    success: bool
    step: str | None = None        # where a failed run stopped
    message: str = ""              # why, in one line
    log: Path | None = None        # the run's full log, when it was written
    interrupted: bool = False      # stopped by the user (Ctrl-C), not by a failure of its own
    unrecorded: str = ""           # why its ops.run_failures row could not be written (the next run writes it)


def run_refresh(resources: dict, partition: str, mode: str, *, workers: int = 1, steps: bool = True,
                progress: bool = True, on_abandoned: Callable[[str], None] = lambda run_id: None,
                on_recorded_late: Callable[[str], None] = lambda run_id: None) -> RunOutcome:
    """The job ``monthly_refresh`` for ``partition`` with ``resources``, recorded in the home's Dagster
    instance (so `cdpi dev` shows it). Runs a previous process left unfinished are marked failed first
    (``on_abandoned`` hears of each), and failed runs whose ops.run_failures row could not be written then
    get it (``on_recorded_late``). ``workers`` > 1 splits the website crawl over that many processes.
    ``steps``: one terminal line per finished step; ``progress``: live progress bars. Raises HomeBusy
    (pipelines/runlock.py) when another run is using the home."""
    paths: WarehousePaths = resources["warehouse"].paths()
    # The home first: a second run of it is refused here, before it starts anything (HomeBusy). A run in
    # one process has its id now; a sharded run's executor fills it in when Dagster assigns it.
    run_id = str(uuid.uuid4()) if workers <= 1 else ""
    try:
        loggers = run_loggers(paths, steps=steps)
        with (holding_home(paths, run_id, outputs=Outputs(partition, reads_earlier=False)), run_instance(paths) as instance,
              terminal_progress(enabled=progress)):
            for abandoned in settle_abandoned_runs(instance, record_failure=lambda run_id: record_run_failure(
                    paths, run_id, "cdpi run", None, "the run's process ended without finishing it (killed or "
                    "restarted)", once=True)):
                on_abandoned(abandoned)
            for late in settle_unrecorded_failures(instance, record_failure=lambda run_id: _record_late(
                    paths, instance, run_id)):
                on_recorded_late(late)
            if workers > 1:
                result = _run_sharded(workers, resources, partition, mode, instance, loggers)
            else:
                result = _run_in_process(resources, partition, mode, instance, loggers, run_id)
            if result.success:
                return RunOutcome(result.run_id, True)
            step, message = failure_of(result)
            stopped = interrupted(result)
            if stopped:   # Dagster turned the Ctrl-C into a failure of the step it stopped: record it as what it was
                message = "interrupted (Ctrl-C)" + (f" during {step}" if step else "")
            unrecorded = _record_failure(paths, instance, result.run_id, step, message,
                                         snapshot=date.fromisoformat(partition), mode=mode)
    finally:
        detach_run_log()
    log = paths.run_log(result.run_id)
    return RunOutcome(result.run_id, False, step, message, log if log.exists() else None, interrupted=stopped,
                      unrecorded=unrecorded)


def _record_failure(paths: WarehousePaths, instance: dg.DagsterInstance, run_id: str, step: str | None,
                    message: str, *, snapshot: date | None, mode: str | None) -> str:
    """Write the failed run's ops.run_failures row; "" when written, else why not. A record is a publish
    (a copy of the warehouse with one more row), so what failed the run (a full disk) can fail it too: the
    run is then left tagged unrecorded, and the next `cdpi run` writes it (settle_unrecorded_failures)."""
    try:
        record_run_failure(paths, run_id, "cdpi run", step, message, snapshot=snapshot, mode=mode)
    except (WarehouseError, OSError, duckdb.Error) as exc:
        return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    mark_failure_recorded(instance, run_id)
    return ""


def _record_late(paths: WarehousePaths, instance: dg.DagsterInstance, run_id: str) -> None:
    """The ops.run_failures row of an earlier failed run whose row could not be written then, from its events
    and tags in the instance."""
    run = instance.get_run_by_id(run_id)
    step, message = describe_failure([e.dagster_event for e in instance.all_logs(run_id) if e.dagster_event is not None])
    record_run_failure(paths, run_id, "cdpi run", step, message, once=True,
                       snapshot=snapshot_of(run.tags) if run else None, mode=mode_of(run) if run else None)


def run_loggers(paths: WarehousePaths, steps: bool = True) -> dict:
    """Logger config of a CLI run: Dagster's console silenced (its DEBUG and WARNING lines would bury the
    progress), everything at DEBUG in runs/<run_id>/run.log (pipelines/runlog.py), and unless ``steps`` is
    off, one terminal line per finished step (pipelines/progress.py)."""
    return {"console": {"config": {"log_level": "CRITICAL"}},
            "run_log": {"config": {"home": str(paths.home), "log_level": "DEBUG"}},
            **({"steps": {}} if steps else {})}


def _run_in_process(resources: dict, partition: str, mode: str, instance, loggers: dict, run_id: str):
    """The job `monthly_refresh` with this run's resources, every step in this process, recorded in
    ``instance``: the same job the schedule runs, so the UI lists both together."""
    from pipelines.definitions import ALL_ASSETS, build_definitions

    job = build_definitions(ALL_ASSETS, "in_process", resources).resolve_job_def("monthly_refresh")
    return job.execute_in_process(
        run_config={"loggers": loggers}, instance=instance, run_id=run_id,
        partition_key=partition, raise_on_error=False, tags={"cdpi/mode": mode, **launcher_tags()})


def _run_sharded(workers: int, resources: dict, partition: str, mode: str, instance, loggers: dict):
    """The same run with the website crawl split into ``workers`` steps run side by side by Dagster's
    multiprocess executor (each process rebuilds the definitions from the environment set here, and
    takes this run's resource settings from the run config). Politeness holds across the processes
    (shared host gates); the warehouse is still written by the single publish step. ``instance`` must be
    persistent (the step processes record into it)."""
    from pipelines.definitions import sharded_refresh_job

    step_environment = {
        "CDPI_CRAWL_SHARDS": str(workers), "CDPI_EXECUTOR": "multiprocess",
        STEP_PROCESS_ENV: "1",   # their Dagster helpers ignore Ctrl-C, as this process's do (pipelines/instance.py)
        STEP_PROCESS_LINES: "1" if "steps" in loggers else "0",   # bars cannot cross processes: lines
        "CDPI_HOME": str(resources["warehouse"].paths().home)}   # where the processes keep frames
    config = {key: {"config": resources[key].model_dump()} for key in ("warehouse", "fetcher", "settings", "crawl")}
    # Each shard gets its share of the global request concurrency, so the run's total stays the same.
    config["fetcher"]["config"]["concurrency"] = max(1, resources["fetcher"].concurrency // workers)
    # Likewise the CPUs for reading pages: each shard's process reads too, so the automatic count of
    # reader processes is taken per shard.
    config["crawl"]["config"]["reader_processes"] = resources["crawl"].readers(shares=workers)
    # forkserver with the definitions preloaded: each step's process starts in well under a second
    # instead of importing dagster, pandas and Great Expectations again.
    execution = {"max_concurrent": workers + 1,
                 "start_method": {"forkserver": {"preload_modules": ["pipelines.definitions"]}}}
    run_config = {"resources": config, "execution": {"config": execution},
                  "loggers": loggers}
    with _environment(step_environment):
        return dg.execute_job(dg.reconstructable(sharded_refresh_job), instance=instance, run_config=run_config,
                              tags={"dagster/partition": partition, "cdpi/mode": mode, **launcher_tags()},
                              raise_on_error=False)


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """``values`` in the environment while the step processes start, then the caller's environment back:
    the process that launched the run goes on with its own settings (its home, above all)."""
    before = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


#: What Dagster makes of a Ctrl-C inside a step (``execute_in_process`` with ``raise_on_error=False`` does
#: not raise it: the step fails with it, and the run with the step).
_INTERRUPTS = frozenset({"DagsterExecutionInterruptedError", "KeyboardInterrupt"})


def interrupted(result) -> bool:
    """Whether a failed run was stopped by an interrupt (Ctrl-C) rather than by a failure of its own: a
    step failed with Dagster's interrupted error, or with a KeyboardInterrupt, anywhere in its causes; or
    the run's own failure is that error. The latter alone is a ``--workers`` run stopped while its step
    processes were starting: the multiprocess executor stops them before their step begins, then fails
    the run with the interrupted error (it ended as `failed at an unknown step`, status 1)."""
    for event in result.all_events:
        if event.event_type_value not in ("STEP_FAILURE", "PIPELINE_FAILURE"):
            continue
        error = getattr(event.event_specific_data, "error", None)
        while error is not None:
            if error.cls_name in _INTERRUPTS:
                return True
            error = error.cause or error.context
    return False


def failure_of(result) -> tuple[str | None, str]:
    """Where a run failed and why, in one line (pipelines/failures.py: the sensors record UI runs alike)."""
    return describe_failure(result.all_events)
