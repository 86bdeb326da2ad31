"""How well the index agrees with the certified list: AUC of P(Silver or better), precision at k, a
tier agreement table and a reliability diagram (are the probabilities right, not only the ranking?).
Labels come from the certified list only; the index never saw them.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from warehouse.index.outreach import MIN_COVERAGE

COLUMNS = ["metric", "k", "value", "n", "positives", "detail", "is_sample"]
CERTIFIED = ("silver", "gold", "platinum")
#: Equal-width bins of P(Silver or better) for the reliability diagram; with fewer certified cities than
#: FEW_LABELS, FEW_BINS instead, so each bin holds enough cities for its observed share to mean something.
RELIABILITY_BINS = 10
FEW_BINS = 5
FEW_LABELS = 10
BIN_COLUMNS = ["bin", "lower", "upper", "n", "positives", "mean_predicted", "observed"]


def auc(scores: np.ndarray, labels: np.ndarray) -> float | None:
    """Probability a random certified city scores above a random uncertified one (ties count half);
    None when either group is empty."""
    scores, labels = np.asarray(scores, float), np.asarray(labels, bool)
    pos, neg = scores[labels], scores[~labels]
    if not len(pos) or not len(neg):
        return None
    ranks = pd.Series(np.concatenate([pos, neg])).rank(method="average").to_numpy()
    return float((ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def reliability(scores: np.ndarray, labels: np.ndarray, bins: int = RELIABILITY_BINS
                ) -> tuple[pd.DataFrame, float | None]:
    """Reliability diagram data and the expected calibration error of probabilities ``scores``.

    AUC only says certified cities rank high; staff read the probabilities themselves ("a 30 % chance"),
    so this checks them: scores go into ``bins`` equal-width bins of [0, 1] (1.0 in the last), and each
    non-empty bin gets its cities, its mean predicted probability and the share of them with the label.
    The error is sum over bins of (n_bin / N) * |mean predicted - observed share|: 0 when every bin's
    probabilities come true as often as they say. Returns (one row per non-empty bin with columns
    BIN_COLUMNS, bin numbered from 1; error), error None when there are no scores."""
    if bins < 1:
        raise ValueError(f"bins must be at least 1, got {bins}")
    scores = np.clip(np.asarray(scores, dtype=float), 0.0, 1.0)
    labels = np.asarray(labels, dtype=bool)
    if scores.shape != labels.shape:
        raise ValueError(f"scores {scores.shape} and labels {labels.shape} differ in shape")
    # The tolerance keeps a score on an edge (0.3 -> 3.0000000000000004 or 2.9999999999999996) in the upper bin.
    which = np.minimum(np.floor(scores * bins + 1e-9).astype(int), bins - 1)
    rows = []
    for b in np.unique(which):
        inside = which == b
        rows.append({"bin": int(b) + 1, "lower": b / bins, "upper": (b + 1) / bins, "n": int(inside.sum()),
                     "positives": int(labels[inside].sum()), "mean_predicted": float(scores[inside].mean()),
                     "observed": float(labels[inside].mean())})
    frame = pd.DataFrame(rows, columns=BIN_COLUMNS)
    if not len(scores):
        return frame, None
    error = float((frame["n"] / len(scores) * (frame["mean_predicted"] - frame["observed"]).abs()).sum())
    return frame, error


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
    if "expected_points" in index:
        rows.append(_below_median(index, certified, note, is_sample))
    # Reliability: k is the number of bins on the error row and the bin number (from 1) on each bin row.
    bins = RELIABILITY_BINS if certified.sum() >= FEW_LABELS else FEW_BINS
    table, error = reliability(scores, certified, bins)
    rows.append({"metric": "reliability_error", "k": bins, "value": error, "n": len(index),
                 "positives": int(certified.sum()), "detail": note, "is_sample": is_sample})
    for b in table.itertuples():
        rows.append({"metric": "reliability_bin", "k": b.bin, "value": b.observed, "n": b.n,
                     "positives": b.positives, "detail": bin_detail(b.lower, b.upper, b.mean_predicted),
                     "is_sample": is_sample})
    return pd.DataFrame(rows, columns=COLUMNS)


#: Headline metrics also reported on the web evidence alone, so attested corrections cannot flatter the index.
WITHOUT_CORRECTIONS = ("auc_p_silver_or_better", "precision_at_k", "tier_accuracy_certified", "reliability_error")
WEB_COLUMNS = {"p_silver_or_better": "p_silver_or_better_web", "expected_points": "expected_points_web",
               "predicted_tier": "predicted_tier_web"}


def validate_with_corrections(index: pd.DataFrame, *, is_sample: bool) -> pd.DataFrame:
    """``validate`` on the published scores, plus the headline metrics on the web evidence alone (metric
    names ending ``_without_corrections``) and a ``corrections_applied`` row: staff may well attest what
    they know of certified cities, and the agreement that earns must be told apart."""
    rows = validate(index, is_sample=is_sample)
    if not set(WEB_COLUMNS.values()) <= set(index.columns):
        return rows
    web = index.assign(**{k: index[v].where(index[v].notna(), index[k]) for k, v in WEB_COLUMNS.items()})
    plain = validate(web, is_sample=is_sample)
    plain = plain[plain["metric"].isin(WITHOUT_CORRECTIONS)].assign(
        metric=lambda f: f["metric"] + "_without_corrections")
    applied = index["corrections_applied"].fillna(0).astype(int) if "corrections_applied" in index else pd.Series(0)
    certified = index["certified_tier"].isin(CERTIFIED)
    summary = {"metric": "corrections_applied", "k": None, "value": float(applied.sum()), "n": len(index),
               "positives": int(certified.sum()),
               "detail": f"in {int((applied > 0).sum())} cities, {int(((applied > 0) & certified).sum())} of them "
                         "certified Silver or better",
               "is_sample": is_sample}
    return pd.DataFrame([*rows.to_dict("records"), *plain.to_dict("records"), summary], columns=COLUMNS)


def bin_detail(lower: float, upper: float, mean_predicted: float) -> str:
    """The detail of a reliability_bin row: the bin's edges and mean predicted probability, which the
    table's other columns have no room for (parse_bin_detail reads it back)."""
    return f"lower={lower:.4f} upper={upper:.4f} mean_predicted={mean_predicted:.6f}"


def parse_bin_detail(detail: str | None) -> dict[str, float] | None:
    """lower, upper and mean_predicted from a reliability_bin detail; None when it does not parse."""
    found = dict(re.findall(r"(lower|upper|mean_predicted)=([0-9.eE+-]+)", detail or ""))
    try:
        return {key: float(found[key]) for key in ("lower", "upper", "mean_predicted")}
    except (KeyError, ValueError):
        return None




def _below_median(index: pd.DataFrame, certified: np.ndarray, note: str, is_sample: bool) -> dict:
    """Certified cities scoring fewer expected points than the median uncertified city: value counts them,
    detail names them and says which had their evidence unobserved (coverage below 50 %), the only good
    reason for a certified city to score that low."""
    points = index["expected_points"].to_numpy(dtype=float)
    median = float(np.median(points[~certified])) if (~certified).any() else float("nan")
    low = index[certified & (points < median)]
    coverage = low["coverage"].astype(float) if "coverage" in low else pd.Series(np.nan, index=low.index)
    names = [f"{getattr(r, 'city', '?')}, {getattr(r, 'state', '?')} ({r.expected_points:.1f} points, "
             + ("evidence not observed: coverage " + (f"{c:.0%}" if not np.isnan(c) else "unknown")
                if np.isnan(c) or c < MIN_COVERAGE else f"observed, coverage {c:.0%}") + ")"
             for r, c in zip(low.itertuples(), coverage, strict=True)]
    unexplained = int(sum(not (np.isnan(c) or c < MIN_COVERAGE) for c in coverage))
    detail = (f"median uncertified city {median:.1f} points; {unexplained} of {len(low)} with their evidence "
              f"observed" + (": " + "; ".join(names) if names else "") + ("; " + note if note else ""))
    return {"metric": "certified_below_median_uncertified", "k": None, "value": float(len(low)), "n": len(index),
            "positives": int(certified.sum()), "detail": detail, "is_sample": is_sample}

