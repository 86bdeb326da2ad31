"""Which code made a run: the version a run records (ops.runs.cdpi_version) and `cdpi --version` prints.

The package version alone does not name the code: it changes at releases, while rules and scoring change
with commits. Run from a git checkout (how the project is installed today: `make install` is editable),
the version carries the commit, and ``.dirty`` when tracked files differ from it, so a citation pins the
code that produced the figures.
"""

from __future__ import annotations

import subprocess
from functools import cache
from importlib import metadata
from pathlib import Path

#: The checkout this package runs from, when it runs from one.
_ROOT = Path(__file__).resolve().parents[1]
_GIT_TIMEOUT_S = 5.0


@cache
def cdpi_version() -> str:
    """``0.1.0+g<12 hex digits>[.dirty]`` from a git checkout, the package version otherwise."""
    try:
        version = metadata.version("cdpi")
    except metadata.PackageNotFoundError:
        version = "unknown"
    commit = _commit()
    return f"{version}+g{commit}" if commit else version


def _commit() -> str | None:
    """The checkout's commit (12 digits, ``.dirty`` appended when tracked files differ), or None when this
    is not a checkout or git cannot say (not installed, too slow): the package version then stands alone."""
    if not (_ROOT / ".git").exists():
        return None
    try:
        head = _git("rev-parse", "--short=12", "HEAD")
        changed = _git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return None
    return head + (".dirty" if changed else "") if head else None


def _git(*args: str) -> str:
    done = subprocess.run(["git", "-C", str(_ROOT), *args], capture_output=True, text=True, check=True,
                          timeout=_GIT_TIMEOUT_S)
    return done.stdout.strip()
