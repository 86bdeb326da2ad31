"""`dagster dev` as `cdpi dev` starts it: in a process of its own (`cdpi dev` replaces itself with
``python -m pipelines.cli.dagster_dev ...``), with one warning of Dagster's silenced.

Dagster 1.x marks its ``dev_command`` as superseded by ``dg dev`` and says so on stderr at every start. That
``dg`` is another package (dagster-dg), which cdpi does not install, so the line only told a user of
`cdpi dev` to use a command they do not have. Only that warning is ignored, by category and message, and
only around the call: every other warning, another SupersessionWarning included, is shown as before.
"""

from __future__ import annotations

import sys
import warnings

#: The start of Dagster's message for ``dev_command`` (its name in backticks or not, across versions).
SUPERSEDED_DEV = r"Function `?dev_command`? is superseded"


def run_dev(argv: list[str]) -> int:
    """Run ``dagster dev ARGV`` in this process until it stops; its exit status. Blocks while the UI and
    daemon run (they are child processes of this one)."""
    from dagster import SupersessionWarning
    from dagster._cli.dev import dev_command  # the click command behind `dagster dev`

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=SUPERSEDED_DEV, category=SupersessionWarning)
        try:
            # auto_envvar_prefix: what the `dagster` script passes, so DAGSTER_CLI_* settings still apply.
            dev_command.main(args=argv, prog_name="dagster dev", auto_envvar_prefix="DAGSTER_CLI")
        except SystemExit as exc:     # click's standalone mode ends with it, the status in its code
            return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


if __name__ == "__main__":  # pragma: no cover - cdpi dev execs this module
    sys.exit(run_dev(sys.argv[1:]))
