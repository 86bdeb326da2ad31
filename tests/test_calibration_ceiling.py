"""The ceiling scripts/calibration_report.py scores the index against: the simulated web's own chance of
each criterion. The generator must draw with exactly that chance (or the ceiling is not one), and the
scoring must be the index's own (certain knowledge scores perfectly; the web's chances do not)."""

from __future__ import annotations

import numpy as np

from scripts.calibration_report import ceiling
from sources.criteria.catalog import load_catalog
from tests.simweb.formats.certification import certified_tiers
from tests.simweb.population import SHOWN_CRITERION_P, build_population, criterion_probability
from warehouse.index.scoring import Model

MODEL = Model()


def _population(n: int = 240, seed: int = 5):
    pop = build_population(n, seed=seed)
    cities = [c for c in pop.cities if c.website_host]
    tiers = certified_tiers(pop)
    truth_tier = np.array([MODEL.tier_of(c.criteria) for c in cities], dtype=object)
    true_met = np.array([[cid in c.criteria for cid in MODEL.ids] for c in cities])
    certified = np.array([tiers.get(c.geoid) in ("silver", "gold", "platinum") for c in cities])
    return cities, certified, truth_tier, true_met


def test_the_generator_draws_each_criterion_with_the_probability_the_ceiling_uses() -> None:
    catalog = load_catalog()
    cities, *_ = _population(400, seed=11)
    roots = [c for c in catalog.criteria if not c.prerequisites]    # no prerequisite can take them away
    shown = [(city, crit) for city in cities for crit in roots if criterion_probability(city, crit) == SHOWN_CRITERION_P]
    unshown = [(city, crit) for city in cities for crit in roots if criterion_probability(city, crit) != SHOWN_CRITERION_P]
    assert len(shown) > 500 and len(unshown) > 500
    rate = np.mean([crit.id in city.criteria for city, crit in shown])
    assert abs(rate - SHOWN_CRITERION_P) < 0.03, rate
    expected = np.mean([criterion_probability(city, crit) for city, crit in unshown])
    observed = np.mean([crit.id in city.criteria for city, crit in unshown])
    assert abs(observed - expected) < 0.03, (observed, expected)


def test_certain_knowledge_scores_perfectly_and_the_webs_chances_do_not() -> None:
    cities, certified, truth_tier, true_met = _population()
    assert certified.sum() >= 10, "the scenario needs certified cities"
    perfect = ceiling(MODEL, true_met.astype(float), certified, truth_tier, true_met, bins=10)
    assert perfect["auc"] == 1.0 and perfect["tiered_share"] == 1.0 and perfect["points_mae"] == 0.0
    chances = np.array([[criterion_probability(c, crit) for crit in MODEL.catalog.criteria] for c in cities])
    web = ceiling(MODEL, chances, certified, truth_tier, true_met, bins=10)
    assert 0.7 < web["auc"] < 1.0, web
    assert 0.0 < web["tiered_share"] < 1.0 and web["points_mae"] > 1.0
    assert 0.0 <= web["reliability"] < 0.2
