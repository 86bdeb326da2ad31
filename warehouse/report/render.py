"""Jinja templates and the per-page view models.

Autoescaping is on for every template, so any string from the warehouse (scraped titles, snippets, city
names) is rendered as text; the only markup that reaches a page unescaped is the SVG built by charts.py,
which escapes its own labels. Links pass through the `href` filter, which drops non-http(s) URLs.
"""

from __future__ import annotations

import statistics
from collections import Counter
from typing import Any

import jinja2

from warehouse.report import charts
from warehouse.report.data import BANDS, TIERS, ReportData, parse_gaps
from warehouse.report.links import safe_href

TIER_LABELS = {"none": "No tier", "silver": "Silver", "gold": "Gold", "platinum": "Platinum",
               "honor_roll": "Honor roll"}


def population_band(population: int | None) -> str:
    """The population bands of marts.outreach_targets (a test checks the two agree)."""
    p = population or 0
    for limit, band in ((50_000, BANDS[0]), (100_000, BANDS[1]), (250_000, BANDS[2]), (500_000, BANDS[3])):
        if p < limit:
            return band
    return BANDS[4]


def _pct(value: float | None, digits: int = 0) -> str:
    return "–" if value is None else f"{value * 100:.{digits}f}%"


def _num(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def _tier(value: str | None) -> str:
    return "–" if not value else TIER_LABELS.get(value, value.replace("_", " ").capitalize())


def _words(value: object) -> str:
    """snake_case identifiers (signals, kinds, training topics) as words."""
    return "" if value is None else str(value).replace("_", " ")


def _tier_class(value: str | None) -> str:
    """A CSS class for a tier badge; unknown tiers get the neutral one, never warehouse text as a class."""
    return f"tier-{value}" if value in TIER_LABELS else "tier-unknown"


def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("warehouse.report", "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(href=safe_href, pct=_pct, num=_num, tier=_tier, tier_class=_tier_class,
                       words=_words)
    return env


def _median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def _tier_rows(cities: list[dict[str, Any]], key: str, groups: list[str]) -> list[tuple[str, dict[str, int]]]:
    counts: dict[str, Counter[str]] = {g: Counter() for g in groups}
    for c in cities:
        counts.setdefault(c[key], Counter())[c["predicted_tier"]] += 1
    return [(g, dict(counts[g])) for g in counts if counts[g]]


def index_context(data: ReportData) -> dict[str, Any]:
    """National overview: counts, the three distributions and the list of every city."""
    cities = data.cities
    for c in cities:
        c["population_band"] = population_band(c["population"])
    by_tier = Counter(c["predicted_tier"] for c in cities)
    tier_keys = list(TIERS) + sorted(set(by_tier) - set(TIERS))
    states = sorted({c["state"] or "" for c in cities})
    return {
        "root": "", "run": data.run, "cities": cities, "targets_count": len(data.targets),
        "certified": sum(1 for c in cities if c["certified_tier"] in TIERS),   # the honor roll is not a tier
        "median_coverage": _median([c["coverage"] for c in cities]),
        "median_points": _median([c["expected_points"] for c in cities]),
        "max_points": max((c["max_points"] for c in cities), default=0),
        "tier_counts": [(t, by_tier.get(t, 0)) for t in tier_keys],
        "tier_chart": charts.stacked_bars([(TIER_LABELS.get(t, t), {t: by_tier.get(t, 0)}) for t in tier_keys],
                                          tier_keys, title="Cities by predicted tier", labels=TIER_LABELS,
                                          legend=False),
        "state_chart": charts.stacked_bars(_tier_rows(cities, "state", states), tier_keys,
                                           title="Cities by state and predicted tier", labels=TIER_LABELS,
                                           width=560, label_width=40),
        "band_chart": charts.stacked_bars(_tier_rows(cities, "population_band", list(BANDS)), tier_keys,
                                          title="Cities by population band and predicted tier",
                                          labels=TIER_LABELS, width=560, label_width=80),
    }


def targets_context(data: ReportData) -> dict[str, Any]:
    """The outreach table and the values its filters offer."""
    t = data.targets
    for r in t:
        r["gap_list"] = parse_gaps(r.get("top_gaps"))
    return {
        "root": "", "run": data.run, "targets": t,
        "states": sorted({r["state"] for r in t if r["state"]}),
        "bands": [b for b in BANDS if any(r["population_band"] == b for r in t)]
        + sorted({r["population_band"] for r in t} - set(BANDS) - {None}),
        "next_tiers": [x for x in TIERS + ("honor_roll",) if any(r["next_tier"] == x for r in t)],
    }


def city_context(data: ReportData, city: dict[str, Any], target: dict[str, Any] | None) -> dict[str, Any]:
    """One city's scorecard: criteria grouped by practice, each with its signals and evidence pages."""
    geoid = city["geoid"]
    evidence = data.evidence.get(geoid, [])
    refs: dict[str, list[int]] = {}
    for n, e in enumerate(evidence, 1):
        for cid in e["criteria_list"]:
            refs.setdefault(cid, []).append(n)
    practices: dict[str, dict[str, Any]] = {}
    for s in data.criteria.get(geoid, []):
        code = s["practice"] or "?"
        p = practices.setdefault(code, {"code": code, "name": data.practices.get(code, code),
                                        "criteria": [], "expected": 0.0})
        p["criteria"].append({**s, "signals": data.signals.get((geoid, s["criterion_id"]), []),
                              "refs": refs.get(s["criterion_id"], [])})
        p["expected"] += s["probability"] or 0.0
    order = list(data.practices)
    grouped = sorted(practices.values(), key=lambda p: (order.index(p["code"]) if p["code"] in order
                                                        else len(order), p["code"]))
    history = data.history.get(geoid, [])
    points = [(h["snapshot"].strftime("%Y-%m"), (h["expected_points"] / h["max_points"]) if h["max_points"] else 0.0,
               h["p_silver_or_better"]) for h in history]
    return {
        "root": "../", "run": data.run, "city": city, "target": target, "practices": grouped,
        "evidence": evidence, "history": history,
        "spark": charts.sparkline(points, title=f"History of {city['city']}, {city['state']}") if points else None,
    }
