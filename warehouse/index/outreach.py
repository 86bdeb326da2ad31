"""Which cities NLC staff should call: outreach status per city, decided from what was observed.

A ranked target must be worth a call: its evidence was observed (a low score from an unread website says
nothing about the city's practices), and closing its top gaps would give it a real chance of the next tier
(the tier it should apply for: scoring.next_tier). A city whose evidence already reads as that tier is a
call to apply, and its note says so; the ranking is still the chance with the gaps closed.
Every other city with a next tier lands in one of two lists with the reason in words: "not observed"
(what to check before anyone calls) or "longer path" (observed, but a push on its top gaps would not be
enough). Thresholds come from the run's settings, so a run records the ones it used.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from http import HTTPStatus

import numpy as np
import pandas as pd

MIN_COVERAGE = 0.5     # observed share of what public evidence can show, below which a city is not ranked
MIN_CHANCE = 0.2       # P(next tier if the top gaps were closed), below which a city is on the longer path
#: A gap is shown to staff when closing it alone raises P(next tier) by at least this (1 percentage point),
#: or when it is a core criterion (no tier without it). Smaller gaps stay in ``top_gaps`` (the push that
#: P(next tier if the top gaps were closed) assumes) with ``matters: false``.
MIN_GAP_GAIN = 0.01
STATUSES = ("target", "longer_path", "not_observed", "top_tier")
#: Certification tiers (the Honor Roll is a recognition, not a tier).
CERTIFIED_TIERS = ("silver", "gold", "platinum")


def certified_by_geoid(certified: pd.DataFrame | None) -> dict[str, tuple[str, int | None]]:
    """Per geoid, its certification as (tier, year), both from one row of the certified list (geoid, tier,
    year), so a city's tier is never shown with another row's year.

    The rule, deterministic whatever the list's order: a row with a year beats one without (an undated row
    says less about when); among dated rows the latest year wins; rows of the same year (or all undated)
    go to the higher tier (:data:`CERTIFIED_TIERS`' order; an unknown tier ranks below them), then to the
    tier's name."""
    if certified is None or not len(certified):
        return {}
    rows = certified[certified["geoid"].notna()]
    years = (pd.to_numeric(rows["year"], errors="coerce") if "year" in rows
             else pd.Series(np.nan, index=rows.index, dtype=float))
    best: dict[str, tuple[tuple, str, int | None]] = {}
    for geoid, tier, year in zip(rows["geoid"], rows["tier"], years, strict=True):
        dated = not pd.isna(year)
        name = str(tier) if isinstance(tier, str) else ""
        rank = CERTIFIED_TIERS.index(name) if name in CERTIFIED_TIERS else -1
        key = (dated, float(year) if dated else 0.0, rank, name)
        held = best.get(str(geoid))
        if held is None or key > held[0]:
            best[str(geoid)] = (key, tier, int(year) if dated else None)
    return {g: (tier, year) for g, (_, tier, year) in best.items()}


def gap_matters(gap: Mapping, min_gain: float = MIN_GAP_GAIN) -> bool:
    """The one rule for which gaps staff see: it moves the odds of the next tier, or it is core."""
    return bool(gap.get("core")) or float(gap.get("tier_gain") or 0.0) >= min_gain - 1e-12


def mark_gaps(top_gaps: Iterable[str | None], min_gain: float = MIN_GAP_GAIN) -> list[str]:
    """Each city's ``top_gaps`` JSON with ``matters`` set on every gap (:func:`gap_matters`), so every reader
    (views, CLI, report) filters the same way without knowing the threshold."""
    out = []
    for text in top_gaps:
        gaps = json.loads(text or "[]")
        out.append(json.dumps([{**g, "matters": gap_matters(g, min_gain)} for g in gaps]))
    return out


def shown_gaps(gaps: Iterable[Mapping]) -> list[Mapping]:
    """The gaps to show: those marked as mattering (rows written before the mark existed show all)."""
    return [g for g in gaps if g.get("matters", True) is not False]


def run_min_gap_gain(config_json: str | None) -> float:
    """A run's gap threshold from its ops.runs.config_json; runs from before the setting existed used the
    default."""
    try:
        value = json.loads(config_json or "{}").get("settings", {}).get("outreach_min_gap_gain")
    except (ValueError, AttributeError):
        value = None
    return float(value) if isinstance(value, int | float) else MIN_GAP_GAIN


def certified_words(tier: object) -> str:
    """A certified tier as staff read it: "Gold", "Honor Roll" (ids such as honor_roll stay in id columns)."""
    return str(tier).replace("_", " ").title()


def closable(gap: Mapping) -> bool:
    """Whether publishing can close a gap (scoring.closable_by_web: public evidence can show the criterion clearly
    enough); no for a gap to confirm with the city. Rows written before ``closable`` existed: by
    ``observable``."""
    if "closable" in gap:
        return gap["closable"] is not False
    return gap.get("observable", True) is not False


def split_gaps(gaps: Iterable[Mapping]) -> tuple[list[Mapping], list[Mapping]]:
    """(gaps publishing would close, gaps to confirm with the city), each in its order: the two lists every
    reader (why_call, `cdpi city`, the report) shows apart."""
    gaps = list(gaps)
    return [g for g in gaps if closable(g)], [g for g in gaps if not closable(g)]


def assumed_note(gaps: Iterable[Mapping], min_gain: float = MIN_GAP_GAIN) -> str | None:
    """What P(next tier if the top gaps were closed) assumes beyond the gaps listed: every gap in
    ``top_gaps`` counts as met (scoring._push), but only those that matter are listed. The one sentence
    `cdpi city` and the report's city page print; None when every gap it assumes is listed."""
    gaps = list(gaps)
    hidden = [str(g.get("criterion_id")) for g in gaps if g.get("matters", True) is False]
    if not hidden:
        return None
    points = round(min_gain * 100, 2)
    one = len(hidden) == 1
    return (f"The chance \"if the gaps were closed\" also assumes {_ids(hidden)} met: "
            f"{'it is' if one else 'they are'} not listed because {'it' if one else 'each'} alone raises the odds "
            f"by less than {points:g} percentage point{'' if points == 1 else 's'}.")


def _ids(ids: list[str]) -> str:
    return ids[0] if len(ids) == 1 else ", ".join(ids[:-1]) + " and " + ids[-1]


def core_gating(blocked: str, next_tier: str | None, names: Mapping[str, str] | None = None) -> str:
    """The sentence for a city with the points for its next tier but not its core criteria, e.g. "has the
    points for Silver but is blocked by core criteria DM1 (Name), LC1 (Name)" ("core criterion" for one);
    names only when given."""
    tier = str(next_tier).title() if next_tier else "its next tier"
    return f"has the points for {tier} but is blocked by {_core_ids(blocked, names)}"


def certified_core(blocked: str, certified: str, names: Mapping[str, str] | None = None) -> str:
    """What a certified city's blocking core criteria mean: not that it lacks them (its certification says it
    met every core criterion), but that its public web evidence reads weaker than its certification, e.g.
    "its public web evidence does not clearly show core criterion DM1 (Name), which its Gold certification
    means it met"."""
    return (f"its public web evidence does not clearly show {_core_ids(blocked, names)}, which its "
            f"{certified_words(certified)} certification means it met")


def blocked_note(blocked: str, next_tier: str | None, certified: object, names: Mapping[str, str] | None = None
                 ) -> str:
    """The words for ``blocked_by_core``, the same in the outreach note and `cdpi city`: a verdict
    (:func:`core_gating`) only for a city not certified at a tier."""
    if isinstance(certified, str) and certified in CERTIFIED_TIERS:
        return certified_core(blocked, certified, names)
    return f"{core_gating(blocked, next_tier, names)}: every tier needs them"


def _core_ids(blocked: str, names: Mapping[str, str] | None) -> str:
    ids = [c.strip() for c in str(blocked).split(",") if c.strip()]
    shown = ", ".join(f"{c} ({names[c]})" if names and names.get(c) else c for c in ids)
    return ("core criterion " if len(ids) == 1 else "core criteria ") + shown


def reads_as_next(predicted_tier: object, next_tier: object) -> bool:
    """Whether the evidence already reads as the city's next tier (scoring.next_tier: a city not certified
    that reads as Silver, a certified Silver city that reads as Gold): the call is to apply, not to improve."""
    return isinstance(next_tier, str) and predicted_tier == next_tier


def apply_call(next_tier: str) -> str:
    """The words for a city whose evidence already reads as its next tier, e.g. "the evidence already reads as
    Silver: a call to apply"; the outreach note and the why-call sentence say it alike."""
    return f"the evidence already reads as {next_tier.title()}: a call to apply"


def outreach_status(index: pd.DataFrame, cities: pd.DataFrame, summaries: pd.DataFrame, *,
                    min_coverage: float = MIN_COVERAGE, min_chance: float = MIN_CHANCE,
                    names: Mapping[str, str] | None = None, portals: pd.DataFrame | None = None,
                    homepages: pd.DataFrame | None = None) -> pd.DataFrame:
    """(outreach_status, outreach_note) per row of ``index``, from its coverage and chance, the city's
    known website (``cities``) and how its crawl ended (``summaries``). ``names`` (criterion id -> name)
    puts the names of blocking core criteria into the note; ``homepages`` (raw.homepages: url, outcome,
    status) what the home page fetch got, which a note on a site that could not be read names."""
    site = dict(zip(cities["geoid"], cities["website_url"].fillna("").astype(str), strict=True))
    home = ({str(r.geoid): (str(r.url or ""), home_page_answer(r.outcome, r.status))
             for r in homepages.itertuples()} if homepages is not None and len(homepages) else {})
    # A website unknown because its sources could not be read is not a city without one (marts.cities).
    lookup = (dict(zip(cities["geoid"], cities["website_lookup"].fillna("ok").astype(str), strict=True))
              if "website_lookup" in cities else {})
    crawl = {r.geoid: r for r in summaries.itertuples()} if len(summaries) else {}
    portal = {geoid: hosts[0][0] for geoid, hosts in credited_portals(portals).items()}
    status, notes = [], []
    for row in index.itertuples():
        reason = _not_observed(site.get(row.geoid, ""), crawl.get(row.geoid), row.coverage, min_coverage,
                               portal.get(row.geoid, ""), lookup.get(row.geoid, "ok"), home.get(str(row.geoid)))
        if row.next_tier is None or (isinstance(row.next_tier, float) and np.isnan(row.next_tier)):
            status.append("top_tier")
            # A certified city whose evidence went unread scores low: say why, so nobody reads it as decline.
            notes.append("certified Platinum: no next tier"
                         + (f"; its figures here are low because its evidence was not observed: {reason}" if reason
                            else ""))
        elif reason:
            status.append("not_observed")
            notes.append(reason)
        elif isinstance(blocked := getattr(row, "blocked_by_core", None), str) and blocked:
            core = blocked_note(blocked, row.next_tier, getattr(row, "certified_tier", None), names)
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
            chance = (f"{row.p_next_tier_if_gaps_closed:.0%} chance of {row.next_tier.title()} if its top gaps were "
                      f"closed, {row.p_next_tier:.0%} now")
            ready = reads_as_next(getattr(row, "predicted_tier", None), row.next_tier)
            notes.append(f"{apply_call(row.next_tier)}; {chance}" if ready else chance)
    return pd.DataFrame({"outreach_status": status, "outreach_note": notes}, index=index.index)


def credited_portals(portals: pd.DataFrame | None) -> dict[str, list[tuple[str, float | None]]]:
    """Per geoid, its credited data portals, largest first (host, dataset count): what the why-call sentence
    names, and what a not-observed note names instead of asking staff to find a portal the run read."""
    credited: dict[str, list[tuple[str, float | None]]] = {}
    if portals is None or not len(portals) or "credited" not in portals:
        return credited
    ok = portals[portals["credited"].fillna(False).astype(bool)].copy()
    ok["n_datasets"] = pd.to_numeric(ok["dataset_count"], errors="coerce") if "dataset_count" in ok else None
    ok = ok.sort_values(["geoid", "n_datasets", "portal_host"], ascending=[True, False, True], kind="stable",
                        na_position="last").drop_duplicates(["geoid", "portal_host"])
    for row in ok.itertuples():
        credited.setdefault(str(row.geoid), []).append(
            (str(row.portal_host), None if pd.isna(row.n_datasets) else float(row.n_datasets)))
    return credited


def _not_observed(website: str, crawl, coverage: float, min_coverage: float, portal: str = "",
                  lookup: str = "ok", home: tuple[str, str] | None = None) -> str:
    """Why a city's practices could not be judged, and what to check; empty when they could. A credited
    portal is named (it was read) instead of asked for; a website unknown because the sources that list
    websites could not be read (``lookup``, e.g. "uscityurl: timeout") is said to be that, not missing.
    A website that could not be read is named by the address the crawl tried, with what its home page
    answered (``home``: that address and the answer, e.g. "404 Not Found"), so staff can check both."""
    read = f"; its data portal ({portal}) was read" if portal else ""
    if not website and lookup != "ok":
        return (f"its website is unknown this month because the lists of city websites could not be read "
                f"({lookup}): run again when they answer; the city need not be asked" + read)
    if not website:
        return ("no known official website: confirm the city's site" + (" (and any data portal)" if not portal
                                                                         else "") + " so it can be read" + read)
    seed = getattr(crawl, "seed_url", None)
    address = seed if isinstance(seed, str) and seed else (home[0] if home and home[0] else website)
    answer = home[1] if home and home[1] and (not home[0] or home[0] == address) else ""
    if crawl is not None and crawl.stopped_by == "seed_unreachable":
        if crawl.robots_blocked:
            return (f"its website ({address}) refuses crawlers in robots.txt: ask the city, or review it by hand"
                    + read)
        return (f"its website ({address}) could not be reached this month" + (f" ({answer})" if answer else "")
                + ": check the address" + read)
    if coverage is None or np.isnan(coverage) or coverage < min_coverage:
        shown = "none" if coverage is None or np.isnan(coverage) else f"{coverage:.0%}"
        pages_ok = _count(getattr(crawl, "pages_ok", None))
        if pages_ok == 0:
            tried = f"{answer} at {address}" if answer else address
            site = f"the website, which gave the crawl no page it could read ({tried})"
        elif pages_ok == 1:
            site = f"the website ({address}), which gave the crawl one page it could read"
        else:
            site = f"the website ({address})"
        if portal:
            return (f"its data portal ({portal}) was read, but only {shown} of what public evidence could show "
                    f"(below {min_coverage:.0%}): check {site}")
        return (f"only {shown} of what public evidence could show was read (below {min_coverage:.0%}): check "
                f"{site} and add the city's data portal if it has one")
    return ""


#: What a home page fetch that did not answer with a page got, in words (sources/http/outcomes.py).
_ANSWERS = {"timeout": "no answer in time", "connection_error": "connection refused or broken",
            "dns_error": "its name does not resolve", "blocked_address": "its name points at a private address",
            "too_many_redirects": "too many redirects", "invalid_url": "not a valid address",
            "robots_disallowed": "robots.txt refuses crawlers", "too_large": "a page too large to read",
            "not_archived": "not in the replayed archive"}


def home_page_answer(outcome: object, status: object) -> str:
    """A home page fetch's outcome in words: "404 Not Found" for an HTTP error, "no answer in time" for a
    timeout; "" for a page that was read (nothing to report) or an unknown outcome."""
    if not isinstance(outcome, str) or outcome in ("ok", "not_modified", "carried", "not_fetched"):
        return ""
    code = _count(status)
    if outcome == "http_error" and code is not None:
        try:
            return f"{code} {HTTPStatus(code).phrase}"
        except ValueError:
            return f"HTTP {code}"
    return _ANSWERS.get(outcome, outcome.replace("_", " "))


def _count(value) -> int | None:
    """A count from a summary row, None when the row has none (older runs, a missing crawl)."""
    return int(value) if isinstance(value, int | float | np.number) and not pd.isna(value) else None
