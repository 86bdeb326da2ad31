"""build_report: read the published warehouse once, write the static site.

The warehouse is opened read-only through connect_published, so a build never blocks (or is blocked by)
a run, and the connection is closed before rendering starts. Output is deterministic (no build time
stamped in the pages) so two builds of the same snapshot produce the same files.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import SimpleNamespace

from warehouse.atomic_dir import building
from warehouse.dictionary import relations
from warehouse.paths import DATA_DOCS, WarehousePaths
from warehouse.read import connect_published
from warehouse.report import render
from warehouse.report.data import load

STATIC_FILES = ("report.css", "report.js")
CITY_PAGE = re.compile(r"^[0-9A-Za-z_-]+\.html$")


@dataclass(frozen=True)
class ReportSummary:
    """What a build wrote."""

    out_dir: Path
    pages: int
    cities: int
    snapshot: str
    is_sample: bool


#: The banner the report's own pages carry on a sample run (templates/base.html), for pages it copies in.
SAMPLE_BANNER = ('<div class="banner-sample" role="note" id="sample-banner" style="background:#fff3cd;'
                 'border:2px solid #b8860b;padding:.5em 1em;margin:0 0 1em"><strong>SAMPLE DATA: synthetic '
                 "cities</strong>: these data-quality results are of the built-in sample run. These places are "
                 "not real.</div>")


def mark_sample_pages(folder: Path) -> None:
    """Put :data:`SAMPLE_BANNER` at the top of every HTML page in ``folder`` (the run's Data Docs, rendered
    without knowing the run's mode): a page a reader reaches from a sample report must say it is sample."""
    for page in sorted(folder.glob("*.html")):
        text = page.read_text(encoding="utf-8")
        end = banner_offset(text)
        page.write_text(text[:end] + SAMPLE_BANNER + text[end:], encoding="utf-8")


#: Where a banner may go, best first: inside <body>; after </head> (the body starts there); after <html>;
#: after the doctype. Before the doctype, a browser renders the page in quirks mode.
_BANNER_AFTER = [re.compile(p, re.IGNORECASE) for p in
                 (r"<body\b[^>]*>", r"</head\s*>", r"<html\b[^>]*>", r"<!doctype\b[^>]*>")]


def banner_offset(text: str) -> int:
    """The offset in an HTML page at which a banner goes (see :data:`_BANNER_AFTER`); 0 for a fragment."""
    for tag in _BANNER_AFTER:
        found = tag.search(text)
        if found:
            return found.end()
    return 0


def _page_name(geoid: str) -> str:
    """A city page's file name; a geoid that is not a plain identifier is refused rather than used as a path."""
    name = f"{geoid}.html"
    if not CITY_PAGE.match(name):
        raise ValueError(f"geoid {geoid!r} cannot be used as a file name")
    return name


def build_report(paths: WarehousePaths, out_dir: Path, snapshot: str | None = None,
                 lineage: Mapping[str, Sequence[str]] | None = None) -> ReportSummary:
    """Write index.html, targets.html, validation.html, methodology.html, dictionary.html,
    cities/<geoid>.html, report.css and report.js into out_dir.

    `snapshot` (YYYY-MM) picks an older snapshot; by default the latest successful run is shown. The
    folder is replaced whole (warehouse/atomic_dir.py), so pages of cities no longer present go too.
    `lineage` (table -> the assets that write it) is the pipeline's, shown on the data dictionary page.
    """
    con = connect_published(paths)
    try:
        data = load(con, snapshot)
        described = relations(con, lineage)
    finally:
        con.close()
    docs = paths.run_dir(data.run.run_id) / DATA_DOCS
    data = dataclasses.replace(data, run=dataclasses.replace(data.run, data_docs=(docs / "index.html").exists()))
    names = {c["geoid"]: _page_name(c["geoid"]) for c in data.cities}
    out_dir = Path(out_dir)
    env = render.environment()
    pages = 0
    # Built in a fresh folder and swapped in whole: a reader never sees pages of two snapshots mixed,
    # and pages of cities no longer present go with the old folder.
    with building(out_dir, marker=".cdpi-report") as work:
        city_dir = work / "cities"
        city_dir.mkdir()
        static = resources.files("warehouse.report") / "static"
        for name in STATIC_FILES:
            (work / name).write_bytes((static / name).read_bytes())
        if data.run.data_docs:   # the run's validation results, as Great Expectations renders them
            shutil.copytree(docs, work / "data-docs", ignore=shutil.ignore_patterns(".*"))
            if data.run.is_sample:
                mark_sample_pages(work / "data-docs")

        def write(path: Path, template: str, context: dict) -> None:
            nonlocal pages
            path.write_text(env.get_template(template).render(context), encoding="utf-8")
            pages += 1

        write(work / "index.html", "index.html", render.index_context(data))
        write(work / "targets.html", "targets.html", render.targets_context(data))
        write(work / "validation.html", "validation.html", render.validation_context(data))
        write(work / "methodology.html", "methodology.html", render.methodology_context(data))
        write(work / "dictionary.html", "dictionary.html", render.dictionary_context(described, data.run))
        targets = {t["geoid"]: t for t in data.targets}
        city_template = env.get_template("city.html")
        for city in data.cities:
            context = render.city_context(data, city, targets.get(city["geoid"]))
            (city_dir / names[city["geoid"]]).write_text(city_template.render(context), encoding="utf-8")
            pages += 1
    return ReportSummary(out_dir=out_dir, pages=pages, cities=len(data.cities), snapshot=data.run.label,
                         is_sample=data.run.is_sample)


def build_dictionary(out_dir: Path, lineage: Mapping[str, Sequence[str]] | None = None,
                     version: str = "") -> Path:
    """The data dictionary of the schema the code defines, as a standalone page (dictionary.html with the
    report's CSS and script) in ``out_dir``: what `cdpi docs --html` writes, no warehouse needed."""
    import duckdb

    from warehouse.schema import apply_schema

    con = duckdb.connect()
    try:
        apply_schema(con)
        described = relations(con, lineage)
    finally:
        con.close()
    # No run behind a schema's dictionary: only what the page's frame shows (title, footer).
    run = SimpleNamespace(run_id="", label="schema", mode="schema", is_sample=False, cdpi_version=version,
                          data_docs=False)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    static = resources.files("warehouse.report") / "static"
    for name in STATIC_FILES:
        (out_dir / name).write_bytes((static / name).read_bytes())
    page = out_dir / "dictionary.html"
    page.write_text(render.environment().get_template("dictionary.html").render(
        render.dictionary_context(described, run, standalone=True)), encoding="utf-8")
    return page
