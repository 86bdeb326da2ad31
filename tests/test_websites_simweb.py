"""Settling a city's website against the simulated web: when no candidate answers, the one whose host is
alive wins, and the city's home page row is that candidate's fetch.

The real fetcher asks the simulated web (tests/simweb); a stale address is a host the simulated web does
not know (it answers 404, as a parked or abandoned name would), an unresolvable one is under ``.invalid``
(real DNS, which never resolves it), and the live site keeps crawlers out with its robots.txt.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sources.homepages import settle_homepages
from sources.http.fetcher import Fetcher
from sources.http.fetchlog import read_fetch_logs
from sources.websites import city_websites, website_candidates
from tests.simweb.faults import ROBOTS_PATH, FaultPlan
from tests.simweb.population import build_population
from tests.simweb.server import SimWeb

POP = build_population(12, seed=11)
CITY = next(c for c in POP.cities if c.website_host)
DEAD = {"stale": (f"https://www.{CITY.slug}-old.example/", "http_error", 404),
        "unresolvable": (f"https://www.{CITY.slug}.invalid/", "dns_error", None)}


def _settle(tmp_path: Path, listed: str, wikidata: str, faults: FaultPlan) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Home pages and settled candidates of CITY, UScityURL listing ``listed`` (the precedence choice, as
    the cities asset sets it) and Wikidata ``wikidata``."""
    candidates = website_candidates({"uscityurl": pd.DataFrame({"geoid": [CITY.geoid], "website_url": [listed]}),
                                     "wikidata": pd.DataFrame({"geoid": [CITY.geoid], "website_url": [wikidata]})})
    assert candidates["disagreement"].all(), "two domains: both are fetched"
    cities = pd.DataFrame({"geoid": [CITY.geoid], "website_url": [listed]})
    with SimWeb(POP, faults=faults) as sim, Fetcher(sim.fetcher_config(read_timeout_s=2.0, backoff_base_s=0.01),
                                                    run_dir=tmp_path) as fetcher:
        return settle_homepages(fetcher, cities, candidates)


@pytest.mark.parametrize("dead", sorted(DEAD))
def test_a_live_site_that_refuses_crawlers_beats_a_dead_listed_address(tmp_path: Path, dead: str) -> None:
    """UScityURL (first by precedence) lists an address that is gone; Wikidata names the city's live site,
    whose robots.txt keeps crawlers out. Neither answered, and the live site is the city's website."""
    listed, outcome, status = DEAD[dead]
    faults = FaultPlan().add(CITY.website_host or "", "robots_disallow", path=ROBOTS_PATH)
    homepages, settled = _settle(tmp_path, listed, CITY.website or "", faults)
    assert len(homepages) == 1
    home = homepages.iloc[0]
    assert (home["geoid"], home["url"], home["outcome"]) == (CITY.geoid, CITY.website, "robots_disallowed")
    rows = settled.set_index("source")
    assert rows["answered"].astype(object).to_dict() == {"uscityurl": False, "wikidata": False}
    assert rows["winner"].to_dict() == {"uscityurl": False, "wikidata": True}
    assert rows.loc["wikidata", "settled_by"] == "liveness"
    city = city_websites(settled).iloc[0]
    assert (city["website_url"], city["website_source"], city["website_settlement"]) == (
        CITY.website, "wikidata", "unanswered_alive")
    assert _logged(tmp_path)[listed] == (outcome, status), "the listed address really is dead"


def test_when_every_candidate_is_dead_precedence_decides(tmp_path: Path) -> None:
    """A 404 at the listed address and a name that does not resolve: both dead, so the precedence choice
    stands, and the home page row is its fetch."""
    listed, wikidata = DEAD["stale"][0], DEAD["unresolvable"][0]
    homepages, settled = _settle(tmp_path, listed, wikidata, FaultPlan())
    home = homepages.iloc[0]
    assert (home["url"], home["outcome"], home["status"]) == (listed, "http_error", 404)
    rows = settled.set_index("source")
    assert rows["winner"].to_dict() == {"uscityurl": True, "wikidata": False}
    assert rows.loc["uscityurl", "settled_by"] == "precedence"
    assert city_websites(settled).iloc[0]["website_settlement"] == "unanswered"
    assert _logged(tmp_path)[wikidata] == ("dns_error", None)


def _logged(run_dir: Path) -> dict[str, tuple[str, int | None]]:
    """URL -> (outcome, status) of every fetch the run logged."""
    return {row["url"]: (row["outcome"], row.get("status")) for row in read_fetch_logs(run_dir)}
