"""A deterministic population of synthetic cities for the simulated web (clearly not real places)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from sources.geo import states

_FIRST = ["Alder", "Birch", "Cedar", "Dove", "Elm", "Fern", "Granite", "Heron", "Iris", "Juniper", "Kestrel",
          "Larch", "Maple", "Nettle", "Oak", "Pine", "Quail", "Rowan", "Sage", "Thistle", "Umber", "Vale",
          "Willow", "Yarrow", "Zephyr"]
_SECOND = ["Falls", "Hollow", "Bend", "Crossing", "Ridge", "Harbor", "Springs", "Meadow", "Point", "Grove",
           "Landing", "Heights"]
_KINDS = ["city", "city", "city", "town", "village"]
PLATFORMS = ["socrata", "ckan", "arcgis_hub", "opendatasoft", "dcat", None, None]


@dataclass
class SimCity:
    geoid: str
    name: str
    legal_name: str
    state_abbr: str
    state_fips: str
    state_name: str
    population: int
    website_host: str | None
    qid: str
    wikidata_fips: str | None        # as Wikidata spells it (7 digits or "SS-PPPPP"), None = missing
    extra_websites: list[str] = field(default_factory=list)
    platform: str | None = None
    portal_host: str | None = None
    n_datasets: int = 0
    counties: tuple[str, ...] = ("001",)
    robots: str = "allow"            # allow | crawl_delay | private

    @property
    def slug(self) -> str:
        return f"{self.name.lower().replace(' ', '-').replace('ñ', 'n')}-{self.state_abbr.lower()}"

    @property
    def website(self) -> str | None:
        return f"https://{self.website_host}/" if self.website_host else None


@dataclass
class Population:
    seed: int
    cities: list[SimCity]

    def by_host(self) -> dict[str, SimCity]:
        out = {}
        for c in self.cities:
            if c.website_host:
                out[c.website_host] = c
            if c.portal_host:
                out[c.portal_host] = c
        return out


def build_population(n_cities: int, seed: int = 7) -> Population:
    rng = random.Random(seed)
    pool = [s for s in states() if s.usps != "DC"]
    cities: list[SimCity] = []
    used: set[str] = set()
    for i in range(n_cities):
        st = pool[rng.randrange(len(pool))]
        while True:
            name = f"{rng.choice(_FIRST)} {rng.choice(_SECOND)}"
            if (name, st.usps) not in used:
                used.add((name, st.usps))
                break
        if i == 1:
            name = "Cañon Springs"
        kind = rng.choice(_KINDS)
        legal = f"{name} {kind}"
        if i == 2:
            legal = f"{name} metropolitan government (balance)"
        place = f"{90000 + i:05d}"
        pop = int(30_000 * rng.lognormvariate(0.5, 0.8))
        if i % 13 == 5:
            pop = rng.randrange(20_000, 29_000)  # below the threshold: the filter must drop it
        slug = f"{name.lower().replace(' ', '-').replace('ñ', 'n')}-{st.usps.lower()}"
        host: str | None = f"www.{slug}.example"
        fips: str | None = st.fips + place
        if i % 9 == 3:
            fips = f"{st.fips}-{place}"
        if i % 11 == 4:
            fips = None
        if i % 17 == 6:
            host = None
        platform = PLATFORMS[rng.randrange(len(PLATFORMS))]
        portal = {"socrata": f"data.{slug}.example", "ckan": f"opendata.{slug}.example",
                  "arcgis_hub": f"{slug}.opendata.arcgis.com", "opendatasoft": f"{slug}.opendatasoft.com",
                  "dcat": f"data.{slug}.example", None: None}[platform]
        city = SimCity(
            geoid=st.fips + place, name=name, legal_name=legal, state_abbr=st.usps, state_fips=st.fips,
            state_name=st.name, population=pop, website_host=host, qid=f"Q9{seed % 1000:03d}{i:05d}",
            wikidata_fips=fips, platform=platform, portal_host=portal,
            n_datasets=int(20 * rng.lognormvariate(1.0, 1.2)) if platform else 0,
            counties=("001", "003") if i % 7 == 0 else ("001",),
            robots=["allow", "crawl_delay", "private"][i % 3])
        if i % 10 == 8 and host:
            city.extra_websites = [f"http://{slug}.example/"]
        cities.append(city)
    return Population(seed, cities)
