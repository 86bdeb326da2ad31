"""Failed and canceled runs of Dagster (the UI, the schedule, a backfill) in ops.run_failures and `cdpi runs`.

The sensors used to read only the run-level event: no step, Dagster's generic sentence instead of the cause
("An exception was thrown during execution." for a run the run lock refused), no month; a run stopped from
the UI left no row at all. Here real runs fail (or are canceled) on a temporary instance, and the sensors are
evaluated on them as the daemon would.
"""

from __future__ import annotations

import json
import tempfile
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.cli import main as cli
from pipelines.definitions import sharded_refresh_job
from pipelines.resources import RunSettings, WarehouseResource, sample_archive
from warehouse.paths import WarehousePaths
from warehouse.publish import record_run_failure
from warehouse.read import connect_published

MONTH = "2026-09-01"


def _failures(home: Path) -> list[dict]:
    con = connect_published(WarehousePaths(home))
    try:
        cursor = con.execute("SELECT * FROM ops.run_failures ORDER BY failed_at")
        columns = [d[0] for d in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()


def _runs(home: Path, capsys: pytest.CaptureFixture) -> list[dict]:
    capsys.readouterr()
    assert cli(["runs", "--home", str(home), "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def _sensor_context(instance: dg.DagsterInstance, run_id: str, event_type: dg.DagsterEventType, home: Path):
    event = instance.all_logs(run_id, of_type=event_type)[0].dagster_event
    return dg.build_run_status_sensor_context(
        sensor_name="test", dagster_event=event, dagster_instance=instance,
        dagster_run=instance.get_run_by_id(run_id),
        resources={"warehouse": WarehouseResource(home=str(home)), "settings": RunSettings()})


def test_a_run_the_run_lock_refused_is_recorded_in_the_locks_words(home: Path, capsys) -> None:
    """A run started while another holds the home fails in its executor, before any step: the row has no step,
    the refusal's own sentence (naming the holder) instead of "An exception was thrown during execution.",
    the month of its partition and the mode of its run config."""
    from pipelines.runlock import holding_home
    from pipelines.sensors import record_failed_runs

    run_config = {"resources": {
        "warehouse": {"config": {"home": str(home)}},
        "fetcher": {"config": {"replay": [str(sample_archive())], "sample_data": True}},
        "settings": {"config": {"mode": "sample", "is_sample": True, "limit": 2}}}}
    with tempfile.TemporaryDirectory() as dagster_home, dg.DagsterInstance.local_temp(dagster_home) as instance:
        # This process holds the home for another run: the job's executor (in this process) is refused.
        with holding_home(WarehousePaths(home), "holder-run"):
            result = dg.execute_job(dg.reconstructable(sharded_refresh_job), instance=instance, run_config=run_config,
                                    tags={"dagster/partition": MONTH}, raise_on_error=False)
        assert not result.success
        record_failed_runs(_sensor_context(instance, result.run_id, dg.DagsterEventType.RUN_FAILURE,
                                           home).for_run_failure())
    [row] = _failures(home)
    assert row["run_id"] == result.run_id and row["job_name"] == "monthly_refresh" and row["step"] is None
    assert row["error"].startswith("another run (id holder-run, started "), row["error"]
    assert "is using this home" in row["error"] and "exception was thrown" not in row["error"]
    assert (row["status"], row["snapshot"], row["mode"]) == ("failed", date(2026, 9, 1), "sample")
    [listed] = _runs(home, capsys)
    assert (listed["run_id"], listed["snapshot"], listed["mode"], listed["status"]) == (
        result.run_id, "2026-09", "sample", "failed")
    assert listed["outcomes"].startswith("another run (id holder-run")


def test_a_run_stopped_from_the_ui_is_recorded_as_canceled(home: Path, capsys) -> None:
    """A terminated run ends CANCELED, which the failure sensor never sees: the cancel sensor of the
    definitions records it, with the step it was stopped in, and `cdpi runs` lists it."""
    from pipelines.definitions import defs

    [sensor] = [s for s in defs.sensors if s.name == "record_canceled_runs"]
    assert isinstance(sensor, dg.RunStatusSensorDefinition)
    instance = dg.DagsterInstance.ephemeral()
    run = instance.create_run_for_job(sharded_refresh_job(), tags={"dagster/partition": "2026-10-01"},
                                      run_config={"resources": {"warehouse": {"config": {"home": str(home)}}}})
    # The run got as far as the cities step (census_places done), as a run worker records it.
    from dagster._core.execution.plan.objects import StepSuccessData  # no public constructor for the event

    for kind, step, data in (("STEP_START", "census_places", None),
                             ("STEP_SUCCESS", "census_places", StepSuccessData(duration_ms=5.0)),
                             ("STEP_START", "cities", None)):
        instance.report_dagster_event(dg.DagsterEvent(event_type_value=kind, job_name=run.job_name, step_key=step,
                                                      event_specific_data=data), run_id=run.run_id)
    instance.report_run_canceling(run)   # what the UI's terminate does
    instance.report_run_canceled(run)
    assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.CANCELED
    sensor(_sensor_context(instance, run.run_id, dg.DagsterEventType.RUN_CANCELED, home))
    [row] = _failures(home)
    assert (row["run_id"], row["status"], row["step"], row["snapshot"], row["mode"]) == (
        run.run_id, "canceled", "cities", date(2026, 10, 1), "live")
    assert row["error"].startswith("canceled before it finished (stopped from the Dagster UI"), row["error"]
    [listed] = _runs(home, capsys)
    assert (listed["run_id"], listed["snapshot"], listed["status"]) == (run.run_id, "2026-10", "canceled")
    assert listed["outcomes"].startswith("cities: canceled before it finished")


def test_the_sensor_records_a_run_once(home: Path) -> None:
    """A tick that runs again after writing its row (the daemon restarted before it moved its cursor) adds
    no second row for the run."""
    from pipelines.sensors import record_canceled_runs

    instance = dg.DagsterInstance.ephemeral()
    run = instance.create_run_for_job(sharded_refresh_job(), tags={"dagster/partition": MONTH})
    instance.report_run_canceled(run)
    for _ in range(2):
        record_canceled_runs(_sensor_context(instance, run.run_id, dg.DagsterEventType.RUN_CANCELED, home))
    assert len(_failures(home)) == 1


def test_a_warehouse_from_before_the_status_column_is_listed_and_migrated(home: Path, capsys) -> None:
    """A file published before ops.run_failures had status, snapshot and mode: `cdpi runs` still lists its
    failures (as failed), and the next recorded failure brings the table to the new columns."""
    paths = WarehousePaths(home)
    record_run_failure(paths, "old-run", "monthly_refresh", "census_places", "Census unreachable")
    con = duckdb.connect(str(paths.published))
    for column in ("status", "snapshot", "mode"):
        con.execute(f"ALTER TABLE ops.run_failures DROP COLUMN {column}")
    con.close()
    [listed] = _runs(home, capsys)
    assert (listed["run_id"], listed["status"], listed["snapshot"], listed["mode"]) == ("old-run", "failed", None,
                                                                                      None)
    assert listed["outcomes"] == "census_places: Census unreachable"
    record_run_failure(paths, "new-run", "monthly_refresh", None, "stopped", status="canceled",
                       snapshot=date(2026, 11, 1), mode="replay")
    rows = {r["run_id"]: r for r in _failures(home)}
    assert rows["old-run"]["status"] is None and rows["old-run"]["snapshot"] is None
    assert (rows["new-run"]["status"], rows["new-run"]["snapshot"], rows["new-run"]["mode"]) == (
        "canceled", date(2026, 11, 1), "replay")
    with pytest.raises(ValueError, match="status must be one of failed, canceled"):
        record_run_failure(paths, "x", "monthly_refresh", None, "?", status="stopped")


def test_a_failed_replay_launched_with_only_the_fetchers_archives_is_recorded_as_a_replay() -> None:
    """The mode of a failure row follows what the run read, as the published labels do
    (assets/runlabels.py): a Launchpad run that set only the fetcher's replay is a replay, not live."""
    import dagster as dg

    from pipelines.failures import mode_of

    def run(config: dict, tags: dict | None = None) -> dg.DagsterRun:
        return dg.DagsterRun(job_name="monthly_refresh", run_config=config, tags=tags or {})

    replay = {"resources": {"fetcher": {"config": {"replay": ["a.warc.gz"]}}}}
    assert mode_of(run(replay), "live") == "replay"
    sample = {"resources": {"fetcher": {"config": {"replay": ["a.warc.gz"]}},
                            "settings": {"config": {"mode": "sample"}}}}
    assert mode_of(run(sample), "live") == "sample"
    assert mode_of(run({}), "live") == "live"
    assert mode_of(run({}, {"cdpi/mode": "replay"}), "live") == "replay"


def test_a_failure_rows_mode_without_archives_is_live_whatever_the_settings_say() -> None:
    """As ops.runs would label it (assets/runlabels.py): no replay archive, the data came from the network."""
    import dagster as dg

    from pipelines.failures import mode_of

    config = {"resources": {"settings": {"config": {"mode": "sample"}}}}
    assert mode_of(dg.DagsterRun(job_name="monthly_refresh", run_config=config), "live") == "live"


def test_a_failure_is_recorded_in_the_home_the_run_config_names(tmp_path) -> None:
    """Where the run held its lock and published, not the home `cdpi dev` serves."""
    import dagster as dg

    from pipelines.failures import home_of
    from pipelines.resources import WarehouseResource

    served = WarehouseResource(home=str(tmp_path / "served"))
    other = {"resources": {"warehouse": {"config": {"home": str(tmp_path / "other")}}}}
    assert home_of(dg.DagsterRun(job_name="j", run_config=other), served).paths().home == tmp_path / "other"
    assert home_of(dg.DagsterRun(job_name="j", run_config={}), served) is served


def test_a_crashed_step_process_is_described_in_words_not_a_class_path() -> None:
    from dagster._core.events import StepFailureData
    from dagster._utils.error import SerializableErrorInfo

    from pipelines.failures import _step_error

    crash = "dagster._core.executor.child_process_executor.ChildProcessCrashException"
    data = StepFailureData(error=SerializableErrorInfo(crash, [], "ChildProcessCrashException"),
                           user_failure_data=None)
    assert "process ended without finishing" in _step_error(data)
    other = StepFailureData(error=SerializableErrorInfo("mypkg.errors.Boom: the disk is full\n", [], "Boom"),
                            user_failure_data=None)
    assert _step_error(other) == "the disk is full"
