"""The index is computed by one function, warehouse/index/build.py's build_index, which the Dagster asset only
wires: called outside Dagster on the inputs a sample run handed the asset, it gives the tables that run
published. A researcher recomputing an index in a notebook gets the run's figures, not a near copy."""

from __future__ import annotations

import pickle
from pathlib import Path

import pandas as pd
import pytest

from warehouse.index.build import IndexBuild, build_index
from warehouse.paths import WarehousePaths
from warehouse.read import connect_published


def _step_output(home: Path, asset: str):
    """What a step of the sample run handed on (the Dagster file storage of the home: one file per month)."""
    (path,) = (WarehousePaths(home).dagster_storage / asset).iterdir()
    with open(path, "rb") as f:
        return pickle.load(f)


def _build(home: Path, **settings) -> IndexBuild:
    """build_index on the inputs of the sample run's readiness_index step, with the sample's run settings."""
    inputs = [_step_output(home, a) for a in ("cities", "portals", "portal_probes", "evidence", "crawl_summaries",
                                              "certified_cities")]
    return build_index(*inputs, _step_output(home, "wwc_partners")["partners"],
                       _step_output(home, "attested_corrections"), crawl_pages=_step_output(home, "crawl_pages"),
                       is_sample=True, homepages=_step_output(home, "city_homepages"), **settings)


@pytest.fixture(scope="module")
def built(sample_home: Path) -> IndexBuild:
    return _build(sample_home)


def test_the_build_gives_the_tables_the_sample_run_published(sample_home: Path, built: IndexBuild) -> None:
    con = connect_published(WarehousePaths(sample_home))
    try:
        published = con.execute("SELECT geoid, expected_points, predicted_tier, scored_with, outreach_status "
                                "FROM marts.city_index_latest").df()
    finally:
        con.close()
    ours = built.city_index[published.columns]
    pd.testing.assert_frame_equal(ours.sort_values("geoid").reset_index(drop=True),
                                  published.sort_values("geoid").reset_index(drop=True), check_dtype=False)
    # And exactly what the asset handed on, every output (a move of the code changes no figure).
    pd.testing.assert_frame_equal(built.city_index, _step_output(sample_home, "city_index"))
    pd.testing.assert_frame_equal(built.criterion_scores, _step_output(sample_home, "criterion_scores"))
    pd.testing.assert_frame_equal(built.signals, _step_output(sample_home, "city_signals"))
    calibration = _step_output(sample_home, "index_calibration")
    pd.testing.assert_frame_equal(built.calibration_metrics, calibration["metrics"])
    pd.testing.assert_frame_equal(built.weights_used, calibration["weights_used"])
    catalog = _step_output(sample_home, "criteria_catalog")
    pd.testing.assert_frame_equal(built.criteria, catalog["criteria"])
    pd.testing.assert_frame_equal(built.weights, catalog["weights"])


def test_a_calibrated_build_keeps_the_catalog_figures_beside_and_says_so(built: IndexBuild) -> None:
    assert built.decision.adopted and set(built.city_index["scored_with"]) == {"calibrated"}
    index = built.city_index
    for col in ("expected_points_catalog", "predicted_tier_catalog", "calibration_fold", "outreach_status",
                "why_call"):
        assert col in index.columns, col
    assert index["calibration_fold"].notna().all()
    # The fit moved some scores: the catalog's figures beside them are not a copy of the published ones.
    assert (index["expected_points"] != index["expected_points_catalog"]).any()
    assert built.calibration_metrics.iloc[-1]["metric"] == "adopted"


def test_with_the_catalog_forced_the_scores_use_the_catalog_weights(sample_home: Path) -> None:
    kept = _build(sample_home, calibration="catalog")
    assert not kept.decision.adopted and set(kept.city_index["scored_with"]) == {"catalog"}
    used = kept.weights_used
    assert used["calibration_fold"].isna().all()
    assert (used["weight"] == used["catalog_weight"]).all()
    catalog = kept.weights.merge(used, on=["criterion_id", "signal"], suffixes=("_catalog", "_used"))
    assert len(catalog) == len(kept.weights) == len(used)
    assert (catalog["weight_catalog"] == catalog["weight_used"]).all()
    index = kept.city_index
    assert (index["expected_points"] == index["expected_points_catalog"]).all()
    assert (index["predicted_tier"] == index["predicted_tier_catalog"]).all()
    # The fit is still measured when the catalog is kept, and the run says which it published.
    assert kept.calibration.status == "computed"
    assert kept.calibration_metrics.iloc[-1]["model"] == "catalog"


def test_a_researcher_rebuilds_the_index_from_the_published_tables(sample_home: Path, built: IndexBuild) -> None:
    """What docs/index.md tells a researcher to do: one run's rows of the published tables, no Dagster."""
    tables = ("staging.cities", "marts.portals", "staging.portal_probes", "marts.evidence", "staging.crawl_summaries",
              "staging.certified_cities", "staging.wwc_partners", "ops.corrections")
    con = connect_published(WarehousePaths(sample_home))
    try:
        frames, pages = [con.execute(f"SELECT * FROM {t} WHERE run_id = (SELECT run_id FROM ops.latest_run)").df()
                         for t in tables], con.execute("SELECT * FROM staging.crawl_pages "
                                                       "WHERE run_id = (SELECT run_id FROM ops.latest_run)").df()
    finally:
        con.close()
    rebuilt = build_index(*frames, crawl_pages=pages, is_sample=True).city_index
    for col in ("geoid", "expected_points", "predicted_tier", "p_silver_or_better", "scored_with",
                "calibration_fold", "outreach_status", "coverage"):
        assert list(rebuilt[col]) == list(built.city_index[col]), col


def test_the_build_does_not_depend_on_the_order_of_the_cities(sample_home: Path, built: IndexBuild) -> None:
    """The calibration's folds are drawn over rows: a researcher who sorted or merged the cities first must
    still get the run's figures."""
    inputs = [_step_output(sample_home, a) for a in ("cities", "portals", "portal_probes", "evidence",
                                                     "crawl_summaries", "certified_cities")]
    inputs[0] = inputs[0].iloc[::-1].reset_index(drop=True)
    shuffled = build_index(*inputs, _step_output(sample_home, "wwc_partners")["partners"],
                           _step_output(sample_home, "attested_corrections"),
                           crawl_pages=_step_output(sample_home, "crawl_pages"), is_sample=True,
                           homepages=_step_output(sample_home, "city_homepages"))
    assert built.decision.adopted, "the sample's calibration is adopted, so folds decide the published scores"
    pd.testing.assert_frame_equal(shuffled.city_index, built.city_index)


def test_inputs_a_run_never_hands_over_are_refused_with_the_reason(sample_home: Path) -> None:
    """What a notebook can pass: a warehouse's cities of two runs, GEOIDs read back from a CSV as numbers,
    corrections without the column saying which were in force. Each is named, not scored wrongly."""
    inputs = [_step_output(sample_home, a) for a in ("cities", "portals", "portal_probes", "evidence",
                                                     "crawl_summaries")]
    cities = inputs[0]
    with pytest.raises(ValueError, match=r"cities has 1 repeated geoid\(s\), e.g. '.+'; pass one run's rows"):
        build_index(pd.concat([cities, cities.iloc[:1]], ignore_index=True), *inputs[1:])
    as_numbers = cities.assign(geoid=cities["geoid"].astype(int))
    with pytest.raises(ValueError, match=r"cities.geoid must be text such as '0190004', got \d+ \(int64\)"):
        build_index(as_numbers, *inputs[1:])
    with pytest.raises(ValueError, match="1 city row.s. have no geoid"):
        build_index(cities.assign(geoid=[None, *cities["geoid"].iloc[1:]]), *inputs[1:])
    with pytest.raises(ValueError, match="corrections needs the applied column"):
        build_index(*inputs, corrections=pd.DataFrame({"geoid": [cities["geoid"].iloc[0]]}))


@pytest.mark.parametrize("position, name, table", [(0, "cities", "staging.cities"), (1, "portals", "marts.portals"),
                                                   (2, "portal_probes", "staging.portal_probes"),
                                                   (3, "evidence", "marts.evidence"),
                                                   (4, "crawl_summaries", "staging.crawl_summaries")])
def test_none_for_a_required_table_is_refused_with_what_to_pass(sample_home: Path, position: int, name: str,
                                                                 table: str) -> None:
    inputs: list = [_step_output(sample_home, a) for a in ("cities", "portals", "portal_probes", "evidence",
                                                           "crawl_summaries")]
    inputs[position] = None
    with pytest.raises(ValueError) as raised:
        build_index(*inputs)
    assert str(raised.value) == (f"build_index: {name} is required, got None; pass one run's rows of {table}, "
                                 "or an empty DataFrame when the run has none")


def test_evidence_without_a_confidence_is_refused_not_passed_over(sample_home: Path) -> None:
    """A notebook's evidence with a blank confidence: the row was silently passed over for another of its kind
    (or, alone, made the signal NaN); marts.evidence never has one, so it is named instead."""
    inputs = [_step_output(sample_home, a) for a in ("cities", "portals", "portal_probes", "evidence",
                                                     "crawl_summaries")]
    evidence = inputs[3]
    first = evidence.iloc[0]
    for blank in (float("nan"), None, "high"):
        inputs[3] = evidence.astype({"confidence": object}).assign(
            confidence=[blank, *evidence["confidence"].iloc[1:]])
        got = "nothing" if blank is None or blank != blank else repr(blank)
        with pytest.raises(ValueError) as raised:
            build_index(*inputs)
        assert str(raised.value) == (
            f"build_index: evidence.confidence is missing or not a number in 1 row(s), e.g. geoid {first['geoid']!r}, "
            f"kind {first['kind']!r} at {first['url']} (got {got}); marts.evidence has one in every row: drop those "
            "rows, or read the column as numbers")
    inputs[3] = evidence.drop(columns="confidence")
    with pytest.raises(ValueError, match="^build_index: evidence needs the confidence column of marts.evidence$"):
        build_index(*inputs)
    inputs[3] = evidence.iloc[:0].drop(columns="confidence")   # no evidence at all: nothing to read a confidence of
    assert len(build_index(*inputs).city_index) == len(inputs[0])
