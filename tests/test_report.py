"""The outreach report (warehouse.report) built from the sample warehouse: completeness, escaping of
scraped text, link schemes, no external resources, the sample banner and older snapshots. No browser."""

from __future__ import annotations

import html
import json
import re
import shutil
import time
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

import duckdb
import pytest
from markupsafe import escape

from warehouse.paths import WarehousePaths
from warehouse.publish import WarehouseError, refresh_changes
from warehouse.read import connect_published
from warehouse.report import ReportSummary, build_report

REPO = Path(__file__).resolve().parents[1]
HOSTILE = "<script>alert(1)</script>"
HOSTILE_GAPS = ('[{"criterion_id": "DM1", "name": "<script>alert(3)</script>", "probability": 0.1, '
                '"next_tier": "silver", "tier_gain": 0.2, "points_gain": 0.9, "lacking": ["<b>x</b>"], '
                '"training_topic": "<img src=x onerror=alert(4)>"}]')


def copy_home(sample_home: Path, dest: Path) -> Path:
    """A CDPI home holding a copy of the sample's published warehouse, safe to modify."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(WarehousePaths(sample_home).published, WarehousePaths(dest).published)
    return dest


def query(home: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = connect_published(WarehousePaths(home))
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def make_hostile_home(sample_home: Path, dest: Path) -> tuple[Path, str]:
    """Copy of the sample warehouse where one outreach target's scraped text is hostile: its name, an
    evidence snippet, evidence URLs (javascript:, data:), signal sources, gap names and a criterion name.
    Returns the home and that city's geoid."""
    home = copy_home(sample_home, dest)
    (geoid,) = query(home, "SELECT t.geoid FROM marts.outreach_targets t WHERE EXISTS "
                           "(SELECT 1 FROM marts.evidence_latest e WHERE e.geoid = t.geoid) ORDER BY rank LIMIT 1")[0]
    con = duckdb.connect(str(WarehousePaths(home).published))
    try:
        con.execute("UPDATE marts.city_index SET city = ?, top_gaps = ? WHERE geoid = ?", [HOSTILE, HOSTILE_GAPS, geoid])
        urls = [r[0] for r in con.execute("SELECT DISTINCT url FROM marts.evidence WHERE geoid = ? ORDER BY url",
                                          [geoid]).fetchall()]
        assert len(urls) >= 2, "the chosen city needs two evidence pages"
        con.execute("UPDATE marts.evidence SET snippet = ?, url = 'javascript:alert(1)' WHERE geoid = ? AND url = ?",
                    [HOSTILE + '<img src=x onerror="alert(2)">', geoid, urls[0]])
        con.execute("UPDATE marts.evidence SET url = ' JaVaScript:alert(1)', snippet = ? WHERE geoid = ? AND url = ?",
                    ["</blockquote><script>alert(1)</script>", geoid, urls[1]])
        con.execute("UPDATE staging.city_signals SET source = 'data:text/html,<script>alert(1)</script>' "
                    "WHERE geoid = ? AND source IS NOT NULL", [geoid])
        con.execute("UPDATE marts.criteria SET name = '<img src=x onerror=alert(5)>' WHERE criterion_id = 'DM2'")
    finally:
        con.close()
    return home, geoid


class Tags(HTMLParser):
    """Every start tag of a page, with its attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags(path: Path) -> list[tuple[str, dict[str, str | None]]]:
    parser = Tags()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.tags


def pages(site: Path) -> list[Path]:
    return [site / "index.html", site / "targets.html", site / "validation.html", site / "methodology.html",
            site / "dictionary.html",
            *sorted((site / "cities").glob("*.html"))]


@pytest.fixture(scope="module")
def report(sample_home: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[ReportSummary, Path]:
    site = tmp_path_factory.mktemp("report")
    return build_report(WarehousePaths(sample_home), site), site


@pytest.fixture(scope="module")
def hostile(sample_home: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    home, geoid = make_hostile_home(sample_home, tmp_path_factory.mktemp("hostile_home"))
    site = tmp_path_factory.mktemp("hostile_report")
    build_report(WarehousePaths(home), site)
    return site, geoid


def test_a_page_for_every_city(report, sample_home):
    summary, site = report
    geoids = {r[0] for r in query(sample_home, "SELECT geoid FROM marts.city_index_latest")}
    assert summary.cities == len(geoids) > 0
    assert summary.pages == len(geoids) + 5
    assert {p.stem for p in (site / "cities").glob("*.html")} == geoids
    index_links = {a["href"] for tag, a in tags(site / "index.html") if tag == "a" and a.get("href")}
    assert {f"cities/{g}.html" for g in geoids} <= index_links
    assert {"targets.html", "validation.html", "methodology.html", "dictionary.html"} <= index_links
    (snapshot,) = query(sample_home, "SELECT strftime(snapshot, '%Y-%m') FROM ops.latest_run")[0]
    assert summary.snapshot == snapshot and summary.out_dir == site
    assert (site / "report.css").exists() and (site / "report.js").exists()


def test_a_signal_line_keeps_its_words_apart(report):
    """The calibrated weight's "(catalog 0.30)" and the place the signal was read are two things: the template's
    block tags must not glue them into "(catalog 0.30)data.city.example" or "(catalog 0.30)source"."""
    _, site = report
    glued = []
    for page in (site / "cities").glob("*.html"):
        text = re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8"))
        glued += re.findall(r"\(catalog [0-9.]+\)\S+", text)
    assert not glued, glued[:3]


def test_evidence_says_when_it_was_last_verified(report, sample_home):
    """Each evidence item on a city page carries the date its page was last confirmed by the server
    (issue 18): the sample is a replay, so that is the archived fetch's date, never a carried one."""
    _, site = report
    geoid, verified = query(sample_home, "SELECT geoid, max(verified_at) FROM marts.evidence_latest "
                                         "GROUP BY geoid ORDER BY count(*) DESC LIMIT 1")[0]
    page = (site / "cities" / f"{geoid}.html").read_text(encoding="utf-8")
    assert f"verified on {verified[:10]}" in page and "not asked again this run" not in page
    assert not query(sample_home, "SELECT count(*) FROM marts.evidence_latest WHERE carried OR verified_at IS NULL")[0][0]


def test_targets_table_is_the_view(report, sample_home):
    _, site = report
    view = [r[0] for r in query(sample_home, "SELECT geoid FROM marts.outreach_targets ORDER BY rank")]
    rows = [a for tag, a in tags(site / "targets.html") if tag == "tr" and a.get("data-status") == "target"]
    links = [a["href"] for tag, a in tags(site / "targets.html")
             if tag == "a" and (a.get("href") or "").startswith("cities/")]
    assert len(rows) == len(view) > 0
    unseen = [r[0] for r in query(sample_home, "SELECT geoid FROM marts.outreach_not_observed "
                                               "ORDER BY population DESC, geoid")]
    longer = [r[0] for r in query(sample_home, "SELECT geoid FROM marts.outreach_longer_path "
                                               "ORDER BY p_next_tier_if_gaps_closed DESC, geoid")]   # as cdpi targets
    assert len(longer) == query(sample_home, "SELECT count(*) FROM marts.outreach_longer_path")[0][0]
    # Ranked targets first, then the cities on a longer path and those not yet observed (hidden until
    # chosen under List), unranked: every city with a next tier can be found without SQL.
    assert links == [f"cities/{g}.html" for g in view + longer + unseen]
    assert len(longer) == len([a for tag, a in tags(site / "targets.html")
                               if tag == "tr" and a.get("data-status") == "longer_path" and "hidden" in a]) > 0
    hidden = [a for tag, a in tags(site / "targets.html") if tag == "tr" and a.get("data-status") == "not_observed"]
    assert len(hidden) == len(unseen) > 0 and all("hidden" in a for a in hidden)
    assert f"{len(view)} of {len(view)} targets shown" in (site / "targets.html").read_text()


def test_targets_rows_fold_the_long_text_into_details(report, sample_home):
    """NLC staff scan the targets table, and a row carrying the whole why-call sentence, its links and the gap
    names was a screen tall. Each row now folds them into a <details> (no script needed; the keyboard, screen
    readers and find-in-page know it): the sentence is the summary of its cell, with the evidence links
    inside; the gaps are id badges, with their names, the core blocker and the training inside. Nothing is
    dropped, only folded; the longer path's and not-yet-observed notes fold the same way."""
    from bs4 import BeautifulSoup

    from warehouse.report.data import parse_gaps

    _, site = report
    soup = BeautifulSoup((site / "targets.html").read_text(encoding="utf-8"), "html.parser")
    rows = {(r["data-status"], json.loads(r["data-csv"])["geoid"]): r for r in soup.select("#targets tbody tr")}
    found = query(sample_home, "SELECT geoid, why_call, why_call_links, top_gaps, training_topics, blocked_by_core "
                               "FROM marts.outreach_targets")
    assert found
    for geoid, why, links, gaps, training, blocked in found:
        row = rows[("target", geoid)]
        summary = row.select_one("td.why > details > summary")
        assert summary is not None and summary.get_text(strip=True) == why
        assert [a["href"] for a in row.select("td.why > details > .why-links a")] == \
            [x["url"] for x in json.loads(links or "[]")]
        listed = [g for g in parse_gaps(gaps) if g["matters"]]
        if not listed and not blocked:
            continue
        details = row.select_one("td.gaps > details")
        assert details is not None
        badges = details.select("summary > span.gap:not(.blocked)")
        assert [b.contents[0].strip() for b in badges] == [g["criterion_id"] for g in listed]
        assert [b.small is not None for b in badges] == [g["core"] for g in listed]   # "core" on the badge
        assert bool(details.select("summary > span.gap.blocked")) == bool(blocked)
        body = " ".join(d.get_text(" ", strip=True) for d in details.find_all("div", recursive=False))
        assert all(g["name"] in body for g in listed)
        if blocked:
            assert f"Blocked by core criteria {blocked}" in body
        if training:
            assert f"Training: {training.replace('_', ' ')}" in body
    for view, status in (("outreach_longer_path", "longer_path"), ("outreach_not_observed", "not_observed")):
        notes = query(sample_home, f"SELECT geoid, outreach_note FROM marts.{view}")
        assert notes
        for geoid, note in notes:
            summary = rows[(status, geoid)].select_one("td.why > details > summary")
            assert summary is not None and summary.get_text(strip=True) == note


def test_population_bands_have_one_definition(sample_home, report):
    """The view, the report's filters and charts read the warehouse's macro marts.population_band: the
    targets page offers exactly the bands of its rows, smallest cities first."""
    _, site = report
    rows = query(sample_home, "SELECT population, population_band, marts.population_band(population) "
                              "FROM marts.outreach_targets")
    assert rows and all(band == again for _, band, again in rows)
    assert query(sample_home, "SELECT marts.population_band(49999), marts.population_band(50000), "
                              "marts.population_band(500000)") == [("30k-50k", "50k-100k", "500k+")]
    offered = [a["value"] for tag, a in tags(site / "targets.html") if tag == "option" and a.get("value")
               and re.fullmatch(r"[0-9]+k(-[0-9]+k|\+)", a["value"])]
    assert offered and offered == sorted(set(offered), key=lambda b: int(b.split("k")[0]))


def test_sample_banner(report):
    summary, site = report
    assert summary.is_sample
    for page in (site / "index.html", site / "targets.html", next((site / "cities").glob("*.html"))):
        assert "SAMPLE DATA: synthetic cities" in page.read_text()


def test_no_banner_when_the_run_is_not_a_sample(sample_home, tmp_path):
    home = copy_home(sample_home, tmp_path / "home")
    con = duckdb.connect(str(WarehousePaths(home).published))
    con.execute("UPDATE ops.runs SET is_sample = false")
    con.close()
    summary = build_report(WarehousePaths(home), tmp_path / "site")
    assert not summary.is_sample
    assert "SAMPLE DATA" not in (tmp_path / "site" / "index.html").read_text()


def test_hostile_text_is_escaped(hostile):
    site, geoid = hostile
    city = (site / "cities" / f"{geoid}.html").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in city
    assert "<title>&lt;script&gt;alert(1)&lt;/script&gt;" in city
    assert "&lt;script&gt;alert(3)&lt;/script&gt;" in city  # a gap name from the top_gaps JSON
    for page in pages(site):
        text = page.read_text()
        assert "<script>alert" not in text and "<img" not in text and "</blockquote><script" not in text, page
        found = tags(page)
        scripts = [a for tag, a in found if tag == "script"]
        assert scripts == [{"src": "../report.js" if page.parent.name == "cities" else "report.js"}], page
        assert not [tag for tag, a in found if tag == "img"], page
        assert not [(tag, k) for tag, a in found for k in a if k.startswith("on")], page


def test_only_http_links_become_hrefs(hostile):
    site, geoid = hostile
    for page in pages(site):
        for tag, attrs in tags(page):
            for name in ("href", "src", "action", "formaction", "xlink:href"):
                value = attrs.get(name)
                if value is None:
                    continue
                scheme = urlsplit(value.strip()).scheme.lower()
                favicon = tag == "link" and value == "data:,"
                assert scheme in ("", "http", "https") or favicon, (page, tag, value)
    city = (site / "cities" / f"{geoid}.html").read_text()
    assert "javascript:alert(1)" in city  # shown as text...
    assert 'href="javascript' not in city.lower() and 'href=" javascript' not in city.lower()  # ...never a link


def test_no_external_resources(report):
    _, site = report
    for page in pages(site):
        for tag, attrs in tags(page):
            if tag == "link":
                assert not urlsplit(attrs.get("href") or "").netloc, (page, attrs)
                assert urlsplit(attrs.get("href") or "").scheme in ("", "data"), (page, attrs)
            if tag in ("script", "img", "iframe", "source", "embed", "object"):
                ref = attrs.get("src") or attrs.get("data") or ""
                assert not urlsplit(ref).scheme and not ref.startswith("//"), (page, attrs)
    for asset in ("report.css", "report.js"):
        text = (site / asset).read_text()
        assert "http://" not in text and "https://" not in text and "@import" not in text, asset


def test_an_older_snapshot_and_the_history(sample_home, tmp_path):
    home = copy_home(sample_home, tmp_path / "home")
    con = duckdb.connect(str(WarehousePaths(home).published))
    con.execute("""
        INSERT INTO ops.runs (run_id, snapshot, mode, is_sample, status, started_at, finished_at)
        SELECT 'earlier', snapshot - INTERVAL 1 MONTH, mode, is_sample, 'success',
               started_at - INTERVAL 30 DAY, finished_at - INTERVAL 30 DAY FROM ops.latest_run""")
    con.execute("""
        INSERT INTO marts.city_index SELECT * EXCLUDE (is_sample) REPLACE (   -- is_sample: the view's, from ops.runs
            snapshot - INTERVAL 1 MONTH AS snapshot, 'earlier' AS run_id, expected_points * 0.5 AS expected_points)
        FROM marts.city_index_latest""")
    (earlier,) = con.execute("SELECT strftime(snapshot, '%Y-%m') FROM ops.runs WHERE run_id = 'earlier'").fetchone()
    con.close()
    latest = build_report(WarehousePaths(home), tmp_path / "latest")
    page = next((tmp_path / "latest" / "cities").glob("*.html")).read_text()
    assert "<polyline" in page and "2 snapshots" in page
    build_report(WarehousePaths(home), tmp_path / "old")
    (tmp_path / "old" / "cities" / "stale.html").write_text("left by an earlier build")
    old = build_report(WarehousePaths(home), tmp_path / "old", snapshot=earlier)
    assert old.snapshot == earlier != latest.snapshot and old.cities == latest.cities
    assert not (tmp_path / "old" / "cities" / "stale.html").exists(), "a rebuild replaces the folder whole"
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("not ours")
    with pytest.raises(ValueError, match="not written by cdpi"):
        build_report(WarehousePaths(home), tmp_path / "mine")
    assert (tmp_path / "mine" / "notes.txt").read_text() == "not ours"
    targets = (tmp_path / "old" / "targets.html").read_text()
    (n,) = query(home, "SELECT count(*) FROM marts.outreach_targets")[0]  # same rows, older run
    assert f"{n} of {n} targets shown" in targets
    # The download's values (cdpi targets' CSV) are those of the older run too, for every list.
    assert targets.count('"run_id": "earlier"') == targets.count("<tr ") > 0 and "data-csv='null'" not in targets
    assert "1 snapshot<" in next((tmp_path / "old" / "cities").glob("*.html")).read_text()
    with pytest.raises(WarehouseError, match="no successful run for snapshot 1999-01"):
        build_report(WarehousePaths(home), tmp_path / "none", snapshot="1999-01")
    with pytest.raises(WarehouseError, match="not YYYY-MM"):
        build_report(WarehousePaths(home), tmp_path / "none", snapshot="last month")


@pytest.mark.slow
def test_builds_1500_cities_in_seconds(sample_home, tmp_path):
    """The sample's cities copied under new geoids until there are ~1,500, with all their rows."""
    home = copy_home(sample_home, tmp_path / "home")
    con = duckdb.connect(str(WarehousePaths(home).published))
    (cities,) = con.execute("SELECT count(*) FROM marts.city_index_latest").fetchone()
    copies = -(-1500 // cities) - 1
    (run_id,) = con.execute("SELECT run_id FROM ops.latest_run").fetchone()
    for table in ("marts.city_index", "marts.criterion_scores", "staging.city_signals", "marts.evidence"):
        con.execute(f"""INSERT INTO {table} SELECT t.* REPLACE (t.geoid || '-' || r.k AS geoid)
                        FROM {table} t, range(1, {copies + 1}) r(k) WHERE t.run_id = ?""", [run_id])
    con.close()
    start = time.perf_counter()
    summary = build_report(WarehousePaths(home), tmp_path / "site")
    elapsed = time.perf_counter() - start
    assert summary.cities == cities * (copies + 1) >= 1500
    assert elapsed < 30, f"building {summary.cities} city pages took {elapsed:.1f} s"


class Cells(HTMLParser):
    """The text of every cell of one table (by id), row by row, header cells included."""

    def __init__(self, table_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.table_id, self.depth, self.rows = table_id, 0, []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and (self.depth or dict(attrs).get("id") == self.table_id):
            self.depth += 1
        elif self.depth and tag == "tr":
            self.rows.append([])
        elif self.depth and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self.depth:
            self.depth -= 1
        elif self.depth and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def table(path: Path, table_id: str) -> list[list[str]]:
    parser = Cells(table_id)
    parser.feed(path.read_text(encoding="utf-8"))
    assert parser.rows, f"no table #{table_id} in {path.name}"
    return parser.rows


def figure(text: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}">([^<]*)<', text)
    assert found, element_id
    return found.group(1)


def svg_of(text: str, css_class: str) -> ET.Element:
    """The inline SVG with ``css_class``, parsed as XML (so it must be well-formed)."""
    found = re.search(rf'<svg class="[^"]*\b{css_class}\b.*?</svg>', text, re.S)
    assert found, css_class
    return ET.fromstring(found.group(0))


def test_validation_page_shows_the_warehouse_figures(report, sample_home):
    _, site = report
    text = (site / "validation.html").read_text(encoding="utf-8")
    (run_id,) = query(sample_home, "SELECT run_id FROM ops.latest_run")[0]
    figures = {(m, k): (v, n, pos, d) for m, k, v, n, pos, d in query(
        sample_home, "SELECT metric, k, value, n, positives, detail FROM marts.validation WHERE run_id = ?",
        [run_id])}
    auc, cities, labels, _ = figures[("auc_p_silver_or_better", None)]
    assert figure(text, "fig-auc") == f"{auc:.2f}"
    assert figure(text, "fig-p10") == f"{figures[('precision_at_k', 10)][0]:.2f}"
    assert figure(text, "fig-accuracy") == f"{figures[('tier_accuracy_certified', None)][0] * 100:.0f}%"
    error = next(v for (m, _), v in figures.items() if m == "reliability_error")
    assert figure(text, "fig-reliability") == f"{error[0]:.3f}"
    assert figure(text, "fig-labels") == str(labels) and f"of {cities:,} scored" in text
    # Certified cities scoring below the median uncertified one are counted and named, with the reason.
    below, _, _, detail = figures[("certified_below_median_uncertified", None)]
    assert f"<strong>{int(below)}</strong>" in text and (not below or html.escape(detail) in text)
    # The tier agreement table: every stored cell at its place, predicted tiers down, certified across.
    rows = table(site / "validation.html", "agreement-table")
    header, body = rows[0], {r[0]: r for r in rows[1:]}
    names = {"none": "No tier", "silver": "Silver", "gold": "Gold", "platinum": "Platinum",
             "honor_roll": "Honor roll", "not_certified": "Not certified"}
    cells = [(re.match(r"predicted=(\S+) certified=(\S+)", d).groups(), v)
             for v, d in query(sample_home, "SELECT value, detail FROM marts.validation "
                                            "WHERE run_id = ? AND metric = 'tier_agreement'", [run_id])]
    assert cells
    for (predicted, certified), count in cells:
        assert body[names[predicted]][header.index(names[certified])] == str(int(count)), (predicted, certified)
    assert body["All"][-1] == str(cities)
    precision = {int(r[0]): r[1] for r in table(site / "validation.html", "precision")[1:]}
    assert precision == {k: f"{v:.2f}" for (m, k), (v, *_) in figures.items() if m == "precision_at_k"}
    # Calibration: the verdict in the run's own words, and which weights the published scores use.
    (model, adopted, detail) = query(sample_home, "SELECT model, value, detail FROM marts.calibration "
                                                  "WHERE run_id = ? AND metric = 'adopted'", [run_id])[0]
    assert str(escape(detail)) in text
    assert ("Calibration <strong>adopted</strong>" if adopted else "<strong>not adopted</strong>") in text
    scored = query(sample_home, "SELECT scored_with, count(*) FROM marts.city_index WHERE run_id = ? "
                                "GROUP BY ALL", [run_id])
    for name, n in scored:
        assert re.search(rf"<strong>{name}[^<]*</strong> {n}\b", text), (name, n)
    assert model == scored[0][0]
    # The trend: this run is in it, with its figures.
    trend = table(site / "validation.html", "trend-table")
    mine = next(r for r in trend[1:] if r[1].startswith(run_id[:8]))
    assert mine[5] == f"{auc:.2f}" and mine[8] == f"{error[0]:.3f}"


def test_validation_page_reliability_diagram_is_inline_svg(report, sample_home):
    _, site = report
    text = (site / "validation.html").read_text(encoding="utf-8")
    svg = svg_of(text, "reliability")
    ns = "{http://www.w3.org/2000/svg}"
    assert svg.tag == f"{ns}svg" and float(svg.get("width")) > 0 and float(svg.get("height")) > 0
    bins = query(sample_home, "SELECT k, n, value FROM marts.validation v JOIN ops.latest_run r USING (run_id) "
                              "WHERE metric = 'reliability_bin' ORDER BY k")
    assert bins and sum(n for _, n, _ in bins) == query(sample_home, "SELECT count(*) FROM marts.city_index_latest")[0][0]
    points = svg.findall(f"{ns}circle[@class='rel-point']")
    bars = svg.findall(f"{ns}rect[@class='rel-bar']")
    assert len(points) == len(bars) == len(bins)
    assert len(svg.findall(f"{ns}line[@class='rel-diagonal']")) == 1
    counts = [t.text for t in svg.findall(f"{ns}text[@class='value']")]
    assert counts == [str(n) for _, n, _ in bins]
    # Heights follow the observed shares: the plot is `size` tall, so height / size is the share.
    frame = svg.find(f"{ns}rect[@class='rel-frame']")
    size = float(frame.get("height"))
    for bar, (_, _, observed) in zip(bars, bins, strict=True):
        assert float(bar.get("height")) / size == pytest.approx(observed, abs=0.002)
    assert " style=" not in text, "colours come from report.css: the Content-Security-Policy blocks inline styles"


def test_validation_page_caveats(report, sample_home, tmp_path):
    _, site = report
    text = (site / "validation.html").read_text(encoding="utf-8")
    assert 'id="caveat-sample"' in text and "The labels are synthetic." in text
    (labels,) = query(sample_home, "SELECT positives FROM marts.validation JOIN ops.latest_run USING (run_id) "
                                   "WHERE metric = 'auc_p_silver_or_better'")[0]
    assert ('id="caveat-few"' in text) == (labels < 10)
    # A real run with few labels, after an earlier run that predates the reliability figures.
    home = copy_home(sample_home, tmp_path / "home")
    con = duckdb.connect(str(WarehousePaths(home).published))
    con.execute("UPDATE ops.runs SET is_sample = false")
    con.execute("UPDATE marts.validation SET positives = 6, is_sample = false WHERE metric <> 'reliability_bin'")
    con.execute("""
        INSERT INTO ops.runs (run_id, snapshot, mode, is_sample, status, started_at, finished_at)
        SELECT 'earlier-run', snapshot - INTERVAL 1 MONTH, mode, false, 'success',
               started_at - INTERVAL 30 DAY, finished_at - INTERVAL 30 DAY FROM ops.latest_run""")
    con.execute("""
        INSERT INTO marts.validation SELECT * REPLACE (snapshot - INTERVAL 1 MONTH AS snapshot,
            'earlier-run' AS run_id, value / 2 AS value)
        FROM marts.validation WHERE metric IN ('auc_p_silver_or_better', 'precision_at_k')""")
    con.close()
    build_report(WarehousePaths(home), tmp_path / "site")
    text = (tmp_path / "site" / "validation.html").read_text(encoding="utf-8")
    assert 'id="caveat-sample"' not in text and "SAMPLE DATA" not in text
    assert 'id="caveat-few"' in text and "Only 6 cities are certified" in text
    trend = table(tmp_path / "site" / "validation.html", "trend-table")
    assert [r[1][:8] for r in trend[1:]][0] == "earlier-"
    assert len(trend) == 3 and trend[1][8] == "–" and trend[1][7] == "–"   # no reliability figure back then
    ET.fromstring(re.search(r'<svg class="spark".*?</svg>', text, re.S).group(0))


def test_methodology_page_is_the_doc(report):
    _, site = report
    doc = (REPO / "docs" / "methodology.md").read_text(encoding="utf-8")
    packaged = (resources.files("warehouse.report") / "methodology.md").read_text(encoding="utf-8")
    assert packaged == doc, "the report's methodology must be docs/methodology.md itself"
    text = (site / "methodology.html").read_text(encoding="utf-8")
    headings = re.findall(r"^(#{1,2}) (.+)$", doc, re.M)
    assert len(headings) >= 6
    for level, title in headings:
        anchor = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
        assert f'<h{len(level)} id="{anchor}">{escape(title)}</h{len(level)}>' in text, title
    # Attribution on every page (CC BY 4.0 asks for it where the data are used), linking the sources.
    for page in (site / "index.html", site / "targets.html", next((site / "cities").glob("*.html"))):
        footer = page.read_text(encoding="utf-8").split("<footer>")[1]
        assert "UScityURL" in footer and "CC BY 4.0" in footer and "methodology.html#sources" in footer, page
    for term in ("Expected points", "Coverage", "Uplift", "blocked by core", "Not observed", "Longer path",
                 "Scored with", "--tier-bands wwc_2019", "22, 30 and 37 points"):
        assert term in text, term
    assert "<table>" in text and "<pre><code>" in text


def test_every_local_link_resolves(report):
    """Nav links, the overview's links to the new pages and city pages all point at files that exist."""
    _, site = report
    for page in [site / "index.html", site / "targets.html", site / "validation.html", site / "methodology.html",
                 next((site / "cities").glob("*.html"))]:
        found = [a["href"] for tag, a in tags(page) if tag == "a" and a.get("href")]
        nav = {"index.html", "targets.html", "validation.html", "methodology.html"}
        assert {h.removeprefix("../") for h in found} >= nav, page
        for href in found:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not parts.path:
                continue
            assert (page.parent / parts.path).resolve().is_file(), (page.name, href)


def test_targets_and_city_pages_say_why_to_call_and_what_changed(sample_home, tmp_path):
    """A copy of the sample with an earlier snapshot in which every city had 2 points fewer and the top
    target lacked one piece of evidence: the pages say why to call, with links, and what changed."""
    home = copy_home(sample_home, tmp_path / "home")
    (geoid, why, blocked_geoid), = query(home, """
        SELECT geoid, why_call, (SELECT geoid FROM marts.outreach_targets WHERE blocked_by_core IS NOT NULL
                                 ORDER BY rank LIMIT 1)
        FROM marts.outreach_targets ORDER BY rank LIMIT 1""")
    con = duckdb.connect(str(WarehousePaths(home).published))
    try:
        con.execute("""
            INSERT INTO ops.runs (run_id, snapshot, mode, is_sample, status, started_at, finished_at)
            SELECT 'earlier', snapshot - INTERVAL 1 MONTH, mode, is_sample, 'success',
                   started_at - INTERVAL 30 DAY, finished_at - INTERVAL 30 DAY FROM ops.latest_run""")
        con.execute("""INSERT INTO marts.city_index SELECT * EXCLUDE (is_sample) REPLACE (
                       snapshot - INTERVAL 1 MONTH AS snapshot,
                       'earlier' AS run_id, expected_points - 2 AS expected_points) FROM marts.city_index_latest""")
        con.execute("""INSERT INTO staging.city_signals SELECT s.* REPLACE (s.snapshot - INTERVAL 1 MONTH AS snapshot,
                       'earlier' AS run_id, CASE WHEN s.geoid = ? AND s.signal = 'open_data_portal' THEN 0
                       ELSE s.value END AS value)
                       FROM staging.city_signals s JOIN ops.latest_run r USING (run_id)""", [geoid])
        # As if the earlier month had been published first (it finished 30 days before): the latest run's
        # changes are computed against it. (A backfill published later leaves them alone.)
        con.execute("DELETE FROM marts.city_changes WHERE run_id = (SELECT run_id FROM ops.latest_run)")
        refresh_changes(con, "earlier")    # as the publish step does: every run without changes gets them
        (earlier,) = con.execute("SELECT strftime(snapshot, '%Y-%m') FROM ops.runs WHERE run_id = 'earlier'").fetchone()
        (links,) = con.execute("SELECT why_call_links FROM marts.city_index_latest WHERE geoid = ?", [geoid]).fetchone()
    finally:
        con.close()
    build_report(WarehousePaths(home), tmp_path / "site")
    targets = (tmp_path / "site" / "targets.html").read_text()
    assert "<th>Why call</th>" in targets and str(escape(why)) in targets
    assert f"since {earlier}: +2.0 pts" in targets
    city = (tmp_path / "site" / "cities" / f"{geoid}.html").read_text()
    assert "<h2>Why call</h2>" in city and str(escape(why)) in city
    hrefs = {a.get("href") for tag, a in tags(tmp_path / "site" / "cities" / f"{geoid}.html") if tag == "a"}
    assert {link["url"] for link in json.loads(links)} <= hrefs and json.loads(links)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", city))
    assert f"Compared with {earlier}" in text and "Expected points +2.0" in text
    assert "Evidence gained open data portal" in text and "Evidence lost none" in text
    blocked = (tmp_path / "site" / "cities" / f"{blocked_geoid}.html").read_text()
    assert re.search(r"Blocked by core criteria [A-Z]+\d+ \([^)]+\)", blocked)
    # The older snapshot's own pages: nothing before it.
    build_report(WarehousePaths(home), tmp_path / "old", snapshot=earlier)
    old = (tmp_path / "old" / "cities" / f"{geoid}.html").read_text()
    assert "First snapshot: no earlier snapshot of this city to compare with." in old
    assert "first snapshot" in (tmp_path / "old" / "targets.html").read_text()


def test_validation_page_when_nothing_was_computed(sample_home, tmp_path):
    """A run whose certified list could not be read stores a not_computed row: the page says so."""
    home = copy_home(sample_home, tmp_path / "home")
    con = duckdb.connect(str(WarehousePaths(home).published))
    con.execute("DELETE FROM marts.validation")
    con.execute("DELETE FROM marts.calibration")
    con.execute("""INSERT INTO marts.validation (snapshot, run_id, metric, n, positives, detail, is_sample)
                   SELECT snapshot, run_id, 'not_computed', 111, 0, 'certified list not available in this run',
                          is_sample FROM ops.latest_run""")
    con.close()
    build_report(WarehousePaths(home), tmp_path / "site")
    text = (tmp_path / "site" / "validation.html").read_text(encoding="utf-8")
    assert 'id="caveat-none"' in text and "certified list not available in this run" in text
    assert "<svg" not in text and 'id="agreement-table"' not in text   # no empty diagram or table
    assert "This run recorded no calibration verdict." in text


def test_city_pages_link_the_citys_website_and_credited_portals(report, sample_home):
    """Where staff go next from a city page: its official website and every portal credited to it, as links
    (and 'not known' / 'none credited' when there are none)."""
    _, site = report
    con = duckdb.connect(str(WarehousePaths(sample_home).published), read_only=True)
    try:
        cities = con.execute("SELECT geoid, website_url FROM marts.cities_latest").fetchall()
        portals = con.execute("SELECT geoid, portal_host FROM marts.portals_latest WHERE credited").fetchall()
        homes = dict(con.execute("SELECT h.geoid, h.sha256 FROM raw.homepages h JOIN ops.latest_run r "
                                 "USING (run_id) WHERE h.outcome = 'ok' AND h.sha256 IS NOT NULL").fetchall())
    finally:
        con.close()
    by_geoid = {g: [] for g, _ in cities}
    for g, host in portals:
        by_geoid[g].append(host)
    checked = 0
    for geoid, website in cities:
        page = next((site / "cities").glob(f"*{geoid}*.html"), None)
        if page is None:
            continue
        line = page.read_text(encoding="utf-8").split('<p class="city-links">')[1].split("</p>")[0]
        links = re.findall(r'href="([^"]+)"', line)
        if website:
            assert website in links, (page.name, line)
        else:
            assert "not known" in line
        for host in by_geoid[geoid]:
            assert f"https://{host}/" in links, (page.name, host)
        if not by_geoid[geoid]:
            assert "none credited" in line
        # The home page as archived: its bytes (SHA-256), the WARC file, and the Wayback Machine near that date.
        if geoid in homes:
            assert f"<code>{homes[geoid][:12]}</code>" in line and "sample.warc.gz" in line, (page.name, line)
            assert any(u.startswith("https://web.archive.org/web/") for u in links), (page.name, line)
        else:
            assert "as archived" not in line
        checked += 1
    assert checked == len(cities) and any(by_geoid.values()) and homes


def test_the_state_map_colours_each_state_and_links_those_with_targets(report, sample_home):
    """The overview's tile map: every state and DC once; a state's colour class follows the share of its
    cities that are targets; only states with targets link, to the targets table filtered to them."""
    from warehouse.report.charts import STATE_TILES, tile_class

    _, site = report
    html = (site / "index.html").read_text(encoding="utf-8")
    svg = re.search(r'<svg class="chart tiles".*?</svg>', html, re.S).group(0)
    ET.fromstring(svg)   # well-formed
    con = duckdb.connect(str(WarehousePaths(sample_home).published), read_only=True)
    try:
        cities = dict(con.execute("SELECT state, count(*) FROM marts.cities_latest GROUP BY 1").fetchall())
        targets = dict(con.execute("SELECT state, count(*) FROM marts.outreach_targets GROUP BY 1").fetchall())
    finally:
        con.close()
    labels = re.findall(r'class="tile-label" text-anchor="middle">([A-Z]{2})</text>', svg)
    assert sorted(labels) == sorted(STATE_TILES)
    linked = set(re.findall(r'href="targets\.html#state=([A-Z]{2})"', svg))
    assert linked == set(targets) and linked
    for state in STATE_TILES:
        expected = tile_class(targets.get(state, 0), cities.get(state, 0))
        assert re.search(rf'class="tile {expected}"/><text [^>]*>{state}</text>', svg), state
    assert tile_class(0, 0) == "tile-none" and tile_class(0, 4) == "tile-0"
    assert tile_class(1, 20) == "tile-1" and tile_class(1, 2) == "tile-4"


def test_a_city_not_observed_says_so_before_any_figure(report, sample_home):
    """Staff read '0% chance of Silver' on the page of a city whose site was never read; the page now opens
    with why the city could not be judged, and a ranked target's page has no such banner."""
    _, site = report
    (geoid, note), = query(sample_home, "SELECT geoid, outreach_note FROM marts.city_index_latest "
                                        "WHERE outreach_status = 'not_observed' ORDER BY geoid LIMIT 1")
    page = (site / "cities" / f"{geoid}.html").read_text(encoding="utf-8")
    banner = page.index("Not observed this month:")
    assert str(escape(note)) in page[banner:banner + 1000] and banner < page.index("chance of")
    (target,), = query(sample_home, "SELECT geoid FROM marts.outreach_targets ORDER BY rank LIMIT 1")
    assert "Not observed this month" not in (site / "cities" / f"{target}.html").read_text(encoding="utf-8")


def test_a_home_page_that_failed_is_said_in_words(report, sample_home):
    """A city page read 'home page blocked address in this run': a fetch outcome's code, not what happened."""
    from warehouse.report.render import OUTCOME_WORDS

    _, site = report
    rows = query(sample_home, "SELECT geoid, homepage_outcome FROM marts.cities_latest WHERE website_url IS NOT "
                              "NULL AND homepage_outcome <> 'ok' ORDER BY geoid")
    assert rows
    for geoid, outcome in rows:
        page = (site / "cities" / f"{geoid}.html").read_text(encoding="utf-8")
        assert f"in this run the home page {OUTCOME_WORDS[outcome]}" in page, (geoid, outcome)
        assert outcome.replace("_", " ") not in page.split("Official website:", 1)[1][:600]


def test_a_city_with_no_gap_listed_does_not_promise_odds_if_the_gaps_were_closed(report, sample_home):
    """The headline "X% if the gaps below were closed" is only true when gaps are listed below; a city
    whose page lists none (each gap alone moves its odds too little, or it has none) says that instead."""
    from warehouse.report.data import parse_gaps

    _, site = report
    found = query(sample_home, "SELECT geoid, top_gaps FROM marts.city_index_latest WHERE next_tier IS NOT NULL")
    none = [g for g, gaps in found if not [x for x in parse_gaps(gaps) if x["matters"]]]
    some = [g for g, gaps in found if [x for x in parse_gaps(gaps) if x["matters"]]]
    assert none and some, "the sample needs cities with and without gaps listed"
    for geoid in none:
        page = (site / "cities" / f"{geoid}.html").read_text()
        assert "No gaps listed for this city." in page
        assert "if the gaps below were closed" not in page, geoid
        assert "(no gap found that alone would raise it by 1.0 percentage point or more)" in page
    page = (site / "cities" / f"{some[0]}.html").read_text()
    assert "if the gaps below were closed" in page and "no gap found" not in page


def test_the_sample_banner_goes_inside_the_page_never_before_its_doctype(tmp_path: Path) -> None:
    """A copied page without <body> got the banner at offset 0, before <!DOCTYPE html>: the browser then
    renders it in quirks mode. It goes after </head>, else after <html>, else after the doctype."""
    from warehouse.report.build import SAMPLE_BANNER, mark_sample_pages

    pages = {
        "body.html": ("<!DOCTYPE html><html><head><title>t</title></head><BODY class='x'><p>a</p></BODY></html>",
                      "<!DOCTYPE html><html><head><title>t</title></head><BODY class='x'>" + SAMPLE_BANNER),
        "head.html": ("<!doctype html>\n<html lang=en><head><title>t</title></head>\n<p>a</p></html>",
                      "<!doctype html>\n<html lang=en><head><title>t</title></head>" + SAMPLE_BANNER),
        "html.html": ("<!DOCTYPE html><html><p>a</p></html>", "<!DOCTYPE html><html>" + SAMPLE_BANNER),
        "doctype.html": ("<!DOCTYPE html>\n<p>a</p>", "<!DOCTYPE html>" + SAMPLE_BANNER),
        "fragment.html": ("<p>a</p>", SAMPLE_BANNER + "<p>a</p>"),
    }
    for name, (text, _) in pages.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    mark_sample_pages(tmp_path)
    for name, (text, starts) in pages.items():
        marked = (tmp_path / name).read_text(encoding="utf-8")
        assert marked.startswith(starts) and marked.replace(SAMPLE_BANNER, "", 1) == text, name
