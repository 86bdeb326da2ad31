"""Calibration: the fit recovers a known distortion of the catalog, beats it out of sample, and refuses to
fit when labels are too few."""

from __future__ import annotations

import numpy as np
import pytest

from warehouse.index.calibration import (
    ADOPT_MARGIN,
    ADOPT_MIN_POSITIVES,
    CATEGORIES,
    MIN_POSITIVES,
    Adjustment,
    calibrate,
    category_probabilities,
    cross_fitted,
    decide,
    fit,
    penalised_loss,
)
from warehouse.index.scoring import Model
from warehouse.index.signals import SIGNALS

MODEL = Model()
PRACTICES = tuple(dict.fromkeys(c.practice for c in MODEL.catalog.criteria))


def _signals(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    strength = rng.beta(1.2, 1.8, size=(n, 1))          # some cities do much more than others
    present = rng.random((n, len(SIGNALS))) < strength
    return np.where(present, rng.uniform(0.5, 1.0, (n, len(SIGNALS))), 0.0)


def _labels(model: Model, values: np.ndarray, seed: int) -> np.ndarray:
    probs = category_probabilities(model, values)
    u = np.random.default_rng(seed).random(len(values))[:, None]
    return (u > np.cumsum(probs, axis=1)).sum(axis=1).clip(0, len(CATEGORIES) - 1)


def test_identity_adjustment_is_the_catalog_and_adjustments_move_the_right_way() -> None:
    same = Adjustment.identity(PRACTICES).apply(MODEL)
    np.testing.assert_allclose(same.weights, MODEL.weights, atol=1e-9)
    np.testing.assert_allclose(same.priors, MODEL.priors, atol=1e-12)
    k = len(PRACTICES)
    up = Adjustment.from_vector(PRACTICES, np.r_[np.full(k, 0.7), np.full(k, 0.5)]).apply(MODEL)
    used = MODEL.weights > 0
    assert (up.weights[used] > MODEL.weights[used]).all() and (up.weights < 1).all()
    assert (up.weights[~used] == 0).all(), "a signal that was never evidence must not become evidence"
    assert (up.priors > MODEL.priors).all()
    assert up.structure is MODEL.structure and up.needed == MODEL.needed


def test_fit_recovers_a_known_distortion_and_beats_the_catalog_out_of_sample() -> None:
    # Truth: evidence counts more and criteria are more common than the catalog says, in every practice.
    k = len(PRACTICES)
    truth = Adjustment.from_vector(PRACTICES, np.r_[np.full(k, 0.8), np.full(k, 0.6)])
    values = _signals(240, seed=1)
    labels = _labels(truth.apply(MODEL), values, seed=2)
    assert (labels > 0).sum() >= 30, "the scenario needs certified cities to learn from"
    fitted = fit(MODEL, values, labels)
    assert fitted.weight_power.mean() > 0.3 and fitted.prior_shift.mean() > 0.1
    result = calibrate(MODEL, values, np.ones(len(values)), labels, folds=3, seed=0)
    pooled = result.metrics[result.metrics["fold"] == "pooled"].set_index(["model", "metric"])["value"]
    assert pooled[("fitted", "log_loss")] < pooled[("hand_set", "log_loss")]
    assert pooled[("fitted", "fitted_beats_hand_set")] == 1.0
    assert result.status == "computed" and (result.params["fold"] == "all").sum() == k
    assert set(result.params["fold"]) == {"all", "1", "2", "3"}
    # Every city is held out exactly once.
    held = np.concatenate([idx for idx, _ in result.folds])
    assert sorted(held) == list(range(len(values)))


def test_no_fit_beats_the_truth_when_the_catalog_is_right() -> None:
    values = _signals(240, seed=3)
    labels = _labels(MODEL, values, seed=4)
    result = calibrate(MODEL, values, np.ones(len(values)), labels, folds=3, seed=0)
    pooled = result.metrics[result.metrics["fold"] == "pooled"].set_index(["model", "metric"])["value"]
    # Out of sample a fit cannot do much better than the model that generated the labels.
    assert pooled[("fitted", "log_loss")] > pooled[("hand_set", "log_loss")] - 0.02


@pytest.mark.parametrize("positives", [0, MIN_POSITIVES - 1])
def test_too_few_labels_is_reported_not_fitted(positives: int) -> None:
    values = _signals(60, seed=5)
    labels = np.zeros(60, dtype=int)
    labels[:positives] = 1
    result = calibrate(MODEL, values, np.ones(60), labels, is_sample=True)
    assert result.status == "too_few_labels" and result.params.empty
    [row] = result.metrics.to_dict("records")
    assert row["metric"] == "not_computed" and "sample data" in row["detail"] and row["positives"] == positives


def test_cities_with_mostly_unread_sources_take_no_part() -> None:
    values = _signals(120, seed=6)
    labels = _labels(MODEL, values, seed=7)
    coverage = np.where(np.arange(120) % 4 == 0, 0.2, 0.9)
    coverage[1] = np.nan
    result = calibrate(MODEL, values, coverage, labels, folds=2)
    assert result.eligible.sum() == 120 - 30 - 1
    assert (result.metrics.loc[result.metrics["fold"] == "pooled", "n"] == 89).all()


def _distorted(n: int = 240, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Signals and labels from a world where evidence counts more and criteria are more common than the
    catalog says: a fit should win clearly."""
    k = len(PRACTICES)
    truth = Adjustment.from_vector(PRACTICES, np.r_[np.full(k, 0.8), np.full(k, 0.6)])
    values = _signals(n, seed=seed)
    return values, _labels(truth.apply(MODEL), values, seed=seed + 1)


def test_a_fit_that_clearly_wins_out_of_sample_is_adopted_and_says_why() -> None:
    values, labels = _distorted()
    decision = decide(calibrate(MODEL, values, np.ones(len(values)), labels, folds=3, seed=0))
    assert decision.adopted and decision.scored_with == "calibrated"
    assert "calibrated values published" in decision.reason and "fitted lower in 3 of 3 folds" in decision.reason
    kept = decide(calibrate(MODEL, values, np.ones(len(values)), labels, folds=3, seed=0), mode="catalog")
    assert not kept.adopted and "calibration = catalog" in kept.reason


def test_a_fit_no_better_than_the_catalog_is_not_adopted() -> None:
    values = _signals(240, seed=3)
    labels = _labels(MODEL, values, seed=4)      # the catalog is the truth here (and labels are few)
    decision = decide(calibrate(MODEL, values, np.ones(len(values)), labels, folds=3, seed=0), min_positives=1)
    assert not decision.adopted and decision.scored_with == "catalog"
    assert f"lower by {ADOPT_MARGIN}" in decision.reason


def test_too_few_labels_keep_the_catalog_even_when_the_fit_looks_better() -> None:
    values, labels = _distorted()
    certified = np.flatnonzero(labels > 0)
    few = labels.copy()
    few[certified[ADOPT_MIN_POSITIVES - 1:]] = 0          # one fewer certified city than a fit needs
    result = calibrate(MODEL, values, np.ones(len(values)), few, folds=3, seed=0)
    assert result.status == "computed"                    # measured and reported all the same
    decision = decide(result)
    assert not decision.adopted and f"at least {ADOPT_MIN_POSITIVES} certified" in decision.reason
    none = decide(calibrate(MODEL, values, np.ones(len(values)), np.zeros(len(values), dtype=int)))
    assert not none.adopted and "not computed" in none.reason


def test_each_city_is_scored_with_the_fit_that_held_it_out() -> None:
    """Cross-fitting: an eligible city gets the parameters fitted on the other folds (its own label never
    enters its score); a city that took no part gets the fit on every eligible city."""
    values, labels = _distorted(180, seed=8)
    coverage = np.where(np.arange(180) % 6 == 0, 0.1, 0.9)   # every sixth city's sources mostly unread
    result = calibrate(MODEL, values, coverage, labels, folds=3, seed=0)
    groups = cross_fitted(MODEL, result)
    seen = np.concatenate([positions for _, positions, _ in groups])
    assert sorted(seen) == list(range(180))                   # every city once
    eligible = np.flatnonzero(result.eligible)
    for fold, positions, model in groups:
        if fold == "all":
            assert set(positions) == set(np.flatnonzero(~result.eligible))
            np.testing.assert_allclose(model.weights, result.full.apply(MODEL).weights)
            continue
        held, adj = result.folds[int(fold) - 1]
        assert set(positions) == set(eligible[held])
        np.testing.assert_allclose(model.weights, adj.apply(MODEL).weights)
        # The fit that scores these cities was made without them: refitting on the other folds gives it.
        train = np.setdiff1d(np.arange(len(eligible)), held)
        again = fit(MODEL, values[eligible][train], labels[eligible][train])
        np.testing.assert_allclose(again.vector(), adj.vector(), atol=1e-6)


def test_the_fit_follows_the_exact_likelihood_and_its_exact_slope() -> None:
    """The optimiser is given the loss and its gradient by hand: the loss must be the adjusted model's
    likelihood as scored everywhere else, and the gradient its slope (to finite-difference precision)."""
    from scipy.optimize import approx_fprime

    values = _signals(150, seed=5)
    labels = np.random.default_rng(6).integers(0, len(CATEGORIES), len(values))
    rng = np.random.default_rng(7)
    for _ in range(3):
        theta = rng.normal(scale=0.8, size=2 * len(PRACTICES))
        loss, grad = penalised_loss(theta, MODEL, PRACTICES, values, labels, l2=2.0)
        probs = category_probabilities(Adjustment.from_vector(PRACTICES, theta).apply(MODEL), values)
        expected = -np.log(probs[np.arange(len(labels)), labels]).mean() + 2.0 * (theta ** 2).sum() / len(labels)
        assert loss == pytest.approx(expected, rel=1e-12)
        numeric = approx_fprime(theta, lambda t: penalised_loss(t, MODEL, PRACTICES, values, labels, 2.0)[0], 1e-7)
        np.testing.assert_allclose(grad, numeric, atol=2e-6)
