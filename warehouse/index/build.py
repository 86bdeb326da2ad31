"""The whole index build in one call: from a run's inputs to every table the index publishes.

The Dagster asset ``readiness_index`` (assets/index.py) only reads the run's settings, calls
``build_index`` and attaches metadata; a notebook or a test that wants to recompute an index calls the
same function with the same inputs and gets the same tables, without Dagster and without copying the
sequence of steps (whose order matters: see ``build_index``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sources.criteria.catalog import load_catalog
from warehouse.index.calibration import Calibration, Decision, calibrate, cross_fitted, decide, labels_for
from warehouse.index.outreach import MIN_CHANCE, MIN_COVERAGE, MIN_GAP_GAIN, mark_gaps, outreach_status
from warehouse.index.scoring import Model, catalog_rows, score, signal_rows, tier_band_rows, used_weight_rows
from warehouse.index.signals import as_matrix, city_signals
from warehouse.index.why_call import CatalogText, why_call_columns


@dataclass(frozen=True, eq=False)      # eq=False: frames have no single truth value to compare by
class IndexBuild:
    """Every table of one index build, and what decided them (the model, the fit and the decision)."""

    #: Per city and signal: value, whether its source was read, the page or portal behind it, and the likely
    #: carrier pages that could not be read (staging.city_signals).
    signals: pd.DataFrame
    #: Per city and criterion: the probability the published score used (marts.criterion_scores).
    criterion_scores: pd.DataFrame
    #: Per city: expected points, tier odds, the catalog-scored figures beside them, outreach status and
    #: why to call (marts.city_index).
    city_index: pd.DataFrame
    #: The catalog as two tables (marts.criteria, marts.criterion_signal_weights).
    criteria: pd.DataFrame
    weights: pd.DataFrame
    #: The points and shares each tier needs under the run's bands (marts.tier_bands).
    tier_bands: pd.DataFrame
    #: The held-out comparison of the catalog with the fit to the certified list, and the fit itself.
    calibration: Calibration
    #: Which of the two the published scores use, and why.
    decision: Decision
    #: marts.calibration: the held-out figures and the run's decision as one more row.
    calibration_metrics: pd.DataFrame
    #: The weights the published scores used, per calibration fold (marts.criterion_signal_weights_used).
    weights_used: pd.DataFrame
    #: The catalog's model with the run's tier bands (the hand-set weights).
    model: Model


def build_index(cities: pd.DataFrame, portals: pd.DataFrame, portal_probes: pd.DataFrame, evidence: pd.DataFrame,
                crawl_summaries: pd.DataFrame, certified: pd.DataFrame | None = None,
                partners: pd.DataFrame | None = None, corrections: pd.DataFrame | None = None, *,
                crawl_pages: pd.DataFrame | None = None, tier_bands: str = "", evidence_half_life_months: float = 0.0,
                calibration: str = "auto", is_sample: bool = False, outreach_min_coverage: float = MIN_COVERAGE,
                outreach_min_chance: float = MIN_CHANCE, outreach_min_gap_gain: float = MIN_GAP_GAIN,
                homepages: pd.DataFrame | None = None) -> IndexBuild:
    """Combine each criterion's evidence by the catalog's rule (noisy-OR of weight x signal over a prior),
    respect prerequisites and core criteria, and compute the exact tier odds per city. The catalog's
    weights are then fitted to the certified list out of sample (warehouse/index/calibration.py); the fit
    is published only when it clearly beats them, cross-fitted so that no city's own label enters its own
    score. The partner flag is shown beside the score, never an input to it. Open attested corrections
    decide their criteria after the fit (which reads web evidence only); the web-only figures stay beside.

    Why the steps come in this order: the catalog scores come first because the calibration takes its
    eligible cities from their coverage; the calibration reads the web signals alone (values, not scores),
    so a staff correction never trains the fit; the decision to publish the fit is taken on held-out
    figures before any city is scored with it, and a published fit rescores each city with the fold that
    held it out; every score, catalog or cross-fitted, applies the open corrections after the web evidence;
    the catalog's figures are kept beside the published ones; and outreach (which gaps staff see, the
    city's status, why to call) comes last because it reads the published scores, whichever they are.

    Inputs are the run's tables: ``cities`` (staging.cities), ``portals`` (marts.portals), ``portal_probes``,
    ``evidence`` (marts.evidence), ``crawl_summaries``; ``certified`` (staging.certified_cities; None or
    empty: labels unknown), ``partners`` (staging.wwc_partners; shown only) and ``corrections``
    (ops.corrections, its ``applied`` rows decide their criteria); ``crawl_pages`` (staging.crawl_pages: a
    website kind whose likely carrier page could not be read is unknown, not absent; None: every kind of a
    crawled site is observed, as before pages recorded it). The other keywords are the run settings of the
    same names (pipelines/resources.py, RunSettings); their defaults are those of a run. ``homepages``
    (raw.homepages) only words the note of a city whose website could not be read: what its home page got."""
    _check_inputs(cities, portals=portals, portal_probes=portal_probes, evidence=evidence,
                  crawl_summaries=crawl_summaries)
    # The calibration's folds are drawn over row positions: the same cities in another order would be
    # cross-fitted differently. GEOID order, which the run's own table has, makes the build order-free.
    cities = cities.sort_values("geoid", kind="stable").reset_index(drop=True)
    model = Model(load_catalog().with_bands(tier_bands))
    values, observed, source, not_read = city_signals(cities, portals, portal_probes, evidence, crawl_summaries,
                                                      evidence_half_life_months, crawl_pages)
    labels = certified[certified["geoid"].notna()] if certified is not None and len(certified) else None
    attested = _applied(corrections)
    shown = {"certified": labels, "attested": attested,
             "partners": set(partners["geoid"].dropna()) if partners is not None and len(partners) else set()}
    criterion_scores, city_index = score(cities, values, observed, model, **shown)
    # Fit the weights to the certified list out of sample, and publish the fit only when it clearly wins.
    fitted = calibrate(model, as_matrix(values.loc[list(city_index["geoid"])]),
                       city_index["coverage"].to_numpy(dtype=float),
                       labels_for(city_index, labels if labels is not None else _NO_LABELS), is_sample=is_sample)
    decision = decide(fitted, mode=calibration)
    catalog_index = city_index
    weights_used = used_weight_rows(model, model)
    if decision.adopted:
        criterion_scores, city_index, weights_used = _cross_fitted_scores(cities, values, observed, model,
                                                                          fitted, shown)
    city_index = _beside_the_catalog(city_index, catalog_index, decision)
    city_index = _with_outreach(city_index, cities, portals, evidence, crawl_summaries, attested, model, labels,
                                min_coverage=outreach_min_coverage, min_chance=outreach_min_chance,
                                min_gap_gain=outreach_min_gap_gain, homepages=homepages)
    criteria, weights = catalog_rows(model)
    return IndexBuild(signals=signal_rows(values, observed, source, not_read), criterion_scores=criterion_scores,
                      city_index=city_index, criteria=criteria, weights=weights,
                      tier_bands=tier_band_rows(model), calibration=fitted,
                      decision=decision, calibration_metrics=calibration_metrics(fitted, decision, is_sample),
                      weights_used=weights_used, model=model)


def _applied(corrections: pd.DataFrame | None) -> pd.DataFrame | None:
    """The corrections that decide their criteria (``applied``, as ops.corrections has it); none given or
    an empty table: none."""
    if corrections is None:
        return None
    if "applied" not in corrections.columns:
        if not len(corrections):
            return None
        raise ValueError("build_index: corrections needs the applied column of ops.corrections "
                         "(which corrections were in force for the run)")
    return corrections[corrections["applied"].fillna(False).astype(bool)]


#: The warehouse table each required input is one run's rows of, for the messages that refuse an input.
_TABLES = {"cities": "staging.cities", "portals": "marts.portals", "portal_probes": "staging.portal_probes",
           "evidence": "marts.evidence", "crawl_summaries": "staging.crawl_summaries"}


def _check_inputs(cities: pd.DataFrame, **tables: pd.DataFrame) -> None:
    """ValueError naming the problem for inputs a run never hands over but a notebook can: every required
    table is a table (None is not "none": a run with no portals hands over an empty one, and an empty table
    is scored as such), one run's cities must each appear once, GEOIDs are text everywhere (a GEOID read back
    as a number loses its leading zero and matches no evidence: every city would silently score as
    unobserved), and every evidence row has a confidence (a missing one was silently passed over for
    another row of the kind, or, alone, scored the signal as NaN)."""
    for name, frame in {"cities": cities, **tables}.items():
        if frame is None:
            raise ValueError(f"build_index: {name} is required, got None; pass one run's rows of {_TABLES[name]}, "
                             "or an empty DataFrame when the run has none")
        if not isinstance(frame, pd.DataFrame):
            raise ValueError(f"build_index: {name} must be a table (pandas DataFrame), got {type(frame).__name__}")
        if "geoid" in frame.columns and len(frame):
            wrong = frame["geoid"].dropna().map(type).ne(str)
            if wrong.any():
                example = frame["geoid"].dropna()[wrong].iloc[0]
                raise ValueError(f"build_index: {name}.geoid must be text such as '0190004', got {example} "
                                 f"({frame['geoid'].dtype}); read exports with geoid as text")
    _check_confidence(tables["evidence"])
    if not len(cities):
        return
    if cities["geoid"].isna().any():
        raise ValueError(f"build_index: {int(cities['geoid'].isna().sum())} city row(s) have no geoid")
    repeated = cities["geoid"][cities["geoid"].duplicated()]
    if len(repeated):
        raise ValueError(f"build_index: cities has {repeated.nunique()} repeated geoid(s), e.g. "
                         f"{repeated.iloc[0]!r}; pass one run's rows (WHERE run_id = ...)")


def _check_confidence(evidence: pd.DataFrame) -> None:
    """The one confidence the index reads is the evidence's (marts.evidence.confidence, NOT NULL): each row
    needs a finite number there. (portals and portal_probes carry a confidence too, nullable and unread.)"""
    if not len(evidence):
        return
    if "confidence" not in evidence.columns:
        raise ValueError("build_index: evidence needs the confidence column of marts.evidence")
    confidence = pd.to_numeric(evidence["confidence"], errors="coerce").astype(float)
    bad = ~np.isfinite(confidence.to_numpy())
    if bad.any():
        first = evidence[bad].iloc[0]
        value = first["confidence"]
        got = repr(value) if isinstance(value, str) else "nothing" if pd.api.types.is_scalar(value) and pd.isna(value) \
            else str(value)
        raise ValueError(f"build_index: evidence.confidence is missing or not a number in {int(bad.sum())} row(s), "
                         f"e.g. geoid {first.get('geoid')!r}, kind {first.get('kind')!r} at {first.get('url')} "
                         f"(got {got}); marts.evidence has one in every row: drop those rows, or read the column "
                         "as numbers")


#: No certified list: every city's label is "not certified" (labels_for reads only the frame's rows).
_NO_LABELS = pd.DataFrame(columns=["geoid", "tier"])


def _cross_fitted_scores(cities: pd.DataFrame, values: pd.DataFrame, observed: pd.DataFrame, model: Model,
                         calibration: Calibration, shown: dict) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Scores under the fit, each city with parameters fitted without its own label; in the universe's order.
    Also the weights of each fold, so the explanation of a score shows the weights it was computed with."""
    parts, used = [], []
    for fold, positions, fitted in cross_fitted(model, calibration):
        crit, index = score(cities.iloc[positions], values, observed, fitted, **shown)
        parts.append((crit, index.assign(calibration_fold=fold)))
        used.append(used_weight_rows(model, fitted, fold))
    order = {g: i for i, g in enumerate(cities["geoid"])}
    crit = pd.concat([c for c, _ in parts], ignore_index=True)
    crit = crit.sort_values("geoid", kind="stable", key=lambda col: col.map(order)).reset_index(drop=True)
    index = pd.concat([i for _, i in parts], ignore_index=True)
    index = index.sort_values("geoid", kind="stable", key=lambda col: col.map(order)).reset_index(drop=True)
    return crit, index, pd.concat(used, ignore_index=True)


def _beside_the_catalog(city_index: pd.DataFrame, catalog_index: pd.DataFrame, decision: Decision) -> pd.DataFrame:
    """The published index with which parameters scored it, its fold, and the catalog's expected points and
    tier beside (equal to the published ones when the catalog was kept), so a reader sees what the fit moved."""
    if "calibration_fold" not in city_index:
        city_index = city_index.assign(calibration_fold=None)
    return city_index.assign(
        scored_with=decision.scored_with, expected_points_catalog=catalog_index["expected_points"].to_numpy(),
        predicted_tier_catalog=catalog_index["predicted_tier"].to_numpy())


def _with_outreach(city_index: pd.DataFrame, cities: pd.DataFrame, portals: pd.DataFrame, evidence: pd.DataFrame,
                   crawl_summaries: pd.DataFrame, attested: pd.DataFrame | None, model: Model,
                   certified: pd.DataFrame | None, *,
                   min_coverage: float, min_chance: float, min_gap_gain: float,
                   homepages: pd.DataFrame | None = None) -> pd.DataFrame:
    """Outreach: which gaps staff see, the city's status with the reason, and the sentence saying why to call."""
    text = CatalogText.from_catalog(model.catalog)
    city_index = city_index.assign(top_gaps=mark_gaps(city_index["top_gaps"], min_gap_gain))
    city_index = pd.concat([city_index, outreach_status(
        city_index, cities, crawl_summaries, min_coverage=min_coverage, min_chance=min_chance,
        names=text.names, portals=portals, homepages=homepages)], axis=1)
    return pd.concat([city_index, why_call_columns(city_index, evidence, portals, text, min_gap_gain, attested,
                                                   certified)], axis=1)


def calibration_metrics(result: Calibration, decision: Decision, is_sample: bool) -> pd.DataFrame:
    """marts.calibration: the held-out figures of the fit against the catalog, and the run's decision as a
    last row (metric ``adopted``, the reason in ``detail``), so the table says which scores were published."""
    adopted = {"fold": "pooled", "model": decision.scored_with, "metric": "adopted",
               "value": float(decision.adopted), "n": int(result.eligible.sum()),
               "positives": int(result.metrics["positives"].max()) if len(result.metrics) else 0,
               "detail": decision.reason, "is_sample": is_sample}
    # Too few labels to fit: no metrics rows, only the decision (concat of an empty frame is deprecated).
    if not len(result.metrics):
        return pd.DataFrame([adopted])
    return pd.DataFrame([*result.metrics.to_dict("records"), adopted], columns=result.metrics.columns)
