"""The error a user can fix and the exit statuses: shared by every command module, and kept apart from the
package's entry point so that no command module imports it."""

from __future__ import annotations

EXIT_USAGE, EXIT_FAILED = 2, 1


class CliError(Exception):
    """A problem the user can fix; printed without a traceback."""
