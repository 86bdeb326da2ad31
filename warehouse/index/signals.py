"""Per city, the value of every signal the criteria catalog can use, and whether it was observed.

A signal is a number in [0, 1]: the best confidence of a website evidence kind, or a portal metric
scaled to [0, 1]. "Observed" means the source was actually read (the website crawl fetched pages; the
portal search examined every lead): a signal that is 0 *and* observed is evidence of absence, a
signal from an unread source is unknown, and the index lowers coverage instead of the probability.

A website kind is observed as absent only if every likely carrier of it that the crawl asked for was read
(a page queued but never asked for, the budget spent first, is not counted: only pages asked for are
recorded). The link that queued a page says what it would likely show (rules.yaml ``links.follow`` ``kinds``,
recorded as ``crawl_pages.likely_kinds``); when such a page could not be read (``crawl_pages.not_read``: a
timeout, a 5xx, robots.txt...) and no other page showed the kind, the kind is unknown, and ``not_read``
names the page and why. A page the server said does not exist (404, 410) was looked at: absent.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sources.evidence.classify import KINDS

PORTAL_SIGNALS = ("portal_exists", "portal_fresh", "portal_metadata", "portal_inventory",
                  "portal_performance_datasets", "portal_departments", "portal_column_descriptions", "portal_api")
SIGNALS = (*KINDS, *PORTAL_SIGNALS)
#: Each signal in words, as staff read it after "lacking" (ids stay in id columns and JSON): the website
#: evidence kinds (sources/evidence/rules.yaml) and the portal metrics (:func:`_portal_values`).
SIGNAL_NAMES = {
    "open_data_policy": "an open data policy",
    "open_data_portal": "an open data portal",
    "performance_reporting": "performance reports",
    "evaluation": "program evaluations",
    "data_governance": "data governance documents",
    "results_driven_contracting": "results-driven contracting documents",
    "stakeholder_engagement": "resident engagement results",
    "portal_exists": "a data portal with datasets",
    "portal_fresh": "portal datasets updated within a year",
    "portal_metadata": "portal datasets with descriptions, licences and contacts",
    "portal_inventory": "a published data inventory",
    "portal_performance_datasets": "performance datasets on its portal",
    "portal_departments": "portal datasets from most departments",
    "portal_column_descriptions": "column descriptions on its portal",
    "portal_api": "an API for its portal datasets",
}


def signal_name(signal: str) -> str:
    """A signal in words; a lacking entry keeps its note ("data_governance (unknown: source not read)")."""
    sig, sep, note = str(signal).partition(" (")
    return SIGNAL_NAMES.get(sig, sig.replace("_", " ")) + (f" ({note}" if sep else "")


#: A portal metric reaches 1.0 at these counts (a few performance datasets, a portal fed by most departments).
PERFORMANCE_DATASETS_FULL = 3
DEPARTMENTS_FULL = 8
#: Pages a website crawl must read before its silence counts as evidence of absence.
MIN_PAGES_READ = 2
#: Unread pages named per signal; more are counted ("and 2 more"), all are in staging.crawl_pages.
NOT_READ_SHOWN = 3


def city_signals(cities: pd.DataFrame, portals: pd.DataFrame, probes: pd.DataFrame, evidence: pd.DataFrame,
                 crawl_summaries: pd.DataFrame, evidence_half_life_months: float = 0.0,
                 crawl_pages: pd.DataFrame | None = None
                 ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Four frames indexed by geoid with one column per signal: values, observed flags, the evidence behind
    each value (URL of the strongest page, or the portal host), and for a website kind no page showed, the
    likely carriers of it that could not be read (``not_read_carriers``; such a kind is not observed). With
    a half-life, a piece of evidence counts for less the longer ago its page was last verified
    (``aged_confidence``). Without ``crawl_pages`` (or with a run's rows from before pages recorded their
    likely kinds) every kind of a crawled site is observed, as before."""
    geoids = pd.Index(cities["geoid"], name="geoid")
    values = pd.DataFrame(0.0, index=geoids, columns=list(SIGNALS))
    observed = pd.DataFrame(False, index=geoids, columns=list(SIGNALS))
    source = pd.DataFrame("", index=geoids, columns=list(SIGNALS))
    not_read = pd.DataFrame("", index=geoids, columns=list(SIGNALS))

    # A site counts as read when more than its home page was: a home page that loads but cannot be parsed
    # (broken markup, undecodable bytes) yields no links, and reading nothing else is not evidence of absence.
    crawled = set(crawl_summaries.loc[crawl_summaries["pages_ok"].fillna(0) >= MIN_PAGES_READ, "geoid"]) \
        if len(crawl_summaries) else set()
    web = geoids.isin(list(crawled))
    for kind in KINDS:
        observed[kind] = web
    if len(evidence):
        evidence = evidence.assign(confidence=aged_confidence(evidence, evidence_half_life_months))
        # Ties broken by URL, so a city's evidence source never depends on other cities' rows.
        best = evidence.sort_values(["confidence", "url"], ascending=[False, True], kind="stable") \
            .drop_duplicates(["geoid", "kind"])
        best = best[best["geoid"].isin(geoids)]
        for row in best.itertuples():
            values.at[row.geoid, row.kind] = float(row.confidence)
            source.at[row.geoid, row.kind] = str(row.url)
            observed.at[row.geoid, row.kind] = True
    # A kind no page showed is absent only if every page queued as its likely carrier was read.
    shown = set(zip(evidence["geoid"], evidence["kind"], strict=True)) if len(evidence) else set()
    for (geoid, kind), text in not_read_carriers(crawl_pages).items():
        if geoid in not_read.index and (geoid, kind) not in shown:
            observed.at[geoid, kind] = False
            not_read.at[geoid, kind] = text

    credited = portals[portals["credited"].astype(bool)] if len(portals) else portals
    unreachable = set(probes.loc[probes["outcome"] == "unreachable", "geoid"]) if len(probes) else set()
    has_portal = set(credited["geoid"]) if len(credited) else set()
    # Portal absence counts only when every lead was examined; a credited portal is observed either way.
    portal_seen = geoids.isin(list(has_portal)) | ~geoids.isin(list(unreachable))
    for sig in PORTAL_SIGNALS:
        observed[sig] = portal_seen
    if len(credited):
        for geoid, group in credited.groupby("geoid"):
            if geoid not in values.index:
                continue
            top = group.sort_values("dataset_count", ascending=False).iloc[0]
            metrics = _portal_values(group)
            for sig, v in metrics.items():
                values.at[geoid, sig] = v
                source.at[geoid, sig] = str(top["portal_host"]) if v > 0 else ""
    return values, observed, source, not_read


def not_read_carriers(crawl_pages: pd.DataFrame | None) -> dict[tuple[str, str], str]:
    """Per (geoid, evidence kind), the pages the crawl queued as likely carriers of the kind
    (``likely_kinds``) that it could not read (``not_read``), in crawl order, as "URL (why)" joined by
    "; " (the first ``NOT_READ_SHOWN``, then how many more)."""
    if crawl_pages is None or not len(crawl_pages) or not {"likely_kinds", "not_read"} <= set(crawl_pages.columns):
        return {}
    failed = crawl_pages[crawl_pages["not_read"].fillna("").astype(str).ne("")
                         & crawl_pages["likely_kinds"].fillna("").astype(str).ne("")]
    pages: dict[tuple[str, str], list[str]] = {}
    for row in failed.itertuples():
        for kind in str(row.likely_kinds).split(";"):
            if kind in KINDS:
                pages.setdefault((str(row.geoid), kind), []).append(f"{row.url} ({row.not_read})")
    return {key: "; ".join(urls[:NOT_READ_SHOWN]) + (f"; and {len(urls) - NOT_READ_SHOWN} more"
                                                      if len(urls) > NOT_READ_SHOWN else "")
            for key, urls in pages.items()}


def aged_confidence(evidence: pd.DataFrame, half_life_months: float) -> pd.Series:
    """Each row's confidence x 0.5 ** (age / half-life), the age counted from when its page was last verified
    to the newest verification in the run (not the clock: a replay scores as its run did). A carried page is
    as old as the fetch it stands on; pages asked this run are age 0. Off (the confidence as is) when the
    half-life is 0 or the rows carry no ``verified_at`` (runs before it was recorded)."""
    confidence = evidence["confidence"].astype(float)
    if half_life_months <= 0 or "verified_at" not in evidence.columns:
        return confidence
    verified = pd.to_datetime(evidence["verified_at"], utc=True, errors="coerce")
    if verified.isna().all():
        return confidence
    age_months = ((verified.max() - verified).dt.total_seconds() / 86_400 / (365.25 / 12)).fillna(0.0)
    return confidence * 0.5 ** (age_months / half_life_months)


def _portal_values(group: pd.DataFrame) -> dict[str, float]:
    """The city's best credited portal on each metric (a city with two portals gets the better of each)."""
    def best(col: str) -> float:
        v = pd.to_numeric(group[col], errors="coerce").max()
        return 0.0 if pd.isna(v) else float(v)

    metadata = group[["described_share", "licensed_share", "contact_share"]].apply(
        pd.to_numeric, errors="coerce").mean(axis=1).max()
    return {
        "portal_exists": 1.0 if best("dataset_count") > 0 else 0.0,
        "portal_fresh": best("updated_365d_share"),
        "portal_metadata": 0.0 if pd.isna(metadata) else float(metadata),
        "portal_inventory": 1.0 if group["has_data_inventory"].fillna(False).astype(bool).any() else 0.0,
        "portal_performance_datasets": min(1.0, best("performance_datasets") / PERFORMANCE_DATASETS_FULL),
        "portal_departments": min(1.0, best("departments") / DEPARTMENTS_FULL),
        "portal_column_descriptions": best("column_descriptions_share"),
        "portal_api": best("api_share"),
    }


def as_matrix(frame: pd.DataFrame) -> np.ndarray:
    return frame[list(SIGNALS)].to_numpy(dtype=float)
