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
