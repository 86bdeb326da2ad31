"""Tier odds: the exact dynamic programme against brute-force enumeration, and its invariants."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from warehouse.index.tiers import Structure, earned_probability, points_distribution, thresholds, tier_odds


def _brute(structure: Structure, p: list[float]) -> dict[tuple[int, bool], float]:
    """Enumerate every met/not-met assignment: points earned and whether every core was earned."""
    out: dict[tuple[int, bool], float] = {}
    n = len(p)
    for bits in itertools.product((0, 1), repeat=n):
        weight = 1.0
        for k, b in enumerate(bits):
            weight *= p[k] if b else 1 - p[k]
        earned = []
        for k in range(n):
            j, ok = k, True
            while j >= 0:
                ok &= bool(bits[j])
                j = structure.parent[j]
            earned.append(ok)
        key = (sum(earned), all(e for e, c in zip(earned, structure.core, strict=True) if c))
        out[key] = out.get(key, 0.0) + weight
    return out


@st.composite
def cases(draw):
    n = draw(st.integers(1, 8))
    ids = [f"C{k}" for k in range(n)]
    prereq = {}
    for k in range(1, n):
        parent = draw(st.integers(-1, k - 1))     # parents earlier in the list: a forest, never a cycle
        if parent >= 0:
            prereq[ids[k]] = [ids[parent]]
    core = [cid for cid in ids if draw(st.booleans()) and draw(st.booleans())]
    p = draw(st.lists(st.floats(0, 1), min_size=n, max_size=n))
    return Structure.build(ids, prereq, core), p


@settings(max_examples=150, deadline=None)
@given(cases())
def test_distribution_equals_brute_force(case) -> None:
    structure, p = case
    dist = points_distribution(structure, np.array([p]))[0]
    brute = _brute(structure, p)
    for (points, cores), prob in brute.items():
        assert dist[points, int(cores)] == pytest.approx(prob, abs=1e-9)
    assert dist.sum() == pytest.approx(1.0)
    # Expected points equal the sum of earned probabilities (prerequisites included).
    expected = sum(k * dist[k].sum() for k in range(dist.shape[0]))
    assert expected == pytest.approx(earned_probability(structure, np.array([p]))[0].sum(), abs=1e-9)


def test_prerequisites_cap_what_depends_on_them() -> None:
    s = Structure.build(["A", "B", "C"], {"B": ["A"], "C": ["B"]})
    earned = earned_probability(s, np.array([[0.5, 1.0, 1.0]]))[0]
    assert list(earned) == [0.5, 0.5, 0.5]
    dist = points_distribution(s, np.array([[0.5, 1.0, 1.0]]))[0]
    assert dist[:, 1].tolist() == [0.5, 0.0, 0.0, 0.5]     # all or nothing


def test_certain_criteria_land_exactly_on_their_tier() -> None:
    ids = [f"C{k}" for k in range(43)]
    s = Structure.build(ids, {"C5": ["C4"]}, core=["C0", "C1"])
    need = thresholds({"silver": 0.51, "gold": 0.67, "platinum": 0.84}, 43)
    assert need == {"silver": 22, "gold": 29, "platinum": 37}
    for met in (21, 22, 28, 29, 36, 37, 43):
        p = np.array([[1.0 if k < met else 0.0 for k in range(43)]])
        odds = {t: float(v[0]) for t, v in tier_odds(points_distribution(s, p), need).items()}
        assert odds == {t: float(met >= k) for t, k in need.items()}
    # Without a core criterion no tier is reachable, whatever the points.
    p = np.array([[0.0] + [1.0] * 42])
    assert all(float(v[0]) == 0.0 for v in tier_odds(points_distribution(s, p), need).values())


def test_cycles_and_double_prerequisites_are_refused() -> None:
    with pytest.raises(ValueError, match="cycle"):
        Structure.build(["A", "B"], {"A": ["B"], "B": ["A"]})
    with pytest.raises(ValueError, match="at most one"):
        Structure.build(["A", "B", "C"], {"C": ["A", "B"]})


@settings(max_examples=60, deadline=None)
@given(cases(), st.integers(0, 8))
def test_lifted_odds_equal_recomputing_with_each_criterion_certain(case, need) -> None:
    from warehouse.index.tiers import lifted_odds

    structure, p = case
    needed = {"t": min(need, len(p)), "u": max(0, min(need, len(p)) - 1)}
    fast = lifted_odds(structure, np.array([p]), needed)
    for j in range(len(p)):
        q = list(p)
        q[j] = 1.0
        slow = tier_odds(points_distribution(structure, np.array([q])), needed)
        for tier in needed:
            assert fast[tier][0, j] == pytest.approx(float(slow[tier][0]), abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(cases(), st.integers(0, 2 ** 32 - 1))
def test_the_backward_pass_gives_the_distributions_slopes(case, seed) -> None:
    """Calibration follows these slopes: they must be the distribution's, to finite-difference precision,
    for any forest of prerequisites and any core criteria."""
    from warehouse.index.tiers import points_distribution_grad

    structure, p = case
    rng = np.random.default_rng(seed)
    p = np.clip(np.array([p]), 0.01, 0.99)          # inside [0, 1], where the clip is not active
    weights = rng.normal(size=points_distribution(structure, p).shape)
    slopes = points_distribution_grad(structure, p, weights)
    eps = 1e-6
    for j in range(p.shape[1]):
        up, down = p.copy(), p.copy()
        up[0, j] += eps
        down[0, j] -= eps
        numeric = ((points_distribution(structure, up) - points_distribution(structure, down)) * weights).sum()
        assert slopes[0, j] == pytest.approx(numeric / (2 * eps), abs=1e-6)


def test_the_catalog_uses_the_2022_bands_and_offers_the_2019_ones() -> None:
    """Border counts on the 43-criterion standard. 2022 bands (the default): Silver 22, Gold 30, Platinum 37;
    2019 bands: Gold at 29. 29/30 and 36/37 are the fuzzy borders (docs/criteria-sources.md): a city with
    every criterion it needs, cores included, lands exactly on the band its points reach."""
    from sources.criteria.catalog import load_catalog
    from warehouse.index.scoring import Model

    catalog = load_catalog()
    assert catalog.bands == "wwc_2022" and set(catalog.tier_bands) >= {"wwc_2022", "wwc_2019"}
    now, before = Model(catalog), Model(catalog.with_bands("wwc_2019"))
    assert now.needed == {"silver": 22, "gold": 30, "platinum": 37}
    assert before.needed == {"silver": 22, "gold": 29, "platinum": 37}
    # Earn criteria in an order that respects prerequisites and takes the cores first.
    order = [k for k in _prerequisite_order(now) if now.structure.core[k]]
    order += [k for k in _prerequisite_order(now) if not now.structure.core[k]]
    def tier(model, points):
        return model.tier_of({now.ids[k] for k in order[:points]})
    expected = {21: ("none", "none"), 22: ("silver", "silver"), 29: ("silver", "gold"), 30: ("gold", "gold"),
                36: ("gold", "gold"), 37: ("platinum", "platinum")}
    assert {n: (tier(now, n), tier(before, n)) for n in expected} == expected
    with pytest.raises(ValueError, match="unknown tier bands"):
        catalog.with_bands("wwc_1999")


def _prerequisite_order(model) -> list[int]:
    """Criteria indexes with every prerequisite before the criteria that need it."""
    done: list[int] = []
    while len(done) < len(model.ids):
        for k, parent in enumerate(model.structure.parent):
            if k not in done and (parent < 0 or parent in done):
                done.append(k)
    return done
