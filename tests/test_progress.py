"""Stage progress: what Dagster and the terminal are told while a long stage runs."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest

from assets.progress import StageProgress, set_terminal
from sources.http.fetcher import Fetcher
from tests.simweb.population import build_population
from tests.simweb.server import SimWeb
from tests.test_fetcher_simweb import _config


class _Log:
    """Dagster's ``context.log`` as far as progress uses it: info lines, kept to be read, with the thread
    that wrote each (Dagster's SQLite event log must be written from the step's thread)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.threads: set[int] = set()

    def info(self, message: str) -> None:
        self.lines.append(message)
        self.threads.add(threading.get_ident())


class _Context:
    def __init__(self) -> None:
        self.log = _Log()


class _Bar:
    def __init__(self, label: str) -> None:
        self.label, self.updates, self.milestones, self.closed = label, [], [], None

    def update(self, done: int, total: int, note: str) -> None:
        self.updates.append((done, total))

    def milestone(self, line: str) -> None:
        self.milestones.append(line)

    def close(self, line: str) -> None:
        self.closed = line


@pytest.fixture
def bars():
    made: list[_Bar] = []

    def factory(label: str) -> _Bar:
        made.append(_Bar(label))
        return made[-1]

    set_terminal(factory)
    yield made
    set_terminal(None)


def test_dagster_hears_each_tenth_once_and_the_close_adds_no_repeat(bars: list[_Bar]) -> None:
    context = _Context()

    def crawl(progress: StageProgress) -> str:
        workers = [threading.Thread(target=lambda k=k: [progress(d, 1000) for d in range(k, 1001, 4)])
                   for k in range(1, 5)]
        progress(0, 1000)
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        return "done"

    with StageProgress(context, "website crawl", "cities", log_every_s=3600) as stage:
        assert stage.call(crawl, stage) == "done"
    assert context.log.threads == {threading.get_ident()}, "Dagster is only written from the step's thread"
    assert len(context.log.lines) == 10, context.log.lines
    assert re.match(r"website crawl: 10\d/1,000 cities", context.log.lines[0]), "the first tenth, as threads report"
    assert context.log.lines[-1].startswith("website crawl: 1,000/1,000 cities")
    [bar] = bars
    assert bar.label == "website crawl" and len(bar.updates) == 1001 and max(bar.updates) == (1000, 1000)
    assert bar.milestones == context.log.lines and bar.closed.startswith("website crawl: 1,000/1,000")
    assert stage.close()["cities_done"] == 1000, "closing twice returns the same figures"


def test_a_stalled_stage_is_still_reported_by_time_and_never_goes_backwards() -> None:
    context = _Context()
    stage = StageProgress(context, "portal hosts", "hosts", log_every_s=0.0)
    stage.call(lambda: (stage(5, 400), stage(4, 400)))    # the second: a slower thread reporting late
    assert stage.done == 5 and len(context.log.lines) == 2, "every call is due when the interval is zero"
    figures = stage.close()
    assert figures == {"hosts_done": 5, "hosts_total": 400, "stage_seconds": figures["stage_seconds"]}
    assert context.log.lines[-1].startswith("portal hosts: 5/400 hosts"), "an unfinished stage says where it stopped"


def test_no_terminal_and_no_context_is_silent_and_still_counts() -> None:
    stage = StageProgress(None, "home pages", "cities")
    stage(3, 3)
    assert stage.close()["cities_done"] == 3


def test_a_failing_stage_raises_in_the_steps_thread_with_its_lines_delivered() -> None:
    context = _Context()
    stage = StageProgress(context, "website crawl", "cities", log_every_s=0.0)

    def broken() -> None:
        stage(1, 10)
        raise RuntimeError("parser bug")

    with pytest.raises(RuntimeError, match="parser bug"):
        stage.call(broken)
    assert context.log.lines == ["website crawl: 1/10 cities, 0 s"]


def test_fetch_many_reports_every_fetch_and_the_fetcher_counts_requests(tmp_path: Path) -> None:
    """Real fetches on the simulated web: the callback starts at 0 and ends at the total, and the figures
    of the stage are the fetcher's own count of requests (robots.txt included) and of failures."""
    pop = build_population(6, seed=3)
    sites = [c for c in pop.cities if c.website_host][:3]
    urls = [f"https://{c.website_host}/" for c in sites] + [f"https://{sites[0].website_host}/no-such-page"]
    calls: list[tuple[int, int]] = []
    lock = threading.Lock()

    with SimWeb(pop) as sim, Fetcher(_config(sim), run_dir=tmp_path) as f:
        context = _Context()
        with StageProgress(context, "home pages", "cities", f) as stage:
            def progress(done: int, total: int) -> None:
                with lock:
                    calls.append((done, total))
                stage(done, total)

            results = stage.call(f.fetch_many, urls, progress=progress)
        figures = stage.close()
        served = sim.stats()["requests"]
    assert calls[0] == (0, 4) and sorted(calls)[-1] == (4, 4) and len(calls) == 5
    assert figures["requests"] == len(served), "robots.txt requests count too"
    assert figures["requests_without_answer"] == sum(not r.ok for r in results) == 1
    assert f"{len(served)} requests" in context.log.lines[-1]
