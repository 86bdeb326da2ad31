"""Per city and criterion, the probability the point is earned; per city, expected points, exact tier
odds, the predicted tier and the most attainable gaps.

The rule for one criterion (weights and priors from the criteria catalog):

    met on its own  = 1 - (1 - prior) * prod over its signals of (1 - weight * value)
    earned          = met on its own * earned(prerequisite)

a noisy-OR: each piece of evidence independently "explains" the criterion with probability
weight x value, and the prior covers what no public trace shows. More evidence can only raise a
probability, never lower it, so removing evidence never raises a score. Unread sources give value 0
but lower ``coverage`` (the weight share of a criterion's signals that were actually observed), so a
city whose site was unreachable shows low coverage rather than a confident "no".

Certification labels are never an input here (calibration, which uses them, adjusts the Model it is given).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Collection, Iterable
from typing import Any

import numpy as np
import pandas as pd

from sources.criteria.catalog import Catalog, load_catalog
from warehouse.index.outreach import certified_by_geoid
from warehouse.index.signals import SIGNALS, as_matrix
from warehouse.index.tiers import (
    Structure,
    earned_probability,
    lifted_odds,
    points_distribution,
    thresholds,
    tier_odds,
)

TIERS = ("silver", "gold", "platinum")
#: No public trace makes a criterion certain: an organisation can stop a practice it once published.
MAX_PROBABILITY = 0.98
#: A core criterion below this is a gap even when more likely than not: every tier needs it, so its doubt
#: caps the odds of any tier (a data leader at 0.52 halves P(Silver)), and confirming it is the call to make.
CONFIRM_CORE_BELOW = 0.9
#: Below this a criterion that is not core is a gap (unearned more likely than not).
GAP_BELOW = 0.5
#: Cities per chunk when computing gap gains (bounds memory at ~150 MB whatever the number of cities).
GAP_CHUNK = 2048
RULE = "1-(1-prior)*prod(1-weight*value), capped at 0.98; earned = met * earned(prerequisite)"
CRITERION_COLUMNS = ["geoid", "criterion_id", "practice", "probability", "met_probability", "prior",
                     "evidence_count", "coverage", "core", "probability_web", "correction_id", "attested_met",
                     "attested_by", "attested_on", "attested_source"]
#: An attested correction (warehouse/corrections.py) is its own signal and decides the criterion: met on its
#: own with the most any evidence gives (a practice can still lapse), or not met at all.
ATTESTED_MET, ATTESTED_NOT_MET = MAX_PROBABILITY, 0.0
ATTESTED_COLUMNS = ["geoid", "criterion_id", "met", "correction_id", "attested_by", "recorded_at", "source_url"]
CITY_COLUMNS = ["geoid", "city", "state", "population", "expected_points", "max_points", "score_pct",
                "p_silver_or_better", "p_gold_or_better", "p_platinum", "predicted_tier", "points_to_next_tier",
                "coverage", "certified_tier", "top_gaps", "next_tier", "p_next_tier", "p_next_tier_if_gaps_closed",
                "blocked_by_core", "wwc_partner", "corrections_applied", "expected_points_web",
                "p_silver_or_better_web", "predicted_tier_web"]
TIER_BAND_COLUMNS = ["standard", "bands", "tier", "share", "points_needed", "max_points", "core_criteria"]


class Model:
    """The catalog turned into arrays: weights (criteria x signals), priors, structure, thresholds."""

    def __init__(self, catalog: Catalog | None = None):
        self.catalog = catalog or load_catalog()
        crit = self.catalog.criteria
        self.ids = [c.id for c in crit]
        col = {s: k for k, s in enumerate(SIGNALS)}
        self.weights = np.zeros((len(crit), len(SIGNALS)))
        for i, c in enumerate(crit):
            for sig, w in c.evidence:
                if sig not in col:
                    raise ValueError(f"{c.id}: unknown signal {sig!r}; known: {', '.join(SIGNALS)}")
                self.weights[i, col[sig]] = w
        self.priors = np.array([c.prior for c in crit])
        self.structure = Structure.build(self.ids, {c.id: c.prerequisites for c in crit},
                                         [c.id for c in crit if c.core])
        self.needed = thresholds(self.catalog.tiers, len(crit))
        self.observable = np.array([c.observable != "none" for c in crit])

    @property
    def cores(self) -> frozenset[str]:
        return frozenset(cid for cid, core in zip(self.ids, self.structure.core, strict=True) if core)

    def tier_of(self, met: Collection[str]) -> str:
        """The tier a set of surely met criteria gives: the certain case of the exact odds (so
        prerequisites and core criteria count exactly as in scoring). Used for ground truth and the
        synthetic certified list."""
        p = np.array([[1.0 if cid in met else 0.0 for cid in self.ids]])
        odds = tier_odds(points_distribution(self.structure, p), self.needed)
        return next((t for t in reversed(TIERS) if odds[t][0] > 0.5), "none")

    def adjusted(self, *, weights: np.ndarray, priors: np.ndarray) -> Model:
        """The same standard with other weights and priors (calibration tries them without a new catalog)."""
        other = copy.copy(self)
        other.weights, other.priors = weights, priors
        return other

    def met(self, values: np.ndarray) -> np.ndarray:
        """(cities, signals) -> (cities, criteria): probability each criterion is met on its own."""
        miss = np.ones((values.shape[0], len(self.ids)))
        for k in np.flatnonzero(self.weights.any(axis=0)):   # signal by signal: memory stays cities x criteria
            miss *= 1.0 - np.outer(values[:, k], self.weights[:, k])
        return np.minimum(1.0 - (1.0 - self.priors[None, :]) * miss, MAX_PROBABILITY)

    def best_web(self) -> np.ndarray:
        """Per criterion, the most its earned probability can reach from public evidence: every signal it
        reads found at full strength, and so every prerequisite's. A criterion whose best stays under its
        :func:`shown_bar` is one the web cannot show however much the city publishes (the catalog marks such
        criteria weakly observable on purpose): a gap on it is to be confirmed with the city, never a list of
        pages to publish. With the model's own weights and priors, so a calibrated run judges with the
        weights it scored with."""
        return earned_probability(self.structure, self.met(np.ones((1, self.weights.shape[1]))))[0]

    def coverage(self, observed: np.ndarray) -> np.ndarray:
        """(cities, signals) booleans -> (cities, criteria): observed share of each criterion's weight."""
        total = self.weights.sum(axis=1)
        seen = observed.astype(float) @ self.weights.T
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(total[None, :] > 0, seen / total[None, :], np.nan)


def score(cities: pd.DataFrame, values: pd.DataFrame, observed: pd.DataFrame,
          model: Model | None = None, certified: pd.DataFrame | None = None, partners: set[str] | None = None,
          attested: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(criterion_scores, city_index) for every city in ``cities`` (geoid, name, state_abbr, population).
    ``certified`` and ``partners`` are only copied into the output for display; no figure uses them.
    ``attested``: open corrections (ATTESTED_COLUMNS), each deciding its criterion for its city; the scores
    from the web evidence alone stay beside the published ones (the ``*_web`` columns)."""
    model = model or Model()
    geoids = list(cities["geoid"])
    v = as_matrix(values.loc[geoids])
    o = observed.loc[geoids][list(SIGNALS)].to_numpy(dtype=bool)
    web = model.met(v)
    met, which = _attested(web, geoids, model, attested)
    earned = earned_probability(model.structure, met)
    cover = model.coverage(o)
    odds = tier_odds(points_distribution(model.structure, met), model.needed)
    crit_rows = _criterion_rows(geoids, model, v, met, earned, cover)
    city = _city_rows(cities, model, met, earned, cover, odds, certified, v, o)
    city["wwc_partner"] = [True if g in (partners or ()) else None for g in city["geoid"]]
    web_earned = earned_probability(model.structure, web) if which else earned
    web_odds = tier_odds(points_distribution(model.structure, web), model.needed) if which else odds
    crit_rows["probability_web"] = np.round(web_earned.ravel(), 6)
    for col in ("correction_id", "attested_met", "attested_by", "attested_on", "attested_source"):
        crit_rows[col] = None
    n = len(model.ids)
    for (i, j), row in which.items():
        crit_rows.loc[i * n + j, ["correction_id", "attested_met", "attested_by", "attested_on", "attested_source"]] = [
            int(row["correction_id"]), bool(row["met"]), row["attested_by"], str(row["recorded_at"])[:10],
            row["source_url"]]
    city["corrections_applied"] = np.bincount([i for i, _ in which], minlength=len(geoids)).astype(int)
    city["expected_points_web"] = stored_sum(web_earned)
    city["p_silver_or_better_web"] = np.round(web_odds["silver"], 6)
    city["predicted_tier_web"] = _predicted(web_odds, len(geoids))
    return crit_rows, city[CITY_COLUMNS]


def _attested(web: np.ndarray, geoids: list[str], model: Model, attested: pd.DataFrame | None
              ) -> tuple[np.ndarray, dict[tuple[int, int], dict]]:
    """The met probabilities with each open correction deciding its criterion, and which (city, criterion)
    cells a correction decided, with the correction."""
    if attested is None or not len(attested):
        return web, {}
    row_of = {g: i for i, g in enumerate(geoids)}
    col_of = {cid: j for j, cid in enumerate(model.ids)}
    met, which = web.copy(), {}
    for r in attested.to_dict("records"):
        i, j = row_of.get(r["geoid"]), col_of.get(r["criterion_id"])
        if i is None or j is None:
            continue           # a city outside this run, or a criterion of another standard
        met[i, j] = ATTESTED_MET if r["met"] else ATTESTED_NOT_MET
        which[(i, j)] = r
    return met, which


def _predicted(odds: dict, cities: int) -> np.ndarray:
    """The highest tier with probability at least 0.5, per city."""
    predicted = np.full(cities, "none", dtype=object)
    for tier in TIERS:
        predicted[odds[tier] >= 0.5] = tier
    return predicted


def _criterion_rows(geoids, model: Model, v, met, earned, cover) -> pd.DataFrame:
    """One row per city and criterion, built column-wise (20,000 cities x 43 criteria in well under a second)."""
    n_cities, n = earned.shape
    supported = (v > 0).astype(np.int32) @ (model.weights > 0).T.astype(np.int32)
    crit = model.catalog.criteria
    return pd.DataFrame({
        "geoid": np.repeat(np.asarray(geoids, dtype=object), n),
        "criterion_id": np.tile(np.array(model.ids, dtype=object), n_cities),
        "practice": np.tile(np.array([c.practice for c in crit], dtype=object), n_cities),
        "probability": np.round(earned.ravel(), 6), "met_probability": np.round(met.ravel(), 6),
        "prior": np.tile(model.priors, n_cities), "evidence_count": supported.ravel(),
        "coverage": np.round(cover.ravel(), 4), "core": np.tile(np.array([c.core for c in crit]), n_cities),
    }, columns=CRITERION_COLUMNS)


def signal_rows(values: pd.DataFrame, observed: pd.DataFrame, source: pd.DataFrame,
                not_read: pd.DataFrame | None = None) -> pd.DataFrame:
    """Long form of the signals: what each criterion probability was computed from, per city, and for a
    website kind left unknown, the likely carrier pages that could not be read (``not_read``)."""
    long = values[list(SIGNALS)].stack().rename("value").to_frame()
    long["observed"] = observed[list(SIGNALS)].stack()
    long["source"] = source[list(SIGNALS)].stack().replace("", None)
    long["not_read"] = (not_read[list(SIGNALS)].stack().replace("", None) if not_read is not None else None)
    long = long.reset_index()
    long.columns = ["geoid", "signal", "value", "observed", "source", "not_read"]
    return long


def catalog_rows(model: Model) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The catalog as two tables (criteria; criterion x signal weights), stored with every run."""
    crit = pd.DataFrame([{"criterion_id": c.id, "practice": c.practice,
                          "practice_name": model.catalog.practices.get(c.practice),
                          "criterion_name": c.name,
                          "core": c.core, "observable": c.observable, "prior": c.prior,
                          "prerequisites": ";".join(c.prerequisites), "training_topic": c.training_topic,
                          "standard": model.catalog.standard} for c in model.catalog.criteria])
    weights = pd.DataFrame([{"criterion_id": c.id, "signal": sig, "weight": w}
                            for c in model.catalog.criteria for sig, w in c.evidence])
    return crit, weights


def tier_band_rows(model: Model) -> pd.DataFrame:
    """The tiers the run's odds were computed against (marts.tier_bands): per tier, the share of the points
    its bands ask, the whole points that share means on this standard (what tier_odds counts up to) and the
    core criteria every tier also needs. Stored with every run so a predicted tier can be traced in SQL:
    the bands' name alone (ops.runs.config_json) does not say what a later catalog might read it as."""
    cores = ";".join(cid for cid in model.ids if cid in model.cores)
    return pd.DataFrame([{"standard": model.catalog.standard, "bands": model.catalog.bands, "tier": tier,
                          "share": float(model.catalog.tiers[tier]), "points_needed": int(model.needed[tier]),
                          "max_points": len(model.ids), "core_criteria": cores} for tier in TIERS],
                        columns=TIER_BAND_COLUMNS)


def used_weight_rows(catalog: Model, used: Model, fold: str | None = None) -> pd.DataFrame:
    """Per criterion and signal of the catalog: the weight ``used`` scored with, beside the catalog's.

    Stored with every run (marts.criterion_signal_weights_used) because calibration rewrites the weights
    per fold: without them an explanation of a score would show the catalog's weights, which a calibrated
    score did not use, and no criterion could be recomputed by hand. ``fold``: the calibration fold of the
    cities ``used`` scored (None when the run scored with the catalog)."""
    col = {s: k for k, s in enumerate(SIGNALS)}
    rows = [{"calibration_fold": fold, "criterion_id": c.id, "signal": sig, "weight": float(used.weights[i, col[sig]]),
             "catalog_weight": float(w)}
            for i, c in enumerate(catalog.catalog.criteria) for sig, w in c.evidence]
    return pd.DataFrame(rows, columns=["calibration_fold", "criterion_id", "signal", "weight", "catalog_weight"])


def stored_sum(earned: np.ndarray) -> np.ndarray:
    """Per city, the sum of its criterion probabilities as marts.criterion_scores stores them (6 places), to 6
    places: expected points an analyst can add up from the stored probabilities and get exactly, where the
    sum of the unrounded ones, rounded to 4 places, differed from that by up to 5e-5."""
    return np.round(np.round(earned, 6).sum(axis=1), 6)


def _city_rows(cities: pd.DataFrame, model: Model, met, earned, cover, odds, certified, v, o) -> pd.DataFrame:
    n = len(model.ids)
    expected = stored_sum(earned)
    observable_cover = np.nanmean(np.where(model.observable[None, :], cover, np.nan), axis=1)
    predicted = _predicted(odds, len(cities))
    labels = {g: tier for g, (tier, _) in certified_by_geoid(certified).items()}   # the year: why_call
    # Outreach asks for the tier a city should apply for (next_tiers): every figure toward it (its odds, the
    # gaps, the points, the core blockers) uses that one list. Tier odds and the predicted tier (what
    # validation reads) stay unconditioned by the certified list.
    nxt = next_tiers(predicted, [labels.get(g) for g in cities["geoid"]])
    gaps = top_gaps(model, met, earned, odds, nxt, v, o)
    p_next, p_push = _push(model, met, odds, nxt, gaps)
    blocked = _core_blockers(model, earned, expected, nxt)
    out = pd.DataFrame({
        "geoid": cities["geoid"].to_numpy(), "city": cities["name"].to_numpy(),
        "state": cities["state_abbr"].to_numpy(), "population": cities["population"].to_numpy(),
        # score_pct from the stored expected points: round(100 * expected_points / max_points, 2) is score_pct.
        "expected_points": expected, "max_points": n, "score_pct": np.round(100 * expected / n, 2),
        "p_silver_or_better": np.round(odds["silver"], 6), "p_gold_or_better": np.round(odds["gold"], 6),
        "p_platinum": np.round(odds["platinum"], 6), "predicted_tier": predicted,
        "points_to_next_tier": [_points_to_next(model, t, e) for t, e in zip(nxt, expected, strict=True)],
        "coverage": np.round(observable_cover, 4),
        "certified_tier": [labels.get(g) for g in cities["geoid"]],
        "top_gaps": [json.dumps(g) for g in gaps],
        "next_tier": nxt, "p_next_tier": np.round(p_next, 6), "p_next_tier_if_gaps_closed": np.round(p_push, 6),
        "blocked_by_core": blocked})
    return out


def _push(model: Model, met: np.ndarray, odds: dict, nxt: list[str | None], gaps: list[list]
          ) -> tuple[np.ndarray, np.ndarray]:
    """Per city, the probability of its next tier (``nxt``) now, and its exact probability if the city's top
    gaps were closed (those criteria certainly met): how far a modest, targeted push would carry it. One pass
    for all cities."""
    index = {cid: k for k, cid in enumerate(model.ids)}
    pushed = met.copy()
    for i, city_gaps in enumerate(gaps):
        for g in city_gaps:
            pushed[i, index[g["criterion_id"]]] = 1.0
    after = tier_odds(points_distribution(model.structure, pushed), model.needed)
    now = np.array([odds[t][i] if t else np.nan for i, t in enumerate(nxt)])
    then = np.array([after[t][i] if t else np.nan for i, t in enumerate(nxt)])
    return now, then


def _points_to_next(model: Model, nxt: str | None, expected: float) -> int | None:
    """Points ``nxt`` needs minus the whole expected points, never below 0. 0 says the expected points reach
    the line, not that the city reads as the tier: points vary about their mean and every core criterion
    must be met too, so the odds (p_next_tier) can still be below one half; then either core criteria
    below one half block it (blocked_by_core) or its gaps say what to confirm."""
    if nxt is None:
        return None
    return max(0, model.needed[nxt] - int(np.floor(expected + 1e-9)))


def _core_blockers(model: Model, earned: np.ndarray, expected: np.ndarray, nxt: list) -> list[str | None]:
    """Per city, the core criteria (needed for any tier) it is unlikely to hold (earned probability < 0.5),
    comma-separated, when its expected points already reach its next tier: then those, not points, stand
    in the way. None otherwise."""
    cores = [k for k, core in enumerate(model.structure.core) if core]
    out: list[str | None] = []
    for i, tier in enumerate(nxt):
        lacking = [model.ids[k] for k in cores if earned[i, k] < 0.5]
        enough = tier is not None and np.floor(expected[i] + 1e-9) >= model.needed[tier]
        out.append(", ".join(lacking) if enough and lacking else None)
    return out


def next_tier(predicted: str, certified: str | None) -> str | None:
    """The tier a city should apply for: the tier its evidence shows (``predicted``) when that is above the
    tier it is certified at, else the tier above its certified tier; None above Platinum. Not certified
    (or only on the honor roll, which is not a tier) counts as certified at no tier.

    So a city that is not certified but reads as Silver is a Silver call ("likely qualifies, apply"), not a
    weak Gold prospect, and a certified Silver city the web reads as Gold is a Gold call. The one rule every
    outreach figure follows (next_tier, its odds, the gaps, points_to_next_tier, blocked_by_core)."""
    order = ("none", *TIERS)
    held = order.index(certified) if certified in TIERS else 0
    shown = order.index(predicted)
    if shown > held:
        return order[shown]
    return order[held + 1] if held + 1 < len(order) else None


def next_tiers(predicted: Iterable[str], certified: Iterable[str | None]) -> list[str | None]:
    """:func:`next_tier` per city."""
    return [next_tier(p, c) for p, c in zip(predicted, certified, strict=True)]


def top_gaps(model: Model, met: np.ndarray, earned: np.ndarray, base: dict[str, np.ndarray],
             nxt: list[str | None], values: np.ndarray, observed: np.ndarray, k: int = 3) -> list[list]:
    """For each city, the ``k`` unearned criteria (earned probability < 0.5, or a core criterion below
    ``CONFIRM_CORE_BELOW``) whose certainty would most raise the odds (``base``: today's, per tier) of its
    next tier (``nxt``, from :func:`next_tiers`; None: no gaps); ties (and cities far from any tier) by
    expected points.
    Each gap names the evidence that is lacking (signals at 0, strongest weight first; "unknown" when the
    source could not be read), the training topic that addresses it, whether it is core, whether it is only
    to be confirmed (``confirm``: more likely than not, not yet clearly shown), whether public evidence
    can show it at all (``observable``: else only the city can say) and whether publishing can close the gap
    (``closable``: its best from public evidence, ``best_web``, reaches :func:`shown_bar`; else it is to be
    confirmed with the city, whatever it lacks). Outreach shows a gap only when it moves
    the odds or is core: warehouse/index/outreach.py."""
    cities, n = met.shape
    # In chunks of cities: the prefix/suffix products behind lifted_odds hold ~70 (cities x 44 x 2) arrays.
    chunks = [lifted_odds(model.structure, met[a:a + GAP_CHUNK], model.needed) for a in range(0, cities, GAP_CHUNK)]
    lifted = {tier: np.concatenate([c[tier] for c in chunks]) if chunks else np.zeros((0, n)) for tier in TIERS}
    tier_gain = np.zeros((cities, n))
    for tier in TIERS:
        rows = np.array([t == tier for t in nxt], dtype=bool)
        if rows.any():
            tier_gain[rows] = lifted[tier][rows] - base[tier][rows, None]
    point_gain = np.zeros((cities, n))
    for j in range(n):
        up = met.copy()
        up[:, j] = 1.0
        point_gain[:, j] = earned_probability(model.structure, up).sum(axis=1) - earned.sum(axis=1)
    crit = model.catalog.criteria
    # Rank every city's criteria at once: gaps first, then tier gain, points gain, id.
    core = np.asarray(model.structure.core, dtype=bool)[None, :]
    gap = (earned < GAP_BELOW) | (core & (earned < CONFIRM_CORE_BELOW))
    best = model.best_web()
    can_close = closable_by_web(model, best)
    topics = model.catalog.training_topics
    id_rank = np.tile(np.arange(n), (cities, 1))
    order = np.lexsort((id_rank, -point_gain, -np.round(tier_gain, 9), ~gap), axis=-1)[:, :k]
    out: list[list[dict[str, Any]]] = []
    for i in range(cities):
        if nxt[i] is None:
            out.append([])
            continue
        out.append([{"criterion_id": crit[j].id, "name": crit[j].name, "practice": crit[j].practice,
                     "probability": round(float(earned[i, j]), 4), "next_tier": nxt[i],
                     "tier_gain": round(float(tier_gain[i, j]), 4), "points_gain": round(float(point_gain[i, j]), 4),
                     "lacking": _lacking(model, i, j, values, observed),
                     "training_topic": crit[j].training_topic,
                     "training_topic_name": topics.get(crit[j].training_topic, crit[j].training_topic),
                     "core": crit[j].core,
                     "confirm": bool(earned[i, j] >= GAP_BELOW), "observable": bool(model.observable[j]),
                     "closable": bool(can_close[j]), "best_web": round(float(best[j]), 4)}
                    for j in order[i] if gap[i, j]])
    return out


def shown_bar(core: bool) -> float:
    """The probability at which a criterion stops being a gap: :data:`CONFIRM_CORE_BELOW` for a core
    criterion (clearly shown), :data:`GAP_BELOW` for the others (more likely than not)."""
    return CONFIRM_CORE_BELOW if core else GAP_BELOW


def closable_by_web(model: Model, best: np.ndarray | None = None) -> np.ndarray:
    """Per criterion, whether public evidence can close a gap on it: its :meth:`Model.best_web` reaches its
    :func:`shown_bar`. The one rule for "publish this" versus "confirm with the city"; each gap carries the
    answer as ``closable``, which outreach.closable reads. ``best``: best_web() when the caller has it."""
    bars = np.array([shown_bar(bool(c)) for c in model.structure.core])
    return (model.best_web() if best is None else best) >= bars - 1e-9


def _lacking(model: Model, i: int, j: int, values: np.ndarray, observed: np.ndarray) -> list[str]:
    ks = [k for k in np.argsort(-model.weights[j]) if model.weights[j, k] > 0 and values[i, k] < 0.5]
    return [SIGNALS[k] + ("" if observed[i, k] else " (unknown: source not read)") for k in ks]
