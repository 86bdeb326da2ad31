"""Which cities NLC staff should call: outreach status per city, decided from what was observed.

A ranked target must be worth a call: its evidence was observed (a low score from an unread website says
nothing about the city's practices), and closing its top gaps would give it a real chance of the next tier.
Every other city with a next tier lands in one of two lists with the reason in words: "not observed"
(what to check before anyone calls) or "longer path" (observed, but a push on its top gaps would not be
enough). Thresholds come from the run's settings, so a run records the ones it used.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MIN_COVERAGE = 0.5     # observed share of what public evidence can show, below which a city is not ranked
MIN_CHANCE = 0.2       # P(next tier if the top gaps were closed), below which a city is on the longer path
STATUSES = ("target", "longer_path", "not_observed", "top_tier")


def outreach_status(index: pd.DataFrame, cities: pd.DataFrame, summaries: pd.DataFrame, *,
                    min_coverage: float = MIN_COVERAGE, min_chance: float = MIN_CHANCE) -> pd.DataFrame:
    """(outreach_status, outreach_note) per row of ``index``, from its coverage and chance, the city's
    known website (``cities``) and how its crawl ended (``summaries``)."""
    site = dict(zip(cities["geoid"], cities["website_url"].fillna("").astype(str), strict=True))
    crawl = {r.geoid: r for r in summaries.itertuples()} if len(summaries) else {}
    status, notes = [], []
    for row in index.itertuples():
        reason = _not_observed(site.get(row.geoid, ""), crawl.get(row.geoid), row.coverage, min_coverage)
        if row.next_tier is None or (isinstance(row.next_tier, float) and np.isnan(row.next_tier)):
            status.append("top_tier")
            notes.append("certified or predicted Platinum: no next tier")
        elif reason:
            status.append("not_observed")
            notes.append(reason)
        elif isinstance(blocked := getattr(row, "blocked_by_core", None), str) and blocked:
            core = (f"has the points for {row.next_tier.title()} but is blocked by core criteria "
                    f"{blocked}: every tier needs them")
            chance = row.p_next_tier_if_gaps_closed >= min_chance
            status.append("target" if chance else "longer_path")
            notes.append(core + (f"; {row.p_next_tier_if_gaps_closed:.0%} chance if its top gaps were closed"
                                 if chance else ""))
        elif row.p_next_tier_if_gaps_closed < min_chance:
            status.append("longer_path")
            notes.append(f"{row.p_next_tier_if_gaps_closed:.0%} chance of {row.next_tier.title()} even with its top gaps "
                         f"closed (below {min_chance:.0%}): more than a short push away")
        else:
            status.append("target")
            notes.append(f"{row.p_next_tier_if_gaps_closed:.0%} chance of {row.next_tier.title()} if its top gaps were "
                         f"closed, {row.p_next_tier:.0%} now")
    return pd.DataFrame({"outreach_status": status, "outreach_note": notes}, index=index.index)


def _not_observed(website: str, crawl, coverage: float, min_coverage: float) -> str:
    """Why a city's practices could not be judged, and what to check; empty when they could."""
    if not website:
        return "no known official website: confirm the city's site (and any data portal) so it can be read"
    if crawl is not None and crawl.stopped_by == "seed_unreachable":
        if crawl.robots_blocked:
            return f"its website ({website}) refuses crawlers in robots.txt: ask the city, or review it by hand"
        return f"its website ({website}) could not be reached this month: check the address"
    if coverage is None or np.isnan(coverage) or coverage < min_coverage:
        shown = "none" if coverage is None or np.isnan(coverage) else f"{coverage:.0%}"
        return (f"only {shown} of what public evidence could show was read (below {min_coverage:.0%}): check "
                "the website and add the city's data portal if it has one")
    return ""
