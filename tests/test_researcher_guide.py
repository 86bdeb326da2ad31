"""Every command of the researcher guide, run as written against the built-in sample.

The guide's examples are for live runs; here each `cdpi run` without an archive gets ``--sample`` (there is
no network), every run is cut to a few cities with ``--limit`` (the options, not the figures, are what is
checked), and placeholders get what a reader would put there: ``<run_id>`` the run just made, its
``runs/<run_id>/warc`` folder the archive the run's summary names (sample runs replay the shipped archive
and write none of their own), ``/srv/cdpi`` a folder of the test's own, ``$month`` each month of the
loop. `cdpi dev` is checked up to the point it would start the web server; `dagster job backfill` would
launch live runs in the background and only has its job and partitions checked.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.cli import main as cli
from tests.test_guides import RESEARCHER, SHELL_LANGS, _blocks
from warehouse.paths import WarehousePaths
from warehouse.read import connect_published

REPO = Path(__file__).resolve().parents[1]
LIMIT = "6"
LOOP = re.compile(r"^for (\w+) in ([^;]+); do\n(.*?)\ndone$", re.S | re.M)


def _commands() -> list[str]:
    """The guide's shell lines in order, a `for` loop unrolled, continuation lines joined."""
    out: list[str] = []
    for _title, body in _blocks(RESEARCHER, SHELL_LANGS):
        body = body.replace("\\\n", " ")
        for loop in LOOP.finditer(body):
            var, values, inner = loop.group(1), loop.group(2).split(), loop.group(3).strip()
            out.extend(inner.replace(f'"${var}"', v).replace(f"${var}", v) for v in values)
        body = LOOP.sub("", body)
        out.extend(line.strip() for line in body.splitlines() if line.strip() and not line.startswith("#"))
    return out


COMMANDS = _commands()


def _latest_run(home: Path) -> tuple[str, list[str]]:
    con = connect_published(WarehousePaths(home))
    try:
        run_id, sources = con.execute("SELECT run_id, replay_sources FROM ops.runs "
                                      "ORDER BY finished_at DESC LIMIT 1").fetchone()
    finally:
        con.close()
    return run_id, list(sources or [])


def _argv(line: str, home: Path, work: Path) -> list[str]:
    """A guide line as the arguments of `cdpi`, made runnable here (see the module docstring)."""
    line = line.split(" || ")[0]
    run_id, sources = _latest_run(home) if (home / "warehouse.duckdb").exists() else ("none", [])
    replayed = re.search(r"data/runs/<run_id>(/warc)?", line)
    if replayed:
        assert sources, "the run the guide replays should name its archive"
        line = line.replace(replayed.group(0), sources[0])
    line = line.replace("<run_id>", run_id).replace("/srv/cdpi", str(work / "srv-cdpi"))
    argv = shlex.split(line)[1:]
    if argv[0] == "run":
        if "--replay" not in argv and "--sample" not in argv:
            argv.append("--sample")
        if "--limit" in argv:
            argv[argv.index("--limit") + 1] = LIMIT
        else:
            argv += ["--limit", LIMIT]
    return argv


@pytest.mark.slow
@pytest.mark.timeout(900)   # every command of the guide in turn, several full runs among them
def test_every_researcher_guide_command_runs_on_the_sample(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    home = tmp_path / "data"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CDPI_HOME", str(home))
    # The guide's city list: three sample cities of 50,000+ and one smaller, which the threshold drops.
    sample = tmp_path / "seed"
    assert cli(["run", "--sample", "--home", str(sample), "--quiet"]) == 0
    con = connect_published(WarehousePaths(sample))
    try:
        cities = con.execute("(SELECT geoid, city, state, population FROM marts.cities_latest "
                             "WHERE population >= 50000 ORDER BY geoid LIMIT 3) UNION ALL "
                             "(SELECT geoid, city, state, population FROM marts.cities_latest "
                             "WHERE population < 50000 ORDER BY geoid LIMIT 1)").df()
    finally:
        con.close()
    cities.to_csv(tmp_path / "my_cities.csv", index=False)
    exec_calls: list[list[str]] = []
    monkeypatch.setattr(os, "execvpe", lambda file, argv, env: exec_calls.append(argv))

    ran = {"cdpi": 0, "dagster": 0, "shell": 0}
    for line in COMMANDS:
        capsys.readouterr()
        if line.startswith("cdpi "):
            argv = _argv(line, home, tmp_path)
            assert cli(argv) == 0, f"`{line}` (run as cdpi {' '.join(argv)}) failed: {capsys.readouterr().err}"
            ran["cdpi"] += 1
        elif line.startswith("export CDPI_HOME="):
            assert line == 'export CDPI_HOME="$PWD/data"', "the test sets the guide's home itself"
        elif "dagster schedule start" in line:
            env = {**os.environ, "DAGSTER_HOME": str(home / "dagster"), "PYTHONPATH": str(REPO)}
            args = shlex.split(line.split("dagster ", 1)[1])
            proc = subprocess.run([str(Path(sys.executable).with_name("dagster")), *args], cwd=REPO, env=env,
                                  capture_output=True, text=True, timeout=300)
            assert proc.returncode == 0, proc.stdout + proc.stderr
            ran["dagster"] += 1
        elif "dagster job backfill" in line:
            _check_backfill(line)
            ran["dagster"] += 1
        elif line.startswith(("cp ", "sha256sum ")):
            assert subprocess.run(line, shell=True, cwd=tmp_path).returncode == 0, line
            ran["shell"] += 1
        elif line in ("done",) or line.startswith("for "):
            continue
        else:
            pytest.fail(f"the guide shows a command this test does not know how to run: {line}")
    assert ran["cdpi"] >= 20 and ran["dagster"] == 3 and ran["shell"] == 2, ran
    # cdpi dev hands over to Dagster's dev server (through pipelines.cli.dagster_dev, which quiets one warning).
    assert len(exec_calls) == 2 and all("pipelines.cli.dagster_dev" in argv for argv in exec_calls), exec_calls
    assert (tmp_path / "srv-cdpi" / "warehouse.duckdb").exists(), "--home /srv/cdpi made its own warehouse"
    assert (tmp_path / "sample-data" / "warehouse.duckdb").exists()
    assert (home / "exports" / "2026-05" / "manifest.json").exists()


def _check_backfill(line: str) -> None:
    """The job exists and every month the line names is one of its partitions."""
    from assets.partitions import MONTHLY
    from pipelines.definitions import defs

    args = shlex.split(line.split("dagster ", 1)[1])
    assert defs.resolve_job_def(args[args.index("-j") + 1]).name == "monthly_refresh"
    keys = set(MONTHLY.get_partition_keys())
    named = ([args[args.index("--from") + 1], args[args.index("--to") + 1]] if "--from" in args else
             args[args.index("--partitions") + 1].split(","))
    assert set(named) <= keys, f"{named} are not all monthly partitions"
