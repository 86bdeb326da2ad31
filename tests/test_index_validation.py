"""Validation figures: AUC by ranks (ties half), precision at k, tier agreement counts, reliability."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from warehouse.index.validation import FEW_BINS, auc, parse_bin_detail, reliability, validate


def test_auc_matches_pairwise_counting() -> None:
    rng = np.random.default_rng(4)
    scores = np.round(rng.random(60), 1)                  # many ties on purpose
    labels = rng.random(60) < 0.3
    pairs = [(a > b) + 0.5 * (a == b) for a in scores[labels] for b in scores[~labels]]
    assert auc(scores, labels) == pytest.approx(sum(pairs) / len(pairs))
    assert auc(np.array([0.9, 0.1]), np.array([True, False])) == 1.0
    assert auc(np.array([0.5]), np.array([True])) is None


def test_validation_rows_say_when_they_describe_sample_data() -> None:
    index = pd.DataFrame({"p_silver_or_better": [0.9, 0.8, 0.2, 0.1],
                          "predicted_tier": ["gold", "silver", "none", "none"],
                          "certified_tier": ["gold", None, "silver", None]})
    rows = validate(index, is_sample=True, ks=(2, 10))
    assert rows[rows["metric"] == "auc_p_silver_or_better"]["value"].iloc[0] == pytest.approx(0.75)
    p_at_2 = rows[(rows["metric"] == "precision_at_k") & (rows["k"] == 2)]["value"].iloc[0]
    assert p_at_2 == 0.5 and not ((rows["metric"] == "precision_at_k") & (rows["k"] == 10)).any()
    agree = rows[rows["metric"] == "tier_agreement"]
    assert agree["value"].sum() == 4 and "predicted=gold certified=gold" in set(agree["detail"])
    assert rows["is_sample"].all() and "sample data" in rows["detail"].iloc[0]


def test_reliability_of_calibrated_scores_is_near_zero() -> None:
    rng = np.random.default_rng(7)
    scores = rng.random(200_000)
    labels = rng.random(200_000) < scores          # each score comes true exactly as often as it says
    table, error = reliability(scores, labels)
    assert error == pytest.approx(0.0, abs=0.01)
    assert list(table["bin"]) == list(range(1, 11)) and table["n"].sum() == len(scores)
    assert (table["mean_predicted"] - table["observed"]).abs().max() < 0.02
    assert ((table["lower"] <= table["mean_predicted"]) & (table["mean_predicted"] <= table["upper"])).all()


def test_reliability_of_overconfident_scores() -> None:
    scores = np.full(1000, 0.9)
    labels = np.arange(1000) < 100                 # 10 % positives against a promised 90 %
    table, error = reliability(scores, labels)
    assert error == pytest.approx(0.8)
    assert len(table) == 1 and table.iloc[0]["bin"] == 10 and table.iloc[0]["observed"] == pytest.approx(0.1)
    # Edges: 1.0 falls in the last bin, 0.3 in the bin starting at 0.3; no scores, no error.
    table, _ = reliability(np.array([1.0, 0.3, 0.0]), np.array([True, False, False]), bins=10)
    assert list(table["bin"]) == [1, 4, 10]
    empty, error = reliability(np.array([]), np.array([], dtype=bool))
    assert error is None and empty.empty
    with pytest.raises(ValueError):
        reliability(np.array([0.5]), np.array([True]), bins=0)


def test_validation_rows_carry_the_reliability_diagram() -> None:
    index = pd.DataFrame({"p_silver_or_better": [0.95, 0.85, 0.15, 0.05],
                          "predicted_tier": ["gold", "silver", "none", "none"],
                          "certified_tier": ["gold", None, "silver", None]})
    rows = validate(index, is_sample=False)
    error = rows[rows["metric"] == "reliability_error"].iloc[0]
    assert error["k"] == FEW_BINS                   # 2 certified cities: fewer, wider bins
    bins = rows[rows["metric"] == "reliability_bin"]
    assert list(bins["k"]) == [1, 5] and list(bins["n"]) == [2, 2] and list(bins["value"]) == [0.5, 0.5]
    parsed = [parse_bin_detail(d) for d in bins["detail"]]
    assert parsed[0] == {"lower": 0.0, "upper": 0.2, "mean_predicted": pytest.approx(0.1)}
    assert parsed[1]["mean_predicted"] == pytest.approx(0.9)
    assert error["value"] == pytest.approx(0.4)     # both bins 0.4 away from their observed share
    assert parse_bin_detail("predicted=gold") is None


def test_certified_cities_below_the_median_uncertified_city_are_named_with_the_reason() -> None:
    index = pd.DataFrame({
        "city": ["Low Seen", "Low Unseen", "High", "U1", "U2", "U3"], "state": ["OH"] * 6,
        "expected_points": [8.0, 5.0, 30.0, 10.0, 12.0, 14.0], "coverage": [0.9, 0.1, 1.0, 1.0, 1.0, 1.0],
        "p_silver_or_better": [0.2, 0.1, 0.9, 0.1, 0.2, 0.3], "predicted_tier": ["none"] * 6,
        "certified_tier": ["silver", "gold", "silver", None, None, None]})
    rows = validate(index, is_sample=False).set_index("metric")
    row = rows.loc["certified_below_median_uncertified"]
    assert row["value"] == 2
    assert "median uncertified city 12.0 points; 1 of 2 with their evidence observed" in row["detail"]
    assert "Low Unseen, OH (5.0 points, evidence not observed: coverage 10%)" in row["detail"]
    assert "Low Seen, OH (8.0 points, observed, coverage 90%)" in row["detail"]
