"""What every benchmark script shares: machine facts, peak memory, and writing its section of
docs/BENCHMARKS.md and its key of docs/benchmarks.json without touching the others'."""

from __future__ import annotations

import json
import os
import platform as pyplatform
import re
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs" / "BENCHMARKS.md"
JSON_OUT = REPO / "docs" / "benchmarks.json"


def machine_facts() -> dict:
    return {"python": pyplatform.python_version(), "machine": pyplatform.machine(), "cpus": os.cpu_count(),
            "system": f"{pyplatform.system()} {pyplatform.release()}", "date": datetime.now(UTC).date().isoformat()}


def machine_line(facts: dict) -> str:
    return (f"Machine: {facts['system']}, {facts['machine']}, {facts['cpus']} CPUs, Python {facts['python']}; "
            f"measured {facts['date']}.")


def peak_rss_kb() -> int:
    """This process's RSS high-water mark. VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec, so a
    child started by a big parent would report the parent's peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def write_section(section: str, body: str) -> None:
    """Replace (or append) the ``## section`` of docs/BENCHMARKS.md; ``body`` starts with that heading."""
    text = DOCS.read_text(encoding="utf-8") if DOCS.exists() else "# Benchmarks\n\nFigures measured by `make bench`.\n"
    pattern = re.compile(rf"## {re.escape(section)}\n.*?(?=\n## |\Z)", re.S)
    text = pattern.sub(lambda _: body.rstrip("\n") + "\n", text) if pattern.search(text) else \
        text.rstrip("\n") + "\n\n" + body
    DOCS.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


def write_json(key: str, payload: dict) -> None:
    data = json.loads(JSON_OUT.read_text()) if JSON_OUT.exists() else {}
    data[key] = payload
    JSON_OUT.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


class TreeMemory:
    """The peak, over a process's lifetime, of the memory its whole process tree holds (the process, the
    reader processes it starts, Dagster's helpers), sampled every ``every`` seconds on a thread. PSS, not
    RSS: a library page shared by two processes counts once, split between them. ``peak_mb`` stays None
    where /proc is not there to read."""

    def __init__(self, pid: int, every: float = 0.05) -> None:
        import threading

        self.pid, self.every = pid, every
        self.peak_mb: float | None = None
        self.most_processes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.is_set():
            pids = _tree(self.pid)
            kb = [_pss_kb(p) for p in pids]
            known = [k for k in kb if k is not None]
            if known:
                self.peak_mb = max(self.peak_mb or 0.0, sum(known) / 1024)
                self.most_processes = max(self.most_processes, len(known))
            self._stop.wait(self.every)


def _tree(pid: int) -> list[int]:
    out = [pid]
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            for child in Path(f"/proc/{pid}/task/{task}/children").read_text().split():
                out += _tree(int(child))
    except OSError:
        pass
    return out


def _pss_kb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None
