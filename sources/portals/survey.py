"""Survey every city's portals concurrently and flatten the results into tables."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pandas as pd

from sources.http.fetcher import Fetcher
from sources.portals.discovery import PortalResult, candidates, discover
from sources.portals.profile import profile

PROFILE_COLUMNS = ["geoid", "portal_host", "platform", "discovered_via", "confidence", "outcome", "detail",
                   "pages", "reported_total", "dataset_count", "updated_90d_share", "updated_365d_share",
                   "median_days_since_update", "described_share", "licensed_share", "contact_share",
                   "tagged_share", "column_descriptions_share", "machine_readable_share", "api_share",
                   "departments", "has_data_inventory", "has_open_data_policy", "performance_datasets",
                   "flagged_records"]
DATASET_COLUMNS = ["geoid", "portal_host", "platform", "dataset_id", "title", "type", "updated_at", "department",
                   "has_description", "license", "formats", "machine_readable", "issues"]


def survey(fetcher: Fetcher, cities: pd.DataFrame, homepages: pd.DataFrame, *, as_of: datetime,
           workers: int = 32) -> tuple[pd.DataFrame, pd.DataFrame]:
    links = dict(zip(homepages["geoid"], homepages["portal_links"].fillna(""), strict=True)) \
        if len(homepages) else {}
    jobs = []
    for geoid, website in zip(cities["geoid"], cities["website_url"], strict=True):
        if not isinstance(website, str) or not website:
            continue
        linked = [h for h in links.get(geoid, "").split(";") if h]
        jobs.extend((geoid, c) for c in candidates(website, linked))
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(jobs) or 1))) as pool:
        results = list(pool.map(lambda job: (job[0], discover(fetcher, job[1])), jobs))
    profiles, datasets = [], []
    for geoid, res in results:
        profiles.append(_profile_row(geoid, res, as_of))
        datasets.extend(_dataset_row(geoid, res, rec) for rec in res.records)
    return (pd.DataFrame(profiles, columns=PROFILE_COLUMNS), pd.DataFrame(datasets, columns=DATASET_COLUMNS))


def _profile_row(geoid: str, res: PortalResult, as_of: datetime) -> dict:
    row = {"geoid": geoid, "portal_host": res.host, "platform": res.platform, "discovered_via": res.via,
           "confidence": res.confidence, "outcome": res.outcome, "detail": res.detail, "pages": res.pages,
           "reported_total": res.reported_total}
    if res.outcome in ("found", "partial"):
        metrics = profile(res.records, as_of=as_of, reported_total=res.reported_total)
        row.update({k: metrics[k] for k in PROFILE_COLUMNS if k in metrics and k not in row})
    return row


def _dataset_row(geoid: str, res: PortalResult, rec) -> dict:
    r = rec.to_row()
    return {"geoid": geoid, "portal_host": res.host, "platform": res.platform, "dataset_id": r["id"],
            "title": r["title"], "type": r["type"],
            "updated_at": rec.updated_at.replace(tzinfo=None) if rec.updated_at else None,
            "department": r["department"], "has_description": r["has_description"], "license": r["license"],
            "formats": r["formats"], "machine_readable": r["machine_readable"], "issues": r["issues"]}
