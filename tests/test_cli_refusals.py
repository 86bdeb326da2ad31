"""Bad values a reviewer fed `cdpi`: numbers no fetch can honour, environment variables out of range, a
folder where a file belongs, an --out that cannot be written, a Ctrl-C in the middle of a run. Each ends as
one line and the right exit status, before a run starts where it can be checked up front; never a traceback,
never Dagster's class names."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from pipelines.cli import main as cli

REPO = Path(__file__).resolve().parents[1]
NAN, INF = float("nan"), float("inf")


def _run(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str, str]:
    try:
        code = cli(list(argv))
    except SystemExit as exc:      # argparse's usage errors
        code = exc.code if isinstance(exc.code, int) else 1
    out = capsys.readouterr()
    return code, out.out, out.err


# ------------------------------------------------------------------------------ numbers of the fetcher
@pytest.mark.parametrize("value", ["nan", "inf", "-1", "-inf"])
def test_a_delay_that_is_not_a_finite_number_of_seconds_is_a_usage_error(value: str, tmp_path: Path,
                                                                         capsys) -> None:
    """--min-delay nan made the second request to each host wait for ever; a negative one meant no delay."""
    code, _, err = _run(capsys, "run", "--sample", f"--min-delay={value}", "--home", str(tmp_path))
    assert code == 2 and "argument --min-delay: expected a number of seconds" in err, err
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize(("name", "value"), [
    ("min_delay_s", NAN), ("min_delay_s", -1.0), ("max_crawl_delay_s", INF), ("connect_timeout_s", 0.0),
    ("read_timeout_s", NAN), ("total_timeout_s", -5.0), ("backoff_base_s", NAN), ("backoff_cap_s", INF),
    ("retry_after_cap_s", NAN), ("concurrency", 0)])
def test_the_fetcher_settings_refuse_what_no_fetch_could_honour(name: str, value: float) -> None:
    """The config object itself (scripts build it) and the Dagster resource (the Launchpad passes any number)."""
    from pipelines.resources import FetcherResource
    from sources.http.config import FetcherConfig

    with pytest.raises(ValueError, match=name):
        FetcherConfig(**{name: value})
    with pytest.raises(ValueError, match=name):
        FetcherResource(**{name: value})


@pytest.mark.parametrize(("resource", "name", "value"), [
    ("RunSettings", "max_quarantined_share", NAN), ("RunSettings", "max_quarantined_share", 1.5),
    ("RunSettings", "evidence_half_life_months", INF), ("RunSettings", "evidence_half_life_months", -1.0),
    ("RunSettings", "outreach_min_chance", NAN), ("CrawlSettings", "revisit_jitter", NAN),
    ("CrawlSettings", "revisit_max_interval_days", INF), ("CrawlSettings", "revisit_slack_days", -1.0)])
def test_the_run_and_crawl_settings_refuse_numbers_out_of_range(resource: str, name: str, value: float) -> None:
    import pipelines.resources as resources

    with pytest.raises(ValueError, match=name.removeprefix("revisit_")):
        getattr(resources, resource)(**{name: value})


def test_the_defaults_and_the_settings_tests_use_stay_accepted() -> None:
    from pipelines.resources import CrawlSettings, FetcherResource, RunSettings
    from sources.http.config import FetcherConfig

    FetcherResource(), RunSettings(), CrawlSettings(), RunSettings(max_quarantined_share=0.0)
    config = FetcherConfig(min_delay_s=0.0, max_crawl_delay_s=0.0, max_retries=0, timeout_retries=0)
    assert config.min_delay_s == 0.0 and math.isfinite(config.read_timeout_s)


# ------------------------------------------------------------------------------ environment variables
@pytest.mark.parametrize(("variable", "value", "message"), [
    ("CDPI_CRAWL_SHARDS", "abc", "CDPI_CRAWL_SHARDS must be a whole number from 1 to 64, not 'abc'"),
    ("CDPI_CRAWL_SHARDS", "65", "CDPI_CRAWL_SHARDS must be a whole number from 1 to 64, not '65'"),
    ("CDPI_EXECUTOR", "bogus", "CDPI_EXECUTOR must be in_process or multiprocess, not 'bogus'")])
def test_an_environment_variable_the_definitions_refuse_is_one_line_and_status_2(
        variable: str, value: str, message: str, tmp_path: Path, capsys, monkeypatch) -> None:
    """`cdpi run` printed a traceback; `cdpi dev` started the UI with its code location failing to load."""
    monkeypatch.setenv(variable, value)
    started = []
    monkeypatch.setattr(os, "execvpe", lambda *a: started.append(a))
    for command in ("run", "dev"):
        argv = [command, "--home", str(tmp_path)] + (["--sample"] if command == "run" else [])
        code, _, err = _run(capsys, *argv)
        assert (code, err) == (2, f"cdpi: error: {message}\n"), (command, err)
    assert started == [], "the UI was not started"


def test_more_workers_than_crawl_shards_is_a_usage_error(tmp_path: Path, capsys) -> None:
    code, _, err = _run(capsys, "run", "--sample", "--workers", "65", "--home", str(tmp_path))
    assert code == 2 and "expected at most 64 workers" in err


# ------------------------------------------------------------------------------ files and folders
def test_a_folder_given_as_the_city_list_or_the_corrections_file_is_refused_before_the_run(
        tmp_path: Path, capsys, monkeypatch) -> None:
    """Both started a run that failed at its first step with Dagster's DagsterExecutionStepExecutionError."""
    folder = tmp_path / "a-folder"
    folder.mkdir()
    home = tmp_path / "home"
    code, _, err = _run(capsys, "run", "--sample", "--cities", str(folder), "--home", str(home))
    assert (code, err) == (1, f"cdpi: error: city list names a folder, not a file: {folder}\n")
    monkeypatch.setenv("CDPI_CORRECTIONS", str(folder))
    code, _, err = _run(capsys, "run", "--sample", "--home", str(home))
    assert (code, err) == (1, f"cdpi: error: corrections file (CDPI_CORRECTIONS) names a folder, not a file: "
                              f"{folder}\n")
    assert not (home / "runs").exists(), "no run started"


def test_a_home_that_is_a_file_is_named_as_such(tmp_path: Path, capsys, monkeypatch) -> None:
    """It said `File exists: ...` (the first folder a command makes in the home)."""
    afile = tmp_path / "notes.txt"
    afile.write_text("mine\n")
    monkeypatch.setenv("CDPI_HOME", str(afile))
    for argv in (["run", "--sample"], ["runs"], ["targets"]):
        code, _, err = _run(capsys, *argv)
        assert (code, err) == (1, f"cdpi: error: CDPI_HOME names a file, not a folder: {afile}\n"), (argv, err)
    code, _, err = _run(capsys, "sql", "select 1", "--home", str(afile / "inside"))
    assert code == 1 and err.startswith(f"cdpi: error: --home names a file, not a folder: {afile / 'inside'}")
    assert afile.read_text() == "mine\n"


def test_out_needs_its_folder_and_a_name_that_matches_the_format(sample_home: Path, tmp_path: Path,
                                                                 capsys) -> None:
    """A workbook written under a .csv name opened as garbage; a missing folder gave a bare [Errno 2]."""
    home = str(sample_home)
    code, _, err = _run(capsys, "targets", "--home", home, "--format", "xlsx", "--out", str(tmp_path / "t.csv"))
    assert code == 1 and "--format xlsx does not match the name t.csv" in err and not (tmp_path / "t.csv").exists()
    code, _, err = _run(capsys, "targets", "--home", home, "--format", "json", "--out", str(tmp_path / "t.tsv"))
    assert code == 1 and "use --format tsv" in err
    missing = tmp_path / "no" / "such"
    for name in ("t.csv", "t.xlsx"):
        code, _, err = _run(capsys, "targets", "--home", home, "--out", str(missing / name))
        assert (code, err) == (1, f"cdpi: error: folder {missing} does not exist (create it first, or write "
                                  "elsewhere)\n"), err
    code, _, _ = _run(capsys, "targets", "--home", home, "--format", "csv", "--out", str(tmp_path / "t.txt"))
    assert code == 0, "a name no format claims keeps the format asked for"


@pytest.mark.parametrize("value", ["http://evil/..//x", "evil", "docs.example.org", "1.2.3.4", "-x.com", "co.uk"])
def test_a_doc_host_must_be_a_registrable_domain(value: str, tmp_path: Path, capsys) -> None:
    """The crawl compares a link's registrable domain with it: anything else never matched, silently."""
    code, _, err = _run(capsys, "run", "--sample", f"--doc-host={value}", "--home", str(tmp_path))
    assert code == 2 and "argument --doc-host: expected a" in err and "like granicus.com, got" in err, err


def test_a_doc_host_that_is_a_registrable_domain_is_accepted() -> None:
    from pipelines.cli import _parser

    args = _parser().parse_args(["run", "--doc-host", "Granicus.COM", "--doc-host", "legistar.example"])
    assert args.doc_host == ["granicus.com", "legistar.example"]


def test_targets_on_a_home_whose_runs_all_failed_says_so(tmp_path: Path, capsys) -> None:
    """It said `the latest run (snapshot ) has no city at all` and exit status 0."""
    bad = tmp_path / "cities.csv"
    bad.write_text("a,b\n1,2\n")
    home = str(tmp_path / "home")
    code, _, err = _run(capsys, "run", "--sample", "--cities", str(bad), "--home", home, "--quiet")
    assert code == 1 and "failed at census_places: unrecognized city table header" in err
    code, out, err = _run(capsys, "targets", "--home", home)
    assert (code, out, err) == (1, "", "cdpi: error: no run of this home has published yet; cdpi runs lists "
                                       "the failed ones\n")
    # A city's card says the same, not that the city is missing from a latest run there is none of.
    code, out, err = _run(capsys, "city", "Alder Heights, MD", "--home", home)
    assert (code, out, err) == (1, "", "cdpi: error: no run of this home has published yet; cdpi runs lists "
                                       "the failed ones\n")


def test_a_failed_steps_line_names_the_steps_own_error_not_dagsters_wrapper() -> None:
    from pipelines.cli.run import _user_cause

    wrapped = ('dagster._core.errors.DagsterExecutionStepExecutionError: Error occurred while executing op '
               '"census_places": (IsADirectoryError: [Errno 21] Is a directory: \'/x\')')
    assert _user_cause(wrapped) == "IsADirectoryError: [Errno 21] Is a directory: '/x'"
    assert _user_cause("dagster._core.errors.DagsterResourceFunctionError: Error executing resource_fn on "
                       "ResourceDefinition fetcher (ValueError: bad)") == "ValueError: bad"
    assert _user_cause("dagster._core.errors.DagsterSomeError") == "DagsterSomeError"
    assert _user_cause("blocking check c on t failed, nothing was published: x") == (
        "blocking check c on t failed, nothing was published: x")


# ------------------------------------------------------------------------------ Ctrl-C
def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)   # a background shell may hand the test SIGINT ignored


@pytest.mark.slow
@pytest.mark.parametrize("after", ["done   city_homepages", "done   city_portals"])
def test_ctrl_c_during_a_run_ends_as_interrupted_with_status_130(after: str, tmp_path: Path) -> None:
    """Ctrl-C reaches every process of the terminal's group. It ended as `failed at city_portals:
    dagster._core.errors.DagsterExecutionInterruptedError`, status 1, under KeyboardInterrupt tracebacks
    of Dagster's compute-log helpers (watch_orphans.py) and of the crawl's page readers."""
    home = tmp_path / "home"
    proc = subprocess.Popen([sys.executable, "-m", "pipelines.cli", "run", "--sample", "--home", str(home)],
                            cwd=REPO, env={**os.environ, "CDPI_HOME": str(home)}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, start_new_session=True, preexec_fn=_default_sigint)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stderr or []), daemon=True)
    reader.start()
    deadline = time.monotonic() + 240
    try:
        while not any(after in line for line in lines):
            assert proc.poll() is None and time.monotonic() < deadline, "".join(lines)
            time.sleep(0.05)
        time.sleep(0.3)                                # into the next step (the portals, the crawl)
        os.killpg(proc.pid, signal.SIGINT)             # what a Ctrl-C in the terminal does
        code = proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    reader.join(timeout=10)
    err = "".join(lines)
    assert code == 130 and err.splitlines()[-1] == "interrupted", err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err and "dagster._core" not in err, err
    if not any("published" in line for line in lines):   # stopped in a step, so recorded as interrupted
        result = subprocess.run([sys.executable, "-m", "pipelines.cli", "runs", "--home", str(home), "--format",
                                 "csv"], cwd=REPO, capture_output=True, text=True, timeout=120)
        assert "interrupted (Ctrl-C) during" in result.stdout, result.stdout


def _live_processes(group: int) -> list[str]:
    """The processes of ``group`` still running (zombies only wait for init to collect them)."""
    listing = subprocess.run(["ps", "-o", "stat=,args=", "-g", str(group)], capture_output=True, text=True).stdout
    return [line for line in listing.splitlines() if line.strip() and not line.lstrip().startswith("Z")]


@pytest.mark.slow
@pytest.mark.timeout(900)   # two sample runs with step processes, one of them to the end
def test_ctrl_c_during_the_crawl_of_a_run_with_workers_ends_as_interrupted_with_status_130(tmp_path: Path) -> None:
    """The same Ctrl-C with the crawl split over step processes. Each step process started Dagster's output
    helpers of its own, and every helper script printed a KeyboardInterrupt traceback (watch_orphans.py)
    above the run's "interrupted". Nothing of the run may be left running, and the next run of the home
    (its lock, its step outputs) goes ahead."""
    home = tmp_path / "home"
    env = {**os.environ, "CDPI_HOME": str(home)}
    proc = subprocess.Popen([sys.executable, "-m", "pipelines.cli", "run", "--sample", "--workers", "2", "--home",
                             str(home)], cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True, start_new_session=True, preexec_fn=_default_sigint)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stderr or []), daemon=True)
    reader.start()
    deadline = time.monotonic() + 300
    try:
        # Both crawl shards have fetched pages (each writes its own fetch log as it goes): mid-crawl.
        while not all(any(log.stat().st_size for log in home.glob(f"runs/*/fetch_log-city_evidence-{shard}-*"))
                      for shard in (0, 1)):
            assert proc.poll() is None and time.monotonic() < deadline, "".join(lines)
            time.sleep(0.05)
        time.sleep(1)
        os.killpg(proc.pid, signal.SIGINT)             # what a Ctrl-C in the terminal does
        code = proc.wait(timeout=120)
        gone = time.monotonic() + 20                   # the forkserver leaves once the run's process has
        while _live_processes(proc.pid) and time.monotonic() < gone:
            time.sleep(0.2)
        left = _live_processes(proc.pid)
    finally:
        if proc.poll() is None or _live_processes(proc.pid):
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    reader.join(timeout=10)
    err = "".join(lines)
    assert code == 130 and err.splitlines()[-1] == "interrupted", err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err and "dagster._core" not in err, err
    assert left == [], left
    runs = subprocess.run([sys.executable, "-m", "pipelines.cli", "runs", "--home", str(home), "--format", "csv"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    # Other steps may be running beside the crawl's shards (the portals): the reason names every step stopped.
    reason = next((line for line in runs.stdout.splitlines() if "interrupted (Ctrl-C) during" in line), "")
    assert "website_crawl_shard_" in reason, runs.stdout + runs.stderr
    again = subprocess.run([sys.executable, "-m", "pipelines.cli", "run", "--sample", "--limit", "10", "--workers",
                            "2", "--home", str(home)], cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0 and "published" in again.stdout, again.stdout + again.stderr


def test_a_run_stopped_before_its_step_processes_began_counts_as_interrupted() -> None:
    """A Ctrl-C while a `--workers` run's step processes start: the executor stops them before their step
    begins, so no step fails, and the run's own failure is Dagster's interrupted error. It ended as `failed
    at an unknown step: DagsterExecutionInterruptedError`, status 1."""
    from types import SimpleNamespace

    from pipelines.orchestration import interrupted

    def event(kind: str, cls_name: str) -> SimpleNamespace:
        error = SimpleNamespace(cls_name=cls_name, cause=None, context=None)
        return SimpleNamespace(event_type_value=kind, event_specific_data=SimpleNamespace(error=error))

    stopped = SimpleNamespace(all_events=[event("ENGINE_EVENT", "x"),
                                          event("PIPELINE_FAILURE", "DagsterExecutionInterruptedError")])
    assert interrupted(stopped)
    failed = SimpleNamespace(all_events=[event("PIPELINE_FAILURE", "DagsterExecutionStepExecutionError")])
    assert not interrupted(failed)


def test_ctrl_c_during_a_duckdb_query_ends_as_interrupted_with_status_130(tmp_path: Path, capsys,
                                                                         monkeypatch) -> None:
    """DuckDB turns a Ctrl-C during a query into its own error, ``RuntimeError: Query interrupted`` (DuckDB
    2.0), and swallows the KeyboardInterrupt. A Ctrl-C during a long `cdpi sql`, or while `cdpi run` checked
    the published file before starting, ended in that traceback and status 1. (DuckDB notices a Ctrl-C
    only now and then, some land unseen, so the query's error is raised here rather than waited for.)"""
    import duckdb

    import pipelines.cli.analyst as analyst

    home = tmp_path / "home"
    home.mkdir()
    duckdb.connect(str(home / "warehouse.duckdb")).execute("CREATE TABLE t AS SELECT 1 AS a").close()

    def query_interrupted(con, query: str) -> None:
        raise RuntimeError("Query interrupted")

    monkeypatch.setattr(analyst, "_read_only_statement", query_interrupted)
    assert _run(capsys, "sql", "SELECT count(*) FROM t", "--home", str(home)) == (130, "", "interrupted\n")
