"""UScityURL's CSV (GEOID, MUNICIPALITY, STATE, WEBSITE_AVAILABLE, WEBSITE_URL) for the synthetic population,
served where the raw file of the pinned commit lives on the real web.

Like the real list (collected in 2022) it is not perfect: a city whose site is recent is listed without
one (about one in nine), a few are listed at an address that no longer serves them (about one in
thirteen: Wikidata has the current one, and the home page fetch settles it), both chosen by a hash of the
GEOID so populations drawn from the same seed stay identical. Where Wikidata names several sites for a
city the list names the right one. Cities with no website are listed with the flag 0.
"""

from __future__ import annotations

import csv
import hashlib
import io

from sources.websites import USCITYURL_COMMIT, USCITYURL_PATH, USCITYURL_REPO
from tests.simweb.formats.common import Response
from tests.simweb.population import Population, SimCity

HOST = "raw.githubusercontent.com"
PATH = f"/{USCITYURL_REPO}/{USCITYURL_COMMIT}/{USCITYURL_PATH}"
COLUMNS = ["GEOID", "MUNICIPALITY", "STATE", "WEBSITE_AVAILABLE", "WEBSITE_URL"]


def listed_website(city: SimCity) -> str | None:
    """The website the list gives ``city``: None for cities without one and for the recent sites it lacks,
    a stale address (a host that no longer serves the city: a 404) for a few."""
    if not city.website:
        return None
    draw = int(hashlib.sha256(city.geoid.encode()).hexdigest()[:4], 16)
    if draw % 9 == 0:
        return None
    return stale_website(city) if draw % 13 == 1 else city.website


def stale_website(city: SimCity) -> str:
    return f"https://www.{city.slug}-old.example/"


def uscityurl_csv(pop: Population) -> Response:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    for c in sorted(pop.cities, key=lambda c: -c.population):   # the real file runs from the largest place
        site = listed_website(c)
        writer.writerow([f"1600000US{c.geoid}", c.name, c.state_name, 1 if site else 0, site or ""])
    # raw.githubusercontent.com serves every file as text/plain.
    return Response(200, "text/plain; charset=utf-8", buf.getvalue().encode("utf-8"))
