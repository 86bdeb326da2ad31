"""Outreach semantics NLC staff act on: a certified tier is a floor, cities not observed are listed apart
with what to check, and ranked targets need a real chance of their next tier."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

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


def _index(**rows: dict) -> pd.DataFrame:
    base = {"next_tier": "silver", "p_next_tier": 0.3, "p_next_tier_if_gaps_closed": 0.6, "coverage": 0.9}
    return pd.DataFrame([{"geoid": g, **base, **r} for g, r in rows.items()])


def test_only_observed_cities_with_a_real_chance_are_ranked_and_the_rest_say_why() -> None:
    index = _index(a={}, b={"p_next_tier_if_gaps_closed": 0.1}, c={"coverage": 0.3}, d={}, e={}, f={},
                   g={"next_tier": None})
    cities = pd.DataFrame({"geoid": list("abcdefg"),
                           "website_url": ["https://a.gov/", "https://b.gov/", "https://c.gov/", None,
                                           "https://e.gov/", "https://f.gov/", "https://g.gov/"]})
    summaries = pd.DataFrame([
        {"geoid": "e", "stopped_by": "seed_unreachable", "robots_blocked": 1},
        {"geoid": "f", "stopped_by": "seed_unreachable", "robots_blocked": 0},
        {"geoid": "a", "stopped_by": "max_pages", "robots_blocked": 3}])
    out = outreach_status(index, cities, summaries).set_index(index["geoid"])
    assert out["outreach_status"].to_dict() == {"a": "target", "b": "longer_path", "c": "not_observed",
                                                "d": "not_observed", "e": "not_observed", "f": "not_observed",
                                                "g": "top_tier"}
    notes = out["outreach_note"]
    assert "60% chance of Silver" in notes["a"] and "below 20%" in notes["b"]
    assert "only 30% of what public evidence could show was read" in notes["c"]
    assert "no known official website" in notes["d"] and "robots.txt" in notes["e"]
    assert "could not be reached" in notes["f"]
    # The thresholds are the run's: a stricter chance moves a target to the longer path.
    strict = outreach_status(index, cities, summaries, min_chance=0.7).set_index(index["geoid"])
    assert strict.loc["a", "outreach_status"] == "longer_path"
    lenient = outreach_status(index, cities, summaries, min_coverage=0.2).set_index(index["geoid"])
    assert lenient.loc["c", "outreach_status"] == "target"


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
