"""How well the index agrees with the certified list: AUC of P(Silver or better), precision at k, and a
tier agreement table. Labels come from the certified list only; the index never saw them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

COLUMNS = ["metric", "k", "value", "n", "positives", "detail", "is_sample"]
CERTIFIED = ("silver", "gold", "platinum")


def auc(scores: np.ndarray, labels: np.ndarray) -> float | None:
    """Probability a random certified city scores above a random uncertified one (ties count half);
    None when either group is empty."""
    scores, labels = np.asarray(scores, float), np.asarray(labels, bool)
    pos, neg = scores[labels], scores[~labels]
    if not len(pos) or not len(neg):
        return None
    ranks = pd.Series(np.concatenate([pos, neg])).rank(method="average").to_numpy()
    return float((ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def validate(index: pd.DataFrame, *, is_sample: bool, ks: tuple[int, ...] = (10, 25, 50)) -> pd.DataFrame:
    """Rows for marts.validation from a city_index frame with ``certified_tier`` filled where known."""
    certified = index["certified_tier"].isin(CERTIFIED).to_numpy()
    scores = index["p_silver_or_better"].to_numpy(dtype=float)
    rows = []
    note = "sample data: synthetic cities and a synthetic certified list" if is_sample else ""
    rows.append({"metric": "auc_p_silver_or_better", "k": None, "value": auc(scores, certified), "n": len(index),
                 "positives": int(certified.sum()), "detail": note, "is_sample": is_sample})
    order = np.argsort(-scores, kind="stable")
    for k in ks:
        if k > len(index):
            continue
        top = certified[order[:k]]
        rows.append({"metric": "precision_at_k", "k": k, "value": float(top.mean()), "n": len(index),
                     "positives": int(certified.sum()), "detail": note, "is_sample": is_sample})
    table = pd.crosstab(index["predicted_tier"], index["certified_tier"].fillna("not_certified"))
    for predicted, row in table.iterrows():
        for actual, count in row.items():
            rows.append({"metric": "tier_agreement", "k": None, "value": float(count), "n": len(index),
                         "positives": int(certified.sum()), "detail": f"predicted={predicted} certified={actual}",
                         "is_sample": is_sample})
    exact = (index["predicted_tier"] == index["certified_tier"])[certified]
    rows.append({"metric": "tier_accuracy_certified", "k": None,
                 "value": float(exact.mean()) if len(exact) else None, "n": int(certified.sum()),
                 "positives": int(certified.sum()), "detail": note, "is_sample": is_sample})
    return pd.DataFrame(rows, columns=COLUMNS)
