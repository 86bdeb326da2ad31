"""Benchmark: the memory a replay costs for archived bodies stored as other crawlers store them.

Our own archives keep bodies decoded; an archive from another crawler may keep one with ``Transfer-Encoding:
chunked`` and ``Content-Encoding: gzip`` as it came off the wire. Each case below is a WARC holding one such
response, replayed under a 1 MB byte cap (``FetcherConfig.max_bytes``) in a fresh process:

* ``index``: the file indexed record by record (no index kept beside it yet);
* ``replay``: the index loaded, then the one URL fetched through the replaying Fetcher.

Each figure is how far the process's peak RSS rose above its RSS just before the step (the peak is reset
there through Linux's ``clear_refs``; elsewhere ``getrusage``'s peak so far is the base), so the interpreter
and libraries do not count. Results go to docs/BENCHMARKS.md (section
"Replay memory") and docs/benchmarks.json (key "replay_memory").

    python scripts/bench_replay_memory.py [--cap-mb 1] [--no-write] [--json-out F] [--baseline F] [--label L]

To compare with an earlier version: run it there with ``--no-write --json-out before.json --label "<commit>"``,
then here with ``--baseline before.json``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scripts.benchlib import REPO, machine_facts, machine_line, peak_rss_kb, write_json, write_section  # noqa: E402

URL = "https://www.a.example/body"
_stored = 0   # size of the stored body of the WARC ``build`` wrote last
MB = 1024 * 1024

#: (name, what it is) in the order of the table.
CASES = [
    ("chunk40", "one 40 MB chunk (`Transfer-Encoding: chunked`, incompressible bytes)"),
    ("chunked_gzip60", "chunked gzip body inflating to 60 MB (one chunk)"),
    ("bomb", "gzip bomb: 1 GB of zeros, about 1 MB compressed (`Content-Encoding: gzip`)"),
    ("plain40", "plain 40 MB body (incompressible, stored as sent)"),
    ("plain60_text", "plain 60 MB body of repeated text (its WARC gzip member inflates about 1,000 times)"),
]


def _noise(n: int) -> Iterator[bytes]:
    for _ in range(n // MB):
        yield os.urandom(MB)


def _text(n: int) -> Iterator[bytes]:
    block = (b"<p>a page of a city website</p>\n" * (MB // 32 + 1))[:MB]
    for _ in range(n // MB):
        yield block


def _gzip(pieces: Iterator[bytes]) -> Iterator[bytes]:
    z = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    for piece in pieces:
        out = z.compress(piece)
        if out:
            yield out
    yield z.flush()


def _payload(case: str, path: Path) -> tuple[list[tuple[str, str]], Path]:
    """The stored HTTP body of ``case`` written to ``path`` (as the other crawler would keep it), and the
    HTTP headers that describe it."""
    headers = [("Content-Type", "text/html")]
    with open(path, "wb") as out:
        if case == "chunk40":
            headers.append(("Transfer-Encoding", "chunked"))
            out.write(b"%x\r\n" % (40 * MB))
            for piece in _noise(40 * MB):
                out.write(piece)
            out.write(b"\r\n0\r\n\r\n")
        elif case == "chunked_gzip60":
            headers += [("Transfer-Encoding", "chunked"), ("Content-Encoding", "gzip")]
            data = b"".join(_gzip(_text(60 * MB)))   # small: text compresses about 1,000 times
            out.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(data), data))
        elif case == "bomb":
            headers.append(("Content-Encoding", "gzip"))
            zeros = (bytes(MB) for _ in range(1024))
            for piece in _gzip(zeros):
                out.write(piece)
        elif case == "plain40":
            for piece in _noise(40 * MB):
                out.write(piece)
        else:
            for piece in _text(60 * MB):
                out.write(piece)
    return headers, path


def build(case: str, directory: Path) -> Path:
    """A WARC (one gzip member per record) holding one response for ``URL`` and its request."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    headers, body = _payload(case, directory / f"{case}.body")
    warc = directory / f"{case}.warc.gz"
    with open(warc, "wb") as fh, open(body, "rb") as payload:
        writer = WARCWriter(fh, gzip=True)
        resp = writer.create_warc_record(URL, "response", payload=payload, length=body.stat().st_size,
                                         http_headers=StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1"))
        writer.write_record(resp)
        writer.write_record(writer.create_warc_record(
            URL, "request", payload=__import__("io").BytesIO(b""),
            http_headers=StatusAndHeaders("GET /body HTTP/1.1", [("Host", "www.a.example")], is_http_request=True),
            warc_headers_dict={"WARC-Concurrent-To": resp.rec_headers.get_header("WARC-Record-ID")}))
    global _stored
    _stored = body.stat().st_size
    body.unlink()
    return warc


def _rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return peak_rss_kb()


def _start() -> int:
    """Where the measured step starts: the high-water mark is reset to the RSS now (Linux, ``clear_refs``),
    so what the process did before (imports, writing nothing) cannot hide the step's own peak; that RSS is
    returned. Where the mark cannot be reset, the peak so far (``getrusage``) is the base."""
    gc.collect()
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return _rss_kb()
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child(mode: str, warc: str, cap: int) -> dict:
    """Run in a fresh process: index ``warc``, or replay its one URL under ``cap``; the peak RSS growth."""
    from sources.http import replay_sidecar
    from sources.http.archive import ReplayIndex
    from sources.http.config import FetcherConfig
    from sources.http.fetcher import Fetcher

    if mode == "index":
        replay_sidecar.path_for(Path(warc)).unlink(missing_ok=True)
        base = _start()
        started = time.monotonic()
        ReplayIndex([warc])
        return {"kb": peak_rss_kb() - base, "s": time.monotonic() - started}
    with Fetcher(FetcherConfig(replay=(warc,), max_bytes=cap, obey_robots=False)) as fetcher:
        base = _start()
        started = time.monotonic()
        result = fetcher.get(URL)
        return {"kb": peak_rss_kb() - base, "s": time.monotonic() - started, "outcome": result.outcome.value,
                "bytes": len(result.body), "error": result.error}


def measure(directory: Path, cap: int) -> dict:
    out = {}
    for case, _ in CASES:
        warc = build(case, directory)
        row: dict = {"warc_mb": round(warc.stat().st_size / MB, 3), "body_mb": round(_stored / MB, 3)}
        for mode in ("index", "replay"):
            proc = subprocess.run([sys.executable, __file__, "--child", mode, str(warc), str(cap)],
                                  capture_output=True, text=True, check=True, cwd=REPO)
            got = json.loads(proc.stdout.strip().splitlines()[-1])
            row[mode] = got
        out[case] = row
        warc.unlink()
        for side in directory.glob(f"{case}.warc.gz*"):
            side.unlink()
        print(case, json.dumps(row), flush=True)
    return out


def _mb(kb: int) -> str:
    return f"{max(kb, 0) / 1024:.1f}"


def section(results: dict, cap: int, facts: dict, baseline: dict | None = None) -> str:
    lines = ["## Replay memory", "",
             "Command: `python scripts/bench_replay_memory.py`", "", machine_line(facts), "",
             f"One WARC per case, one response stored as another crawler may store it, replayed under a "
             f"{cap // MB} MB byte cap (`max_bytes`), each step in a fresh process: **index**, the file indexed "
             "record by record (no index kept beside it yet); **replay**, the one URL fetched through the replaying "
             "Fetcher (index loaded). Peak RSS growth: how far the process's peak RSS rose above its RSS just "
             "before the step (the peak is reset there), so the interpreter and libraries do not count. Each "
             "stored body is over the cap, so each replay ends as too_large: the figure is what it cost to find "
             "that out.", "",
             "| stored body | stored MB | WARC MB | index: peak RSS growth MB | index s | replay: peak RSS growth MB | replay s "
             "| replay outcome |",
             "|---|---:|---:|---:|---:|---:|---:|---|"]

    def figures(r: dict, b: dict | None, mode: str, key: str) -> str:
        now = _mb(r[mode][key]) if key == "kb" else f"{r[mode][key]:.3f}"
        if b is None:
            return now
        was = _mb(b[mode][key]) if key == "kb" else f"{b[mode][key]:.3f}"
        return f"{now} (was {was})"

    for case, what in CASES:
        r, b = results[case], (baseline or {}).get("cases", {}).get(case)
        lines.append(f"| {what} | {r['body_mb']} | {r['warc_mb']} | {figures(r, b, 'index', 'kb')} | "
                     f"{figures(r, b, 'index', 's')} | {figures(r, b, 'replay', 'kb')} | {figures(r, b, 'replay', 's')} "
                     f"| {r['replay']['outcome']} |")
    if baseline is not None:
        lines += ["", f"\"was\": {baseline.get('label') or 'the baseline'}, measured the same way on the same "
                  f"machine ({baseline['machine']['date']})."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cap-mb", type=int, default=1)
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/ alone")
    parser.add_argument("--json-out", type=Path, help="also write the figures to this JSON file")
    parser.add_argument("--baseline", type=Path,
                        help="figures of an earlier version (a --json-out file) to show beside these, as \"was\"")
    parser.add_argument("--label", default="", help="what the figures are of, kept in --json-out (e.g. a commit)")
    parser.add_argument("--child", nargs=3, metavar=("MODE", "WARC", "CAP"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, warc, cap = args.child
        print(json.dumps(child(mode, warc, int(cap))))
        return
    cap = args.cap_mb * MB
    with tempfile.TemporaryDirectory(prefix="cdpi-replay-memory-") as tmp:
        results = measure(Path(tmp), cap)
    facts = machine_facts()
    payload = {"cap_bytes": cap, "machine": facts, "label": args.label, "cases": results}
    if args.json_out:
        args.json_out.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    if not args.no_write:
        baseline = json.loads(args.baseline.read_text()) if args.baseline else None
        write_section("Replay memory", section(results, cap, facts, baseline))
        write_json("replay_memory", {**payload, "baseline": baseline})


if __name__ == "__main__":
    main()
