"""The error a user can fix and the exit statuses: shared by every command module, and kept apart from the
package's entry point so that no command module imports it."""

from __future__ import annotations

EXIT_USAGE, EXIT_FAILED = 2, 1


class CliError(Exception):
    """A problem the user can fix; printed without a traceback."""


class UsageError(CliError):
    """A setting the command cannot start with (an environment variable out of range): one line, and the
    exit status of a usage error, as argparse gives a bad option."""


def check_environment() -> None:
    """UsageError for a ``CDPI_CRAWL_SHARDS`` or ``CDPI_EXECUTOR`` the definitions would refuse when they
    load: checked before they load, so the user sees one line, not a traceback or a UI without the code."""
    from pipelines.environment import check_environment as check

    try:
        check()
    except ValueError as exc:
        raise UsageError(str(exc)) from None
