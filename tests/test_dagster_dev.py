"""`cdpi dev` (dagster dev) starts offline with telemetry off and loads the code location."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _default_signals() -> None:
    # A background shell may hand us SIGINT ignored; dagster dev needs it to shut down cleanly.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


@pytest.mark.slow
def test_dagster_dev_serves_the_definitions(tmp_path: Path) -> None:
    port = _free_port()
    exe = Path(sys.executable).with_name("cdpi")
    proc = subprocess.Popen([str(exe), "dev", "--port", str(port), "--home", str(tmp_path)], cwd=REPO,
                            env={**os.environ}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            preexec_fn=_default_signals)
    try:
        query = {"query": "{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus "
                          "locationOrLoadError { __typename } } } } }"}
        deadline = time.monotonic() + 120
        entries = None
        while time.monotonic() < deadline:
            assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
            try:
                req = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=json.dumps(query).encode(),
                                             headers={"Content-Type": "application/json"})
                with urllib.request.urlopen(req, timeout=5) as resp:
                    entries = json.load(resp)["data"]["workspaceOrError"]["locationEntries"]
                if entries and entries[0]["loadStatus"] == "LOADED":
                    break
            except OSError:
                pass
            time.sleep(1)
        assert entries and entries[0]["loadStatus"] == "LOADED"
        assert entries[0]["locationOrLoadError"]["__typename"] == "RepositoryLocation"
        # The home's one instance ($CDPI_HOME/dagster, where `cdpi run` records too): telemetry and the
        # sign-up pop-up off.
        yaml = (tmp_path / "dagster" / "dagster.yaml").read_text()
        assert "telemetry:\n  enabled: false" in yaml and "nux:\n  enabled: false" in yaml
        assert not (tmp_path / "dagster" / ".telemetry").exists()
        nux = {"query": "{ shouldShowNux }"}
        req = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=json.dumps(nux).encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert json.load(resp)["data"]["shouldShowNux"] is False
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    # Dagster's notice that `dagster dev` is superseded by `dg dev` (a tool cdpi does not install) is silenced.
    assert "SupersessionWarning" not in proc.stderr.read().decode(errors="replace")


def test_cdpi_dev_starts_dagster_dev_without_its_supersession_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    """The process `cdpi dev` becomes (pipelines/cli/dagster_dev.py) runs Dagster's dev command with its
    "superseded ... use 'dg dev'" warning silenced, and only that one: another warning still shows. The
    server itself is not started (its start is replaced by a stand-in that records its arguments)."""
    import warnings

    import dagster as dg
    from dagster._cli import dev as dagster_dev_cli

    from pipelines.cli.dagster_dev import run_dev

    calls: list[tuple] = []

    def fake_start(*args, **kwargs) -> None:
        calls.append(args)
        warnings.warn("a warning of the server's own", UserWarning, stacklevel=1)

    monkeypatch.setattr(dagster_dev_cli, "dev_command_impl", fake_start)
    with warnings.catch_warnings(record=True) as direct:
        warnings.simplefilter("always")
        dagster_dev_cli.dev_command.main(args=["--port", "3999"], standalone_mode=False)
    assert any(issubclass(w.category, dg.SupersessionWarning) for w in direct), \
        "Dagster no longer warns: the wrapper's filter can go"
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        assert run_dev(["-m", "pipelines.definitions", "--port", "3999"]) == 0
    assert len(calls) == 2 and "3999" in calls[-1]
    assert not [w for w in seen if issubclass(w.category, dg.SupersessionWarning)], [str(w.message) for w in seen]
    assert [str(w.message) for w in seen if w.category is UserWarning] == ["a warning of the server's own"]


def test_cdpi_dev_execs_the_wrapper(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`cdpi dev` replaces itself with the wrapper module, not the `dagster` script that warns."""
    from pipelines.cli import main as cli

    seen: dict = {}
    monkeypatch.setattr(os, "execvpe", lambda file, argv, env: seen.update(file=file, argv=argv))
    assert cli(["dev", "--home", str(tmp_path), "--port", "3999"]) == 0
    assert seen["argv"][:3] == [sys.executable, "-m", "pipelines.cli.dagster_dev"]
    assert seen["argv"][3:] == ["-m", "pipelines.definitions", "--port", "3999"] and seen["file"] == sys.executable
