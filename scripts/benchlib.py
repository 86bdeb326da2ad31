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
