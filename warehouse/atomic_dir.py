"""Folders published whole (snapshot exports, the report): readers see the old folder or the new one,
and a killed writer leaves nothing that the next writer does not clean up."""

from __future__ import annotations

import contextlib
import fcntl
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def building(target: Path, marker: str) -> Iterator[Path]:
    """A fresh work folder beside ``target``; on success it replaces ``target``, on any error it is
    removed. Writers of one target are serialised by a lock file, and leftovers of a writer killed
    earlier (work folders, a half-done swap) are repaired first.

    ``marker`` names a file every build writes: a non-empty ``target`` without it is somebody else's
    folder (a user's ``--out ~/Documents``) and is refused, never replaced. So is a file (or a link) where
    the folder or one of its parents would go: it would be moved aside and lost, not written into."""
    target = Path(target)
    for place in (target, *target.parents):       # the target, or the nearest of its folders that exists
        if place.is_symlink() and place == target or place.exists() and not place.is_dir():
            raise ValueError(f"{place} is {'a link' if place.is_symlink() else 'a file'}, not a folder; "
                             "choose a new or empty folder")
        if place.exists():
            break
    if target.is_dir() and any(target.iterdir()) and not (target / marker).exists():
        raise ValueError(f"{target} is not empty and was not written by cdpi (no {marker}); "
                         "choose a new or empty folder")
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / f".{target.name}.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _recover(target)
        work = Path(tempfile.mkdtemp(prefix=f".{target.name}-work-", dir=target.parent))
        work.chmod(0o755)
        try:
            yield work
            (work / marker).touch()
            _swap(work, target)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise


def _swap(new: Path, target: Path) -> None:
    old = target.with_name(f".{target.name}-old")
    if target.exists():
        target.rename(old)
    new.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def _recover(target: Path) -> None:
    """Undo what a killed writer left: an old folder moved aside but no new one in place is put back;
    work folders and old copies are removed."""
    old = target.with_name(f".{target.name}-old")
    if old.exists() and not target.exists():
        old.rename(target)
    shutil.rmtree(old, ignore_errors=True)
    for leftover in target.parent.glob(f".{target.name}-work-*"):
        shutil.rmtree(leftover, ignore_errors=True)
