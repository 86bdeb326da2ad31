"""The readiness index: signals per city, criterion probabilities, exact tier odds and next-tier gaps."""

import json
from typing import Any

import dagster as dg
import pandas as pd

from assets import versions
from assets.metadata import table_metadata
from assets.partitions import MONTHLY, corrections_as_of
from assets.runlabels import run_labels
from sources.certified import CERTIFICATION_URL, COLUMNS, fetch_certified, match_to_cities
from sources.criteria.catalog import load_catalog
from sources.partners import fetch_partners, load_announcements, match_partners
from warehouse.corrections import CorrectionError, corrections_file, status_table
from warehouse.index.build import IndexBuild, build_index
from warehouse.index.outreach import shown_gaps
from warehouse.index.scoring import Model
from warehouse.index.validation import validate_with_corrections

_OUT: dict[str, Any] = {"kinds": {"python", "pandas", "numpy"}, "owners": ["team:cdpi"], "code_version": versions.INDEX}


@dg.asset(partitions_def=MONTHLY, group_name="index", kinds={"python", "pandas"}, owners=["team:cdpi"],
          code_version=versions.LABELS, required_resource_keys={"fetcher", "warehouse"})
def certified_cities(context: dg.AssetExecutionContext, cities: pd.DataFrame) -> dg.Output[pd.DataFrame]:
    """The What Works Cities certified list (city, state, tier, year) read from the program's certification
    page and matched to the universe. Labels for display, validation and calibration (cross-fitted, so never
    an input to the labelled city's own score). An
    unreadable page leaves the labels unknown (and says so), it does not mean no city is certified."""
    res = context.resources
    with res.fetcher.open(res.warehouse.paths(), context.run_id, "certified_cities") as f:
        listing = fetch_certified(f, CERTIFICATION_URL)
    frame = match_to_cities(listing, cities) if listing.outcome == "ok" else pd.DataFrame(columns=COLUMNS)
    frame["source_outcome"] = listing.outcome
    if listing.outcome != "ok":
        context.log.warning(f"certified list not read ({listing.outcome}): {listing.error}")
    return dg.Output(frame, metadata=table_metadata(
        frame, preview=5, preview_columns=["city", "state", "tier", "year", "geoid", "match"],
        outcome=listing.outcome, error=listing.error or "",
        matched=int(frame["geoid"].notna().sum()) if len(frame) else 0,
        by_tier=dg.MetadataValue.json({str(k): int(v) for k, v in frame["tier"].value_counts().items()})
        if len(frame) else {}))


@dg.asset(partitions_def=MONTHLY, group_name="index", kinds={"python", "pandas"}, owners=["team:cdpi"],
          code_version=versions.LABELS, required_resource_keys={"fetcher", "warehouse"})
def wwc_partners(context: dg.AssetExecutionContext, cities: pd.DataFrame) -> dg.Output[dict]:
    """The first-phase What Works Cities partner cities (2015-2018), read from the cohort announcements in
    sources/wwc_partners.yaml and matched to the universe; with each announcement's outcome. Context for
    outreach, shown beside a city's score and never an input to it."""
    res = context.resources
    announcements = load_announcements()
    with res.fetcher.open(res.warehouse.paths(), context.run_id, "wwc_partners") as f:
        read = fetch_partners(f, announcements)
    partners = match_partners(read, cities)
    named = partners.groupby("url").size().to_dict() if len(partners) else {}
    sources = pd.DataFrame([{"url": a.url, "announced": a.announced, "outcome": read.outcomes.get(a.url, "not_read"),
                             "cities_named": int(named.get(a.url, 0))} for a in announcements])
    unread = sources[sources["outcome"] != "ok"]
    if len(unread):
        context.log.warning(f"{len(unread)} of {len(sources)} partner announcements not read: "
                            + ", ".join(f"{r.url} ({r.outcome})" for r in unread.itertuples()))
    # Row count and schema: the partners table (staging.wwc_partners); the announcements are counted beside it.
    return dg.Output({"partners": partners, "announcements": sources}, metadata=table_metadata(
        partners, announcements_read=int((sources["outcome"] == "ok").sum()), announcements=len(sources),
        partners_named=len(partners), matched=int(partners["geoid"].notna().sum()) if len(partners) else 0))


@dg.asset(partitions_def=MONTHLY, group_name="index", kinds={"python", "pandas"}, owners=["team:cdpi"],
          code_version=versions.LABELS, required_resource_keys={"settings", "warehouse"})
def attested_corrections(context: dg.AssetExecutionContext, cities: pd.DataFrame) -> dg.Output[pd.DataFrame]:
    """Every correction staff recorded with `cdpi correct` (the append-only corrections file of the home, or
    CDPI_CORRECTIONS), with its status as of this run: open ones decide their criterion in the index, the
    rest stay as history (ops.corrections). A file that cannot be read stops the run rather than dropping
    an attested fact."""
    settings = context.resources.settings
    path = corrections_file(context.resources.warehouse.paths())
    try:
        table = status_table(path, as_of=corrections_as_of(context), standard=load_catalog().standard,
                             max_age_months=settings.corrections_max_age_months)
    except CorrectionError as exc:
        raise dg.Failure(description=f"corrections not read: {exc}") from None
    table["applied"] = (table["status"] == "open") & table["geoid"].isin(set(cities["geoid"]))
    table["correction_id"] = table["correction_id"].astype("Int64")
    return dg.Output(table, metadata=table_metadata(
        table, file=str(path), applied=int(table["applied"].sum()),
        by_status=dg.MetadataValue.json({str(k): int(v) for k, v in table["status"].value_counts().items()})))


@dg.multi_asset(
    partitions_def=MONTHLY, group_name="index", can_subset=False,
    required_resource_keys={"settings", "fetcher", "warehouse"},
    outs={
        "city_signals": dg.AssetOut(**_OUT, description="Per city, every signal the criteria use (evidence "
                                                        "confidence, portal metrics), whether its source was "
                                                        "read, the page or portal behind it, and the pages "
                                                        "that would likely have shown it but could not be "
                                                        "read."),
        "criterion_scores": dg.AssetOut(**_OUT, description="Per city and criterion: probability the point is "
                                                            "earned (prerequisites included), evidence count, "
                                                            "coverage."),
        "city_index": dg.AssetOut(**_OUT, description="Per city: expected points, exact odds of Silver/Gold/"
                                                      "Platinum, predicted tier, points to the next tier, "
                                                      "coverage and the most attainable gaps."),
        "criteria_catalog": dg.AssetOut(**_OUT, description="The criteria catalog used for this run "
                                                            "(sources/criteria/wwc_2022.yaml) as three tables: "
                                                            "criteria, signal weights, and the points each "
                                                            "tier needs under the run's bands."),
        "index_calibration": dg.AssetOut(**{**_OUT, "kinds": {"python", "numpy"}}, description=(
            "The catalog's hand-set weights against a fit to the certified list, on held-out cities, and the "
            "run's decision: which of the two the published scores use, and why, with the weights used.")),
    },
)
def readiness_index(context: dg.AssetExecutionContext, cities: pd.DataFrame, portals: pd.DataFrame,
                    portal_probes: pd.DataFrame, evidence: pd.DataFrame, crawl_summaries: pd.DataFrame,
                    crawl_pages: pd.DataFrame, certified_cities: pd.DataFrame, wwc_partners: dict,
                    attested_corrections: pd.DataFrame, city_homepages: pd.DataFrame):
    """Combine each criterion's evidence by the catalog's rule (noisy-OR of weight x signal over a prior),
    respect prerequisites and core criteria, and compute the exact tier odds per city. The catalog's
    weights are then fitted to the certified list out of sample (warehouse/index/calibration.py); the fit
    is published only when it clearly beats them, cross-fitted so that no city's own label enters its own
    score. The partner flag is shown beside the score, never an input to it. Open attested corrections
    decide their criteria after the fit (which reads web evidence only); the web-only figures stay beside.
    The home pages' outcomes only word the outreach note of a city whose website could not be read."""
    # The computation, and why its steps come in their order, is warehouse/index/build.py; here, only the
    # run's settings go in and the tables come out with what the UI shows about them.
    settings = context.resources.settings
    is_sample = run_labels(context).is_sample
    built = build_index(cities, portals, portal_probes, evidence, crawl_summaries, certified_cities,
                        wwc_partners["partners"], attested_corrections, crawl_pages=crawl_pages,
                        tier_bands=settings.tier_bands,
                        evidence_half_life_months=settings.evidence_half_life_months,
                        calibration=settings.calibration, is_sample=is_sample,
                        outreach_min_coverage=settings.outreach_min_coverage,
                        outreach_min_chance=settings.outreach_min_chance,
                        outreach_min_gap_gain=settings.outreach_min_gap_gain, homepages=city_homepages)
    context.log.info(built.decision.reason)
    model, signals, criterion_scores, criteria = built.model, built.signals, built.criterion_scores, built.criteria
    yield dg.Output(signals, "city_signals", metadata=table_metadata(
        signals, observed_share=float(signals["observed"].mean()) if len(signals) else 0.0))
    yield dg.Output(criterion_scores, "criterion_scores", metadata=table_metadata(
        criterion_scores, criteria=len(model.ids),
        mean_probability=float(criterion_scores["probability"].mean()) if len(criterion_scores) else 0.0))
    yield dg.Output(built.city_index, "city_index", metadata=_index_metadata(built.city_index, model))
    # Row count and schema: the criteria table (marts.criteria); the weights are its long companion.
    yield dg.Output({"criteria": criteria, "weights": built.weights, "tier_bands": built.tier_bands},
                    "criteria_catalog", metadata=table_metadata(
        criteria, standard=model.catalog.standard, bands=model.catalog.bands, criteria=len(criteria),
        thresholds=dg.MetadataValue.json(model.needed)))
    yield _calibration_output(built, is_sample)


def _calibration_output(built: IndexBuild, is_sample: bool) -> dg.Output:
    """marts.calibration (held-out figures and the decision row), marts.calibration_params and the weights
    the published scores used (marts.criterion_signal_weights_used), with the held-out figures as a table."""
    result, decision, metrics = built.calibration, built.decision, built.calibration_metrics
    # Row count and schema: the metrics table (marts.calibration).
    meta: dict = table_metadata(metrics, status=result.status, sample_data=is_sample,
                                eligible_cities=int(result.eligible.sum()), scored_with=decision.scored_with,
                                decision=decision.reason)
    pooled = result.metrics[result.metrics["fold"] == "pooled"]
    if result.status == "computed":
        table = pooled.pivot(index="metric", columns="model", values="value").drop(
            index=["fitted_beats_hand_set"], errors="ignore")
        lines = ["| held-out metric | hand-set | fitted |", "|---|---|---|"] + [
            f"| {m} | {r.hand_set:.3f} | {r.fitted:.3f} |" for m, r in table.iterrows()]
        meta["held_out"] = dg.MetadataValue.md("\n".join(lines))
    return dg.Output({"metrics": metrics, "params": result.params, "weights_used": built.weights_used},
                     "index_calibration", metadata=meta)


def _index_metadata(index: pd.DataFrame, model: Model) -> dict:
    meta: dict = table_metadata(index, cities=len(index), points_needed=dg.MetadataValue.json(model.needed))
    if not len(index):
        return meta
    meta["predicted_tiers"] = dg.MetadataValue.json(
        {str(k): int(v) for k, v in index["predicted_tier"].value_counts().items()})
    meta["median_expected_points"] = float(index["expected_points"].median())
    meta["median_coverage"] = float(index["coverage"].median())
    # Still to reach Silver: not certified Silver or better and not yet read as Silver (a city not certified
    # that reads as Silver has next_tier Silver too, but it is a call to apply, not a city close to Silver).
    near = index[(index["next_tier"] == "silver") & (index["predicted_tier"] == "none")]
    near = near.sort_values("p_silver_or_better", ascending=False).head(10)
    lines = ["| city | state | expected points | P(Silver+) | coverage |", "|---|---|---|---|---|"]
    lines += [f"| {r.city} | {r.state} | {r.expected_points:.1f} | {r.p_silver_or_better:.2f} | {r.coverage:.2f} |"
              for r in near.itertuples()]
    meta["closest_to_silver"] = dg.MetadataValue.md("\n".join(lines))
    # The ranking of marts.outreach_targets: cities with outreach_status 'target', by the odds a push on the
    # top gaps would give, then the odds now, then geoid.
    open_ = index[index["outreach_status"] == "target"]
    top = open_.sort_values(["p_next_tier_if_gaps_closed", "p_next_tier", "geoid"],
                            ascending=[False, False, True]).head(10)
    lines = ["| city | state | next tier | P now | P if top gaps closed | gaps |", "|---|---|---|---|---|---|"]
    lines += [f"| {r.city} | {r.state} | {r.next_tier} | {r.p_next_tier:.2f} | {r.p_next_tier_if_gaps_closed:.2f} | "
              f"{' '.join(g['criterion_id'] for g in shown_gaps(json.loads(r.top_gaps)))} |" for r in top.itertuples()]
    meta["top_outreach_targets"] = dg.MetadataValue.md("\n".join(lines))
    return meta


@dg.asset(partitions_def=MONTHLY, group_name="index", kinds={"python", "pandas"}, owners=["team:cdpi"],
          code_version=versions.INDEX, required_resource_keys={"settings", "fetcher", "warehouse"})
def index_validation(context: dg.AssetExecutionContext, city_index: pd.DataFrame,
                     certified_cities: pd.DataFrame) -> dg.Output[pd.DataFrame]:
    """The index against the certified list: AUC of P(Silver or better), precision at k, tier agreement and
    the reliability of P(Silver or better). Runs on the sample too, and says so in every row."""
    is_sample = run_labels(context).is_sample
    if not len(certified_cities):   # the page was not read (or listed nobody): labels unknown this run
        frame = pd.DataFrame([{"metric": "not_computed", "k": None, "value": None, "n": len(city_index),
                               "positives": 0, "detail": "certified list not available in this run",
                               "is_sample": is_sample}])
        return dg.Output(frame, metadata=table_metadata(frame, computed=False))
    frame = validate_with_corrections(city_index, is_sample=is_sample)
    auc = frame.loc[frame["metric"] == "auc_p_silver_or_better", "value"].iloc[0]
    error = frame.loc[frame["metric"] == "reliability_error", "value"].iloc[0]
    p10 = frame.loc[(frame["metric"] == "precision_at_k") & (frame["k"] == 10), "value"]
    table = frame[frame["metric"] == "tier_agreement"]
    lines = ["| predicted / certified | cities |", "|---|---|"] + [
        f"| {r.detail} | {int(r.value)} |" for r in table.itertuples()]
    return dg.Output(frame, metadata=table_metadata(
        frame, computed=True, sample_data=is_sample, auc_p_silver_or_better=None if pd.isna(auc) else float(auc),
        precision_at_10=float(p10.iloc[0]) if len(p10) else None,
        reliability_error=None if pd.isna(error) else float(error),
        corrections_applied=int(frame.loc[frame["metric"] == "corrections_applied", "value"].sum()),
        tier_agreement=dg.MetadataValue.md("\n".join(lines))))
