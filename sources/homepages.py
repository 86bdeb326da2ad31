"""Fetch each city's official home page once per run: the first public signal, and the crawl seed."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pandas as pd

from sources.http.fetcher import Fetcher
from sources.http.result import FetchResult
from sources.markup import parse_html
from sources.portals.discovery import portal_links
from sources.websites import settle_websites, website_candidates

HOMEPAGE_COLUMNS = ["geoid", "url", "final_url", "outcome", "status", "title", "bytes", "sha256", "fetched_at",
                    "portal_links"]
_MAX_TITLE = 300


def fetch_homepages(fetcher: Fetcher, cities: pd.DataFrame, *,
                    progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """One row per city with a website (its ``website_url``, nothing to settle); cities without one are
    simply not fetched."""
    return settle_homepages(fetcher, cities, website_candidates({}), progress=progress)[0]


def settle_homepages(fetcher: Fetcher, cities: pd.DataFrame, candidates: pd.DataFrame, *,
                     progress: Callable[[int, int], None] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(home pages, settled candidates): the chosen website of every city is fetched and, where the
    city's sources disagree on the domain, every other candidate too, in one polite batch. The first
    candidate by precedence that answers becomes the city's website (``settle_websites``; a redirect to
    another domain is recorded as a move); when none answers, the one whose host looked most alive (a
    site keeping crawlers out beats an address that no longer exists), then precedence. The HTTP status
    goes along with each outcome because a 404 says the address is dead and a 503 that the site is
    there but failing. Home pages are one row per city: the winner's fetch."""
    with_site = cities[cities["website_url"].notna() & (cities["website_url"] != "")]
    asked = list(zip(with_site["geoid"].astype(str), with_site["website_url"], strict=True))
    chosen, fetched_cities = set(asked), {g for g, _ in asked}
    if len(candidates):
        others = candidates[candidates["disagreement"].astype(bool) & ~candidates["chosen"].astype(bool)]
        asked += [(g, u) for g, u in zip(others["geoid"].astype(str), others["url"], strict=True)
                  if (g, u) not in chosen and g in fetched_cities]
    results = fetcher.fetch_many([u for _, u in asked], progress=progress)
    fetches = pd.DataFrame({"url": [u for _, u in asked], "final_url": [r.final_url for r in results],
                            "outcome": [r.outcome.value for r in results], "status": [r.status for r in results]})
    settled = settle_websites(candidates, fetches)
    winner = dict(zip(settled.loc[settled["winner"], "geoid"], settled.loc[settled["winner"], "url"], strict=True))
    rows = [_row(g, r) for (g, u), r in zip(asked, results, strict=True) if winner.get(g, u) == u]
    frame = pd.DataFrame(rows, columns=HOMEPAGE_COLUMNS).drop_duplicates("geoid").reset_index(drop=True)
    return frame, settled


def page_title(result: FetchResult) -> str | None:
    """The <title> text, whitespace-collapsed; None for non-HTML or missing titles, never an error."""
    if not _is_html(result):
        return None
    soup = parse_html(result.text())
    if soup.title is None or not soup.title.string:
        return None
    return " ".join(soup.title.string.split())[:_MAX_TITLE] or None


def _row(geoid: str, r: FetchResult) -> dict:
    return {"geoid": geoid, "url": r.url, "final_url": r.final_url, "outcome": r.outcome.value,
            "status": r.status, "title": page_title(r), "bytes": len(r.body),
            "sha256": hashlib.sha256(r.body).hexdigest() if r.ok else None, "fetched_at": r.fetched_at,
            "portal_links": ";".join(portal_links(r.final_url, r.text())) if _is_html(r) else ""}


def _is_html(result: FetchResult) -> bool:
    return result.ok and "html" in (result.content_type or "text/html")
