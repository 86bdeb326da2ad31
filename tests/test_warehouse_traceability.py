"""What an analyst querying the warehouse directly relies on: evidence joins its fetch one to one, the
`_latest` evidence view has one row per evidence row, the README's way of attaching the file runs the
table macros, the stored figures add up, and a predicted tier can be traced to the points it needed."""

from __future__ import annotations

import re
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.definitions import ALL_ASSETS, default_resources
from pipelines.resources import REAL_DNS, CrawlSettings, FetcherResource, RunSettings, WarehouseResource
from sources.http.fetchlog import FetchLog, read_fetch_logs
from sources.http.outcomes import Outcome
from sources.http.result import FetchResult
from tests.simweb.population import Population, build_population
from tests.simweb.server import DOC_HOSTS, SimWeb
from warehouse.paths import WarehousePaths
from warehouse.read import connect_published

REPO = Path(__file__).resolve().parents[1]
RUN = "r1"


# ------------------------------------------------------------------------------------------- fetch ids
def _page(url: str = "https://www.a.example/", status: int = 200) -> FetchResult:
    return FetchResult(url, url, "GET", Outcome.OK if status == 200 else Outcome.NOT_MODIFIED, status=status,
                       body=b"<html>same body</html>", fetched_at="2026-11-01T00:00:00Z")


def test_every_fetch_log_row_has_its_own_id_and_the_result_carries_it(tmp_path: Path) -> None:
    """Two fetches of one page read from one archived record log rows equal in every other column (748
    such keys in a replay): the id tells them apart and names the file and line of the row."""
    log = FetchLog(tmp_path, RUN, prefix="fetch_log-city_evidence-0")
    first, second = _page(), _page()
    rows = [log.write(first, "a.warc.gz"), log.write(second, "a.warc.gz")]
    log.close()
    stem = log.path.stem.removeprefix("fetch_log-")
    assert [r["fetch_id"] for r in rows] == [f"{stem}:1", f"{stem}:2"]
    assert (first.fetch_id, second.fetch_id) == (f"{stem}:1", f"{stem}:2")
    assert [r["fetch_id"] for r in read_fetch_logs(tmp_path)] == [f"{stem}:1", f"{stem}:2"]
    # The same step again in this process appends to the file: ids go on after its lines, a torn one included.
    with open(log.path, "a", encoding="utf-8") as fh:
        fh.write('{"torn": ')
    again = FetchLog(tmp_path, RUN, prefix="fetch_log-city_evidence-0")
    assert again.write(_page(), None)["fetch_id"] == f"{stem}:4"
    again.close()
    lines = log.path.read_text(encoding="utf-8").splitlines()
    assert '"fetch_id": "' + f"{stem}:4" + '"' in lines[3]
    assert len({r["fetch_id"] for r in read_fetch_logs(tmp_path)}) == 3


def _one_page_archived_twice(con: duckdb.DuckDBPyConnection, with_ids: bool) -> None:
    """A home page fetched by the home page step (200) and again by the crawl (304, body from the cache):
    two fetch log rows with the same final URL and hash, in two WARC files; the crawl's evidence."""
    con.execute("INSERT INTO ops.runs (run_id, snapshot, mode, is_sample, status, finished_at) "
                "VALUES (?, DATE '2026-11-01', 'live', false, 'success', TIMESTAMP '2026-11-02 00:00:00')", [RUN])
    url, sha = "https://www.a.example/", "ab" * 32
    for fetch_id, status, at, warc in (("city_homepages-1:7", 200, "2026-11-01T10:00:00Z", "city_homepages-1.warc.gz"),
                                       ("city_evidence-0-1:3", 304, "2026-11-01T10:05:00Z",
                                        "city_evidence-0-1.warc.gz")):
        con.execute("INSERT INTO ops.fetch_log (snapshot, run_id, url, final_url, status, outcome, fetched_at, sha256, "
                    "warc_file, fetch_id) VALUES (DATE '2026-11-01', ?, ?, ?, ?, 'ok', ?, ?, ?, ?)",
                    [RUN, url, url, status, at, sha, warc, fetch_id if with_ids else None])
    con.execute("INSERT INTO marts.evidence (snapshot, run_id, geoid, url, kind, confidence, content_hash, "
                "extractor_version, fetched_at, fetch_id) VALUES (DATE '2026-11-01', ?, '0100001', ?, "
                "'stakeholder_engagement', 0.8, ?, 'v1', '2026-11-01T10:05:00Z', ?)",
                [RUN, url, sha, "city_evidence-0-1:3" if with_ids else None])


def test_evidence_latest_has_one_row_for_a_page_archived_in_two_warc_files(schema_con) -> None:
    _one_page_archived_twice(schema_con, with_ids=True)
    rows = schema_con.execute("SELECT url, kind, warc_file FROM marts.evidence_latest").fetchall()
    # The file of the fetch the evidence was read from: the crawl's, which archived the body after its 304.
    assert rows == [("https://www.a.example/", "stakeholder_engagement", "city_evidence-0-1.warc.gz")]
    joined = schema_con.execute("SELECT count(*) FROM marts.evidence_latest e "
                                "JOIN ops.fetch_log f USING (run_id, fetch_id)").fetchone()
    assert joined == (1,)


def test_evidence_latest_of_a_run_without_fetch_ids_picks_the_first_fetch_s_file(schema_con) -> None:
    _one_page_archived_twice(schema_con, with_ids=False)
    rows = schema_con.execute("SELECT warc_file FROM marts.evidence_latest").fetchall()
    assert rows == [("city_homepages-1.warc.gz",)]


# ------------------------------------------------------------------------ a live run on the simulated web
def _with_home_page_evidence() -> Population:
    """A few cities of the seed-2026 population and Clover Grove, SC, whose home page itself is evidence
    (stakeholder engagement): the crawl asks it again after the home page step, which the conditional-GET
    cache turns into a 304, so the page is archived in two WARC files with the same body."""
    full = build_population(105, seed=2026)
    clover = next(c for c in full.cities if c.website_host == "www.clover-grove-sc.example")
    return Population(full.seed, [*full.cities[:5], clover], full.label, full.other_portals)


@pytest.mark.slow   # a whole live run (about 20 s)
def test_a_live_run_s_evidence_latest_has_one_row_per_evidence_row(home: Path) -> None:
    population = _with_home_page_evidence()
    with SimWeb(population, seed=population.seed) as sim:
        fetcher = FetcherResource(min_delay_s=0.01, allow_addresses=["127.0.0.1"], conditional_get=True,
                                  read_timeout_s=1.0, backoff_base_s=0.01, max_crawl_delay_s=0.05,
                                  resolve={k: (REAL_DNS if v is None else v) for k, v in sim.resolve_map().items()})
        resources = default_resources(WarehouseResource(home=str(home)), fetcher, RunSettings(mode="live"),
                                      CrawlSettings(extra_doc_hosts=list(DOC_HOSTS)))
        result = dg.materialize(ALL_ASSETS, resources=resources, partition_key="2026-09-01",
                                instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)
    assert result.success
    con = connect_published(WarehousePaths(home))
    try:
        def one(sql: str) -> tuple:
            row = con.execute(sql).fetchone()
            assert row is not None
            return row

        # The case the view used to double: one page with evidence in two WARC files of the run.
        assert one("""SELECT count(*) FROM marts.evidence e JOIN (
                          SELECT run_id, final_url, sha256 FROM ops.fetch_log WHERE sha256 IS NOT NULL
                          GROUP BY ALL HAVING count(DISTINCT warc_file) > 1) f
                      ON f.run_id = e.run_id AND f.final_url = e.url AND f.sha256 = e.content_hash""")[0] > 0
        evidence, latest, keys = one("""
            SELECT (SELECT count(*) FROM marts.evidence WHERE run_id = (SELECT run_id FROM ops.latest_run)),
                   (SELECT count(*) FROM marts.evidence_latest),
                   (SELECT count(DISTINCT (geoid, url, kind)) FROM marts.evidence_latest)""")
        assert evidence > 0 and latest == evidence == keys
        # The guide's join: every evidence row meets exactly one fetch, with the evidence's hash and file.
        assert one("SELECT count(*) FROM marts.evidence_latest WHERE fetch_id IS NULL OR warc_file IS NULL") == (0,)
        assert one("""SELECT count(*), count(*) FILTER (WHERE f.sha256 = e.content_hash AND f.final_url = e.url
                                                         AND f.warc_file = e.warc_file)
                      FROM marts.evidence_latest e JOIN ops.fetch_log f USING (run_id, fetch_id)""") == (latest, latest)
        assert one("SELECT count(*) - count(DISTINCT fetch_id), count(fetch_id) - count(*) FROM ops.fetch_log") == (0, 0)
    finally:
        con.close()


# ------------------------------------------------------------------- the sample warehouse, as analysts read it
README = REPO / "README.md"


def _readme_python() -> str:
    blocks = re.findall(r"^```python\n(.*?)^```", README.read_text(encoding="utf-8"), re.M | re.S)
    [block] = [b for b in blocks if "ATTACH" in b]
    return block


def test_the_readme_s_python_example_runs_as_written_and_reaches_the_table_macros(sample_home: Path) -> None:
    """`wh.ops.current_run(NULL)` failed after the README's ATTACH: a table macro reads its tables from the
    database in use, not from the one it is stored in."""
    code = _readme_python().replace("data/warehouse.duckdb", str(sample_home / "warehouse.duckdb"))
    scope: dict = {}
    exec(compile(code, str(README), "exec"), scope)   # noqa: S102 - the README's own example
    con = scope["con"]
    try:
        run_id = con.execute("SELECT run_id FROM ops.current_run(NULL)").fetchone()[0]
        macros = con.execute("SELECT schema_name, function_name FROM duckdb_functions() WHERE database_name = 'wh' "
                             "AND function_type = 'table_macro' AND NOT internal ORDER BY ALL").fetchall()
        assert {f"{s}.{f}" for s, f in macros} >= {"ops.current_run", "marts.criterion_evidence_of",
                                                   "marts.city_changes_of"}
        for schema, name in macros:
            arg = "NULL" if name == "current_run" else f"'{run_id}'"
            con.execute(f"SELECT count(*) FROM {schema}.{name}({arg})").fetchone()
    finally:
        con.close()


def test_stored_figures_add_up(sample_home: Path) -> None:
    """expected_points was the unrounded sum rounded to 4 places (5.2e-5 from the stored probabilities'
    sum); push_uplift the 6-place difference rounded (1e-4 from the shown odds'); score_pct from the
    unrounded points."""
    con = connect_published(WarehousePaths(sample_home))
    try:
        worst = con.execute("""
            SELECT max(abs(i.expected_points - s.total)), max(abs(i.score_pct - round(100 * i.expected_points
                                                                               / i.max_points, 2))),
                   max(abs(i.expected_points_web - s.total_web))
            FROM marts.city_index i
            JOIN (SELECT run_id, geoid, sum(probability) AS total, sum(probability_web) AS total_web
                  FROM marts.criterion_scores GROUP BY ALL) s USING (run_id, geoid)""").fetchone()
        assert worst is not None and all(w < 1e-9 for w in worst), worst
        uplift = con.execute("SELECT count(*), max(abs(push_uplift - (p_next_tier_if_gaps_closed - p_next_tier))) "
                             "FROM marts.outreach_targets").fetchone()
        assert uplift is not None and uplift[0] > 0 and uplift[1] < 1e-9, uplift
    finally:
        con.close()


def test_each_run_stores_the_points_its_tiers_needed(sample_home: Path) -> None:
    con = connect_published(WarehousePaths(sample_home))
    try:
        bands = con.execute("""
            SELECT t.tier, t.bands, t.share, t.points_needed, t.max_points, t.core_criteria
            FROM marts.tier_bands t JOIN ops.latest_run r USING (run_id) ORDER BY t.points_needed""").fetchall()
        assert [b[0] for b in bands] == ["silver", "gold", "platinum"]
        assert [b[3] for b in bands] == [22, 30, 37] and {b[4] for b in bands} == {43}
        assert {b[1] for b in bands} == {con.execute("SELECT json_extract_string(config_json, '$.tier_bands') "
                                                     "FROM ops.latest_run").fetchone()[0]}
        assert bands[0][5] == "DM1;LC1;PA1"
        # The predicted tier follows from the stored odds and nothing else: the highest tier at 0.5 or more.
        wrong = con.execute("""
            SELECT count(*) FROM marts.city_index_latest
            WHERE predicted_tier <> CASE WHEN p_platinum >= 0.5 THEN 'platinum' WHEN p_gold_or_better >= 0.5 THEN 'gold'
                                         WHEN p_silver_or_better >= 0.5 THEN 'silver' ELSE 'none' END""").fetchone()
        assert wrong == (0,)
    finally:
        con.close()


def test_criterion_coverage_is_null_only_where_no_signal_counts(sample_home: Path) -> None:
    """The dictionary said coverage was null for criteria no public evidence can show (observable none);
    it never was: those with signal weights have a coverage of those signals. It is null exactly for a
    criterion without any signal weight, and the description now says so."""
    con = connect_published(WarehousePaths(sample_home))
    try:
        counts = con.execute("""
            SELECT count(*) FILTER (WHERE s.coverage IS NULL AND w.criterion_id IS NOT NULL),
                   count(*) FILTER (WHERE s.coverage IS NOT NULL AND w.criterion_id IS NULL),
                   count(*) FILTER (WHERE c.observable = 'none' AND s.coverage IS NOT NULL)
            FROM marts.criterion_scores_latest s
            JOIN marts.criteria c USING (run_id, criterion_id)
            LEFT JOIN (SELECT DISTINCT run_id, criterion_id FROM marts.criterion_signal_weights) w
                USING (run_id, criterion_id)""").fetchone()
        comment = con.execute("SELECT comment FROM duckdb_columns() WHERE schema_name = 'marts' AND "
                              "table_name = 'criterion_scores' AND column_name = 'coverage'").fetchone()[0]
    finally:
        con.close()
    assert counts is not None and counts[:2] == (0, 0) and counts[2] > 0
    assert "null for criteria no public evidence can show" not in comment and "null only" in comment


def test_evidence_criteria_are_described_as_the_code_lists_them(schema_con) -> None:
    """Catalog.for_signal lists every criterion with a weight above 0; the dictionary said weight >= 0.3."""
    comment = schema_con.execute("SELECT comment FROM duckdb_columns() WHERE schema_name = 'marts' AND "
                                 "table_name = 'evidence' AND column_name = 'criteria'").fetchone()[0]
    assert "0.3" not in comment and "whatever its weight" in comment
