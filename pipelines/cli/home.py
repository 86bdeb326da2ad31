"""The CDPI home a command works on and its published warehouse, opened read-only: what every command that
reads the warehouse starts from."""

from __future__ import annotations

import argparse
import contextlib
import os
from pathlib import Path

from pipelines.cli.errors import CliError


def _paths(args: argparse.Namespace):
    """The CDPI home a command works on: --home, else $CDPI_HOME or ./data."""
    from warehouse.paths import WarehousePaths

    paths = WarehousePaths(Path(args.home).resolve()) if args.home else WarehousePaths.default()
    check_home(paths.home, "--home" if args.home else "CDPI_HOME")
    return paths


def check_home(home: Path, named_by: str) -> None:
    """A home (or a folder it would be made in) that is a file: one line naming the setting, not the
    ``File exists`` or ``Not a directory`` of the first folder a command would make in it."""
    if named_by == "CDPI_HOME" and "CDPI_HOME" not in os.environ:
        named_by = "the default home (./data)"
    for folder in (home, *home.parents):
        if folder.exists():
            if not folder.is_dir():
                where = "" if folder == home else f" ({folder} is a file)"
                raise CliError(f"{named_by} names a file, not a folder: {home}{where}")
            return


def check_input_file(path: Path, named_by: str) -> None:
    """A file a run reads, checked before the run starts (not at its step, as a Dagster error): there, a
    regular file this process can read."""
    if not path.exists():
        raise CliError(f"{named_by} not found: {path}")
    if not path.is_file():
        raise CliError(f"{named_by} names a folder, not a file: {path}")
    if not os.access(path, os.R_OK):
        raise CliError(f"{named_by} cannot be read (no permission): {path}")


@contextlib.contextmanager
def _published(args: argparse.Namespace):
    """The published warehouse of the command's home, read-only, closed when the block ends."""
    from warehouse.read import connect_published

    con = connect_published(_paths(args))
    try:
        yield con
    finally:
        con.close()
