"""The WWC partner cities: read from cohort announcements in their real layouts, only the cities named as
joining, matched to the universe; an unreadable announcement is recorded, not read as "no partners"."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sources.http.fetcher import Fetcher
from sources.partners import (
    Announcement,
    fetch_partners,
    load_announcements,
    match_partners,
    parse_announcement,
)
from tests.simweb.faults import FaultPlan
from tests.simweb.formats import partners as sim_partners
from tests.simweb.population import build_population
from tests.simweb.server import SimWeb

FIXTURES = Path(__file__).parent / "fixtures" / "partners"


def _read(name: str) -> list[tuple[str, str]]:
    return parse_announcement((FIXTURES / name).read_text(encoding="utf-8"))


def test_press_release_lists_the_cohort_and_nothing_else() -> None:
    got = _read("press_release.html")
    assert got == [("Baton Rouge", "LA"), ("Cary", "NC"), ("Fayetteville", "NC"), ("Hayward", "CA"),
                   ("Winston-Salem", "NC")]
    # Not partners: the dateline, a city quoted in passing, the office address, a script's string.
    assert ("Austin", "TX") not in got and ("Washington", "DC") not in got and ("Fresno", "CA") not in got


def test_blog_post_with_state_names_and_headings() -> None:
    got = _read("blog_post.html")
    assert set(got) == {("Athens", "GA"), ("Chula Vista", "CA"), ("Colorado Springs", "CO"),
                        ("Gainesville", "FL"), ("Palmdale", "CA")}
    assert ("Denver", "CO") not in got


def test_news_story_with_a_long_list_of_state_names() -> None:
    got = _read("news_story.html")
    assert len(got) == 13 and ("Saint Paul", "MN") in got and ("San Francisco", "CA") in got
    assert got[0] == ("Anchorage", "AK") and got[-1] == ("Waco", "TX")


@pytest.mark.parametrize("html", ["", "<html><body><h1>Page not found</h1></body></html>",
                                  "<html><body><p>Offices in Austin, TX and Denver, Colorado.</p></body></html>"])
def test_pages_naming_no_cohort_give_nothing(html: str) -> None:
    assert parse_announcement(html) == []


def test_announcement_list_is_well_formed() -> None:
    announcements = load_announcements()
    assert len(announcements) >= 6 and len({a.url for a in announcements}) == len(announcements)
    assert all(a.url.startswith(("http://", "https://")) and a.announced is not None for a in announcements)


@pytest.mark.slow
def test_partners_from_the_simulated_web_match_the_answer_key_and_survive_a_broken_page(tmp_path) -> None:
    pop = build_population(90, seed=11)
    key = sim_partners.cohorts(pop)
    broken = next(iter(key))
    host, path = broken.split("/")[2], "/" + broken.split("/", 3)[3]
    faults = FaultPlan().add(host, "http_500", path)
    cities = pd.DataFrame([{"geoid": c.geoid, "name": c.name, "state_abbr": c.state_abbr} for c in pop.cities])
    with SimWeb(pop, seed=11, faults=faults) as sim, Fetcher(sim.fetcher_config(), run_dir=tmp_path) as f:
        read = fetch_partners(f)
    assert read.outcomes[broken] == "http_error"
    assert all(read.outcomes[u] == "ok" for u in key if u != broken)
    frame = match_partners(read, cities)
    expected = {c.geoid for u, group in key.items() if u != broken for c in group}
    assert set(frame["geoid"].dropna()) == expected
    assert (frame["match"] == "name_state").all()


def test_matching_keeps_unknown_cities_and_the_first_announcement() -> None:
    from sources.partners import PartnerRead

    early, late = Announcement("https://a.example/1", None), Announcement("https://a.example/2", None)
    read = PartnerRead(rows=[{"city": "Alder Falls", "state": "OH", "announced": "2016-01-01", "url": early.url},
                             {"city": "Nowhere", "state": "OH", "announced": "2016-01-01", "url": early.url},
                             {"city": "Alder Falls", "state": "OH", "announced": "2017-05-01", "url": late.url}])
    cities = pd.DataFrame([{"geoid": "3900001", "name": "Alder Falls", "state_abbr": "OH"}])
    frame = match_partners(read, cities).set_index("city")
    assert frame.loc["Alder Falls", "url"] == early.url and frame.loc["Alder Falls", "geoid"] == "3900001"
    assert frame.loc["Nowhere", "match"] == "not_in_universe" and pd.isna(frame.loc["Nowhere", "geoid"])
