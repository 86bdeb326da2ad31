"""The garbage collector's settings for a pipeline run in the `cdpi` command's own process.

Why this exists: CPython's cyclic collector walks every tracked object of a generation, and a full
collection walks all of them. Before a run has read a single page it holds about half a million objects
that no collection will ever free: the modules, classes and functions of dagster, pandas, DuckDB and
Great Expectations, and GX's models and registered suites. The crawl then allocates fast enough to set
off collection after collection. Measured on `cdpi run --sample` (2 CPUs): the collector took 2.0 s of
a 15-17 s run, 1.4 s of it in 9 full collections of 0.03-0.32 s each, which freed almost nothing.

Two standard remedies, both process-wide, so only the `cdpi` command turns them on (``configure``): an
imported module or a test process keeps Python's defaults.

* What lasts the whole run is built with the collector paused and then frozen (``long_lived``):
  ``gc.freeze`` moves every object alive at that moment to a generation no collection examines.
  Reference counting still frees them; only a reference cycle among them would outlive its use, and
  these objects live until the process ends anyway. No full collection runs first: it would cost
  0.3 s to find the few cycles the imports leave behind.
* A larger youngest generation (7,000 allocations between collections instead of 700): most of a
  crawl's objects (a parsed page's tree, a response) die before they would be promoted.

Together: 0.4-0.7 s of collection per sample run instead of about 2 s, and no more memory at the peak
(the replay benchmark measures both ways: docs/BENCHMARKS.md, section "Replay").
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

#: Allocations (minus deallocations) of tracked objects between two collections of the youngest
#: generation; Python's default is 700. 3,000 and 20,000 measured within 0.1 s of this on the sample.
YOUNG_THRESHOLD = 7_000

_configured = False


def configure() -> None:
    """Tune the collector for a whole-process pipeline run; call once, at the start of the command."""
    global _configured
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
    _configured = True


@contextmanager
def long_lived() -> Iterator[None]:
    """Build, inside this block, what lives as long as the process; it is then left out of every later
    collection. In a process ``configure`` did not tune (tests, Dagster's own step processes) the block
    just runs. The collector is on again afterwards, also when the block raises."""
    if not _configured:
        yield
        return
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
    gc.freeze()
