"""Platform registries that list portals independently of any city's website.

- Socrata's Discovery API lists every domain it hosts (``/api/catalog/v1/domains``), one request for the
  whole country; domains are matched to cities by registrable domain (same as the city website's) or by
  the city's name spelled in the host.
- ArcGIS Online's portal search (``/sharing/rest/search``) finds Hub sites (items of type "Hub Site
  Application") by title; hits are kept when the item names the city and, where it says, its state.

A registry that cannot be read is reported with its fetch outcome: discovery then relies on the other
routes, and the run summary says the registry was unreachable rather than that no portal exists.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import quote, urlsplit

from publicsuffixlist import PublicSuffixList

from sources.geo import states
from sources.http.fetcher import Fetcher
from sources.portals.scope import normalize

SOCRATA_DOMAINS_URL = "https://api.us.socrata.com/api/catalog/v1/domains"
ARCGIS_SEARCH_URL = "https://www.arcgis.com/sharing/rest/search"
HUB_SITE_TYPE = "Hub Site Application"
ARCGIS_PAGE = 100
ARCGIS_MAX_PAGES = 3
#: Host labels that say nothing about whose portal it is.
_GENERIC_LABELS = {"www", "data", "opendata", "open", "gis", "hub", "maps", "portal", "datahub", "city", "cityof",
                   "gov", "org", "com", "net", "us", "example", "socrata", "arcgis", "opendatasoft"}
_PSL = PublicSuffixList()


@dataclass
class RegistryRead:
    """What one registry request gave: entries, or why there are none."""

    name: str
    outcome: str = "ok"           # ok | unreachable | malformed | http_error
    detail: str | None = None
    entries: list[dict] = field(default_factory=list)
    requests: int = 0


@dataclass(frozen=True)
class RegistryHit:
    host: str
    platform: str
    via: str                       # socrata_domain_list | arcgis_hub_search
    confidence: float
    reason: str


def registrable_domain(host: str | None) -> str | None:
    """``www.data.cityofchicago.org`` -> ``cityofchicago.org`` (public-suffix aware)."""
    if not host:
        return None
    return _PSL.privatesuffix(host.lower().rstrip(".")) or None


def city_site_domain(host: str | None) -> str | None:
    """The domain that says whose site a host is: the registrable domain, but one label deeper under a
    state government's own .gov domain, which the public-suffix list does not know (``www.dover.nh.gov``
    -> ``dover.nh.gov``; ``www.ci.milpitas.ca.gov`` -> ``milpitas.ca.gov``), since a state's agencies and
    the cities it hosts share ``nh.gov`` or ``ca.gov``. None for the state's own site (``www.ca.gov``):
    it is no city's. ``dc.gov`` is the District's own site and stays as it is."""
    if not host:
        return None
    host = host.lower().rstrip(".")
    base = registrable_domain(host)
    if base and base in _state_gov_domains():
        labels, base_labels = host.split("."), base.split(".")
        if len(labels) > len(base_labels):
            under = labels[-len(base_labels) - 1]
            return None if under in ("www", "") else f"{under}.{base}"
        return None
    return base


@lru_cache(maxsize=1)
def _state_gov_domains() -> frozenset[str]:
    """ca.gov, california.gov, ... (and mass.gov): every state's own .gov domains, DC's excepted."""
    out = {"mass.gov"}
    for st in states(include_territories=True):
        if st.usps != "DC":
            out |= {f"{st.usps.lower()}.gov", f"{''.join(normalize(st.name).split())}.gov"}
    return frozenset(out)


def socrata_domains(fetcher: Fetcher) -> RegistryRead:
    """Every domain on Socrata's U.S. Discovery API, with its dataset count."""
    read = RegistryRead("socrata_domain_list", requests=1)
    res = fetcher.get(SOCRATA_DOMAINS_URL)
    if not res.ok:
        read.outcome = "unreachable" if not res.outcome.reachable else "http_error"
        read.detail = f"{res.outcome.value} {res.status or ''}: {res.error or ''}".strip()
        return read
    try:
        data = json.loads(res.body)
        results = data["results"]
        read.entries = [{"domain": str(r["domain"]).lower(), "count": int(r.get("count") or 0)}
                        for r in results if isinstance(r, dict) and r.get("domain")]
    except (ValueError, KeyError, TypeError) as exc:
        read.outcome, read.detail = "malformed", f"domain list: {type(exc).__name__}: {exc}"
    return read


def match_socrata_domains(domains: list[dict], city_name: str, state_abbr: str, website: str | None,
                          ambiguous_names: frozenset[str] = frozenset()) -> list[RegistryHit]:
    """Socrata domains that belong to the city by registrable domain, or that spell its name.

    A name match needs the state spelled in the host too when the name is shared by cities in several
    states (``ambiguous_names``, normalized); the catalog's own names decide the level later.
    """
    site_domain = registrable_domain(urlsplit(website).hostname if website else None)
    compact = "".join(normalize(city_name).split())
    hits = []
    for entry in domains:
        host = entry["domain"]
        if site_domain and registrable_domain(host) == site_domain:
            hits.append(RegistryHit(host, "socrata", "socrata_domain_list", 0.85,
                                    f"Socrata domain {host} shares the city website's domain {site_domain}"))
            continue
        labels = [x for x in re.split(r"[.\-]", host) if x and x not in _GENERIC_LABELS]
        squashed = "".join(labels)
        if len(compact) < 4 or compact not in squashed:
            continue
        has_state = state_abbr.lower() in labels or squashed.endswith(compact + state_abbr.lower())
        if normalize(city_name) in ambiguous_names and not has_state:
            continue
        hits.append(RegistryHit(host, "socrata", "socrata_domain_list", 0.6 if has_state else 0.5,
                                f"Socrata domain {host} spells the city name"
                                + (" and state" if has_state else "")))
    return hits


def arcgis_hub_sites(fetcher: Fetcher, city_name: str) -> RegistryRead:
    """Hub sites whose title contains the city name, paged with the search's own ``nextStart``."""
    read = RegistryRead("arcgis_hub_search")
    q = f'type:"{HUB_SITE_TYPE}" AND title:"{city_name.replace(chr(34), "")}"'
    start = 1
    for _ in range(ARCGIS_MAX_PAGES):
        url = f"{ARCGIS_SEARCH_URL}?f=json&q={quote(q)}&num={ARCGIS_PAGE}&start={start}"
        res = fetcher.get(url)
        read.requests += 1
        if not res.ok:
            read.outcome = "unreachable" if not res.outcome.reachable else "http_error"
            read.detail = f"{res.outcome.value} {res.status or ''}: {res.error or ''}".strip()
            return read
        try:
            data = json.loads(res.body)
            if "error" in data:   # ArcGIS reports errors inside a 200 body
                read.outcome, read.detail = "http_error", f"ArcGIS error: {data['error'].get('message')}"
                return read
            read.entries.extend(r for r in data["results"] if isinstance(r, dict))
            start = int(data.get("nextStart", -1))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            read.outcome, read.detail = "malformed", f"ArcGIS search: {type(exc).__name__}: {exc}"
            return read
        if start <= 0:
            break
    return read


def match_hub_sites(items: list[dict], city_name: str, state_abbr: str,
                    ambiguous_names: frozenset[str] = frozenset()) -> list[RegistryHit]:
    """Hub site items that name the city, and do not name a different state.

    When cities in several states share the name (``ambiguous_names``, normalized), an item must name
    the state: "Springfield Data" alone could be any of them.
    """
    city = normalize(city_name)
    hits, seen = [], set()
    for item in items:
        if item.get("type") != HUB_SITE_TYPE or not item.get("url"):
            continue
        host = (urlsplit(str(item["url"])).hostname or "").lower()
        title = normalize(str(item.get("title") or ""))
        if not host or host in seen or not re.search(rf"\b{re.escape(city)}\b", title):
            continue
        named = _states_named(item)
        if named and state_abbr.upper() not in named:
            continue   # a same-named place in another state
        says_state = bool(named)
        if city in ambiguous_names and not says_state:
            continue
        seen.add(host)
        hits.append(RegistryHit(host, "arcgis_hub", "arcgis_hub_search", 0.6 if says_state else 0.4,
                                f'ArcGIS Hub site "{item.get("title")}" (owner {item.get("owner")})'
                                + (" names the state" if says_state else "")))
    return hits


@lru_cache(maxsize=1)
def _state_names() -> tuple[dict[str, str], frozenset[str]]:
    """(normalized state name or lower-case code -> USPS code, every USPS code), built once."""
    by_name = {normalize(st.name): st.usps for st in states()} | {st.usps.lower(): st.usps for st in states()}
    return by_name, frozenset(st.usps for st in states())


def _states_named(item: dict) -> set[str]:
    """USPS codes of the states an item names: tags equal to a state's name or code, ", ST" in its snippet."""
    by_name, codes = _state_names()
    named = {by_name[normalize(str(t))] for t in item.get("tags") or [] if normalize(str(t)) in by_name}
    named |= {m for m in re.findall(r",\s*([A-Z]{2})\b", str(item.get("snippet") or "")) if m in codes}
    return named
