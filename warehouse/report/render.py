"""Jinja templates and the per-page view models.

Autoescaping is on for every template, so any string from the warehouse (scraped titles, snippets, city
names) is rendered as text; the only markup that reaches a page unescaped is the SVG built by charts.py,
which escapes its own labels, and the methodology page, which is the project's own markdown (raw HTML in
it is not passed through). Links pass through the `href` filter, which drops non-http(s) URLs.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from functools import lru_cache
from importlib import resources
from typing import Any

import jinja2
from markdown_it import MarkdownIt
from markupsafe import Markup

from warehouse.index.outreach import assumed_note
from warehouse.index.validation import FEW_LABELS, parse_bin_detail
from warehouse.report import charts
from warehouse.report.data import EXPORT_VIEWS, TIERS, ReportData, parse_gaps
from warehouse.report.links import safe_href
from warehouse.scorecard import attested_text, explanation, gap_reason, signal_value, split_ids

TIER_LABELS = {"none": "No tier", "silver": "Silver", "gold": "Gold", "platinum": "Platinum",
               "honor_roll": "Honor roll"}


def band_order(rows: list[dict[str, Any]]) -> list[str]:
    """The population bands present in ``rows`` (their ``population_band``, from the warehouse's macro
    marts.population_band), smallest cities first."""
    smallest: dict[str, int] = {}
    for r in rows:
        band = r.get("population_band")
        if band:
            smallest[band] = min(smallest.get(band, r["population"] or 0), r["population"] or 0)
    return sorted(smallest, key=smallest.__getitem__)


def _pct(value: float | None, digits: int = 0) -> str:
    return "–" if value is None else f"{value * 100:.{digits}f}%"


def _num(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def _tier(value: str | None) -> str:
    return "–" if not value else TIER_LABELS.get(value, value.replace("_", " ").capitalize())


def _words(value: object) -> str:
    """snake_case identifiers (signals, kinds, training topics) as words."""
    return "" if value is None else str(value).replace("_", " ")


#: A fetch outcome (sources/http/outcomes.py) as staff read it after "home page": what happened, not a code.
OUTCOME_WORDS = {
    "http_error": "answered with an error", "timeout": "timed out", "connection_error": "could not be reached",
    "dns_error": "has a name that does not exist", "robots_disallowed": "refuses crawlers in robots.txt",
    "blocked_address": "points to a private or reserved network address, which is never fetched",
    "too_large": "was too large to read", "too_many_redirects": "redirected too many times",
    "invalid_url": "has an address that is not a web address", "not_archived": "was not in the replayed archive",
}


def _outcome(value: str | None) -> str:
    return OUTCOME_WORDS.get(str(value), _words(value))


def _tier_class(value: str | None) -> str:
    """A CSS class for a tier badge; unknown tiers get the neutral one, never warehouse text as a class."""
    return f"tier-{value}" if value in TIER_LABELS else "tier-unknown"


def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("warehouse.report", "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(href=safe_href, pct=_pct, num=_num, value=signal_value, tier=_tier, tier_class=_tier_class,
                       words=_words, outcome=_outcome)
    env.globals["standalone"] = False   # a report page; the data dictionary of `cdpi docs --html` says True
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
    by_tier = Counter(c["predicted_tier"] for c in cities)
    tier_keys = list(TIERS) + sorted(set(by_tier) - set(TIERS))
    states = sorted({c["state"] or "" for c in cities})
    per_state = Counter(c["state"] for c in cities)
    targets_per_state = Counter(t["state"] for t in data.targets)
    return {
        "state_map": charts.state_tiles({s: (targets_per_state.get(s, 0), n) for s, n in per_state.items() if s},
                                        title="Share of each state's cities that are outreach targets"),
        "root": "", "run": data.run, "cities": cities, "targets_count": len(data.targets),
        "certified": sum(1 for c in cities if c["certified_tier"] in TIERS),   # the honor roll is not a tier
        "median_coverage": _median([c["coverage"] for c in cities]),
        "median_points": _median([c["expected_points"] for c in cities]),
        "max_points": max((c["max_points"] for c in cities), default=0),
        "tier_counts": [(t, by_tier.get(t, 0)) for t in tier_keys],
        "tier_chart": charts.stacked_bars([(TIER_LABELS.get(t) or str(t), {t: by_tier.get(t, 0)}) for t in tier_keys],
                                          tier_keys, title="Cities by predicted tier", labels=TIER_LABELS,
                                          legend=False),
        "state_chart": charts.stacked_bars(_tier_rows(cities, "state", states), tier_keys,
                                           title="Cities by state and predicted tier", labels=TIER_LABELS,
                                           width=560, label_width=40),
        "band_chart": charts.stacked_bars(_tier_rows(cities, "population_band", band_order(cities)), tier_keys,
                                          title="Cities by population band and predicted tier",
                                          labels=TIER_LABELS, width=560, label_width=80),
    }


#: The targets page's row status (data-status) of each list of `cdpi targets --list`.
STATUS = {"targets": "target", "longer_path": "longer_path", "not_observed": "not_observed"}


def targets_context(data: ReportData) -> dict[str, Any]:
    """The outreach table and the values its filters offer."""
    t = data.targets
    for r in t:
        r["gap_list"] = parse_gaps(r.get("top_gaps"))
    # Cities whose practices could not be judged: listed in the same table (status filter "Not yet
    # observed"), unranked, with what to check before anyone calls.
    unseen = [dict(c, gap_list=[])
              for c in sorted(data.cities, key=lambda c: (-(c["population"] or 0), c["geoid"]))
              if c.get("outreach_status") == "not_observed"]
    # Cities observed but more than a short push from their next tier: listed apart, not dropped (status
    # filter "Longer path"), best chance first, with their gaps and the reason they are not ranked.
    # Ordered as `cdpi targets --list longer-path` orders it: by the chance as the list rounds it (4 places),
    # then geoid, so the page's order and its CSV download agree with the command's.
    longer = [dict(c, gap_list=parse_gaps(c.get("top_gaps")))
              for c in sorted(data.cities, key=lambda c: (-round(c.get("p_next_tier_if_gaps_closed") or 0, 4),
                                                          c["geoid"]))
              if c.get("outreach_status") == "longer_path"]
    rows = t + longer + unseen
    # Each row carries what `cdpi targets --format csv` writes for it (data-csv), read by the download
    # button: a cell's display text glues values together (a population and its band) and drops link URLs.
    for status, group in (("targets", t), ("longer_path", longer), ("not_observed", unseen)):
        found = data.exports.get(status, {})
        for r in group:
            r["csv"] = found.get(r["geoid"])
    return {
        "root": "", "run": data.run, "targets": t, "not_observed": unseen, "longer_path": longer,
        # By the rows' data-status: the CLI's columns of each list, the name `--list` gives it (the first
        # column when the rows shown mix lists), and the columns holding text.
        "csv_spec": {"columns": {STATUS[k]: list(columns) for k, (_, columns) in EXPORT_VIEWS.items()},
                     "list": {STATUS[k]: k.replace("_", "-") for k in EXPORT_VIEWS},
                     # Each list saves under its own name; rows of several lists at once under "all-lists".
                     "files": {**{STATUS[k]: download_name(k, data.run.label) for k in EXPORT_VIEWS},
                               "any": download_name("all_lists", data.run.label)},
                     "text": data.export_text},
        "states": sorted({r["state"] for r in rows if r["state"]}),
        "bands": band_order(rows),
        "next_tiers": [x for x in TIERS + ("honor_roll",) if any(r["next_tier"] == x for r in rows)],
        "certified_tiers": [x for x in ("honor_roll", *TIERS) if any(r.get("certified_tier") == x for r in rows)],
    }


def download_name(which: str, label: str) -> str:
    """The file a targets page download saves as: cdpi-targets-2026-11.csv for the ranked targets,
    cdpi-targets-longer-path-2026-11.csv (not-observed, all-lists) for the others, so downloads of two lists
    do not overwrite each other or pass for one another."""
    return f"cdpi-targets-{label}.csv" if which == "targets" else f"cdpi-targets-{which.replace('_', '-')}-{label}.csv"


def city_context(data: ReportData, city: dict[str, Any], target: dict[str, Any] | None) -> dict[str, Any]:
    """One city's scorecard: criteria grouped by practice, each with its signals and evidence pages."""
    geoid = city["geoid"]
    evidence = data.evidence.get(geoid, [])
    refs: dict[str, list[int]] = {}
    for n, e in enumerate(evidence, 1):
        for cid in e["criteria_list"]:
            refs.setdefault(cid, []).append(n)
    practices: dict[str, dict[str, Any]] = {}
    scores = data.criteria.get(geoid, [])
    probability = {s["criterion_id"]: s["probability"] for s in scores}
    by_id: dict[str, dict[str, Any]] = {}
    for s in scores:
        code = s["practice"] or "?"
        p = practices.setdefault(code, {"code": code, "name": data.practices.get(code, code),
                                        "criteria": [], "expected": 0.0})
        signals = data.signals.get((geoid, s["criterion_id"]), [])
        # The line the probability multiplies out from, as `cdpi city` prints it (warehouse/scorecard.py).
        pre = [{"criterion_id": cid, "probability": probability.get(cid)} for cid in split_ids(s.get("prerequisites"))]
        attested = None if s.get("correction_id") is None else bool(s.get("attested_met"))
        row = {**s, "signals": signals, "refs": refs.get(s["criterion_id"], []), "prerequisites": pre,
               "explanation": explanation(prior=s.get("prior"), met=s.get("met_probability"),
                                          probability=s["probability"], signals=signals, prerequisites=pre,
                                          attested_met=attested),
               "attested": None if attested is None else {
                   "correction_id": s["correction_id"], "note": s.get("attested_note"),
                   "text": attested_text(attested, str(s.get("attested_by")), str(s.get("attested_on")),
                                         str(s.get("attested_source")))}}
        p["criteria"].append(row)
        by_id[s["criterion_id"]] = row
        p["expected"] += s["probability"] or 0.0
    # What keeps each gap from being met: its lacking signals, or what decided it when none is lacking.
    city = {**city, "gaps": [{**g, "reason": gap_reason(g, by_id.get(g["criterion_id"] or ""))}
                             for g in city.get("gaps", [])]}
    order = list(data.practices)
    grouped = sorted(practices.values(), key=lambda p: (order.index(p["code"]) if p["code"] in order
                                                        else len(order), p["code"]))
    history = data.history.get(geoid, [])
    points = [(h["snapshot"].strftime("%Y-%m"), (h["expected_points"] / h["max_points"]) if h["max_points"] else 0.0,
               h["p_silver_or_better"]) for h in history]
    return {
        "root": "../", "run": data.run, "city": city, "target": target, "practices": grouped,
        "evidence": evidence, "history": history, "min_gap_points": round(data.run.min_gap_gain * 100, 2),
        # The same sentence `cdpi city` prints: what the chance "if the gaps were closed" assumes unlisted.
        "assumed_note": assumed_note(city["gaps"], data.run.min_gap_gain),
        "spark": charts.sparkline(points, title=f"History of {city['city']}, {city['state']}") if points else None,
    }


AGREEMENT = re.compile(r"^predicted=(\S+) certified=(\S+)$")
CERTIFIED_COLUMNS = ("silver", "gold", "platinum", "honor_roll", "not_certified")
#: marts.calibration's pooled held-out metrics, in the order and words the validation page shows them.
HELD_OUT = {"log_loss": "Log-loss of the certified tier (lower is better)",
            "brier_certified": "Brier score of P(Silver or better) (lower is better)",
            "auc_p_silver_or_better": "AUC of P(Silver or better)",
            "tier_accuracy": "Tier accuracy, all cities",
            "tier_accuracy_certified": "Tier accuracy, certified cities",
            "mean_p_silver_or_better": "Mean P(Silver or better)",
            "certified_share": "Share certified Silver or better"}


def _ordered(found: set[str], order: tuple[str, ...]) -> list[str]:
    return [x for x in order if x in found] + sorted(found - set(order))


def _agreement(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """marts.validation's tier_agreement cells as a table: predicted tiers down, certified tiers across."""
    cells: dict[tuple[str, str], int] = {}
    for r in rows:
        m = AGREEMENT.match(r["detail"] or "")
        if m and r["value"] is not None:
            cells[(m.group(1), m.group(2))] = int(r["value"])
    predicted = _ordered({p for p, _ in cells}, TIERS)
    certified = _ordered({c for _, c in cells}, CERTIFIED_COLUMNS)
    return {"predicted": predicted, "certified": certified,
            "cells": {f"{p}|{c}": n for (p, c), n in cells.items()},
            "row_totals": {p: sum(cells.get((p, c), 0) for c in certified) for p in predicted},
            "col_totals": {c: sum(cells.get((p, c), 0) for p in predicted) for c in certified},
            "total": sum(cells.values())}


def _bins(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """reliability_bin rows with their edges and mean prediction parsed back out of detail."""
    out = []
    for r in sorted(rows, key=lambda r: r["k"] or 0):
        edges = parse_bin_detail(r["detail"])
        if edges is not None and r["value"] is not None and r["n"]:
            out.append({"bin": r["k"], "n": int(r["n"]), "positives": int(r["positives"] or 0),
                        "observed": float(r["value"]), **edges})
    return out


def validation_context(data: ReportData) -> dict[str, Any]:
    """How good is this index: the run's marts.validation figures, the calibration verdict, the
    reliability diagram and the figures of earlier runs, with the caveats they need."""
    by_metric: dict[str, list[dict[str, Any]]] = {}
    for r in data.validation:
        by_metric.setdefault(r["metric"], []).append(r)

    def one(metric: str) -> dict[str, Any] | None:
        found = by_metric.get(metric)
        return found[0] if found else None

    auc, error, accuracy = one("auc_p_silver_or_better"), one("reliability_error"), one("tier_accuracy_certified")
    labels = auc["positives"] if auc else None
    bins = _bins(by_metric.get("reliability_bin", []))
    held = {(r["metric"], r["model"]): r["value"] for r in data.calibration if r["fold"] == "pooled"}
    held_out = [(label, held.get((m, "hand_set")), held.get((m, "fitted"))) for m, label in HELD_OUT.items()
                if (m, "hand_set") in held or (m, "fitted") in held]
    not_computed = next((r for r in data.calibration if r["metric"] == "not_computed"), None)
    trend = data.trend
    points = [(f"{t['snapshot'].strftime('%Y-%m')} {t['run_id'][:8]}", t["auc"], t["precision_at_10"])
              for t in trend if t["auc"] is not None and t["precision_at_10"] is not None]
    return {
        "root": "", "run": data.run,
        "computed": auc is not None,
        "not_computed": one("not_computed"),
        "auc": auc, "precision": sorted(by_metric.get("precision_at_k", []), key=lambda r: r["k"]),
        "tier_accuracy": accuracy, "reliability_error": error, "bins": bins,
        "below_median": one("certified_below_median_uncertified"),
        "corrections": one("corrections_applied"),
        "without_corrections": {m: one(f"{m}_without_corrections") for m in (
            "auc_p_silver_or_better", "tier_accuracy_certified", "reliability_error")},
        "labels": labels, "cities": auc["n"] if auc else len(data.cities),
        "few_labels": labels is not None and labels < FEW_LABELS, "few_labels_limit": FEW_LABELS,
        "agreement": _agreement(by_metric.get("tier_agreement", [])),
        "adopted": next((r for r in data.calibration if r["metric"] == "adopted"), None),
        "calibration_not_computed": not_computed, "held_out": held_out,
        "scored_with": sorted(Counter(c.get("scored_with") or "not recorded" for c in data.cities).items()),
        "diagram": charts.reliability_diagram(bins, title="Reliability of P(Silver or better)")
        if bins else None,
        "trend": trend,
        "trend_chart": charts.sparkline(points, title="AUC and precision at 10 over the runs")
        if len(points) > 1 else None,
    }


def dictionary_context(relations: list, run: Any, *, standalone: bool = False) -> dict[str, Any]:
    """The data dictionary page: every table and view with its lineage, and one searchable table of columns."""
    schemas = list(dict.fromkeys(r.schema for r in relations))
    return {"root": "", "run": run, "relations": relations, "schemas": schemas, "standalone": standalone,
            "column_count": sum(len(r.columns) for r in relations)}


@lru_cache(maxsize=1)
def methodology_html() -> Markup:
    """docs/methodology.md as HTML: the report page and the doc are one file (the package's
    methodology.md is a symbolic link to it, copied as a file into wheels), so they cannot drift apart. Raw HTML in the markdown is not passed
    through, so even our own text reaches the page only as markdown renders it."""
    text = (resources.files("warehouse.report") / "methodology.md").read_text(encoding="utf-8")
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    tokens = md.parse(text)
    for heading, inline in zip(tokens, tokens[1:], strict=False):
        if heading.type == "heading_open":   # linkable sections: the footer points at #sources
            heading.attrSet("id", re.sub(r"[^a-z0-9]+", "-", inline.content.lower()).strip("-"))
    return Markup(md.renderer.render(tokens, md.options, {}))


def methodology_context(data: ReportData) -> dict[str, Any]:
    """The methodology page: the same for every snapshot, framed by the run's header and footer."""
    return {"root": "", "run": data.run, "body": methodology_html()}
