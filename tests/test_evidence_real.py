"""Floors on the classifier's quality over REAL city pages and real open-data policies (../shared/realdata).

The real labeled pages are split once, by a hash of their id (``sources.evidence.evaluate.real_split``), into
a tune part (rules were tuned by reading its misclassified pages) and a test part (only its per-kind totals
were looked at). The floors sit just under today's figures in docs/EVIDENCE_METRICS.md, so a rule change
that reads real pages clearly worse fails here. Every test skips with the reason when the real data is absent.
"""

from __future__ import annotations

from collections import Counter
from functools import cache

import pytest

from sources.evidence.classify import KINDS, classify_record, load_rules
from sources.evidence.evaluate import (
    REAL_PAGES,
    SUNLIGHT_POLICIES,
    KindScore,
    PolicyRecall,
    macro_f1,
    read_jsonl,
    real_page_scores,
    real_split,
    sunlight_policy_recall,
    true_kinds,
)
from tests.conftest import realdata

#: Test-part floors per kind: (precision, recall). The targets were 0.85 / 0.75; where a kind has not reached
#: them the floor sits just under what it reaches (see docs/EVIDENCE_METRICS.md, "Real pages, test part").
#: Since 2026.12.07-37 a records viewer's escaped line breaks ("<br />") are read as breaks: on one test-part page
#: that turned a false performance call into a false engagement call (performance precision 0.80 -> 0.89,
#: engagement 0.75 -> 0.69); 2026.12.07-39 ("rated" as a whole word) removed a false engagement call (0.75 again).
#: Since 2026.12.07-40 the name of the What Works Cities program no longer counts as "what works": one test-part
#: evaluation call rested partly on it (evaluation recall 0.78 -> 0.67; see docs/EVIDENCE_METRICS.md, Method).
TEST_FLOORS = {
    "open_data_policy": (0.78, 0.78),
    "open_data_portal": (0.82, 0.82),
    "performance_reporting": (0.85, 0.85),
    "evaluation": (0.85, 0.66),
    "data_governance": (0.90, 0.90),
    "results_driven_contracting": (0.85, 0.78),
    "stakeholder_engagement": (0.74, 0.74),
}
TEST_MACRO_F1 = 0.83
TUNE_MACRO_F1 = 0.92
SUNLIGHT_RECALL = 0.89            # over all 146 policies; 12 carry no text and can never be found
SUNLIGHT_RECALL_WITH_TEXT = 0.97


@cache
def _scores() -> dict[str, dict[str, KindScore]]:
    return real_page_scores(realdata(REAL_PAGES))


@cache
def _sunlight() -> PolicyRecall:
    return sunlight_policy_recall(realdata(SUNLIGHT_POLICIES))


def test_the_split_is_fixed_balanced_and_covers_every_kind_in_both_parts() -> None:
    assert real_split("d001") == real_split("d001")
    lines = read_jsonl(realdata(REAL_PAGES))
    parts = Counter(real_split(r["id"]) for r in lines)
    assert set(parts) == {"tune", "test"} and abs(parts["tune"] - parts["test"]) <= 0.1 * len(lines), parts
    for kind in KINDS:
        for part in ("tune", "test"):
            assert sum(kind in true_kinds(r) and real_split(r["id"]) == part for r in lines) >= 5, (kind, part)
    assert all(set(true_kinds(r)) <= set(KINDS) for r in lines)


def test_real_pages_are_read_the_pipeline_way_with_explained_evidence() -> None:
    record = next(r for r in read_jsonl(realdata(REAL_PAGES)) if real_split(r["id"]) == "tune" and true_kinds(r))
    for ev in classify_record(record):
        assert ev.hits and ev.extractor_version and 0 < len(ev.snippet) <= 300


def test_macro_f1_floor_on_the_real_test_part() -> None:
    assert macro_f1(_scores()["test"]) >= TEST_MACRO_F1


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_keeps_its_precision_and_recall_floor_on_the_real_test_part(kind: str) -> None:
    s = _scores()["test"][kind]
    precision, recall = TEST_FLOORS[kind]
    assert s.recall >= recall and s.precision >= precision, (kind, round(s.precision, 3), round(s.recall, 3))


def test_macro_f1_floor_on_the_real_tune_part() -> None:
    assert macro_f1(_scores()["tune"]) >= TUNE_MACRO_F1


def test_real_open_data_policies_are_recognised_through_the_html_path() -> None:
    sun = _sunlight()
    assert sun.total >= 140
    assert sun.recall >= SUNLIGHT_RECALL, sun.missed
    assert sun.recall_with_text >= SUNLIGHT_RECALL_WITH_TEXT, sun.missed


def test_real_policies_are_not_read_as_the_practices_they_prescribe() -> None:
    """An ordinance that says the city shall seek public input prescribes engagement; it does not show it.
    Before rules 2026.12.05-4, 68 of the 134 Sunlight policies with text were also called
    stakeholder_engagement."""
    sun = _sunlight()
    assert sun.also.get("stakeholder_engagement", 0) <= 0.2 * sun.with_text, sun.also
    assert sun.also.get("performance_reporting", 0) <= 0.05 * sun.with_text, sun.also


def test_real_meeting_and_department_pages_are_rarely_evidence() -> None:
    """The real pages kept for markup checks are meeting calendars, agendas and department pages: hard
    negatives read the pipeline's way (bytes -> load -> classify). A hearing's public-comment instructions
    or a list of town-hall dates is meeting business, not engagement shown."""
    import csv

    from sources.evidence.classify import classify
    from sources.evidence.documents import load

    manifest = realdata("html/manifest.csv")
    rows = list(csv.DictReader(manifest.open(encoding="utf-8")))
    called = {}
    for row in rows:
        doc = load((manifest.parent / row["file"]).read_bytes(), content_type="text/html",
                   url=row.get("original_url") or None)
        kinds = [e.kind for e in classify(doc)]
        if kinds:
            called[row["file"]] = kinds
    assert len(rows) >= 30
    assert len(called) <= max(1.0, 0.03 * len(rows)), called


def test_the_metrics_history_row_for_the_current_rules_is_what_they_measure() -> None:
    """docs/EVIDENCE_METRICS.md keeps earlier rounds' figures by hand (old rules cannot be re-run); a row naming
    the rules now in force must say what they measure, so a later change cannot leave it stale."""
    from scripts.evidence_metrics import HISTORY

    version = load_rules().version
    rows = [row for row in HISTORY if row[1] == version]
    if not rows:
        pytest.skip(f"no history row for rules {version} yet")
    _, _, test_f1, tune_f1, found, recall = rows[-1]
    scores = _scores()
    assert round(macro_f1(scores["test"]), 3) == test_f1 and round(macro_f1(scores["tune"]), 3) == tune_f1
    assert _sunlight().found == found
    assert tuple(round(scores["test"][k].recall, 3) for k in KINDS) == recall
