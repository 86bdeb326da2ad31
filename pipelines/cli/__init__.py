"""`cdpi`: the command line. `run` runs the pipeline (sample, replay or live) into the home's Dagster
instance and warehouse; `sql`, `runs`, `city`, `history`, `targets`, `export`, `report` and `docs` read the
published warehouse; `correct` records attested corrections; `classify` and `profile-portal` read single
pages and saved portal responses; `dev` starts the Dagster UI. `cdpi --help` lists them with examples.

Every user-facing failure ends with a one-line message and a non-zero exit status, never a traceback.

The commands live in this package by family, so each can be read on its own: parser.py (the arguments,
and which function each sub-command runs), run.py (`cdpi run` and its summary), analyst.py (sql, runs,
docs, export, dev, profile-portal), staff.py (city, targets, history, correct, report), classify.py, and
output.py (tables, records and files the commands write); errors.py and home.py hold what they all share;
dagster_dev.py is the process `cdpi dev` becomes (Dagster's dev command, one warning of it silenced).
This module keeps the entry points, ``main`` and ``entry``, and the names code elsewhere imports from
``pipelines.cli``.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import threading
from typing import NoReturn

from pipelines.cli.analyst import (
    cmd_dev,
    cmd_docs,
    cmd_export,
    cmd_profile_portal,
    cmd_runs,
    cmd_sql,
)
from pipelines.cli.classify import cmd_classify
from pipelines.cli.errors import EXIT_FAILED, EXIT_USAGE, CliError, UsageError
from pipelines.cli.parser import _parser
from pipelines.cli.run import OFFLINE_SHARE, UNARCHIVED_SHARE, _print_run_summary, cmd_run
from pipelines.cli.staff import cmd_city, cmd_correct, cmd_history, cmd_report, cmd_targets, weight_shown

# The command's modules import Great Expectations only inside their functions, so this still comes first.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

#: What other code imports from ``pipelines.cli``: the entry points, the error and exit statuses, every
#: command, and the helpers and constants the tests read.
__all__ = [
    "EXIT_FAILED", "EXIT_USAGE", "OFFLINE_SHARE", "UNARCHIVED_SHARE", "CliError", "UsageError", "_parser",
    "_print_run_summary", "_stdout_closed", "cmd_city", "cmd_classify", "cmd_correct", "cmd_dev", "cmd_docs",
    "cmd_export", "cmd_history", "cmd_profile_portal", "cmd_report", "cmd_run", "cmd_runs", "cmd_sql",
    "cmd_targets", "entry", "main", "weight_shown",
]


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return args.func(args) or 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError as exc:
        if _stdout_closed():  # output piped into head & co.: stop quietly, as Unix tools do
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0
        # Another pipe broke (a worker process, a helper): a failure, never a quiet success.
        print(f"cdpi: error: {_os_error(exc)}", file=sys.stderr)
        return EXIT_FAILED
    except UsageError as exc:
        print(f"cdpi: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (CliError, FileNotFoundError) as exc:
        print(f"cdpi: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except OSError as exc:    # a folder where a file belongs, a missing folder, no permission: the user's to fix
        print(f"cdpi: error: {_os_error(exc)}", file=sys.stderr)
        return EXIT_FAILED
    except Exception as exc:  # warehouse and duckdb errors carry user-meaningful messages
        if _query_interrupted(exc):
            print("interrupted", file=sys.stderr)
            return 130
        import duckdb

        from warehouse.publish import WarehouseError

        if isinstance(exc, WarehouseError | duckdb.Error):
            print(f"cdpi: error: {exc}", file=sys.stderr)
            if isinstance(exc, duckdb.BinderException | duckdb.CatalogException) and args.func is not cmd_sql:
                # Our own query missing a column or a table: a file an older cdpi published, not yet migrated.
                print("cdpi: the published warehouse may predate this version of cdpi: the next `cdpi run` "
                      "brings its schema up to date", file=sys.stderr)
            return EXIT_FAILED
        raise


def _query_interrupted(exc: Exception) -> bool:
    """Whether ``exc`` is a Ctrl-C that reached a DuckDB query: DuckDB stops the query and raises its own
    error in place of the KeyboardInterrupt (a plain ``RuntimeError: Query interrupted`` in DuckDB 2.0).
    A Ctrl-C during the check `cdpi run` makes of the published file before it starts ended in that
    traceback and status 1."""
    return type(exc).__name__ == "InterruptException" or (type(exc) is RuntimeError and str(exc) == "Query interrupted")


def _stdout_closed() -> bool:
    """Whether standard output's reader has gone (a pipe whose reading end is closed reports an error when
    polled): then a broken pipe is the reader's choice, not the command's failure."""
    import select

    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & select.POLLERR for _, events in poller.poll(0))
    except (AttributeError, OSError, ValueError):    # no poll here, or no real standard output
        return True


def _os_error(exc: OSError) -> str:
    """``Is a directory: '/tmp/x'`` rather than ``[Errno 21] Is a directory: '/tmp/x'``; libraries' own
    OSErrors (pandas: "Cannot save file into a non-existent directory") keep their text."""
    if exc.strerror and exc.filename:
        return f"{exc.strerror}: {exc.filename}"
    return str(exc)


def entry() -> NoReturn:
    """The ``cdpi`` command: ``main``, then an exit that skips tearing the interpreter down.

    By the time ``main`` returns, every file, connection and Dagster instance it opened is closed. What a
    normal exit still does is free every object one by one and unload every module: about a second
    after a sample run (dagster, great_expectations, pandas, duckdb and the run's data), longer than many
    of the commands themselves. So the exit handlers are run (log handlers flushed, temporary folders
    removed) and the process ends there. Only when a thread that is not a daemon is still running does
    the exit take the normal path, which waits for it. ``main`` itself stays an ordinary function for
    callers in the same process (the tests), which also keep Python's garbage-collector settings (the
    command tunes them for a long run: pipelines/heap.py)."""
    from pipelines import heap

    heap.configure()
    try:
        code = main()
    except SystemExit as exc:      # argparse's usage errors and --help
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else EXIT_FAILED)
    if any(t is not threading.main_thread() and not t.daemon for t in threading.enumerate()):
        sys.exit(code)
    atexit._run_exitfuncs()        # what a normal exit runs first (logging.shutdown, finalizers)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)
