"""A deterministic population of synthetic U.S. cities: SAMPLE DATA, not real places.

Names are invented compounds ("Alder Falls", "North Kestrel Ridge"), websites and portals live under
RFC 2606 ``.example`` names, and place codes are made up (only the state FIPS codes are real), so
nothing served by the simulated web can be mistaken for a real city. The same ``(n_cities, seed)``
always gives the same population: every draw comes from one ``random.Random(seed)``, except the
portal landscape and the data practices, which have RNGs of their own (``"{seed}/portals"``,
``"{seed}/practices"``) so that adding them changed no earlier draw.

Edge cases are placed by index so that even a dozen cities contain most of them (see ``FLAGS`` and
``SITE_QUIRKS``).

Website evidence of data practices: ``SimCity.practices`` is the ground truth per city, and
``evidence_pages(city)`` is the answer key of every page and document the simulated website serves
about them (evidence, hard negatives, hubs, broken links), with where it is and how it misbehaves.
"""

from __future__ import annotations

import math
import random
import unicodedata
from dataclasses import dataclass, field

from sources.geo import State, states

#: Shown wherever the population surfaces (pages, catalog text), so it is never taken for real data.
SAMPLE_LABEL = "synthetic sample data (cdpi simulated web); not a real place"

_FIRST = ["Alder", "Birch", "Cedar", "Dove", "Elm", "Fern", "Granite", "Heron", "Iris", "Juniper", "Kestrel",
          "Larch", "Maple", "Nettle", "Oak", "Pine", "Quail", "Rowan", "Sage", "Thistle", "Umber", "Vale",
          "Willow", "Yarrow", "Zephyr", "Amber", "Bramble", "Clover", "Driftwood", "Ember"]
_SECOND = ["Falls", "Hollow", "Bend", "Crossing", "Ridge", "Harbor", "Springs", "Meadow", "Point", "Grove",
           "Landing", "Heights", "Creek", "Bluff", "Prairie", "Glen"]
_PREFIX = ["North", "South", "East", "West", "Port", "Lake", "Mount", "New"]
_KINDS = ["city"] * 6 + ["town"] * 3 + ["village"]
PLATFORMS: tuple[str | None, ...] = ("socrata", "ckan", "arcgis_hub", "opendatasoft", "dcat", None, None)
ROBOTS = ("allow", "crawl_delay", "private")
#: Platforms whose real catalogs reach tens of thousands of entries (ODS caps offset+limit at 10,000).
_MEGA_PLATFORMS = ("socrata", "arcgis_hub", "ckan", "dcat")
_MAX_PER_STATE = 1990

#: Every flag a city can carry, and what it exercises downstream.
FLAGS = {
    "two_counties": "census has one 162 row and two 157 county-part rows (must not be double counted)",
    "non_ascii": "name with a non-ASCII letter; the Census file is Latin-1, Wikidata JSON is UTF-8",
    "balance": "'(balance)' place of a consolidated city (census 170/172 rows beside the 162 row)",
    "below_threshold": "population under 30,000: the universe filter must drop it",
    "at_threshold": "population exactly 30,000: the threshold is inclusive",
    "no_website": "Wikidata item without an official website",
    "hyphen_fips": "Wikidata P774 spelled 'SS-PPPPP'",
    "no_fips": "Wikidata item without P774: only name + state can match it",
    "two_websites": "two official websites in Wikidata; the second redirects to the first",
    "unresolvable": "website under .invalid: DNS fails on the client side",
    "mega_catalog": "open data catalog of tens of thousands of datasets",
}

#: The kinds of data practice a city's website can evidence (the values of ``SimCity.practices``).
EVIDENCE_KINDS = ("open_data_policy", "open_data_portal", "performance_reporting", "evaluation", "data_governance",
                  "results_driven_contracting", "stakeholder_engagement")
#: Chance of each kind (but open_data_portal) for an engaged city of median maturity; see ``_draw_practices``.
_PRACTICE_BASE = {"open_data_policy": 0.55, "performance_reporting": 0.75, "evaluation": 0.35,
                  "data_governance": 0.5, "results_driven_contracting": 0.3, "stakeholder_engagement": 0.65}

#: Misbehaviour of a city's evidence documents, placed by index (only cities with a website carry them).
SITE_QUIRKS = {
    "huge_pdf": "a ~500 MB PDF (exact Content-Length, streamed lazily) about one of its practices (else a budget PDF)",
    "pdf_bomb": "a small PDF whose content stream inflates to hundreds of MB, with thousands of pages (same choice)",
    "corrupt_pdf": "a truncated PDF, cut inside its first content stream, no xref (same choice)",
    "slow_page": "one evidence page (a hard negative if none) answers only after the server's slow-page delay",
    "redirect_chain": "one evidence page (a hard negative if none) is linked through two redirects",
}
_QUIRK_AT = {"huge_pdf": (12, 3), "pdf_bomb": (12, 7), "corrupt_pdf": (12, 10), "slow_page": (8, 2),
             "redirect_chain": (6, 4)}   # quirk -> (modulus, remainder) of the city index

#: Flags of an ``EvidencePage``, and what each means for a crawler.
PAGE_FLAGS = {
    "broken": "the link leads nowhere: the path answers 404",
    "slow": "the page answers only after the server's slow-page delay (SimWeb(slow_seconds=...))",
    "huge": "a ~500 MB PDF, streamed with its exact Content-Length; its text is in the first few KB",
    "bomb": "a small PDF whose second page's content stream inflates to hundreds of MB; thousands of pages",
    "corrupt": "a truncated PDF: cut inside its first content stream, no xref table or trailer",
    "robots_blocked": "under /private/, which robots.txt disallows (cities whose robots policy is 'private')",
    "offsite_doc_host": "served by the city's Legistar or Municode host, not by its own website",
    "redirect_chain": "linked only through a chain of redirects (``aliases``, in hop order) that ends here",
}
#: Flags that keep a page's content from a polite crawler with sane size limits.
UNREADABLE_FLAGS = frozenset({"broken", "huge", "bomb", "corrupt", "robots_blocked"})


@dataclass
class SimCity:
    """One synthetic city and everything the simulated web serves about it."""

    geoid: str                       # 2-digit real state FIPS + 5-digit invented place code
    name: str                        # display name ("Alder Falls")
    legal_name: str                  # Census NAME ("Alder Falls city")
    state_abbr: str
    state_fips: str
    state_name: str
    population: int                  # POPESTIMATE2024
    website_host: str | None         # None = no website in Wikidata
    qid: str
    wikidata_fips: str | None        # as Wikidata spells it (7 digits or "SS-PPPPP"), None = missing
    extra_websites: list[str] = field(default_factory=list)
    platform: str | None = None      # socrata | ckan | arcgis_hub | opendatasoft | dcat | None
    portal_host: str | None = None
    n_datasets: int = 0
    counties: tuple[str, ...] = ("001",)
    robots: str = "allow"            # allow | crawl_delay | private
    flags: frozenset[str] = frozenset()
    consolidated_code: str | None = None   # CONCIT of the consolidated city, for "(balance)" places
    portal_linked: bool = True       # False: the home page does not link the portal (registries or names find it)
    portal_route: str = "conventional"   # conventional | site_domain | name_only (how the host is spelled)
    linked_other: tuple[str, ...] = ()   # county/state/regional portal hosts the home page links to
    practices: frozenset[str] = frozenset()     # EVIDENCE_KINDS its website really evidences (ground truth)
    criteria: frozenset[str] = frozenset()      # certification criteria it really earns (ground truth)
    site_quirks: frozenset[str] = frozenset()   # SITE_QUIRKS of its evidence documents

    @property
    def slug(self) -> str:
        """Host label of the city, ASCII only: "Cañon Springs", OH -> "canon-springs-oh"."""
        return f"{_ascii_slug(self.name)}-{self.state_abbr.lower()}"

    @property
    def website(self) -> str | None:
        return f"https://{self.website_host}/" if self.website_host else None


@dataclass(frozen=True)
class PortalSite:
    """A portal as the simulated web serves it: a city's own, or a county/state/regional one."""

    host: str
    platform: str
    n_datasets: int
    title: str                       # the site's own name (home page <title>, CKAN site_title)
    publisher: str                   # who publishes (DCAT publisher, catalog attribution)
    level: str                       # city | county | state | regional | other
    state_abbr: str | None
    owner_geoid: str | None = None   # the city, for level == "city"
    covers: tuple[str, ...] = ()     # cities inside a county/state/regional portal's area
    home: str | None = None          # the owner's website, linked from the portal home page


@dataclass
class Population:
    """The cities of one simulated web, with lookups the server and tests need."""

    seed: int
    cities: list[SimCity]
    label: str = SAMPLE_LABEL
    other_portals: list[PortalSite] = field(default_factory=list)

    def by_host(self) -> dict[str, SimCity]:
        """Website and portal hosts -> city (alias websites are in ``aliases``)."""
        out: dict[str, SimCity] = {}
        for c in self.cities:
            if c.website_host:
                out[c.website_host] = c
            if c.portal_host:
                out[c.portal_host] = c
        return out

    def portals(self) -> dict[str, PortalSite]:
        """Every portal host served, cities' own first, then county/state/regional/other ones."""
        out = {c.portal_host: city_portal(c) for c in self.cities if c.portal_host and c.platform}
        out.update({p.host: p for p in self.other_portals})
        return out

    def seeded_portals(self) -> list[PortalSite]:
        """The city portals discovery should find (ground truth for recall)."""
        return [city_portal(c) for c in self.cities if c.portal_host and c.platform]

    def aliases(self) -> dict[str, SimCity]:
        """Hosts of second official websites, which redirect to the city's main website."""
        out: dict[str, SimCity] = {}
        for c in self.cities:
            for url in c.extra_websites:
                out[url.split("/")[2].lower()] = c
        return out

    def city(self, geoid: str) -> SimCity:
        return next(c for c in self.cities if c.geoid == geoid)

    def answer_key(self) -> dict[str, list[EvidencePage]]:
        """geoid -> ``evidence_pages(city)`` for every city (empty for cities without a website)."""
        return {c.geoid: evidence_pages(c) for c in self.cities}

    def quirked(self, quirk: str) -> list[SimCity]:
        """Cities carrying one ``SITE_QUIRKS`` entry."""
        if quirk not in SITE_QUIRKS:
            raise ValueError(f"unknown quirk {quirk!r}; known: {', '.join(SITE_QUIRKS)}")
        return [c for c in self.cities if quirk in c.site_quirks]

    def flagged(self, flag: str) -> list[SimCity]:
        """Cities carrying one edge-case flag (see ``FLAGS``)."""
        if flag not in FLAGS:
            raise ValueError(f"unknown flag {flag!r}; known: {', '.join(FLAGS)}")
        return [c for c in self.cities if flag in c.flags]


def build_population(n_cities: int, seed: int = 7, *, unresolvable: int = 0) -> Population:
    """``n_cities`` synthetic cities; the same arguments always give the same population.

    ``unresolvable`` cities (chosen by the seeded RNG among those with a website) get a website under
    ``.invalid``, which the resolve map leaves to real DNS, so the client sees a DNS failure.
    """
    pool = [s for s in states() if s.usps != "DC"]
    if n_cities > len(pool) * _MAX_PER_STATE // 2:
        raise ValueError(f"at most {len(pool) * _MAX_PER_STATE // 2} cities")
    rng = random.Random(seed)
    cities: list[SimCity] = []
    used: set[tuple[str, str]] = set()
    per_state: dict[str, int] = {}
    for i in range(n_cities):
        st = pool[rng.randrange(len(pool))]
        name = "Cañon Springs" if i == 1 and ("Cañon Springs", st.usps) not in used else _name(rng, st.usps, used)
        used.add((name, st.usps))
        k = per_state.get(st.fips, 0)
        per_state[st.fips] = k + 1
        cities.append(_city(rng, i, seed, st, name, k))
    _make_unresolvable(rng, cities, unresolvable)
    # Portal landscape from its own RNG, so adding it left every city attribute drawn above unchanged.
    others = _portal_landscape(random.Random(f"{seed}/portals"), cities)
    # Data practices last, from their own RNG: every attribute drawn above stays what it was.
    _draw_practices(random.Random(f"{seed}/practices"), cities)
    _draw_criteria(random.Random(f"{seed}/criteria"), cities)
    return Population(seed, cities, other_portals=others)


@dataclass(frozen=True)
class EvidencePage:
    """One page or document of the answer key: what it is, where it is, how it is served.

    ``role``: ``evidence`` (its main content evidences ``kinds``), ``negative`` (a hard negative: uses
    the same words incidentally, e.g. "performance bond", "land survey"; ``kinds`` is empty), ``hub``
    (a page that only lists and links topics, not itself evidence) or ``missing`` (a link target that
    answers 404). ``path`` is the path on ``host``, with its query string for off-site document hosts
    (Legistar). ``depth`` is the number of link clicks from the city home page along links in page
    content and the site navigation (sitemap.xml not counted; redirects do not add depth).
    ``phrase`` is a short text the served content contains verbatim (after whitespace is collapsed),
    decisive for evidence, the incidental use for negatives, "" for missing pages. ``link_text`` is
    the anchor text of the first link to it. ``aliases`` are redirecting paths, in hop order, through
    which the site links the page (flag ``redirect_chain``). ``flags`` are from ``PAGE_FLAGS``.
    """

    host: str
    path: str
    role: str                        # evidence | negative | hub | missing
    kinds: frozenset[str]            # EVIDENCE_KINDS the content truly evidences (empty unless role == evidence)
    format: str                      # html | pdf
    depth: int                       # clicks from the home page (1-3 for every entry)
    flags: frozenset[str] = frozenset()
    title: str = ""
    link_text: str = ""
    phrase: str = ""
    status: int = 200                # 200, or 404 for role == missing
    content_type: str = "text/html; charset=utf-8"
    aliases: tuple[str, ...] = ()
    in_sitemap: bool = False         # listed in the city's /sitemap.xml

    @property
    def url(self) -> str:
        return f"https://{self.host}{self.path}"

    @property
    def offsite(self) -> bool:
        return "offsite_doc_host" in self.flags

    @property
    def readable(self) -> bool:
        """A polite crawler with size caps and a timeout above the slow-page delay can read its text."""
        return self.status == 200 and not (self.flags & UNREADABLE_FLAGS)


def evidence_pages(city: SimCity) -> list[EvidencePage]:
    """The answer key of one city: every evidence page, hard negative, hub and broken link it serves.

    Ground truth for crawler tests. Guarantees: every kind in ``city.practices`` is evidenced by at
    least one ``readable`` page (on the website, or for some policies only on its Legistar/Municode
    host); no page evidences a kind the city does not have; every entry has ``depth`` 1 to 3; every
    city with a website has hard negatives and at least one broken link. Cities without a website
    have none (and no practices); an ``unresolvable`` city keeps its pages, on a host no client can
    reach. Sorted by depth, then website before off-site hosts, then host and path. Ordinary pages
    (home, news, budget, council, contact) are not listed, except ``/performance``: evidence of
    ``performance_reporting`` for cities with that practice, else a hard negative (a budget page).
    """
    from tests.simweb.formats.evidence import site_plan  # the plan renders pages: imported late

    return site_plan(city).answer_key()


def city_portal(c: SimCity) -> PortalSite:
    return PortalSite(host=c.portal_host or "", platform=c.platform or "dcat", n_datasets=c.n_datasets,
                      title=f"{c.name} Open Data", publisher=f"City of {c.name}", level="city",
                      state_abbr=c.state_abbr, owner_geoid=c.geoid, home=c.website)


#: County names: mostly unlike any city name; a few counties share their name with a city inside them.
_COUNTY_NAMES = ["Ashford", "Bellamy", "Carrow", "Dunmore", "Everly", "Fallon", "Garland", "Hartwell", "Ingram",
                 "Jessup", "Kinsey", "Lowell", "Merritt", "Norwood", "Ormond", "Prescott", "Radford", "Sutter",
                 "Tolland", "Upton", "Vance", "Whitby", "Yardley"]
_COUNTY_PLATFORMS = ("socrata", "arcgis_hub", "arcgis_hub", "ckan", "dcat")
#: Socrata domains that belong to no city of the population (agencies, utilities, a demo site).
_UNRELATED_SOCRATA = ("data.transit-authority.example", "opendata.water-district.example",
                      "demo.socrata-sandbox.example", "data.federal-agency.example")


def _portal_landscape(rng: random.Random, cities: list[SimCity]) -> list[PortalSite]:
    """County, state and regional portals covering the cities; which city portals the home page links;
    which city portals live on hosts no naming convention predicts (found only through registries)."""
    for c in cities:
        if not c.platform:
            continue
        c.portal_linked = rng.random() >= 0.3
        if c.platform in ("socrata", "arcgis_hub") and rng.random() < 0.25:
            compact = c.slug.replace("-", "")
            if c.platform == "arcgis_hub":
                c.portal_route, c.portal_host = "name_only", f"{c.slug}-open-data-{rng.randrange(16**6):06x}.hub.arcgis.com"
            elif rng.random() < 0.5 and c.website_host:
                c.portal_route, c.portal_host = "site_domain", f"datahub.{c.slug}.example"
            else:
                c.portal_route, c.portal_host = "name_only", f"data.cityof{compact}.example"
    others: list[PortalSite] = []
    by_county: dict[tuple[str, str], list[SimCity]] = {}
    for c in cities:
        by_county.setdefault((c.state_abbr, c.counties[0]), []).append(c)
    used: set[str] = set()
    for (st, _county), members in sorted(by_county.items()):
        if rng.random() >= 0.5:
            continue
        name = members[0].name if rng.random() < 0.15 else rng.choice(_COUNTY_NAMES)
        slug = f"{_ascii_slug(name)}-county-{st.lower()}"
        if slug in used:
            continue
        used.add(slug)
        platform = rng.choice(_COUNTY_PLATFORMS)
        host = {"socrata": f"data.{slug}.example", "arcgis_hub": f"{slug}.opendata.arcgis.com",
                "ckan": f"opendata.{slug}.example", "dcat": f"gis.{slug}.example"}[platform]
        title = rng.choice([f"{name} County Open Data", f"{name} County GIS Hub", f"Open Data | {name} County"])
        others.append(PortalSite(host, platform, _other_size(rng), title, f"{name} County", "county", st,
                                 covers=tuple(m.geoid for m in members), home=f"https://www.{slug}.example/"))
    for st in sorted({c.state_abbr for c in cities}):
        if rng.random() >= 0.7:
            continue
        members = [c for c in cities if c.state_abbr == st]
        state_name = members[0].state_name
        slug = _ascii_slug(state_name)
        platform = "socrata" if rng.random() < 0.7 else "ckan"
        host = f"data.{slug}-state.example" if platform == "socrata" else f"opendata.{slug}-state.example"
        title = rng.choice([f"Open Data {state_name}", f"State of {state_name} Open Data Portal"])
        others.append(PortalSite(host, platform, _other_size(rng), title, f"State of {state_name}", "state", st,
                                 covers=tuple(m.geoid for m in members)))
    for k, members in enumerate(m for m in by_county.values() if len(m) >= 2):
        if k >= 3:
            break
        st = members[0].state_abbr
        host = f"data.region-{k + 1}-cog-{st.lower()}.example"
        others.append(PortalSite(host, "ckan", _other_size(rng), f"Region {k + 1} Council of Governments Data",
                                 f"Region {k + 1} Council of Governments", "regional", st,
                                 covers=tuple(m.geoid for m in members)))
    others += [PortalSite(h, "socrata", _other_size(rng), h.split(".")[1].replace("-", " ").title() + " Data",
                          h.split(".")[1].replace("-", " ").title(), "other", None) for h in _UNRELATED_SOCRATA]
    for p in others:   # some cities link the portal of the county or state around them from their home page
        for geoid in p.covers:
            if p.level != "other" and rng.random() < (0.35 if p.level == "county" else 0.1):
                c = next(x for x in cities if x.geoid == geoid)
                c.linked_other = (*c.linked_other, p.host)
    return others


def _draw_practices(rng: random.Random, cities: list[SimCity]) -> None:
    """Which practices each city's website evidences, and its evidence quirks (placed by index).

    A "maturity" grows with log population plus noise; an unengaged city (more likely when small)
    has no practice but possibly a portal page. Cities with a portal platform usually evidence
    ``open_data_portal``; a few without one host a catalog page themselves. Every city takes the same
    number of draws, so one city's outcome never shifts another's.
    """
    for i, c in enumerate(cities):
        z = 1.1 * math.log(max(c.population, 1) / 60_000) + rng.gauss(0.0, 0.9)
        maturity = 1.0 / (1.0 + math.exp(-z))
        engaged = rng.random() < 0.25 + 0.7 * maturity
        draws = {kind: rng.random() for kind in EVIDENCE_KINDS}
        got = set()
        for kind, u in draws.items():
            if kind == "open_data_portal":
                p = 0.9 if c.platform else (0.15 * maturity if engaged else 0.0)
            else:
                p = min(0.95, _PRACTICE_BASE[kind] * (0.3 + 1.4 * maturity)) if engaged else 0.0
            if u < p:
                got.add(kind)
        if not c.website_host:
            continue
        c.practices = frozenset(got)
        c.site_quirks = frozenset(q for q, (m, r) in _QUIRK_AT.items() if i % m == r)


#: How likely a city really earns a criterion whose strong evidence it publishes (else: the catalog's prior).
SHOWN_CRITERION_P = 0.85


def criterion_probability(city: SimCity, criterion) -> float:
    """The chance the simulated web gives ``city`` of really meeting ``criterion`` (before prerequisites):
    ``SHOWN_CRITERION_P`` when the city publishes a practice that is strong evidence for it (weight >= 0.3 in
    the catalog) or has a portal and the criterion counts portal metrics, else the criterion's prior.

    Everything the web shows about a city is its practices and portal, so these are the best probabilities
    any index reading the web could reach: scripts/calibration_report.py scores them as the ceiling."""
    strong = {s for s, w in criterion.evidence if w >= 0.3}
    shown = bool(strong & city.practices) or (bool(city.platform) and any(s.startswith("portal_") for s in strong))
    return SHOWN_CRITERION_P if shown else criterion.prior


def _draw_criteria(rng: random.Random, cities: list[SimCity]) -> None:
    """Which certification criteria each city really earns: each at random with ``criterion_probability``,
    then prerequisites are applied. The index never sees this; tests and scripts/index_recovery.py compare
    its estimates against it."""
    from sources.criteria.catalog import load_catalog

    catalog = load_catalog()
    for c in cities:
        met = {crit.id for crit in catalog.criteria if rng.random() < criterion_probability(c, crit)}
        earned = set(met)
        while True:   # a criterion stays only while its prerequisite chain does
            drop = {cid for cid in earned if not set(catalog.by_id()[cid].prerequisites) <= earned}
            if not drop:
                break
            earned -= drop
        c.criteria = frozenset(earned)


def _other_size(rng: random.Random) -> int:
    return max(3, int(60 * rng.lognormvariate(0.0, 0.8)))


def _city(rng: random.Random, i: int, seed: int, st: State, name: str, k: int) -> SimCity:
    flags: set[str] = set()
    kind = rng.choice(_KINDS)
    legal = f"{name} {kind}"
    place = f"{90000 + 5 * k + rng.randrange(5):05d}"
    pop = int(30_000 * (1 + rng.lognormvariate(0.0, 1.0)))   # most at or above the 30,000 threshold
    concit = None
    if i == 1:
        flags.add("non_ascii")
    if i == 2:
        legal = f"{name} metropolitan government (balance)"
        pop = max(pop, 150_000) + rng.randrange(250_000)
        concit = f"{80000 + k:05d}"
        flags.add("balance")
    if i % 13 == 5:
        pop = rng.randrange(20_000, 29_000)
        flags.add("below_threshold")
    elif i % 29 == 12:
        pop = 30_000
        flags.add("at_threshold")
    slug = f"{_ascii_slug(name)}-{st.usps.lower()}"
    host: str | None = f"www.{slug}.example"
    fips: str | None = st.fips + place
    if i % 9 == 3:
        fips = f"{st.fips}-{place}"
        flags.add("hyphen_fips")
    if i % 11 == 4:
        fips = None
        flags.add("no_fips")
    if i % 17 == 6:
        host = None
        flags.add("no_website")
    platform = PLATFORMS[rng.randrange(len(PLATFORMS))]
    n_datasets = _catalog_size(rng, platform, pop)
    if platform in _MEGA_PLATFORMS and i % 211 == 150:
        n_datasets = rng.randrange(12_000, 40_000)
        flags.add("mega_catalog")
    first_county = 1 + 2 * rng.randrange(40)
    counties = (f"{first_county:03d}",)
    if i % 7 == 0:
        counties += (f"{first_county + 2:03d}",)
        flags.add("two_counties")
    extra: list[str] = []
    if i % 10 == 8 and host:
        extra = [f"http://{slug}.example/"]
        flags.add("two_websites")
    return SimCity(
        geoid=st.fips + place, name=name, legal_name=legal, state_abbr=st.usps, state_fips=st.fips,
        state_name=st.name, population=pop, website_host=host, qid=f"Q9{seed % 1000:03d}{i:05d}",
        wikidata_fips=fips, extra_websites=extra, platform=platform, portal_host=_portal_host(platform, slug),
        n_datasets=n_datasets, counties=counties, robots=ROBOTS[i % 3], flags=frozenset(flags),
        consolidated_code=concit)


def _name(rng: random.Random, state: str, used: set[tuple[str, str]]) -> str:
    """An invented name not yet used in the state; a directional prefix widens the space when needed."""
    for attempt in range(200):
        name = f"{rng.choice(_FIRST)} {rng.choice(_SECOND)}"
        if attempt >= 20:
            name = f"{rng.choice(_PREFIX)} {name}"
        if (name, state) not in used:
            return name
    raise RuntimeError(f"ran out of synthetic names in {state}")


def _catalog_size(rng: random.Random, platform: str | None, population: int) -> int:
    """Log-normal catalog size growing with population; OpenDataSoft stays within its 10,000 window."""
    if platform is None:
        return 0
    median = 40 * (max(population, 1) / 50_000) ** 0.5
    n = max(1, int(median * rng.lognormvariate(0.0, 1.1)))
    return min(n, 10_000 if platform == "opendatasoft" else 40_000)


def _portal_host(platform: str | None, slug: str) -> str | None:
    return {"socrata": f"data.{slug}.example", "ckan": f"opendata.{slug}.example",
            "arcgis_hub": f"{slug}.opendata.arcgis.com", "opendatasoft": f"{slug}.opendatasoft.com",
            "dcat": f"data.{slug}.example"}.get(platform or "")


def _make_unresolvable(rng: random.Random, cities: list[SimCity], count: int) -> None:
    with_site = [c for c in cities if c.website_host]
    for c in rng.sample(with_site, min(count, len(with_site))) if count else []:
        c.website_host = c.website_host.removesuffix(".example") + ".invalid"
        c.extra_websites = []
        c.flags = (c.flags - {"two_websites"}) | {"unresolvable"}


def _ascii_slug(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "-".join(plain.lower().split())
