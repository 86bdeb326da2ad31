"""Find a city's open data portal(s) and read their whole catalog, politely, through the shared fetcher.

Candidates come from the city's own home page (links whose text says "open data" or whose host matches
a known platform pattern) and from conventional host names derived from the city's domain. Each candidate
is probed with each platform's cheapest identifying request until one answers in that platform's format;
how it was found and how sure we are is recorded with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup

from sources.http.fetcher import Fetcher
from sources.http.result import FetchResult
from sources.portals.parsers import PARSERS, CatalogFormatError, CatalogPage
from sources.portals.records import DatasetRecord

_LINK_TEXT = re.compile(r"\bopen\s*data\b|\bdata\s*(portal|hub|catalog)\b|\btransparency\s*portal\b", re.I)
#: Host suffixes that name the platform outright.
_HOST_PLATFORM = ((".opendata.arcgis.com", "arcgis_hub"), (".hub.arcgis.com", "arcgis_hub"),
                  (".opendatasoft.com", "opendatasoft"), (".data.socrata.com", "socrata"))
#: Probe order for hosts that do not name their platform; the first that answers in format wins.
_PROBE_ORDER = ("socrata", "ckan", "opendatasoft", "dcat")
PAGE_SIZE = {"socrata": 100, "ckan": 1000, "opendatasoft": 100}
MAX_DATASETS = 100_000


@dataclass
class PortalCandidate:
    host: str
    via: str                    # homepage_link | candidate_host
    confidence: float


@dataclass
class PortalResult:
    host: str
    via: str
    confidence: float
    platform: str | None = None
    outcome: str = "not_found"  # found | not_found | unreachable | malformed
    detail: str | None = None
    records: list[DatasetRecord] = field(default_factory=list)
    reported_total: int | None = None
    pages: int = 0


def portal_links(website: str | None, homepage_html: str | None) -> list[str]:
    """Hosts linked from a home page whose link text says open data or whose host names a platform."""
    if not homepage_html:
        return []
    site_host = (urlsplit(website).hostname or "") if website else ""
    hosts: list[str] = []
    for a in BeautifulSoup(homepage_html, "html.parser").find_all("a", href=True):
        host = (urlsplit(urljoin(website or "", a["href"])).hostname or "").lower()
        if host and host != site_host and host not in hosts and (
                _LINK_TEXT.search(" ".join(a.get_text(" ").split())) or _platform_of(host)):
            hosts.append(host)
    return hosts


def candidates(website: str | None, linked_hosts: list[str]) -> list[PortalCandidate]:
    """Portal hosts to probe, most likely first, without duplicates."""
    found = {h: PortalCandidate(h, "homepage_link", 0.9) for h in linked_hosts}
    site_host = (urlsplit(website).hostname or "") if website else ""
    if site_host:
        domain = site_host.removeprefix("www.")
        label = domain.split(".")[0]
        for host in (f"data.{domain}", f"opendata.{domain}", f"{label}.opendata.arcgis.com"):
            found.setdefault(host, PortalCandidate(host, "candidate_host", 0.6))
    return list(found.values())


def discover(fetcher: Fetcher, candidate: PortalCandidate) -> PortalResult:
    """Identify the platform of one candidate host and read its whole catalog."""
    result = PortalResult(candidate.host, candidate.via, candidate.confidence)
    named = _platform_of(candidate.host)
    order = (named,) if named else _PROBE_ORDER
    unreachable: FetchResult | None = None
    for platform in order:
        first = fetcher.get(_page_url(platform, candidate.host, 0))
        if not first.ok:
            if not first.outcome.reachable:
                unreachable = first
                break  # the host itself cannot be examined; more probes would only repeat that
            continue
        try:
            page = PARSERS[platform](first.body, candidate.host)
        except CatalogFormatError:
            continue
        result.platform = platform
        return _read_catalog(fetcher, result, page)
    if unreachable is not None:
        result.outcome = "unreachable"
        result.detail = f"{unreachable.outcome.value}: {unreachable.error}"
    return result


def _read_catalog(fetcher: Fetcher, result: PortalResult, page: CatalogPage) -> PortalResult:
    platform, host = result.platform, result.host
    result.records.extend(page.records)
    result.reported_total, result.pages, result.outcome = page.total, 1, "found"
    if platform not in PAGE_SIZE:
        return result
    while page.records and len(result.records) < min(page.total or 0, MAX_DATASETS):
        nxt = fetcher.get(_page_url(platform, host, len(result.records)))
        if not nxt.ok:
            result.outcome, result.detail = "partial", f"page {result.pages + 1}: {nxt.outcome.value}"
            return result
        try:
            page = PARSERS[platform](nxt.body, host)
        except CatalogFormatError as exc:
            result.outcome, result.detail = "partial", f"page {result.pages + 1}: {exc}"
            return result
        result.records.extend(page.records)
        result.pages += 1
    return result


def _page_url(platform: str, host: str, offset: int) -> str:
    if platform == "socrata":
        return f"https://{host}/api/catalog/v1?domains={host}&limit={PAGE_SIZE['socrata']}&offset={offset}"
    if platform == "ckan":
        return f"https://{host}/api/3/action/package_search?rows={PAGE_SIZE['ckan']}&start={offset}"
    if platform == "opendatasoft":
        return (f"https://{host}/api/explore/v2.1/catalog/datasets?limit={PAGE_SIZE['opendatasoft']}"
                f"&offset={offset}")
    if platform == "arcgis_hub":
        return f"https://{host}/api/feed/dcat-us/1.1.json"
    return f"https://{host}/data.json"


def _platform_of(host: str) -> str | None:
    return next((p for suffix, p in _HOST_PLATFORM if host.endswith(suffix)), None)
