"""The `cdpi` command's exit (``pipelines.cli.entry``): it skips tearing the interpreter down, so it must
still return the status ``main`` chose, deliver every byte of output, run the exit handlers, and wait
for a thread that is still working."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _cdpi(*args: str, prelude: str = "") -> subprocess.CompletedProcess:
    code = ("import sys\n" + prelude + "\nimport pipelines.cli as cli\n"
            f"sys.argv = ['cdpi', *{list(args)!r}]\ncli.entry()\n")
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)


def test_statuses_are_the_ones_main_chose(tmp_path: Path) -> None:
    ok = _cdpi("--version")
    assert ok.returncode == 0 and ok.stdout.startswith("cdpi ")
    usage = _cdpi("--bogus")
    assert usage.returncode == 2 and "unrecognized arguments: --bogus" in usage.stderr
    failed = _cdpi("run", "--replay", str(tmp_path / "missing"), "--home", str(tmp_path / "home"))
    assert failed.returncode == 1
    assert failed.stderr.strip().splitlines() == [f"cdpi: error: replay archive not found: {tmp_path / 'missing'}"]


def test_every_byte_of_output_arrives_when_piped() -> None:
    from pipelines.cli import _parser

    out = _cdpi("--help")
    assert out.returncode == 0
    assert out.stdout == _parser().format_help()   # the whole text, its last line included


def test_exit_handlers_run_and_a_working_thread_is_waited_for() -> None:
    handler = _cdpi("--version", prelude="import atexit\natexit.register(lambda: print('handler ran'))")
    assert handler.returncode == 0 and handler.stdout.splitlines()[-1] == "handler ran"
    late = _cdpi("--version", prelude="import threading, time\n"
                                      "threading.Thread(target=lambda: (time.sleep(0.5), print('thread done'))).start()")
    assert late.returncode == 0 and "thread done" in late.stdout
