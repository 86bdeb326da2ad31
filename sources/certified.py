"""The What Works Cities certified list: which cities hold which tier, read from the program's
certification page.

The page groups city tiles under tier headings (Platinum, Gold, Silver, and an Honor Roll of cities on
the path), each tile naming "City, ST" or "City, State", sometimes with the year. The page's markup has
changed over the years (tiles of linked photos, plain lists), so the parser does not depend on classes:
it walks the document in order, remembers the last tier heading, and records every short element whose
whole text reads as a U.S. city and state. A page with no tier heading or no city is reported as an
error, never read as "no certified cities".

These labels are shown, used to validate the index and to calibrate its weights (cross-fitted: a city's
own label is never an input to its own score).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd
from bs4 import NavigableString, Tag

from sources.geo import state_by_name, state_by_usps
from sources.http.fetcher import Fetcher
from sources.markup import parse_html
from sources.portals.scope import normalize

CERTIFICATION_URL = "https://whatworkscities.bloomberg.org/certification/"
TIERS = ("platinum", "gold", "silver", "honor_roll")
COLUMNS = ["city", "state", "tier", "year", "geoid", "match"]
_HEADING = re.compile(r"\b(platinum|gold|silver|honor roll)\b", re.I)
_CITY = re.compile(r"^(?P<city>[A-Z][A-Za-z.'\u00C0-\u017F -]{1,60}?),\s*(?P<state>[A-Z]{2}|[A-Z][a-z]+(?: [A-Z][a-z]+){0,2})"
                   r"(?:\s*[(\u2013\u2014-]\s*(?:certified\s*(?:in\s*)?)?(?P<year>20\d\d)\)?)?$", re.I)
_YEAR = re.compile(r"\b(20[12]\d)\b")
_HEADING_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_LEAF_TAGS = {"a", "li", "figcaption", "p", "span", "div", "td", "strong", "em", "h4", "h5", "h6"}


@dataclass
class CertifiedList:
    rows: list[dict] = field(default_factory=list)
    error: str | None = None
    url: str = CERTIFICATION_URL
    outcome: str = "ok"            # ok | unreachable | http_error | unparsed


def parse_certified(html: str) -> CertifiedList:
    soup = parse_html(html)
    for tag in soup.find_all(("script", "style", "nav", "footer", "header", "noscript")):
        tag.decompose()
    result, tier, seen_heading = CertifiedList(), None, False
    seen: dict[tuple[str, str], dict] = {}
    for el in soup.find_all(True):
        text = " ".join(el.get_text(" ").split())
        if _is_heading(el, text):
            m = _HEADING.search(text)
            tier = m.group(1).lower().replace(" ", "_") if m else None
            seen_heading = seen_heading or m is not None
            continue
        if tier is None or el.name not in _LEAF_TAGS or len(text) > 80 or _has_city_child(el):
            continue
        hit = _city(text)
        if hit is None:
            continue
        city, state, year = hit
        year = year or _year_of(el)
        key = (normalize(city), state)
        row = {"city": city, "state": state, "tier": tier, "year": year}
        if key not in seen or TIERS.index(tier) < TIERS.index(seen[key]["tier"]):
            seen[key] = row
    result.rows = list(seen.values())
    if not seen_heading:
        result.outcome, result.error = "unparsed", "no Platinum/Gold/Silver heading found on the page"
    elif not result.rows:
        result.outcome, result.error = "unparsed", "tier headings found, but no 'City, ST' entries under them"
    return result


def fetch_certified(fetcher: Fetcher, url: str = CERTIFICATION_URL) -> CertifiedList:
    res = fetcher.get(url)
    if not res.ok:
        out = CertifiedList(url=url, outcome="unreachable" if not res.outcome.reachable else "http_error")
        out.error = f"{res.outcome.value} {res.status or ''}: {res.error or ''}".strip()
        return out
    parsed = parse_certified(res.text())
    parsed.url = url
    return parsed


def match_to_cities(certified: CertifiedList, cities: pd.DataFrame) -> pd.DataFrame:
    """Certified rows with the city's geoid where one city of the universe has that name and state;
    unmatched rows are kept (geoid null, ``match`` says why), never dropped."""
    matches = match_city_state(certified.rows, cities)
    out = [{**r, "geoid": geoid, "match": how} for r, (geoid, how) in zip(certified.rows, matches, strict=True)]
    return pd.DataFrame(out, columns=COLUMNS)


def match_city_state(rows: list[dict], cities: pd.DataFrame) -> list[tuple[str | None, str]]:
    """(geoid, how) per {city, state} row: the geoid when exactly one universe city has that name in that
    state ("name_state"), else None with "ambiguous" or "not_in_universe". "City of X" reads as X."""
    index: dict[tuple[str, str], list[str]] = {}
    for row in cities[["geoid", "name", "state_abbr"]].itertuples(index=False):
        index.setdefault((normalize(str(row.name)), str(row.state_abbr)), []).append(row.geoid)
    out: list[tuple[str | None, str]] = []
    for r in rows:
        hits = index.get((normalize(re.sub(r"^(city|town|village) of ", "", r["city"], flags=re.I)), r["state"]), [])
        out.append((hits[0], "name_state") if len(hits) == 1 else (None, "ambiguous" if hits else "not_in_universe"))
    return out


def _is_heading(el: Tag, text: str) -> bool:
    if el.name in _HEADING_TAGS and len(text) <= 80 and not _CITY.match(text):
        return True
    cls = " ".join(el.get("class") or [])
    return bool(re.search(r"(heading|title|tier)", cls, re.I)) and len(text) <= 60 and bool(_HEADING.search(text))


def _has_city_child(el: Tag) -> bool:
    """Leave a tile's text to its innermost element that holds a whole "City, ST"."""
    for child in el.children:
        if isinstance(child, NavigableString) or not isinstance(child, Tag):
            continue
        if _city(" ".join(child.get_text(" ").split())) is not None:
            return True
    return False


def _city(text: str) -> tuple[str, str, int | None] | None:
    m = _CITY.match(text.strip())
    if not m:
        return None
    raw = m.group("state")
    st = state_by_usps(raw.upper()) if len(raw) == 2 else state_by_name(raw)
    if st is None:
        return None
    return m.group("city").strip(), st.usps, int(m.group("year")) if m.group("year") else None


def _year_of(el: Tag) -> int | None:
    """A year in the tile's attributes (the element or the two around it), e.g. data-year="2022"."""
    node: Tag | None = el
    for _ in range(3):
        if node is None or not isinstance(node, Tag):
            break
        for attr in ("data-year", "data-cohort", "title"):
            v = node.get(attr)
            year = _YEAR.search(str(v)) if v else None
            if year:
                return int(year.group(1))
        node = node.parent
    return None
