"""The What Works Cities partner-cohort announcements, for the synthetic population: SAMPLE DATA.

Served at the URLs of ``sources/wwc_partners.yaml`` so the live code path reads them unchanged. About one
city in twelve with a website is a partner, drawn from its own RNG (no other city attribute changes);
cohorts alternate between a press-release style (dateline, one sentence listing "City, ST; ...; and
City, ST.", a bullet per city) and a blog style (a sentence with state names, one heading per city).
Each page also names a non-partner city in passing, which must not be flagged.
"""

from __future__ import annotations

import html
import random
from functools import lru_cache
from urllib.parse import urlsplit

from sources.partners import load_announcements
from tests.simweb.formats.common import HTML, Response
from tests.simweb.population import SAMPLE_LABEL, Population, SimCity

ROBOTS_ALLOW = Response(200, "text/plain; charset=utf-8", b"User-agent: *\nDisallow:\n")


@lru_cache(maxsize=1)
def _urls() -> tuple[str, ...]:
    return tuple(a.url for a in load_announcements())


def cohorts(pop: Population) -> dict[str, list[SimCity]]:
    """Announcement URL -> the synthetic cities it names as joining (the answer key)."""
    urls = _urls()
    rng = random.Random(f"{pop.seed}/partners")
    eligible = sorted((c for c in pop.cities if c.website_host), key=lambda c: c.geoid)
    chosen = rng.sample(eligible, k=min(len(eligible), max(len(urls), len(eligible) // 12)))
    out: dict[str, list[SimCity]] = {u: [] for u in urls}
    for i, c in enumerate(chosen):
        out[urls[i % len(urls)]].append(c)
    return out


@lru_cache(maxsize=1)
def hosts() -> frozenset[str]:
    return frozenset(urlsplit(u).hostname or "" for u in _urls())


def route(pop: Population, host: str, path: str) -> Response | None:
    """The announcement at (host, path), robots.txt for those hosts, or None when not ours."""
    if host not in hosts():
        return None
    if path == "/robots.txt":
        return ROBOTS_ALLOW
    groups = cohorts(pop)
    for k, (url, cities) in enumerate(groups.items()):
        parts = urlsplit(url)
        if parts.hostname == host and parts.path == path:
            others = [c for c in pop.cities if all(c is not p for g in groups.values() for p in g)]
            bystander = others[k % len(others)] if others else None
            return Response(200, HTML, _page(k, cities, bystander).encode("utf-8"))
    return Response(404, HTML, b"<html><body><h1>Not found</h1></body></html>")


def _page(k: int, cities: list[SimCity], bystander: SimCity | None) -> str:
    e = html.escape
    aside = (f"<p>Staff from {e(bystander.name)}, {bystander.state_abbr} shared lessons at the summit.</p>"
             if bystander else "")
    if k % 2 == 0:
        items = [f"{e(c.name)}, {c.state_abbr}" for c in cities]
        listed = "; ".join(items[:-1]) + ("; and " if len(items) > 1 else "") + items[-1] if items else ""
        body = (f"<p>NEW YORK, October {k + 3}, 2017 \u2013 Today the initiative announced that {len(cities)} new "
                f"cities have been selected to join What Works Cities: {listed}. They bring the network to "
                f"{60 + 5 * k} cities.</p>{aside}<ul>"
                + "".join(f"<li>{e(c.name)}, {c.state_abbr}, will build a performance program.</li>" for c in cities)
                + "</ul>")
    else:
        listed = ", ".join(f"{e(c.name)}, {e(c.state_name)}" for c in cities)
        body = (f"<p>We just welcomed {len(cities)} new cities: {listed}.</p>{aside}"
                + "".join(f"<h3>{e(c.name)}, {e(c.state_name)}</h3><p>Plans for open data and evaluation.</p>"
                          for c in cities))
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>New cities</title></head><body>"
            f"<header><nav>Home | About | Blog</nav></header><main><article><h1>New cities join</h1>"
            f"<p class='notice'>{e(SAMPLE_LABEL)}</p>{body}</article></main></body></html>")
