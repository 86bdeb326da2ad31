"""`python -m pipelines.cli`: the `cdpi` command (the tests start runs this way). Guarded: a process
started by spawn imports the main module again, and must not run the command a second time."""

from pipelines.cli import entry

if __name__ == "__main__":  # pragma: no cover
    entry()
