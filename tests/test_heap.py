"""The garbage-collector settings of the `cdpi` command (pipelines/heap.py): applied by the command only,
never by an import or inside a test process, and the collector always on again after the build."""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines import heap

REPO = Path(__file__).resolve().parents[1]


def _python(code: str, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                          timeout=timeout)


def test_an_untuned_process_keeps_pythons_collector() -> None:
    threshold, frozen, enabled = gc.get_threshold(), gc.get_freeze_count(), gc.isenabled()
    with heap.long_lived():
        kept = [{"page": i} for i in range(1000)]
    assert (gc.get_threshold(), gc.get_freeze_count(), gc.isenabled()) == (threshold, frozen, enabled)
    assert len(kept) == 1000


def _tuned(body: str) -> str:
    """``body`` run in a fresh process the way the command tunes it; its standard output."""
    out = _python("import gc\nfrom pipelines import heap\nheap.configure()\n" + body)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_a_tuned_process_freezes_what_the_block_built_and_collects_again_after() -> None:
    out = _tuned("before = gc.get_freeze_count()\n"
                 "with heap.long_lived():\n    assert not gc.isenabled()\n    kept = [[i] for i in range(50_000)]\n"
                 "print(gc.get_freeze_count() - before >= 50_000, gc.isenabled(), gc.get_threshold()[0])\n")
    assert out.split() == ["True", "True", str(heap.YOUNG_THRESHOLD)]


def test_the_collector_is_on_again_when_the_build_fails() -> None:
    out = _tuned("try:\n    with heap.long_lived():\n        raise ValueError('suite broken')\n"
                 "except ValueError as exc:\n    print(exc, gc.isenabled())\n")
    assert out == "suite broken True"


@pytest.mark.slow
def test_the_cdpi_command_runs_the_pipeline_with_the_run_long_objects_frozen(tmp_path: Path) -> None:
    # What the command froze, read by an exit handler (``entry`` runs them before it ends the process):
    # the imports, the replay index and every registered GX suite, hundreds of thousands of objects.
    code = ("import atexit, gc, sys\n"
            "atexit.register(lambda: print('frozen', gc.get_freeze_count(), gc.get_threshold()[0]))\n"
            "import pipelines.cli as cli\n"
            f"sys.argv = ['cdpi', 'run', '--sample', '--limit', '2', '--home', {str(tmp_path / 'home')!r}, "
            "'--quiet']\ncli.entry()\n")
    out = _python(code, timeout=300)
    assert out.returncode == 0, out.stderr
    label, frozen, young = out.stdout.split()[-3:]
    assert label == "frozen" and int(frozen) > 200_000 and int(young) == heap.YOUNG_THRESHOLD
