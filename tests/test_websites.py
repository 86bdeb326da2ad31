"""Official websites: the UScityURL parser and URL pinning, and choosing among sources (hand-written inputs).

Every place, GEOID and host below is invented (``*.example`` hosts); the real file is tested in
tests/test_websites_real.py.
"""

from __future__ import annotations

import pandas as pd
import pytest

from sources.http.outcomes import Outcome
from sources.http.result import FetchResult
from sources.websites import (
    CANDIDATE_COLUMNS,
    CITY_WEBSITE_COLUMNS,
    USCITYURL_COLUMNS,
    USCITYURL_COMMIT,
    USCITYURL_URL,
    choose_websites,
    city_websites,
    normalize_website,
    parse_uscityurl,
    settle_websites,
    uscityurl_url,
    uscityurl_websites,
    website_candidates,
    website_domain,
)

HEADER = "GEOID,MUNICIPALITY,STATE,WEBSITE_AVAILABLE,WEBSITE_URL"


def _csv(*lines: str, header: str = HEADER, bom: bool = False, newline: str = "\r\n") -> bytes:
    text = newline.join([header, *lines]) + newline
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


# -- parser ------------------------------------------------------------------------------------------

def test_parse_tolerates_bom_crlf_quoting_blanks_schemes_and_whitespace() -> None:
    data = _csv(
        "1600000US3900101,Alder Falls,Ohio,1,https://www.alderfalls.example/",
        '1600000US0600202,"Birch, Harbor",California,1,http://birchharbor.example',   # quoted comma, no slash
        "1600000US4800303,Cedar Bend,Texas,1,www.cedarbend.example  ",                 # no scheme, trailing spaces
        "1600000US1700404,Dune Park,Illinois,0,",                                      # no website
        "1600000US1700505,Elm Grove,Illinois,1,   ",                                   # flagged, address blank
        "  1600000US2600606 , Fir Lake ,Michigan , 1 , HTTPS://WWW.FIRLAKE.EXAMPLE/Home ",
        "",                                                                            # blank line
        bom=True)
    frame = parse_uscityurl(data)
    assert list(frame.columns) == USCITYURL_COLUMNS
    assert frame.attrs["skipped_rows"] == 0
    rows = {r.geoid: r for r in frame.itertuples(index=False)}
    assert list(rows) == ["3900101", "0600202", "4800303", "1700404", "1700505", "2600606"]  # file order
    assert rows["3900101"].website_url == "https://www.alderfalls.example/"
    assert rows["0600202"].name == "Birch, Harbor"
    assert rows["0600202"].website_url == "http://birchharbor.example/"        # http kept, empty path -> /
    assert rows["4800303"].website_url == "http://www.cedarbend.example/"      # scheme-less read as http
    assert rows["1700404"].website_url is None and rows["1700404"].available is False
    assert rows["1700505"].website_url is None and rows["1700505"].available is True  # has one, address unknown
    assert rows["2600606"].website_url == "https://www.firlake.example/Home"   # scheme/host lower, path kept
    assert rows["2600606"].name == "Fir Lake" and rows["2600606"].state_abbr == "MI"
    assert frame["available"].dtype == bool


def test_parse_geoid_forms_duplicates_and_bad_rows() -> None:
    data = _csv(
        "3900101,Alder Falls,Ohio,1,https://alderfalls.example/",       # bare 7-digit GEOID
        "600202,Birch Harbor,California,1,https://birchharbor.example/",  # leading zero lost by a spreadsheet
        "1600000US3900101,Alder Falls,Ohio,1,https://other.example/",    # repeated GEOID: first row wins
        "1600000US7200707,Gum Town,Puerto Rico,1,https://gum.example/",  # territory: outside the universe
        "0500000US39001,Some County,Ohio,1,https://county.example/",     # not a place GEOID
        "1600000US9900808,Nowhere,Nowhere,1,https://nowhere.example/",   # no such state code
        newline="\n")
    frame = parse_uscityurl(data)
    assert frame["geoid"].tolist() == ["3900101", "0600202"]
    assert frame.loc[0, "website_url"] == "https://alderfalls.example/"
    assert frame.loc[1, "state_abbr"] == "CA"
    assert frame.attrs["skipped_rows"] == 4


def test_parse_flag_rules_and_header_variants() -> None:
    # lower-case header, no WEBSITE_AVAILABLE column: available == an address is given
    data = _csv("1600000US3900101,Alder Falls,Ohio,https://alderfalls.example/",
                "1600000US3900909,Hazel Hill,Ohio,",
                header="geoid,municipality,state,website_url")
    frame = parse_uscityurl(data)
    assert frame["available"].tolist() == [True, False]
    # flagged 0 with an address: the researchers' flag wins, no website
    flagged = parse_uscityurl(_csv("1600000US3900101,Alder Falls,Ohio,0,https://alderfalls.example/"))
    assert flagged.loc[0, "website_url"] is None and not flagged.loc[0, "available"]
    # an unusable address on a flagged row: available, but no URL
    odd = parse_uscityurl(_csv("1600000US3900101,Alder Falls,Ohio,1,mailto:clerk@alderfalls.example"))
    assert odd.loc[0, "website_url"] is None and odd.loc[0, "available"]


def test_parse_latin1_and_empty_table() -> None:
    data = (HEADER + "\n1600000US0801010,Ca\xf1on Town,Colorado,1,https://canontown.example/\n").encode("latin-1")
    frame = parse_uscityurl(data)
    assert frame.loc[0, "name"] == "Ca\u00f1on Town"
    empty = parse_uscityurl(_csv())
    assert empty.empty and list(empty.columns) == USCITYURL_COLUMNS


@pytest.mark.parametrize("body", [b"", b"<html><body>rate limited</body></html>",
                                  b"geoid,name,state_abbr,population\n3900101,Alder Falls,OH,40000\n"])
def test_parse_refuses_what_is_not_uscityurl(body: bytes) -> None:
    with pytest.raises(ValueError):
        parse_uscityurl(body)


@pytest.mark.parametrize(("raw", "expected"), [
    ("https://www.alderfalls.example", "https://www.alderfalls.example/"),
    ("HTTP://AlderFalls.Example:80/Dept/", "http://alderfalls.example/Dept/"),
    ("www.alderfalls.example", "http://www.alderfalls.example/"),
    ("www.alderfalls.example:8080/x", "http://www.alderfalls.example:8080/x"),
    ("//alderfalls.example", "http://alderfalls.example/"),
    ("  https://alderfalls.example/#top  ", "https://alderfalls.example/"),
    ("'https://alderfalls.example/'", "https://alderfalls.example/"),
    ("", None), ("   ", None), (None, None), (float("nan"), None), ("N/A", None), ("none", None),
    ("localhost", None), ("mailto:clerk@alderfalls.example", None), ("javascript:void(0)", None),
    ("ftp://alderfalls.example/", None), ("clerk@alderfalls.example", None), ("alder falls.example", None),
    ("http://", None),
])
def test_normalize_website(raw, expected) -> None:
    assert normalize_website(raw) == expected


@pytest.mark.parametrize(("url", "domain"), [
    ("https://www.alderfalls.example/", "alderfalls.example"),
    ("https://data.ci.alder.oh.us/x", "alder.oh.us"),        # public suffix oh.us
    ("https://www.alder.ca.gov/", "alder.ca.gov"),           # a state's .gov parent is looked through
    ("http://www.ci.birch.ca.gov/", "birch.ca.gov"),
    ("https://www.cedar.utah.gov/", "cedar.utah.gov"),
    ("https://www.ca.gov/", "ca.gov"),                       # the state's own site
    ("https://mayor.dc.gov/", "dc.gov"),                     # DC's city government is dc.gov
    (None, None),
])
def test_website_domain(url, domain) -> None:
    assert website_domain(url) == domain


# -- pinned URL and fetch ----------------------------------------------------------------------------

def test_uscityurl_url_is_pinned_and_overridable() -> None:
    assert USCITYURL_COMMIT.startswith("f533039")  # the commit ../shared/realdata/README.md was checked against
    assert uscityurl_url() == USCITYURL_URL
    assert USCITYURL_URL.endswith(f"/caimeng2/UScityURL/{USCITYURL_COMMIT}/UScityURL.csv")
    assert USCITYURL_URL.startswith("https://raw.githubusercontent.com/")
    assert uscityurl_url("ABCDEF1", "data/list v2.csv") == (
        "https://raw.githubusercontent.com/caimeng2/UScityURL/abcdef1/data/list%20v2.csv")
    for commit in ("main", "HEAD", "f53", "f533039/../x"):
        with pytest.raises(ValueError):
            uscityurl_url(commit)
    for path in ("", "../secrets", "a/../../b"):
        with pytest.raises(ValueError):
            uscityurl_url(USCITYURL_COMMIT, path)


class _StubFetcher:
    """Answers every URL with one prepared result and remembers what was asked."""

    def __init__(self, outcome: Outcome, body: bytes = b"", status: int | None = 200):
        self.outcome, self.body, self.status, self.asked = outcome, body, status, []

    def get(self, url: str, headers=None, **_kw) -> FetchResult:
        self.asked.append(url)
        return FetchResult(url, url, "GET", self.outcome, status=self.status, body=self.body)


def test_uscityurl_websites_reports_failures_as_a_status() -> None:
    good = _StubFetcher(Outcome.OK, _csv("1600000US3900101,Alder Falls,Ohio,1,https://alderfalls.example/"))
    frame, lookup = uscityurl_websites(good)
    assert lookup == "ok" and good.asked == [USCITYURL_URL] and len(frame) == 1
    assert frame.attrs["source_url"] == USCITYURL_URL

    pinned = _StubFetcher(Outcome.OK, _csv())
    uscityurl_websites(pinned, commit="0123abc", path="v2/UScityURL.csv")
    assert pinned.asked == ["https://raw.githubusercontent.com/caimeng2/UScityURL/0123abc/v2/UScityURL.csv"]

    frame, lookup = uscityurl_websites(_StubFetcher(Outcome.DNS_ERROR, status=None))
    assert lookup == "dns_error" and frame.empty and list(frame.columns) == USCITYURL_COLUMNS
    frame, lookup = uscityurl_websites(_StubFetcher(Outcome.HTTP_ERROR, b"Not Found", status=404))
    assert lookup == "http_error" and frame.empty
    frame, lookup = uscityurl_websites(_StubFetcher(Outcome.OK, b"<html>maintenance</html>"))
    assert lookup == "malformed_response" and frame.empty


# -- precedence and disagreements --------------------------------------------------------------------

USER = pd.DataFrame({"geoid": ["3900101"], "website": ["alderfalls-oh.example"]})
USCITYURL = pd.DataFrame({"geoid": ["3900101", "0600202", "4800303", "1700404"],
                          "website_url": ["https://www.alderfalls.example/", "https://birchharbor.example/",
                                          None, "https://www.dunepark.example/"]})
WIKIDATA = pd.DataFrame({"geoid": ["3900101", "0600202", "4800303", "1700404", "2600606"],
                         "website_url": ["http://alderfalls.example/", "https://www.birchharbor.example/home",
                                         "https://cedarbend.example/", "https://dunepark-il.example/",
                                         "not a url"]})


def _candidates() -> pd.DataFrame:
    return website_candidates({"csv": USER, "uscityurl": USCITYURL, "wikidata": WIKIDATA})


def test_candidates_keep_every_source_with_precedence_and_disagreements() -> None:
    cand = _candidates()
    assert list(cand.columns) == CANDIDATE_COLUMNS
    got = {(r.geoid, r.source): (r.url, r.registrable_domain, r.chosen, r.disagreement)
           for r in cand.itertuples(index=False)}
    assert got == {
        # user's list wins; its domain differs from the others' -> a disagreement on every row of the city
        ("3900101", "csv"): ("http://alderfalls-oh.example/", "alderfalls-oh.example", True, True),
        ("3900101", "uscityurl"): ("https://www.alderfalls.example/", "alderfalls.example", False, True),
        ("3900101", "wikidata"): ("http://alderfalls.example/", "alderfalls.example", False, True),
        # www vs bare host, other path: same registrable domain, no disagreement
        ("0600202", "uscityurl"): ("https://birchharbor.example/", "birchharbor.example", True, False),
        ("0600202", "wikidata"): ("https://www.birchharbor.example/home", "birchharbor.example", False, False),
        # UScityURL has no address: Wikidata's is the only candidate
        ("4800303", "wikidata"): ("https://cedarbend.example/", "cedarbend.example", True, False),
        ("1700404", "uscityurl"): ("https://www.dunepark.example/", "dunepark.example", True, True),
        ("1700404", "wikidata"): ("https://dunepark-il.example/", "dunepark-il.example", False, True),
        # an unusable URL is no candidate ("2600606" has none)
    }
    assert cand["chosen"].groupby(cand["geoid"]).sum().eq(1).all()
    assert cand["geoid"].tolist() == sorted(cand["geoid"])  # geoid, then precedence
    assert cand.loc[cand["geoid"] == "3900101", "precedence"].tolist() == [0, 1, 2]


def test_candidates_edge_cases() -> None:
    empty = website_candidates({})
    assert empty.empty and list(empty.columns) == CANDIDATE_COLUMNS
    assert website_candidates({"wikidata": None, "uscityurl": USCITYURL.iloc[0:0]}).empty
    # the same URL repeated in one source counts once; the same URL in two sources is two candidates
    same = website_candidates({"uscityurl": pd.DataFrame({"geoid": ["1", "1"], "url": ["x.example", "X.example/"]}),
                               "wikidata": pd.DataFrame({"geoid": ["1"], "url": ["http://x.example/"]})})
    assert same["source"].tolist() == ["uscityurl", "wikidata"] and not same["disagreement"].any()
    with pytest.raises(ValueError, match="unknown website source"):
        website_candidates({"dbpedia": USER})
    with pytest.raises(ValueError, match="no geoid"):
        website_candidates({"csv": pd.DataFrame({"website": ["a.example"]})})
    # a different precedence (e.g. a setting that trusts Wikidata over UScityURL) changes the choice
    flipped = website_candidates({"uscityurl": USCITYURL, "wikidata": WIKIDATA},
                                 precedence=("csv", "wikidata", "uscityurl"))
    assert flipped.loc[flipped["chosen"] & (flipped["geoid"] == "1700404"), "source"].item() == "wikidata"


# -- settling by home-page fetch ---------------------------------------------------------------------

def test_settle_answering_candidate_wins_and_moves_are_labelled() -> None:
    cand = _candidates()
    fetches = pd.DataFrame([
        # Alder Falls: the user's address is dead; UScityURL's answers (same domain after redirect)
        {"url": "http://alderfalls-oh.example/", "final_url": "http://alderfalls-oh.example/", "ok": False},
        {"url": "https://www.alderfalls.example/", "final_url": "https://www.alderfalls.example/home", "ok": True},
        {"url": "http://alderfalls.example/", "final_url": "https://www.alderfalls.example/", "ok": True},
        # Birch Harbor: the chosen site now redirects to another domain -> a move
        {"url": "https://birchharbor.example/", "final_url": "https://www.birchharbor-ca.example/", "ok": True},
        # Dune Park: nothing answers -> the precedence choice stands
        {"url": "https://www.dunepark.example/", "final_url": "https://www.dunepark.example/", "ok": False},
        {"url": "https://dunepark-il.example/", "final_url": "https://dunepark-il.example/", "ok": False},
        # Cedar Bend: not fetched at all
    ])
    settled = settle_websites(cand, fetches)
    win = settled[settled["winner"]].set_index("geoid")
    assert settled["winner"].groupby(settled["geoid"]).sum().eq(1).all()
    assert win["settled_by"].to_dict() == {"0600202": "answered", "1700404": "precedence", "3900101": "answered",
                                           "4800303": "precedence"}
    assert win.loc["3900101", "source"] == "uscityurl"           # higher precedence did not answer
    assert not win.loc["3900101", "moved"]
    assert win.loc["0600202", "source"] == "uscityurl" and win.loc["0600202", "moved"]
    assert win.loc["0600202", "final_domain"] == "birchharbor-ca.example"
    answered = win["answered"].astype(object).to_dict()
    assert win.loc["1700404", "source"] == "uscityurl" and answered["1700404"] is False
    assert win.loc["4800303", "source"] == "wikidata" and pd.isna(answered["4800303"])
    wikidata_alder = settled[(settled["geoid"] == "3900101") & (settled["source"] == "wikidata")].iloc[0]
    assert wikidata_alder["answered"] and not wikidata_alder["moved"] and not wikidata_alder["winner"]

    cities = city_websites(settled)
    assert list(cities.columns) == CITY_WEBSITE_COLUMNS
    by = cities.set_index("geoid")
    assert by.loc["3900101", ["website_url", "website_source", "website_candidates", "website_disagreement",
                              "website_settlement", "website_final_url", "website_moved"]].tolist() == [
        "https://www.alderfalls.example/", "uscityurl", 3, True, "answered", "https://www.alderfalls.example/home",
        False]
    assert by.loc["0600202", "website_settlement"] == "answered" and by.loc["0600202", "website_moved"]
    assert by.loc["1700404", "website_settlement"] == "unanswered"
    assert by.loc["1700404", "website_url"] == "https://www.dunepark.example/"
    assert by.loc["4800303", "website_settlement"] == "not_fetched"
    assert pd.isna(by.loc["4800303", "website_final_url"])


def test_settle_reads_homepage_outcomes_and_unnormalised_urls() -> None:
    cand = website_candidates({"uscityurl": USCITYURL, "wikidata": WIKIDATA})
    # the shape of city_homepages: url / final_url / outcome, URLs as the fetcher reported them
    homepages = pd.DataFrame({
        "url": ["https://WWW.DUNEPARK.example", "https://dunepark-il.example/"],
        "final_url": ["https://www.dunepark.example/", "https://dunepark-il.example/"],
        "outcome": [Outcome.TIMEOUT.value, Outcome.NOT_MODIFIED.value]})
    settled = settle_websites(cand, homepages)
    dune = settled[settled["geoid"] == "1700404"].set_index("source")
    assert dune["answered"].astype(object).to_dict() == {"uscityurl": False, "wikidata": True}
    assert dune.loc["wikidata", "winner"] and not dune.loc["uscityurl", "winner"]
    # no fetches: the precedence choice everywhere
    assert settle_websites(cand, None)["winner"].equals(cand["chosen"])
    assert set(city_websites(cand)["website_settlement"]) == {"not_fetched"}
    with pytest.raises(ValueError, match="ok or an outcome"):
        settle_websites(cand, pd.DataFrame({"url": ["https://x.example/"]}))
    empty = city_websites(website_candidates({}))
    assert empty.empty and list(empty.columns) == CITY_WEBSITE_COLUMNS


def test_choose_websites_takes_the_best_source_and_says_which() -> None:
    """A city list beats UScityURL beats Wikidata; Wikidata's own match method is kept when it wins; a city
    no source knows is unknown while a source could not be read, absent once every source was read."""
    cities = pd.DataFrame({
        "geoid": ["0100001", "0100002", "0100003", "0100004"],
        "website_url": ["https://wd-one.example/", "https://wd-two.example/", "https://wd-three.example/", None],
        "website_match": ["fips", "name", "fips", "none"],
        "website": ["https://given.example/", None, None, None]})
    uscity = pd.DataFrame({"geoid": ["0100001", "0100002", "0999999"],
                           "website_url": ["https://list-one.example/", "https://wd-two.example/",
                                           "https://elsewhere.example/"]})
    sources = {"csv": cities[["geoid", "website"]], "uscityurl": uscity,
               "wikidata": cities[["geoid", "website_url"]]}
    out, candidates = choose_websites(cities, sources, lookups={"uscityurl": "ok", "wikidata": "timeout"})
    assert out["website_url"].tolist() == ["https://given.example/", "https://wd-two.example/",
                                           "https://wd-three.example/", None]
    assert out["website_match"].tolist() == ["csv", "uscityurl", "fips", "none"]
    assert out["website_lookup"].tolist() == ["ok", "ok", "ok", "wikidata: timeout"]
    assert "0999999" not in set(candidates["geoid"]), "candidates of places outside the run are dropped"
    one = candidates[candidates["geoid"] == "0100001"]
    assert one["source"].tolist() == ["csv", "uscityurl", "wikidata"] and one["disagreement"].all()
    assert not candidates.loc[candidates["geoid"] == "0100002", "disagreement"].any(), "same site twice agrees"
    settled, _ = choose_websites(cities, sources, lookups={"uscityurl": "ok", "wikidata": "ok"})
    assert settled["website_lookup"].tolist() == ["ok"] * 4, "every source read: no website means none"


# -- settling when no candidate answers: the host that looks alive beats a dead address --------------

DUNE_LISTED, DUNE_WIKIDATA = "https://www.dunepark.example/", "https://dunepark-il.example/"


def _dune(listed: tuple[str, int | None], wikidata: tuple[str, int | None]) -> pd.DataFrame:
    """Settled candidates of Dune Park (UScityURL first, Wikidata second; different domains) from two
    fetches in the shape settle_homepages gives: url, final_url, outcome, status."""
    cand = website_candidates({"uscityurl": USCITYURL, "wikidata": WIKIDATA})
    fetches = pd.DataFrame({"url": [DUNE_LISTED, DUNE_WIKIDATA], "final_url": [DUNE_LISTED, DUNE_WIKIDATA],
                            "outcome": [listed[0], wikidata[0]], "status": [listed[1], wikidata[1]]})
    return settle_websites(cand, fetches)


def _winner(settled: pd.DataFrame, geoid: str = "1700404") -> tuple[str, str]:
    """(source, settled_by) of a city's winner, checking there is exactly one."""
    win = settled[settled["winner"] & (settled["geoid"] == geoid)]
    assert len(win) == 1
    return win["source"].item(), win["settled_by"].item()


@pytest.mark.parametrize("dead", [("dns_error", None), ("http_error", 404), ("http_error", 410),
                                  ("blocked_address", None), ("invalid_url", None)])
@pytest.mark.parametrize("alive", [("robots_disallowed", None), ("http_error", 503), ("http_error", 429),
                                   ("http_error", 403), ("too_large", 200), ("timeout", None)])
def test_settle_none_answered_a_live_host_beats_a_dead_address(dead, alive) -> None:
    """UScityURL's address is dead (no such name, 404...); Wikidata's site is there but could not be read
    (robots.txt keeps us out, 5xx, 429...): the live site is the city's website, not the dead one."""
    settled = _dune(dead, alive)
    by = city_websites(settled).set_index("geoid")
    assert by.loc["1700404", ["website_url", "website_source", "website_settlement"]].tolist() == [
        DUNE_WIKIDATA, "wikidata", "unanswered_alive"]
    assert _winner(settled) == ("wikidata", "liveness")
    dune = settled[settled["geoid"] == "1700404"].set_index("source")
    assert dune["answered"].astype(object).to_dict() == {"uscityurl": False, "wikidata": False}
    assert dune["final_url"].isna().all() and not dune["moved"].any()
    assert pd.isna(dune.loc["uscityurl", "settled_by"])


def test_settle_none_answered_a_server_that_answered_beats_one_that_did_not() -> None:
    """robots.txt refused us: the server answered. A timeout: nothing came back. The first wins."""
    assert _winner(_dune(("timeout", None), ("robots_disallowed", None))) == ("wikidata", "liveness")
    assert _winner(_dune(("connection_error", None), ("http_error", 500))) == ("wikidata", "liveness")


@pytest.mark.parametrize(("listed", "wikidata"), [
    (("dns_error", None), ("http_error", 404)),           # both dead
    (("http_error", 404), ("dns_error", None)),
    (("http_error", 410), ("blocked_address", None)),
    (("robots_disallowed", None), ("http_error", 503)),   # both alive
    (("timeout", None), ("connection_error", None)),      # both silent
    (("robots_disallowed", None), ("dns_error", None)),   # precedence and liveness agree
])
def test_settle_none_answered_precedence_decides_among_equals(listed, wikidata) -> None:
    settled = _dune(listed, wikidata)
    assert _winner(settled) == ("uscityurl", "precedence")
    by = city_websites(settled).set_index("geoid")
    assert by.loc["1700404", ["website_url", "website_settlement"]].tolist() == [DUNE_LISTED, "unanswered"]


def test_settle_a_fetch_that_says_nothing_about_the_host_sits_between_alive_and_dead() -> None:
    """A replay with no record (not_archived) or an http_error of unknown status say nothing about the
    host: they lose to a host shown alive and beat an address shown dead. A candidate not fetched is not
    in the contest, and a frame with ``ok`` only leaves precedence to decide, as before."""
    assert _winner(_dune(("not_archived", None), ("robots_disallowed", None))) == ("wikidata", "liveness")
    assert _winner(_dune(("dns_error", None), ("not_archived", None))) == ("wikidata", "liveness")
    assert _winner(_dune(("not_archived", None), ("http_error", 404))) == ("uscityurl", "precedence")
    assert _winner(_dune(("http_error", None), ("dns_error", None))) == ("uscityurl", "precedence")
    # only the dead address was fetched: the Wikidata candidate, not fetched, has nothing to win on
    cand = website_candidates({"uscityurl": USCITYURL, "wikidata": WIKIDATA})
    one = pd.DataFrame({"url": [DUNE_LISTED], "final_url": [DUNE_LISTED], "outcome": ["dns_error"],
                        "status": [None]})
    assert _winner(settle_websites(cand, one)) == ("uscityurl", "precedence")
    # only the other candidate was fetched: the precedence choice, not fetched, is unknown: it beats the
    # other shown dead, and loses to the other shown alive
    other = pd.DataFrame({"url": [DUNE_WIKIDATA], "final_url": [DUNE_WIKIDATA], "outcome": ["dns_error"],
                          "status": [None]})
    assert _winner(settle_websites(cand, other)) == ("uscityurl", "precedence")
    other["outcome"] = "robots_disallowed"
    assert _winner(settle_websites(cand, other)) == ("wikidata", "liveness")
    only_ok = pd.DataFrame({"url": [DUNE_LISTED, DUNE_WIKIDATA], "ok": [False, False]})
    assert _winner(settle_websites(cand, only_ok)) == ("uscityurl", "precedence")


def test_settle_an_answer_still_beats_any_liveness_and_says_so() -> None:
    settled = _dune(("robots_disallowed", None), ("ok", 200))
    assert _winner(settled) == ("wikidata", "answered")
    nothing = settle_websites(website_candidates({"uscityurl": USCITYURL, "wikidata": WIKIDATA}), None)
    assert set(nothing.loc[nothing["winner"], "settled_by"]) == {"precedence"}
    assert nothing.loc[~nothing["winner"], "settled_by"].isna().all()


def test_settle_refuses_an_ok_column_of_text_rather_than_read_false_as_answered() -> None:
    """A hand-made frame read from a CSV without types: ok holds "True"/"False". Read as truth, "False" said
    a dead address answered; it is refused, naming the column and the dtype it needs. Booleans with a gap
    (object or pandas' boolean) are read, the gap as not answered."""
    cand = website_candidates({"uscityurl": USCITYURL, "wikidata": WIKIDATA})
    text = pd.DataFrame({"url": [DUNE_LISTED, DUNE_WIKIDATA], "ok": ["False", "True"]})
    with pytest.raises(ValueError) as raised:
        settle_websites(cand, text)
    assert str(raised.value) == (
        "fetch outcomes: the ok column must be boolean (bool, or pandas' boolean dtype), got object holding "
        "'False'; convert it, e.g. ok.map({'True': True, 'False': False}), or give an outcome column instead")
    with pytest.raises(ValueError, match="the ok column must be boolean .* got int64 holding 1"):
        settle_websites(cand, text.assign(ok=[1, 0]))
    for ok in ([None, True], pd.array([pd.NA, True], dtype="boolean"), [False, True]):
        settled = settle_websites(cand, text.assign(ok=ok))
        dune = settled[settled["geoid"] == "1700404"].set_index("source")
        assert dune["answered"].astype(object).to_dict() == {"uscityurl": False, "wikidata": True}
        assert _winner(settled) == ("wikidata", "answered")


@pytest.mark.parametrize("status", ["n/a", "4o4", "", 9999, 4.5, float("inf"), True])
def test_settle_an_unparseable_status_is_an_unknown_status_not_an_error(status) -> None:
    """A status that is not an HTTP status raised (int("n/a")) or was read as one; it now counts as unknown,
    like a missing status: the http_error says nothing about the host, so it beats an address shown dead and
    loses to a host shown alive, and no other row's settlement is lost."""
    assert _winner(_dune(("http_error", status), ("dns_error", None))) == ("uscityurl", "precedence")
    assert _winner(_dune(("http_error", status), ("robots_disallowed", None))) == ("wikidata", "liveness")
    # Digits as text are the status they spell: "404" is a dead address, as 404 is.
    assert _winner(_dune(("http_error", "404"), ("http_error", "503.0"))) == ("wikidata", "liveness")
