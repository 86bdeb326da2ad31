"""One run at a time per home (pipelines/runlock.py).

The two end-to-end tests import nothing of the lock itself: on code without it they run, and fail on what
they see. Two runs of one home used to share the files their steps hand to each other: a `--limit 5` run started
beside a `--limit 6` run published six cities, the sixth half the other run's. Now the second run is refused
with a line naming the first, from the command line and from Dagster alike; the lock goes with its process,
however that ends; and a re-execution is refused once another run has replaced the outputs it would read.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.definitions import sharded_refresh_job
from pipelines.resources import sample_archive
from warehouse.paths import WarehousePaths

REPO = Path(__file__).resolve().parents[1]
ENV = {**{k: v for k, v in os.environ.items() if not k.startswith("CDPI_")}, "PYTHONPATH": str(REPO),
       "GX_ANALYTICS_ENABLED": "false"}
MONTH = "2026-09"

#: Holds a home from another process until killed, as a run's process would. On code without the lock it
#: holds nothing, so that the Dagster test shows what such code does (the run goes ahead) rather than an
#: import error.
HOLDER = """
import contextlib, pathlib, sys, time
from warehouse.paths import WarehousePaths
try:
    from pipelines.runlock import holding_home
except ImportError:
    holding_home = lambda paths, run_id: contextlib.nullcontext()
with holding_home(WarehousePaths(pathlib.Path(sys.argv[1])), sys.argv[2]):
    print("held", flush=True)
    time.sleep(600)
"""


def _cdpi_run(home: Path, limit: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "run", "--sample", "--limit", str(limit), "--home", str(home),
         "--quiet", "--month", MONTH], cwd=REPO, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_until(condition, what: str, timeout: float = 120.0) -> None:  # noqa: ANN001 - any callable
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _published_cities(home: Path) -> dict[str, list[str]]:
    """Each published run's cities (geoids), by run id."""
    con = duckdb.connect(str(WarehousePaths(home).published), read_only=True)
    try:
        rows = con.execute("SELECT run_id, geoid FROM marts.cities ORDER BY run_id, geoid").fetchall()
    finally:
        con.close()
    cities: dict[str, list[str]] = {}
    for run_id, geoid in rows:
        cities.setdefault(run_id, []).append(geoid)
    return cities


def _hold_elsewhere(home: Path, run_id: str) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(home), run_id], cwd=REPO, env=ENV,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


@pytest.mark.slow
def test_a_second_cdpi_run_of_a_home_is_refused_and_the_first_publishes_only_its_own_cities(tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = _cdpi_run(home, 5)
    try:
        # The first run is under way once its first step has made the run's folder.
        _wait_until(lambda: (home / "runs").is_dir() and any((home / "runs").iterdir()), "the first run's folder")
        second = subprocess.run(
            [sys.executable, "-m", "pipelines.cli", "run", "--sample", "--limit", "6", "--home", str(home), "--quiet",
             "--month", MONTH], cwd=REPO, env=ENV, capture_output=True, text=True, timeout=300)
        out, err = first.communicate(timeout=300)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 0, err[-3000:]
    first_id = out.split()[1]   # "Run <id> published ..."
    assert second.returncode != 0, "the second run must not run beside the first"
    assert (f"cdpi: error: another run (id {first_id}, started " in second.stderr
            and "is using this home" in second.stderr and "wait for it to finish or use another --home"
            in second.stderr), second.stderr
    published = _published_cities(home)
    assert list(published) == [first_id] and len(published[first_id]) == 5

    # Once the first run is done, the home is free again.
    assert not WarehousePaths(home).run_holder.exists(), "a finished run leaves no holder behind"
    from pipelines.runlock import holding_home

    with holding_home(WarehousePaths(home), "next-run"):
        pass


@pytest.mark.slow
def test_a_run_dagster_starts_is_refused_while_another_run_holds_the_home(tmp_path: Path) -> None:
    """The UI, the schedule and backfills start the job through its executor, in a process of their own."""
    home = tmp_path / "home"
    holder = _hold_elsewhere(home, "11111111-2222-3333-4444-555555555555")
    try:
        run_config = {"resources": {
            "warehouse": {"config": {"home": str(home)}},
            # The built-in sample, so that without the lock the run would go ahead offline.
            "fetcher": {"config": {"replay": [str(sample_archive())], "sample_data": True}},
            "settings": {"config": {"mode": "sample", "is_sample": True, "limit": 2}}}}
        with tempfile.TemporaryDirectory() as dagster_home, dg.DagsterInstance.local_temp(dagster_home) as instance:
            result = dg.execute_job(dg.reconstructable(sharded_refresh_job), instance=instance, run_config=run_config,
                                    tags={"dagster/partition": f"{MONTH}-01"}, raise_on_error=False)
            failures = [str(e) for e in result.all_events if e.event_type_value == "PIPELINE_FAILURE"]
            started = [e for e in result.all_events if e.event_type_value == "STEP_START"]
    finally:
        holder.kill()
        holder.wait()
    assert not result.success, "the run must not run beside the one holding the home"
    assert "another run (id 11111111-2222-3333-4444-555555555555, started " in "".join(failures), failures
    assert not started, "refused before its first step"
    assert not WarehousePaths(home).published.exists()


def test_a_killed_holder_leaves_the_home_free(home: Path) -> None:
    from pipelines.runlock import HomeBusy, holder_of, holding_home

    paths = WarehousePaths(home)
    holder = _hold_elsewhere(home, "run-a")
    try:
        assert holder_of(paths)["run_id"] == "run-a"
        with pytest.raises(HomeBusy, match=r"another run \(id run-a, started .*\) is using this home"), \
                holding_home(paths, "run-b"):
            pass
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
    with holding_home(paths, "run-b"):   # no stale lock to clear by hand
        assert holder_of(paths)["run_id"] == "run-b"


def test_one_process_shares_its_hold_with_its_own_run_only(home: Path) -> None:
    from pipelines.runlock import HomeBusy, holder_of, holding_home

    paths = WarehousePaths(home)
    with holding_home(paths):                      # `cdpi run --workers`: no run id yet
        with holding_home(paths, "run-a"):         # the executor of that run fills it in
            assert holder_of(paths)["run_id"] == "run-a"
        with pytest.raises(HomeBusy, match="id run-a"), holding_home(paths, "run-b"):
            pass


def test_a_re_execution_is_refused_once_another_run_replaced_the_outputs_it_reads(home: Path) -> None:
    from pipelines.runlock import StaleOutputs, holding_home

    paths = WarehousePaths(home)
    with holding_home(paths, "run-a"):
        pass
    with holding_home(paths, "run-a2", root_run_id="run-a"):   # re-executing run-a from failure: its outputs
        pass
    with holding_home(paths, "run-b"):
        pass
    with pytest.raises(StaleOutputs, match="are now run run-b's, not those of run run-a"), \
            holding_home(paths, "run-a3", root_run_id="run-a"):
        pass
    with holding_home(paths, "run-b2", root_run_id="run-b"):
        pass


def test_a_run_of_another_month_leaves_a_re_execution_its_outputs(home: Path) -> None:
    """Step outputs are kept per asset and month: a run of September replaces nothing August's
    re-execution reads; a second run of August does."""
    from pipelines.runlock import Outputs, StaleOutputs, holding_home

    paths = WarehousePaths(home)
    august, september = Outputs("2026-08-01"), Outputs("2026-09-01")
    with holding_home(paths, "run-a", outputs=august):
        pass
    with holding_home(paths, "run-b", outputs=september):
        pass
    with holding_home(paths, "run-a2", root_run_id="run-a", outputs=august):
        pass
    with holding_home(paths, "run-c", outputs=august):
        pass
    with pytest.raises(StaleOutputs, match="step outputs for 2026-08 in this home .* are now run run-c's"), \
            holding_home(paths, "run-a3", root_run_id="run-a", outputs=august):
        pass
    # Re-executing every step reads no earlier output: it goes on, and the month's outputs are its family's.
    with holding_home(paths, "run-a4", root_run_id="run-a", outputs=Outputs("2026-08-01", reads_earlier=False)):
        pass
    with holding_home(paths, "run-a5", root_run_id="run-a", outputs=august):
        pass


def test_only_a_plan_that_skips_steps_reads_earlier_outputs() -> None:
    """Read from Dagster's own execution plans of the monthly job: every step run reads nothing earlier;
    a re-execution of the publish alone reads the outputs of the steps before it."""
    from dagster._core.execution.api import create_execution_plan

    from pipelines.runlock import _reads_earlier_outputs

    job = sharded_refresh_job()
    config = {"resources": {"warehouse": {"config": {"home": "unused"}}}}
    tags = {"dagster/partition": f"{MONTH}-01"}
    whole = create_execution_plan(job, run_config=config, tags=tags)
    assert not _reads_earlier_outputs(whole)
    publish_only = create_execution_plan(job, run_config=config, tags=tags, step_keys_to_execute=["published_warehouse"])
    assert _reads_earlier_outputs(publish_only)


@pytest.mark.slow
def test_re_executing_a_month_after_a_run_of_another_month(tmp_path: Path) -> None:
    """End to end through the job's executor, as the UI re-executes: after a run of September, August's
    run can be re-executed whole and from its publish step; once August is run again, re-executing the first
    August run from its publish step is refused with the reason, and re-executing it whole still works."""
    home = tmp_path / "home"
    run_config = {"resources": {
        "warehouse": {"config": {"home": str(home)}},
        "fetcher": {"config": {"replay": [str(sample_archive())], "sample_data": True}},
        "settings": {"config": {"mode": "sample", "is_sample": True, "limit": 2}}}}
    job = dg.reconstructable(sharded_refresh_job)
    with tempfile.TemporaryDirectory() as dagster_home, dg.DagsterInstance.local_temp(dagster_home) as instance:
        def run(month: str) -> dg.ExecutionResult:
            return dg.execute_job(job, instance=instance, run_config=run_config,
                                  tags={"dagster/partition": f"{month}-01"}, raise_on_error=False)

        def again(parent: str, steps: list[str] | None) -> dg.ExecutionResult:
            """As the UI re-executes: the parent's config and month (execute_job does not copy them)."""
            options = dg.ReexecutionOptions(parent_run_id=parent, step_selection=steps or [])
            return dg.execute_job(job, instance=instance, run_config=run_config, reexecution_options=options,
                                  tags={"dagster/partition": "2026-08-01"}, raise_on_error=False)

        august = run("2026-08")
        assert august.success
        # The outputs are in the home the run config names (not the one the definitions were loaded with).
        assert (WarehousePaths(home).dagster_storage / "cities" / "2026-08-01").is_file()
        assert run(MONTH).success
        assert again(august.run_id, None).success
        assert again(august.run_id, ["published_warehouse"]).success
        assert run("2026-08").success
        refused = again(august.run_id, ["published_warehouse"])
        assert not refused.success
        failures = "".join(str(e) for e in refused.all_events if e.event_type_value == "PIPELINE_FAILURE")
        assert "step outputs for 2026-08" in failures and "re-execute all steps" in failures, failures
        assert again(august.run_id, None).success
