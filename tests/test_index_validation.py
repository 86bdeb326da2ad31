"""Validation figures: AUC by ranks (ties half), precision at k, tier agreement counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from warehouse.index.validation import auc, validate


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
