"""Fetch each city's official home page once per run: the first public signal, and the crawl seed."""

from __future__ import annotations

import hashlib

import pandas as pd
from bs4 import BeautifulSoup

from sources.http.fetcher import Fetcher
from sources.http.result import FetchResult
from sources.portals.discovery import portal_links

HOMEPAGE_COLUMNS = ["geoid", "url", "final_url", "outcome", "status", "title", "bytes", "sha256", "fetched_at",
                    "portal_links"]
_MAX_TITLE = 300


def fetch_homepages(fetcher: Fetcher, cities: pd.DataFrame) -> pd.DataFrame:
    """One row per city with a website; cities without one are simply not fetched."""
    with_site = cities[cities["website_url"].notna() & (cities["website_url"] != "")]
    results = fetcher.fetch_many(with_site["website_url"].tolist(), label="home pages")
    rows = [_row(geoid, r) for geoid, r in zip(with_site["geoid"], results, strict=True)]
    return pd.DataFrame(rows, columns=HOMEPAGE_COLUMNS)


def page_title(result: FetchResult) -> str | None:
    """The <title> text, whitespace-collapsed; None for non-HTML or missing titles, never an error."""
    if not _is_html(result):
        return None
    soup = BeautifulSoup(result.text(), "html.parser")
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
