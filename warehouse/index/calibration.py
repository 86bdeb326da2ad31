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
from scipy.optimize import minimize

from warehouse.index.scoring import Model
from warehouse.index.tiers import points_distribution, tier_odds
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
        practice = [c.practice for c in model.catalog.criteria]
        col = {p: k for k, p in enumerate(self.practices)}
        power = np.exp(self.weight_power[[col[p] for p in practice]])
        shift = self.prior_shift[[col[p] for p in practice]]
        weights = 1.0 - (1.0 - np.clip(model.weights, 0.0, 0.999)) ** power[:, None]
        weights[model.weights == 0] = 0.0
        logit = np.log(model.priors) - np.log1p(-model.priors)
        priors = 1.0 / (1.0 + np.exp(-(logit + shift)))
        return model.adjusted(weights=weights, priors=priors)


def category_probabilities(model: Model, values: np.ndarray) -> np.ndarray:
    """(cities, 4): probability of each of none / silver / gold / platinum under ``model``."""
    odds = tier_odds(points_distribution(model.structure, model.met(values)), model.needed)
    s, g, p = odds["silver"], odds["gold"], odds["platinum"]
    return np.clip(np.stack([1 - s, s - g, g - p, p], axis=1), 1e-9, 1.0)


def fit(model: Model, values: np.ndarray, labels: np.ndarray, l2: float = L2) -> Adjustment:
    """Per-practice adjustment maximising the penalised likelihood of ``labels`` (category indices)."""
    practices = tuple(dict.fromkeys(c.practice for c in model.catalog.criteria))
    rows = np.arange(len(labels))

    def loss(theta: np.ndarray) -> float:
        probs = category_probabilities(Adjustment.from_vector(practices, theta).apply(model), values)
        return float(-np.log(probs[rows, labels]).mean() + l2 * (theta ** 2).sum() / len(labels))

    start = np.zeros(2 * len(practices))
    result = minimize(loss, start, method="L-BFGS-B", bounds=[(-BOUND, BOUND)] * len(start),
                      options={"maxiter": 60})
    return Adjustment.from_vector(practices, result.x)


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
