"""The CDPI home a command works on and its published warehouse, opened read-only: what every command that
reads the warehouse starts from."""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path


def _paths(args: argparse.Namespace):
    """The CDPI home a command works on: --home, else $CDPI_HOME or ./data."""
    from warehouse.paths import WarehousePaths

    return WarehousePaths(Path(args.home).resolve()) if args.home else WarehousePaths.default()


@contextlib.contextmanager
def _published(args: argparse.Namespace):
    """The published warehouse of the command's home, read-only, closed when the block ends."""
    from warehouse.read import connect_published

    con = connect_published(_paths(args))
    try:
        yield con
    finally:
        con.close()
