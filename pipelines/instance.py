"""The one Dagster instance of a cdpi home ($CDPI_HOME/dagster): `cdpi run`, `cdpi dev` and the schedule all
record into it, so every run shows up in the Dagster UI with its materializations, checks and partition.

It used to live in ``dagster_home/`` and only `cdpi dev` used it (`cdpi run` ran in a throwaway instance,
invisible to the UI); an existing ``dagster_home/`` is moved to ``dagster/`` the first time either
command runs, so its history stays.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import dagster as dg

from warehouse.paths import WarehousePaths

#: Written only when the home has no dagster.yaml: after that the file is the user's, edits are kept.
DAGSTER_YAML = """\
# Dagster instance settings for this cdpi home, written by cdpi when missing; edit freely, cdpi keeps
# your changes. Reference: https://docs.dagster.io/deployment/oss/dagster-yaml
telemetry:
  enabled: false    # no usage statistics leave the machine
nux:
  enabled: false    # no newsletter sign-up pop-up in the UI
python_logs:
  # Dagster's own console lines from INFO up: each step process of `cdpi run --workers N` would otherwise
  # print a DEBUG line on the terminal. Every event still reaches the UI and runs/<run_id>/run.log.
  python_log_level: INFO
concurrency:
  runs:
    # Runs launched through the UI, the schedule or a backfill go one at a time: each run is polite to
    # every city's server on its own, ten at once would not be. `cdpi run` does not queue (it runs at once).
    max_concurrent_runs: 1
"""

#: What earlier versions of `cdpi dev` wrote on every start; a file holding exactly this was never edited
#: by anyone, so it is replaced by the current settings (which also turn the UI's pop-up off).
_EARLIER_GENERATED = ("telemetry:\n  enabled: false\nconcurrency:\n  runs:\n    max_concurrent_runs: 1\n",)


def prepare_dagster_home(paths: WarehousePaths) -> Path:
    """The home's DAGSTER_HOME, created if needed, with a dagster.yaml (written only when missing, so a
    user's edits survive every `cdpi dev` and `cdpi run`). Moves a legacy ``dagster_home/`` into place."""
    home = paths.dagster_home
    legacy = paths.home / "dagster_home"
    if legacy.is_dir() and not home.exists():
        legacy.rename(home)   # same file system, one step: its run history and schedules come along
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists() or config.read_text(encoding="utf-8") in _EARLIER_GENERATED:
        # Written beside and renamed into place: a second process starting at the same moment never
        # reads half a file.
        tmp = home / f".dagster.yaml.{os.getpid()}"
        tmp.write_text(DAGSTER_YAML, encoding="utf-8")
        os.replace(tmp, config)
    return home


@contextlib.contextmanager
def run_instance(paths: WarehousePaths) -> Iterator[dg.DagsterInstance]:
    """The home's persistent instance for a `cdpi run`. If it cannot be opened (a dagster.yaml edited
    into invalid settings, a damaged history database), the run still goes ahead in a temporary instance
    and says so in one line: a monthly snapshot must not depend on the UI's bookkeeping."""
    try:
        instance = dg.DagsterInstance.from_config(str(prepare_dagster_home(paths)))
    except Exception as exc:  # any failure here only costs the run its place in the UI
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        print(f"cdpi run: Dagster instance {paths.dagster_home} not usable ({first}); this run will not "
              "appear in `cdpi dev`", file=sys.stderr)
        with tempfile.TemporaryDirectory(prefix="cdpi-dagster-") as tmp, dg.DagsterInstance.local_temp(tmp) as temp:
            _helpers_ignore_ctrl_c(temp)
            yield temp
        return
    with instance:
        _helpers_ignore_ctrl_c(instance)
        yield instance


def _helpers_ignore_ctrl_c(instance: dg.DagsterInstance) -> None:
    """Dagster's helpers that copy a run's captured output (``tail`` and the Python script
    ``watch_orphans.py``, one pair each for standard output and error) start with Ctrl-C ignored.

    A Ctrl-C reaches every process of the terminal's group: each helper script printed a
    KeyboardInterrupt traceback over the run's own "interrupted", although the run stops the helpers
    itself when it ends (and they stop themselves when it is gone). An ignored signal stays ignored in a
    child process, and Python then installs no handler of its own; so Ctrl-C is ignored only while the
    capture starts its helpers, a few milliseconds before the first step, and acts as before from then on.
    Only in the main thread, the one place signal handlers can be set (it is where `cdpi run` runs)."""
    manager = instance.compute_log_manager
    capture = manager.capture_logs

    @contextlib.contextmanager
    def capture_logs(log_key):
        if threading.current_thread() is not threading.main_thread():
            with capture(log_key) as context:
                yield context
            return
        with contextlib.ExitStack() as stack:
            before = signal.signal(signal.SIGINT, signal.SIG_IGN)
            try:
                context = stack.enter_context(capture(log_key))
            finally:
                signal.signal(signal.SIGINT, before)
            yield context

    manager.capture_logs = capture_logs  # type: ignore[method-assign]


#: Set by `cdpi run --workers N` for its step processes (pipelines/orchestration.py): they are its own.
STEP_PROCESS_ENV = "CDPI_RUN_STEP_PROCESS"


def helpers_ignore_ctrl_c_in_step_processes() -> None:
    """In a step process of `cdpi run --workers N`, the same for every instance the process opens: there
    each step captures its output again, with helpers of its own (Dagster opens the step's instance from
    the run's reference, out of cdpi's reach, so it is caught there). Their KeyboardInterrupt tracebacks
    were the last ones a Ctrl-C printed. A Ctrl-C the step process misses while its helpers start is not
    lost: the run's process receives it too and tells each step process to stop. Called when the
    definitions load, which a step process does before its first instance (the forkserver preloads them);
    elsewhere (`cdpi dev`, the UI's runs, tests) it changes nothing."""
    if os.environ.get(STEP_PROCESS_ENV) != "1" or getattr(dg.DagsterInstance.from_ref, "_cdpi_quiet", False):
        return
    from_ref = dg.DagsterInstance.from_ref

    def quiet_from_ref(instance_ref):
        instance = from_ref(instance_ref)
        _helpers_ignore_ctrl_c(instance)
        return instance

    quiet_from_ref._cdpi_quiet = True  # type: ignore[attr-defined]
    dg.DagsterInstance.from_ref = staticmethod(quiet_from_ref)  # type: ignore[method-assign]


#: Tags of every `cdpi run`: which process on which machine drives it, so a later run can tell a run whose
#: process is gone (killed, machine restarted) from one still going.
PID_TAG, HOST_TAG = "cdpi/pid", "cdpi/host"
#: Whether a failed `cdpi run` has its ops.run_failures row: "no" from its start, "yes" once written. A run
#: whose record could not be written when it failed (a full disk) stays "no", and the next run writes it.
FAILURE_RECORDED_TAG = "cdpi/failure_recorded"


def launcher_tags() -> dict[str, str]:
    return {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname(), FAILURE_RECORDED_TAG: "no"}


def mark_failure_recorded(instance: dg.DagsterInstance, run_id: str) -> None:
    """The run's ops.run_failures row is written: later runs leave it alone."""
    instance.add_run_tags(run_id, {FAILURE_RECORDED_TAG: "yes"})


def settle_unrecorded_failures(instance: dg.DagsterInstance,
                               record_failure: Callable[[str], object]) -> list[str]:
    """Write the ops.run_failures row of every failed `cdpi run` on this machine that has none: the run ended
    FAILURE in Dagster, but writing its row failed then (no space left for the copy of the warehouse a
    record is). ``record_failure`` writes it (and must skip a run already recorded, as a kill between it
    and the tag leaves the run to record again). Returns their run ids, oldest first."""
    records = instance.get_run_records(filters=dg.RunsFilter(
        statuses=[dg.DagsterRunStatus.FAILURE],
        tags={HOST_TAG: socket.gethostname(), FAILURE_RECORDED_TAG: "no"}), ascending=True)
    settled = []
    for record in records:
        record_failure(record.dagster_run.run_id)
        mark_failure_recorded(instance, record.dagster_run.run_id)
        settled.append(record.dagster_run.run_id)
    return settled


def settle_abandoned_runs(instance: dg.DagsterInstance,
                          record_failure: Callable[[str], object] = lambda run_id: None) -> list[str]:
    """Mark failed every run a `cdpi run` on this machine left unfinished: its process no longer exists
    (a kill -9, a closed laptop lid that became a reboot), so Dagster would list it as in progress forever.
    Returns their run ids. Runs of other machines, or of the UI's own launcher, are left alone.

    ``record_failure`` (the warehouse's ops.run_failures row) is written before Dagster is told: a kill between the
    two leaves the run open, to be settled and recorded again by the next run (the record skips a run
    already recorded), never marked failed in Dagster with no record in the warehouse."""
    open_states = [dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.NOT_STARTED]
    records = instance.get_run_records(filters=dg.RunsFilter(statuses=open_states,
                                                             tags={HOST_TAG: socket.gethostname()}))
    settled = []
    for record in records:
        run = record.dagster_run
        pid = run.tags.get(PID_TAG, "")
        if not pid.isdigit() or _alive(int(pid)):
            continue
        record_failure(run.run_id)
        mark_failure_recorded(instance, run.run_id)
        instance.report_run_failed(run, f"the cdpi run process (pid {pid}) ended without finishing the run "
                                        "(killed or the machine restarted); nothing of it was published")
        settled.append(run.run_id)
    return settled


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:   # someone else's process has that pid now: not ours, but not provably gone
        return True
    return True
