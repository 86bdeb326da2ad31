"""The program's certification page, for the synthetic population: SAMPLE DATA.

Which synthetic cities are "certified" follows their ground-truth criteria (``SimCity.criteria``): the
tier their points and core criteria give under the catalog's thresholds; cities within three points of
Silver with every core criterion make the Honor Roll. The page uses tier headings and city tiles.
"""

from __future__ import annotations

import html

from tests.simweb.formats.common import HTML, Response
from tests.simweb.population import SAMPLE_LABEL, Population, SimCity

HOST = "whatworkscities.bloomberg.org"
PATH = "/certification/"


def certified_tiers(pop: Population) -> dict[str, str]:
    """geoid -> platinum | gold | silver | honor_roll, for the synthetic cities the page lists."""
    from warehouse.index.scoring import Model

    model = Model()
    out = {}
    for c in pop.cities:
        if not c.website_host:
            continue
        tier = model.tier_of(c.criteria)
        if tier == "none" and model.cores <= c.criteria and len(c.criteria) >= model.needed["silver"] - 3:
            tier = "honor_roll"   # every core criterion and within three points of Silver
        if tier != "none":
            out[c.geoid] = tier
    return out


def page(pop: Population) -> Response:
    tiers = certified_tiers(pop)
    by = {c.geoid: c for c in pop.cities}
    sections = []
    for tier, heading in (("platinum", "Platinum Certified Cities"), ("gold", "Gold Certified Cities"),
                          ("silver", "Silver Certified Cities"), ("honor_roll", "Certification Honor Roll")):
        cities = sorted((by[g] for g, t in tiers.items() if t == tier), key=lambda c: (c.state_abbr, c.name))
        tiles = "".join(_tile(c, 2019 + int(c.geoid) % 6) for c in cities)
        sections.append(f'<section class="tier"><h2 class="section-title">{heading}</h2>'
                        f'<div class="city-grid">{tiles}</div></section>')
    body = (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Certification</title></head>"
            f"<body><main><h1>Certification</h1><p class='notice'>{html.escape(SAMPLE_LABEL)}</p>"
            f"{''.join(sections)}</main></body></html>")
    return Response(200, HTML, body.encode("utf-8"))


def _tile(c: SimCity, year: int) -> str:
    return (f'<a class="city-tile" href="/city/{c.slug}/" data-year="{year}"><img src="/img/{c.slug}.jpg" alt="">'
            f'<span class="city-tile__name">{html.escape(c.name)}, {c.state_abbr}</span></a>')
