"""The outreach report (warehouse.report) built from the sample warehouse: completeness, escaping of
scraped text, link schemes, no external resources, the sample banner and older snapshots. No browser."""

from __future__ import annotations

import shutil
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import duckdb
import pytest

from warehouse.paths import WarehousePaths
from warehouse.publish import WarehouseError
from warehouse.read import connect_published
from warehouse.report import ReportSummary, build_report
from warehouse.report.render import population_band

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
    return [site / "index.html", site / "targets.html", *sorted((site / "cities").glob("*.html"))]


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
    assert summary.pages == len(geoids) + 2
    assert {p.stem for p in (site / "cities").glob("*.html")} == geoids
    index_links = {a["href"] for tag, a in tags(site / "index.html") if tag == "a" and a.get("href")}
    assert {f"cities/{g}.html" for g in geoids} <= index_links
    assert "targets.html" in index_links
    (snapshot,) = query(sample_home, "SELECT strftime(snapshot, '%Y-%m') FROM ops.latest_run")[0]
    assert summary.snapshot == snapshot and summary.out_dir == site
    assert (site / "report.css").exists() and (site / "report.js").exists()


def test_targets_table_is_the_view(report, sample_home):
    _, site = report
    view = [r[0] for r in query(sample_home, "SELECT geoid FROM marts.outreach_targets ORDER BY rank")]
    rows = [a for tag, a in tags(site / "targets.html") if tag == "tr" and "data-state" in a]
    links = [a["href"] for tag, a in tags(site / "targets.html")
             if tag == "a" and (a.get("href") or "").startswith("cities/")]
    assert len(rows) == len(view) > 0
    assert links == [f"cities/{g}.html" for g in view]
    assert f"{len(view)} of {len(view)} targets shown" in (site / "targets.html").read_text()


def test_population_bands_agree_with_the_view(sample_home):
    for population, band in query(sample_home, "SELECT population, population_band FROM marts.outreach_targets"):
        assert population_band(population) == band


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
        INSERT INTO marts.city_index SELECT * REPLACE (
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
