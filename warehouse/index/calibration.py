"""Fit the catalog's evidence weights and priors to the certified list, out of sample, and say whether
the fit beats the hand-set values.

Labels are city-level (a tier, or not certified); criteria are never labelled one by one. So the fit
keeps the scoring rule and the catalog's relative judgements and learns, per practice, two numbers:

    weight' = 1 - (1 - weight) ** exp(weight_power)     (stronger or weaker evidence, stays in [0, 1))
    prior'  = sigmoid(logit(prior) + prior_shift)       (more or less common without evidence)

chosen to maximise the likelihood of the observed tiers under the index's own exact tier distribution
(P(none) = 1 - P(Silver+), P(Silver) = P(Silver+) - P(Gold+), ...), with a small L2 pull towards the
hand-set values. Every figure reported is *held out*: cities are split into stratified folds, each
fold is scored with parameters fitted on the others, and the pooled held-out predictions of the fitted
and hand-set models are compared (log-loss of the tier, Brier score and AUC of P(Silver+), tier
accuracy).

Cities whose sources were mostly unread (coverage below ``MIN_COVERAGE``) are left out of fitting and
evaluation: their missing evidence says nothing about practice, and a certified city behind an
unreachable site would teach the fit to raise every prior.

Every run decides (:func:`decide`) whether the fit is published: only when enough cities are certified and
the fit beats the catalog on held-out log-loss by ``ADOPT_MARGIN`` and in most folds. A published fit is
*cross-fitted* (:func:`cross_fitted`): each eligible city is scored with the parameters fitted on the
other folds, so no city's own label enters its own score; cities that took no part in the fit get the
fit on every eligible city. Otherwise the catalog's hand-set values are published and the run says why.
The honor roll counts as "not certified" (it is not a tier); a real certified list also marks as "not
certified" every city that never applied, which biases priors down; see docs/CALIBRATION.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from warehouse.index.boxfit import minimize_in_box
from warehouse.index.scoring import MAX_PROBABILITY, Model
from warehouse.index.tiers import points_distribution, points_distribution_grad, tier_odds
from warehouse.index.validation import auc

CATEGORIES = ("none", "silver", "gold", "platinum")
MIN_COVERAGE = 0.5
MIN_POSITIVES = 6
#: A fit is published only with this many certified cities among the eligible ones (fewer: too few to
#: trust per-practice parameters, even when held-out figures look better)...
ADOPT_MIN_POSITIVES = 10
#: ... and when its pooled held-out log-loss is at least this much lower than the catalog's (nats per
#: city), and lower in most folds: a fit that only matches the catalog is not worth the change.
ADOPT_MARGIN = 0.02
L2 = 2.0
BOUND = 3.0
COLUMNS = ["fold", "model", "metric", "value", "n", "positives", "detail", "is_sample"]
PARAM_COLUMNS = ["fold", "practice", "weight_power", "prior_shift", "weight_0_5_becomes", "prior_0_1_becomes", "n",
                 "positives"]


@dataclass(frozen=True)
class Adjustment:
    """Per-practice weight power and prior shift (zeros: the hand-set catalog)."""

    practices: tuple[str, ...]
    weight_power: np.ndarray
    prior_shift: np.ndarray

    @classmethod
    def identity(cls, practices: tuple[str, ...]) -> Adjustment:
        return cls(practices, np.zeros(len(practices)), np.zeros(len(practices)))

    @classmethod
    def from_vector(cls, practices: tuple[str, ...], theta: np.ndarray) -> Adjustment:
        k = len(practices)
        return cls(practices, np.asarray(theta[:k], float), np.asarray(theta[k:], float))

    def vector(self) -> np.ndarray:
        return np.concatenate([self.weight_power, self.prior_shift])

    def apply(self, model: Model) -> Model:
        """A copy of ``model`` with adjusted weights and priors (structure and thresholds unchanged)."""
        weights, priors, _, _ = self.arrays(model)
        return model.adjusted(weights=weights, priors=priors)

    def arrays(self, model: Model) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(weights, priors, power, practice index), the last two per criterion: the adjusted catalog
        values, and what :func:`penalised_loss` differentiates them by."""
        col = {p: k for k, p in enumerate(self.practices)}
        which = np.array([col[c.practice] for c in model.catalog.criteria])
        power = np.exp(self.weight_power[which])
        weights = 1.0 - (1.0 - np.clip(model.weights, 0.0, 0.999)) ** power[:, None]
        weights[model.weights == 0] = 0.0
        logit = np.log(model.priors) - np.log1p(-model.priors)
        priors = 1.0 / (1.0 + np.exp(-(logit + self.prior_shift[which])))
        return weights, priors, power, which


def category_probabilities(model: Model, values: np.ndarray) -> np.ndarray:
    """(cities, 4): probability of each of none / silver / gold / platinum under ``model``."""
    odds = tier_odds(points_distribution(model.structure, model.met(values)), model.needed)
    s, g, p = odds["silver"], odds["gold"], odds["platinum"]
    return np.clip(np.stack([1 - s, s - g, g - p, p], axis=1), 1e-9, 1.0)


def fit(model: Model, values: np.ndarray, labels: np.ndarray, l2: float = L2) -> Adjustment:
    """Per-practice adjustment maximising the penalised likelihood of ``labels`` (category indices)."""
    practices = tuple(dict.fromkeys(c.practice for c in model.catalog.criteria))
    start = np.zeros(2 * len(practices))
    result = minimize_in_box(lambda theta: penalised_loss(theta, model, practices, values, labels, l2), start,
                             -BOUND, BOUND, max_iter=60)
    return Adjustment.from_vector(practices, result.x)


def penalised_loss(theta: np.ndarray, model: Model, practices: tuple[str, ...], values: np.ndarray,
                   labels: np.ndarray, l2: float = L2) -> tuple[float, np.ndarray]:
    """(loss, gradient) at ``theta``: the mean negative log-likelihood of ``labels`` under
    ``Adjustment.from_vector(practices, theta).apply(model)``, plus the L2 pull towards the catalog.

    The same figure as ``category_probabilities`` of the adjusted model, differentiated exactly: the
    optimiser once spent most of the index step estimating slopes by finite differences (one full
    tier distribution per parameter per step); the chain rule below costs about three."""
    k, n = len(practices), len(labels)
    weights, priors, power, which = Adjustment.from_vector(practices, theta).arrays(model)
    base = 1.0 - np.clip(model.weights, 0.0, 0.999)
    used = model.weights != 0
    signals = np.flatnonzero(weights.any(axis=0))
    factors = [1.0 - np.outer(values[:, s], weights[:, s]) for s in signals]   # (cities, criteria) each
    miss = np.ones((len(values), len(model.ids)))
    for f in factors:
        miss = miss * f
    raw = 1.0 - (1.0 - priors[None, :]) * miss
    met = np.minimum(raw, MAX_PROBABILITY)
    dist = points_distribution(model.structure, met)
    odds = tier_odds(dist, model.needed)
    s, g, pl = odds["silver"], odds["gold"], odds["platinum"]
    cats = np.stack([1 - s, s - g, g - pl, pl], axis=1)
    chosen = cats[np.arange(n), labels]
    kept = (chosen > 1e-9) & (chosen <= 1.0)
    chosen = np.clip(chosen, 1e-9, 1.0)
    loss = float(-np.log(chosen).mean() + l2 * (np.asarray(theta) ** 2).sum() / n)
    # d loss / d category probability, then / d P(at least each tier), then / d distribution.
    d_cat = np.zeros_like(cats)
    d_cat[np.arange(n), labels] = np.where(kept, -1.0 / (n * chosen), 0.0)
    d_odds = {"silver": d_cat[:, 1] - d_cat[:, 0], "gold": d_cat[:, 2] - d_cat[:, 1],
              "platinum": d_cat[:, 3] - d_cat[:, 2]}
    d_dist = np.zeros_like(dist)
    for tier, need in model.needed.items():
        d_dist[:, need:, 1] += d_odds[tier][:, None]
    d_met = points_distribution_grad(model.structure, met, d_dist) * (raw < MAX_PROBABILITY)
    d_priors = (d_met * miss).sum(axis=0) * priors * (1.0 - priors)
    d_miss = -d_met * (1.0 - priors[None, :])
    d_weights = np.zeros_like(weights)
    before = np.ones_like(miss)                  # product of the factors before signal t
    after = [np.ones_like(miss)]                 # after[j]: product of the factors from signal j on
    for f in reversed(factors):
        after.append(after[-1] * f)
    after.reverse()
    for t, s_col in enumerate(signals):
        others = before * after[t + 1]
        d_weights[:, s_col] = -(d_miss * others * values[:, s_col][:, None]).sum(axis=0)
        before = before * factors[t]
    with np.errstate(divide="ignore", invalid="ignore"):
        d_power = np.where(used, -(base ** power[:, None]) * np.log(base) * power[:, None], 0.0)
    grad = np.concatenate([np.bincount(which, (d_weights * d_power).sum(axis=1), minlength=k),
                           np.bincount(which, d_priors, minlength=k)])
    return loss, grad + 2.0 * l2 * np.asarray(theta, float) / n


def labels_for(index: pd.DataFrame, certified: pd.DataFrame) -> np.ndarray:
    """Category index per city of ``index`` (geoid order): its certified tier, or 0 (not certified)."""
    tiers = dict(zip(certified["geoid"], certified["tier"], strict=True)) if len(certified) else {}
    return np.array([CATEGORIES.index(tiers[g]) if tiers.get(g) in CATEGORIES else 0 for g in index["geoid"]])


@dataclass
class Calibration:
    """Held-out comparison of hand-set and fitted parameters, and the fit on every eligible city."""

    metrics: pd.DataFrame
    params: pd.DataFrame
    folds: list[tuple[np.ndarray, Adjustment]]     # (held-out positions in the eligible set, its parameters)
    eligible: np.ndarray                           # boolean mask over the input cities
    status: str
    full: Adjustment | None = None                 # the fit on every eligible city


@dataclass(frozen=True)
class Decision:
    """Which parameters a run publishes, and why, in words a reader of the run can check."""

    adopted: bool
    reason: str

    @property
    def scored_with(self) -> str:
        return "calibrated" if self.adopted else "catalog"


def decide(cal: Calibration, *, margin: float = ADOPT_MARGIN, min_positives: int = ADOPT_MIN_POSITIVES,
           mode: str = "auto") -> Decision:
    """Publish the fit only when there are enough labels and it clearly beats the catalog out of sample.
    ``mode`` "catalog" keeps the catalog's values whatever the fit does (it is still measured)."""
    if mode not in ("auto", "catalog"):
        raise ValueError(f"calibration must be auto or catalog, not {mode!r}")
    if mode == "catalog":
        return Decision(False, "catalog values published: this run keeps the catalog's weights (calibration = "
                               "catalog); the fit is measured, not applied")
    if cal.status != "computed" or cal.full is None:
        detail = str(cal.metrics["detail"].iloc[0]) if len(cal.metrics) else "no calibration"
        return Decision(False, f"catalog values published: calibration not computed ({detail})")
    ll, wins, k = _log_loss_comparison(cal.metrics)
    positives = int(cal.metrics.loc[cal.metrics["fold"] == "pooled", "positives"].iloc[0])
    figures = (f"held-out log-loss {ll['fitted']:.3f} fitted vs {ll['hand_set']:.3f} catalog, fitted lower in "
               f"{wins} of {k} folds, {positives} certified cities")
    if positives < min_positives:
        return Decision(False, f"catalog values published: {figures}; at least {min_positives} certified "
                               "cities are needed to publish a fit")
    if not (ll["hand_set"] - ll["fitted"] >= margin and wins > k / 2):
        return Decision(False, f"catalog values published: {figures}; a fit is published only when it is "
                               f"lower by {margin} or more and in most folds")
    return Decision(True, f"calibrated values published (cross-fitted: no city's own label enters its "
                          f"score): {figures}")


def cross_fitted(model: Model, cal: Calibration) -> list[tuple[str, np.ndarray, Model]]:
    """(fold, positions among the calibrated cities, model to score them with): each eligible city with the
    fit that held it out (folds "1".."k"), every other city with the fit on all eligible cities ("all").
    The parameters of each are the rows of the same fold in ``params``."""
    if cal.full is None:
        raise ValueError("no fit to publish: calibration was not computed")
    eligible = np.flatnonzero(cal.eligible)
    groups, taken = [], np.zeros(len(cal.eligible), dtype=bool)
    for f, (held, adj) in enumerate(cal.folds, start=1):
        positions = eligible[held]
        groups.append((str(f), positions, adj.apply(model)))
        taken[positions] = True
    rest = np.flatnonzero(~taken)
    if len(rest):
        groups.append(("all", rest, cal.full.apply(model)))
    return groups


def calibrate(model: Model, values: np.ndarray, coverage: np.ndarray, labels: np.ndarray, *, folds: int = 5,
              seed: int = 0, is_sample: bool = False, l2: float = L2) -> Calibration:
    """Stratified ``folds``-fold cross-validation of the fit against the hand-set catalog."""
    eligible = np.nan_to_num(coverage, nan=0.0) >= MIN_COVERAGE
    v, y = values[eligible], labels[eligible]
    positives = int((y > 0).sum())
    note = "sample data: synthetic cities and a synthetic certified list" if is_sample else ""
    if positives < MIN_POSITIVES or positives == len(y):
        detail = (f"{positives} certified among {len(y)} cities with coverage >= {MIN_COVERAGE}; "
                  f"need at least {MIN_POSITIVES} and some uncertified")
        row = {"fold": "all", "model": "-", "metric": "not_computed", "value": None, "n": len(y),
               "positives": positives, "detail": (detail + ("; " + note if note else "")), "is_sample": is_sample}
        return Calibration(pd.DataFrame([row], columns=COLUMNS), pd.DataFrame(columns=PARAM_COLUMNS), [],
                           eligible, "too_few_labels")
    k = max(2, min(folds, positives))
    assignment = _stratified_folds(y, k, seed)
    identity = Adjustment.identity(tuple(dict.fromkeys(c.practice for c in model.catalog.criteria)))
    held = {"hand_set": np.zeros((len(y), len(CATEGORIES))), "fitted": np.zeros((len(y), len(CATEGORIES)))}
    rows, fold_params = [], []
    for f in range(k):
        test, train = assignment == f, assignment != f
        adj = fit(model, v[train], y[train], l2)
        fold_params.append((np.flatnonzero(test), adj))
        for name, a in (("hand_set", identity), ("fitted", adj)):
            probs = category_probabilities(a.apply(model), v[test])
            held[name][test] = probs
            rows += _metric_rows(str(f + 1), name, probs, y[test], note, is_sample)
    for name in ("hand_set", "fitted"):
        rows += _metric_rows("pooled", name, held[name], y, note, is_sample)
    rows.append(_verdict(rows, k, len(y), positives, note, is_sample))
    full = fit(model, v, y, l2)
    params = pd.concat([_param_rows(full, "all", len(y), positives)] + [
        _param_rows(adj, str(f), len(y) - len(held), int((np.delete(y, held) > 0).sum()))
        for f, (held, adj) in enumerate(fold_params, start=1)], ignore_index=True)
    return Calibration(pd.DataFrame(rows, columns=COLUMNS), params, fold_params, eligible, "computed", full)


def _stratified_folds(y: np.ndarray, k: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = np.empty(len(y), dtype=int)
    offset = 0
    for cat in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == cat))
        out[idx] = (np.arange(len(idx)) + offset) % k
        offset += len(idx)   # so small categories do not all start in fold 0
    return out


def _metric_rows(fold: str, model: str, probs: np.ndarray, y: np.ndarray, note: str, is_sample: bool) -> list[dict]:
    certified = y > 0
    p_silver = probs[:, 1:].sum(axis=1)
    predicted = np.zeros(len(y), dtype=int)
    for c in (1, 2, 3):                       # the index's rule: the highest tier with P(tier or better) >= 0.5
        predicted[probs[:, c:].sum(axis=1) >= 0.5] = c
    figures = {
        "log_loss": float(-np.log(probs[np.arange(len(y)), y]).mean()),
        "brier_certified": float(((p_silver - certified) ** 2).mean()),
        "auc_p_silver_or_better": auc(p_silver, certified),
        "tier_accuracy": float((predicted == y).mean()),
        "tier_accuracy_certified": float((predicted == y)[certified].mean()) if certified.any() else None,
        "mean_p_silver_or_better": float(p_silver.mean()),
        "certified_share": float(certified.mean()),
    }
    return [{"fold": fold, "model": model, "metric": m, "value": v, "n": len(y), "positives": int(certified.sum()),
             "detail": note, "is_sample": is_sample} for m, v in figures.items()]


def _log_loss_comparison(metrics: pd.DataFrame) -> tuple[pd.Series, int, int]:
    """(pooled held-out log-loss per model, folds where the fit is lower, folds) from the metric rows."""
    ll = metrics[metrics["metric"] == "log_loss"].pivot(index="fold", columns="model", values="value")
    per_fold = ll.drop(index="pooled")
    return ll.loc["pooled"], int((per_fold["fitted"] < per_fold["hand_set"]).sum()), len(per_fold)


def _verdict(rows: list[dict], k: int, n: int, positives: int, note: str, is_sample: bool) -> dict:
    pooled, wins, _ = _log_loss_comparison(pd.DataFrame(rows))
    better = bool(pooled["fitted"] < pooled["hand_set"] and wins > k / 2)
    detail = (f"held-out log-loss {pooled['fitted']:.3f} fitted vs {pooled['hand_set']:.3f} hand-set; "
              f"fitted lower in {wins} of {k} folds") + ("; " + note if note else "")
    return {"fold": "pooled", "model": "fitted", "metric": "fitted_beats_hand_set", "value": float(better), "n": n,
            "positives": positives, "detail": detail, "is_sample": is_sample}


def _param_rows(adj: Adjustment, fold: str, n: int, positives: int) -> pd.DataFrame:
    power = np.exp(adj.weight_power)
    prior = 1.0 / (1.0 + np.exp(-(np.log(0.1 / 0.9) + adj.prior_shift)))
    return pd.DataFrame({"fold": fold, "practice": list(adj.practices), "weight_power": np.round(adj.weight_power, 4),
                         "prior_shift": np.round(adj.prior_shift, 4),
                         "weight_0_5_becomes": np.round(1 - 0.5 ** power, 4), "prior_0_1_becomes": np.round(prior, 4),
                         "n": n, "positives": positives}, columns=PARAM_COLUMNS)
