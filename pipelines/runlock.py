"""One run at a time per home: a run holds its home from its first step to its last.

Why: the steps of a run hand their outputs to each other through files in the home (``dagster_storage/``,
one file per asset and month, not per run). Two runs of one home at once would read each other's outputs: a
``--limit 5`` run once published six cities, the sixth taken half from a ``--limit 6`` run beside it. The
writer lock of warehouse/publish.py only covers the publish, too late to prevent that.

How: an exclusive ``flock`` on ``<home>/.run.lock``. The kernel releases it when the holding process ends,
however it ends, so a killed run never leaves a lock to clear by hand. Beside it, ``.run.lock.json`` names
the holder (run id, start, process), so a refused run can say which run is in the way.

Who takes it:

* `cdpi run` (pipelines/orchestration.py), before anything of the run starts;
* every run Dagster starts (the UI, the schedule, a backfill, `cdpi run --workers`): the job's executor
  takes it in the process that drives the run, for the whole run, whatever the executor (``guarded``
  below). The steps of a multiprocess run need nothing more: their driving process holds the home.

Not covered: ``dagster.materialize`` and ``execute_in_process`` called from a script of one's own, which
replace the job's executor with their own. `cdpi run` uses ``execute_in_process`` too, and so takes the
lock itself.

The step outputs also outlive a run, and Dagster's re-execution from failure reads the ones it does not
recompute from there. So the home remembers, per month, which run family (a run and its re-executions)
wrote them last, and a re-execution that reads earlier outputs is refused once another run of that month
has written over them. Outputs are kept per asset and month, so a run of another month takes nothing from
a re-execution; and a re-execution of every step ("re-execute all") reads no earlier output, so it always
goes on.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import dagster as dg

from warehouse.paths import WarehousePaths


class HomeBusy(RuntimeError):
    """Another run is using the home; the message says which, and what to do."""


class StaleOutputs(RuntimeError):
    """A re-execution whose parent's step outputs have since been replaced by another run's."""


@dataclass
class _Hold:
    """This process's hold on one home: the open locked file, and the run it is for."""

    handle: IO[str]
    run_id: str


#: Homes this process holds, by resolved path. A run's own nested taker (the executor of the run a
#: `cdpi run --workers` took the home for, in the same process) shares the one hold: flock would refuse a
#: second open of the file even in the same process.
_HELD: dict[Path, _Hold] = {}


@dataclass(frozen=True)
class Outputs:
    """Which step outputs a run writes and reads: its month (partition key; empty when unknown) and whether
    it loads outputs it does not produce itself (a re-execution from failure or of selected steps)."""

    partition: str = ""
    reads_earlier: bool = True


@contextlib.contextmanager
def holding_home(paths: WarehousePaths, run_id: str = "", root_run_id: str | None = None,
                 outputs: Outputs = Outputs()) -> Iterator[None]:
    """Hold ``paths.home`` for run ``run_id`` until the block ends (``run_id`` may be empty when the run has
    no id yet; a nested taker of the same process fills it in). ``root_run_id``: the run a re-execution
    descends from. Raises HomeBusy when another run holds the home, StaleOutputs when a re-execution would
    read another run's step outputs."""
    key = paths.home.resolve()
    hold = _HELD.get(key)
    if hold is not None:
        yield from _nested(paths, hold, run_id, root_run_id, outputs)
        return
    handle = _try_lock(paths)
    if handle is None:
        raise HomeBusy(busy_message(paths, holder_of(paths)))
    _HELD[key] = _Hold(handle, run_id)
    try:
        _write_holder(paths, run_id)
        if run_id:
            _claim_outputs(paths, run_id, root_run_id, outputs)
        yield
    finally:
        _release(paths, key)


def _nested(paths: WarehousePaths, hold: _Hold, run_id: str, root_run_id: str | None,
            outputs: Outputs) -> Iterator[None]:
    """A second taker in the process that holds the home: the same run (or the run that had no id yet) goes
    on under the one hold; another run of this process is refused like any other."""
    if run_id and hold.run_id and run_id != hold.run_id:
        raise HomeBusy(busy_message(paths, holder_of(paths)))
    if run_id and not hold.run_id:
        hold.run_id = run_id
        _write_holder(paths, run_id)
        _claim_outputs(paths, run_id, root_run_id, outputs)
    yield   # the outermost block releases the home


def _try_lock(paths: WarehousePaths) -> IO[str] | None:
    """The lock file, opened and locked; None when another process holds it."""
    paths.home.mkdir(parents=True, exist_ok=True)
    handle = open(paths.run_lock, "a+")  # noqa: SIM115 - kept open for as long as the run holds the home
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


def _release(paths: WarehousePaths, key: Path) -> None:
    """The holder record goes first, then the lock: a record left without a lock is a killed run's, never
    one that finished."""
    hold = _HELD.pop(key)
    with contextlib.suppress(FileNotFoundError):
        paths.run_holder.unlink()
    fcntl.flock(hold.handle, fcntl.LOCK_UN)
    hold.handle.close()


def _write_holder(paths: WarehousePaths, run_id: str) -> None:
    """Name the holder beside the lock, written whole then renamed, so a reader never sees half a record."""
    record = {"run_id": run_id, "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
              "pid": os.getpid(), "host": socket.gethostname()}
    tmp = paths.run_holder.with_name(f"{paths.run_holder.name}.{os.getpid()}")
    tmp.write_text(json.dumps(record), encoding="utf-8")
    os.replace(tmp, paths.run_holder)


def holder_of(paths: WarehousePaths) -> dict:
    """What the holder wrote about itself; empty when nothing (yet) is readable."""
    try:
        record = json.loads(paths.run_holder.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


def busy_message(paths: WarehousePaths, holder: dict) -> str:
    who = ", ".join(part for part in (
        f"id {holder.get('run_id') or 'not assigned yet'}",
        f"started {holder['started']}" if holder.get("started") else "",
        f"process {holder['pid']} on {holder.get('host', '?')}" if holder.get("pid") else "") if part)
    return (f"another run ({who}) is using this home ({paths.home}); wait for it to finish or use another "
            "--home")


def _claim_outputs(paths: WarehousePaths, run_id: str, root_run_id: str | None, outputs: Outputs) -> None:
    """Record that the month's step outputs in the home now belong to this run's family; a re-execution
    (``root_run_id`` set) that reads earlier outputs may only go on from outputs its own family wrote."""
    family = root_run_id or run_id
    marker = _owner_file(paths, outputs.partition)
    if root_run_id and outputs.reads_earlier:
        written_by = ""
        for candidate in (marker, paths.dagster_storage / ".run"):   # .run: the one marker of older homes
            with contextlib.suppress(OSError):
                written_by = candidate.read_text(encoding="utf-8").strip()
                break
        if written_by and written_by != root_run_id:
            month = f" for {outputs.partition[:7]}" if outputs.partition else ""
            raise StaleOutputs(
                f"the step outputs{month} in this home ({paths.home}) are now run {written_by}'s, not those of "
                f"run {root_run_id} this re-execution continues; re-execute all steps or start a new run instead")
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(family + "\n", encoding="utf-8")


def _owner_file(paths: WarehousePaths, partition: str) -> Path:
    """Where the family that last wrote a month's outputs is named (``.owners/<partition>``)."""
    if not partition:
        return paths.dagster_storage / ".owners" / "unpartitioned"
    if not partition.replace("-", "").isalnum():
        raise ValueError(f"unexpected partition key {partition!r}")
    return paths.dagster_storage / ".owners" / partition


# ------------------------------------------------------------------------------------------ Dagster runs
class _GuardedExecutor(dg.Executor):
    """Dagster's own executor, run while holding the run's home: the executor drives the whole run in one
    process (the run worker of a UI, schedule or backfill run; `cdpi run --workers`), from before the first
    step to after the last."""

    def __init__(self, inner: dg.Executor):
        self._inner = inner

    @property
    def retries(self):  # Dagster's RetryMode (its import path is private)
        return self._inner.retries

    def execute(self, plan_context, execution_plan):  # Dagster's own context and plan types
        run = plan_context.dagster_run
        outputs = Outputs(run.tags.get("dagster/partition", ""), _reads_earlier_outputs(execution_plan))
        with holding_home(_run_home(plan_context), run.run_id, run.root_run_id, outputs):
            yield from self._inner.execute(plan_context, execution_plan)


#: Step input sources that read nothing from the home's step outputs.
_NO_STORAGE = frozenset({"FromConfig", "FromDefaultValue", "FromDirectInputValue"})


def _reads_earlier_outputs(execution_plan) -> bool:  # Dagster's ExecutionPlan
    """Whether a step of the plan loads an input that no step of this run produces (from the home's step
    outputs, written by an earlier run): true for a re-execution from failure or of selected steps, false
    when every step runs. Read through Dagster's plan objects; anything unexpected counts as reading."""
    try:
        running = set(execution_plan.step_keys_to_execute)
        for step in execution_plan.get_steps_to_execute_in_topo_order():
            for step_input in step.step_inputs:
                for source in getattr(step_input.source, "sources", None) or [step_input.source]:
                    kind = type(source).__name__
                    if kind in _NO_STORAGE:
                        continue
                    if kind == "FromStepOutput" and source.step_output_handle.step_key in running:
                        continue
                    return True
    except (AttributeError, TypeError):
        return True
    return False


def _run_home(plan_context) -> WarehousePaths:  # Dagster's PlanOrchestrationContext
    """The home the run's warehouse resource points at: its run config over the definitions' defaults."""
    from dagster._core.system_config.objects import ResolvedRunConfig

    from pipelines.resources import WarehouseResource

    resolved = ResolvedRunConfig.build(plan_context.job.get_definition(), plan_context.run_config)
    config = resolved.resources["warehouse"].config or {}
    return WarehouseResource(home=str(config.get("home") or "")).paths()


def guarded(inner: dg.ExecutorDefinition) -> dg.ExecutorDefinition:
    """``inner`` (same name, settings and requirements) holding the run's home for the whole run."""
    create = inner.executor_creation_fn
    assert create is not None, f"executor {inner.name} cannot be created"
    return dg.ExecutorDefinition(
        name=inner.name, config_schema=inner.config_schema.as_field(), requirements=inner.get_requirements,
        description=inner.description, executor_creation_fn=lambda context: _GuardedExecutor(create(context)))
