"""Reading a fetched body into a document and its evidence, on the crawl's own threads or in worker processes.

Why processes: a crawl's threads mostly wait on hosts, but reading what they bring back (building a bs4
tree, pypdf, the classifier's regexes) is Python work that holds the GIL, so on the sample run it was half
of the crawl and ran on one core however many were free. Reading is a pure function of the response's
bytes, so it moves to a process pool unchanged: each crawl thread hands its page over and waits, and the
other threads fetch meanwhile. The pages and evidence are the same either way (a test holds both).

A reader process that dies (a parser crash, the kernel's OOM killer) breaks the pool for every page in
flight. Each of those pages is read again, alone, in a process of its own: the page that killed the pool
kills that one too and is recorded with an ``extract_error`` saying so; the others read normally. The
next page starts a new pool. Nothing is read in the crawl's own process after a death, since the page
that caused it would take the whole run down. The other way round, a crawl process killed outright
takes its readers with it: each ends once its parent is gone (:func:`_exit_with`).

A process about to run a whole pipeline can start its readers early (:func:`started_early`): they import
their parsers while the steps before the crawl run, on a CPU those steps leave idle, and the crawl takes
them warm (:meth:`PageReader.take`) instead of waiting half a second for new ones.

Log records of a reader process (pypdf's warnings about damaged files, say) are sent back and handled by
the crawl's process, so they land where its own records go (the run's log file), never on the terminal.
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from sources.evidence.classify import Evidence, classify, load_rules
from sources.evidence.documents import Document, decode, load, sniff

_log = logging.getLogger(__name__)

READER_DIED = ("the reader process died reading this page (a parser crash or out of memory); the page is "
               "recorded, not read")
#: How often a reader process checks that the crawl's process is still there (see ``_exit_with``).
PARENT_CHECK_SECONDS = 1.0


def read_body(body: bytes, *, content_type: str | None, charset_header: str | None, url: str | None,
              max_pdf_pages: int) -> tuple[Document | None, list[Evidence]]:
    """The document in ``body`` (None for binary content) and the evidence the classifier finds in it."""
    kind = sniff(body, content_type, url)
    if kind == "binary":
        return None, []
    doc = load(body, content_type=content_type, url=url, max_pdf_pages=max_pdf_pages,
               # As a browser would: byte-order mark, the header's charset, then the page's own <meta charset>.
               text=decode(body, charset_header, html=kind == "html") if kind in ("html", "text") else None)
    return doc, (classify(doc) if doc.text else [])


Reader = Callable[..., tuple[Document | None, list[Evidence]]]


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity mask, which containers and ``taskset`` narrow)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:          # not on Linux
        return os.cpu_count() or 1


#: Reader processes the auto setting starts at most: past this a crawl's fetching, not reading, is the limit.
MAX_AUTO_PROCESSES = 8


def auto_processes(shares: int = 1) -> int:
    """Reader processes when the setting says auto, on this machine (see ``reader_count``)."""
    return reader_count(usable_cpus(), shares)


def reader_count(cpus: int, shares: int = 1) -> int:
    """One reader per CPU beyond the one the crawl's own process keeps busy (none on one CPU), at most
    ``MAX_AUTO_PROCESSES``. ``shares``: crawl processes running side by side (``cdpi run --workers``),
    each taking its share of the CPUs."""
    return max(0, min(cpus // max(1, shares) - 1, MAX_AUTO_PROCESSES))


class PageReader:
    """Reads bodies with ``target`` (:func:`read_body`): in the calling thread when ``processes`` is 0,
    else in a pool of that many worker processes, started at the first page. Thread-safe; close it (or
    use ``with``). ``deaths`` counts the reader processes that died."""

    def __init__(self, processes: int = 0, target: Reader = read_body) -> None:
        self.processes = max(0, processes)
        self.target = target
        self.deaths = 0
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._alone = threading.Lock()      # one page at a time is read again in a process of its own
        self._records_lock = threading.Lock()
        self._records: multiprocessing.queues.Queue | None = None
        self._listener: logging.handlers.QueueListener | None = None

    @classmethod
    def take(cls, processes: int) -> PageReader:
        """The reader :func:`started_early` left waiting when it has ``processes`` processes, else a new one.
        Either way the reader is the caller's to close; one of another size still waiting is closed now, as
        nobody will take it."""
        global _waiting
        with _waiting_lock:
            early, _waiting = _waiting, None
        if early is not None and early.processes == max(0, processes):
            return early
        if early is not None:
            early.close()
        return cls(processes)

    def __enter__(self) -> PageReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        """Start the reader processes now and have each load the classifier's rules, so they are ready by
        the time the first page arrives (a process takes about half a second to import its parsers)."""
        if self.processes:
            pool = self._shared_pool()
            for _ in range(self.processes):
                pool.submit(_warm)

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        with self._records_lock:
            listener, self._listener, self._records = self._listener, None, None
        if listener is not None:
            listener.stop()          # handles every record already sent, then ends its thread

    def read(self, body: bytes, *, content_type: str | None, charset_header: str | None, url: str | None,
             max_pdf_pages: int) -> tuple[Document | None, list[Evidence]]:
        args = {"content_type": content_type, "charset_header": charset_header, "url": url,
                "max_pdf_pages": max_pdf_pages}
        if self.processes == 0:
            return self.target(body, **args)
        pool = self._shared_pool()
        try:
            return pool.submit(self.target, body, **args).result()
        except BrokenProcessPool:
            self._lost(pool)
        with self._alone, self._spawned(1) as alone:
            try:
                return alone.submit(self.target, body, **args).result()
            except BrokenProcessPool:
                with self._lock:
                    self.deaths += 1
                _log.warning("%s: the page-reader process died reading this page; recorded, not read", url)
                return Document(url, sniff(body, content_type, url), None, "", error=READER_DIED), []

    def _shared_pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = self._spawned(self.processes)
            return self._pool

    def _spawned(self, processes: int) -> ProcessPoolExecutor:
        """A pool whose processes send their log records here. spawn, not fork: the crawl runs beside
        other threads (Dagster's, the fetcher's), and a fork copies whatever lock one of them holds."""
        context = multiprocessing.get_context("spawn")
        with self._records_lock:
            if self._records is None:
                self._records = context.Queue()
                self._listener = logging.handlers.QueueListener(self._records, _Redispatch())
                self._listener.start()
            records = self._records
        return ProcessPoolExecutor(processes, mp_context=context, initializer=_start_reader,
                                   initargs=(records, logging.getLogger().getEffectiveLevel(), os.getpid()))

    def _lost(self, pool: ProcessPoolExecutor) -> None:
        """A process of ``pool`` died: count it once (every page in flight sees the same broken pool) and
        let the next page start a new pool."""
        with self._lock:
            if self._pool is not pool:
                return
            self._pool = None
            self.deaths += 1
        _log.warning("a page-reader process died; the pages it held are read again one by one")
        pool.shutdown(wait=False, cancel_futures=True)


_waiting: PageReader | None = None
_waiting_lock = threading.Lock()


@contextlib.contextmanager
def started_early(processes: int) -> Iterator[None]:
    """Start a reader of ``processes`` processes now for the next crawl in this process to take
    (:meth:`PageReader.take`); on leaving, close it if no crawl took it. Nothing is started for 0."""
    global _waiting
    reader = PageReader(processes)
    if reader.processes:
        reader.start()
        with _waiting_lock:
            previous, _waiting = _waiting, reader
        if previous is not None:
            previous.close()
    try:
        yield
    finally:
        with _waiting_lock:
            left, _waiting = (_waiting, None) if _waiting is reader else (None, _waiting)
        if left is not None:
            left.close()


def _warm() -> None:
    load_rules()


def _start_reader(records: multiprocessing.queues.Queue, level: int, parent: int) -> None:
    """In a reader process, first: log records go back to the crawl's process, and the reader leaves when
    that process is gone. Ctrl-C is the crawl's to act on: it reaches every process of the terminal, and a
    reader stopped by it would print a traceback and break the pool the crawl closes anyway."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _send_records_to(records, level)
    _exit_with(parent)


def _exit_with(parent: int, every: float = PARENT_CHECK_SECONDS) -> None:
    """End this process soon after ``parent`` is gone. A reader waits on its pool's queue, which it holds
    both ends of, so a crawl process killed outright (SIGKILL, the OOM killer) would leave it waiting there
    for ever, holding its memory; once the parent is gone the reader has been handed to another parent."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every)
        os._exit(0)

    threading.Thread(target=watch, name="cdpi-reader-parent-watch", daemon=True).start()


def _send_records_to(records: multiprocessing.queues.Queue, level: int) -> None:
    """In a reader process: every log record goes back to the crawl's process."""
    root = logging.getLogger()
    root.handlers[:] = [logging.handlers.QueueHandler(records)]
    root.setLevel(level)


class _Redispatch(logging.Handler):
    """In the crawl's process: a reader's record, handled by the logger of its name as if logged here.
    A record no handler would take is dropped rather than left to Python's last-resort handler: a reader
    still finishing a page after its run ended (a Ctrl-C, whose run has detached its log file) would
    otherwise print pypdf's complaints to the terminal below the run's last line."""

    def handle(self, record: logging.LogRecord) -> bool:
        logger = logging.getLogger(record.name)
        if logger.hasHandlers():
            logger.handle(record)
        return True

    def emit(self, record: logging.LogRecord) -> None:   # handle() does the work
        pass
