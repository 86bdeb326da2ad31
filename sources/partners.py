"""The What Works Cities partner cities of 2015-2018 (the "WWC 100"), read from the cohort announcements
listed in ``wwc_partners.yaml``.

Each announcement names its new cities in a sentence about joining ("...selected to join What Works
Cities: Baton Rouge, LA; Cary, NC; and Winston-Salem, NC.") and often again as section headings, one per
city ("Columbia, South Carolina"). The parser reads only those two places, not every "City, ST" on the
page: datelines ("NEW YORK, September 26") and cities quoted in passing are not partners.

A partner flag is context for outreach (these cities had coaching before); it is shown, never scored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from sources.certified import match_city_state
from sources.datafiles import AnnouncementsFile, load_data_file
from sources.geo import state_by_name, state_by_usps
from sources.http.fetcher import Fetcher
from sources.markup import parse_html

ANNOUNCEMENTS_FILE = Path(__file__).with_name("wwc_partners.yaml")
COLUMNS = ["city", "state", "announced", "url", "geoid", "match"]
_JOIN = re.compile(r"\b(join|joined|joining|selected|welcomed|new cities|announced)\b", re.I)
_STATE_NAME = r"[A-Z][a-z]+(?: [A-Z][a-z]+){0,2}"
# One list item: up to four capitalised words (the place), a comma, a USPS code or a state name, then a
# separator. Words before the place that are lower case ("the new cities are") end the name.
_WORD = r"[A-Z][A-Za-z.'\u00C0-\u017F-]*"
_ITEM = re.compile(rf"\b(?P<city>{_WORD}(?: {_WORD}){{0,3}}),\s+(?P<state>[A-Z]{{2}}|{_STATE_NAME})"
                   rf"(?=\s*(?:[;,.:)]|\band\b|$))")
_HEADING = re.compile(rf"^(?P<city>[A-Z][A-Za-z.'\u00C0-\u017F -]{{1,40}}),\s*(?P<state>[A-Z]{{2}}|{_STATE_NAME})$")


@dataclass(frozen=True)
class Announcement:
    url: str
    announced: date | None


@dataclass
class PartnerRead:
    rows: list[dict] = field(default_factory=list)
    outcomes: dict[str, str] = field(default_factory=dict)    # url -> ok | unreachable | http_error | unparsed


def load_announcements(path: Path = ANNOUNCEMENTS_FILE) -> list[Announcement]:
    raw = load_data_file(path, AnnouncementsFile)
    return [Announcement(a.url, a.date) for a in raw.announcements]


def parse_announcement(html: str) -> list[tuple[str, str]]:
    """(city, USPS) pairs an announcement names as joining, in page order, without repeats."""
    soup = parse_html(html)
    for tag in soup.find_all(("script", "style", "nav", "footer", "noscript")):
        tag.decompose()
    found: dict[tuple[str, str], None] = {}
    for el in soup.find_all(("h1", "h2", "h3", "h4", "strong", "b")):
        m = _HEADING.match(" ".join(el.get_text(" ").split()))
        if m and (hit := _place(m.group("city"), m.group("state"))):
            found.setdefault(hit)
    text = " ".join(soup.get_text(" ").split())
    for sentence in re.split(r"(?<=[.!?])\s+(?=[A-Z\u201c\"])", text):
        if not _JOIN.search(sentence):
            continue
        for m in _ITEM.finditer(sentence):
            if hit := _place(m.group("city"), m.group("state")):
                found.setdefault(hit)
    return list(found)


def _place(city: str, state: str) -> tuple[str, str] | None:
    st = state_by_usps(state) if len(state) == 2 else state_by_name(state)
    city = re.sub(r"^(?:the city of)\s+", "", city.strip(), flags=re.I)
    if st is None or not city or city.isupper():      # "NEW YORK, September" style datelines are not places
        return None
    return city, st.usps


def fetch_partners(fetcher: Fetcher, announcements: list[Announcement] | None = None) -> PartnerRead:
    """Every announcement fetched and parsed; each URL's outcome kept, so an unreadable cohort shows as
    unknown rather than as cities that were never partners."""
    out = PartnerRead()
    for a in announcements if announcements is not None else load_announcements():
        res = fetcher.get(a.url)
        if not res.ok:
            out.outcomes[a.url] = "unreachable" if not res.outcome.reachable else "http_error"
            continue
        named = parse_announcement(res.text())
        out.outcomes[a.url] = "ok" if named else "unparsed"
        out.rows += [{"city": c, "state": s, "announced": a.announced, "url": a.url} for c, s in named]
    return out


def match_partners(read: PartnerRead, cities: pd.DataFrame) -> pd.DataFrame:
    """Partner rows with the geoid of the one universe city of that name and state (kept when unmatched)."""
    if not read.rows:
        return pd.DataFrame(columns=COLUMNS)
    frame = pd.DataFrame(read.rows)
    matches = match_city_state(read.rows, cities)
    frame["geoid"] = [g for g, _ in matches]
    frame["match"] = [m for _, m in matches]
    return frame.sort_values("announced", kind="stable").drop_duplicates(["city", "state"])[COLUMNS]
