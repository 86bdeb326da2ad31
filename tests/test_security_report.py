"""Security tests for threats 4a-4c of docs/security.md: scraped text and URLs injected into the static report."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.security_support import (
    _copy_home,
    _read,
    _write,
)
from warehouse.paths import WarehousePaths
from warehouse.report import build_report
from warehouse.report.links import safe_href

# ================================================================================ 4. report injection
QUOTE_BREAK = "\"><img src=x onerror=alert(11)>' onmouseover='alert(12)"


HOSTILE_STATE = 'Z"><svg onload=alert(20)>'


HOSTILE_URLS = {
    "quote": 'https://evidence.example/p?q="><script>alert(13)</script>',
    "data": "data:text/html;base64,PHNjcmlwdD5hbGVydCgxNCk8L3NjcmlwdD4=",
    "vbscript": "vbscript:msgbox(15)",
    "scheme_relative": "//evil.example/x",
    "backslashes": "https:\\\\evil.example\\x",
    "tab": "java\tscript:alert(16)",
    "control": "\x01javascript:alert(17)",
    "entity": "javascript&colon;alert(18)",
    "no_host": "http:alert(19)",
}


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.script_text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.script_text.append(data)


def _parse(path: Path) -> _Tags:
    parser = _Tags()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


@pytest.fixture(scope="module")
def hostile_site(sample_home: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The sample warehouse with attribute-breaking text in every field the report puts inside an attribute
    (city name, state, tiers, run metadata) and hostile URLs in evidence, then the report built from it."""
    home = _copy_home(sample_home, tmp_path_factory.mktemp("hostile_home"))
    (geoid,) = _read(home, "SELECT t.geoid FROM marts.outreach_targets t WHERE EXISTS (SELECT 1 FROM "
                           "marts.evidence_latest e WHERE e.geoid = t.geoid) ORDER BY rank LIMIT 1")[0]
    _write(home, "UPDATE marts.city_index SET city = ?, state = ?, predicted_tier = ? WHERE geoid = ?",
           [QUOTE_BREAK, HOSTILE_STATE, 'gold" onclick="alert(21)', geoid])
    _write(home, "UPDATE marts.city_index SET certified_tier = ? WHERE geoid = (SELECT max(geoid) FROM "
                 "marts.city_index WHERE geoid <> ?)", ["silver' onfocus='alert(22)", geoid])
    (url,) = _read(home, "SELECT min(url) FROM marts.evidence WHERE geoid = ?", [geoid])[0]
    for i, hostile in enumerate(HOSTILE_URLS.values()):   # one more evidence page per hostile URL
        _write(home, "INSERT INTO marts.evidence SELECT * REPLACE (? AS url, ? AS kind) FROM marts.evidence "
                     "WHERE geoid = ? AND url = ?", [hostile, f'kind" onmouseover="alert({30 + i})', geoid, url])
    _write(home, "UPDATE marts.evidence SET snippet = ? WHERE geoid = ?", ["</blockquote></li></ol>" + QUOTE_BREAK, geoid])
    _write(home, "UPDATE staging.city_signals SET source = ? WHERE geoid = ? AND source IS NOT NULL",
           [HOSTILE_URLS["quote"], geoid])
    _write(home, "UPDATE ops.runs SET mode = ?, cdpi_version = ?", ['<script>alert(40)</script>', '"><b>x</b>'])
    site = tmp_path_factory.mktemp("hostile_site")
    build_report(WarehousePaths(home), site)
    return site, geoid


def _pages(site: Path) -> list[Path]:
    return [site / "index.html", site / "targets.html", site / "validation.html", site / "methodology.html",
            *sorted((site / "cities").glob("*.html"))]


def test_report_attribute_contexts_stay_closed(hostile_site: tuple[Path, str]) -> None:
    """Quote-breaking text inside data-*, class, option values, aria-label and SVG labels: every attribute
    is escaped, so the text round-trips as the attribute's value and never opens a new attribute or tag."""
    site, geoid = hostile_site
    for page in _pages(site):
        parsed = _parse(page)
        names = {tag for tag, _ in parsed.tags}
        assert not names & {"img", "iframe", "object", "embed", "b", "base", "frame"}, (page, names)
        events = [(tag, k) for tag, attrs in parsed.tags for k in attrs if k.lower().startswith("on")]
        assert events == [], (page, events)
        assert parsed.script_text == [], "no inline script body on any page"
        assert [a for t, a in parsed.tags if t == "script"] == [
            {"src": "../report.js" if page.parent.name == "cities" else "report.js"}]
    index = _parse(site / "index.html").tags
    assert {"data-city": QUOTE_BREAK.lower()} in [a for t, a in index if t == "tr"], "value survives intact"
    targets = _parse(site / "targets.html").tags
    assert any(t == "tr" and a.get("data-city") == QUOTE_BREAK.lower() and a.get("data-state") ==
               HOSTILE_STATE for t, a in targets)
    assert ("option", {"value": HOSTILE_STATE}) in targets
    badges = {a["class"] for t, a in index + targets if t == "span" and "badge" in (a.get("class") or "")}
    assert "badge tier-unknown" in badges and all(re.fullmatch(r"badge tier-[a-z_]+", b) for b in badges), badges
    # The SVG charts colour segments by tier key, hostile keys included: escaped, so still one class value.
    segments = [a["class"] for t, a in index if t == "rect" and "seg" in (a.get("class") or "")]
    assert 'seg seg-gold" onclick="alert(21)' in segments
    city = _parse(site / "cities" / f"{geoid}.html").tags
    spark = [a for t, a in city if t == "svg" and "spark" in (a.get("class") or "")]
    assert spark and spark[0]["aria-label"].startswith("History of " + QUOTE_BREAK)


def test_report_links_only_http_with_intact_href(hostile_site: tuple[Path, str]) -> None:
    site, geoid = hostile_site
    city_page = site / "cities" / f"{geoid}.html"
    hrefs = [a["href"] for t, a in _parse(city_page).tags if t == "a" and a.get("href")]
    assert HOSTILE_URLS["quote"] in hrefs, "a quote inside an http(s) URL stays inside the href"
    for page in _pages(site):
        for tag, attrs in _parse(page).tags:
            for name in ("href", "src", "action", "formaction", "xlink:href", "data", "poster"):
                value = attrs.get(name)
                if value is None or (tag, name, value) == ("link", "href", "data:,"):   # the empty favicon
                    continue
                scheme = urlsplit(value.strip()).scheme.lower()
                assert scheme in ("", "http", "https"), (page, tag, value)
                assert not value.strip().startswith("//") and "\\" not in value, (page, tag, value)
                if scheme:
                    assert safe_href(value) == value
    text = city_page.read_text(encoding="utf-8")
    for hostile in ("vbscript:msgbox(15)", "//evil.example/x", "javascript&amp;colon;alert(18)"):
        assert hostile in text, f"{hostile} is shown as text"


def test_report_pages_carry_a_strict_csp_and_the_script_writes_no_markup(hostile_site: tuple[Path, str]) -> None:
    site, _ = hostile_site
    for page in _pages(site):
        metas = [a for t, a in _parse(page).tags if t == "meta" and
                 (a.get("http-equiv") or "").lower() == "content-security-policy"]
        assert len(metas) == 1, page
        policy = metas[0]["content"]
        assert "default-src 'none'" in policy and "script-src 'self'" in policy
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        text = page.read_text(encoding="utf-8")
        assert "<script>alert" not in text and "<svg onload" not in text and "<b>x</b>" not in text
    js = (site / "report.js").read_text(encoding="utf-8")
    # The one URL it writes is the blob: address of the CSV it builds itself (the download button).
    sinks = re.findall(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\s*\(|new\s+Function|"
                       r"setTimeout\s*\(\s*['\"]|setInterval\s*\(\s*['\"]|\.src\s*=|"
                       r"\.href\s*=(?!\s*URL\.createObjectURL\(blob\))|setAttribute\(\s*['\"](?:href|src)", js)
    assert sinks == [], "report.js reads the DOM (textContent, getAttribute) and writes no markup or URLs"
    assert js.count("URL.createObjectURL(blob)") == 1, "the CSV download's own blob: address"
