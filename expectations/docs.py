"""Great Expectations Data Docs for a run: every suite's validation result as GX renders it, one folder per run.

GX's own renderer (``ValidationResultsPageRenderer`` + ``DefaultJinjaPageView``) turns a validation result
into the page GX users know. Three changes: the page's stylesheets and scripts from public CDNs are left out
(the pages are read offline and opening one must not tell a CDN that someone looked), so it shows as plain
tables; links into GX's own site tree, which is not written here, go to this folder's index or are left as
text, and GX's newsletter footer is dropped; and the table-level facts cdpi checks besides the suite (share of rows quarantined, an empty
output from non-empty inputs) are added at the top when they failed, since GX never saw them. An
``index.html`` lists every suite of the folder with its outcome; each step rewrites it whole (written
beside and renamed into place), so steps in other processes never leave it half written.
"""

from __future__ import annotations

import functools
import html
import json
import os
import re
from pathlib import Path
from typing import Any

from expectations.runner import NOT_EMPTY, QUARANTINED_SHARE, ValidationReport

_REMOTE = re.compile(r'<(?:script|link|img)\b[^>]*\b(?:src|href)="https?://[^"]*"[^>]*>(?:\s*</script>)?', re.I)
#: GX writes each page for its own site's tree (``validations/<suite>/<run>/<time>/<batch>.html``); here the
#: pages sit side by side. Its links up that tree, to the site's home, to the suite's own page (not
#: rendered here) and to its favicon would all lead nowhere; the footer advertises GX's newsletter.
_GX_HOME = re.compile(r'href="(?:\.\./)+index\.html"')
_GX_SUITE_LINK = re.compile(r'<a href="(?:\.\./)+expectations/[^"]*"\s*>(.*?)</a>', re.S)
_GX_LOCAL_LINK = re.compile(r'<link\b[^>]*\bhref="(?:\.\./)+[^"]*"[^>]*>')
_GX_FOOTER = re.compile(r"<footer>.*?</footer>", re.S)
_TABLE_FACTS = (QUARANTINED_SHARE, NOT_EMPTY)
#: A few local rules in place of the CDN stylesheets, so the tables stay readable.
_STYLE = ("<style>body{font-family:system-ui,sans-serif;max-width:75rem;margin:1rem auto;padding:0 1rem}"
          "table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #d9dee5;padding:.2rem .5rem;"
          "vertical-align:top}#cdpi-table-facts{border-left:4px solid #b00020;padding:.2rem 1rem}</style>")


@functools.cache
def _page_view() -> Any:
    """GX's page view, made once per process: each one builds its own Jinja environment, which compiles
    GX's templates again on first use (most of a page's time: a run renders a dozen pages)."""
    from great_expectations.render.view import DefaultJinjaPageView

    return DefaultJinjaPageView()


def render_page(report: ValidationReport) -> str:
    """The suite's Data Docs page (GX's renderer), offline, with cdpi's table-level failures on top."""
    from great_expectations.render.renderer import ValidationResultsPageRenderer

    if report.gx_result is None:
        raise ValueError(f"report of suite {report.suite} carries no Great Expectations result to render")
    page = _page_view().render(ValidationResultsPageRenderer().render(report.gx_result))
    page = _REMOTE.sub("", page).replace("<head>", "<head>" + _STYLE, 1)
    page = _GX_HOME.sub('href="index.html"', page)          # the run's own index of suites
    page = _GX_FOOTER.sub("", _GX_LOCAL_LINK.sub("", _GX_SUITE_LINK.sub(r"\1", page)))
    facts = [f for f in report.failures if f.type in _TABLE_FACTS]
    if facts:
        items = "".join(f"<li><strong>{html.escape(f.type)}</strong>: {html.escape(str(f.observed_value))}. "
                        f"{html.escape(f.why or '')}</li>" for f in facts)
        banner = (f'<section id="cdpi-table-facts"><h2>Failed table-level checks (cdpi)</h2><ul>{items}</ul>'
                  "<p>These stop the publish as the suite's expectations do; see ops.quarantine.</p></section>")
        page = page.replace("<body>", "<body>" + banner, 1) if "<body>" in page else banner + page
    return page


def write_page(report: ValidationReport, folder: Path) -> Path:
    """Write ``<suite>.html`` into ``folder`` and refresh its index; returns the page's path."""
    folder.mkdir(parents=True, exist_ok=True)
    page = folder / f"{report.suite}.html"
    _write(page, render_page(report))
    _write(folder / f"{report.suite}.json", json.dumps({
        "suite": report.suite, "success": report.success, "evaluated": report.evaluated,
        "successful": report.successful, "rows": report.rows}))
    _write(folder / "index.html", _index(folder))
    return page


def _index(folder: Path) -> str:
    rows = []
    for summary in sorted(folder.glob("*.json")):
        s = json.loads(summary.read_text(encoding="utf-8"))
        outcome = "passed" if s["success"] else "FAILED"
        rows.append(f'<tr><td><a href="{html.escape(s["suite"])}.html">{html.escape(s["suite"])}</a></td>'
                    f"<td>{outcome}</td><td>{s['successful']} of {s['evaluated']}</td><td>{s['rows']}</td></tr>")
    return ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Data Docs</title></head><body>"
            "<h1>Great Expectations Data Docs of this run</h1><p>Every blocking suite, validated on the rows that "
            "were kept; rows set aside are in ops.quarantine with the expectation they failed.</p>"
            "<table><thead><tr><th>Suite</th><th>Outcome</th><th>Expectations met</th><th>Rows</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></body></html>")


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
