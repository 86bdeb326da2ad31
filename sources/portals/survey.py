"""Survey every city's portals and flatten the results into tables.

Steps: gather leads per city (home page links, conventional names, Socrata's domain list, ArcGIS Hub
search), examine each distinct host once, then judge each (city, host) pair: who runs the portal (scope
rules) and whether it is credited as the city's own. A county portal linked from five cities' home
pages is read once and recorded five times as ``county``, credited to none.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from sources.http.fetcher import Fetcher
from sources.portals.dataportals import REGISTRY_URL, dcat_endpoint, fetch_registry, registry_decisions
from sources.portals.discovery import Lead, PortalResult, discover, website_leads
from sources.portals.profile import profile
from sources.portals.registries import (
    RegistryRead,
    arcgis_hub_sites,
    match_hub_sites,
    match_socrata_domains,
    socrata_domains,
)
from sources.portals.scope import CityContext, normalize, portal_scope

PROBE_COLUMNS = ["geoid", "portal_host", "discovered_via", "confidence", "leads", "platform", "outcome", "detail"]
METRIC_COLUMNS = ["dataset_count", "updated_90d_share", "updated_365d_share", "median_days_since_update",
                  "updated_after_as_of", "described_share", "licensed_share", "contact_share", "tagged_share",
                  "column_descriptions_share", "machine_readable_share", "api_share", "departments",
                  "has_data_inventory", "has_open_data_policy", "performance_datasets", "flagged_records"]
PORTAL_COLUMNS = ["geoid", "portal_host", "platform", "platform_version", "site_title", "scope", "scope_reason",
                  "credited", "discovered_via", "confidence", "outcome", "detail", "pages", "paging",
                  "reported_total", *METRIC_COLUMNS]
DATASET_COLUMNS = ["portal_host", "platform", "dataset_id", "title", "type", "updated_at", "department",
                   "has_description", "license", "formats", "machine_readable", "issues"]
REGISTRY_COLUMNS = ["registry", "geoid", "outcome", "detail", "entries", "requests", "matches"]
#: Routes strong enough to credit a portal whose names do not say who runs it. A registry lead only exists
#: when the registry entry passed the scope rules for that city (sources/portals/dataportals.py).
_OWN_ROUTES = {"homepage_link", "candidate_host", "dataportals_registry"}
#: A registry entry credited by the scope rules: strong, but machine-built, so below a home-page link.
REGISTRY_LEAD_CONFIDENCE = 0.8


@dataclass
class SurveyResult:
    probes: pd.DataFrame
    portals: pd.DataFrame
    datasets: pd.DataFrame
    registries: pd.DataFrame
    notes: dict = field(default_factory=dict)


def survey(fetcher: Fetcher, cities: pd.DataFrame, homepages: pd.DataFrame, *, as_of: datetime,
           workers: int = 32, registries: bool = True, portal_registry_url: str | None = REGISTRY_URL,
           progress: Callable[[int, int], None] | None = None) -> SurveyResult:
    """Find, read and judge every city's portals. ``cities`` needs geoid, name, state_abbr, state_name and
    website_url; ``homepages`` geoid and portal_links (";"-separated hosts). With ``registries``, the
    Socrata domain list, ArcGIS Hub search and the registry of data portals at ``portal_registry_url``
    (None: not read) add leads."""
    links = dict(zip(homepages["geoid"], homepages["portal_links"].fillna(""), strict=True)) \
        if len(homepages) else {}
    city_rows = cities.to_dict("records")
    leads: list[Lead] = []
    for c in city_rows:
        website = c.get("website_url") if isinstance(c.get("website_url"), str) and c.get("website_url") else None
        leads.extend(website_leads(c["geoid"], website, [h for h in links.get(c["geoid"], "").split(";") if h]))
    reads: list[dict] = []
    if registries:
        leads.extend(_registry_leads(fetcher, city_rows, reads, workers))
        if portal_registry_url:
            leads.extend(_portal_registry_leads(fetcher, cities, reads, portal_registry_url))
    by_host: dict[str, list[Lead]] = defaultdict(list)
    for lead in leads:
        by_host[lead.host].append(lead)
    hosts = sorted(by_host)
    done = itertools.count(1)
    if progress:
        progress(0, len(hosts))

    def examine(host: str) -> PortalResult:
        hint = next((ld.platform for ld in by_host[host] if ld.platform), None)
        guessed = all(ld.via == "candidate_host" for ld in by_host[host])
        dcat_url = next((ld.dcat_url for ld in by_host[host] if ld.dcat_url), None)
        result = discover(fetcher, host, hint, guessed=guessed, dcat_url=dcat_url)
        finished = next(done)   # itertools.count: atomic under the GIL, unlike `done += 1` across threads
        if progress:
            progress(finished, len(hosts))
        return result

    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(hosts) or 1))) as pool:
        results = dict(zip(hosts, pool.map(examine, hosts), strict=True))
    contexts = {c["geoid"]: CityContext(c.get("name"), c.get("state_name"), c.get("state_abbr")) for c in city_rows}
    return _tables(by_host, results, contexts, as_of, reads)


def _registry_leads(fetcher: Fetcher, city_rows: list[dict], reads: list[dict], workers: int) -> list[Lead]:
    leads: list[Lead] = []
    domains = socrata_domains(fetcher)
    names = Counter(normalize(str(c.get("name") or "")) for c in city_rows)
    ambiguous = frozenset(n for n, k in names.items() if k > 1)
    matched = 0
    for c in city_rows:
        if not c.get("name") or domains.outcome != "ok":
            continue
        for hit in match_socrata_domains(domains.entries, c["name"], c.get("state_abbr") or "",
                                         c.get("website_url") if isinstance(c.get("website_url"), str) else None,
                                         ambiguous):
            leads.append(Lead(c["geoid"], hit.host, hit.via, hit.confidence, hit.platform, hit.reason))
            matched += 1
    reads.append(_read_row(domains, None, matched))

    def search(c: dict) -> tuple[dict, RegistryRead]:
        return c, arcgis_hub_sites(fetcher, c["name"])

    named = [c for c in city_rows if c.get("name")]
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(named) or 1))) as pool:
        for c, read in pool.map(search, named):
            hits = match_hub_sites(read.entries, c["name"], c.get("state_abbr") or "", ambiguous) \
                if read.outcome == "ok" else []
            leads.extend(Lead(c["geoid"], h.host, h.via, h.confidence, h.platform, h.reason) for h in hits)
            reads.append(_read_row(read, c["geoid"], len(hits)))
    return leads


def _portal_registry_leads(fetcher: Fetcher, cities: pd.DataFrame, reads: list[dict], url: str) -> list[Lead]:
    """Leads from the registry of data portals: only entries its scope rules credit to a city (a county's,
    state's or region's portal never becomes a city's lead; GIS servers are not portals). The entry's uid
    stays in the lead's reason, so a portal can be traced to the registry row that suggested it."""
    read = fetch_registry(fetcher, url)
    credited = pd.DataFrame()
    if read.outcome == "ok" and read.entries and len(cities):
        decisions = registry_decisions(read.entries, cities)
        credited = decisions[decisions["credited"] & decisions["host"].notna()]
    reads.append(_read_row(read, None, len(credited)))
    return [Lead(str(r["geoid"]), str(r["host"]), "dataportals_registry", REGISTRY_LEAD_CONFIDENCE,
                 r["platform"] if isinstance(r["platform"], str) else None,
                 f"registry entry {r['uid']} ({r['route']}): {r['reason']}", dcat_url=dcat_endpoint(r["endpoints"]))
            for r in credited.to_dict("records")]



def _read_row(read: RegistryRead, geoid: str | None, matches: int) -> dict:
    return {"registry": read.name, "geoid": geoid, "outcome": read.outcome, "detail": read.detail,
            "entries": len(read.entries), "requests": read.requests, "matches": matches}


def _tables(by_host: dict[str, list[Lead]], results: dict[str, PortalResult], contexts: dict[str, CityContext],
            as_of: datetime, reads: list[dict]) -> SurveyResult:
    probes: list[dict] = []
    portals: list[dict] = []
    datasets: list[dict] = []
    metrics_by_host = {h: profile(r.records, as_of=as_of, reported_total=r.reported_total)
                       for h, r in results.items() if r.outcome in ("found", "partial")}
    claims: dict[str, set[str]] = defaultdict(set)
    for host, host_leads in by_host.items():
        for lead in host_leads:
            claims[host].add(lead.geoid)
    for host, host_leads in sorted(by_host.items()):
        res = results[host]
        for geoid, city_leads in _group(host_leads).items():
            via = ";".join(sorted({ld.via for ld in city_leads}))
            confidence = _combined(ld.confidence for ld in city_leads)
            probes.append({"geoid": geoid, "portal_host": host, "discovered_via": via, "confidence": confidence,
                           "leads": " | ".join(ld.reason for ld in city_leads), "platform": res.platform,
                           "outcome": res.outcome, "detail": res.detail})
            if host not in metrics_by_host:
                continue
            scope = portal_scope(contexts.get(geoid, CityContext(None, None, None)), title=res.site_title,
                                 publishers=[r.department for r in res.records], host=host)
            credited = scope.level == "city" or (
                scope.level == "unknown" and len(claims[host]) == 1 and any(ld.via in _OWN_ROUTES for ld in city_leads))
            row = {"geoid": geoid, "portal_host": host, "platform": res.platform,
                   "platform_version": res.platform_version, "site_title": res.site_title, "scope": scope.level,
                   "scope_reason": scope.reason, "credited": credited, "discovered_via": via,
                   "confidence": confidence, "outcome": res.outcome,
                   "detail": _detail(res.detail, metrics_by_host[host]["notes"]), "pages": res.pages,
                   "paging": res.paging, "reported_total": res.reported_total}
            row.update({k: metrics_by_host[host][k] for k in METRIC_COLUMNS})
            portals.append(row)
    for host in sorted(metrics_by_host):
        res = results[host]
        datasets.extend(_dataset_row(res, rec) for rec in res.records)
    notes = {"hosts_examined": len(results), "leads": sum(len(v) for v in by_host.values())}
    return SurveyResult(pd.DataFrame(probes, columns=PROBE_COLUMNS), pd.DataFrame(portals, columns=PORTAL_COLUMNS),
                        pd.DataFrame(datasets, columns=DATASET_COLUMNS),
                        pd.DataFrame(reads, columns=REGISTRY_COLUMNS), notes)


def _detail(read_detail: str | None, profile_notes: list[str]) -> str | None:
    """The portal row's one place for notes: what the read says, then what the profile says (such as
    entries updated after the snapshot month, left out of freshness), so a figure that looks odd is
    explained beside it."""
    return "; ".join([read_detail, *profile_notes] if read_detail else profile_notes) or None


def _group(leads: list[Lead]) -> dict[str, list[Lead]]:
    out: dict[str, list[Lead]] = defaultdict(list)
    for lead in leads:
        out[lead.geoid].append(lead)
    return out


def _combined(confidences) -> float:
    """Independent routes to the same host reinforce each other: 1 - prod(1 - c)."""
    miss = 1.0
    for c in confidences:
        miss *= 1.0 - float(c)
    return round(1.0 - miss, 4)


def _dataset_row(res: PortalResult, rec) -> dict:
    r = rec.to_row()
    return {"portal_host": res.host, "platform": res.platform, "dataset_id": r["id"], "title": r["title"],
            "type": r["type"], "updated_at": rec.updated_at.replace(tzinfo=None) if rec.updated_at else None,
            "department": r["department"], "has_description": r["has_description"], "license": r["license"],
            "formats": r["formats"], "machine_readable": r["machine_readable"], "issues": r["issues"]}
