"""Find portal hosts for a city and read a host's whole catalog, politely, through the shared fetcher.

Leads (reasons to think a host is a city's portal) come from the city's home page (links whose text says
"open data" or whose host names a platform), from conventional host names derived from the city's
domain, and from platform registries (see registries.py). Each host is then examined once, whatever the
number of cities pointing at it: probed with each platform's cheapest identifying request until one
answers in that platform's format, its catalog read with the platform's own paging, and its title and
software version noted so the scope rules can tell a city's portal from a county's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import quote, urljoin, urlsplit

from sources.http.fetcher import Fetcher
from sources.http.outcomes import Outcome
from sources.http.result import FetchResult
from sources.markup import parse_html
from sources.portals.parsers import PARSERS, CatalogFormatError, CatalogPage, load
from sources.portals.records import DatasetRecord, each_id_once

_LINK_TEXT = re.compile(r"\bopen\s*data\b|\bdata\s*(portal|hub|catalog)\b|\btransparency\s*portal\b", re.I)
#: Host suffixes that name the platform outright.
_HOST_PLATFORM = ((".opendata.arcgis.com", "arcgis_hub"), (".hub.arcgis.com", "arcgis_hub"),
                  (".opendatasoft.com", "opendatasoft"), (".data.socrata.com", "socrata"))
#: Probe order for hosts that do not name their platform; the first that answers in format wins.
_PROBE_ORDER = ("socrata", "ckan", "opendatasoft", "dcat")
#: Page sizes within each API's documented maximum (CKAN rows_max 1000, ODS limit 100).
PAGE_SIZE = {"socrata": 1000, "ckan": 1000, "opendatasoft": 100}
#: Socrata's Discovery API serves offset + limit up to 10,000; deeper catalogs page by scroll_id.
SOCRATA_OFFSET_WINDOW = 10_000
MAX_DATASETS = 100_000
#: Byte cap for single-document catalogs (data.json, the Hub DCAT feed): a 50,000-entry feed is ~80 MB,
#: well above the cap for web pages, and is streamed by the parser (see parsers.parse_dcat). It is a cap on
#: what is accepted, not on memory: the fetcher holds at most its ordinary max_bytes of a body in memory
#: while reading it, and refuses a compressed body that expands like a bomb (sources/http/fetcher.py).
CATALOG_DOCUMENT_MAX_BYTES = 256 * 1024 * 1024
VIA_CONFIDENCE = {"homepage_link": 0.9, "candidate_host": 0.6}


@dataclass(frozen=True)
class Lead:
    """One reason to think ``host`` is the portal of city ``geoid``."""

    geoid: str
    host: str
    via: str     # homepage_link | candidate_host | socrata_domain_list | arcgis_hub_search | dataportals_registry
    confidence: float
    platform: str | None = None    # when the route itself names the platform
    reason: str = ""
    #: A DCAT-US catalog URL the route itself lists (a registry entry's data.json or feed), read when the
    #: platform's own catalog API gives nothing.
    dcat_url: str | None = None


@dataclass
class PortalResult:
    """What examining one host gave, independent of which cities pointed at it."""

    host: str
    platform: str | None = None
    outcome: str = "not_found"     # found | partial | not_found | unreachable
    detail: str | None = None
    records: list[DatasetRecord] = field(default_factory=list)
    reported_total: int | None = None
    pages: int = 0
    paging: str | None = None      # offset | scroll_id | single
    site_title: str | None = None
    platform_version: str | None = None
    repeated: int = 0              # entries a later page repeated (an id already read), counted once
    ids: set[str] = field(default_factory=set, repr=False, compare=False, init=False)

    def add(self, records: list[DatasetRecord]) -> None:
        """A page's records, each id once: offset pages of a catalog that changes while it is read (a dataset
        published between two requests) repeat the entries the change pushed down."""
        kept, repeated = each_id_once(records, self.ids)
        self.records += kept
        self.repeated += repeated


def portal_links(website: str | None, homepage_html: str | None) -> list[str]:
    """Hosts linked from a home page whose link text says open data or whose host names a platform."""
    if not homepage_html:
        return []
    site_host = (urlsplit(website).hostname or "") if website else ""
    hosts: list[str] = []
    for a in parse_html(homepage_html).find_all("a", href=True):
        host = (urlsplit(urljoin(website or "", str(a["href"]))).hostname or "").lower()
        if host and host != site_host and host not in hosts and (
                _LINK_TEXT.search(" ".join(a.get_text(" ").split())) or platform_of(host)):
            hosts.append(host)
    return hosts


def website_leads(geoid: str, website: str | None, linked_hosts: list[str]) -> list[Lead]:
    """Leads from the city's own site: its portal links, then conventional names under its domain."""
    leads = [Lead(geoid, h, "homepage_link", VIA_CONFIDENCE["homepage_link"], platform_of(h),
                  "linked from the city home page") for h in linked_hosts]
    site_host = (urlsplit(website).hostname or "") if website else ""
    if site_host:
        domain = site_host.removeprefix("www.")
        label = domain.split(".")[0]
        for host in (f"data.{domain}", f"opendata.{domain}", f"{label}.opendata.arcgis.com",
                     f"{label}.opendatasoft.com"):
            if host not in linked_hosts:
                leads.append(Lead(geoid, host, "candidate_host", VIA_CONFIDENCE["candidate_host"],
                                  platform_of(host), f"conventional portal name under {domain}"))
    return leads


def discover(fetcher: Fetcher, host: str, platform_hint: str | None = None, *, guessed: bool = False,
             dcat_url: str | None = None) -> PortalResult:
    """Identify the platform of one host and read its whole catalog.

    ``guessed``: the host name was only derived by convention, so a name that does not resolve means
    there is no such portal (not_found), where for a linked or registered host it means unreachable.
    ``dcat_url``: a DCAT-US catalog of the host that a registry lists; when no platform API of the host
    gives a catalog, that document is read instead (every platform the project knows publishes one).
    """
    result = PortalResult(host)
    named = platform_hint or platform_of(host)
    order = (named,) if named else _PROBE_ORDER
    unreachable: FetchResult | None = None
    broken: str | None = None   # a catalog API answered, but with a server error or an unreadable body
    for platform in order:
        first = fetcher.get(page_url(platform, host, offset=0),
                            max_bytes=None if platform in PAGE_SIZE else CATALOG_DOCUMENT_MAX_BYTES)
        if not first.ok:
            if not first.outcome.reachable:
                unreachable = first
                break  # the host itself cannot be examined; more probes would only repeat that
            if first.status is not None and (first.status >= 500 or first.status == 429):
                broken = broken or f"{platform} catalog API answered HTTP {first.status}"
            continue
        try:
            page = PARSERS[platform](first.body, host)
        except CatalogFormatError as exc:
            # An HTML page at an API path is an ordinary "not this platform"; a JSON answer that does not
            # parse is a catalog we could not read: by its first byte, or by its declared type when it is
            # empty or a bare null (a broken gateway's answer).
            if _answered_json(first.body, first.content_type):
                what = "an empty body" if not first.body.strip() else f"malformed JSON: {exc}"
                broken = broken or f"{platform} catalog API answered {what}"
            continue
        result.platform = platform
        _read_catalog(fetcher, result, page)
        _describe_site(fetcher, result)
        return result
    tried = {page_url(p, host) for p in order}
    if dcat_url and dcat_url not in tried and _read_listed_dcat(fetcher, result, dcat_url):
        return result
    if unreachable is not None:
        nonexistent = guessed and unreachable.outcome is Outcome.DNS_ERROR
        result.outcome = "not_found" if nonexistent else "unreachable"
        result.detail = f"{unreachable.outcome.value}: {unreachable.error}" + (
            " (guessed host name does not exist)" if nonexistent else "")
    elif broken is not None:
        result.outcome, result.detail = "unreachable", broken   # unknown, not absent
    return result


def _answered_json(body: bytes, content_type: str) -> bool:
    """Whether an unreadable answer was meant as JSON (so a catalog is there but broken), not an HTML page."""
    head = body.lstrip()[:1]
    return head in (b"{", b"[") or ("json" in content_type and not head.startswith(b"<"))


def _read_listed_dcat(fetcher: Fetcher, result: PortalResult, url: str) -> bool:
    """Read the DCAT-US document a registry lists for the host; True when it gave the catalog."""
    if (urlsplit(url).hostname or "").lower() != result.host.lower():
        return False   # a registry entry may point anywhere; only the host's own catalog speaks for it
    res = fetcher.get(url, max_bytes=CATALOG_DOCUMENT_MAX_BYTES)
    if not res.ok:
        return False
    try:
        page = PARSERS["dcat"](res.body, result.host)
    except CatalogFormatError:
        return False
    result.platform = "dcat"
    _read_catalog(fetcher, result, page)
    result.detail = f"catalog read from the DCAT-US document a registry lists: {url}"
    _describe_site(fetcher, result)
    return True


def _read_catalog(fetcher: Fetcher, result: PortalResult, page: CatalogPage) -> None:
    platform = result.platform or ""
    result.add(page.records)
    result.reported_total, result.pages, result.outcome = page.total, 1, "found"
    result.paging = "single" if platform not in PAGE_SIZE else "offset"
    if platform not in PAGE_SIZE:
        _say_repeated(result)           # one document listing an identifier twice
        return
    target = min(page.total or 0, MAX_DATASETS)
    if platform == "socrata" and target > SOCRATA_OFFSET_WINDOW:
        _read_socrata_by_scroll(fetcher, result, target)
        return
    entries = len(page.records)        # the offset counts entries served, repeated ones included
    while page.records and entries < target:
        following = _next_page(fetcher, result, page_url(platform, result.host, offset=entries))
        if following is None:
            return
        page = following
        entries += len(page.records)
        result.add(page.records)
    _say_repeated(result)


def _say_repeated(result: PortalResult) -> None:
    if result.repeated and result.outcome == "found":
        where = ("in the catalog document (an identifier listed twice)" if result.paging == "single" else
                 "on a later page (the catalog changed while it was read)")
        result.detail = (f"{result.repeated} entr{'y' if result.repeated == 1 else 'ies'} repeated {where}: "
                         "counted once")


def _read_socrata_by_scroll(fetcher: Fetcher, result: PortalResult, target: int) -> None:
    """Deep Socrata catalogs: restart ordered by id and pass the last id seen as ``scroll_id``.

    The offset page already read is dropped, since it was ordered by relevance, not by id.
    """
    result.records, result.ids, result.paging, result.repeated, last_id = [], set(), "scroll_id", 0, ""
    while len(result.records) < target:
        page = _next_page(fetcher, result, page_url("socrata", result.host, scroll_id=last_id))
        if page is None:
            return
        if not page.records:
            break
        before = len(result.records)
        result.add(page.records)
        if len(result.records) == before:   # a server that ignores scroll_id would serve this page for ever
            result.outcome, result.detail = "partial", (f"page {result.pages}: only entries already read (the "
                                                        "server did not move past the scroll id)")
            return
        last_id = page.records[-1].id or ""
        if not last_id:
            result.outcome, result.detail = "partial", f"page {result.pages}: last entry has no id to scroll from"
            return
    _say_repeated(result)


def _next_page(fetcher: Fetcher, result: PortalResult, url: str) -> CatalogPage | None:
    """One more catalog page, or None after marking the result partial with the reason."""
    res = fetcher.get(url)
    if not res.ok:
        result.outcome, result.detail = "partial", f"page {result.pages + 1}: {res.outcome.value} {res.status or ''}"
        return None
    try:
        page = PARSERS[result.platform or ""](res.body, result.host)
    except CatalogFormatError as exc:
        result.outcome, result.detail = "partial", f"page {result.pages + 1}: {exc}"
        return None
    result.pages += 1
    return page


def _describe_site(fetcher: Fetcher, result: PortalResult) -> None:
    """The portal's own name (home page title; CKAN's site_title) and CKAN's version. Best effort: a
    failure here leaves the fields empty and never changes the catalog outcome."""
    if result.platform == "ckan":
        res = fetcher.get(f"https://{result.host}/api/3/action/status_show")
        if res.ok:
            try:
                status = load(res.body).get("result") or {}
                result.platform_version = str(status.get("ckan_version") or "") or None
                result.site_title = str(status.get("site_title") or "").strip() or None
            except (CatalogFormatError, AttributeError):
                pass
    if result.site_title is None:
        res = fetcher.get(f"https://{result.host}/")
        if res.ok and "html" in res.content_type:
            title = parse_html(res.text()).title
            text = " ".join(title.get_text(" ").split()) if title else ""
            result.site_title = text[:200] or None


def page_url(platform: str, host: str, *, offset: int = 0, scroll_id: str | None = None) -> str:
    """The catalog request for one page, in each API's own paging terms."""
    if platform == "socrata":
        base = f"https://{host}/api/catalog/v1?domains={host}&limit={PAGE_SIZE['socrata']}"
        return f"{base}&scroll_id={quote(scroll_id)}" if scroll_id is not None else f"{base}&offset={offset}"
    if platform == "ckan":
        return f"https://{host}/api/3/action/package_search?rows={PAGE_SIZE['ckan']}&start={offset}"
    if platform == "opendatasoft":
        return (f"https://{host}/api/explore/v2.1/catalog/datasets?limit={PAGE_SIZE['opendatasoft']}"
                f"&offset={offset}")
    if platform == "arcgis_hub":
        return f"https://{host}/api/feed/dcat-us/1.1.json"
    return f"https://{host}/data.json"


def platform_of(host: str) -> str | None:
    """The platform a host name states outright (``*.opendata.arcgis.com`` is ArcGIS Hub), else None."""
    return next((p for suffix, p in _HOST_PLATFORM if host.endswith(suffix)), None)
