"""Outreach semantics NLC staff act on: a certified tier is a floor, cities not observed are listed apart
with what to check, and ranked targets need a real chance of their next tier."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from warehouse.index.outreach import outreach_status
from warehouse.index.scoring import Model, score
from warehouse.index.signals import SIGNALS

MODEL = Model()
CITY = pd.DataFrame([{"geoid": "3900001", "name": "Alder Falls", "state_abbr": "OH", "population": 52_000}])


def _frames(values: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    idx = pd.Index(CITY["geoid"], name="geoid")
    return (pd.DataFrame([values], index=idx, columns=list(SIGNALS)),
            pd.DataFrame(True, index=idx, columns=list(SIGNALS)))


def test_a_certified_tier_is_a_floor_for_outreach_but_not_for_the_odds() -> None:
    values = np.zeros(len(SIGNALS))
    values[SIGNALS.index("open_data_portal")] = 0.9
    _, plain = score(CITY, *_frames(values), MODEL)
    certified = pd.DataFrame([{"geoid": "3900001", "tier": "silver", "year": 2024}])
    _, floored = score(CITY, *_frames(values), MODEL, certified=certified)
    assert plain["predicted_tier"].iloc[0] == floored["predicted_tier"].iloc[0] == "none"
    assert plain["next_tier"].iloc[0] == "silver" and floored["next_tier"].iloc[0] == "gold"
    for col in ("expected_points", "p_silver_or_better", "p_gold_or_better"):   # validation reads these
        assert plain[col].iloc[0] == floored[col].iloc[0]
    assert all(g["next_tier"] == "gold" for g in json.loads(floored["top_gaps"].iloc[0]))
    assert floored["points_to_next_tier"].iloc[0] == MODEL.needed["gold"] - int(plain["expected_points"].iloc[0])
    honor = pd.DataFrame([{"geoid": "3900001", "tier": "honor_roll", "year": 2020}])
    assert score(CITY, *_frames(values), MODEL, certified=honor)[1]["next_tier"].iloc[0] == "silver"


def test_a_certified_citys_tier_and_year_come_from_one_row_of_the_list() -> None:
    """Rows (silver, 2019) and (gold, no year) read "certified Gold (2019)": the tier came from one sort
    (undated rows last, so latest) and the year from another (undated rows first). One rule now gives both,
    whatever the list's order: a dated row beats an undated one, the latest year wins, then the higher tier."""
    from warehouse.index.outreach import certified_by_geoid
    from warehouse.index.why_call import CatalogText, why_call_columns

    rows = [{"geoid": "3900001", "tier": "silver", "year": 2019}, {"geoid": "3900001", "tier": "gold", "year": None}]
    text = CatalogText.from_catalog(MODEL.catalog)
    for listed in (rows, rows[::-1]):
        certified = pd.DataFrame(listed)
        assert certified_by_geoid(certified) == {"3900001": ("silver", 2019)}
        _, city = score(CITY, *_frames(np.zeros(len(SIGNALS))), MODEL, certified=certified)
        assert city["certified_tier"].iloc[0] == "silver"
        city = city.assign(outreach_status="target")
        sentence = why_call_columns(city, pd.DataFrame(columns=["geoid", "kind", "confidence", "url"]),
                                    pd.DataFrame(), text, certified=certified)["why_call"].iloc[0]
        assert "certified Silver (2019)" in sentence and "Gold (2019)" not in sentence, sentence
    same_year = pd.DataFrame([{"geoid": "g", "tier": t, "year": 2021} for t in ("gold", "silver", "platinum")])
    assert certified_by_geoid(same_year) == {"g": ("platinum", 2021)}
    assert certified_by_geoid(same_year.iloc[::-1]) == {"g": ("platinum", 2021)}
    undated = pd.DataFrame([{"geoid": "g", "tier": "gold", "year": None}, {"geoid": "g", "tier": "silver"}])
    assert certified_by_geoid(undated) == {"g": ("gold", None)}
    assert certified_by_geoid(pd.DataFrame([{"geoid": "g", "tier": "silver"}])) == {"g": ("silver", None)}


def test_a_certified_silver_city_the_web_reads_as_gold_is_a_gold_call_not_a_platinum_prospect() -> None:
    """The next tier is the one above the tier a city holds, and a certified city holds its certified tier:
    a web reading above it is the reason to call (apply for Gold), not a step to skip."""
    generous = MODEL.adjusted(weights=MODEL.weights, priors=np.full(len(MODEL.ids), 0.6))
    certified = pd.DataFrame([{"geoid": "3900001", "tier": "silver", "year": 2024}])
    _, city = score(CITY, *_frames(np.ones(len(SIGNALS))), generous, certified=certified)
    row = city.iloc[0]
    assert row["predicted_tier"] == "gold" and row["next_tier"] == "gold"
    assert row["p_next_tier"] == row["p_gold_or_better"] and row["points_to_next_tier"] == 0


#: Priors that make the city of CITY, with no evidence, read as each tier (probed on the catalog's standard).
PRIORS_FOR = {"none": 0.3, "silver": 0.8, "gold": 0.85, "platinum": 0.95}
#: The tier to apply for, per (certified tier, predicted tier): the tier the evidence shows when it is above
#: the certified one, else the tier above the certified one; the honor roll is not a tier.
NEXT_TIER = {
    **{(cert, "none"): "silver" for cert in (None, "honor_roll")},
    **{(cert, p): p for cert in (None, "honor_roll") for p in ("silver", "gold", "platinum")},
    ("silver", "none"): "gold", ("silver", "silver"): "gold", ("silver", "gold"): "gold",
    ("silver", "platinum"): "platinum",
    **{("gold", p): "platinum" for p in ("none", "silver", "gold", "platinum")},
    **{("platinum", p): None for p in ("none", "silver", "gold", "platinum")},
}


@pytest.mark.parametrize(("certified", "predicted"), sorted(NEXT_TIER, key=str))
def test_the_next_tier_is_the_tier_to_apply_for(certified: str | None, predicted: str) -> None:
    """NLC staff found cities not certified that the index reads as Silver listed as 5 % Gold prospects on the
    longer path, never as Silver calls: "likely qualifies but is not certified" is the strongest call. The
    next tier is the tier the evidence shows when above the certified one (none when not certified), else
    the tier above the certified one, and every figure toward it (its odds, gaps, points, core blockers)
    follows the same tier; the odds and the predicted tier never read the certified list."""
    want = NEXT_TIER[(certified, predicted)]
    model = MODEL.adjusted(weights=MODEL.weights, priors=np.full(len(MODEL.ids), PRIORS_FOR[predicted]))
    labels = (pd.DataFrame([{"geoid": "3900001", "tier": certified, "year": 2024}]) if certified
              else None)
    _, city = score(CITY, *_frames(np.zeros(len(SIGNALS))), model, certified=labels)
    _, plain = score(CITY, *_frames(np.zeros(len(SIGNALS))), model)
    row = city.iloc[0]
    assert row["predicted_tier"] == predicted, "the probe's priors no longer give the tier they stand for"
    assert row["next_tier"] == want
    for col in ("expected_points", "p_silver_or_better", "p_gold_or_better", "p_platinum", "predicted_tier"):
        assert row[col] == plain[col].iloc[0]                     # validation reads these: never the label
    gaps = json.loads(row["top_gaps"])
    if want is None:
        assert pd.isna(row["p_next_tier"]) and pd.isna(row["points_to_next_tier"]) and gaps == []
        return
    odds = {"silver": "p_silver_or_better", "gold": "p_gold_or_better", "platinum": "p_platinum"}[want]
    assert row["p_next_tier"] == row[odds] and row["p_next_tier_if_gaps_closed"] >= row["p_next_tier"]
    assert all(g["next_tier"] == want for g in gaps)
    assert row["points_to_next_tier"] == max(0, MODEL.needed[want] - int(row["expected_points"]))


def test_the_rule_is_one_function_over_every_certified_and_predicted_tier() -> None:
    """scoring.next_tier is the one rule (the table above); an unknown predicted tier is an error, not a guess."""
    from warehouse.index.scoring import next_tier, next_tiers

    assert {key: next_tier(key[1], key[0]) for key in NEXT_TIER} == NEXT_TIER
    assert next_tiers(["silver", "none"], [None, "silver"]) == ["silver", "gold"]
    with pytest.raises(ValueError):
        next_tier("bronze", None)


def test_a_correction_that_lifts_a_city_to_silver_keeps_it_a_silver_call() -> None:
    """Staff attested a criterion (cdpi correct --met yes) for a city close to Silver; the city then read as
    Silver, its next tier became Gold at a few percent and it left the call list. It stays a Silver call,
    with better odds than before the correction."""
    from warehouse.index.outreach import MIN_CHANCE
    from warehouse.index.scoring import ATTESTED_COLUMNS

    model = MODEL.adjusted(weights=MODEL.weights, priors=np.full(len(MODEL.ids), 0.75))
    _, before = score(CITY, *_frames(np.zeros(len(SIGNALS))), model)
    attested = pd.DataFrame([{"geoid": "3900001", "criterion_id": "LC1", "met": True, "correction_id": 1,
                              "attested_by": "Pat Staff", "recorded_at": "2026-11-02", "source_url": "https://x"}],
                            columns=ATTESTED_COLUMNS)
    _, after = score(CITY, *_frames(np.zeros(len(SIGNALS))), model, attested=attested)
    assert before["predicted_tier"].iloc[0] == "none" and after["predicted_tier"].iloc[0] == "silver"
    assert before["next_tier"].iloc[0] == after["next_tier"].iloc[0] == "silver"
    assert after["p_next_tier"].iloc[0] > before["p_next_tier"].iloc[0]
    assert after["p_next_tier_if_gaps_closed"].iloc[0] >= MIN_CHANCE


def test_a_city_the_evidence_reads_as_its_next_tier_is_a_call_to_apply() -> None:
    """The note and the why-call sentence of a city not certified that reads as Silver say, in words staff
    can use, that the evidence already reads as Silver: the call is to apply. A city still short of its next
    tier reads as before."""
    from warehouse.index.why_call import CatalogText, why_call, why_call_columns

    index = _index(a={"predicted_tier": "silver", "p_next_tier": 0.62, "p_next_tier_if_gaps_closed": 0.9},
                   b={"predicted_tier": "none"},
                   c={"predicted_tier": "gold", "next_tier": "gold", "p_next_tier": 0.55,
                      "p_next_tier_if_gaps_closed": 0.8})
    cities = pd.DataFrame({"geoid": list("abc"), "website_url": ["https://x.example"] * 3})
    out = outreach_status(index, cities, pd.DataFrame()).set_index(index["geoid"])
    assert out["outreach_status"].to_dict() == {"a": "target", "b": "target", "c": "target"}
    assert out.loc["a", "outreach_note"] == ("the evidence already reads as Silver: a call to apply; 90% chance of "
                                            "Silver if its top gaps were closed, 62% now")
    assert out.loc["b", "outreach_note"] == "60% chance of Silver if its top gaps were closed, 30% now"
    assert out.loc["c", "outreach_note"].startswith("the evidence already reads as Gold: a call to apply; ")
    text = CatalogText.from_catalog(MODEL.catalog)
    sentence, _ = why_call([], [], "silver", None, text, predicted_tier="silver")
    assert sentence.startswith("No published data practice found on its website or data portal yet; the evidence "
                               "already reads as Silver: a call to apply; ")
    assert "reads as" not in why_call([], [], "silver", None, text, predicted_tier="none")[0]
    rows = pd.concat([index, out.reset_index(drop=True)], axis=1).assign(blocked_by_core=None, top_gaps="[]")
    sentences = why_call_columns(rows, pd.DataFrame(columns=["geoid", "kind", "confidence", "url"]),
                                 pd.DataFrame(), text)["why_call"]
    assert [("reads as" in s) for s in sentences] == [True, False, True]


def _index(**rows: dict) -> pd.DataFrame:
    base = {"next_tier": "silver", "p_next_tier": 0.3, "p_next_tier_if_gaps_closed": 0.6, "coverage": 0.9}
    return pd.DataFrame([{"geoid": g, **base, **r} for g, r in rows.items()])


def test_only_observed_cities_with_a_real_chance_are_ranked_and_the_rest_say_why() -> None:
    index = _index(a={}, b={"p_next_tier_if_gaps_closed": 0.1}, c={"coverage": 0.3}, d={}, e={}, f={},
                   g={"next_tier": None}, h={"next_tier": None, "coverage": 0.13})
    cities = pd.DataFrame({"geoid": list("abcdefgh"),
                           "website_url": ["https://a.gov/", "https://b.gov/", "https://c.gov/", None,
                                           "https://e.gov/", "https://f.gov/", "https://g.gov/", "https://h.gov/"]})
    summaries = pd.DataFrame([
        {"geoid": "e", "stopped_by": "seed_unreachable", "robots_blocked": 1},
        {"geoid": "f", "stopped_by": "seed_unreachable", "robots_blocked": 0},
        {"geoid": "a", "stopped_by": "max_pages", "robots_blocked": 3}])
    out = outreach_status(index, cities, summaries).set_index(index["geoid"])
    assert out["outreach_status"].to_dict() == {"a": "target", "b": "longer_path", "c": "not_observed",
                                                "d": "not_observed", "e": "not_observed", "f": "not_observed",
                                                "g": "top_tier", "h": "top_tier"}
    notes = out["outreach_note"]
    assert "60% chance of Silver" in notes["a"] and "below 20%" in notes["b"]
    assert "only 30% of what public evidence could show was read" in notes["c"]
    assert "no known official website" in notes["d"] and "robots.txt" in notes["e"]
    assert "could not be reached" in notes["f"]
    # A certified Platinum city whose evidence went unread: its low figures are explained, not left as decline.
    assert notes["g"] == "certified Platinum: no next tier"
    assert "not observed" in notes["h"] and "only 13% of what public evidence could show was read" in notes["h"]
    # The thresholds are the run's: a stricter chance moves a target to the longer path.
    strict = outreach_status(index, cities, summaries, min_chance=0.7).set_index(index["geoid"])
    assert strict.loc["a", "outreach_status"] == "longer_path"
    lenient = outreach_status(index, cities, summaries, min_coverage=0.2).set_index(index["geoid"])
    assert lenient.loc["c", "outreach_status"] == "target"


def test_a_note_names_the_portal_the_run_read_instead_of_asking_for_one() -> None:
    """A city not observed whose data portal was read: staff are told the portal is known, not asked to add
    it, and when the website gave the crawl nothing readable, the note says that too."""
    index = _index(a={"coverage": 0.13}, b={"coverage": 0.13}, c={"coverage": 0.13}, d={"coverage": 0.13})
    cities = pd.DataFrame({"geoid": list("abcd"),
                           "website_url": [None, "https://b.gov/", "https://c.gov/", "https://d.gov/"]})
    summaries = pd.DataFrame([{"geoid": g, "stopped_by": "exhausted", "robots_blocked": 0, "pages_ok": n}
                              for g, n in (("b", 0), ("c", 1), ("d", 40))])
    portals = pd.DataFrame([{"geoid": "a", "portal_host": "data.a.gov", "credited": True},
                            {"geoid": "b", "portal_host": "data.b.gov", "credited": True},
                            {"geoid": "c", "portal_host": "opendata.c.gov", "credited": False}])
    notes = outreach_status(index, cities, summaries, portals=portals).set_index(index["geoid"])["outreach_note"]
    assert "data portal (data.a.gov) was read" in notes["a"] and "any data portal" not in notes["a"]
    assert "data portal (data.b.gov) was read" in notes["b"] and "if it has one" not in notes["b"]
    assert "no page it could read" in notes["b"]
    # A portal found but not credited is no portal the city is known to have: the note still asks.
    assert "if it has one" in notes["c"] and "one page it could read" in notes["c"]
    assert notes["d"].endswith("check the website (https://d.gov/) and add the city's data portal if it has one")


def test_a_note_on_a_website_that_could_not_be_read_names_the_address_and_its_answer() -> None:
    """Cedar Falls, NJ (home page 404) and Pine Hollow, NH (500) said "check the website, which gave the crawl
    no page it could read" with neither the address nor what it answered: each note now names both."""
    index = _index(a={"coverage": 0.13}, b={"coverage": 0.13}, c={"coverage": 0.13}, d={"coverage": 0.13},
                   e={"coverage": 0.13})
    cities = pd.DataFrame({"geoid": list("abcde"), "website_url": [f"https://{g}.gov/" for g in "abcde"]})
    summaries = pd.DataFrame([
        {"geoid": "a", "stopped_by": "exhausted", "robots_blocked": 0, "pages_ok": 0, "seed_url": "https://www.a.gov/"},
        {"geoid": "b", "stopped_by": "exhausted", "robots_blocked": 0, "pages_ok": 0, "seed_url": "https://b.gov/"},
        {"geoid": "c", "stopped_by": "seed_unreachable", "robots_blocked": 0, "pages_ok": 0,
         "seed_url": "https://c.gov/"},
        {"geoid": "d", "stopped_by": "exhausted", "robots_blocked": 0, "pages_ok": 1, "seed_url": "https://d.gov/"},
        {"geoid": "e", "stopped_by": "exhausted", "robots_blocked": 0, "pages_ok": 0, "seed_url": "https://e.gov/"}])
    homepages = pd.DataFrame([
        {"geoid": "a", "url": "https://www.a.gov/", "outcome": "http_error", "status": 404},
        {"geoid": "b", "url": "https://b.gov/", "outcome": "http_error", "status": 500},
        {"geoid": "c", "url": "https://c.gov/", "outcome": "timeout", "status": None},
        {"geoid": "d", "url": "https://d.gov/", "outcome": "ok", "status": 200}])
    notes = outreach_status(index, cities, summaries, homepages=homepages).set_index(index["geoid"])["outreach_note"]
    assert "no page it could read (404 Not Found at https://www.a.gov/)" in notes["a"], notes["a"]
    assert "no page it could read (500 Internal Server Error at https://b.gov/)" in notes["b"], notes["b"]
    assert notes["c"].startswith("its website (https://c.gov/) could not be reached this month (no answer in time)")
    assert "the website (https://d.gov/), which gave the crawl one page it could read" in notes["d"]
    assert "no page it could read (https://e.gov/)" in notes["e"], "no home page row: the address still"


def test_a_city_with_the_points_but_not_the_core_criteria_is_told_so_in_words() -> None:
    from warehouse.index.scoring import _core_blockers

    cores = [k for k, core in enumerate(MODEL.structure.core) if core]
    earned = np.full((2, len(MODEL.ids)), 0.9)
    earned[0, cores[:2]] = 0.1                       # city 0: enough points, two core criteria missing
    earned[1, cores[:2]] = 0.1
    expected = np.array([MODEL.needed["silver"] + 2.0, MODEL.needed["silver"] - 5.0])   # city 1: points short
    blocked = _core_blockers(MODEL, earned, expected, ["silver", "silver"])
    assert blocked == [", ".join(MODEL.ids[k] for k in cores[:2]), None]
    index = _index(a={"blocked_by_core": blocked[0], "p_next_tier_if_gaps_closed": 0.7},
                   b={"blocked_by_core": blocked[0], "p_next_tier_if_gaps_closed": 0.05})
    cities = pd.DataFrame({"geoid": ["a", "b"], "website_url": ["https://a.gov/", "https://b.gov/"]})
    out = outreach_status(index, cities, pd.DataFrame()).set_index(index["geoid"])
    assert out["outreach_status"].to_dict() == {"a": "target", "b": "longer_path"}
    assert out.loc["a", "outreach_note"].startswith(f"has the points for Silver but is blocked by core criteria "
                                                    f"{blocked[0]}")


def test_gaps_shown_are_the_ones_that_move_the_odds_by_a_point_or_are_core() -> None:
    from warehouse.index.outreach import MIN_GAP_GAIN, gap_matters, mark_gaps, shown_gaps

    assert MIN_GAP_GAIN == 0.01
    gaps = [{"criterion_id": "EVAL2", "tier_gain": 0.25, "core": False},
            {"criterion_id": "DM1", "tier_gain": 0.0, "core": True},          # core: shown whatever it gains
            {"criterion_id": "DM9", "tier_gain": 0.0099, "core": False},      # just under a point: hidden
            {"criterion_id": "PA4", "tier_gain": 0.01, "core": False}]        # exactly a point: shown
    assert [gap_matters(g) for g in gaps] == [True, True, False, True]
    marked = json.loads(mark_gaps([json.dumps(gaps), None])[0])
    assert [g["criterion_id"] for g in shown_gaps(marked)] == ["EVAL2", "DM1", "PA4"]
    assert mark_gaps([None]) == ["[]"]
    # The threshold is the run's: a stricter one hides more, never a core criterion.
    strict = json.loads(mark_gaps([json.dumps(gaps)], min_gain=0.3)[0])
    assert [g["criterion_id"] for g in shown_gaps(strict)] == ["DM1"]
    # Rows written before the mark existed show every gap.
    assert len(shown_gaps(gaps)) == 4
    # Scoring says which gaps are core, from the catalog.
    values = np.zeros(len(SIGNALS))
    values[SIGNALS.index("open_data_portal")] = 0.9
    _, index = score(CITY, *_frames(values), MODEL)
    scored = json.loads(index["top_gaps"].iloc[0])
    assert scored and all(g["core"] == (g["criterion_id"] in MODEL.cores) for g in scored)


def test_core_gating_is_said_in_words_with_ids_and_names() -> None:
    from warehouse.index.outreach import core_gating

    names = {"DM1": "Implementing Data Strategy and Governance", "LC1": "Data Leadership"}
    assert core_gating("DM1, LC1", "silver") == "has the points for Silver but is blocked by core criteria DM1, LC1"
    assert core_gating("DM1, LC1", "gold", names) == (
        "has the points for Gold but is blocked by core criteria DM1 (Implementing Data Strategy and Governance), "
        "LC1 (Data Leadership)")
    index = _index(a={"blocked_by_core": "DM1, LC1", "p_next_tier_if_gaps_closed": 0.7})
    cities = pd.DataFrame({"geoid": ["a"], "website_url": ["https://a.gov/"]})
    note = outreach_status(index, cities, pd.DataFrame(), names=names)["outreach_note"].iloc[0]
    assert note.startswith("has the points for Silver but is blocked by core criteria DM1 (Implementing Data "
                           "Strategy and Governance), LC1 (Data Leadership): every tier needs them")


def _why_frames() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Three cities: a target with a portal, website evidence and two gaps that matter (one core) and one
    that does not; a target blocked by a core criterion with nothing published; a city not observed."""
    gaps = [{"criterion_id": "EVAL2", "name": "Program Evaluation Results", "tier_gain": 0.2, "core": False,
             "training_topic": "evaluation", "matters": True},
            {"criterion_id": "LC1", "name": "Data Leadership", "tier_gain": 0.05, "core": True,
             "training_topic": "performance_management", "matters": True},
            {"criterion_id": "RDC7", "name": "Contract Data Sharing", "tier_gain": 0.001, "core": False,
             "training_topic": "results_driven_contracting", "matters": False}]
    index = pd.DataFrame([
        {"geoid": "a", "next_tier": "silver", "outreach_status": "target", "blocked_by_core": None,
         "top_gaps": json.dumps(gaps)},
        {"geoid": "b", "next_tier": "gold", "outreach_status": "target", "blocked_by_core": "DM1",
         "top_gaps": json.dumps([{**gaps[0], "criterion_id": "EVAL1", "name": "Evaluation Policy"}])},
        {"geoid": "c", "next_tier": "silver", "outreach_status": "not_observed", "blocked_by_core": None,
         "top_gaps": json.dumps(gaps)}])
    evidence = pd.DataFrame([
        {"geoid": "a", "kind": "performance_reporting", "confidence": 0.8, "url": "https://a.example/stat"},
        {"geoid": "a", "kind": "performance_reporting", "confidence": 0.95, "url": "https://a.example/dashboard"},
        {"geoid": "a", "kind": "open_data_portal", "confidence": 0.9, "url": "https://a.example/open-data"},
        {"geoid": "a", "kind": "evaluation", "confidence": 0.3, "url": "https://a.example/weak"},   # too weak
        {"geoid": "c", "kind": "open_data_policy", "confidence": 0.9, "url": "https://c.example/policy"}])
    portals = pd.DataFrame([
        {"geoid": "a", "portal_host": "data.a.example", "credited": True, "dataset_count": 240},
        {"geoid": "a", "portal_host": "county.example", "credited": False, "dataset_count": 900}])
    return index, evidence, portals


def test_why_call_names_what_a_city_publishes_lacks_and_the_training_that_fits() -> None:
    from warehouse.index.why_call import CatalogText, why_call_columns

    index, evidence, portals = _why_frames()
    text = CatalogText(names={"DM1": "Implementing Data Strategy and Governance"},
                       topic_of={"DM1": "data_governance"},
                       topics={"evaluation": "Evaluation", "performance_management": "Performance management",
                               "data_governance": "Data governance"})
    out = why_call_columns(index, evidence, portals, text).set_index(index["geoid"])
    assert out.loc["a", "why_call"] == (
        "Publishes an open data portal (data.a.example, 240 datasets) and performance reports; lacks core "
        "criterion LC1 (Data Leadership); also lacks EVAL2 (Program Evaluation Results); NLC training that "
        "fits: Performance management and Evaluation.")
    links = json.loads(out.loc["a", "why_call_links"])
    assert links == [{"what": "open data portal (data.a.example)", "url": "https://data.a.example/"},
                     {"what": "open data page on its website", "url": "https://a.example/open-data"},
                     {"what": "performance reporting", "url": "https://a.example/dashboard"}]
    assert "county.example" not in out.loc["a", "why_call"] and "RDC7" not in out.loc["a", "why_call"]
    assert out.loc["b", "why_call"] == (
        "No published data practice found on its website or data portal yet; has the points for Gold but is "
        "blocked by core criterion DM1 (Implementing Data Strategy and Governance); also lacks EVAL1 (Evaluation "
        "Policy); NLC training that fits: Data governance and Evaluation.")
    assert json.loads(out.loc["b", "why_call_links"]) == []
    assert out.loc["c", "why_call"] is None and out.loc["c", "why_call_links"] is None
    # Deterministic: the same rows in another order give the same sentences.
    again = why_call_columns(index, evidence.iloc[::-1], portals.iloc[::-1], text).set_index(index["geoid"])
    assert again.equals(out)


def test_why_call_reads_names_and_topics_from_the_catalog() -> None:
    from sources.evidence.classify import KINDS
    from warehouse.index.why_call import KIND_PHRASES, CatalogText, why_call

    assert set(KIND_PHRASES) == set(KINDS)     # every evidence kind can be named
    text = CatalogText.from_catalog(MODEL.catalog)
    by_id = MODEL.catalog.by_id()
    gap = {"criterion_id": "DM1", "name": by_id["DM1"].name, "core": True, "tier_gain": 0.3,
           "training_topic": by_id["DM1"].training_topic}
    sentence, _ = why_call([], [gap], "silver", None, text)
    assert f"core criterion DM1 ({by_id['DM1'].name})" in sentence
    assert MODEL.catalog.training_topics[by_id["DM1"].training_topic] in sentence
    sentence, _ = why_call([], [], "silver", None, text)
    assert sentence.endswith("; no single practice it is missing would raise its chance of Silver by 1 percentage "
                             "point or more.")


def test_a_core_criterion_more_likely_than_not_but_unproven_is_the_gap_to_confirm() -> None:
    """Staff found LC1 at 0.52-0.69 for most targets, never listed as a gap (gaps were below 0.5 only), though
    making it certain added 21 points to P(Silver), and a city with an empty gap list read 'no single
    criterion would raise its odds'. A core criterion below 0.9 is now a gap to confirm, worded as such; a
    criterion no public page can show is one to confirm with the city, not one the city 'lacks'."""
    from warehouse.index.outreach import mark_gaps
    from warehouse.index.why_call import CatalogText, why_call

    priors = np.full(len(MODEL.ids), 0.55)   # short of Silver: its next tier is Silver under either rule
    priors[MODEL.ids.index("LC1")] = 0.55
    priors[[MODEL.ids.index("DM1"), MODEL.ids.index("PA1")]] = 0.97
    model = MODEL.adjusted(weights=MODEL.weights, priors=priors)
    _, city = score(CITY, *_frames(np.zeros(len(SIGNALS))), model)
    gaps = json.loads(mark_gaps(city["top_gaps"])[0])
    first = gaps[0]
    assert (first["criterion_id"], first["confirm"], first["core"]) == ("LC1", True, True)
    assert first["tier_gain"] > 0.1 and all(not g["confirm"] for g in gaps[1:])
    sentence, _ = why_call([], gaps, city["next_tier"].iloc[0], None, CatalogText.from_catalog(model.catalog))
    # LC1 at its best from public evidence stays under 0.9 (scoring.closable_by_web): to confirm with the city.
    assert first["closable"] is False
    assert "to confirm with the city (public web evidence cannot show it): core criterion LC1" in sentence
    assert "lacks LC1" not in sentence and "shown core criterion LC1" not in sentence
    closable_core = {**first, "criterion_id": "PA1", "name": "Performance Management", "closable": True}
    sentence, _ = why_call([], [closable_core], "silver", None, CatalogText.from_catalog(model.catalog))
    assert "has not clearly shown core criterion PA1 (Performance Management), which every tier needs" in sentence
    unobservable = next(c for c in MODEL.catalog.criteria if c.observable == "none")
    ask = {"criterion_id": unobservable.id, "name": unobservable.name, "core": False, "confirm": False,
           "observable": False, "tier_gain": 0.05, "training_topic": unobservable.training_topic}
    sentence, _ = why_call([], [ask], "silver", None, CatalogText.from_catalog(model.catalog))
    assert f"to confirm with the city (public web evidence cannot show it): {unobservable.id}" in sentence
    assert "lacks" not in sentence


def test_a_website_unknown_because_its_sources_failed_is_not_a_city_without_one() -> None:
    """Both lists of city websites down: every city read 'no known official website: confirm the city's
    site', and staff would have called each city about a site that exists. The note names the outage."""
    index = _index(a={"coverage": 0.0}, b={"coverage": 0.0})
    cities = pd.DataFrame({"geoid": ["a", "b"], "website_url": [None, None],
                           "website_lookup": ["uscityurl: timeout; wikidata: http_error", "ok"]})
    notes = outreach_status(index, cities, pd.DataFrame()).set_index(index["geoid"])["outreach_note"]
    assert "could not be read (uscityurl: timeout; wikidata: http_error)" in notes["a"]
    assert "no known official website" not in notes["a"] and "need not be asked" in notes["a"]
    assert notes["b"].startswith("no known official website"), "every source read: the city has none listed"


def test_why_call_says_which_criteria_staff_corrections_decide() -> None:
    """Staff recorded PA1 not met (the dashboard was a vendor's demo); the city then ranked first and its
    sentence still read 'Publishes performance reports' with no word of the correction."""
    from warehouse.index.why_call import CatalogText, why_call_columns

    index = pd.DataFrame([{"geoid": "a", "outreach_status": "target", "next_tier": "silver",
                           "blocked_by_core": None, "top_gaps": "[]"},
                          {"geoid": "b", "outreach_status": "target", "next_tier": "silver",
                           "blocked_by_core": None, "top_gaps": "[]"}])
    evidence = pd.DataFrame([{"geoid": "a", "kind": "performance_reporting", "confidence": 0.9,
                              "url": "https://a.example/dashboard"}])
    attested = pd.DataFrame([{"geoid": "a", "criterion_id": "PA1", "met": False},
                             {"geoid": "a", "criterion_id": "DM1", "met": True}])
    out = why_call_columns(index, evidence, pd.DataFrame(), CatalogText.from_catalog(MODEL.catalog),
                           attested=attested)
    assert out["why_call"].iloc[0].startswith("Publishes performance reports; staff corrections decide DM1 (met) "
                                              "and PA1 (not met)")
    assert "staff corrections" not in out["why_call"].iloc[1]
