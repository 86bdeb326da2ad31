"""End to end: the Dagster assets in-process against the simulated web, replay, the CLI."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from pipelines.cli import main as cli
from pipelines.definitions import ALL_ASSETS, default_resources
from pipelines.orchestration import failure_of as _failure
from pipelines.resources import (
    REAL_DNS,
    CrawlSettings,
    FetcherResource,
    RunSettings,
    WarehouseResource,
    sample_archive,
)
from tests.simweb.faults import FaultPlan
from tests.simweb.formats import uscityurl
from tests.simweb.population import build_population
from tests.simweb.server import DOC_HOSTS, SimWeb
from warehouse.paths import WarehousePaths
from warehouse.read import connect_published

REPO = Path(__file__).resolve().parents[1]
POP = build_population(24, seed=5)
BROKEN = next(c for c in POP.cities if c.population >= 30_000 and c.website_host and c.wikidata_fips)
MONTH = "2026-09-01"
MART_COLUMNS = "* EXCLUDE (run_id)"


def _live_fetcher(sim: SimWeb, **kw) -> FetcherResource:
    """A live fetcher for the simulated web. Its sites that ask for a Crawl-delay (up to a few seconds) are
    honoured up to 0.05 s: these tests are about what a run publishes, and a full delay made each live run
    take over a minute (Crawl-delay itself is tested in test_fetcher_simweb and test_evidence_crawl)."""
    return FetcherResource(**{"min_delay_s": 0.01, "allow_addresses": ["127.0.0.1"], "conditional_get": False,
                              "read_timeout_s": 1.0, "backoff_base_s": 0.01, "max_crawl_delay_s": 0.05,
                              "resolve": {k: (REAL_DNS if v is None else v) for k, v in sim.resolve_map().items()},
                              **kw})


def _materialize(home: Path, fetcher: FetcherResource, settings: RunSettings | None = None, max_pages: int = 40):
    """Every asset in-process; ``max_pages`` below the default keeps the crawl short for tests about
    websites and the universe, not evidence."""
    resources = default_resources(WarehouseResource(home=str(home)), fetcher, settings or RunSettings(),
                                  CrawlSettings(extra_doc_hosts=list(DOC_HOSTS), max_pages=max_pages))
    return dg.materialize(ALL_ASSETS, resources=resources, partition_key=MONTH,
                          instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)


def _marts(home: Path, run_id: str) -> list[tuple]:
    con = connect_published(WarehousePaths(home))
    try:
        return con.execute(f"SELECT {MART_COLUMNS} FROM marts.cities WHERE run_id = ? ORDER BY geoid",
                           [run_id]).fetchall()
    finally:
        con.close()


def _portals(home: Path, run_id: str) -> list[tuple]:
    con = connect_published(WarehousePaths(home))
    try:
        return con.execute("SELECT geoid, portal_host, platform, scope, credited, outcome, dataset_count, "
                           "updated_365d_share FROM marts.portals WHERE run_id = ? ORDER BY ALL",
                           [run_id]).fetchall()
    finally:
        con.close()


@pytest.mark.slow   # a whole run (10-85 s): in `make test`, not in the fast loop
def test_live_run_publishes_cities_and_fetch_log_and_replay_reproduces_it(home: Path) -> None:
    faults = FaultPlan().add(BROKEN.website_host, "http_500")
    with SimWeb(POP, faults=faults) as sim:
        live = _materialize(home, _live_fetcher(sim))
    assert live.success
    checks = [e for e in live.get_asset_check_evaluations() if e.check_name == "cities_suite"]
    assert checks and all(c.passed for c in checks)
    con = connect_published(WarehousePaths(home))
    try:
        expected = sum(1 for c in POP.cities if c.population >= 30_000)
        assert con.execute("SELECT count(*) FROM marts.cities").fetchone()[0] == expected
        outcomes = dict(con.execute("SELECT outcome, count(*) FROM ops.fetch_log GROUP BY 1").fetchall())
        assert outcomes["ok"] > expected and outcomes["http_error"] >= 1
        failed = con.execute("SELECT homepage_outcome, homepage_status FROM marts.cities WHERE geoid = ?",
                             [BROKEN.geoid]).fetchone()
        assert failed == ("http_error", 500)
        warcs = con.execute("SELECT warc_files FROM ops.runs").fetchone()[0]
        assert warcs and all(w.endswith(".warc.gz") for w in warcs)
    finally:
        con.close()

    replay = _materialize(home, FetcherResource(replay=[str(home / "runs" / live.run_id / "warc")]),
                          RunSettings(mode="replay"))
    assert replay.success
    assert _marts(home, replay.run_id) == _marts(home, live.run_id)
    assert _portals(home, replay.run_id) == _portals(home, live.run_id)
    expected_portals = {(c.geoid, c.portal_host) for c in POP.cities
                        if c.platform and c.website_host and c.population >= 30_000 and c is not BROKEN}
    credited = {(g, h) for g, h, _, _, credited, *_ in _portals(home, live.run_id) if credited}
    assert len(expected_portals & credited) >= 0.9 * len(expected_portals)
    assert credited <= {(c.geoid, c.portal_host) for c in POP.cities}   # nothing credited to the wrong city
    con = connect_published(WarehousePaths(home))
    try:
        assert con.execute("SELECT count(*) FROM ops.runs").fetchone()[0] == 2
        assert con.execute("SELECT count(*) FROM ops.fetch_log WHERE run_id = ? AND outcome = 'not_archived'",
                           [replay.run_id]).fetchone()[0] == 0
    finally:
        con.close()


def test_unreachable_census_fails_the_run_without_publishing(home: Path) -> None:
    faults = FaultPlan().add("www2.census.gov", "http_500")
    with SimWeb(POP, faults=faults) as sim:
        result = _materialize(home, _live_fetcher(sim, max_retries=1))
    assert not result.success
    assert not WarehousePaths(home).published.exists()


@pytest.mark.slow
def test_unreachable_website_sources_mean_websites_unknown_not_absent(home: Path) -> None:
    faults = (FaultPlan().add("query.wikidata.org", "http_503_then_ok", n=99)
              .add(uscityurl.HOST, "http_503_then_ok", n=99))
    with SimWeb(POP, faults=faults) as sim:
        result = _materialize(home, _live_fetcher(sim, max_retries=1))
    assert result.success
    con = connect_published(WarehousePaths(home))
    try:
        rows = con.execute("SELECT DISTINCT website_lookup, website_match FROM marts.cities").fetchall()
    finally:
        con.close()
    assert rows == [("uscityurl: http_error; wikidata: http_error", "none")]


@pytest.mark.slow   # a whole run (10-85 s): in `make test`, not in the fast loop
def test_uscityurl_outranks_wikidata_and_stands_in_when_wikidata_is_down(home: Path) -> None:
    """Wikidata down: the cities UScityURL lists keep their website (and say where it came from); the
    others are unknown, not absent. Every candidate is in marts.city_websites with its source."""
    faults = FaultPlan().add("query.wikidata.org", "http_503_then_ok", n=99)
    with SimWeb(POP, faults=faults) as sim:
        assert _materialize(home, _live_fetcher(sim, max_retries=1), max_pages=2).success
    con = connect_published(WarehousePaths(home))
    try:
        cities = con.execute("SELECT geoid, website_url, website_match, website_lookup FROM marts.cities").df()
        candidates = con.execute("SELECT geoid, source, url, chosen FROM marts.city_websites").df()
        unknown = con.execute("SELECT i.outreach_note FROM marts.city_index i JOIN marts.cities c USING (geoid, run_id) "
                              "WHERE c.website_url IS NULL").fetchall()
    finally:
        con.close()
    # Staff are told the lists of websites could not be read, not asked to confirm a site that may exist.
    assert unknown and all("lists of city websites could not be read (wikidata: http_error)" in n
                           for (n,) in unknown), unknown
    listed = {c.geoid: uscityurl.listed_website(c) for c in POP.cities}
    for row in cities.itertuples():
        if listed.get(row.geoid):   # stale addresses too: nothing else to settle on
            assert (row.website_url, row.website_match, row.website_lookup) == (listed[row.geoid], "uscityurl", "ok")
        else:
            assert (row.website_url, row.website_match, row.website_lookup) == (None, "none", "wikidata: http_error")
    assert set(candidates["source"]) == {"uscityurl"} and candidates["chosen"].all()
    assert len(candidates) == cities["website_url"].notna().sum() > 0


@pytest.mark.slow   # a whole run (10-85 s): in `make test`, not in the fast loop
def test_a_stale_address_loses_to_the_candidate_that_answers(home: Path) -> None:
    """UScityURL outranks Wikidata, but where it lists an address that no longer serves the city (and
    Wikidata names another domain), both are fetched and the one that answers is the city's website,
    for the published marts and for the crawl."""
    stale = [c for c in POP.cities if c.website and uscityurl.listed_website(c) == uscityurl.stale_website(c)]
    assert stale, "the population has stale UScityURL entries"
    with SimWeb(POP) as sim:
        assert _materialize(home, _live_fetcher(sim), max_pages=2).success
    con = connect_published(WarehousePaths(home))
    try:
        cities = con.execute("SELECT geoid, website_url, website_match, homepage_outcome FROM marts.cities").df()
        rows = con.execute("SELECT geoid, source, url, chosen, answered, winner, disagreement "
                           "FROM marts.city_websites").df()
        crawled = {g for (g,) in con.execute("SELECT DISTINCT geoid FROM staging.crawl_pages "
                                             "WHERE outcome = 'ok'").fetchall()}
    finally:
        con.close()
    by_city = cities.set_index("geoid")
    stale = [c for c in stale if c.geoid in by_city.index]
    assert stale
    for c in stale:
        assert tuple(by_city.loc[c.geoid, ["website_url", "website_match", "homepage_outcome"]]) == (
            c.website, "wikidata", "ok")
        mine = rows[rows["geoid"] == c.geoid].set_index("source")
        assert mine["disagreement"].all()
        assert tuple(mine.loc["uscityurl", ["chosen", "answered", "winner"]]) == (True, False, False)
        assert tuple(mine.loc["wikidata", ["chosen", "answered", "winner"]]) == (False, True, True)
        assert c.geoid in crawled, "the crawl starts from the website that answered"
    assert (rows.groupby("geoid")["winner"].sum() == 1).all(), "one website per city"
    agreed = rows[~rows["disagreement"]]
    assert agreed.loc[agreed["winner"], "chosen"].all(), "sources that agree keep the precedence choice"


@pytest.mark.slow
def test_bad_rows_in_a_city_list_are_quarantined_not_dropped(home: Path, tmp_path: Path) -> None:
    csv = tmp_path / "cities.csv"
    csv.write_text("geoid,name,state_abbr,population,website\n"
                   "3990001,Testville,OH,45000,https://www.testville.invalid/\n"
                   "3990001,Testville Again,OH,46000,\n"
                   "3990002,Otherton,TX,50000,\n"
                   "3990003,Goodville,OH,60000,https://www.goodville.invalid/\n")
    with SimWeb(POP) as sim:
        # Three of four rows are bad: far over the 5 % a healthy run sets aside, so the blocking check stops
        # the run before anything is published, and says which expectation failed on which rows.
        blocked = _materialize(home, _live_fetcher(sim), RunSettings(cities_csv=str(csv)))
        assert not blocked.success and not WarehousePaths(home).published.exists()
        step, message = _failure(blocked)
        assert step == "cities" and "blocking check cities_suite" in message
        assert "expect_quarantined_share_to_be_at_most: observed 3 of 4 rows quarantined" in message
        assert "3990002" in message and "not an allowed combination" in message
        # The user says the list is known to be messy: the run publishes, and every bad row is kept aside.
        result = _materialize(home, _live_fetcher(sim), RunSettings(cities_csv=str(csv), max_quarantined_share=1.0))
    assert result.success
    con = connect_published(WarehousePaths(home))
    try:
        assert con.execute("SELECT geoid, homepage_outcome FROM marts.cities").fetchall() == [
            ("3990003", "dns_error")]
        reasons = con.execute("SELECT DISTINCT expectation FROM ops.quarantine").fetchall()
        assert con.execute("SELECT count(DISTINCT row_json) FROM ops.quarantine").fetchone()[0] == 3
        assert con.execute("SELECT quarantined FROM ops.runs").fetchone()[0] >= 3
    finally:
        con.close()
    assert reasons


@pytest.mark.slow   # a whole run (10-85 s): in `make test`, not in the fast loop
def test_cli_sample_run_then_sql_and_runs(home: Path, capsys: pytest.CaptureFixture) -> None:
    assert cli(["run", "--sample", "--home", str(home), "--quiet"]) == 0
    out = capsys.readouterr()
    assert "SAMPLE DATA" in out.out and str(home / "warehouse.duckdb") in out.out
    assert cli(["sql", "select count(*) as n, bool_and(is_sample) as s from marts.cities", "--home", str(home),
                "--format", "csv"]) == 0
    n, flag = capsys.readouterr().out.strip().splitlines()[1].split(",")
    assert int(n) > 10 and flag == "True"
    assert cli(["runs", "--home", str(home), "--format", "csv"]) == 0
    assert "sample,success" in capsys.readouterr().out
    # The sample exercises every platform end to end, and the archive answers every request the run makes.
    assert cli(["sql", "select string_agg(distinct platform, ',' order by platform) as p, "
                "count(*) filter (where credited) as c from marts.portals", "--home", str(home),
                "--format", "csv"]) == 0
    platforms, credited = capsys.readouterr().out.strip().splitlines()[1].rsplit(",", 1)
    assert platforms.strip('"') == "arcgis_hub,ckan,dcat,opendatasoft,socrata" and int(credited) >= 50
    assert cli(["sql", "select count(*) from ops.fetch_log where outcome = 'not_archived'", "--home", str(home),
                "--format", "csv"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[1] == "0"
    # Website evidence: every row links to its archived response (same URL and body hash in the WARC).
    assert cli(["sql", "select count(*), count(warc_file), count(distinct kind) from marts.evidence_latest",
                "--home", str(home), "--format", "csv"]) == 0
    rows, linked, kinds = map(int, capsys.readouterr().out.strip().splitlines()[1].split(","))
    assert rows > 50 and linked == rows and kinds == 7
    # The simulated vendor hosts are in no default: the replay follows them because the sample's crawl
    # declared them in its archive. A page reached twice is read once, so no evidence is set aside.
    assert cli(["sql", "select count(*) filter (where regexp_matches(url, '^https://[^/]*(legistar|municode)"
                "[.]example/')), count(*) filter (where duplicate_of is not null) from staging.crawl_pages",
                "--home", str(home), "--format", "csv"]) == 0
    vendor, copies = map(int, capsys.readouterr().out.strip().splitlines()[1].split(","))
    assert vendor > 50 and copies > 0
    assert cli(["sql", "select count(*) from ops.quarantine", "--home", str(home), "--format", "csv"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[1] == "0"
    # The index: one row per city, expected points equal to the sum of its criterion probabilities.
    assert cli(["sql", "select count(*), count(distinct i.geoid), max(abs(i.expected_points - s.total)) "
                "from marts.city_index_latest i join (select geoid, sum(probability) total from "
                "marts.criterion_scores_latest group by geoid) s using (geoid)",
                "--home", str(home), "--format", "csv"]) == 0
    n, distinct, err = capsys.readouterr().out.strip().splitlines()[1].split(",")
    assert int(n) == int(distinct) > 10 and float(err) < 1e-3
    # NLC staff: outreach targets ranked, with gaps and training topics; a scorecard per city.
    assert cli(["sql", "select city, state, gaps, training_topics from marts.outreach_targets order by rank limit 1",
                "--home", str(home), "--format", "json"]) == 0
    [top] = json.loads(capsys.readouterr().out)
    assert top["gaps"] and top["training_topics"]
    assert cli(["city", f"{top['city']}, {top['state']}", "--home", str(home), "--format", "json"]) == 0
    card = json.loads(capsys.readouterr().out)
    assert len(card["criteria"]) == 43 and card["top_gaps"]
    assert any(e["source"] for c in card["criteria"] for e in c["evidence"])
    assert cli(["city", "Nowhere At All, ZZ", "--home", str(home)]) == 1
    assert "no city" in capsys.readouterr().err
    # A name two states share: the error lists each city whole and gives one that works as the example.
    assert cli(["sql", "select city from marts.city_index_latest group by city having count(*) > 1 "
                "order by city limit 1", "--home", str(home), "--format", "csv"]) == 0
    shared = capsys.readouterr().out.strip().splitlines()[1]
    assert cli(["city", shared, "--home", str(home)]) == 1
    err = capsys.readouterr().err.strip()
    example = err.split('e.g. "')[1].rstrip('"')
    assert len(err.splitlines()) == 1 and example.startswith(f"{shared}, ") and f"({example}; " in err, err
    assert cli(["city", example, "--home", str(home), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["city"] == shared
    # Validation against the (synthetic) certified list runs on the sample too, and says so.
    assert cli(["sql", "select value, bool_and(is_sample) from marts.validation where metric = "
                "'auc_p_silver_or_better' group by value", "--home", str(home), "--format", "csv"]) == 0
    auc_value, flag = capsys.readouterr().out.strip().splitlines()[1].split(",")
    assert 0.5 < float(auc_value) <= 1.0 and flag == "True"
    assert cli(["sql", "select count(*) from marts.city_index_latest where certified_tier is not null",
                "--home", str(home), "--format", "csv"]) == 0
    assert int(capsys.readouterr().out.strip().splitlines()[1]) > 5
    # Calibration runs on held-out cities and says it is sample data; the fit per practice is stored.
    assert cli(["sql", "select count(*), bool_and(is_sample), count(distinct model) from marts.calibration "
                "where fold = 'pooled' and metric = 'log_loss'", "--home", str(home), "--format", "csv"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[1] == "2,True,2"
    assert cli(["sql", "select count(*) from marts.calibration_params where fold = 'all'", "--home", str(home),
                "--format", "csv"]) == 0
    assert int(capsys.readouterr().out.strip().splitlines()[1]) == 8
    # The run says whether the published scores use the fit, and every city row says which it used.
    assert cli(["sql", "select c.value, string_agg(distinct i.scored_with, ',') from marts.calibration c, "
                "marts.city_index i where c.metric = 'adopted' group by 1", "--home", str(home), "--format", "csv"]) == 0
    adopted, used = capsys.readouterr().out.strip().splitlines()[1].split(",")
    assert used == ("calibrated" if float(adopted) == 1.0 else "catalog")


@pytest.mark.parametrize(("argv", "message"), [
    (["run", "--replay", "/nonexistent/x.warc.gz"], "replay archive not found"),
    (["run", "--cities", "/nonexistent/c.csv"], "city list not found"),
    (["run", "--month", "2031-01", "--sample"], "outside the snapshot range 2024-01.."),
    (["run", "--month", "2031-01", "--sample"], "once it is complete"),
    (["run", "--month", "2023-12", "--sample"], "the monthly partitions start there"),
    (["run", "--month", "May", "--sample"], "like 2026-10"),
    (["run", "--month", "2026-13", "--sample"], "a year and a month"),
    (["run", "--tier-bands", "wwc_1999", "--sample"], "unknown tier bands 'wwc_1999'"),
    (["sql", "select 1"], "no published warehouse"),
    (["sql", "select * from nowhere"], None),
])
def test_cli_errors_are_one_line_messages(argv, message, home: Path, capsys, sample_home: Path) -> None:
    if argv[0] == "sql" and message is None:   # a published warehouse to query: the session's sample run
        shutil.copyfile(WarehousePaths(sample_home).published, WarehousePaths(home).published)
    code = cli([*argv, "--home", str(home)])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("cdpi: error:") and "Traceback" not in err
    if message:
        assert message in err


def test_a_suite_great_expectations_refuses_stops_the_run_in_one_line(home: Path, tmp_path: Path, capsys,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """An operator tries an edited copy of the suites (CDPI_SUITES_DIR) whose cities suite has a misspelt
    expectation type: the run says which folder it validates with, then stops before any fetch, in one line."""
    suites = tmp_path / "suites"
    shutil.copytree(REPO / "expectations" / "suites", suites)
    cities = json.loads((suites / "cities.json").read_text(encoding="utf-8"))
    cities["expectations"][-1]["type"] = "expect_column_values_to_match_regx"   # a typo in the last entry
    (suites / "cities.json").write_text(json.dumps(cities, indent=2), encoding="utf-8")
    monkeypatch.setenv("CDPI_SUITES_DIR", str(suites))
    assert cli(["run", "--sample", "--home", str(home), "--quiet"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert f"cdpi run: validating with the suites in {suites} (CDPI_SUITES_DIR), not the shipped ones" in err
    assert err[-1].startswith(f"cdpi: error: cannot check the run's data: suite 'cities' in CDPI_SUITES_DIR {suites} "
                              "is refused by Great Expectations"), err
    assert "expect_column_values_to_match_regx" in err[-1]
    assert "Traceback" not in "\n".join(err) and not WarehousePaths(home).published.exists()
    assert not (home / "runs").exists() or not any((home / "runs").iterdir()), "nothing was fetched"


def test_a_suites_folder_lacking_a_suite_stops_a_run_with_step_processes_before_any_fetch(
        home: Path, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    """With --workers 2 the steps build GX in their own processes; the folder is still checked up front."""
    suites = tmp_path / "suites"
    shutil.copytree(REPO / "expectations" / "suites", suites)
    (suites / "evidence.json").unlink()
    monkeypatch.setenv("CDPI_SUITES_DIR", str(suites))
    assert cli(["run", "--sample", "--workers", "2", "--home", str(home), "--quiet"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == (f"cdpi: error: cannot check the run's data: CDPI_SUITES_DIR {suites} lacks the suite(s) "
                       "evidence; copy the whole expectations/suites folder there, then edit it"), err
    assert not (home / "runs").exists() or not any((home / "runs").iterdir()), "nothing was fetched"


def test_a_suite_file_over_the_size_cap_stops_the_run_before_any_fetch(home: Path, tmp_path: Path, capsys,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A huge file under a suite's name is refused from its size, up front, in one line; it is never read."""
    suites = tmp_path / "suites"
    shutil.copytree(REPO / "expectations" / "suites", suites)
    with open(suites / "evidence.json", "r+b") as handle:   # sparse: 30 MiB on paper, nothing on disk
        handle.truncate(30 * 1024 * 1024)
    monkeypatch.setenv("CDPI_SUITES_DIR", str(suites))
    assert cli(["run", "--sample", "--home", str(home), "--quiet"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == (f"cdpi: error: cannot check the run's data: suite file evidence.json in CDPI_SUITES_DIR {suites} "
                       "is 30.0 MiB (31457280 bytes), over the 1.0 MiB (1048576 bytes) cap on a suite file "
                       "(MAX_SUITE_BYTES); the shipped suites are a few KiB: is it the right file?"), err
    assert not (home / "runs").exists() or not any((home / "runs").iterdir()), "nothing was fetched"


@pytest.mark.slow   # a run of a few cities
def test_a_run_validated_with_an_edited_copy_of_the_suites_says_so_in_its_published_record(
        home: Path, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    suites = tmp_path / "suites"
    shutil.copytree(REPO / "expectations" / "suites", suites)
    monkeypatch.setenv("CDPI_SUITES_DIR", str(suites))
    assert cli(["run", "--sample", "--limit", "3", "--home", str(home), "--quiet"]) == 0
    [replay] = [line for line in capsys.readouterr().out.splitlines() if "replay it" in line]
    assert replay.split("replay it", 1)[1].split()[:3] == [f"CDPI_SUITES_DIR={suites}", "cdpi", "run"], replay
    monkeypatch.delenv("CDPI_SUITES_DIR")
    assert cli(["run", "--sample", "--limit", "3", "--home", str(home), "--quiet"]) == 0
    with connect_published(WarehousePaths(home)) as con:
        used = con.execute("SELECT json_extract_string(config_json, '$.suites_dir'), "
                           "json_extract_string(config_json, '$.suites_sha256') FROM ops.runs "
                           "ORDER BY finished_at").fetchall()
    # An unedited copy holds the same checks: the folders differ, the digest does not.
    assert [folder for folder, _ in used] == [str(suites), None]
    assert used[0][1] == used[1][1] and len(used[0][1]) == 64
    manifest = json.loads((home / "exports" / "2026-11" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["validation_suites"] == {"sha256": used[1][1], "folder": None}


def test_cli_usage_errors_exit_2(capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        cli(["run", "--state", "ZZ"])
    assert exc.value.code == 2 and "unknown state code" in capsys.readouterr().err


def test_docs_are_generated_from_the_schema() -> None:
    assert cli(["docs", "--check", "--out", str(REPO / "docs" / "warehouse.md")]) == 0


@pytest.mark.slow
def test_console_script_runs_the_sample_in_a_fresh_process(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("cdpi")
    proc = subprocess.run([str(exe), "run", "--sample", "--quiet", "--home", str(tmp_path)], capture_output=True,
                          text=True, timeout=300, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "published" in proc.stdout


@pytest.mark.slow   # a whole run (10-85 s): in `make test`, not in the fast loop
def test_a_blocking_check_stops_a_publish_over_a_published_warehouse(home: Path, tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture) -> None:
    """A run whose city list is mostly invalid leaves the published warehouse exactly as it was, and
    `cdpi run` says in one line which check, which expectation and which rows stopped it."""
    assert cli(["run", "--sample", "--home", str(home), "--quiet"]) == 0
    capsys.readouterr()
    before = _marts(home, _latest_run(home))
    csv = tmp_path / "cities.csv"
    csv.write_text("geoid,name,state_abbr,population\n3990001,Testville,OH,45000\n3990001,Testville Again,OH,46000\n"
                   "3990002,Otherton,TX,50000\n3990003,Goodville,OH,60000\n")
    code = cli(["run", "--replay", str(sample_archive()), "--cities", str(csv), "--home", str(home), "--quiet",
                "--month", "2026-10"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and err[-1].startswith("cdpi: error: run ") and "Traceback" not in "\n".join(err)
    assert "blocking check cities_suite on cities failed, nothing was published" in err[-1]
    assert "expect_quarantined_share_to_be_at_most" in err[-1] and "3990002" in err[-1]
    # The one line names the file holding the full detail, and that file has the run's events.
    log = Path(err[-1].rsplit("full log: ", 1)[1].rstrip(")"))
    assert log.is_file() and "cities_suite" in log.read_text(encoding="utf-8")
    con = connect_published(WarehousePaths(home))
    try:
        assert con.execute("SELECT count(*) FROM ops.runs").fetchone()[0] == 1
        assert con.execute("SELECT count(*) FROM ops.run_failures").fetchone()[0] == 1
    finally:
        con.close()
    assert _marts(home, _latest_run(home)) == before


def _latest_run(home: Path) -> str:
    con = connect_published(WarehousePaths(home))
    try:
        return con.execute("SELECT run_id FROM ops.runs ORDER BY finished_at DESC LIMIT 1").fetchone()[0]
    finally:
        con.close()


def test_failure_sensor_records_the_failed_step_its_cause_and_month(home: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: pytest.CaptureFixture) -> None:
    """The sensor records what the step's own failure says (the Census host answering 500), not Dagster's
    "Execution of run ... failed. Steps failed: [...]"; the step, the month of the run's partition and its
    mode are filled in, so `cdpi runs` shows them as it does for `cdpi run`'s own failures."""
    from pipelines.sensors import record_failed_runs

    monkeypatch.setenv("CDPI_HOME", str(home / "elsewhere"))   # the sensor must use its warehouse resource
    instance = dg.DagsterInstance.ephemeral()
    faults = FaultPlan().add("www2.census.gov", "http_500")
    with SimWeb(POP, faults=faults) as sim:
        resources = default_resources(WarehouseResource(home=str(home)), _live_fetcher(sim, max_retries=0),
                                      RunSettings())
        result = dg.materialize(ALL_ASSETS, resources=resources, partition_key=MONTH, instance=instance,
                                raise_on_error=False)
    assert not result.success
    failure = instance.all_logs(result.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)[0].dagster_event
    ctx = dg.build_run_status_sensor_context(
        sensor_name="record_failed_runs", dagster_event=failure, dagster_instance=instance,
        dagster_run=result.dagster_run, resources={"warehouse": WarehouseResource(home=str(home)),
                                                   "settings": RunSettings()}
    ).for_run_failure()
    record_failed_runs(ctx)
    con = connect_published(WarehousePaths(home))
    try:
        rows = con.execute("SELECT run_id, step, error, status, strftime(snapshot, '%Y-%m'), mode "
                           "FROM ops.run_failures").fetchall()
    finally:
        con.close()
    [(run_id, step, error, status, snapshot, mode)] = rows
    assert (run_id, step, status, snapshot, mode) == (result.run_id, "census_places", "failed", "2026-09", "live")
    assert error.startswith("Census population estimates: https://www2.census.gov/") and "HTTP 500" in error, error
    assert "Steps failed" not in error
    capsys.readouterr()
    assert cli(["runs", "--home", str(home), "--format", "json"]) == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert (listed["snapshot"], listed["mode"], listed["status"]) == ("2026-09", "live", "failed")
    assert listed["outcomes"].startswith("census_places: Census population estimates")


@pytest.mark.parametrize(("content", "message"), [
    ("foo,bar\n1,2\n", "failed at census_places: unrecognized city table header (foo, bar)"),
    ('geoid,name,state_abbr,population\n"unterminated,x\n', "failed at census_places: city table is not a readable CSV"),
])
def test_a_bad_city_list_fails_in_one_line_naming_the_step_and_the_log(content: str, message: str, home: Path,
                                                                      tmp_path: Path, capsys) -> None:
    bad = tmp_path / "cities.csv"
    bad.write_text(content, encoding="utf-8")
    code = cli(["run", "--sample", "--cities", str(bad), "--home", str(home), "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(err) == 2 and err[0].startswith("cdpi run: snapshot"), err   # the banner, the error
    assert message in err[1] and "dagster._core" not in err[1] and "full log: " in err[1]
    # The warehouse's record says the same, with the month and the mode the banner announced.
    banner_month = err[0].split("snapshot ", 1)[1][:7]
    con = connect_published(WarehousePaths(home))
    try:
        row = con.execute("SELECT job_name, step, error, status, strftime(snapshot, '%Y-%m'), mode "
                          "FROM ops.run_failures").fetchone()
    finally:
        con.close()
    assert row is not None and row[2].startswith(message.split(": ", 1)[1]), row
    assert row[:2] + row[3:] == ("cdpi run", "census_places", "failed", banner_month, "sample"), row


@pytest.mark.slow   # two whole runs
def test_a_second_live_run_carries_unchanged_pages_and_scores_the_same(home: Path) -> None:
    """The revisit policy as the pipeline runs it (issue 18): with the conditional-GET cache on, a second live
    run in the same home asks only the pages that may have changed, publishes the rest as carried, and the
    index it computes is the first run's."""
    with SimWeb(POP) as sim:
        first = _materialize(home, _live_fetcher(sim, conditional_get=True))
        sim.reset_stats()
        second = _materialize(home, _live_fetcher(sim, conditional_get=True))
        asked = len(sim.stats()["requests"])
    assert first.success and second.success
    con = connect_published(WarehousePaths(home))
    try:
        pages = dict(con.execute("SELECT outcome, count(*) FROM staging.crawl_pages WHERE run_id = ? GROUP BY 1",
                                 [second.run_id]).fetchall())
        total = sum(pages.values())
        assert pages.get("carried", 0) > 0.3 * total
        assert asked < con.execute("SELECT count(*) FROM ops.fetch_log WHERE run_id = ?",
                                   [first.run_id]).fetchone()[0]
        assert con.execute("SELECT count(*) FROM staging.crawl_pages WHERE run_id = ? AND outcome = 'carried' "
                           "AND (carried_from_run IS DISTINCT FROM ? OR verified_at IS NULL)",
                           [second.run_id, first.run_id]).fetchone()[0] == 0
        assert con.execute("SELECT sum(pages_carried) FROM staging.crawl_summaries WHERE run_id = ?",
                           [second.run_id]).fetchone()[0] == pages["carried"]

        def scores(run_id: str) -> list[tuple]:
            return con.execute("SELECT geoid, expected_points, predicted_tier FROM marts.city_index WHERE run_id = ? "
                               "ORDER BY geoid", [run_id]).fetchall()

        def kinds(run_id: str) -> set[tuple]:
            return set(con.execute("SELECT geoid, url, kind FROM marts.evidence WHERE run_id = ?", [run_id]).fetchall())

        assert scores(second.run_id) == scores(first.run_id) and kinds(second.run_id) == kinds(first.run_id)
    finally:
        con.close()
