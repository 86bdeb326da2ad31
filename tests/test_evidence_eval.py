"""Floors on the classifier's quality over the project's labeled pages (tests/fixtures/evidence).

The floors sit a little under today's figures (docs/EVIDENCE_METRICS.md), so a rule change that makes
the classifier clearly worse fails here, while ordinary tuning does not.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sources.evidence.classify import KINDS, classify_record
from sources.evidence.evaluate import macro_f1, probe_exact, read_jsonl, score

EVAL_SET = Path(__file__).parent / "fixtures" / "evidence" / "eval_set.jsonl"
LINES = [json.loads(x) for x in EVAL_SET.read_text(encoding="utf-8").splitlines() if x.strip()]


@pytest.fixture(scope="module")
def predicted() -> dict[str, list[str]]:
    return {r["id"]: [e.kind for e in classify_record(r)] for r in LINES}


def test_the_evaluation_set_is_large_balanced_and_well_formed() -> None:
    assert len(LINES) >= 150 and len({r["id"] for r in LINES}) == len(LINES)
    for kind in KINDS:
        for split in ("dev", "test"):
            assert sum(kind in r["labels"] and r["split"] == split for r in LINES) >= 10, (kind, split)
    assert sum(not r["labels"] for r in LINES) >= 50
    assert all(set(r["labels"]) <= set(KINDS) and (("html" in r) != ("text" in r)) for r in LINES)


def test_macro_f1_floor_on_the_held_out_split(predicted: dict[str, list[str]]) -> None:
    test = [(r["labels"], predicted[r["id"]]) for r in LINES if r["split"] == "test"]
    assert macro_f1(score(test)) >= 0.85


def test_every_kind_keeps_a_floor_over_all_pages(predicted: dict[str, list[str]]) -> None:
    scores = score([(r["labels"], predicted[r["id"]]) for r in LINES])
    assert macro_f1(scores) >= 0.88
    weak = {k: round(s.f1, 3) for k, s in scores.items() if s.f1 < 0.75}
    assert not weak, weak


def test_hard_negatives_rarely_produce_evidence(predicted: dict[str, list[str]]) -> None:
    negatives = [r for r in LINES if not r["labels"]]
    wrong = [r["id"] for r in negatives if predicted[r["id"]]]
    assert len(wrong) <= 0.08 * len(negatives), wrong


PROBES = EVAL_SET.with_name("probes.jsonl")
#: Share of probe pages whose whole label set is called exactly, overall and in every batch. The probes tuned
#: rules 2026.12.06-4 to -33, so these are regression floors, not held-out figures (LABELS.md, "Probe pages").
#: At -29: 2093/2335 in all (the fourteen batches added with -23 to -29 are harder than the earlier ones:
#: 1371/1495 before them); batch 39 reads 40/60, the lowest: half of it is pages where a kind that yields to a
#: stronger one (performance to contracting, engagement to evaluation) stands in a section of its own, which the
#: rules do not read (docs/EVIDENCE_METRICS.md). At -31: 2510/2815; -31 narrowed patterns of -30 for precision
#: on pages cities publish most, and gave back some probes -30 had won. At -32: 2679/2995; at -33:
#: 2781/3115.
PROBE_EXACT = 0.89
PROBE_BATCH_EXACT = 0.65


def test_probe_pages_written_blind_to_the_rules_are_still_read_as_labelled() -> None:
    """Pages written from the labelling guide alone, in batches listed in LABELS.md (kinds across the board,
    boundary cases, contracting, pages not written by a city, precision per kind, link lists, new forms, excerpts
    cut as the real pages are). A rule change that loses what the probe rounds taught the rules fails here."""
    probes = read_jsonl(PROBES)
    assert len(probes) >= 250 and len({p["id"] for p in probes}) == len(probes)
    assert all(set(p["labels"]) <= set(KINDS) for p in probes)
    exact = probe_exact(PROBES)
    every = [hit for hits in exact.values() for hit in hits]
    assert sum(every) / len(every) >= PROBE_EXACT, f"{sum(every)}/{len(every)} probe pages read exactly"
    for batch, hits in sorted(exact.items()):
        assert sum(hits) / len(hits) >= PROBE_BATCH_EXACT, f"batch {batch}: {sum(hits)}/{len(hits)}"
