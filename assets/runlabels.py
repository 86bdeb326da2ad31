"""How a run is labelled (``ops.runs.mode`` and ``is_sample``), decided once, the same way for every launch path.

A run from `cdpi run`, the Dagster UI's Launchpad, the schedule or a backfill is configured only through its
resources. Reading ``RunSettings.mode`` and ``is_sample`` as given labelled a replay of the synthetic sample,
launched from the UI with only the fetcher's ``replay`` set, as live, real data: its made-up cities then won
``ops.latest_run`` over real runs. So the labels follow what the run reads, and the settings can only make a
run *more* sample, never less:

- ``mode``: ``live`` when the fetcher replays nothing (its data came from the network, whatever the settings
  say); with replay archives, ``sample`` when the settings ask for it (`cdpi run --sample`), else ``replay``.
- ``is_sample``: true when the settings say so, when the mode is ``sample``, when the fetcher marks the WARCs
  it writes as sample data, or when any replayed archive declares itself sample data (warcinfo
  ``cdpi-sample-data: true``, which the built-in sample carries). Synthetic cities are never labelled real.

The archives are read for that field once per run: the answer is kept in this process and in the run's folder,
so a step in a process of its own (``CDPI_EXECUTOR=multiprocess``) does not index a large archive again.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

import dagster as dg

from sources.http.archive import check_replay_archives

#: The modes a run can have (ops.runs.mode).
LIVE, REPLAY, SAMPLE = "live", "replay", "sample"
#: In the run's folder: the labels the run's first step decided, read by its later steps.
LABELS_FILE = "run-labels.json"


@dataclass(frozen=True)
class RunLabels:
    """What ``ops.runs`` records about where a run's data came from."""

    mode: str
    is_sample: bool


def decide_mode(mode: str | None, replay: object) -> str:
    """The mode a run with settings ``mode`` that replays ``replay`` (any non-empty value: archives) is
    recorded with: the one rule both the published labels and the failure rows (pipelines/failures.py) use."""
    return (SAMPLE if mode == SAMPLE else REPLAY) if replay else LIVE


def decide_labels(*, mode: str, is_sample: bool, replay: list[str] | tuple[str, ...],
                  writes_sample: bool = False) -> RunLabels:
    """The labels of a run with these settings (``mode``, ``is_sample``), replaying ``replay`` and writing
    WARCs marked sample data when ``writes_sample``. Reads the archives' warcinfo; raises ValueError, naming
    the path, for an archive a replay cannot use (``check_replay_archives``)."""
    archive_sample = check_replay_archives(list(replay)).sample if replay else False
    decided = decide_mode(mode, replay)
    return RunLabels(decided, bool(is_sample or archive_sample or writes_sample or decided == SAMPLE))


_DECIDED: dict[str, RunLabels] = {}
_LOCK = threading.Lock()


def run_labels(context: dg.AssetExecutionContext) -> RunLabels:
    """This run's labels, from its ``settings`` and ``fetcher`` resources (the asset needs both, and
    ``warehouse``): decided by the run's first step that asks, then the same for every later one."""
    with _LOCK:
        if context.run_id in _DECIDED:
            return _DECIDED[context.run_id]
        res = context.resources
        kept = res.warehouse.paths().run_dir(context.run_id) / LABELS_FILE
        labels = _read(kept)
        if labels is None:
            try:
                labels = decide_labels(mode=res.settings.mode, is_sample=bool(res.settings.is_sample),
                                       replay=list(res.fetcher.replay), writes_sample=bool(res.fetcher.sample_data))
            except ValueError as exc:
                raise dg.Failure(description=f"cannot replay: {exc}") from exc
            _write(kept, labels)
            if labels.mode != res.settings.mode or labels.is_sample != bool(res.settings.is_sample):
                context.log.warning(
                    f"run labelled mode {labels.mode}, is_sample {str(labels.is_sample).lower()} (settings said "
                    f"mode {res.settings.mode}, is_sample {str(bool(res.settings.is_sample)).lower()}): the "
                    "labels follow what the run reads (assets/runlabels.py)")
        _DECIDED[context.run_id] = labels
        return labels


def _read(path: Path) -> RunLabels | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return RunLabels(str(data["mode"]), bool(data["is_sample"]))
    except (OSError, ValueError, KeyError, TypeError):   # absent (the run's first step) or unreadable: decide
        return None


def _write(path: Path, labels: RunLabels) -> None:
    """Written whole or not at all (a temporary file renamed), so a parallel step never reads half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    tmp.write_text(json.dumps(asdict(labels)), encoding="utf-8")
    os.replace(tmp, path)
