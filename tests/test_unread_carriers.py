"""A page the crawl could not read is unknown, never evidence of absence (docs/evidence.md), on the built-in
sample as the staff review found it: Alder Springs, MA's open data policy page timed out, and the index
scored the policy as absent with full coverage, and neither `cdpi city` nor its report page said so."""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.cli import main as cli
from warehouse.paths import WarehousePaths
from warehouse.report.build import build_report

ALDER_SPRINGS = "2590019"
POLICY_PAGE = "https://www.alder-springs-ma.example/open-data/policy"


def _query(home: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(WarehousePaths(home).published), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_a_timed_out_policy_page_leaves_the_policy_unknown_and_says_which_page(
        sample_home: Path, tmp_path: Path, capsys) -> None:
    # Why the crawl queued the page, and why it was not read: both in the warehouse.
    assert _query(sample_home, "SELECT outcome, likely_kinds, not_read FROM staging.crawl_pages "
                               "WHERE geoid = ? AND url = ?", [ALDER_SPRINGS, POLICY_PAGE]) == \
        [("timeout", "open_data_policy;open_data_portal", "timeout")]
    rows = dict((s, (v, o, n)) for s, v, o, n in _query(
        sample_home, "SELECT signal, value, observed, not_read FROM marts.criterion_evidence_latest "
                     "WHERE geoid = ? AND criterion_id = 'OD1'", [ALDER_SPRINGS]))
    assert rows["open_data_policy"] == (0.0, False, f"{POLICY_PAGE} (timeout)")
    assert rows["open_data_portal"][1] and rows["open_data_portal"][0] > 0.5   # shown elsewhere: observed
    (coverage,), = _query(sample_home, "SELECT coverage FROM marts.criterion_scores_latest "
                                       "WHERE geoid = ? AND criterion_id = 'OD1'", [ALDER_SPRINGS])
    assert coverage < 1.0
    assert _query(sample_home, "SELECT coverage < 1 FROM marts.city_index_latest WHERE geoid = ?",
                  [ALDER_SPRINGS]) == [(True,)]

    assert cli(["city", "Alder Springs, MA", "--home", str(sample_home)]) == 0
    out = capsys.readouterr().out
    assert "open_data_policy=0.00 x" in out and f"not read: {POLICY_PAGE} (timeout)" in out

    site = tmp_path / "site"
    build_report(WarehousePaths(sample_home), site)
    page = (site / "cities" / f"{ALDER_SPRINGS}.html").read_text(encoding="utf-8")
    assert f"<em>not read</em> <small class=\"not-read\">(page not read: {POLICY_PAGE} (timeout))</small>" in page


def test_a_page_that_answered_404_still_counts_as_absent(sample_home: Path) -> None:
    """Ember Springs, AL links an open data roadmap that answers 404: looked at, not there. Its open data
    policy is observed as absent (its procurement page timed out: contracting alone is unknown)."""
    assert _query(sample_home, "SELECT status, likely_kinds, not_read FROM staging.crawl_pages WHERE geoid = '0190009' "
                               "AND url LIKE '%/open-data-roadmap'") == \
        [(404, "open_data_policy;open_data_portal;data_governance", None)]
    signals = {s: (v, o, n) for s, v, o, n in _query(
        sample_home, "SELECT signal, value, observed, not_read FROM staging.city_signals s "
                     "JOIN ops.latest_run USING (run_id) WHERE geoid = '0190009'")}
    assert signals["open_data_policy"] == (0.0, True, None)
    assert signals["results_driven_contracting"][1:] == (
        False, "https://www.ember-springs-al.example/departments/procurement/bid-requirements (timeout)")
