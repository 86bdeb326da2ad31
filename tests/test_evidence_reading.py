"""Reading pages in worker processes: the same documents and evidence as reading in the crawl's threads, and a
reader process that dies costs the page that killed it and nothing else."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from sources.evidence.reading import READER_DIED, PageReader, read_body
from tests.simweb.formats.pdf import text_pdf

POLICY = (b"<html><head><title>Open Data Policy</title></head><body><nav><a href='/'>Home</a></nav><main>"
          b"<h1>Open Data Policy</h1><p>The City Council adopted an open data policy by ordinance. Each department "
          b"shall publish its datasets on the city's open data portal in machine-readable formats, and the chief "
          b"data officer shall keep an inventory of the city's data.</p><a href='/data'>Open data portal</a>"
          b"</main></body></html>")
BODIES = [
    (POLICY, "text/html; charset=utf-8", "https://www.city.example/open-data-policy"),
    (b"Annual performance report\nMeasure 1: target 90%, actual 94%, on track.\n", "text/plain",
     "https://www.city.example/report.txt"),
    (b"<html><body><p>Pay your water bill online.</p></body></html>", "text/html", "https://www.city.example/pay"),
    (b"\x89PNG\r\n\x1a\n" + bytes(200), "image/png", "https://www.city.example/seal.png"),
    (b"<html><body><div><p>unclosed <b>markup &amp; stray </i> tags", "text/html", "https://www.city.example/bad"),
]
KILL = b"<!-- kill the reader -->"


def _read(reader: PageReader, body: bytes, ctype: str, url: str):
    return reader.read(body, content_type=ctype.split(";")[0], charset_header=ctype, url=url, max_pdf_pages=5)


def read_or_die(body: bytes, **args):
    """The real reader, except that a marked page ends its process at once, as a parser crash would."""
    if KILL in body:
        os._exit(1)
    return read_body(body, **args)


def _pdf() -> tuple[bytes, str, str]:
    lines = [f"Measure {k}: target {90 + k % 7}%, actual {80 + k % 17}%, on track." for k in range(60)]
    return text_pdf(lines, title="Annual Performance Report"), "application/pdf", "https://www.city.example/r.pdf"


def test_reader_processes_read_exactly_what_the_crawl_threads_read() -> None:
    bodies = [*BODIES, _pdf()]
    here = [_read(PageReader(0), *b) for b in bodies]
    with PageReader(1) as reader:
        reader.start()
        there = [_read(reader, *b) for b in bodies]
        assert reader.deaths == 0
    assert there == here
    docs = {url: doc for (_, _, url), (doc, _) in zip(bodies, here, strict=True)}
    assert docs["https://www.city.example/seal.png"] is None
    assert "open_data_policy" in {e.kind for e in here[0][1]}
    assert docs["https://www.city.example/r.pdf"].kind == "pdf" and docs["https://www.city.example/r.pdf"].pages


def test_a_dying_reader_costs_only_the_page_that_killed_it() -> None:
    """Pages in flight when a reader dies are read again one by one: the killer dies again and is recorded as
    not read; every other page, in flight or later, is read normally."""
    killer = (KILL + POLICY, "text/html", "https://www.city.example/crash")
    pages = [*BODIES, killer, *BODIES]
    expected = {i: _read(PageReader(0), *b) for i, b in enumerate(pages) if b is not killer}
    got: dict[int, tuple] = {}
    with PageReader(1, target=read_or_die) as reader:
        threads = [threading.Thread(target=lambda i=i, b=b: got.__setitem__(i, _read(reader, *b)))
                   for i, b in enumerate(pages)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        after = _read(reader, *BODIES[0])       # the next page starts a new pool
        deaths = reader.deaths
    assert {i: v for i, v in got.items() if i != len(BODIES)} == expected
    doc, evidence = got[len(BODIES)]
    assert doc is not None and doc.error == READER_DIED and doc.text == "" and evidence == []
    assert after == expected[0]
    assert deaths >= 2      # the shared pool's process and the one that read the page alone


@pytest.mark.slow
def test_a_crawl_with_reader_processes_gives_the_same_pages_and_evidence(tmp_path: Path) -> None:
    import pandas as pd

    from sources.evidence.crawl import crawl_cities
    from sources.http.fetcher import Fetcher
    from tests.simweb.population import build_population
    from tests.simweb.server import SimWeb, crawl_limits

    pop = build_population(8, seed=3)
    cities = pd.DataFrame([{"geoid": c.geoid, "website_url": c.website} for c in pop.cities if c.website])
    runs = []
    for readers in (0, 1):
        with SimWeb(pop) as sim, Fetcher(sim.fetcher_config(max_crawl_delay_s=0.0),
                                         run_dir=tmp_path / str(readers)) as f:
            runs.append(crawl_cities(f, cities, limits=crawl_limits(), workers=4, readers=readers))
    def same(a: pd.DataFrame, b: pd.DataFrame, key: list[str]) -> None:
        # Fetch times differ, and so may the order of a city's fetches where a shared host gets a turn
        # of its own (the scheduler's timing), and with it the fetch log line an evidence row's fetch_id
        # names: the rows are compared as sets, without those.
        a, b = (x.drop(columns=["fetched_at", "verified_at", "fetch_id"], errors="ignore").sort_values(key)
                .reset_index(drop=True) for x in (a, b))
        pd.testing.assert_frame_equal(a, b)

    (pages0, ev0, _), (pages1, ev1, _) = runs
    assert len(pages0) > 50 and len(ev0) > 5
    same(pages0.drop(columns=["priority", "depth", "found_via"]), pages1.drop(columns=["priority", "depth", "found_via"]),
         ["geoid", "url"])
    same(ev0, ev1, ["geoid", "url", "kind"])


def test_reader_processes_are_asked_for_and_leave_one_cpu_to_the_crawl() -> None:
    from pipelines.resources import CrawlSettings
    from sources.evidence.reading import MAX_AUTO_PROCESSES, auto_processes, reader_count

    for cpus, shares, expected in ((1, 1, 0), (2, 1, 1), (4, 1, 3), (64, 1, MAX_AUTO_PROCESSES), (4, 2, 1), (2, 3, 0)):
        assert reader_count(cpus, shares) == expected, (cpus, shares)
    assert CrawlSettings().readers() == 0        # a library default: scripts without a main guard stay safe
    assert CrawlSettings(reader_processes=-1).readers() == auto_processes()
    assert CrawlSettings(reader_processes=2).readers() == 2
    assert CrawlSettings(reader_processes=-1).readers(shares=2) == auto_processes(shares=2)
    assert CrawlSettings(reader_processes=2).readers(shares=2) == 2     # a number set is each shard's own


def test_a_reader_process_logs_through_the_crawls_process(caplog: pytest.LogCaptureFixture) -> None:
    """pypdf's warning about a damaged PDF, raised in a reader process, reaches this process's loggers (so
    the run's log file, never the terminal), as it did when the crawl's threads read the page."""
    data, ctype, url = _pdf()
    damaged = data[:data.rindex(b"%%EOF")]
    with caplog.at_level("WARNING", logger="pypdf"), PageReader(1) as reader:
        doc, _ = _read(reader, damaged, ctype, url)
    assert doc is not None and doc.kind == "pdf"
    assert any(r.name.startswith("pypdf") and "EOF marker" in r.getMessage() for r in caplog.records), caplog.text


def _processes(reader: PageReader) -> list:
    pool = reader._pool
    return list(pool._processes.values()) if pool is not None else []


def test_readers_started_early_are_taken_warm_by_the_next_crawl_or_closed() -> None:
    """`cdpi run` starts the crawl's readers before its first step: the next reader of that size asked for
    is that one, already running (and reads like any other); one of another size, or one nobody takes, is
    closed, its processes gone."""
    from sources.evidence import reading
    from sources.evidence.reading import started_early

    with started_early(1):
        taken = PageReader.take(1)
        running = _processes(taken)
        assert running, "the early reader's process was not started before the crawl asked for it"
        with taken:
            assert _read(taken, *BODIES[0]) == _read(PageReader(0), *BODIES[0])
        fresh = PageReader.take(1)          # taken once: the next crawl starts its own
        assert fresh is not taken and fresh._pool is None
    assert not any(p.is_alive() for p in running)

    with started_early(2):
        unwanted = _processes(reading._waiting)
        other = PageReader.take(1)          # another size: the waiting one is closed, a new one made
        assert other.processes == 1 and other._pool is None
    assert unwanted and not any(p.is_alive() for p in unwanted)

    with started_early(1):
        left = _processes(reading._waiting)
    assert left and not any(p.is_alive() for p in left)    # nobody took it: closed on leaving
    assert reading._waiting is None


def _running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie waiting to be reaped is not)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return fields[0] != "Z"


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads process states from /proc (Linux)")
def test_reader_processes_end_when_the_crawl_process_is_killed_outright() -> None:
    """A crawl process killed with SIGKILL (as the OOM killer does) runs no clean-up; its reader processes wait on
    their pool's queue, which they hold both ends of, so without a watch they would wait there for ever. They
    end within a few seconds instead."""
    script = textwrap.dedent("""
        import multiprocessing, time
        from sources.evidence.reading import PageReader
        reader = PageReader(2)
        reader.read(b"<p>Open data portal</p>", content_type="text/html", charset_header=None,
                    url="https://www.city.example/", max_pdf_pages=5)
        print(" ".join(str(p.pid) for p in multiprocessing.active_children()), flush=True)
        time.sleep(300)
    """)
    crawl = subprocess.Popen([sys.executable, "-c", script], cwd=Path(__file__).resolve().parents[1],
                             stdout=subprocess.PIPE, text=True)
    try:
        readers = [int(pid) for pid in crawl.stdout.readline().split()]
        assert readers and all(_running(pid) for pid in readers)
    finally:
        os.kill(crawl.pid, signal.SIGKILL)
        crawl.wait(timeout=30)
        crawl.stdout.close()
    deadline = time.monotonic() + 15
    while any(_running(pid) for pid in readers) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = [pid for pid in readers if _running(pid)]
    for pid in left:                    # never leave them behind, even when the assertion fails
        os.kill(pid, signal.SIGKILL)
    assert not left, f"reader processes {left} outlived their crawl process"


def test_a_readers_record_that_no_handler_takes_never_reaches_the_terminal(
        monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]) -> None:
    """After a run detaches its log file (a Ctrl-C ended it), a reader still finishing a page sent pypdf's
    'EOF marker not found' to Python's last-resort handler: a line on the terminal below 'interrupted'."""
    from sources.evidence.reading import _Redispatch

    record = logging.LogRecord("pypdf._reader", logging.WARNING, __file__, 1, "EOF marker not found", None, None)
    monkeypatch.setattr(logging.getLogger(), "handlers", [])
    monkeypatch.setattr(logging.getLogger("pypdf"), "propagate", True)
    _Redispatch().handle(record)
    assert "EOF marker" not in capfd.readouterr().err

    seen: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = seen.append  # type: ignore[method-assign]
    monkeypatch.setattr(logging.getLogger(), "handlers", [handler])
    _Redispatch().handle(record)
    assert [r.getMessage() for r in seen] == ["EOF marker not found"]
