"""Each run's log file, ``$CDPI_HOME/runs/<run_id>/run.log``: the terminal keeps the progress and the closing
summary, the file keeps everything else.

Two kinds of records go there: Dagster's own (every event of the run, at DEBUG by default: what the UI
shows, readable without it) through the ``run_log`` logger below, and every other library's log records
and Python warnings (pypdf's "EOF marker not found" on truncated PDFs, Great Expectations, urllib3), which
would otherwise reach the terminal through Python's last-resort handler. The logger attaches the file to the
root logger when Dagster starts it, in whichever process runs steps (the `cdpi run` process, each step
process of ``--workers N``, a run worker of `cdpi dev`), so no process of a run writes elsewhere.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import dagster as dg

from warehouse.paths import WarehousePaths, cdpi_home

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_lock = threading.Lock()
_active: logging.FileHandler | None = None


def attach(path: Path) -> logging.FileHandler:
    """The file handler of the run logging to ``path``, also installed on the root logger (once per
    process and run: Dagster starts its loggers more than once per run)."""
    global _active
    with _lock:
        if _active is not None and Path(_active.baseFilename) == path.resolve():
            return _active
        _detach_locked()
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8", delay=True)
        handler.setFormatter(logging.Formatter(_FORMAT))
        logging.getLogger().addHandler(handler)
        logging.captureWarnings(True)   # warnings.warn(...) -> logger "py.warnings" -> the file
        _active = handler
        return handler


def detach() -> None:
    """Stop writing to the run's file (the `cdpi run` process calls this when the run ends; step and run
    worker processes simply exit)."""
    with _lock:
        _detach_locked()


def _detach_locked() -> None:
    global _active
    if _active is None:
        return
    logging.getLogger().removeHandler(_active)
    logging.captureWarnings(False)
    _active.close()
    _active = None


@dg.logger(
    config_schema={
        "home": dg.Field(str, default_value="", description="cdpi home of the run folder; empty: $CDPI_HOME"),
        "log_level": dg.Field(str, default_value="DEBUG", description="Threshold of Dagster's records"),
    },
    description="Writes the run's Dagster events, and every library's log records, to runs/<run_id>/run.log.",
)
def run_log(init_context: dg.InitLoggerContext) -> logging.Logger:
    config = init_context.logger_config
    level = logging.getLevelName(str(config["log_level"]).upper())
    logger = logging.Logger("dagster", level=level if isinstance(level, int) else logging.DEBUG)
    if init_context.run_id is None:   # a logger built outside a run (tests): nowhere to write
        logger.addHandler(logging.NullHandler())
        return logger
    paths = WarehousePaths(Path(config["home"]).resolve() if config["home"] else cdpi_home())
    logger.addHandler(attach(paths.run_log(init_context.run_id)))
    return logger
